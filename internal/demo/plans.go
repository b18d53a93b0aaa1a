package demo

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/store"
)

// LoadPlans imports the seed plans through the same importer a coordinator
// uses, then adds a trail of progress reports and actual values so that the
// review and the charts have something to show. The trail is invented and
// says so in every evidence line; the plans themselves are text-exact.
func LoadPlans(ctx context.Context, db *store.DB, today string) error {
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM plans`).Scan(&n); err != nil || n > 0 {
		return err
	}
	orgs := org.NewStore(db, password.Default()) // creates no account
	plans := plan.NewStore(db, orgs)
	plans.UsePillars(dti.NewStore(db, orgs, nil).PlanPillars)
	docs, err := plan.DemoDocs()
	if err != nil {
		return err
	}
	for _, d := range docs {
		if _, err := plans.Import(ctx, d); err != nil {
			return fmt.Errorf("demo plan %s: %w", d.Key+d.Number, err)
		}
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return trail(ctx, tx, plans, today) }); err != nil {
		return err
	}
	return plans.LoadDemoMeetings(ctx, today) // the Steering Committee's meetings of Gia Lai, illustrative
}

// pick is a stable pseudo-random number in [0,1) for a name.
func pick(parts ...any) float64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return float64(h.Sum64()%10000) / 10000
}

const demoNote = "Số liệu minh họa của bản demo"

var vn = time.FixedZone("ICT", 7*3600)

func trail(ctx context.Context, tx *sql.Tx, plans *plan.Store, today string) error {
	now, _ := time.ParseInLocation(time.DateOnly, today, vn)
	reporters := map[string]string{}
	rows, err := tx.QueryContext(ctx, `SELECT u.code, o.full_name FROM users o JOIN org_units u ON u.id = o.unit_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			rows.Close()
			return err
		}
		reporters[code] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	type assignment struct {
		id, task                                int64
		unit, number, plan, start, due, validTo string
		succeeded                               bool
	}
	var list []assignment
	// A unit dissolved without a successor (a district in 2025) reports
	// nothing after its last day; one merged into another carries on
	// through its successor's staff.
	rows, err = tx.QueryContext(ctx, `SELECT a.id, a.task_id, u.code, t.number, p.plan_key, t.start_on, t.due_on, COALESCE(u.valid_to, ''),
			EXISTS (SELECT 1 FROM org_event_units f JOIN org_event_units s ON s.event_id = f.event_id AND s.role = 'to'
				WHERE f.unit_id = u.id AND f.role = 'from')
		FROM task_assignments a JOIN tasks t ON t.id = a.task_id JOIN plans p ON p.id = t.plan_id JOIN org_units u ON u.id = a.unit_id
		WHERE a.role = 'lead' ORDER BY a.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a assignment
		if err := rows.Scan(&a.id, &a.task, &a.unit, &a.number, &a.plan, &a.start, &a.due, &a.validTo, &a.succeeded); err != nil {
			rows.Close()
			return err
		}
		list = append(list, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range list {
		r := pick(a.plan, a.number, a.unit)
		start, err := time.ParseInLocation(time.DateOnly, a.start, vn)
		if err != nil {
			start, _ = time.ParseInLocation(time.DateOnly, "2023-01-01", vn)
		}
		due, derr := time.ParseInLocation(time.DateOnly, a.due, vn)
		if derr != nil || due.After(now.AddDate(5, 0, 0)) {
			due = now.AddDate(1, 0, 0)
		}
		// Where this unit's part stands today.
		var status string
		var progress int
		switch {
		case due.Before(now) && r < 0.68:
			status, progress = "done", 100
		case due.Before(now) && r < 0.9:
			status, progress = "in_progress", 40+int(r*50)
		case due.Before(now):
			status, progress = "not_started", 0
		case r < 0.15:
			status, progress = "done", 100
		case r < 0.8:
			status, progress = "in_progress", 10+int(r*80)
		default:
			status, progress = "not_started", 0
		}
		if status == "not_started" {
			continue
		}
		// A few reports spread between the start and today (or completion).
		end := now.AddDate(0, 0, -3)
		if status == "done" {
			end = due.AddDate(0, 0, -int(r*120))
			if pick(a.plan, a.number, a.unit, "recent") < 0.04 {
				end = now.AddDate(0, 0, -int(1+r*15)) // finished this month
			}
		}
		if end.Before(start) {
			end = start.AddDate(0, 2, 0)
		}
		latest := now.AddDate(0, 0, -2) // nothing is reported in the future
		if a.validTo != "" && !a.succeeded {
			if last, err := time.ParseInLocation(time.DateOnly, a.validTo, vn); err == nil && last.Before(latest) {
				latest = last
			}
		}
		if end.After(latest) {
			end = latest
		}
		if !start.Before(end) {
			start = end.AddDate(0, -3, 0)
		}
		steps := 1 + int(pick(a.unit, a.number, "steps")*3)
		for i := 1; i <= steps; i++ {
			at := start.Add(time.Duration(float64(end.Sub(start)) * float64(i) / float64(steps)))
			st, pr := "in_progress", progress*i/steps
			if i == steps {
				st, pr = status, progress
			}
			body := fmt.Sprintf("Đã triển khai %d%% khối lượng nhiệm vụ %s theo kế hoạch. (%s)", pr, a.number, demoNote)
			if st == "done" {
				body = fmt.Sprintf("Hoàn thành nhiệm vụ %s; đã báo cáo kết quả về Sở Thông tin và Truyền thông. (%s)", a.number, demoNote)
			}
			author := reporters[a.unit]
			if author == "" {
				author = "Cán bộ đầu mối chuyển đổi số"
			}
			in := plan.UpdateInput{AssignmentID: a.id, Status: st, Progress: pr, Body: body}
			if i == steps && pick(a.unit, a.number, "file") < 0.3 {
				in.Attachments = []plan.FileInput{{Filename: "bao-cao-tien-do-" + a.number + ".txt", ContentType: "text/plain; charset=utf-8",
					Data: []byte("Báo cáo tiến độ nhiệm vụ " + a.number + " — " + demoNote + "\n")}}
			}
			id, err := plans.PostUpdate(ctx, tx, a.task, in, 0, author)
			if err != nil {
				return fmt.Errorf("demo progress %s %s: %w", a.plan, a.number, err)
			}
			ts := at.UTC().Truncate(time.Microsecond)
			// The demo's plans need approval: the trail is history its
			// units' heads approved when it was written.
			if err := plans.ApproveHistory(ctx, tx, id, ts, demoApprover); err != nil {
				return err
			}
			completed := ""
			if st == "done" {
				completed = at.Format(time.DateOnly)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE task_assignments SET updated_at = $1, completed_on = $2 WHERE id = $3`, ts, completed, a.id); err != nil {
				return err
			}
		}
	}
	if err := plans.DemoWorkflow(ctx, tx, today); err != nil {
		return err
	}
	return actuals(ctx, tx, plans, now)
}

// demoApprover signs the trail's approvals.
const demoApprover = "Lãnh đạo đơn vị (" + demoNote + ")"

// actuals adds yearly values for the targets of plans that have started:
// moving from the baseline toward the milestones, some faster than others.
func actuals(ctx context.Context, tx *sql.Tx, plans *plan.Store, now time.Time) error {
	targets, err := plans.Targets(ctx, plan.TargetFilter{})
	if err != nil {
		return err
	}
	for _, t := range targets {
		if t.Source == "indicator" {
			continue // its actual values come from the periodic reports
		}
		pace := 0.8 + pick(t.PlanID, t.Code)*0.45 // 0.8–1.25 of the straight line
		byLevel := map[string][]plan.Value{}
		for _, m := range t.Milestones {
			byLevel[m.Level] = append(byLevel[m.Level], m)
		}
		for level, ms := range byLevel {
			last := ms[len(ms)-1]
			startYear, startValue := ms[0].Year-3, last.Value*0.45
			if t.Direction == "at_most" {
				startValue = last.Value * 1.8
			}
			if b := t.Baseline; b != nil {
				startYear = b.Year
				if level == "" && b.Value != nil {
					startValue = *b.Value
				}
				for _, l := range b.Levels {
					if l.Level == level {
						startValue = l.Value
					}
				}
			}
			for y := startYear + 1; y <= last.Year && y < now.Year(); y++ {
				// The next milestone at or after y.
				target := last
				for _, m := range ms {
					if m.Year >= y {
						target = m
						break
					}
				}
				span := float64(target.Year - startYear)
				f := math.Min(1, pace*float64(y-startYear)/math.Max(1, span))
				v := math.Round((startValue+f*(target.Value-startValue))*10) / 10
				if t.Unit == "%" {
					v = math.Max(0, math.Min(100, v))
				}
				in := plan.ActualInput{MeasuredOn: fmt.Sprintf("%d-12-31", y), Level: level, Value: v, Evidence: fmt.Sprintf("Báo cáo kết quả chuyển đổi số năm %d (%s)", y, demoNote)}
				if _, err := plans.AddActual(ctx, tx, t.ID, in, 0); err != nil {
					return fmt.Errorf("demo actual %s: %w", t.Code, err)
				}
			}
		}
	}
	return nil
}
