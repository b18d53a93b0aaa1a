package report

// GET /api/dataValueSets: the values of data sets (forms) for periods and
// org units, in DHIS2's export shapes (JsonDataValueSetWriter's members in
// its order; CsvDataValueSetWriter's positional header), streamed row by
// row. DHIS2's validation is kept: E2001 without a data set or data
// element, E2002 without periods or dates, E2003 with both, E2004 for a
// start after the end, E2006 without an org unit, E2012 for an org unit
// out of the caller's view scope; identifiers that name nothing are
// dropped, as DHIS2 drops them.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// DataValueOut is one exported value, DHIS2's members in DHIS2's order.
type DataValueOut struct {
	DataElement          string `json:"dataElement"`
	Period               string `json:"period"`
	OrgUnit              string `json:"orgUnit"`
	CategoryOptionCombo  string `json:"categoryOptionCombo"`
	AttributeOptionCombo string `json:"attributeOptionCombo"`
	Value                string `json:"value"`
	StoredBy             string `json:"storedBy"`
	Created              string `json:"created"`
	LastUpdated          string `json:"lastUpdated"`
	Comment              string `json:"comment"`
	FollowUp             bool   `json:"followup"`
}

// DataValueSetOut is the export (for the OpenAPI document; the handler
// streams it).
type DataValueSetOut struct {
	DataSet      string         `json:"dataSet,omitempty"`
	CompleteDate string         `json:"completeDate,omitempty"`
	Period       string         `json:"period,omitempty"`
	OrgUnit      string         `json:"orgUnit,omitempty"`
	DataValues   []DataValueOut `json:"dataValues"`
}

// dhis2Timestamp is DHIS2's toLongGmtDate.
func dhis2Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// multi reads a parameter given repeatedly and/or comma-separated.
func multi(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// schemeParam reads an id scheme parameter (UID when absent or unknown
// names are refused by the caller).
func schemeParam(r *http.Request, names ...string) (IDScheme, error) {
	for _, n := range names {
		if v, ok := lastParam(r.URL.Query(), n); ok && v != "" {
			return parseScheme(n, v)
		}
	}
	return SchemeUID, nil
}

func wantsCSV(r *http.Request) bool {
	if strings.HasSuffix(r.URL.Path, ".csv") || strings.EqualFold(r.URL.Query().Get("format"), "csv") {
		return true
	}
	if strings.HasSuffix(r.URL.Path, ".json") {
		return false
	}
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "text/csv") || strings.Contains(acc, "application/csv")
}

type exportQuery struct {
	forms      []int64
	indicators []int64
	periods    []string
	start, end string
	units      []int64
	children   bool
	deScheme   IDScheme
	ouScheme   IDScheme
	cocScheme  IDScheme
	single     bool // one data set, period and org unit: DHIS2 writes the set-level header
	dsName     string
}

func (s *Store) getDataValueSets(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, ViewReports, 0); err != nil {
		return err
	}
	res, err := s.newResolver(ctx)
	if err != nil {
		return err
	}
	var q exportQuery
	bad := func(err error) error {
		writeConflict(w, "E2014", err.Error())
		return nil
	}
	if q.deScheme, err = schemeParam(r, "dataElementIdScheme", "outputDataElementIdScheme", "idScheme", "outputIdScheme"); err != nil {
		return bad(err)
	}
	if q.ouScheme, err = schemeParam(r, "orgUnitIdScheme", "outputOrgUnitIdScheme", "idScheme", "outputIdScheme"); err != nil {
		return bad(err)
	}
	if q.cocScheme, err = schemeParam(r, "categoryOptionComboIdScheme", "idScheme", "outputIdScheme"); err != nil {
		return bad(err)
	}
	inDS, err := schemeParam(r, "inputDataSetIdScheme", "inputIdScheme")
	if err != nil {
		return bad(err)
	}
	inDE, err := schemeParam(r, "inputDataElementIdScheme", "inputIdScheme")
	if err != nil {
		return bad(err)
	}
	inOU, err := schemeParam(r, "inputOrgUnitIdScheme", "inputIdScheme")
	if err != nil {
		return bad(err)
	}
	dsNames, deNames, ouNames := multi(r, "dataSet"), multi(r, "dataElement"), multi(r, "orgUnit")
	for _, n := range dsNames {
		if id, ok := res.form(inDS, n); ok {
			q.forms = append(q.forms, id)
		}
	}
	for _, n := range deNames {
		if id, ok := res.indicator(inDE, n); ok {
			q.indicators = append(q.indicators, id)
		}
	}
	for _, n := range ouNames {
		if id, ok := res.unit(inOU, n); ok {
			q.units = append(q.units, id)
		}
	}
	for _, pe := range multi(r, "period") {
		if p := res.period(pe); !p.IsZero() {
			q.periods = append(q.periods, p.String())
		}
	}
	q.start, q.end = strings.TrimSpace(r.URL.Query().Get("startDate")), strings.TrimSpace(r.URL.Query().Get("endDate"))
	q.children, _ = parseBoolParam("children", r.URL.Query().Get("children"))
	// DHIS2's order of checks, the last failing one answering.
	var code, msg string
	fail := func(c, m string) { code, msg = c, m }
	if len(q.forms) == 0 && len(q.indicators) == 0 {
		fail("E2001", "At least one data element, data set or data element group must be specified")
	}
	hasDates := q.start != "" && q.end != ""
	if len(q.periods) == 0 && !hasDates {
		fail("E2002", "At least one period, start/end dates, last updated or last updated duration must be specified")
	}
	if len(q.periods) > 0 && hasDates {
		fail("E2003", "Both periods and start/end date cannot be specified")
	}
	if hasDates {
		sd, e1 := time.Parse(time.DateOnly, q.start)
		ed, e2 := time.Parse(time.DateOnly, q.end)
		switch {
		case e1 != nil || e2 != nil:
			fail("E2014", fmt.Sprintf("Unable to parse dates `%s`, `%s`: use YYYY-MM-DD", q.start, q.end))
		case sd.After(ed):
			fail("E2004", "Start date must be before end date")
		}
	}
	if len(q.units) == 0 {
		fail("E2006", "At least one organisation unit or organisation unit group must be specified")
	}
	if code != "" {
		writeConflict(w, code, msg)
		return nil
	}
	// The caller reads only units in their report.view scope; a refusal is
	// audited by Authorize and answered as DHIS2 does (E2012).
	for _, u := range q.units {
		if err := s.org.Authorize(ctx, p, ViewReports, u); err != nil {
			if !isAuthError(err) {
				return err
			}
			name := id(u)
			if q.ouScheme == SchemeCode {
				name = res.unitCode[u]
			}
			writeConflict(w, "E2012", fmt.Sprintf("User is not allowed to view org unit: `%s`", name))
			return nil
		}
	}
	q.single = len(dsNames) == 1 && len(q.forms) == 1 && len(q.periods) == 1 && len(q.units) == 1 && !q.children
	if q.single {
		q.dsName = dsNames[0]
	}
	if err := s.exportValues(ctx, w, r, res, q); err != nil {
		return err
	}
	return nil
}

// descendants lists units and every unit that was ever below them.
func (s *Store) descendants(ctx context.Context, roots []int64) ([]int64, error) {
	var args []any
	in := store.InList(&args, roots)
	rows, err := s.db.Read.QueryContext(ctx, `WITH RECURSIVE d(id) AS (
		SELECT id FROM org_units WHERE id IN (`+in+`)
		UNION
		SELECT v.unit_id FROM org_unit_versions v JOIN d ON v.parent_id = d.id)
		SELECT id FROM d`, args...)
	if err != nil {
		return nil, fmt.Errorf("report: descendants: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (s *Store) exportValues(ctx context.Context, w http.ResponseWriter, r *http.Request, res *resolver, q exportQuery) error {
	inds := map[int64]bool{}
	for _, i := range q.indicators {
		inds[i] = true
	}
	if len(q.forms) > 0 {
		var args []any
		in := store.InList(&args, q.forms)
		rows, err := s.db.Read.QueryContext(ctx, `SELECT DISTINCT fi.indicator_id FROM report_form_indicators fi JOIN report_form_sections sc ON sc.id = fi.section_id
			WHERE sc.form_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			inds[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	units := q.units
	if q.children {
		var err error
		if units, err = s.descendants(ctx, q.units); err != nil {
			return err
		}
	}
	unitSet := map[int64]bool{}
	for _, u := range units {
		unitSet[u] = true
	}
	var args []any
	where := `v.indicator_id IN (` + store.InList(&args, keys(inds)) + `)`
	// A long list of units is filtered here rather than bound (PostgreSQL
	// takes at most 65,535 parameters).
	if len(units) <= 1000 {
		where += ` AND v.unit_id IN (` + store.InList(&args, units) + `)`
	}
	if len(q.periods) > 0 {
		var ph []string
		for _, p := range q.periods {
			args = append(args, p)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		where += ` AND v.period IN (` + strings.Join(ph, ",") + `)`
	} else {
		args = append(args, q.start, q.end)
		where += fmt.Sprintf(` AND v.start_date >= $%d AND v.end_date <= $%d`, len(args)-1, len(args))
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT v.indicator_id, v.option_id, v.unit_id, v.period, v.value, COALESCE(us.username, ''),
		v.created_at, v.updated_at, v.comment, v.followup
		FROM report_values v LEFT JOIN users us ON us.id = v.updated_by
		WHERE `+where+` ORDER BY v.period, v.unit_id, v.indicator_id, v.option_id`, args...)
	if err != nil {
		return fmt.Errorf("report: export values: %w", err)
	}
	defer rows.Close()
	indCode := map[int64]string{}
	for c, i := range res.indByCode {
		indCode[i] = c
	}
	name := func(scheme IDScheme, id int64, code string) string {
		if scheme == SchemeCode {
			return code
		}
		return strconv.FormatInt(id, 10)
	}
	defCOC := DefaultCOC
	if q.cocScheme == SchemeCode {
		defCOC = "default"
	}
	out := newValueWriter(w, wantsCSV(r))
	if q.single {
		complete, err := s.completeDate(ctx, q.forms[0], q.units[0], q.periods[0])
		if err != nil {
			return err
		}
		out.header(q.dsName, complete, q.periods[0], name(q.ouScheme, q.units[0], res.unitCode[q.units[0]]))
	} else {
		out.header("", "", "", "")
	}
	for rows.Next() {
		var ind, opt, unit int64
		var v DataValueOut
		var created, updated time.Time
		if err := rows.Scan(&ind, &opt, &unit, &v.Period, &v.Value, &v.StoredBy, &created, &updated, &v.Comment, &v.FollowUp); err != nil {
			return err
		}
		if !unitSet[unit] {
			continue
		}
		v.DataElement = name(q.deScheme, ind, indCode[ind])
		v.OrgUnit = name(q.ouScheme, unit, res.unitCode[unit])
		v.CategoryOptionCombo = defCOC
		if opt != 0 {
			v.CategoryOptionCombo = name(q.cocScheme, opt, res.optCode[opt])
		}
		v.AttributeOptionCombo = defCOC
		v.Created, v.LastUpdated = dhis2Timestamp(created), dhis2Timestamp(updated)
		if err := out.value(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return out.close()
}

// completeDate is when a report was submitted (DHIS2's complete
// registration), "" when it was not.
func (s *Store) completeDate(ctx context.Context, form, unit int64, period string) (string, error) {
	var at *time.Time
	err := s.db.Read.QueryRowContext(ctx, `SELECT submitted_at FROM report_submissions WHERE form_id = $1 AND unit_id = $2 AND period = $3`, form, unit, period).Scan(&at)
	if err != nil || at == nil {
		return "", nil
	}
	return at.In(vietnam()).Format(time.DateOnly), nil
}

// valueWriter streams an export as JSON or CSV.
type valueWriter struct {
	w     http.ResponseWriter
	csv   *csv.Writer
	n     int
	begun bool
}

func newValueWriter(w http.ResponseWriter, asCSV bool) *valueWriter {
	vw := &valueWriter{w: w}
	if asCSV {
		w.Header().Set("Content-Type", "application/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="dataValues.csv"`)
		vw.csv = csv.NewWriter(w)
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	return vw
}

func (vw *valueWriter) header(ds, complete, pe, ou string) {
	vw.w.WriteHeader(http.StatusOK)
	if vw.csv != nil {
		vw.csv.Write(strings.Split(CSVColumns, ","))
		return
	}
	if ds != "" {
		fmt.Fprintf(vw.w, `{"dataSet":%s,"completeDate":%s,"period":%s,"orgUnit":%s,"dataValues":[`, jsonString(ds), jsonString(complete), jsonString(pe), jsonString(ou))
		return
	}
	fmt.Fprint(vw.w, `{"dataValues":[`)
}

func (vw *valueWriter) value(v DataValueOut) error {
	if vw.csv != nil {
		return vw.csv.Write([]string{v.DataElement, v.Period, v.OrgUnit, v.CategoryOptionCombo, v.AttributeOptionCombo, v.Value, v.StoredBy,
			v.LastUpdated, v.Comment, strconv.FormatBool(v.FollowUp), "false"})
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if vw.n > 0 {
		vw.w.Write([]byte{','})
	}
	vw.n++
	_, err = vw.w.Write(b)
	return err
}

func (vw *valueWriter) close() error {
	if vw.csv != nil {
		vw.csv.Flush()
		return vw.csv.Error()
	}
	_, err := fmt.Fprint(vw.w, "]}\n")
	return err
}
