package report

// DHIS2's completion and approval endpoints (issue 7, part 6), at /api/…
// and /api/v1/… (tag dhis2.approval), over tinhso's report workflow:
//
//   - POST /api/completeDataSetRegistrations
//     {"completeDataSetRegistrations":[{dataSet, period, organisationUnit,
//     attributeOptionCombo, date, storedBy, completed}]}: each registration
//     with completed (true when absent) submits the report (Submit); with
//     completed false, or importStrategy=DELETE, it withdraws it (Withdraw).
//     The answer is DHIS2's ImportSummary in a WebMessage (dhis2_summary.go):
//     imported = submitted, deleted = withdrawn, ignored = already so or
//     refused, each refusal a conflict with its index. dryRun checks
//     everything and writes nothing. idScheme, dataSetIdScheme and
//     orgUnitIdScheme: UID (tinhso's ids, the default) or CODE. date is not
//     trusted: a submission is recorded when it arrives; async=true is
//     answered at once, as async=false.
//   - GET /api/completeDataSetRegistrations?dataSet=&period= (or
//     startDate=&endDate=)&orgUnit=[&children=true]: the reports submitted,
//     approved or final; DELETE ?ds=&pe=&ou=: withdraw.
//   - GET /api/dataApprovals?wf=|ds=&pe=&ou=: {mayApprove, mayUnapprove,
//     mayAccept, mayUnaccept, mayReadData, state, approvedBy, approvedAt,
//     acceptedBy, acceptedAt}; POST approves at the level the report waits
//     at, DELETE withdraws the last approval (204 both). wf and ds name the
//     form (id or code); ou the reporting unit (id or code).
//   - POST /api/dataAcceptances accepts: in tinhso the approval by the next
//     level up is DHIS2's acceptance of the lower level's approval, so it
//     approves a report already approved by a lower level (APPROVED_HERE);
//     DELETE withdraws the final approval (ACCEPTED_HERE).
//   - GET /api/dataApprovals/approvals?wf=&pe=&ou= (comma-separated or
//     repeated): the states of many reports; POST
//     /api/dataApprovals/approvals and /unapprovals {"wf":[…],"pe":[…],
//     "approvals":[{"ou":"…","aoc":"…"}]}: all of them in one transaction,
//     or none.
//
// States, as dhis2-core's DataApprovalState enum has them, for the report
// of the unit ou: UNAPPROVABLE (ou does not report the form for pe, or the
// period has not begun), UNAPPROVED_WAITING (not submitted: waiting for
// the unit), UNAPPROVED_READY (submitted, no level approved it yet),
// APPROVED_HERE (approved by an intermediate level, waiting for the next),
// ACCEPTED_HERE (the last level approved it: final). tinhso approves each
// unit's report rather than the aggregate of a subtree, so it never
// answers UNAPPROVED_ABOVE or APPROVED_ABOVE. Refusals of the caller's
// rights are problem+json (401, 403) as everywhere in tinhso; a request
// DHIS2 would refuse as a conflict is a 409 WebMessage with DHIS2's words.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
)

// DHIS2's approval states (DataApprovalState, dhis2-core).
const (
	Unapprovable      = "UNAPPROVABLE"
	UnapprovedAbove   = "UNAPPROVED_ABOVE" // never answered by tinhso
	UnapprovedWaiting = "UNAPPROVED_WAITING"
	UnapprovedReady   = "UNAPPROVED_READY"
	ApprovedAbove     = "APPROVED_ABOVE" // never answered by tinhso
	ApprovedHere      = "APPROVED_HERE"
	AcceptedHere      = "ACCEPTED_HERE"
)

// E7698 is tinhso's, not DHIS2's: the form's validation rules refuse the
// report's values, so it cannot be completed (DHIS2's validCompleteOnly
// data sets refuse the same without a code of their own).
const E7698 ErrorCode = "E7698"

// defaultAOC is the default attribute option combo as DHIS2 names it
// (UID, code); tinhso has no other.
var defaultAOC = []string{"", "default", "HllvX50cXC0"}

const dhis2Time = "2006-01-02T15:04:05.000"

// ApprovalPermissions is DHIS2's DataApprovalPermissions with the state.
type ApprovalPermissions struct {
	MayApprove   bool   `json:"mayApprove"`
	MayUnapprove bool   `json:"mayUnapprove"`
	MayAccept    bool   `json:"mayAccept"`
	MayUnaccept  bool   `json:"mayUnaccept"`
	MayReadData  bool   `json:"mayReadData"`
	State        string `json:"state" doc:"UNAPPROVABLE, UNAPPROVED_WAITING, UNAPPROVED_READY, APPROVED_HERE or ACCEPTED_HERE"`
	ApprovedBy   string `json:"approvedBy,omitempty"`
	ApprovedAt   string `json:"approvedAt,omitempty" doc:"local time in Vietnam, DHIS2's format"`
	AcceptedBy   string `json:"acceptedBy,omitempty"`
	AcceptedAt   string `json:"acceptedAt,omitempty"`
}

// ApprovalStatus is one entry of GET /api/dataApprovals/approvals.
type ApprovalStatus struct {
	WF          string               `json:"wf"`
	PE          string               `json:"pe"`
	OU          string               `json:"ou"`
	OUName      string               `json:"ouName,omitempty"`
	AOC         string               `json:"aoc"`
	State       string               `json:"state"`
	Level       string               `json:"level,omitempty" doc:"code of the unit that approved last"`
	Permissions *ApprovalPermissions `json:"permissions"`
}

// ApprovalsInput is the body of the bulk approvals.
type ApprovalsInput struct {
	WF        []string `json:"wf,omitempty"`
	DS        []string `json:"ds,omitempty"`
	PE        []string `json:"pe"`
	Approvals []struct {
		OU  string `json:"ou"`
		AOC string `json:"aoc,omitempty"`
	} `json:"approvals"`
}

// Registration is one complete data set registration.
type Registration struct {
	DataSet              string `json:"dataSet"`
	Period               string `json:"period"`
	OrganisationUnit     string `json:"organisationUnit"`
	AttributeOptionCombo string `json:"attributeOptionCombo,omitempty"`
	Date                 string `json:"date,omitempty"`
	StoredBy             string `json:"storedBy,omitempty"`
	Completed            *bool  `json:"completed,omitempty"`
	LastUpdatedBy        string `json:"lastUpdatedBy,omitempty"`
	LastUpdated          string `json:"lastUpdated,omitempty"`
}

// Registrations is the body and the answer of completeDataSetRegistrations.
type Registrations struct {
	CompleteDataSetRegistrations []Registration `json:"completeDataSetRegistrations"`
}

// webMessage writes DHIS2's WebMessage without a response.
func webMessage(w http.ResponseWriter, status int, message string) {
	m := WebMessage{HTTPStatus: http.StatusText(status), HTTPStatusCode: status, Status: "OK", Message: message}
	if status >= 400 {
		m.Status = "ERROR"
	}
	httpx.JSON(w, status, m)
}

// conflictMsg is a 409 WebMessage error; dhis2Answer writes it.
type conflictMsg struct{ msg string }

func (c *conflictMsg) Error() string { return c.msg }

func conflictf(format string, args ...any) error { return &conflictMsg{fmt.Sprintf(format, args...)} }

// dhis2Answer writes err the way DHIS2's approval endpoints answer: the
// caller's rights as tinhso's problem+json (returned), everything else a
// 409 WebMessage with the message in English, as DHIS2 writes it.
func dhis2Answer(w http.ResponseWriter, err error) error {
	var c *conflictMsg
	if errors.As(err, &c) {
		webMessage(w, http.StatusConflict, c.msg)
		return nil
	}
	e, ok := errs.As(err)
	if !ok || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		return err
	}
	webMessage(w, http.StatusConflict, englishMessage(e))
	return nil
}

func englishMessage(e *errs.Error) string {
	msg := locale.T(locale.EN, e.Key, e.Args...)
	if len(e.Fields) > 0 {
		var parts []string
		for _, f := range e.Fields {
			if f.Code == "report.rule_failed" {
				parts = append(parts, locale.T(locale.EN, "invalid."+f.Code, f.Args...))
			} else {
				parts = append(parts, httpx.FieldMessage(locale.EN, f))
			}
		}
		msg = strings.Join(parts, "; ")
	}
	return msg
}

// params reads a query parameter that DHIS2 binds as a set: repeated or
// comma-separated.
func params(q url.Values, names ...string) []string {
	var out []string
	for _, n := range names {
		for _, v := range q[n] {
			for _, x := range strings.Split(v, ",") {
				if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

// approvalTarget is a report a DHIS2 approval request names.
type approvalTarget struct {
	wf, pe, ou, aoc string
	key             ReportKey
}

// resolveTarget resolves wf (or ds), pe and ou as DHIS2's controller
// validates them, answering its conflicts.
func (s *Store) resolveTarget(ctx context.Context, wf, pe, ou, aoc string) (approvalTarget, error) {
	t := approvalTarget{wf: wf, pe: pe, ou: ou, aoc: aoc}
	if wf == "" {
		return t, conflictf("Either data set or data approval workflow must be specified")
	}
	form, err := s.formID(ctx, wf)
	if err != nil {
		return t, err
	}
	if form == 0 {
		return t, conflictf("Data approval workflow does not exist: %s", wf)
	}
	p, err := ParsePeriod(pe)
	if pe == "" || err != nil {
		return t, conflictf("Illegal period identifier: %s", pe)
	}
	unit, err := s.unitID(ctx, ou)
	if err != nil {
		return t, err
	}
	if ou == "" || unit == 0 {
		return t, conflictf("Organisation unit does not exist: %s", ou)
	}
	if !slices.Contains(defaultAOC, aoc) {
		return t, conflictf("Attribute option combo does not exist: %s", aoc)
	}
	t.key = ReportKey{Form: form, Unit: unit, Period: p.String()}
	return t, nil
}

// approvalState is the DHIS2 state of a report and what p may do with it.
func (s *Store) approvalState(ctx context.Context, cans *canCache, k ReportKey) (ApprovalPermissions, *Report, error) {
	var out ApprovalPermissions
	out.MayReadData = cans.can(ViewReports, k.Unit)
	info, err := s.prepare(ctx, k)
	if errors.Is(err, errNotAssigned) {
		out.State = Unapprovable
		return out, nil, nil
	} else if err != nil {
		return out, nil, err
	}
	if from, _ := info.period.CutOff(); Day(s.now().In(vietnam())).Before(from) {
		out.State = Unapprovable
		return out, nil, nil
	}
	r, err := s.reportOf(ctx, info)
	if err != nil {
		return out, nil, err
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(vietnam()).Format(dhis2Time)
	}
	switch r.State {
	case StateSubmitted:
		out.State = UnapprovedReady
		out.MayApprove = r.WaitingUnit != nil && cans.can(ApproveReports, r.WaitingUnit.ID)
	case StateApproved:
		out.State = ApprovedHere
		out.MayApprove = r.WaitingUnit != nil && cans.can(ApproveReports, r.WaitingUnit.ID)
		out.MayAccept = out.MayApprove
		out.MayUnapprove = r.ApprovedUnit != nil && cans.can(ApproveReports, r.ApprovedUnit.ID)
		out.ApprovedBy, out.ApprovedAt = r.ApprovedBy, at(r.ApprovedAt)
	case StateAccepted:
		out.State = AcceptedHere
		out.MayUnapprove = r.ApprovedUnit != nil && cans.can(ApproveReports, r.ApprovedUnit.ID)
		out.MayUnaccept = out.MayUnapprove
		out.AcceptedBy, out.AcceptedAt = r.ApprovedBy, at(r.ApprovedAt)
		out.ApprovedBy, out.ApprovedAt = out.AcceptedBy, out.AcceptedAt
		if len(info.chain) > 1 {
			// The approval below the last level, the one the last accepted.
			evs, err := s.events(ctx, info.key)
			if err != nil {
				return out, nil, err
			}
			below := info.chain[len(info.chain)-2].ID
			for i := len(evs) - 1; i >= 0; i-- {
				if e := evs[i]; e.Action == ActionApprove && e.Unit != nil && e.Unit.ID == below {
					out.ApprovedBy, out.ApprovedAt = e.User, at(&e.At)
					break
				}
			}
		}
	default:
		out.State = UnapprovedWaiting
	}
	return out, &r, nil
}

func (s *Store) dhis2ApprovalRoutes(api *httpx.API) {
	const tag = "dhis2.approval"
	for _, base := range []string{"/api/", "/api/v1/"} {
		api.Handle(httpx.Route{Method: "POST", Path: base + "completeDataSetRegistrations", Tag: tag, Request: Registrations{}, Response: WebMessage{},
			Summary: "DHIS2: register reports complete (submit them) or, with completed false, withdraw them; answers an ImportSummary",
			Query:   []string{"dryRun: true checks and writes nothing", "importStrategy: CREATE_AND_UPDATE (default) or DELETE", "idScheme, dataSetIdScheme, orgUnitIdScheme: UID (tinhso ids, default) or CODE"}},
			s.registrationsImport)
		api.Handle(httpx.Route{Method: "GET", Path: base + "completeDataSetRegistrations", Tag: tag, Response: Registrations{},
			Summary: "DHIS2: the reports submitted, approved or final",
			Query:   []string{"dataSet: form id or code (repeatable)", "period or startDate and endDate", "orgUnit: unit id or code (repeatable)", "children: true for the units under orgUnit", "idScheme: UID or CODE, for the answer"}},
			s.registrationsGet)
		api.Handle(httpx.Route{Method: "DELETE", Path: base + "completeDataSetRegistrations", Tag: tag, Status: http.StatusNoContent,
			Summary: "DHIS2: withdraw a submission that no level approved yet", Query: []string{"ds: form id or code (repeatable)", "pe: period", "ou: unit id or code"}},
			s.registrationsDelete)
		api.Handle(httpx.Route{Method: "GET", Path: base + "dataApprovals", Tag: tag, Response: ApprovalPermissions{},
			Summary: "DHIS2: the approval state of a report and what the caller may do", Query: []string{"wf or ds: form id or code", "pe: period", "ou: reporting unit id or code"}},
			s.approvalGet)
		api.Handle(httpx.Route{Method: "POST", Path: base + "dataApprovals", Tag: tag, Status: http.StatusNoContent,
			Summary: "DHIS2: approve a report at the level it waits at", Query: []string{"wf or ds", "pe", "ou"}},
			s.approvalStep(func(ctx context.Context, p *org.Principal, k ReportKey) (stepPlan, error) {
				return s.planApprove(ctx, p, k, "", false)
			}))
		api.Handle(httpx.Route{Method: "DELETE", Path: base + "dataApprovals", Tag: tag, Status: http.StatusNoContent,
			Summary: "DHIS2: withdraw the last approval of a report", Query: []string{"wf or ds", "pe", "ou"}},
			s.approvalStep(func(ctx context.Context, p *org.Principal, k ReportKey) (stepPlan, error) {
				return s.planUnapprove(ctx, p, k, "", false)
			}))
		api.Handle(httpx.Route{Method: "POST", Path: base + "dataAcceptances", Tag: tag, Status: http.StatusNoContent,
			Summary: "DHIS2: accept a lower level's approval (in tinhso: the next level's approval of an APPROVED_HERE report)", Query: []string{"wf or ds", "pe", "ou"}},
			s.approvalStep(func(ctx context.Context, p *org.Principal, k ReportKey) (stepPlan, error) {
				return s.planApprove(ctx, p, k, "", true)
			}))
		api.Handle(httpx.Route{Method: "DELETE", Path: base + "dataAcceptances", Tag: tag, Status: http.StatusNoContent,
			Summary: "DHIS2: unaccept (in tinhso: withdraw the final approval of an ACCEPTED_HERE report)", Query: []string{"wf or ds", "pe", "ou"}},
			s.approvalStep(func(ctx context.Context, p *org.Principal, k ReportKey) (stepPlan, error) {
				return s.planUnapprove(ctx, p, k, "", true)
			}))
		api.Handle(httpx.Route{Method: "GET", Path: base + "dataApprovals/approvals", Tag: tag, Response: ApprovalStatus{}, List: true,
			Summary: "DHIS2: the approval states of many reports", Query: []string{"wf: forms (comma-separated or repeated)", "pe: periods, or startDate and endDate", "ou: reporting units"}},
			s.approvalsGet)
		api.Handle(httpx.Route{Method: "POST", Path: base + "dataApprovals/approvals", Tag: tag, Status: http.StatusNoContent, Request: ApprovalsInput{},
			Summary: "DHIS2: approve many reports, all or none"},
			s.approvalsBulk(func(ctx context.Context, p *org.Principal, k ReportKey) (stepPlan, error) {
				return s.planApprove(ctx, p, k, "", false)
			}))
		api.Handle(httpx.Route{Method: "POST", Path: base + "dataApprovals/unapprovals", Tag: tag, Status: http.StatusNoContent, Request: ApprovalsInput{},
			Summary: "DHIS2: withdraw the last approval of many reports, all or none"},
			s.approvalsBulk(func(ctx context.Context, p *org.Principal, k ReportKey) (stepPlan, error) {
				return s.planUnapprove(ctx, p, k, "", false)
			}))
	}
}

func single(q url.Values, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(q.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

func (s *Store) approvalGet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	t, err := s.resolveTarget(ctx, single(q, "wf", "ds"), single(q, "pe"), single(q, "ou"), single(q, "aoc"))
	if err != nil {
		return dhis2Answer(w, err)
	}
	if err := s.org.Authorize(ctx, org.PrincipalFrom(ctx), ViewReports, t.key.Unit); err != nil {
		return err
	}
	perm, _, err := s.approvalState(ctx, s.cansIn(ctx), t.key)
	if err != nil {
		return dhis2Answer(w, err)
	}
	httpx.JSON(w, http.StatusOK, perm)
	return nil
}

type planFunc func(context.Context, *org.Principal, ReportKey) (stepPlan, error)

// approvalStep answers POST and DELETE of dataApprovals and
// dataAcceptances: one report (each form of a repeated ds), 204 when done.
func (s *Store) approvalStep(plan planFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		q := r.URL.Query()
		wfs := params(q, "wf", "ds")
		if len(wfs) == 0 {
			wfs = []string{""}
		}
		var specs []approvalTarget
		for _, wf := range wfs {
			specs = append(specs, approvalTarget{wf: wf, pe: single(q, "pe"), ou: single(q, "ou"), aoc: single(q, "aoc")})
		}
		return s.applyAll(w, ctx, plan, specs)
	}
}

// applyAll resolves, checks and authorises every report named, then
// applies all the steps in one transaction (204), or answers the first
// refusal and writes nothing.
func (s *Store) applyAll(w http.ResponseWriter, ctx context.Context, plan planFunc, specs []approvalTarget) error {
	var plans []stepPlan
	for _, sp := range specs {
		t, err := s.resolveTarget(ctx, sp.wf, sp.pe, sp.ou, sp.aoc)
		if err != nil {
			return dhis2Answer(w, err)
		}
		p, err := plan(ctx, org.PrincipalFrom(ctx), t.key)
		if err != nil {
			return dhis2Answer(w, err)
		}
		plans = append(plans, p)
	}
	if err := s.run(ctx, plans...); err != nil {
		return dhis2Answer(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// approvalsBulk answers POST dataApprovals/approvals and /unapprovals:
// every report is checked and authorised first, then all are written in
// one transaction; the first refusal refuses them all.
func (s *Store) approvalsBulk(plan planFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		var in ApprovalsInput
		if err := json.NewDecoder(io.LimitReader(r.Body, httpx.MaxBody)).Decode(&in); err != nil {
			return dhis2Answer(w, conflictf("Invalid approvals: %v", err))
		}
		wfs := append(slices.Clone(in.WF), in.DS...)
		if len(wfs) == 0 {
			return dhis2Answer(w, conflictf("Either data sets or data approval workflows must be specified"))
		}
		if len(in.PE) == 0 {
			return dhis2Answer(w, conflictf("Approvals must have periods"))
		}
		var specs []approvalTarget
		for _, wf := range wfs {
			for _, pe := range in.PE {
				for _, a := range in.Approvals {
					specs = append(specs, approvalTarget{wf: wf, pe: pe, ou: a.OU, aoc: a.AOC})
				}
			}
		}
		return s.applyAll(w, ctx, plan, specs)
	}
}

// dhis2Form is the form a DHIS2 request names (id or code), with its
// period type; unknown, the conflict of format.
func (s *Store) dhis2Form(ctx context.Context, name, format string) (Form, PeriodType, error) {
	id, err := s.formID(ctx, name)
	if err != nil {
		return Form{}, 0, err
	}
	if id == 0 {
		return Form{}, 0, conflictf(format, name)
	}
	f, err := s.Form(ctx, id)
	if err != nil {
		return Form{}, 0, err
	}
	pt, err := ParsePeriodType(f.PeriodType)
	return f, pt, err
}

// periodsOf lists the periods a request names: pe, or the periods of the
// form's type overlapping startDate–endDate.
func periodsOf(q url.Values, pt PeriodType) ([]Period, error) {
	var out []Period
	for _, pe := range params(q, "pe", "period") {
		p, err := ParsePeriod(pe)
		if err != nil {
			return nil, conflictf("Illegal period identifier: %s", pe)
		}
		if p.Type() == pt {
			out = append(out, p)
		}
	}
	if start, end := single(q, "startDate"), single(q, "endDate"); start != "" || end != "" {
		a, err1 := time.Parse(time.DateOnly, start)
		b, err2 := time.Parse(time.DateOnly, end)
		if err1 != nil || err2 != nil || b.Before(a) {
			return nil, conflictf("Start date and end date must be valid dates, start before end: %s, %s", start, end)
		}
		out = append(out, Overlapping(pt, a, b)...)
	}
	return out, nil
}

func (s *Store) approvalsGet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	wfs, ous := params(q, "wf", "ds"), params(q, "ou")
	if len(wfs) == 0 {
		return dhis2Answer(w, conflictf("Either data sets or data approval workflows must be specified"))
	}
	if len(ous) == 0 {
		return dhis2Answer(w, conflictf("At least one organisation unit must be specified"))
	}
	if len(params(q, "pe")) == 0 && (single(q, "startDate") == "" || single(q, "endDate") == "") {
		return dhis2Answer(w, conflictf("Must have either pe or both startDate and endDate."))
	}
	cans := s.cansIn(ctx)
	out := []ApprovalStatus{}
	for _, wf := range wfs {
		_, pt, err := s.dhis2Form(ctx, wf, "Data approval workflow does not exist: %s")
		if err != nil {
			return dhis2Answer(w, err)
		}
		periods, err := periodsOf(q, pt)
		if err != nil {
			return dhis2Answer(w, err)
		}
		for _, p := range periods {
			for _, ou := range ous {
				t, err := s.resolveTarget(ctx, wf, p.String(), ou, "")
				if err != nil {
					return dhis2Answer(w, err)
				}
				if err := s.org.Authorize(ctx, org.PrincipalFrom(ctx), ViewReports, t.key.Unit); err != nil {
					return err
				}
				perm, rep, err := s.approvalState(ctx, cans, t.key)
				if err != nil {
					return dhis2Answer(w, err)
				}
				st := ApprovalStatus{WF: wf, PE: p.String(), OU: ou, AOC: defaultAOC[2], State: perm.State, Permissions: &perm}
				if rep != nil {
					st.OUName = rep.Unit.Name
					if rep.ApprovedUnit != nil {
						st.Level = rep.ApprovedUnit.Code
					}
				}
				out = append(out, st)
			}
		}
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

// regConflict is a conflict of one registration, grouped by code and
// message.
func regConflict(code ErrorCode, objectKey, object, property, msg string) Conflict {
	return Conflict{Object: object, Objects: map[string]string{objectKey: object}, Value: msg, ErrorCode: code, Property: property,
		key: string(code) + ":" + object + ":" + msg}
}

// registrationConflict turns a refused submission or withdrawal into the
// registration's conflict; other errors are returned (the import stops).
func registrationConflict(err error, reg Registration, user string) (Conflict, error) {
	switch {
	case errors.Is(err, errs.Forbidden), errors.Is(err, errs.Unauthorized):
		return NewConflict(E7617, reg.OrganisationUnit, user), nil
	case errors.Is(err, errNotAssigned):
		return regConflict(E7636, "organisationUnit", reg.OrganisationUnit, "orgUnit",
			fmt.Sprintf("Organisation unit: `%s` does not report data set: `%s` for period: `%s`", reg.OrganisationUnit, reg.DataSet, reg.Period)), nil
	case errors.Is(err, errNotEditable), errors.Is(err, errApproved):
		return NewConflict(E7642, reg.OrganisationUnit, reg.Period, reg.DataSet, "default"), nil
	case errors.Is(err, errNotSubmitted):
		return regConflict(E7642, "dataSet", reg.DataSet, "completed",
			fmt.Sprintf("Data set: `%s` is not registered complete for period: `%s` organisation unit: `%s`", reg.DataSet, reg.Period, reg.OrganisationUnit)), nil
	}
	e, ok := errs.As(err)
	if !ok {
		return Conflict{}, err
	}
	switch e.Code {
	case "report_future":
		return regConflict(E7641, "period", reg.Period, "period", "Period: `"+reg.Period+"` has not begun: "+englishMessage(e)), nil
	case "report_locked":
		return NewConflict(E7643, reg.Period, reg.DataSet), nil
	case "validation_failed":
		if len(e.Fields) > 0 && e.Fields[0].Code == "report.rule_failed" {
			return regConflict(E7698, "dataSet", reg.DataSet, "dataSet", "Validation rules violated: "+englishMessage(e)), nil
		}
		return regConflict(E7611, "period", reg.Period, "period", englishMessage(e)), nil
	}
	return regConflict(E7600, "dataSet", reg.DataSet, "dataSet", englishMessage(e)), nil
}

// registrationKey resolves a registration by the import's id schemes.
func (s *Store) registrationKey(ctx context.Context, reg Registration, opts ImportOptions) (ReportKey, *Conflict, error) {
	var form, unit int64
	var err error
	if opts.DataSetScheme() == SchemeCode {
		form, _, err = formOwner(ctx, s.db.Read, reg.DataSet)
	} else if id, perr := strconv.ParseInt(reg.DataSet, 10, 64); perr == nil {
		if _, ferr := s.Form(ctx, id); ferr == nil {
			form = id
		}
	}
	if err != nil {
		return ReportKey{}, nil, err
	}
	if form == 0 {
		c := NewConflict(E7600, reg.DataSet)
		return ReportKey{}, &c, nil
	}
	p, perr := ParsePeriod(reg.Period)
	if perr != nil {
		c := NewConflict(E7611, reg.Period)
		return ReportKey{}, &c, nil
	}
	if opts.OrgUnitScheme() == SchemeCode {
		if u, err := s.org.UnitByCode(ctx, reg.OrganisationUnit, ""); err == nil {
			unit = u.ID
		}
	} else if id, perr := strconv.ParseInt(reg.OrganisationUnit, 10, 64); perr == nil {
		if _, err := s.org.Unit(ctx, id, ""); err == nil {
			unit = id
		}
	}
	if unit == 0 {
		c := NewConflict(E7612, reg.OrganisationUnit)
		return ReportKey{}, &c, nil
	}
	if !slices.Contains(defaultAOC, reg.AttributeOptionCombo) {
		c := NewConflict(E7615, reg.AttributeOptionCombo)
		return ReportKey{}, &c, nil
	}
	return ReportKey{Form: form, Unit: unit, Period: p.String()}, nil, nil
}

func (s *Store) registrationsImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	opts, err := ParseImportOptions(r.URL.Query())
	if err != nil {
		return dhis2Answer(w, conflictf("%s", err.Error()))
	}
	// Registrations are few and quick: async runs here and now, and the
	// echo says so.
	opts.Async = false
	var doc Registrations
	if err := json.NewDecoder(io.LimitReader(r.Body, httpx.MaxBody)).Decode(&doc); err != nil {
		var b SummaryBuilder
		b.Options(opts.Echo())
		b.RefuseSet(Conflict{Value: "Invalid JSON: " + err.Error(), Property: "completeDataSetRegistrations"}, 0)
		msg := b.Summary().Message()
		httpx.JSON(w, msg.HTTPStatusCode, msg)
		return nil
	}
	user := ""
	if p != nil {
		user = p.Username
	}
	var b SummaryBuilder
	b.Options(opts.Echo())
	for i, reg := range doc.CompleteDataSetRegistrations {
		k, c, err := s.registrationKey(ctx, reg, opts)
		if err != nil {
			return err
		}
		if c != nil {
			b.Reject(i, *c)
			continue
		}
		completed := reg.Completed == nil || *reg.Completed
		if opts.Strategy == StrategyDelete {
			completed = false
		}
		row, err := readSub(ctx, s.db.Read, k)
		if err != nil {
			return err
		}
		sent := row.state == StateSubmitted || row.state == StateApproved || row.state == StateAccepted
		switch {
		case completed && sent, !completed && !sent:
			// Already registered, or not: nothing to do, once the unit is
			// known to report the form and the caller to enter its data.
			if _, err := s.prepare(ctx, k); err == nil {
				err = s.org.Authorize(ctx, p, EnterReports, k.Unit)
			}
			if err != nil {
				c, ierr := registrationConflict(err, reg, user)
				if ierr != nil {
					return ierr
				}
				b.Reject(i, c)
				continue
			}
			b.Ignored()
			continue
		case completed:
			err = s.submit(ctx, p, k, "", opts.DryRun)
		default:
			err = s.withdraw(ctx, p, k, "", opts.DryRun)
		}
		if err != nil {
			c, ierr := registrationConflict(err, reg, user)
			if ierr != nil {
				return ierr
			}
			b.Reject(i, c)
			continue
		}
		if completed {
			b.Imported()
		} else {
			b.Deleted()
		}
	}
	msg := b.Summary().Message()
	httpx.JSON(w, msg.HTTPStatusCode, msg)
	return nil
}

func (s *Store) registrationsGet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	q := r.URL.Query()
	opts, err := ParseImportOptions(q)
	if err != nil {
		return dhis2Answer(w, conflictf("%s", err.Error()))
	}
	dss, ous := params(q, "dataSet"), params(q, "orgUnit")
	if len(dss) == 0 {
		return dhis2Answer(w, conflictf("At least one valid data set must be specified"))
	}
	if len(params(q, "period")) == 0 && (single(q, "startDate") == "" || single(q, "endDate") == "") {
		return dhis2Answer(w, conflictf("At least one valid period, start/end dates, created or createdDuration must be specified"))
	}
	if len(ous) == 0 {
		return dhis2Answer(w, conflictf("At least one valid organisation unit must be specified"))
	}
	children := q.Get("children") == "true"
	var roots []int64
	for _, ou := range ous {
		id, err := s.unitID(ctx, ou)
		if err != nil {
			return err
		}
		if id == 0 {
			return dhis2Answer(w, conflictf("Organisation unit does not exist: %s", ou))
		}
		if err := s.org.Authorize(ctx, p, ViewReports, id); err != nil {
			return err
		}
		roots = append(roots, id)
	}
	cans := s.cansIn(ctx)
	out := Registrations{CompleteDataSetRegistrations: []Registration{}}
	for _, ds := range dss {
		f, pt, err := s.dhis2Form(ctx, ds, "Data set does not exist: %s")
		if err != nil {
			return dhis2Answer(w, err)
		}
		form := f.ID
		periods, err := periodsOf(url.Values{"pe": q["period"], "startDate": q["startDate"], "endDate": q["endDate"]}, pt)
		if err != nil {
			return dhis2Answer(w, err)
		}
		for _, pe := range periods {
			rs, err := s.Reports(ctx, ReportFilter{Form: form, Period: pe.String(), States: []string{StateSubmitted, StateApproved, StateAccepted}})
			if err != nil {
				return err
			}
			for _, rep := range rs {
				keep := slices.Contains(roots, rep.Unit.ID)
				if !keep && children {
					for _, root := range roots {
						if ok, err := s.org.Within(ctx, rep.Unit.ID, root); err != nil {
							return err
						} else if ok {
							keep = true
							break
						}
					}
				}
				if !keep || !cans.can(ViewReports, rep.Unit.ID) {
					continue
				}
				done := true
				reg := Registration{DataSet: strconv.FormatInt(f.ID, 10), Period: rep.Period, OrganisationUnit: strconv.FormatInt(rep.Unit.ID, 10),
					AttributeOptionCombo: defaultAOC[2], StoredBy: rep.SubmittedBy, Completed: &done, LastUpdatedBy: rep.SubmittedBy}
				if opts.DataSetScheme() == SchemeCode {
					reg.DataSet = f.Code
				}
				if opts.OrgUnitScheme() == SchemeCode {
					reg.OrganisationUnit = rep.Unit.Code
				}
				if opts.IDScheme == SchemeCode {
					reg.AttributeOptionCombo = "default"
				}
				if rep.SubmittedAt != nil {
					reg.Date = rep.SubmittedAt.In(vietnam()).Format(dhis2Time)
				}
				if rep.UpdatedAt != nil {
					reg.LastUpdated = rep.UpdatedAt.In(vietnam()).Format(dhis2Time)
				}
				out.CompleteDataSetRegistrations = append(out.CompleteDataSetRegistrations, reg)
			}
		}
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

func (s *Store) registrationsDelete(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	dss := params(q, "ds", "dataSet")
	if len(dss) == 0 {
		return dhis2Answer(w, conflictf("At least one data set must be specified"))
	}
	for _, ds := range dss {
		t, err := s.resolveTarget(ctx, ds, single(q, "pe", "period"), single(q, "ou", "orgUnit"), "")
		if err != nil {
			return dhis2Answer(w, err)
		}
		if err := s.Withdraw(ctx, org.PrincipalFrom(ctx), t.key, ""); err != nil {
			return dhis2Answer(w, err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
