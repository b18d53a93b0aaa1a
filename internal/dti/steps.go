package dti

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

// The steps of the cycle after opening: self-assessment, submission,
// review, appraisal, publication and correction. Each authorises through
// org.Store.Authorize, checks the unit's state, validates everything, then
// writes in one transaction with its history row and audit event.

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
