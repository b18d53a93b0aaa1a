package dti

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
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

// ScoreInput is a unit's self-assessment of one component.
type ScoreInput struct {
	Component   string           `json:"component" doc:"the component's code"`
	Input       Input            `json:"input" doc:"what the unit declares, as the rule reads it; empty for a component that computes itself"`
	Comment     string           `json:"comment,omitempty"`
	Explanation string           `json:"explanation,omitempty" doc:"how the score was determined, where evidence is missing or insufficient"`
	Evidence    []plan.FileInput `json:"evidence,omitempty" doc:"evidence files (base64): PDF, Word, Excel, PNG/JPEG images or text, up to 10 MB each"`
}

// Computed is what a computed component read.
type Computed struct {
	Indicator string  `json:"indicator"`
	Year      int     `json:"year"`
	Value     float64 `json:"value"`
}

// deadlinePassed reports whether a row's self-assessment window has
// closed: the end of the deadline's day in Vietnam.
func (s *Store) deadlinePassed(deadline string) bool {
	d, err := time.ParseInLocation(time.DateOnly, deadline, vnZone)
	return err == nil && !s.Now().Before(d.AddDate(0, 0, 1))
}

// SelfAssess records a unit's score of one component with its evidence,
// for p: dti.assess on the unit, while the unit is open and before the
// deadline, or returned for more evidence on that component.
func (s *Store) SelfAssess(ctx context.Context, p *org.Principal, assessment, unit int64, in ScoreInput) error {
	r, err := s.unitRow(ctx, s.db.Read, assessment, unit)
	if err != nil {
		return err
	}
	if err := s.org.Authorize(ctx, p, AssessDTI, unit); err != nil {
		return err
	}
	switch r.state {
	case StateOpen:
		if s.deadlinePassed(r.deadline) {
			return &errs.Error{Status: http.StatusConflict, Code: "deadline_passed", Key: "error.dti.deadline", Args: []any{locale.ISODate(locale.VI, r.deadline)}}
		}
	case StateReturned:
	default:
		return stateError(r.state)
	}
	in.Component, in.Comment, in.Explanation = strings.TrimSpace(in.Component), strings.TrimSpace(in.Comment), strings.TrimSpace(in.Explanation)
	v := errs.Validator{Context: "dti"}
	c, ok := r.component(in.Component)
	if !ok {
		v.Add("component", "dti.unknown_component", in.Component)
		return v.Err()
	}
	v.Text("comment", in.Comment, errs.Paragraph)
	v.Text("explanation", in.Explanation, errs.Paragraph)
	var prior struct {
		id       int64
		review   string
		evidence int
	}
	err = s.db.Read.QueryRowContext(ctx, `SELECT id, review, (SELECT COUNT(*) FROM dti_evidence e WHERE e.score_id = dti_scores.id) FROM dti_scores WHERE assessment_unit_id = $1 AND component_id = $2`, r.id, c.ID).
		Scan(&prior.id, &prior.review, &prior.evidence)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if r.state == StateReturned && prior.review != AskEvidence {
		v.Add("component", "dti.not_asked", c.Code)
	}
	var computed *Computed
	input := in.Input
	if c.Indicator != "" && input.IsZero() {
		val, ok, err := s.indicatorValue(ctx, c.Indicator, unit, r.year)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("input", "dti.no_indicator_value", c.Indicator, r.year)
		} else {
			input, _ = FromValue(c.Rule, val)
			computed = &Computed{Indicator: c.Indicator, Year: r.year, Value: val}
		}
	}
	score := 0.0
	if computed != nil || !input.IsZero() || c.Indicator == "" {
		var fe []errs.Field
		score, fe = Evaluate(c.Rule, c.MaxPoints, input, "input.")
		for _, f := range fe {
			v.Add(f.Name, f.Code, f.Args...)
		}
	}
	for i, a := range in.Evidence {
		f := fmt.Sprintf("evidence[%d]", i)
		v.Check(strings.TrimSpace(a.Filename) != "", f+".filename", "required")
		v.Text(f+".filename", a.Filename, errs.Name)
		v.Check(len(a.Data) > 0, f+".data", "required")
		v.Check(len(a.Data) <= plan.MaxAttachment, f+".data", "file_too_large", plan.MaxAttachment>>20)
		v.Check(plan.AllowedTypes[a.ContentType], f+".contentType", "file_type", a.Filename)
		if plan.AllowedTypes[a.ContentType] && len(a.Data) > 0 && len(a.Data) <= plan.MaxAttachment && !plan.ContentMatches(a.ContentType, a.Data) {
			v.Add(f+".data", "content_mismatch", a.Filename, a.ContentType)
		}
	}
	if prior.evidence+len(in.Evidence) == 0 && in.Explanation == "" {
		v.Add("explanation", "dti.evidence_or_explanation")
	}
	if err := v.Err(); err != nil {
		return err
	}
	inputJSON, _ := json.Marshal(input)
	computedJSON := ""
	if computed != nil {
		b, _ := json.Marshal(computed)
		computedJSON = string(b)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		from := []string{StateOpen}
		if r.state == StateReturned {
			from = []string{StateReturned}
		}
		if err := setState(ctx, tx, r, r.state, now, from...); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM dti_scores WHERE assessment_unit_id = $1 AND component_id = $2`, r.id, c.ID).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.QueryRowContext(ctx, `INSERT INTO dti_scores (assessment_unit_id, component_id, input, computed, self_score, comment, explanation, self_by, self_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, r.id, c.ID, string(inputJSON), computedJSON, score, in.Comment, in.Explanation, userArg(p), now).Scan(&id)
		case err == nil:
			// A new self-assessment clears the review it answers.
			_, err = tx.ExecContext(ctx, `UPDATE dti_scores SET input = $1, computed = $2, self_score = $3, comment = $4, explanation = $5, self_by = $6, self_at = $7,
				review = '', review_score = NULL, review_reason = '', reviewed_by = NULL, reviewed_at = NULL WHERE id = $8`,
				string(inputJSON), computedJSON, score, in.Comment, in.Explanation, userArg(p), now, id)
		}
		if err != nil {
			return err
		}
		for _, a := range in.Evidence {
			sum := sha256.Sum256(a.Data)
			if _, err := tx.ExecContext(ctx, `INSERT INTO dti_evidence (score_id, filename, content_type, size, sha256, data, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				id, strings.TrimSpace(a.Filename), a.ContentType, len(a.Data), hex.EncodeToString(sum[:]), a.Data, userArg(p), now); err != nil {
				return err
			}
		}
		if err := event(ctx, tx, r.assessment, r.id, c.ID, "self", &score, in.Comment, p, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTISelf, s.subject(ctx, r), fmt.Sprintf("%s = %s (%d evidence)", c.Code, locale.Number(locale.EN, score, 2), len(in.Evidence)), true))
	})
}

// indicatorValue asks the indicator source, if any.
func (s *Store) indicatorValue(ctx context.Context, code string, unit int64, year int) (float64, bool, error) {
	if s.Indicators == nil {
		return 0, false, nil
	}
	return s.Indicators.Value(ctx, code, unit, year)
}

// subject names a unit's row in the audit trail: framework, year, unit.
func (s *Store) subject(ctx context.Context, r unitRow) string {
	code := fmt.Sprint(r.unit)
	if u, err := s.org.Unit(ctx, r.unit, ""); err == nil {
		code = u.Code
	}
	return fmt.Sprintf("%s %d %s", r.framework.Code, r.year, code)
}

// Submit sends a unit's self-assessment to the review: every component
// scored.
func (s *Store) Submit(ctx context.Context, p *org.Principal, assessment, unit int64) error {
	r, err := s.unitRow(ctx, s.db.Read, assessment, unit)
	if err != nil {
		return err
	}
	if err := s.org.Authorize(ctx, p, AssessDTI, unit); err != nil {
		return err
	}
	if r.state != StateOpen && r.state != StateReturned {
		return stateError(r.state)
	}
	if r.state == StateOpen && s.deadlinePassed(r.deadline) {
		return &errs.Error{Status: http.StatusConflict, Code: "deadline_passed", Key: "error.dti.deadline", Args: []any{locale.ISODate(locale.VI, r.deadline)}}
	}
	scores, err := s.scoreRows(ctx, s.db.Read, r.id)
	if err != nil {
		return err
	}
	var missing, asked []string
	for _, c := range r.framework.Components() {
		sc, ok := scores[c.ID]
		switch {
		case !ok:
			missing = append(missing, c.Code)
		case sc.Review == AskEvidence:
			asked = append(asked, c.Code)
		}
	}
	v := errs.Validator{Context: "dti"}
	if len(missing) > 0 {
		v.Add("scores", "dti.missing_scores", len(missing), strings.Join(first(missing, 10), ", "))
	}
	if len(asked) > 0 {
		v.Add("scores", "dti.evidence_pending", strings.Join(first(asked, 10), ", "))
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		if err := setState(ctx, tx, r, StateSubmitted, now, StateOpen, StateReturned); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dti_assessment_units SET submitted_at = $1 WHERE id = $2`, now, r.id); err != nil {
			return err
		}
		if err := event(ctx, tx, r.assessment, r.id, 0, "submit", nil, "", p, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTISubmit, s.subject(ctx, r), "", true))
	})
}

func first(list []string, n int) []string {
	if len(list) > n {
		return append(slices.Clone(list[:n]), "…")
	}
	return list
}

// Decision is the preliminary review of one component.
type Decision struct {
	Component string   `json:"component"`
	Action    string   `json:"action" doc:"accept, adjust (with score and reason) or evidence (ask for more, with reason)"`
	Score     *float64 `json:"score,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

// ReviewInput is a round of the preliminary review.
type ReviewInput struct {
	Decisions []Decision `json:"decisions"`
	// AcceptRest accepts every component the review has not decided yet.
	AcceptRest bool `json:"acceptRest,omitempty" doc:"accept every component not decided yet"`
}

// Review records review decisions, for p: dti.review on the unit, while
// it is submitted. Once every component is decided the unit moves on:
// returned when evidence was asked for, reviewed otherwise.
func (s *Store) Review(ctx context.Context, p *org.Principal, assessment, unit int64, in ReviewInput) (string, error) {
	r, err := s.unitRow(ctx, s.db.Read, assessment, unit)
	if err != nil {
		return "", err
	}
	if err := s.org.Authorize(ctx, p, ReviewDTI, unit); err != nil {
		return "", err
	}
	if r.state != StateSubmitted {
		return "", stateError(r.state)
	}
	scores, err := s.scoreRows(ctx, s.db.Read, r.id)
	if err != nil {
		return "", err
	}
	v := errs.Validator{Context: "dti"}
	if len(in.Decisions) == 0 && !in.AcceptRest {
		v.Add("decisions", "min_items", 1)
	}
	decided := map[string]int{}
	type change struct {
		c Component
		d Decision
	}
	var changes []change
	for i, d := range in.Decisions {
		f := fmt.Sprintf("decisions[%d].", i)
		d.Component, d.Action, d.Reason = strings.TrimSpace(d.Component), strings.TrimSpace(d.Action), strings.TrimSpace(d.Reason)
		c, ok := r.component(d.Component)
		if !ok {
			v.Add(f+"component", "dti.unknown_component", d.Component)
			continue
		}
		if j, dup := decided[c.Code]; dup {
			v.Add(f+"component", "duplicate_of", c.Code, fmt.Sprintf("decisions[%d]", j))
			continue
		}
		decided[c.Code] = i
		v.Text(f+"reason", d.Reason, errs.Paragraph)
		switch d.Action {
		case Accept:
			v.Check(d.Score == nil, f+"score", "dti.no_score_on_accept")
		case Adjust:
			checkScore(&v, f+"score", d.Score, c.MaxPoints)
			v.Check(d.Reason != "", f+"reason", "dti.reason_required")
		case AskEvidence:
			v.Check(d.Score == nil, f+"score", "dti.no_score_on_accept")
			v.Check(d.Reason != "", f+"reason", "dti.reason_required")
		default:
			v.Add(f+"action", "one_of", "accept, adjust, evidence")
		}
		changes = append(changes, change{c, d})
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if in.AcceptRest {
		for _, c := range r.framework.Components() {
			if _, ok := decided[c.Code]; !ok && scores[c.ID].Review == "" {
				changes = append(changes, change{c, Decision{Component: c.Code, Action: Accept}})
			}
		}
	}
	// What the review will hold once these decisions are in.
	after := map[int64]string{}
	for id, sc := range scores {
		after[id] = sc.Review
	}
	for _, ch := range changes {
		after[ch.c.ID] = reviewOf(ch.d.Action)
	}
	next := StateReviewed
	for _, c := range r.framework.Components() {
		switch after[c.ID] {
		case "":
			next = StateSubmitted
		case AskEvidence:
			if next != StateSubmitted {
				next = StateReturned
			}
		}
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		if err := setState(ctx, tx, r, next, now, StateSubmitted); err != nil {
			return err
		}
		for _, ch := range changes {
			if _, err := tx.ExecContext(ctx, `UPDATE dti_scores SET review = $1, review_score = $2, review_reason = $3, reviewed_by = $4, reviewed_at = $5 WHERE assessment_unit_id = $6 AND component_id = $7`,
				reviewOf(ch.d.Action), nullFloat(ch.d.Score), ch.d.Reason, userArg(p), now, r.id, ch.c.ID); err != nil {
				return err
			}
			if err := event(ctx, tx, r.assessment, r.id, ch.c.ID, ch.d.Action, ch.d.Score, ch.d.Reason, p, now); err != nil {
				return err
			}
		}
		if next != StateSubmitted {
			if err := event(ctx, tx, r.assessment, r.id, 0, next, nil, "", p, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTIReview, s.subject(ctx, r), fmt.Sprintf("%d decisions, %s", len(changes), next), true))
	})
	return next, err
}

func reviewOf(action string) string {
	switch action {
	case Accept:
		return "accepted"
	case Adjust:
		return "adjusted"
	}
	return action
}

// checkScore refuses a missing, negative or too high score.
func checkScore(v *errs.Validator, field string, score *float64, max float64) {
	switch {
	case score == nil:
		v.Add(field, "required")
	case *score < 0:
		v.Add(field, "dti.negative")
	case *score > max+tolerance:
		v.Add(field, "dti.above_max", locale.Num(*score), locale.Num(max))
	}
}

// AppraisedScore is the council's score of one component.
type AppraisedScore struct {
	Component string   `json:"component"`
	Score     *float64 `json:"score"`
	Reason    string   `json:"reason,omitempty" doc:"required when the score differs from the reviewed one"`
}

// AppraisalInput is the appraisal council's decision on a unit: the
// components it changes; every other component keeps its reviewed score.
type AppraisalInput struct {
	Scores []AppraisedScore `json:"scores"`
}

// ErrSelfAssessed refuses an appraisal by someone who self-assessed the
// same unit.
var ErrSelfAssessed = &errs.Error{Status: http.StatusForbidden, Code: "self_assessed", Key: "error.dti.self_assessed"}

// Appraise records the council's scores, for p: dti.appraise on the unit,
// once it is reviewed, and never by someone who self-assessed it.
func (s *Store) Appraise(ctx context.Context, p *org.Principal, assessment, unit int64, in AppraisalInput) error {
	r, err := s.unitRow(ctx, s.db.Read, assessment, unit)
	if err != nil {
		return err
	}
	if err := s.org.Authorize(ctx, p, AppraiseDTI, unit); err != nil {
		return err
	}
	if r.state != StateReviewed {
		return stateError(r.state)
	}
	var selfs int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM dti_events WHERE assessment_unit_id = $1 AND action = 'self' AND user_id = $2`, r.id, userArg(p)).Scan(&selfs); err != nil {
		return err
	}
	if selfs > 0 {
		if err := audit.Record(ctx, s.db.Write, audit.FromContext(ctx, audit.DTIAppraise, s.subject(ctx, r), "refused: the appraiser self-assessed this unit", false)); err != nil {
			return err
		}
		return ErrSelfAssessed
	}
	scores, err := s.scoreRows(ctx, s.db.Read, r.id)
	if err != nil {
		return err
	}
	v := errs.Validator{Context: "dti"}
	set := map[int64]AppraisedScore{}
	seen := map[string]int{}
	for i, a := range in.Scores {
		f := fmt.Sprintf("scores[%d].", i)
		a.Component, a.Reason = strings.TrimSpace(a.Component), strings.TrimSpace(a.Reason)
		c, ok := r.component(a.Component)
		if !ok {
			v.Add(f+"component", "dti.unknown_component", a.Component)
			continue
		}
		if j, dup := seen[c.Code]; dup {
			v.Add(f+"component", "duplicate_of", c.Code, fmt.Sprintf("scores[%d]", j))
			continue
		}
		seen[c.Code] = i
		checkScore(&v, f+"score", a.Score, c.MaxPoints)
		v.Text(f+"reason", a.Reason, errs.Paragraph)
		if a.Score != nil && *a.Score != scores[c.ID].reviewed() && a.Reason == "" {
			v.Add(f+"reason", "dti.reason_required")
		}
		set[c.ID] = a
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		if err := setState(ctx, tx, r, StateAppraised, now, StateReviewed); err != nil {
			return err
		}
		for _, c := range r.framework.Components() {
			score, reason := scores[c.ID].reviewed(), ""
			if a, ok := set[c.ID]; ok {
				score, reason = *a.Score, a.Reason
			}
			if _, err := tx.ExecContext(ctx, `UPDATE dti_scores SET appraised_score = $1, appraisal_reason = $2, appraised_by = $3, appraised_at = $4 WHERE assessment_unit_id = $5 AND component_id = $6`,
				score, reason, userArg(p), now, r.id, c.ID); err != nil {
				return err
			}
			if _, ok := set[c.ID]; ok {
				if err := event(ctx, tx, r.assessment, r.id, c.ID, "appraise", &score, reason, p, now); err != nil {
					return err
				}
			}
		}
		if err := event(ctx, tx, r.assessment, r.id, 0, StateAppraised, nil, "", p, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTIAppraise, s.subject(ctx, r), fmt.Sprintf("%d scores changed", len(set)), true))
	})
}

// Publish publishes an assessment's final scores, for p: dti.manage on its
// owner, once every unit is appraised. They are locked from then on; a
// correction is a new revision.
func (s *Store) Publish(ctx context.Context, p *org.Principal, assessment int64) error {
	list, err := s.assessments(ctx, "WHERE a.id = $1", assessment)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return errs.NotFound
	}
	a := list[0]
	if err := s.org.Authorize(ctx, p, ManageDTI, a.Owner.ID); err != nil {
		return err
	}
	if a.PublishedAt != nil {
		return stateError(StatePublished)
	}
	var waiting []string
	for _, u := range a.Units {
		if u.State != StateAppraised {
			waiting = append(waiting, u.Unit.Code)
		}
	}
	if len(waiting) > 0 {
		return errs.Invalid(errs.Field{Name: "units", Code: "dti.not_appraised", Args: []any{len(waiting), strings.Join(first(waiting, 10), ", ")}, Context: "dti"})
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		res, err := tx.ExecContext(ctx, `UPDATE dti_assessments SET published_at = $1 WHERE id = $2 AND published_at IS NULL`, now, a.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return stateError(StatePublished)
		}
		for _, u := range a.Units {
			r, err := s.unitRow(ctx, tx, a.ID, u.Unit.ID)
			if err != nil {
				return err
			}
			if err := setState(ctx, tx, r, StatePublished, now, StateAppraised); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE dti_assessment_units SET revision = 1 WHERE id = $1`, r.id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO dti_revisions (assessment_unit_id, revision, reason, user_id, at) VALUES ($1, 1, '', $2, $3)`, r.id, userArg(p), now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO dti_final_scores (assessment_unit_id, revision, component_id, score)
				SELECT assessment_unit_id, 1, component_id, appraised_score FROM dti_scores WHERE assessment_unit_id = $1`, r.id); err != nil {
				return err
			}
			if err := event(ctx, tx, a.ID, r.id, 0, StatePublished, nil, "", p, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTIPublish, fmt.Sprintf("%s %d", a.Framework.Code, a.Year), fmt.Sprintf("%d units", len(a.Units)), true))
	})
}

// CorrectionInput corrects one published score.
type CorrectionInput struct {
	Component string   `json:"component"`
	Score     *float64 `json:"score"`
	Reason    string   `json:"reason" doc:"why the published score changes; shown with the revision"`
}

// Correct writes a new revision of a unit's published scores with one
// score changed, for p: dti.manage on the assessment's owner. The earlier
// revisions stay readable.
func (s *Store) Correct(ctx context.Context, p *org.Principal, assessment, unit int64, in CorrectionInput) (int, error) {
	r, err := s.unitRow(ctx, s.db.Read, assessment, unit)
	if err != nil {
		return 0, err
	}
	if err := s.org.Authorize(ctx, p, ManageDTI, r.owner); err != nil {
		return 0, err
	}
	if r.state != StatePublished {
		return 0, stateError(r.state)
	}
	in.Component, in.Reason = strings.TrimSpace(in.Component), strings.TrimSpace(in.Reason)
	v := errs.Validator{Context: "dti"}
	c, ok := r.component(in.Component)
	if !ok {
		v.Add("component", "dti.unknown_component", in.Component)
	} else {
		checkScore(&v, "score", in.Score, c.MaxPoints)
	}
	v.Check(in.Reason != "", "reason", "dti.reason_required")
	v.Text("reason", in.Reason, errs.Paragraph)
	if err := v.Err(); err != nil {
		return 0, err
	}
	next := r.revision + 1
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		res, err := tx.ExecContext(ctx, `UPDATE dti_assessment_units SET revision = $1, updated_at = $2 WHERE id = $3 AND revision = $4`, next, now, r.id, r.revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO dti_revisions (assessment_unit_id, revision, reason, user_id, at) VALUES ($1, $2, $3, $4, $5)`, r.id, next, in.Reason, userArg(p), now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO dti_final_scores (assessment_unit_id, revision, component_id, score)
			SELECT assessment_unit_id, $1, component_id, CASE WHEN component_id = $2 THEN $3 ELSE score END FROM dti_final_scores WHERE assessment_unit_id = $4 AND revision = $5`,
			next, c.ID, *in.Score, r.id, r.revision); err != nil {
			return err
		}
		if err := event(ctx, tx, r.assessment, r.id, c.ID, "correct", in.Score, in.Reason, p, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTICorrect, s.subject(ctx, r), fmt.Sprintf("revision %d: %s = %s", next, c.Code, locale.Number(locale.EN, *in.Score, 2)), true))
	})
	return next, err
}
