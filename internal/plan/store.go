package plan

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// Store reads and writes plans, targets and tasks.
type Store struct {
	db      *store.DB
	org     *org.Store
	reviews reviewCache
	// overviews caches the leader's overview (overview.go).
	overviews overviewCache
	imports   *xlsx.Limiter // workbook imports running at once
	pillars   PillarSource  // the DTI pillars, from the dti domain
	// indicators gives targets whose source is an indicator their actual
	// values (SetIndicators); nil: none are read.
	indicators Indicators
	// notifier delivers the workflow's notices (SetNotifier; notice.go).
	notifier Notifier
}

// NewStore returns the plan store.
func NewStore(db *store.DB, orgs *org.Store) *Store {
	return &Store{db: db, org: orgs, imports: xlsx.NewLimiter(xlsxImportSlots, xlsxImportWait)}
}

// ImportLimiter bounds the workbook imports running at once (three; a
// fourth waits two seconds for a slot, then is answered 429).
func (s *Store) ImportLimiter() *xlsx.Limiter { return s.imports }

// Pillar is a DTI main index that targets and tasks are filed under. The
// dti domain owns the pillars and their frameworks; plan reads them
// through a PillarSource.
type Pillar struct {
	Code      string `json:"code"`
	Framework string `json:"framework"`
	NameVI    string `json:"nameVi"`
	NameEN    string `json:"nameEn"`
	MaxPoints int    `json:"maxPoints"`
}

// PillarSource lists the pillars in order (dti.Store.PlanPillars).
type PillarSource func(ctx context.Context) ([]Pillar, error)

// UsePillars sets where the pillars come from; called while the server is
// assembled, before it takes requests (server.New, demo.LoadPlans).
func (s *Store) UsePillars(src PillarSource) { s.pillars = src }

// Pillars lists the pillars that plans are filed under.
func (s *Store) Pillars(ctx context.Context) ([]Pillar, error) {
	if s.pillars == nil {
		return nil, errors.New("plan: no source of DTI pillars (Store.UsePillars)")
	}
	return s.pillars(ctx)
}

func (s *Store) pillarCodes(ctx context.Context) ([]string, error) {
	ps, err := s.Pillars(ctx)
	var out []string
	for _, p := range ps {
		out = append(out, p.Code)
	}
	return out, err
}

// unitRefs caches unit names for one request.
type unitRefs struct {
	s     *Store
	ctx   context.Context
	cache map[int64]UnitRef
}

func (s *Store) refs(ctx context.Context) *unitRefs {
	return &unitRefs{s: s, ctx: ctx, cache: map[int64]UnitRef{}}
}

// load fetches many units in one query.
func (u *unitRefs) load(ids []int64) map[int64]org.Unit {
	var missing []int64
	for _, id := range ids {
		if _, ok := u.cache[id]; !ok {
			missing = append(missing, id)
		}
	}
	units, _ := u.s.org.UnitsByID(u.ctx, missing)
	for id, unit := range units {
		u.cache[id] = UnitRef{ID: id, Code: unit.Code, Name: unit.Name, Label: unit.Label}
	}
	return units
}

func (u *unitRefs) get(id int64) UnitRef {
	if r, ok := u.cache[id]; ok {
		return r
	}
	r := UnitRef{ID: id}
	if unit, err := u.s.org.Unit(u.ctx, id, ""); err == nil {
		r.Code, r.Name, r.Label = unit.Code, unit.Name, u.s.org.LabelOf(u.ctx, unit)
	}
	u.cache[id] = r
	return r
}

const planColumns = `p.id, p.plan_key, p.number, p.title, p.issuer, p.issuer_unit_id, p.issued_on, p.signer, p.span_from, p.span_to, p.status, p.parent_id, p.note, p.requires_approval,
	(SELECT COUNT(*) FROM tasks t WHERE t.plan_id = p.id), (SELECT COUNT(*) FROM targets g WHERE g.plan_id = p.id)`

func (s *Store) scanPlans(ctx context.Context, q string, args ...any) ([]Plan, error) {
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []Plan
	for rows.Next() {
		var p Plan
		var parent sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Key, &p.Number, &p.Title, &p.Issuer, &p.IssuerUnit.ID, &p.IssuedOn, &p.Signer, &p.SpanFrom, &p.SpanTo, &p.Status, &parent, &p.Note, &p.RequiresApproval, &p.TaskCount, &p.TargetCount); err != nil {
			rows.Close()
			return nil, err
		}
		if parent.Valid {
			p.ParentID = &parent.Int64
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	refs := s.refs(ctx)
	today := org.Today()
	for i := range out {
		out[i].Ended = out[i].EndedOn(today)
		out[i].IssuerUnit = refs.get(out[i].IssuerUnit.ID)
		if out[i].LegalBases, err = s.legalBases(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) legalBases(ctx context.Context, plan int64) ([]LegalBasis, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT b.number, (SELECT p.id FROM plans p WHERE p.number = b.number AND p.number <> '' LIMIT 1)
		FROM plan_legal_bases b WHERE b.plan_id = $1 ORDER BY b.position`, plan)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LegalBasis{}
	for rows.Next() {
		var b LegalBasis
		var id sql.NullInt64
		if err := rows.Scan(&b.Number, &id); err != nil {
			return nil, err
		}
		if id.Valid {
			b.PlanID = &id.Int64
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Plans lists every plan, newest first.
func (s *Store) Plans(ctx context.Context, query string) ([]Plan, error) {
	q := `SELECT ` + planColumns + ` FROM plans p`
	var args []any
	if query != "" {
		q += ` WHERE p.search_text LIKE $1 ESCAPE '\'`
		args = append(args, store.Contains(locale.Fold(query)))
	}
	return s.scanPlans(ctx, q+` ORDER BY p.span_from DESC, p.issued_on DESC, p.id DESC`, args...)
}

// Plan returns one plan.
func (s *Store) Plan(ctx context.Context, id int64) (Plan, error) {
	list, err := s.scanPlans(ctx, `SELECT `+planColumns+` FROM plans p WHERE p.id = $1`, id)
	if err != nil {
		return Plan{}, fmt.Errorf("load plan %d: %w", id, err)
	}
	if len(list) == 0 {
		return Plan{}, errs.NotFound
	}
	return list[0], nil
}

// TargetFilter narrows targets.
type TargetFilter struct {
	PlanID  int64
	PlanIDs []int64
	IDs     []int64
	Pillar  string
	Status  string
	AsOf    string // YYYY-MM-DD for status; today when empty
	// Sources adds, to actual values read from indicators, the reports
	// they come from (one target's page).
	Sources bool
}

// Targets lists targets with their values, actuals and computed status.
func (s *Store) Targets(ctx context.Context, f TargetFilter) ([]Target, error) {
	if f.AsOf == "" {
		f.AsOf = org.Today()
	}
	where, args := ` WHERE 1=1`, []any{}
	if f.PlanID != 0 {
		args = append(args, f.PlanID)
		where += fmt.Sprintf(` AND t.plan_id = $%d`, len(args))
	}
	if f.Pillar != "" {
		args = append(args, f.Pillar)
		where += fmt.Sprintf(` AND t.pillar = $%d`, len(args))
	}
	if f.PlanIDs != nil {
		where += ` AND t.plan_id IN (` + store.InList(&args, f.PlanIDs) + `)`
	}
	if len(f.IDs) > 0 {
		where += ` AND t.id IN (` + store.InList(&args, f.IDs) + `)`
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT t.id, t.plan_id, t.code, t.pillar, t.group_name, t.statement, t.statement_later, t.measure, t.direction, t.responsible_unit_id, t.source, t.indicator_code
		FROM targets t`+where+` ORDER BY t.plan_id, t.sort_order, t.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Target
	index := map[int64]int{}
	for rows.Next() {
		var t Target
		var resp sql.NullInt64
		if err := rows.Scan(&t.ID, &t.PlanID, &t.Code, &t.Pillar, &t.Group, &t.Statement, &t.StatementLater, &t.Unit, &t.Direction, &resp, &t.Source, &t.IndicatorCode); err != nil {
			rows.Close()
			return nil, err
		}
		if resp.Valid {
			t.ResponsibleUnit = &UnitRef{ID: resp.Int64}
		}
		t.Milestones, t.Actuals = []Value{}, []Actual{}
		index[t.ID] = len(out)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	// Values and actuals of the selected targets, in two queries.
	sub := `SELECT t.id FROM targets t` + where
	vr, err := s.db.Read.QueryContext(ctx, `SELECT target_id, kind, year, level, value FROM target_values WHERE target_id IN (`+sub+`) ORDER BY year, level`, args...)
	if err != nil {
		return nil, err
	}
	for vr.Next() {
		var id int64
		var kind string
		var v Value
		if err := vr.Scan(&id, &kind, &v.Year, &v.Level, &v.Value); err != nil {
			vr.Close()
			return nil, err
		}
		i, ok := index[id]
		if !ok {
			continue // a task outside the list (full pass)
		}
		t := &out[i]
		if kind == "milestone" {
			t.Milestones = append(t.Milestones, v)
			continue
		}
		if t.Baseline == nil {
			t.Baseline = &Baseline{Year: v.Year}
		}
		if v.Level == "" {
			val := v.Value
			t.Baseline.Value = &val
		} else {
			t.Baseline.Levels = append(t.Baseline.Levels, v)
		}
	}
	vr.Close()
	if err := vr.Err(); err != nil {
		return nil, err
	}
	ar, err := s.db.Read.QueryContext(ctx, `SELECT a.target_id, a.id, a.measured_on, a.level, a.value, a.evidence, a.unit_id, COALESCE(u.full_name, ''), a.created_at
		FROM target_actuals a LEFT JOIN users u ON u.id = a.created_by WHERE a.target_id IN (`+sub+`) ORDER BY a.measured_on, a.id`, args...)
	if err != nil {
		return nil, err
	}
	for ar.Next() {
		var id int64
		var a Actual
		var unit sql.NullInt64
		if err := ar.Scan(&id, &a.ID, &a.MeasuredOn, &a.Level, &a.Value, &a.Evidence, &unit, &a.By, &a.At); err != nil {
			ar.Close()
			return nil, err
		}
		if unit.Valid {
			a.Unit = &UnitRef{ID: unit.Int64}
		}
		out[index[id]].Actuals = append(out[index[id]].Actuals, a)
	}
	ar.Close()
	if err := ar.Err(); err != nil {
		return nil, err
	}
	if err := s.addIndicatorActuals(ctx, out, f.Sources); err != nil {
		return nil, err
	}
	refs := s.refs(ctx)
	filtered := out[:0]
	for _, t := range out {
		computeTarget(&t, f.AsOf)
		if f.Status != "" && t.Status != f.Status {
			continue
		}
		if t.ResponsibleUnit != nil {
			r := refs.get(t.ResponsibleUnit.ID)
			t.ResponsibleUnit = &r
		}
		for i := range t.Actuals {
			if t.Actuals[i].Unit != nil {
				r := refs.get(t.Actuals[i].Unit.ID)
				t.Actuals[i].Unit = &r
			}
		}
		filtered = append(filtered, t)
	}
	return filtered, nil
}

// Target returns one target.
func (s *Store) Target(ctx context.Context, id int64) (Target, error) {
	list, err := s.Targets(ctx, TargetFilter{IDs: []int64{id}, Sources: true})
	if err != nil {
		return Target{}, fmt.Errorf("load target %d: %w", id, err)
	}
	if len(list) == 0 {
		return Target{}, errs.NotFound
	}
	return list[0], nil
}

// TaskFilter narrows tasks.
type TaskFilter struct {
	PlanID  int64
	PlanIDs []int64
	IDs     []int64
	Units   []int64 // tasks assigned to any of these units
	Role    string  // with Units: lead or coordinating; both when empty
	Pillar  string
	Status  string // a status, or "overdue"
	DueFrom string // due on or after (YYYY-MM-DD)
	DueTo   string // due on or before
	Query   string
	AsOf    string // for overdue; today when empty
	// LeadOnly skips the coordinating units and the descriptive columns
	// other than number and description: what the review needs.
	LeadOnly bool
	// History adds the assignments that were ended by a reassignment, in
	// Task.PreviousUnits.
	History bool
}

// Tasks lists tasks in plan and number order with their assignments and
// derived status.
func (s *Store) Tasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	if f.AsOf == "" {
		f.AsOf = org.Today()
	}
	where, args := ` WHERE 1=1`, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(cond, len(args))
	}
	if f.PlanID != 0 {
		add(` AND t.plan_id = $%d`, f.PlanID)
	}
	if f.PlanIDs != nil {
		where += ` AND t.plan_id IN (` + store.InList(&args, f.PlanIDs) + `)`
	}
	if f.Pillar != "" {
		add(` AND t.pillar = $%d`, f.Pillar)
	}
	if f.DueFrom != "" {
		add(` AND t.due_on >= $%d`, f.DueFrom)
	}
	if f.DueTo != "" {
		add(` AND t.due_on <> '' AND t.due_on <= $%d`, f.DueTo)
	}
	if f.Query != "" {
		add(` AND (LOWER(t.description) LIKE $%d ESCAPE '\'`, store.Contains(strings.ToLower(f.Query)))
		add(` OR t.number = $%d)`, f.Query)
	}
	if len(f.IDs) > 0 {
		where += ` AND t.id IN (` + store.InList(&args, f.IDs) + `)`
	}
	if f.Units != nil {
		if len(f.Units) == 0 {
			return []Task{}, nil
		}
		cond := ` AND t.id IN (SELECT a.task_id FROM task_assignments a WHERE a.ended_on = '' AND a.unit_id IN (` + store.InList(&args, f.Units) + `)`
		if f.Role != "" {
			args = append(args, f.Role)
			cond += fmt.Sprintf(` AND a.role = $%d`, len(args))
		}
		where += cond + `)`
	}
	// Plans are few: read them apart rather than joining every task row.
	type planInfo struct {
		number string
		span   int
	}
	plans := map[int64]planInfo{}
	pr, err := s.db.Read.QueryContext(ctx, `SELECT id, number, span_from FROM plans`)
	if err != nil {
		return nil, err
	}
	for pr.Next() {
		var id int64
		var pi planInfo
		if err := pr.Scan(&id, &pi.number, &pi.span); err != nil {
			pr.Close()
			return nil, err
		}
		plans[id] = pi
	}
	pr.Close()
	if err := pr.Err(); err != nil {
		return nil, err
	}
	// Sorted in Go rather than by SQL: cheaper than SQLite's temporary
	// B-tree for a few thousand rows.
	columns := `t.group_name, t.pillar, t.lead_text, t.coordinating_text, t.time_text, t.start_on, t.output, t.budget_source, t.budget`
	if f.LeadOnly {
		// The review needs none of these; skipping them saves a third of the read.
		columns = `'', '', '', '', '', '', '', '', NULL`
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT t.id, t.plan_id, t.number, t.description, t.due_on, t.original_due_on, t.status_override, t.sort_key, `+columns+`
		FROM tasks t`+where, args...)
	if err != nil {
		return nil, err
	}
	var unsorted []Task
	type order struct {
		span int
		plan int64
		key  string
		at   int
	}
	var orders []order
	for rows.Next() {
		var t Task
		var budget sql.NullFloat64
		var key string
		if err := rows.Scan(&t.ID, &t.PlanID, &t.Number, &t.Description, &t.TimeFrame.DueOn, &t.TimeFrame.OriginalDueOn, &t.StatusOverride, &key,
			&t.Group, &t.Pillar, &t.LeadText, &t.CoordinatingText, &t.TimeFrame.Text, &t.TimeFrame.StartOn, &t.Output, &t.BudgetSource, &budget); err != nil {
			rows.Close()
			return nil, err
		}
		if budget.Valid {
			t.Budget = &budget.Float64
		}
		t.PlanNumber = plans[t.PlanID].number
		t.LeadUnits, t.CoordinatingUnits = []Assignment{}, []Assignment{}
		orders = append(orders, order{span: plans[t.PlanID].span, plan: t.PlanID, key: key, at: len(unsorted)})
		unsorted = append(unsorted, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Newest plans first, then each plan's hierarchical numbering; the
	// small keys are sorted and the tasks moved once.
	slices.SortFunc(orders, func(a, b order) int {
		switch {
		case a.span != b.span:
			return b.span - a.span
		case a.plan != b.plan:
			return int(a.plan - b.plan)
		}
		return strings.Compare(a.key, b.key)
	})
	out := make([]Task, len(unsorted))
	for i, o := range orders {
		out[i] = unsorted[o.at]
	}
	index := make(map[int64]int, len(out))
	for i, t := range out {
		index[t.ID] = i
	}
	if len(out) == 0 {
		return []Task{}, nil
	}
	leadOnly := ""
	if f.LeadOnly {
		leadOnly = ` AND a.role = 'lead'`
	}
	if !f.History {
		leadOnly += ` AND a.ended_on = ''`
	}
	// For a long list (a review over whole plans) one pass over all
	// assignments, filtered here, beats a join that seeks per task.
	var ar *sql.Rows
	if len(out) > 500 {
		ar, err = s.db.Read.QueryContext(ctx, `SELECT a.task_id, a.id, a.unit_id, a.role, a.status, a.progress, a.updated_at, a.completed_on, a.ended_on
			FROM task_assignments a WHERE 1=1`+leadOnly)
	} else {
		ar, err = s.db.Read.QueryContext(ctx, `SELECT a.task_id, a.id, a.unit_id, a.role, a.status, a.progress, a.updated_at, a.completed_on, a.ended_on
			FROM task_assignments a JOIN tasks t ON t.id = a.task_id`+where+leadOnly, args...)
	}
	if err != nil {
		return nil, err
	}
	refs := s.refs(ctx)
	holders := map[int64]*UnitRef{}
	for ar.Next() {
		var id int64
		var a Assignment
		var updated sql.NullTime
		if err := ar.Scan(&id, &a.ID, &a.Unit.ID, &a.Role, &a.Status, &a.Progress, &updated, &a.CompletedOn, &a.EndedOn); err != nil {
			ar.Close()
			return nil, err
		}
		if updated.Valid {
			a.UpdatedAt = &updated.Time
		}
		i, ok := index[id]
		if !ok {
			continue // a task outside the list (full pass)
		}
		t := &out[i]
		if a.EndedOn != "" {
			t.PreviousUnits = append(t.PreviousUnits, a)
			holders[a.Unit.ID] = nil
			continue
		}
		if a.Role == "lead" {
			t.LeadUnits = append(t.LeadUnits, a)
		} else {
			t.CoordinatingUnits = append(t.CoordinatingUnits, a)
		}
		holders[a.Unit.ID] = nil
	}
	ar.Close()
	if err := ar.Err(); err != nil {
		return nil, err
	}
	// Who answers today for each assigned unit that has ended: its single
	// successor or heir; none (orphans) when it left no heir or several.
	ids := make([]int64, 0, len(holders))
	for id := range holders {
		ids = append(ids, id)
	}
	today := org.Today()
	orphans := map[int64]bool{}
	successor := map[int64]int64{}
	var succIDs []int64
	for id, u := range refs.load(ids) {
		if u.ValidTo != "" && u.ValidTo < today {
			if succ, err := s.org.Successors(ctx, s.db.Read, id, today); err == nil && len(succ) == 1 && succ[0] != id {
				successor[id] = succ[0]
				succIDs = append(succIDs, succ[0])
			} else {
				orphans[id] = true
			}
		}
	}
	refs.load(succIDs) // their names and labels in one query
	for id, succ := range successor {
		r := refs.get(succ)
		holders[id] = &r
	}
	byID := func(a, b Assignment) int { return int(a.ID - b.ID) }
	filtered := out[:0]
	for _, t := range out {
		slices.SortFunc(t.LeadUnits, byID)
		slices.SortFunc(t.CoordinatingUnits, byID)
		for _, list := range [][]Assignment{t.LeadUnits, t.CoordinatingUnits, t.PreviousUnits} {
			for i := range list {
				list[i].Unit = refs.get(list[i].Unit.ID)
				list[i].HeldBy = holders[list[i].Unit.ID]
				list[i].Reassign = orphans[list[i].Unit.ID] && list[i].EndedOn == ""
			}
		}
		overall(&t, f.AsOf)
		switch {
		case f.Status == "overdue" && !t.Overdue:
			continue
		case f.Status != "" && f.Status != "overdue" && t.Status != f.Status:
			continue
		}
		filtered = append(filtered, t)
	}
	return filtered, nil
}

// holder is the unit answering today for an assigned unit that has ended
// (its single successor or heir), nil when the unit still exists or has no
// single successor.
func (s *Store) holder(ctx context.Context, refs *unitRefs, unit int64) *UnitRef {
	today := org.Today()
	succ, err := s.org.Successors(ctx, s.db.Read, unit, today)
	if err != nil || len(succ) != 1 || succ[0] == unit {
		return nil
	}
	r := refs.get(succ[0])
	return &r
}

// Task returns one task, with the assignments a reassignment ended.
func (s *Store) Task(ctx context.Context, id int64) (Task, error) {
	list, err := s.Tasks(ctx, TaskFilter{IDs: []int64{id}, History: true})
	if err != nil {
		return Task{}, fmt.Errorf("load task %d: %w", id, err)
	}
	if len(list) == 0 {
		return Task{}, errs.NotFound
	}
	return list[0], nil
}

// Updates lists a task's progress reports, newest first, with attachments.
func (s *Store) Updates(ctx context.Context, task int64) ([]Update, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, task_id, unit_id, status, progress, body, author, created_at, state FROM task_updates WHERE task_id = $1 ORDER BY created_at DESC, id DESC`, task)
	if err != nil {
		return nil, err
	}
	var out []Update
	index := map[int64]int{}
	for rows.Next() {
		var u Update
		var unit sql.NullInt64
		if err := rows.Scan(&u.ID, &u.TaskID, &unit, &u.Status, &u.Progress, &u.Body, &u.Author, &u.At, &u.State); err != nil {
			rows.Close()
			return nil, err
		}
		if unit.Valid {
			u.Unit = &UnitRef{ID: unit.Int64}
		}
		u.Attachments, u.Events = []Attachment{}, []UpdateEvent{}
		index[u.ID] = len(out)
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ar, err := s.db.Read.QueryContext(ctx, `SELECT a.id, a.update_id, a.filename, a.content_type, a.size, a.sha256 FROM task_attachments a
		JOIN task_updates u ON u.id = a.update_id WHERE u.task_id = $1 ORDER BY a.id`, task)
	if err != nil {
		return nil, err
	}
	for ar.Next() {
		var a Attachment
		var upd int64
		if err := ar.Scan(&a.ID, &upd, &a.Filename, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			ar.Close()
			return nil, err
		}
		out[index[upd]].Attachments = append(out[index[upd]].Attachments, a)
	}
	ar.Close()
	if err := ar.Err(); err != nil {
		return nil, err
	}
	if err := s.addEvents(ctx, task, out, index); err != nil {
		return nil, err
	}
	refs := s.refs(ctx)
	var unitIDs []int64
	for _, u := range out {
		if u.Unit != nil {
			unitIDs = append(unitIDs, u.Unit.ID)
		}
	}
	refs.load(unitIDs)
	for i := range out {
		if out[i].Unit != nil {
			r := refs.get(out[i].Unit.ID)
			out[i].Unit = &r
		}
	}
	if out == nil {
		out = []Update{}
	}
	return out, nil
}

// UpdateInput is a unit's progress report on its part of a task.
type UpdateInput struct {
	AssignmentID int64       `json:"assignmentId" doc:"which unit's part is reported; the caller's own when the task has one"`
	Status       string      `json:"status" doc:"not_started, in_progress, done or paused"`
	Progress     int         `json:"progress" doc:"0–100"`
	Body         string      `json:"body" doc:"what was done"`
	Attachments  []FileInput `json:"attachments,omitempty"`
	Draft        bool        `json:"draft,omitempty" doc:"in a plan that requires approval: keep the report as a draft (submitted later) rather than submit it now"`
}

// FileInput is an uploaded evidence file.
type FileInput struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Data        []byte `json:"data" doc:"base64"`
}

// MaxAttachment bounds one evidence file.
const MaxAttachment = 10 << 20

// AllowedTypes are the evidence file types accepted: documents people
// actually have (PDF scans, Word, Excel, images).
var AllowedTypes = map[string]bool{
	"application/pdf": true, "image/png": true, "image/jpeg": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       true,
	"application/msword": true, "application/vnd.ms-excel": true, "text/plain; charset=utf-8": true, "text/csv; charset=utf-8": true,
}

// assignment returns one assignment with its task.
func (s *Store) assignment(ctx context.Context, id int64) (task, unit int64, status string, progress int, err error) {
	err = s.db.Read.QueryRowContext(ctx, `SELECT task_id, unit_id, status, progress FROM task_assignments WHERE id = $1 AND ended_on = ''`, id).Scan(&task, &unit, &status, &progress)
	if errors.Is(err, sql.ErrNoRows) {
		err = errs.NotFound
	}
	return
}

// PostUpdate records a progress report and moves the assignment's status
// and progress, in one transaction with its attachments.
func (s *Store) PostUpdate(ctx context.Context, tx *sql.Tx, task int64, in UpdateInput, actor int64, author string) (int64, error) {
	in.Body = strings.TrimSpace(in.Body)
	v := errs.Validator{Context: "task"}
	v.Check(slices.Contains([]string{"not_started", "in_progress", "done", "paused"}, in.Status), "status", "one_of", "not_started, in_progress, done, paused")
	v.Check(in.Progress >= 0 && in.Progress <= 100, "progress", "range", 0, 100)
	v.Check(in.Status != "done" || in.Progress == 100, "progress", "done_is_100")
	v.Check(in.Body != "" || len(in.Attachments) > 0, "body", "required")
	v.Text("body", in.Body, errs.Paragraph)
	checkFiles(&v, "attachments", in.Attachments)
	if err := v.Err(); err != nil {
		return 0, err
	}
	var taskID, unit int64
	if err := tx.QueryRowContext(ctx, `SELECT task_id, unit_id FROM task_assignments WHERE id = $1 AND ended_on = ''`, in.AssignmentID).Scan(&taskID, &unit); err != nil || taskID != task {
		return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "not_found"})
	}
	// A plan that requires approval keeps the report apart until the
	// unit's approver approves it (approval.go).
	state, err := s.initialState(ctx, tx, task, in.Draft)
	if err != nil {
		return 0, err
	}
	now := store.Now()
	var actorArg, decided any
	if actor != 0 {
		actorArg = actor
	}
	if state == StateApproved {
		completed := ""
		if in.Status == "done" {
			completed = now.In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE task_assignments SET status = $1, progress = $2, updated_at = $3, completed_on = $4 WHERE id = $5`,
			in.Status, in.Progress, now, completed, in.AssignmentID); err != nil {
			return 0, err
		}
		decided = now
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO task_updates (task_id, assignment_id, unit_id, status, progress, body, created_by, author, created_at, state, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		task, in.AssignmentID, unit, in.Status, in.Progress, in.Body, actorArg, author, now, state, decided).Scan(&id); err != nil {
		return 0, err
	}
	if err := insertFiles(ctx, tx, `INSERT INTO task_attachments (update_id, filename, content_type, size, sha256, data) VALUES ($1, $2, $3, $4, $5, $6)`, id, in.Attachments); err != nil {
		return 0, err
	}
	if state == StateSubmitted {
		if err := s.addEvent(ctx, tx, id, "submit", StateSubmitted, "", actor, author); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// checkFiles validates evidence files (a progress report's, a comment's):
// each named, not empty, within MaxAttachment, of an allowed type whose
// content matches it.
func checkFiles(v *errs.Validator, field string, files []FileInput) {
	for i, a := range files {
		f := fmt.Sprintf("%s[%d]", field, i)
		v.Check(strings.TrimSpace(a.Filename) != "", f+".filename", "required")
		v.Text(f+".filename", a.Filename, errs.Name)
		v.Check(len(a.Data) > 0, f+".data", "required")
		v.Check(len(a.Data) <= MaxAttachment, f+".data", "file_too_large", MaxAttachment>>20)
		v.Check(AllowedTypes[a.ContentType], f+".contentType", "file_type", a.Filename)
		if AllowedTypes[a.ContentType] && len(a.Data) > 0 && len(a.Data) <= MaxAttachment && !ContentMatches(a.ContentType, a.Data) {
			// The declared type is what the download will say it is: a
			// page or program behind a harmless name must not pass.
			v.Add(f+".data", "content_mismatch", a.Filename, a.ContentType)
		}
	}
}

// insertFiles stores checked files under owner with query (owner,
// filename, content_type, size, sha256, data).
func insertFiles(ctx context.Context, tx *sql.Tx, query string, owner int64, files []FileInput) error {
	for _, a := range files {
		sum := sha256.Sum256(a.Data)
		if _, err := tx.ExecContext(ctx, query, owner, strings.TrimSpace(a.Filename), a.ContentType, len(a.Data), hex.EncodeToString(sum[:]), a.Data); err != nil {
			return err
		}
	}
	return nil
}

// AttachmentData returns an evidence file with the task it belongs to.
func (s *Store) AttachmentData(ctx context.Context, id int64) (Attachment, int64, []byte, error) {
	var a Attachment
	var task int64
	var data []byte
	err := s.db.Read.QueryRowContext(ctx, `SELECT a.id, a.filename, a.content_type, a.size, a.sha256, u.task_id, a.data FROM task_attachments a JOIN task_updates u ON u.id = a.update_id WHERE a.id = $1`, id).
		Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &task, &data)
	if errors.Is(err, sql.ErrNoRows) {
		err = errs.NotFound
	}
	return a, task, data, err
}

// SetOverride pauses or cancels a whole task, or lifts that ("").
func (s *Store) SetOverride(ctx context.Context, tx *sql.Tx, task int64, status string) error {
	if status != "" && status != "paused" && status != "cancelled" {
		return errs.Invalid(errs.Field{Name: "statusOverride", Code: "one_of", Args: []any{"paused, cancelled"}})
	}
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET status_override = $1 WHERE id = $2`, status, task)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFound
	}
	_, err = tx.ExecContext(ctx, `UPDATE plans SET updated_at = $1 WHERE id = (SELECT plan_id FROM tasks WHERE id = $2)`, store.Now(), task)
	return err
}

// ActualInput is a measured value of a target.
type ActualInput struct {
	MeasuredOn string  `json:"measuredOn" doc:"YYYY-MM-DD"`
	Level      string  `json:"level,omitempty"`
	Value      float64 `json:"value"`
	Evidence   string  `json:"evidence" doc:"where the figure comes from: a report number, a system, a link"`
	UnitID     int64   `json:"unitId,omitempty" doc:"the unit the figure is for: the target's responsible unit (the plan's issuer when it has none), a unit under it, or what succeeded them; by default the caller's unit when it is one of those, else the target's"`
}

// AddActual records an actual value of a target.
func (s *Store) AddActual(ctx context.Context, tx *sql.Tx, target int64, in ActualInput, actor int64) (int64, error) {
	in.Evidence = strings.TrimSpace(in.Evidence)
	v := errs.Validator{Context: "target"}
	v.Check(org.ValidDate(in.MeasuredOn), "measuredOn", "date")
	v.Check(in.MeasuredOn <= org.Today(), "measuredOn", "future")
	v.Check(in.Level == "" || slices.Contains(Levels, in.Level), "level", "one_of", strings.Join(Levels, ", "))
	v.Check(finite(in.Value), "value", "number")
	v.Check(in.Evidence != "", "evidence", "required")
	v.Text("evidence", in.Evidence, errs.Line)
	if err := v.Err(); err != nil {
		return 0, err
	}
	var unit any
	if in.UnitID != 0 {
		if err := s.checkActualUnit(ctx, tx, target, in.UnitID); err != nil {
			return 0, err
		}
		unit = in.UnitID
	}
	var actorArg any
	if actor != 0 {
		actorArg = actor
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO target_actuals (target_id, measured_on, level, value, evidence, unit_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		target, in.MeasuredOn, in.Level, in.Value, in.Evidence, unit, actorArg, store.Now()).Scan(&id)
	return id, err
}

// targetScope is the unit that answers for a target: its responsible
// unit, else the issuer of its plan.
func (s *Store) targetScope(ctx context.Context, q store.Querier, target int64) (int64, error) {
	var unit int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(t.responsible_unit_id, p.issuer_unit_id) FROM targets t JOIN plans p ON p.id = t.plan_id WHERE t.id = $1`, target).Scan(&unit)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.NotFound
	}
	return unit, err
}

// inTargetScope reports whether unit lies under the unit that answers for
// a target, or under a unit that succeeded it (the new Gia Lai answers
// for the old Gia Lai's targets, and its communes' figures count).
func (s *Store) inTargetScope(ctx context.Context, q store.Querier, target, unit int64) (bool, error) {
	scope, err := s.targetScope(ctx, q, target)
	if err != nil {
		return false, err
	}
	succ, err := s.org.Successors(ctx, q, scope, org.Today())
	if err != nil {
		return false, err
	}
	for _, sc := range append([]int64{scope}, succ...) {
		ok, err := s.org.Within(ctx, unit, sc)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// checkActualUnit refuses, naming unitId, a unit that does not exist or
// lies outside the target's scope: a figure for Lai Châu's commune does
// not belong to a Gia Lai target.
func (s *Store) checkActualUnit(ctx context.Context, q store.Querier, target, unit int64) error {
	var code string
	err := q.QueryRowContext(ctx, `SELECT code FROM org_units WHERE id = $1`, unit).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Invalid(errs.Field{Name: "unitId", Code: "not_found", Context: "target"})
	} else if err != nil {
		return err
	}
	ok, err := s.inTargetScope(ctx, q, target, unit)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Invalid(errs.Field{Name: "unitId", Code: "outside_target", Args: []any{code}, Context: "target"})
	}
	return nil
}

// Export returns a plan as a Doc, the same shape Import takes.
func (s *Store) Export(ctx context.Context, id int64) (Doc, error) {
	p, err := s.Plan(ctx, id)
	if err != nil {
		return Doc{}, err
	}
	d := Doc{Key: p.Key, Number: p.Number, Title: p.Title, Issuer: p.Issuer, IssuerUnit: p.IssuerUnit.Code, Date: p.IssuedOn, Signer: p.Signer,
		SpanFrom: p.SpanFrom, SpanTo: p.SpanTo, Status: p.Status, Note: p.Note, LegalBases: []string{}, Targets: []DocTarget{}, Tasks: []DocTask{}, RequiresApproval: &p.RequiresApproval}
	for _, b := range p.LegalBases {
		d.LegalBases = append(d.LegalBases, b.Number)
	}
	if p.ParentID != nil {
		s.db.Read.QueryRowContext(ctx, `SELECT plan_key FROM plans WHERE id = $1`, *p.ParentID).Scan(&d.Parent)
	}
	targets, err := s.Targets(ctx, TargetFilter{PlanID: id})
	if err != nil {
		return d, err
	}
	for _, t := range targets {
		dt := DocTarget{Code: t.Code, Pillar: t.Pillar, Group: t.Group, Statement: t.Statement, StatementLater: t.StatementLater, Measure: t.Unit,
			Direction: t.Direction, Source: t.Source, IndicatorCode: t.IndicatorCode, Milestones: []DocValue{}}
		if t.ResponsibleUnit != nil {
			dt.ResponsibleUnit = t.ResponsibleUnit.Code
		}
		if b := t.Baseline; b != nil {
			dt.Baseline = &DocBaseline{Year: b.Year, Value: b.Value}
			for _, l := range b.Levels {
				dt.Baseline.Levels = append(dt.Baseline.Levels, DocLevel{Level: l.Level, Value: l.Value})
			}
		}
		years := map[int]*DocValue{}
		var order []int
		for _, m := range t.Milestones {
			if _, ok := years[m.Year]; !ok {
				years[m.Year] = &DocValue{Year: m.Year}
				order = append(order, m.Year)
			}
			if m.Level == "" {
				v := m.Value
				years[m.Year].Value = &v
			} else if !slices.ContainsFunc(dt.Levels, func(l DocLevel) bool { return l.Level == m.Level }) {
				dt.Levels = append(dt.Levels, DocLevel{Level: m.Level, Value: m.Value})
			}
		}
		slices.Sort(order)
		for _, y := range order {
			dt.Milestones = append(dt.Milestones, *years[y])
		}
		d.Targets = append(d.Targets, dt)
	}
	tasks, err := s.Tasks(ctx, TaskFilter{PlanID: id})
	if err != nil {
		return d, err
	}
	for _, t := range tasks {
		dt := DocTask{Number: t.Number, Group: t.Group, Pillar: t.Pillar, Description: t.Description, LeadText: t.LeadText, CoordinatingText: t.CoordinatingText,
			TimeText: t.TimeFrame.Text, Output: t.Output, BudgetSource: t.BudgetSource, Budget: t.Budget, LeadUnits: []string{}, CoordinatingUnits: []string{},
			LeadGroups: []string{}, CoordinatingGroups: []string{}}
		if t.TimeFrame.StartOn != "" {
			y := atoiPrefix(t.TimeFrame.StartOn)
			dt.From = &y
		}
		if t.TimeFrame.DueOn != "" {
			y := atoiPrefix(t.TimeFrame.DueOn)
			dt.To = &y
		}
		for _, a := range t.LeadUnits {
			dt.LeadUnits = append(dt.LeadUnits, a.Unit.Code)
		}
		for _, a := range t.CoordinatingUnits {
			dt.CoordinatingUnits = append(dt.CoordinatingUnits, a.Unit.Code)
		}
		d.Tasks = append(d.Tasks, dt)
	}
	return d, nil
}

func atoiPrefix(date string) int {
	var y int
	fmt.Sscanf(date, "%d", &y)
	return y
}
