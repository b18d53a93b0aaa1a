package plan_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// BenchmarkOverview measures the leader's overview on the province-sized
// programme of BenchmarkProvince (800 units, 2,000 tasks, 300 targets,
// 50,000 updates; target under 50 ms at the 95th percentile), with the
// same baseline measured in the same run: computed in the store, and the
// page through the whole HTTP stack (cached for the data version, as a
// leader opening it again gets it), and the monthly review computed in
// the same run as a reference.
//
//	go test ./internal/plan/ -run '^$' -bench BenchmarkOverview -benchtime 50x
func BenchmarkOverview(b *testing.B) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	p := buildProvince(b)
	ctx := context.Background()
	today := "2026-11-22"
	b.Run("baseline_scan_tasks", func(b *testing.B) {
		measure(b, func() error {
			rows, err := p.db.Read.QueryContext(ctx, `SELECT id, number, description, due_on FROM tasks`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var n, d, due string
				rows.Scan(&id, &n, &d, &due)
			}
			return rows.Err()
		})
	})
	b.Run("overview_computed", func(b *testing.B) {
		measure(b, func() error {
			o, err := p.plans.ComputeOverview(ctx, []int64{p.root}, today)
			if err == nil && (o.Tasks["total"] != 2000 || o.Targets["total"] != 300 || len(o.Trend) != 12 || len(o.OverdueUnits) == 0) {
				err = fmt.Errorf("overview covers %d tasks, %d targets", o.Tasks["total"], o.Targets["total"])
			}
			return err
		})
	})
	// The review reads the same tasks and targets: the reference the issue
	// sets ("the same budget as the review").
	b.Run("review_computed", func(b *testing.B) {
		measure(b, func() error {
			_, err := p.plans.ComputeReview(ctx, "2026-11", []int64{p.root}, today)
			return err
		})
	})
	client, base := p.signedIn(b)
	page := func(path, want string) func() error {
		return func() error {
			res, err := client.Get(base + path)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), want) {
				return fmt.Errorf("GET %s: %d", path, res.StatusCode)
			}
			return nil
		}
	}
	b.Run("page_overview_warm", func(b *testing.B) { measure(b, page("/overview", `<svg class="chart bars"`)) })
}
