package report

// The DHIS2-compatible Web API: the routes a client written against
// DHIS2 2.42 calls, under DHIS2's paths (/api/dataValueSets, and the same
// under tinhso's /api/v1/), answering in DHIS2's shapes. Authentication is
// the server's (Bearer, ApiToken, Basic; see internal/auth); errors that
// DHIS2 answers with a WebMessage (409 import refusals, E2001-style query
// errors) are WebMessages here too, while 401, 403 and 413 stay tinhso's
// problem+json.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// ForceReports lets an official override period and approval locks in an
// import (DHIS2's force=true, a superuser's): administrators only, and
// every forced import is audited as such.
const ForceReports org.Action = "report.force"

// dhis2Tag groups the DHIS2-compatible routes (one scenario table covers
// them all).
const dhis2Tag = "dhis2"

// dvsPaths are the paths of dataValueSets: DHIS2's and tinhso's versioned one.
var dvsPaths = []string{"/api/dataValueSets", "/api/v1/dataValueSets"}

// dhis2Routes registers the DHIS2-compatible API.
func (s *Store) dhis2Routes(site *web.Site) {
	api := site.API
	for _, path := range dvsPaths {
		for _, p := range []string{path, path + ".json"} {
			site.BodyLimit(p, 4*s.importLimit())
			api.Handle(httpx.Route{Method: "POST", Path: p, Tag: dhis2Tag,
				Summary: "Import data values in DHIS2's dataValueSets format (JSON, or CSV as application/csv or text/csv); answers DHIS2 2.42's ImportSummary in a WebMessage",
				Query: []string{"dryRun: true checks everything and changes nothing", "importStrategy: CREATE, UPDATE, CREATE_AND_UPDATE (default) or DELETE",
					"idScheme: UID (tinhso's numeric ids) or CODE; also dataElementIdScheme, orgUnitIdScheme, categoryOptionComboIdScheme, dataSetIdScheme",
					"async: true runs the import as a job (DATAVALUE_IMPORT)", "force: true overrides period and approval locks (administrators; audited)",
					"dataSet: the data set of a CSV payload", "firstRowIsHeader: false when a CSV payload has no header row"},
				Response: WebMessage{}}, s.postDataValueSets)
		}
		for _, p := range []string{path, path + ".json", path + ".csv"} {
			api.Handle(httpx.Route{Method: "GET", Path: p, Tag: dhis2Tag,
				Summary: "Export data values in DHIS2's dataValueSets format (JSON, or CSV with Accept: text/csv or the .csv suffix)",
				Query: []string{"dataSet: data set(s), repeated or comma-separated (required)", "period: period(s) in DHIS2 notation, or startDate and endDate (YYYY-MM-DD)",
					"orgUnit: org unit(s) (required)", "children: true includes the units below", "idScheme: UID or CODE for the output; also dataElementIdScheme, orgUnitIdScheme",
					"inputOrgUnitIdScheme: UID or CODE for orgUnit", "includeDeleted: accepted; deleted values are not kept"},
				Response: DataValueSetOut{}}, s.getDataValueSets)
		}
	}
	s.metadataRoutes(api)
	s.jobRoutes(site)
}

// payloadFormat is the format of a POST body from its Content-Type: JSON
// by default (DHIS2 clients always name it; curl may not), CSV for
// application/csv (DHIS2's) and text/csv. XML and ADX are refused by name.
func payloadFormat(r *http.Request) (string, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return FormatJSON, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", unsupportedMedia(ct)
	}
	switch mt {
	case "application/json", "text/json":
		return FormatJSON, nil
	case "application/csv", "text/csv":
		return FormatCSV, nil
	}
	return "", unsupportedMedia(mt)
}

func unsupportedMedia(ct string) error {
	return &errs.Error{Status: http.StatusUnsupportedMediaType, Code: "dhis2_media_type", Key: "error.report_exchange.media_type", Args: []any{ct}}
}

// tooLarge is the 413 that names the limit.
func (s *Store) tooLarge() error {
	return &errs.Error{Status: http.StatusRequestEntityTooLarge, Code: "dhis2_too_large", Key: "error.report_exchange.too_large", Args: []any{s.importLimit() >> 20}}
}

// writeMessage writes a WebMessage with its own status code.
func writeMessage(w http.ResponseWriter, m WebMessage) {
	httpx.JSON(w, m.HTTPStatusCode, m)
}

// queryError is DHIS2's WebMessage for a refused query: 409, status ERROR,
// the message and the E-code (an IllegalQueryException).
type queryError struct {
	HTTPStatus     string `json:"httpStatus"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	Status         string `json:"status"`
	Message        string `json:"message"`
	ErrorCode      string `json:"errorCode,omitempty"`
}

func writeConflict(w http.ResponseWriter, code, message string) {
	httpx.JSON(w, http.StatusConflict, queryError{HTTPStatus: "Conflict", HTTPStatusCode: 409, Status: "ERROR", Message: message, ErrorCode: code})
}

// importParams reads the query of POST /api/dataValueSets; an unknown value
// is answered (409 naming the parameter) and ok is false.
func importParams(w http.ResponseWriter, r *http.Request) (opts ImportOptions, force, ok bool) {
	opts, err := ParseImportOptions(r.URL.Query())
	if err == nil {
		if v, set := lastParam(r.URL.Query(), "force"); set {
			force, err = parseBoolParam("force", v)
		}
	}
	var oe *OptionError
	if errors.As(err, &oe) {
		writeConflict(w, "", oe.Error())
		return opts, false, false
	}
	return opts, force, err == nil
}

func (s *Store) postDataValueSets(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	opts, force, ok := importParams(w, r)
	if !ok {
		return nil
	}
	format, err := payloadFormat(r)
	if err != nil {
		return err
	}
	// DHIS2's F_DATAVALUE_ADD: an official who may enter no unit's data
	// (a leader, who reads) is refused before the payload is read.
	if err := s.org.Authorize(ctx, p, EnterReports, 0); err != nil {
		return err
	}
	if force {
		if err := s.org.Authorize(ctx, p, ForceReports, 0); err != nil {
			return err
		}
	}
	if r.ContentLength > s.importLimit() {
		return s.tooLarge()
	}
	if opts.Async {
		return s.startImportJob(w, r, p, format, opts, force, "api", "")
	}
	res, err := s.ImportDataValues(ctx, ImportRequest{Principal: p, Body: r.Body, Format: format, Options: opts, Force: force, Source: "api"})
	if errors.Is(err, ErrPayloadTooLarge) || isBodyTooLarge(err) {
		return s.tooLarge()
	}
	if err != nil {
		return err
	}
	res.Summary.DataSetComplete = s.registerComplete(ctx, p, &res, opts.DryRun)
	writeMessage(w, res.Summary.Message())
	return nil
}

// isBodyTooLarge tells the server's own body cap (http.MaxBytesReader).
func isBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// registerComplete registers the reports an import covered as complete
// when its payload carried completeDate (DHIS2 registers the set's
// completeDataSetRegistration), and returns what the summary's
// dataSetComplete says: the date when every report is complete, or
// "false". In tinhso a complete registration is the workflow's submission
// (Submit: rules checked, digest recorded, the approver told), so a
// report the reporter may not submit stays a draft and is named in the
// summary's conflicts; one already submitted or approved counts as
// complete. A dry run or a refused import registers nothing.
func (s *Store) registerComplete(ctx context.Context, p *org.Principal, res *ValuesResult, dry bool) string {
	if res.CompleteDate == "" || dry || res.Summary.Status == StatusError || len(res.Reports) == 0 {
		return "false"
	}
	slices.SortFunc(res.Reports, func(a, b ReportKey) int {
		return cmp.Or(cmp.Compare(a.Form, b.Form), cmp.Compare(a.Unit, b.Unit), strings.Compare(a.Period, b.Period))
	})
	complete := true
	for _, k := range res.Reports {
		err := s.Submit(ctx, p, k, "")
		if err == nil || errors.Is(err, errNotEditable) {
			continue
		}
		complete = false
		// DHIS2's conflict values are English, whoever asks.
		msg := err.Error()
		var e *errs.Error
		if errors.As(err, &e) {
			msg = locale.T(locale.EN, e.Key, e.Args...)
		}
		c := Conflict{Object: "completeDataSetRegistration", Objects: map[string]string{"period": k.Period}, Value: msg}
		if f, err := s.Form(ctx, k.Form); err == nil {
			c.Objects["dataSet"] = f.Code
		}
		if u, err := s.org.Unit(ctx, k.Unit, ""); err == nil {
			c.Objects["orgUnit"] = u.Code
		}
		res.Summary.Conflicts = append(res.Summary.Conflicts, c)
		if res.Summary.Status == StatusSuccess {
			res.Summary.Status = StatusWarning
		}
	}
	if !complete {
		return "false"
	}
	return res.CompleteDate
}

// jsonString is s as a JSON string, for hand-built answers.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
