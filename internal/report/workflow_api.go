package report

// The tinhso API of reports (tag report.workflow): list reports, read one
// with its values, levels and steps, take a step (submit, withdraw,
// approve, return, unapprove, reopen), read the history of its values and
// check its digests. A report is addressed as
// /api/v1/report/reports/{form}/{unit}/{period}, form and unit by id or
// code, period in DHIS2 notation.

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
)

// StepInput is the body of a step: a comment (required to return a report).
type StepInput struct {
	Comment string `json:"comment,omitempty" doc:"why; required to return a report"`
}

// ReopenInput is the body of a reopening.
type ReopenInput struct {
	Until  string `json:"until" doc:"YYYY-MM-DD: the last day the period stays open for the unit"`
	Reason string `json:"reason"`
}

const reportPath = "/api/v1/report/reports/{form}/{unit}/{period}"

// formID resolves a form named by id or code (0 when none).
func (s *Store) formID(ctx context.Context, v string) (int64, error) {
	v = strings.TrimSpace(v)
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		if _, err := s.Form(ctx, id); err == nil {
			return id, nil
		}
	}
	id, _, err := formOwner(ctx, s.db.Read, strings.ToUpper(v))
	return id, err
}

// unitID resolves a unit named by id or code (0 when none).
func (s *Store) unitID(ctx context.Context, v string) (int64, error) {
	v = strings.TrimSpace(v)
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		if _, err := s.org.Unit(ctx, id, ""); err == nil {
			return id, nil
		}
	}
	u, err := s.org.UnitByCode(ctx, strings.ToUpper(v), "")
	if err != nil {
		return 0, nil
	}
	return u.ID, nil
}

// apiKey reads the report a route is about from its path.
func (s *Store) apiKey(r *http.Request) (ReportKey, error) {
	form, err := s.formID(r.Context(), r.PathValue("form"))
	if err != nil {
		return ReportKey{}, err
	}
	unit, err := s.unitID(r.Context(), r.PathValue("unit"))
	if err != nil {
		return ReportKey{}, err
	}
	if form == 0 || unit == 0 {
		return ReportKey{}, errs.NotFound
	}
	return ReportKey{Form: form, Unit: unit, Period: strings.TrimSpace(r.PathValue("period"))}, nil
}

func (s *Store) workflowRoutes(api *httpx.API) {
	const tag = "report.workflow"
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/reports", Tag: tag, Summary: "Reports (form × unit × period) with their state, the level they wait at, submission and approval times, on-time flag and digest; only units in the caller's scope",
		Response: Report{}, List: true, Query: []string{
			"form: form id or code", "period: DHIS2 period, e.g. 2026Q4", "unit: reporting unit id or code", "waiting: id or code of the level they wait at",
			"state: comma-separated states (open, draft, submitted, returned, approved, accepted)", "expected: true, with form and period: also the units still to start, as open reports"}},
		s.reportsList)
	api.Handle(httpx.Route{Method: "GET", Path: reportPath, Tag: tag, Summary: "One report: values, rules, approval levels, deadline, lock and steps", Response: ReportDetail{}},
		func(w http.ResponseWriter, r *http.Request) error {
			k, err := s.readable(r)
			if err != nil {
				return err
			}
			d, err := s.Detail(r.Context(), k)
			if err != nil {
				return err
			}
			httpx.JSON(w, http.StatusOK, d)
			return nil
		})
	steps := []struct {
		name, summary string
		fn            func(context.Context, *org.Principal, ReportKey, string) error
	}{
		{"submit", "Submit (gửi) the report: report.enter on the unit; the rules must pass and the period be open", s.Submit},
		{"withdraw", "Withdraw (rút lại) a submission no level approved yet: report.enter on the unit", s.Withdraw},
		{"approve", "Approve (phê duyệt) at the level the report waits at: report.approve there; the last level's approval is final", s.Approve},
		{"return", "Return (trả lại) the report to its unit with a comment: report.approve at the level it waits at", s.Return},
		{"unapprove", "Withdraw (hủy) the last approval: report.approve at the level that gave it", s.Unapprove},
	}
	for _, st := range steps {
		api.Handle(httpx.Route{Method: "POST", Path: reportPath + "/" + st.name, Tag: tag, Summary: st.summary, Request: StepInput{}, Response: Report{}},
			func(w http.ResponseWriter, r *http.Request) error {
				k, err := s.apiKey(r)
				if err != nil {
					return err
				}
				var in StepInput
				if r.ContentLength != 0 {
					if err := httpx.Decode(r, &in); err != nil {
						return err
					}
				}
				if err := st.fn(r.Context(), org.PrincipalFrom(r.Context()), k, in.Comment); err != nil {
					return err
				}
				return s.answerReport(w, r, k)
			})
	}
	api.Handle(httpx.Route{Method: "POST", Path: reportPath + "/reopen", Tag: tag, Summary: "Reopen (mở lại) the period for the unit until a day: report.manage on the unit (the coordinator)", Request: ReopenInput{}, Response: Report{}},
		func(w http.ResponseWriter, r *http.Request) error {
			k, err := s.apiKey(r)
			if err != nil {
				return err
			}
			var in ReopenInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			if err := s.Reopen(r.Context(), org.PrincipalFrom(r.Context()), k, in.Until, in.Reason); err != nil {
				return err
			}
			return s.answerReport(w, r, k)
		})
	api.Handle(httpx.Route{Method: "GET", Path: reportPath + "/history", Tag: tag, Summary: "Every change of the report's values: who, when, old → new, why, through what; newest first", Response: ValueChange{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			k, err := s.apiKey(r)
			if err != nil {
				return err
			}
			pg, err := httpx.PageOf(r, 100, 1000)
			if err != nil {
				return err
			}
			if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewReports, k.Unit); err != nil {
				return err
			}
			h, err := s.History(r.Context(), k)
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(h, pg), len(h), pg)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: reportPath + "/verify", Tag: tag, Summary: "Recompute the report's SHA-256 digests: now against the last submission or approval, and each step against the values the history holds for its instant", Response: Verification{}},
		func(w http.ResponseWriter, r *http.Request) error {
			k, err := s.readable(r)
			if err != nil {
				return err
			}
			v, err := s.Verify(r.Context(), k)
			if err != nil {
				return err
			}
			httpx.JSON(w, http.StatusOK, v)
			return nil
		})
}

// readable is the report of the route's path, once the caller may read
// its unit's reports.
func (s *Store) readable(r *http.Request) (ReportKey, error) {
	k, err := s.apiKey(r)
	if err == nil {
		err = s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewReports, k.Unit)
	}
	return k, err
}

func (s *Store) answerReport(w http.ResponseWriter, r *http.Request, k ReportKey) error {
	rep, err := s.Report(r.Context(), k)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, rep)
	return nil
}

var reportStates = []string{"open", StateDraft, StateSubmitted, StateReturned, StateApproved, StateAccepted}

func (s *Store) reportsList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, ViewReports, 0); err != nil {
		return err
	}
	q := r.URL.Query()
	var f ReportFilter
	v := errs.Validator{Context: "report"}
	var err error
	if x := q.Get("form"); x != "" {
		if f.Form, err = s.formID(ctx, x); err != nil {
			return err
		}
		v.Check(f.Form != 0, "form", "report.unknown_form", x)
	}
	if x := q.Get("unit"); x != "" {
		if f.Unit, err = s.unitID(ctx, x); err != nil {
			return err
		}
		v.Check(f.Unit != 0, "unit", "unknown_unit", x)
	}
	if x := q.Get("waiting"); x != "" {
		if f.Waiting, err = s.unitID(ctx, x); err != nil {
			return err
		}
		v.Check(f.Waiting != 0, "waiting", "unknown_unit", x)
	}
	if x := strings.TrimSpace(q.Get("period")); x != "" {
		p, err := ParsePeriod(x)
		if err != nil {
			return err
		}
		f.Period = p.String()
	}
	if x := q.Get("state"); x != "" {
		f.States = []string{}
		for _, st := range strings.Split(x, ",") {
			st = strings.TrimSpace(st)
			if !slices.Contains(reportStates, st) {
				v.Add("state", "one_of", strings.Join(reportStates, ", "))
				break
			}
			if st == "open" {
				st = StateOpen
			}
			f.States = append(f.States, st)
		}
	}
	f.Expected = q.Get("expected") == "true"
	if f.Expected && (f.Form == 0 || f.Period == "") {
		v.Add("expected", "report.expected_needs")
	}
	pg, perr := httpx.PageOf(r, 100, 1000)
	if err := v.Err(); err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	rs, err := s.Reports(ctx, f)
	if err != nil {
		return err
	}
	cans := s.cansIn(ctx)
	out := []Report{}
	for _, rep := range rs {
		if cans.can(ViewReports, rep.Unit.ID) {
			out = append(out, rep)
		}
	}
	httpx.List(w, r, httpx.Slice(out, pg), len(out), pg)
	return nil
}
