package dti

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// States of a unit in an assessment.
const (
	StateOpen      = "open"      // self-assessing
	StateSubmitted = "submitted" // waiting for the preliminary review
	StateReturned  = "returned"  // the review asked for more evidence
	StateReviewed  = "reviewed"  // waiting for the appraisal council
	StateAppraised = "appraised" // waiting for publication
	StatePublished = "published" // final, locked; corrections are revisions
)

// Review decisions on one component.
const (
	Accept      = "accept"
	Adjust      = "adjust"
	AskEvidence = "evidence"
)

// UnitRef names a unit with its province.
type UnitRef struct {
	ID    int64  `json:"id"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	Label string `json:"label,omitempty"`
}

// FrameworkRef names a framework.
type FrameworkRef struct {
	ID          int64   `json:"id"`
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	Level       string  `json:"level"`
	TotalPoints float64 `json:"totalPoints"`
}

// Assessment is one framework applied to some units for a year.
type Assessment struct {
	ID          int64            `json:"id"`
	Framework   FrameworkRef     `json:"framework"`
	Year        int              `json:"year"`
	Owner       UnitRef          `json:"owner" doc:"the unit that runs it"`
	Name        string           `json:"name"`
	Deadline    string           `json:"deadline" doc:"YYYY-MM-DD: the last day of self-assessment"`
	Guidance    string           `json:"guidance,omitempty" doc:"the evidence guidance"`
	CreatedAt   time.Time        `json:"createdAt"`
	PublishedAt *time.Time       `json:"publishedAt,omitempty"`
	Units       []AssessmentUnit `json:"units"`
}

// AssessmentUnit is a unit's place in an assessment.
type AssessmentUnit struct {
	Unit     UnitRef `json:"unit"`
	State    string  `json:"state" doc:"open, submitted, returned, reviewed, appraised or published"`
	Revision int     `json:"revision" doc:"the published revision (0 before publication)"`
	Scored   int     `json:"scored" doc:"components self-assessed"`
}

// AssessmentInput opens an assessment.
type AssessmentInput struct {
	Framework int64   `json:"framework" doc:"framework id"`
	Year      int     `json:"year"`
	Owner     int64   `json:"owner" doc:"id of the unit that runs it (e.g. the province)"`
	Name      string  `json:"name,omitempty" doc:"the framework's name and the year when absent"`
	Deadline  string  `json:"deadline" doc:"YYYY-MM-DD or dd/mm/yyyy: the last day of self-assessment"`
	Guidance  string  `json:"guidance,omitempty"`
	Units     []int64 `json:"units" doc:"ids of the units assessed, under the owner, of the framework's level"`
}

// stateError is a step refused because of the unit's state.
func stateError(state string) error {
	return &errs.Error{Status: http.StatusConflict, Code: "dti_state", Key: "error.dti.state", Args: []any{locale.Key("dti.state." + state)}}
}

var vnZone = time.FixedZone("ICT", 7*3600)

// Open opens an assessment for p: dti.manage on the owner.
func (s *Store) Open(ctx context.Context, p *org.Principal, in AssessmentInput) (int64, error) {
	in.Name, in.Guidance, in.Deadline = strings.TrimSpace(in.Name), strings.TrimSpace(in.Guidance), strings.TrimSpace(in.Deadline)
	if in.Owner != 0 {
		if _, err := s.org.Unit(ctx, in.Owner, ""); err == nil {
			if err := s.org.Authorize(ctx, p, ManageDTI, in.Owner); err != nil {
				return 0, err
			}
		}
	}
	if err := s.org.Authorize(ctx, p, ManageDTI, 0); err != nil {
		return 0, err
	}
	v := errs.Validator{Context: "dti"}
	f, err := s.Framework(ctx, in.Framework)
	if errors.Is(err, errs.NotFound) {
		v.Add("framework", "not_found")
	} else if err != nil {
		return 0, err
	}
	if f.ID != 0 {
		v.Check(in.Year >= f.YearFrom && in.Year <= f.YearTo, "year", "dti.year_outside", f.YearFrom, f.YearTo)
		// A draft built on the editor's pages is used once it is whole.
		problems, err := s.Problems(ctx, f)
		if err != nil {
			return 0, err
		}
		v.Check(len(problems) == 0, "framework", "dti.framework_incomplete", f.Code, len(problems))
	}
	owner, err := s.org.Unit(ctx, in.Owner, "")
	if err != nil {
		v.Add("owner", "unknown_unit_id", in.Owner)
	}
	if in.Name == "" && f.ID != 0 {
		in.Name = fmt.Sprintf("%s — %d", f.Name, in.Year)
	}
	v.Text("name", in.Name, errs.Line)
	v.Text("guidance", in.Guidance, errs.Paragraph)
	if d := locale.FormDate(in.Deadline); org.ValidDate(d) {
		in.Deadline = d
	} else {
		v.Add("deadline", "date")
	}
	if len(in.Units) == 0 {
		v.Add("units", "min_items", 1)
	}
	seen := map[int64]bool{}
	for i, id := range in.Units {
		field := fmt.Sprintf("units[%d]", i)
		u, err := s.org.Unit(ctx, id, "")
		switch {
		case err != nil:
			v.Add(field, "unknown_unit_id", id)
			continue
		case seen[id]:
			v.Add(field, "duplicate", u.Code)
			continue
		}
		seen[id] = true
		if owner.ID != 0 {
			if ok, err := s.org.Within(ctx, id, owner.ID); err != nil {
				return 0, err
			} else if !ok {
				v.Add(field, "dti.outside_owner", u.Code, owner.Code)
			}
		}
		if f.ID != 0 && org.LevelOf(u.Kind) != f.Level {
			v.Add(field, "dti.wrong_level", u.Code, locale.Key("dti.level."+f.Level))
		}
		if in.Year != 0 && (u.ValidFrom > fmt.Sprintf("%04d-12-31", in.Year) || (u.ValidTo != "" && u.ValidTo < fmt.Sprintf("%04d-01-01", in.Year))) {
			v.Add(field, "dti.not_in_year", u.Code, in.Year)
		}
		if f.ID != 0 {
			var n int
			if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM dti_assessment_units au JOIN dti_assessments a ON a.id = au.assessment_id
				WHERE a.framework_id = $1 AND a.year = $2 AND au.unit_id = $3`, f.ID, in.Year, id).Scan(&n); err != nil {
				return 0, err
			}
			v.Check(n == 0, field, "dti.already_assessed", u.Code, in.Year)
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The framework's row first: an edit of its structure
		// (EditFramework) waits for this assessment, or this for the edit.
		if _, err := tx.ExecContext(ctx, `UPDATE dti_frameworks SET revision = revision WHERE id = $1`, f.ID); err != nil {
			return err
		}
		now := store.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO dti_assessments (framework_id, year, owner_unit_id, name, deadline, guidance, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			f.ID, in.Year, owner.ID, in.Name, in.Deadline, in.Guidance, userArg(p), now).Scan(&id); err != nil {
			return err
		}
		for _, u := range in.Units {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dti_assessment_units (assessment_id, unit_id, state, updated_at) VALUES ($1, $2, $3, $4)`, id, u, StateOpen, now); err != nil {
				return err
			}
		}
		if err := event(ctx, tx, id, 0, 0, "open", nil, in.Deadline, p, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTIOpen, fmt.Sprintf("%s %d", f.Code, in.Year), fmt.Sprintf("%s: %d units, deadline %s", owner.Code, len(in.Units), in.Deadline), true))
	})
	return id, err
}

func userArg(p *org.Principal) sql.NullInt64 {
	if p == nil || p.UserID == 0 {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: p.UserID, Valid: true}
}

// event writes one line of an assessment's history.
func event(ctx context.Context, tx *sql.Tx, assessment, unitRow, component int64, action string, score *float64, comment string, p *org.Principal, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO dti_events (assessment_id, assessment_unit_id, component_id, action, score, comment, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		assessment, nullInt(unitRow), nullInt(component), action, nullFloat(score), comment, userArg(p), at)
	return err
}

func nullInt(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

// Assessments lists the assessments p may see (run by a unit in, or
// assessing a unit in, one of p's dti.view scopes), newest year first.
func (s *Store) Assessments(ctx context.Context, p *org.Principal) ([]Assessment, error) {
	all, err := s.assessments(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Assessment
	for _, a := range all {
		if ok, err := s.mayView(ctx, p, a); err != nil {
			return nil, err
		} else if ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// mayView: dti.view on the owner, or on one of the units assessed.
func (s *Store) mayView(ctx context.Context, p *org.Principal, a Assessment) (bool, error) {
	if ok, err := s.org.Can(ctx, p, ViewDTI, a.Owner.ID); err != nil || ok {
		return ok, err
	}
	for _, u := range a.Units {
		if ok, err := s.org.Can(ctx, p, ViewDTI, u.Unit.ID); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// Assessment is one assessment, for p.
func (s *Store) Assessment(ctx context.Context, p *org.Principal, id int64) (Assessment, error) {
	list, err := s.assessments(ctx, "WHERE a.id = $1", id)
	if err != nil {
		return Assessment{}, err
	}
	if len(list) == 0 {
		return Assessment{}, errs.NotFound
	}
	a := list[0]
	if ok, err := s.mayView(ctx, p, a); err != nil {
		return Assessment{}, err
	} else if !ok {
		return Assessment{}, s.org.Authorize(ctx, p, ViewDTI, a.Owner.ID)
	}
	return a, nil
}

func (s *Store) assessments(ctx context.Context, where string, args ...any) ([]Assessment, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT a.id, f.id, f.code, f.name, f.level, f.total_points, a.year, a.owner_unit_id, a.name, a.deadline, a.guidance, a.created_at, a.published_at
		FROM dti_assessments a JOIN dti_frameworks f ON f.id = a.framework_id `+where+` ORDER BY a.year DESC, a.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	var out []Assessment
	index := map[int64]int{}
	unitIDs := []int64{}
	for rows.Next() {
		var a Assessment
		var pub sql.NullTime
		if err := rows.Scan(&a.ID, &a.Framework.ID, &a.Framework.Code, &a.Framework.Name, &a.Framework.Level, &a.Framework.TotalPoints, &a.Year, &a.Owner.ID, &a.Name, &a.Deadline, &a.Guidance, &a.CreatedAt, &pub); err != nil {
			rows.Close()
			return nil, err
		}
		if pub.Valid {
			a.PublishedAt = &pub.Time
		}
		a.Units = []AssessmentUnit{}
		index[a.ID] = len(out)
		unitIDs = append(unitIDs, a.Owner.ID)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	var ids []int64
	for _, a := range out {
		ids = append(ids, a.ID)
	}
	var qa []any
	urows, err := s.db.Read.QueryContext(ctx, `SELECT au.assessment_id, au.unit_id, au.state, au.revision, (SELECT COUNT(*) FROM dti_scores sc WHERE sc.assessment_unit_id = au.id)
		FROM dti_assessment_units au WHERE au.assessment_id IN (`+store.InList(&qa, ids)+`) ORDER BY au.assessment_id, au.id`, qa...)
	if err != nil {
		return nil, err
	}
	for urows.Next() {
		var aid int64
		var u AssessmentUnit
		if err := urows.Scan(&aid, &u.Unit.ID, &u.State, &u.Revision, &u.Scored); err != nil {
			urows.Close()
			return nil, err
		}
		unitIDs = append(unitIDs, u.Unit.ID)
		out[index[aid]].Units = append(out[index[aid]].Units, u)
	}
	urows.Close()
	refs, err := s.unitRefs(ctx, unitIDs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Owner = refs[out[i].Owner.ID]
		for j := range out[i].Units {
			out[i].Units[j].Unit = refs[out[i].Units[j].Unit.ID]
		}
	}
	return out, nil
}

// unitRefs names units with their province.
func (s *Store) unitRefs(ctx context.Context, ids []int64) (map[int64]UnitRef, error) {
	units := map[int64]org.Unit{}
	// In chunks: a long list of parameters costs SQLite quadratic time to
	// parse.
	for start := 0; start < len(ids); start += 500 {
		part, err := s.org.UnitsByID(ctx, ids[start:min(start+500, len(ids))])
		if err != nil {
			return nil, err
		}
		maps.Copy(units, part)
	}
	out := make(map[int64]UnitRef, len(units))
	for id, u := range units {
		label := u.Label
		if label == "" {
			label = u.Name
		}
		out[id] = UnitRef{ID: id, Code: u.Code, Name: u.Name, Label: label}
	}
	return out, nil
}

// unitRow is a unit's row in an assessment, with what the steps need.
type unitRow struct {
	id, assessment, unit, owner int64
	state                       string
	revision, year              int
	deadline                    string
	framework                   Framework
}

func (s *Store) unitRow(ctx context.Context, q store.Querier, assessment, unit int64) (unitRow, error) {
	var r unitRow
	var fid int64
	err := q.QueryRowContext(ctx, `SELECT au.id, au.assessment_id, au.unit_id, a.owner_unit_id, au.state, au.revision, a.year, a.deadline, a.framework_id
		FROM dti_assessment_units au JOIN dti_assessments a ON a.id = au.assessment_id WHERE au.assessment_id = $1 AND au.unit_id = $2`, assessment, unit).
		Scan(&r.id, &r.assessment, &r.unit, &r.owner, &r.state, &r.revision, &r.year, &r.deadline, &fid)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errs.NotFound
	} else if err != nil {
		return r, err
	}
	list, err := s.frameworks(ctx, q, "WHERE f.id = $1", fid)
	if err != nil {
		return r, err
	}
	r.framework = list[0]
	return r, nil
}

// component finds a component of the row's framework by code.
func (r unitRow) component(code string) (Component, bool) {
	for _, c := range r.framework.Components() {
		if c.Code == code {
			return c, true
		}
	}
	return Component{}, false
}

// setState moves the row from one of the states in from to next; a row
// another request moved first fails as a state conflict.
func setState(ctx context.Context, tx *sql.Tx, r unitRow, next string, now time.Time, from ...string) error {
	var a []any
	a = append(a, next, now, r.id)
	ph := make([]string, len(from))
	for i, f := range from {
		a = append(a, f)
		ph[i] = fmt.Sprintf("$%d", len(a))
	}
	res, err := tx.ExecContext(ctx, `UPDATE dti_assessment_units SET state = $1, updated_at = $2 WHERE id = $3 AND state IN (`+strings.Join(ph, ",")+`)`, a...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return stateError(r.state)
	}
	return nil
}
