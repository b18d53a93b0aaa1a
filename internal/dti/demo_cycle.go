package dti

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
)

// The demo's assessments on the sample department set, run through the
// same store methods an official's pages call (with their validation,
// history and audit): a complete 2024 cycle for the old Gia Lai's
// departments (self-assessed with evidence, some scores adjusted in
// review, some changed by the council, published) and a 2025 cycle of the
// new Gia Lai's departments in progress (every department appraised but
// Sở Tư pháp, which is still self-assessing: one component left, for the
// demo account baocao.sotp). Every figure is invented and says so.

// DemoSet is the code of the sample department set the demo cycles use.
const DemoSet = "GL25-SO-MAU"

// DemoOpenUnit is the department the 2025 cycle leaves self-assessing,
// and DemoOpenComponent the component it has not scored yet.
const (
	DemoOpenUnit      = "GL25.STP"
	DemoOpenComponent = "2.2"
)

const demoNote = "Số liệu minh họa của bản demo"

var demoPDF = []byte("%PDF-1.4\n% " + demoNote + "\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// demoPick is a stable pseudo-random number in [0,1) for a name.
func demoPick(parts ...any) float64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return float64(h.Sum64()%10000) / 10000
}

// demoInput invents a declared input for a component and a unit.
func demoInput(c Component, unit string, year int) Input {
	p := demoPick(unit, year, c.Code)
	q := demoPick(c.Code, unit, year, "b")
	r := c.Rule
	switch r.Kind {
	case YesNo:
		return Input{Yes: new(p < 0.75)}
	case Tiered:
		i := 0
		if p > 0.6 {
			i = 1
		}
		if p > 0.9 {
			i = len(r.Options) - 1
		}
		return Input{Option: r.Options[i].Code}
	case Parts:
		in := Input{Parts: []string{}}
		for i, o := range r.Parts {
			if demoPick(unit, year, c.Code, i) < 0.7 {
				in.Parts = append(in.Parts, o.Code)
			}
		}
		return in
	case Steps:
		return Input{Value: new(math.Floor(p * 6))}
	case Ratio:
		b := math.Floor(100 + 200*q)
		return Input{A: new(math.Floor(b * (0.45 + 0.55*p))), B: &b}
	}
	return Input{Score: new(math.Round(c.MaxPoints * (0.4 + 0.6*p)))}
}

// demoCycle is one of the demo's assessments.
type demoCycle struct {
	year     int
	owner    string
	deadline string
	// now is the clock the self-assessments read (before the deadline).
	now time.Time
	// open leaves a unit self-assessing with one component not scored;
	// publish publishes once every other unit is appraised.
	open    string
	publish bool
	// manager opens and publishes (the old Gia Lai's 2024 cycle: the
	// system administrator, the demo having no coordinator of the old
	// province).
	manager string
}

func (s *Store) loadDemoCycles(ctx context.Context) error {
	f, ok, err := s.frameworkByCode(ctx, s.db.Read, DemoSet)
	if err != nil || !ok {
		return err
	}
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM dti_assessments WHERE framework_id = $1`, f.ID).Scan(&n); err != nil || n > 0 {
		return err
	}
	s.allow()
	who := map[string]*org.Principal{}
	for _, u := range []string{"admin", "dieuphoi", "lanhdao"} {
		var id int64
		err := s.db.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, u).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the demo's accounts are not there: no cycle
		} else if err != nil {
			return err
		}
		if who[u], err = s.org.Principal(ctx, id); err != nil {
			return err
		}
	}
	clock := s.Now
	defer func() { s.Now = clock }()
	today := time.Now()
	for _, c := range []demoCycle{
		{year: 2024, owner: "GL", deadline: "2025-01-20", now: time.Date(2025, 1, 10, 9, 0, 0, 0, vnZone), publish: true, manager: "admin"},
		{year: 2025, owner: "GL25", deadline: today.AddDate(0, 1, 0).Format(time.DateOnly), now: today, open: DemoOpenUnit, manager: "dieuphoi"},
	} {
		s.Now = func() time.Time { return c.now }
		if err := s.runDemoCycle(ctx, f, c, who); err != nil {
			return fmt.Errorf("dti demo cycle %d: %w", c.year, err)
		}
	}
	return nil
}

func (s *Store) runDemoCycle(ctx context.Context, f Framework, c demoCycle, who map[string]*org.Principal) error {
	owner, err := s.org.UnitByCode(ctx, c.owner, "")
	if err != nil {
		return err
	}
	asOf := fmt.Sprintf("%04d-12-31", c.year)
	if t := org.Today(); asOf > t {
		asOf = t
	}
	units, err := s.org.Units(ctx, org.UnitFilter{AsOf: asOf, Parent: &owner.ID})
	if err != nil {
		return err
	}
	var ids []int64
	codes := map[int64]string{}
	for _, u := range units {
		if u.Kind == "department" {
			ids = append(ids, u.ID)
			codes[u.ID] = u.Code
		}
	}
	id, err := s.Open(ctx, who[c.manager], AssessmentInput{Framework: f.ID, Year: c.year, Owner: owner.ID, Deadline: c.deadline, Units: ids,
		Name:     fmt.Sprintf("Đánh giá chuyển đổi số các sở, ban, ngành năm %d (%s)", c.year, demoNote),
		Guidance: "Mỗi chỉ số thành phần kèm văn bản, biên bản hoặc số liệu chứng minh; thiếu tài liệu thì giải trình cách xác định điểm."})
	if err != nil {
		return fmt.Errorf("open (owner %d, %d units of %d, as of %s): %w", owner.ID, len(ids), len(units), asOf, err)
	}
	for _, u := range ids {
		code := codes[u]
		for i, comp := range f.Components() {
			if code == c.open && comp.Code == DemoOpenComponent {
				continue
			}
			in := ScoreInput{Component: comp.Code, Comment: demoNote}
			if i%4 == 3 {
				in.Explanation = "Chưa có văn bản riêng; điểm xác định theo báo cáo năm của đơn vị (" + demoNote + ")"
			} else {
				in.Evidence = []plan.FileInput{{Filename: fmt.Sprintf("%s-%s-%d.pdf", code, comp.Code, c.year), ContentType: "application/pdf", Data: demoPDF}}
			}
			// A computed component reads the reporting demo's value when
			// there is one; otherwise the unit declares it.
			err := errors.New("declare")
			if comp.Indicator != "" {
				err = s.SelfAssess(ctx, who["admin"], id, u, in)
			}
			if err != nil {
				in.Input = demoInput(comp, code, c.year)
				if err := s.SelfAssess(ctx, who["admin"], id, u, in); err != nil {
					return fmt.Errorf("%s %s: %w", code, comp.Code, err)
				}
			}
		}
		if code == c.open {
			continue
		}
		if err := s.Submit(ctx, who["admin"], id, u); err != nil {
			return fmt.Errorf("submit %s: %w", code, err)
		}
		// The review adjusts the component the unit scored most
		// generously (by the pick), accepts the rest.
		sh, err := s.Sheet(ctx, who["dieuphoi"], locale.VI, id, u)
		if err != nil {
			return err
		}
		var adjust *SheetLine
		best := -1.0
		for _, m := range sh.MainIndices {
			for j := range m.Components {
				l := &m.Components[j]
				if p := demoPick(code, c.year, l.Code, "review"); l.Score != nil && l.Score.SelfScore > 0 && p > best {
					best, adjust = p, l
				}
			}
		}
		review := ReviewInput{AcceptRest: true}
		if adjust != nil && best > 0.3 {
			sc := math.Round(adjust.Score.SelfScore / 2)
			review.Decisions = []Decision{{Component: adjust.Code, Action: Adjust, Score: &sc, Reason: "Tài liệu kiểm chứng chỉ chứng minh được một phần (" + demoNote + ")"}}
		}
		if _, err := s.Review(ctx, who["dieuphoi"], id, u, review); err != nil {
			return fmt.Errorf("review %s: %w", code, err)
		}
		var appraisal AppraisalInput
		if demoPick(code, c.year, "council") < 0.35 {
			comp := f.Components()[int(demoPick(code, c.year, "which")*float64(len(f.Components())))]
			sc := math.Round(comp.MaxPoints * 0.8)
			appraisal.Scores = []AppraisedScore{{Component: comp.Code, Score: &sc, Reason: "Hội đồng đối chiếu số liệu của cơ quan xác minh (" + demoNote + ")"}}
		}
		if err := s.Appraise(ctx, who["lanhdao"], id, u, appraisal); err != nil {
			return fmt.Errorf("appraise %s: %w", code, err)
		}
	}
	if c.publish {
		return s.Publish(ctx, who[c.manager], id)
	}
	return nil
}

// demoLinks is demodata/links.json: 3015/KH-UBND's tasks linked to the
// components of the sample sets they address.
type demoLinks struct {
	Note  string `json:"note"`
	Links []struct {
		Framework  string              `json:"framework"`
		Plan       string              `json:"plan"`
		Components map[string][]string `json:"components"`
	} `json:"links"`
}

// loadDemoLinks links the tasks once (a component that has links is left
// alone); a plan the demo has not loaded is skipped.
func (s *Store) loadDemoLinks(ctx context.Context) error {
	b, err := demoFiles.ReadFile("demodata/links.json")
	if err != nil {
		return err
	}
	var doc demoLinks
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	for _, l := range doc.Links {
		f, ok, err := s.frameworkByCode(ctx, s.db.Read, l.Framework)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		have, err := s.componentTasks(ctx, s.db.Read, f.ID)
		if err != nil {
			return err
		}
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, comp := range f.Components() {
				numbers := l.Components[comp.Code]
				if len(numbers) == 0 || len(have[comp.Code]) > 0 {
					continue
				}
				var tasks []int64
				for _, n := range numbers {
					var id int64
					err := tx.QueryRowContext(ctx, `SELECT t.id FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE p.number = $1 AND t.number = $2`, l.Plan, n).Scan(&id)
					if errors.Is(err, sql.ErrNoRows) {
						continue
					} else if err != nil {
						return err
					}
					tasks = append(tasks, id)
				}
				if len(tasks) > 0 {
					if err := s.setLinks(ctx, tx, nil, f, comp, tasks); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
