package dti

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// Score is a unit's score of one component at every stage.
type Score struct {
	Input           Input          `json:"input"`
	Computed        *Computed      `json:"computed,omitempty" doc:"the indicator value a computed component read"`
	Working         string         `json:"working" doc:"how the input scored, e.g. 3 / 4 × 20 = 15"`
	SelfScore       float64        `json:"selfScore"`
	Comment         string         `json:"comment,omitempty"`
	Explanation     string         `json:"explanation,omitempty"`
	SelfAt          time.Time      `json:"selfAt"`
	Review          string         `json:"review,omitempty" doc:"accepted, adjusted or evidence (more evidence asked for); empty before the review"`
	ReviewScore     *float64       `json:"reviewScore,omitempty"`
	ReviewReason    string         `json:"reviewReason,omitempty"`
	AppraisedScore  *float64       `json:"appraisedScore,omitempty"`
	AppraisalReason string         `json:"appraisalReason,omitempty"`
	Final           *float64       `json:"final,omitempty" doc:"the published score of the current revision"`
	Evidence        []EvidenceFile `json:"evidence"`
	id              int64
}

// reviewed is the score after the preliminary review.
func (s Score) reviewed() float64 {
	if s.Review == "adjusted" && s.ReviewScore != nil {
		return *s.ReviewScore
	}
	return s.SelfScore
}

// Current is the latest score: final, appraised, reviewed or self-assessed.
func (s Score) Current() float64 {
	switch {
	case s.Final != nil:
		return *s.Final
	case s.AppraisedScore != nil:
		return *s.AppraisedScore
	}
	return s.reviewed()
}

// EvidenceFile is an evidence file's description (GET
// /api/v1/dti/evidence/{id} downloads it).
type EvidenceFile struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploadedAt"`
}

// scoreRows reads a unit row's scores by component id, with evidence.
func (s *Store) scoreRows(ctx context.Context, q store.Querier, row int64) (map[int64]Score, error) {
	rows, err := q.QueryContext(ctx, `SELECT sc.id, sc.component_id, sc.input, sc.computed, sc.self_score, sc.comment, sc.explanation, sc.self_at, sc.review, sc.review_score, sc.review_reason,
		sc.appraised_score, sc.appraisal_reason, fs.score
		FROM dti_scores sc JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id
		LEFT JOIN dti_final_scores fs ON fs.assessment_unit_id = au.id AND fs.revision = au.revision AND fs.component_id = sc.component_id
		WHERE sc.assessment_unit_id = $1`, row)
	if err != nil {
		return nil, err
	}
	out := map[int64]Score{}
	byID := map[int64]int64{}
	for rows.Next() {
		var sc Score
		var comp int64
		var input, computed string
		var rs, as, fs sql.NullFloat64
		if err := rows.Scan(&sc.id, &comp, &input, &computed, &sc.SelfScore, &sc.Comment, &sc.Explanation, &sc.SelfAt, &sc.Review, &rs, &sc.ReviewReason, &as, &sc.AppraisalReason, &fs); err != nil {
			rows.Close()
			return nil, err
		}
		json.Unmarshal([]byte(input), &sc.Input)
		if computed != "" {
			sc.Computed = &Computed{}
			json.Unmarshal([]byte(computed), sc.Computed)
		}
		sc.ReviewScore, sc.AppraisedScore, sc.Final = floatPtr(rs), floatPtr(as), floatPtr(fs)
		sc.Evidence = []EvidenceFile{}
		out[comp] = sc
		byID[sc.id] = comp
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	erows, err := q.QueryContext(ctx, `SELECT e.id, e.score_id, e.filename, e.content_type, e.size, e.sha256, e.uploaded_at FROM dti_evidence e
		JOIN dti_scores sc ON sc.id = e.score_id WHERE sc.assessment_unit_id = $1 ORDER BY e.id`, row)
	if err != nil {
		return nil, err
	}
	defer erows.Close()
	for erows.Next() {
		var e EvidenceFile
		var score int64
		if err := erows.Scan(&e.ID, &score, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.UploadedAt); err != nil {
			return nil, err
		}
		comp := byID[score]
		sc := out[comp]
		sc.Evidence = append(sc.Evidence, e)
		out[comp] = sc
	}
	return out, erows.Err()
}

func floatPtr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}

// Sheet is a unit's scoring sheet in an assessment: every component with
// its scores, the main indices and the total, the history and the
// published revisions.
type Sheet struct {
	Assessment  int64        `json:"assessment"`
	Framework   FrameworkRef `json:"framework"`
	Year        int          `json:"year"`
	Unit        UnitRef      `json:"unit"`
	State       string       `json:"state"`
	Revision    int          `json:"revision"`
	Deadline    string       `json:"deadline"`
	Total       float64      `json:"total" doc:"the points of the latest stage"`
	Index       float64      `json:"index" doc:"total / the framework's total points"`
	MainIndices []SheetMain  `json:"mainIndices"`
	Events      []Event      `json:"events"`
	Revisions   []Revision   `json:"revisions"`
}

// SheetMain is a main index of a sheet.
type SheetMain struct {
	Code       string      `json:"code"`
	Name       string      `json:"name"`
	Pillar     string      `json:"pillar,omitempty"`
	MaxPoints  float64     `json:"maxPoints"`
	Scored     bool        `json:"scored"`
	Points     float64     `json:"points"`
	Index      *float64    `json:"index,omitempty" doc:"points / maxPoints; absent for a main index not scored"`
	Components []SheetLine `json:"components"`
}

// SheetLine is a component of a sheet with its score, if any.
type SheetLine struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	MaxPoints  float64 `json:"maxPoints"`
	Rule       Rule    `json:"rule"`
	Indicator  string  `json:"indicator,omitempty"`
	Evidence   string  `json:"evidenceRequired,omitempty"`
	Provenance string  `json:"provenance"`
	Score      *Score  `json:"score,omitempty"`
}

// Event is one step of an assessment's history.
type Event struct {
	Action    string    `json:"action"`
	Component string    `json:"component,omitempty"`
	Score     *float64  `json:"score,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	User      string    `json:"user,omitempty"`
	At        time.Time `json:"at"`
}

// Revision is a published revision of a unit's scores.
type Revision struct {
	Revision int       `json:"revision"`
	Reason   string    `json:"reason,omitempty"`
	User     string    `json:"user,omitempty"`
	At       time.Time `json:"at"`
	Total    float64   `json:"total"`
}

// Sheet is a unit's scoring sheet, for p: dti.view on the unit or on the
// assessment's owner.
func (s *Store) Sheet(ctx context.Context, p *org.Principal, lang locale.Lang, assessment, unit int64) (Sheet, error) {
	r, err := s.unitRow(ctx, s.db.Read, assessment, unit)
	if err != nil {
		return Sheet{}, err
	}
	if ok, err := s.org.Can(ctx, p, ViewDTI, r.owner); err != nil {
		return Sheet{}, err
	} else if !ok {
		if err := s.org.Authorize(ctx, p, ViewDTI, unit); err != nil {
			return Sheet{}, err
		}
	}
	scores, err := s.scoreRows(ctx, s.db.Read, r.id)
	if err != nil {
		return Sheet{}, err
	}
	refs, err := s.unitRefs(ctx, []int64{unit})
	if err != nil {
		return Sheet{}, err
	}
	f := r.framework
	sh := Sheet{Assessment: assessment, Framework: FrameworkRef{ID: f.ID, Code: f.Code, Name: f.Name, Level: f.Level, TotalPoints: f.TotalPoints},
		Year: r.year, Unit: refs[unit], State: r.state, Revision: r.revision, Deadline: r.deadline, MainIndices: []SheetMain{}, Events: []Event{}, Revisions: []Revision{}}
	for _, m := range f.MainIndices {
		sm := SheetMain{Code: m.Code, Name: m.Name, Pillar: m.Pillar, MaxPoints: m.MaxPoints, Scored: m.IsScored(), Components: []SheetLine{}}
		for _, c := range m.Components {
			line := SheetLine{Code: c.Code, Name: c.Name, MaxPoints: c.MaxPoints, Rule: c.Rule, Indicator: c.Indicator, Evidence: c.Evidence, Provenance: c.Provenance}
			if sc, ok := scores[c.ID]; ok {
				sc.Working = Describe(lang, c.Rule, c.MaxPoints, sc.Input, sc.SelfScore)
				line.Score = &sc
				sm.Points += sc.Current()
			}
			sm.Components = append(sm.Components, line)
		}
		sm.Points = round(sm.Points)
		if sm.Scored && sm.MaxPoints > 0 {
			ix := sm.Points / sm.MaxPoints
			sm.Index = &ix
		}
		sh.Total += sm.Points
		sh.MainIndices = append(sh.MainIndices, sm)
	}
	sh.Total = round(sh.Total)
	sh.Index = sh.Total / f.TotalPoints
	rows, err := s.db.Read.QueryContext(ctx, `SELECT e.action, COALESCE(c.code, ''), e.score, e.comment, COALESCE(u.username, ''), e.at FROM dti_events e
		LEFT JOIN dti_components c ON c.id = e.component_id LEFT JOIN users u ON u.id = e.user_id WHERE e.assessment_unit_id = $1 ORDER BY e.at, e.id`, r.id)
	if err != nil {
		return Sheet{}, err
	}
	for rows.Next() {
		var e Event
		var sc sql.NullFloat64
		if err := rows.Scan(&e.Action, &e.Component, &sc, &e.Comment, &e.User, &e.At); err != nil {
			rows.Close()
			return Sheet{}, err
		}
		e.Score = floatPtr(sc)
		sh.Events = append(sh.Events, e)
	}
	rows.Close()
	rows, err = s.db.Read.QueryContext(ctx, `SELECT v.revision, v.reason, COALESCE(u.username, ''), v.at, (SELECT COALESCE(SUM(score), 0) FROM dti_final_scores fs WHERE fs.assessment_unit_id = v.assessment_unit_id AND fs.revision = v.revision)
		FROM dti_revisions v LEFT JOIN users u ON u.id = v.user_id WHERE v.assessment_unit_id = $1 ORDER BY v.revision`, r.id)
	if err != nil {
		return Sheet{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var v Revision
		if err := rows.Scan(&v.Revision, &v.Reason, &v.User, &v.At, &v.Total); err != nil {
			return Sheet{}, err
		}
		v.Total = round(v.Total)
		sh.Revisions = append(sh.Revisions, v)
	}
	return sh, rows.Err()
}

// Evidence returns an evidence file, for p: dti.view on its unit or on the
// assessment's owner.
func (s *Store) Evidence(ctx context.Context, p *org.Principal, id int64) (EvidenceFile, []byte, error) {
	var e EvidenceFile
	var unit, owner int64
	var data []byte
	err := s.db.Read.QueryRowContext(ctx, `SELECT e.id, e.filename, e.content_type, e.size, e.sha256, e.uploaded_at, au.unit_id, a.owner_unit_id, e.data
		FROM dti_evidence e JOIN dti_scores sc ON sc.id = e.score_id JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id JOIN dti_assessments a ON a.id = au.assessment_id
		WHERE e.id = $1`, id).Scan(&e.ID, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.UploadedAt, &unit, &owner, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil, errs.NotFound
	} else if err != nil {
		return e, nil, err
	}
	if ok, err := s.org.Can(ctx, p, ViewDTI, owner); err != nil {
		return e, nil, err
	} else if !ok {
		if err := s.org.Authorize(ctx, p, ViewDTI, unit); err != nil {
			return e, nil, err
		}
	}
	return e, data, nil
}

// Stages of the results.
const (
	StageFinal   = "final"   // published units, their current revision
	StageCurrent = "current" // every unit, its latest score (appraised, reviewed or self-assessed)
)

// Results are the scores of one framework in one year: each unit's total,
// index and rank among its peers (the units scored by the same framework,
// hence at the same level, that year), its main indices, and where it
// loses points.
type Results struct {
	Framework FrameworkRef `json:"framework"`
	Year      int          `json:"year"`
	Stage     string       `json:"stage" doc:"final (published scores) or current (latest stage of every unit)"`
	Peers     int          `json:"peers" doc:"how many units are ranked"`
	Units     []UnitScore  `json:"units" doc:"the units the caller may see, best first"`
	Average   []MainScore  `json:"average" doc:"each main index's plain average over every unit ranked (all peers, not only those the caller sees)"`
}

// UnitScore is one unit's result.
type UnitScore struct {
	Unit        UnitRef     `json:"unit"`
	Assessment  int64       `json:"assessment"`
	State       string      `json:"state"`
	Revision    int         `json:"revision"`
	Total       float64     `json:"total" doc:"points"`
	Index       float64     `json:"index" doc:"total / the framework's total points, 0–1"`
	Rank        int         `json:"rank" doc:"1 is best; equal totals share a rank"`
	MainIndices []MainScore `json:"mainIndices"`
	Losses      []Loss      `json:"losses" doc:"where the unit loses points: components with the largest gap to their maximum first"`
	Previous    *Previous   `json:"previous,omitempty" doc:"the year before by the same framework: the unit's own published result, or its predecessors' plain average"`
	Change      *float64    `json:"change,omitempty" doc:"index − the previous year's index"`
	RankChange  *int        `json:"rankChange,omitempty" doc:"places gained since the previous year (positive: up), ranked among this year's units"`
}

// MainScore is a main index's result.
type MainScore struct {
	Code      string   `json:"code"`
	Pillar    string   `json:"pillar,omitempty"`
	Name      string   `json:"name"`
	MaxPoints float64  `json:"maxPoints"`
	Points    float64  `json:"points"`
	Index     *float64 `json:"index,omitempty" doc:"points / maxPoints; absent for a main index not scored"`
}

// Loss is a component where a unit loses points.
type Loss struct {
	Component string    `json:"component"`
	Name      string    `json:"name"`
	MainIndex string    `json:"mainIndex"`
	Pillar    string    `json:"pillar,omitempty"`
	MaxPoints float64   `json:"maxPoints"`
	Score     float64   `json:"score"`
	Gap       float64   `json:"gap"`
	Evidence  int       `json:"evidence" doc:"evidence files behind the score"`
	Sample    bool      `json:"sample,omitempty" doc:"a sample component («chỉ số mẫu»)"`
	Tasks     []TaskRef `json:"tasks" doc:"the programme tasks that address the component"`
}

// MaxLosses bounds the losses listed per unit.
const MaxLosses = 10

// Results computes the results of a framework and year, for p: the rows
// of the units p may see (dti.view on the unit or on its assessment's
// owner), ranked among every peer.
func (s *Store) Results(ctx context.Context, p *org.Principal, framework int64, year int, stage string) (Results, error) {
	if err := s.org.Authorize(ctx, p, ViewDTI, 0); err != nil {
		return Results{}, err
	}
	f, err := s.Framework(ctx, framework)
	if err != nil {
		return Results{}, err
	}
	res, owners, err := s.results(ctx, f, year, stage)
	if err != nil {
		return Results{}, err
	}
	if err := s.withPrevious(ctx, f, &res); err != nil {
		return Results{}, err
	}
	visible := res.Units[:0]
	canOwner := map[int64]bool{}
	for _, u := range res.Units {
		o := owners[u.Assessment]
		ok, seen := canOwner[o]
		if !seen {
			if ok, err = s.org.Can(ctx, p, ViewDTI, o); err != nil {
				return Results{}, err
			}
			canOwner[o] = ok
		}
		if !ok {
			if ok, err = s.org.Can(ctx, p, ViewDTI, u.Unit.ID); err != nil {
				return Results{}, err
			}
		}
		if ok {
			visible = append(visible, u)
		}
	}
	res.Units = visible
	return res, nil
}

// results scores every unit of framework f in year (owners: assessment →
// owner unit). Three reads, none with a list of ids: the units, their
// scores (the bulk: units × components, three columns), and the evidence
// counts; the rest is arithmetic on slices indexed by component.
func (s *Store) results(ctx context.Context, f Framework, year int, stage string) (Results, map[int64]int64, error) {
	res := Results{Framework: FrameworkRef{ID: f.ID, Code: f.Code, Name: f.Name, Level: f.Level, TotalPoints: f.TotalPoints}, Year: year, Stage: stage, Units: []UnitScore{}, Average: []MainScore{}}
	const units = `FROM dti_assessment_units au JOIN dti_assessments a ON a.id = au.assessment_id WHERE a.framework_id = $1 AND a.year = $2`
	var scoreQuery, only string
	switch stage {
	case StageFinal:
		only = ` AND au.state = 'published'`
		scoreQuery = `SELECT fs.assessment_unit_id, fs.component_id, fs.score FROM dti_final_scores fs
			JOIN dti_assessment_units au ON au.id = fs.assessment_unit_id AND fs.revision = au.revision
			JOIN dti_assessments a ON a.id = au.assessment_id WHERE a.framework_id = $1 AND a.year = $2 AND au.state = 'published'`
	case StageCurrent:
		scoreQuery = `SELECT sc.assessment_unit_id, sc.component_id,
			COALESCE(fs.score, sc.appraised_score, CASE WHEN sc.review = 'adjusted' THEN sc.review_score ELSE sc.self_score END)
			FROM dti_scores sc JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id JOIN dti_assessments a ON a.id = au.assessment_id
			LEFT JOIN dti_final_scores fs ON fs.assessment_unit_id = au.id AND fs.revision = au.revision AND fs.component_id = sc.component_id
			WHERE a.framework_id = $1 AND a.year = $2`
	default:
		return res, nil, errs.Invalid(errs.Field{Name: "stage", Code: "one_of", Args: []any{"final, current"}})
	}
	comps := f.Components()
	at := make(map[int64]int, len(comps)) // component id → position
	for i, c := range comps {
		at[c.ID] = i
	}
	type unitAcc struct {
		UnitScore
		scores []float64
		ev     []int
	}
	acc := map[int64]*unitAcc{}
	var order []int64
	owners := map[int64]int64{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT au.id, au.assessment_id, a.owner_unit_id, au.unit_id, au.state, au.revision `+units+only, f.ID, year)
	if err != nil {
		return res, nil, err
	}
	var unitIDs []int64
	for rows.Next() {
		a := &unitAcc{scores: make([]float64, len(comps)), ev: make([]int, len(comps))}
		var row, owner int64
		if err := rows.Scan(&row, &a.Assessment, &owner, &a.Unit.ID, &a.State, &a.Revision); err != nil {
			rows.Close()
			return res, nil, err
		}
		acc[row] = a
		order = append(order, row)
		owners[a.Assessment] = owner
		unitIDs = append(unitIDs, a.Unit.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(order) == 0 {
		return res, owners, err
	}
	fill := func(q string, set func(a *unitAcc, i int, v float64)) error {
		rows, err := s.db.Read.QueryContext(ctx, q, f.ID, year)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var row, comp int64
			var v float64
			if err := rows.Scan(&row, &comp, &v); err != nil {
				return err
			}
			if a := acc[row]; a != nil {
				if i, ok := at[comp]; ok {
					set(a, i, v)
				}
			}
		}
		return rows.Err()
	}
	if err := fill(scoreQuery, func(a *unitAcc, i int, v float64) { a.scores[i] = v }); err != nil {
		return res, nil, err
	}
	if err := fill(`SELECT sc.assessment_unit_id, sc.component_id, COUNT(e.id) FROM dti_scores sc JOIN dti_evidence e ON e.score_id = sc.id
		JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id JOIN dti_assessments a ON a.id = au.assessment_id
		WHERE a.framework_id = $1 AND a.year = $2 GROUP BY sc.assessment_unit_id, sc.component_id`, func(a *unitAcc, i int, v float64) { a.ev[i] = int(v) }); err != nil {
		return res, nil, err
	}
	refs, err := s.unitRefs(ctx, unitIDs)
	if err != nil {
		return res, nil, err
	}
	links, err := s.componentTasks(ctx, s.db.Read, f.ID)
	if err != nil {
		return res, nil, err
	}
	for _, row := range order {
		a := acc[row]
		a.Unit = refs[a.Unit.ID]
		a.MainIndices = make([]MainScore, 0, len(f.MainIndices))
		var losses []Loss
		i := 0
		for _, m := range f.MainIndices {
			ms := MainScore{Code: m.Code, Pillar: m.Pillar, Name: m.Name, MaxPoints: m.MaxPoints}
			for _, c := range m.Components {
				sc := a.scores[i]
				ms.Points += sc
				if gap := c.MaxPoints - sc; gap > tolerance {
					losses = append(losses, Loss{Component: c.Code, Name: c.Name, MainIndex: m.Code, Pillar: m.Pillar, MaxPoints: c.MaxPoints, Score: sc, Gap: round(gap), Evidence: a.ev[i], Sample: c.IsSample()})
				}
				i++
			}
			ms.Points = round(ms.Points)
			if m.IsScored() && m.MaxPoints > 0 {
				ix := ms.Points / m.MaxPoints
				ms.Index = &ix
			}
			a.Total += ms.Points
			a.MainIndices = append(a.MainIndices, ms)
		}
		a.Total = round(a.Total)
		a.Index = a.Total / f.TotalPoints
		// The largest gaps first; between equal gaps, the framework's order
		// (losses are collected in it, so a stable sort keeps it).
		slices.SortStableFunc(losses, func(x, y Loss) int { return cmp.Compare(y.Gap, x.Gap) })
		if len(losses) > MaxLosses {
			losses = losses[:MaxLosses]
		}
		for i := range losses {
			losses[i].Tasks = links[losses[i].Component]
			if losses[i].Tasks == nil {
				losses[i].Tasks = []TaskRef{}
			}
		}
		if losses == nil {
			losses = []Loss{}
		}
		a.Losses = losses
		res.Units = append(res.Units, a.UnitScore)
	}
	sort.SliceStable(res.Units, func(i, j int) bool {
		if res.Units[i].Total != res.Units[j].Total {
			return res.Units[i].Total > res.Units[j].Total
		}
		return res.Units[i].Unit.Code < res.Units[j].Unit.Code
	})
	for i := range res.Units {
		if i > 0 && math.Abs(res.Units[i].Total-res.Units[i-1].Total) <= tolerance {
			res.Units[i].Rank = res.Units[i-1].Rank
		} else {
			res.Units[i].Rank = i + 1
		}
	}
	res.Peers = len(res.Units)
	res.Average = averageMains(f, res.Units)
	return res, owners, nil
}

// averageMains is each main index's plain average over units: points
// averaged, index = the average points / the maximum.
func averageMains(f Framework, units []UnitScore) []MainScore {
	out := make([]MainScore, len(f.MainIndices))
	for i, m := range f.MainIndices {
		out[i] = MainScore{Code: m.Code, Pillar: m.Pillar, Name: m.Name, MaxPoints: m.MaxPoints}
		if len(units) == 0 {
			continue
		}
		for _, u := range units {
			out[i].Points += u.MainIndices[i].Points
		}
		out[i].Points = round(out[i].Points / float64(len(units)))
		if m.IsScored() && m.MaxPoints > 0 {
			ix := out[i].Points / m.MaxPoints
			out[i].Index = &ix
		}
	}
	return out
}

// Reviewed is the score after the preliminary review (what the appraisal
// starts from).
func (s Score) Reviewed() float64 { return s.reviewed() }

// sheetExport is a unit's whole scoring sheet as provinces lay it out: a
// row per main index (its points) followed by its components, each with
// its maximum, the evidence asked for, what the unit declared and how it
// scored, the evidence files, then the review, the appraisal and the
// published score; a total row last.
func sheetExport(lang locale.Lang, sh Sheet) xlsx.Export {
	cols := []xlsx.Column{{Header: "Mã", Width: 8, Format: xlsx.TextFmt}, {Header: "Chỉ số", Width: 50}, {Header: "Điểm tối đa", Width: 10, Format: xlsx.NumberFmt},
		{Header: "Tài liệu kiểm chứng yêu cầu", Width: 30}, {Header: "Số liệu kê khai, cách tính", Width: 30}, {Header: "Điểm tự đánh giá", Width: 11, Format: xlsx.NumberFmt},
		{Header: "Tài liệu kiểm chứng đã nộp", Width: 30}, {Header: "Giải trình, ghi chú", Width: 30}, {Header: "Điểm sau rà soát", Width: 11, Format: xlsx.NumberFmt},
		{Header: "Ý kiến rà soát", Width: 30}, {Header: "Điểm thẩm định", Width: 11, Format: xlsx.NumberFmt}, {Header: "Lý do thẩm định", Width: 30},
		{Header: "Điểm công bố", Width: 11, Format: xlsx.NumberFmt}, {Header: "Chỉ số mẫu", Width: 10}}
	e := xlsx.Export{Name: fmt.Sprintf("Phiếu chấm DTI %s %d %s", sh.Framework.Code, sh.Year, sh.Unit.Code), Title: fmt.Sprintf("%s %d", sh.Unit.Code, sh.Year), Columns: cols}
	var final *float64
	for _, m := range sh.MainIndices {
		e.Rows = append(e.Rows, []any{m.Code, strings.ToUpper(m.Name), m.MaxPoints, "", "", nil, "", "", nil, "", nil, "", m.Points, ""})
		for _, c := range m.Components {
			sample := ""
			if c.Provenance == Sample {
				sample = "x"
			}
			row := []any{c.Code, c.Name, c.MaxPoints, c.Evidence, "", nil, "", "", nil, "", nil, "", nil, sample}
			if sc := c.Score; sc != nil {
				var files []string
				for _, f := range sc.Evidence {
					files = append(files, f.Filename)
				}
				note := strings.TrimSpace(sc.Explanation + "\n" + sc.Comment)
				reviewed := sc.reviewed()
				var review string
				if sc.Review != "" {
					review = locale.T(lang, "dti.review."+sc.Review)
					if sc.ReviewReason != "" {
						review += ": " + sc.ReviewReason
					}
				}
				row[4], row[5], row[6], row[7], row[8], row[9] = sc.Working, sc.SelfScore, strings.Join(files, "\n"), note, &reviewed, review
				row[10], row[11], row[12] = sc.AppraisedScore, sc.AppraisalReason, sc.Final
				if sc.Final != nil {
					final = sc.Final
				}
			}
			e.Rows = append(e.Rows, row)
		}
	}
	var total any
	if final != nil {
		total = sh.Total
	}
	e.Rows = append(e.Rows, []any{"", "TỔNG ĐIỂM (chỉ số " + padIndex(lang, sh.Index) + ")", sh.Framework.TotalPoints, "", "", nil, "", "", nil, "", nil, "", total, ""})
	return e
}
