package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestDemoSubmissions loads the demo's two years of reports on a demo
// province (as `tinhso demo` does) and checks the story they tell: both
// sides of 1 July 2025, districts before and communes after, approved at
// every level, some returned and sent again with the approver's comment,
// some late, some missing, the last quarter partly waiting; a second load
// writes nothing.
func TestDemoSubmissions(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		today := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		start := time.Now()
		n, err := report.LoadDemoSubmissions(ctx, app.DB, org.NewStore(app.DB, password.Cheap()), today)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d reports in %s", n, time.Since(start).Round(time.Millisecond))
		if n < 100 {
			t.Fatalf("%d demo reports", n)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var c int
			if err := app.DB.Read.QueryRow(q, args...).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		states := map[string]int{}
		for _, st := range []string{report.StateDraft, report.StateSubmitted, report.StateReturned, report.StateApproved, report.StateAccepted} {
			states[st] = count(`SELECT COUNT(*) FROM report_submissions WHERE state = $1`, st)
		}
		t.Logf("states %v", states)
		if states[report.StateAccepted] < n/2 || states[report.StateSubmitted] == 0 {
			t.Errorf("states %v of %d reports", states, n)
		}
		if c := count(`SELECT COUNT(*) FROM report_submission_events WHERE action = 'return' AND comment <> ''`); c == 0 {
			t.Error("no report was returned with a comment")
		}
		if c := count(`SELECT COUNT(*) FROM report_submissions s WHERE s.state = 'accepted' AND EXISTS
			(SELECT 1 FROM report_submission_events e WHERE e.submission_id = s.id AND e.action = 'return')`); c == 0 {
			t.Error("no returned report was sent again and approved")
		}
		if c := count(`SELECT COUNT(*) FROM report_submissions WHERE on_time = $1`, false); c == 0 {
			t.Error("no report was late")
		}
		// Before 1 July 2025 Lai Châu's commune form went to its districts,
		// since to its communes, and both were approved to the end.
		lcDistricts := count(`SELECT COUNT(*) FROM report_submissions s JOIN report_forms f ON f.id = s.form_id JOIN org_units u ON u.id = s.unit_id
			WHERE f.code = 'CDS.QUY.XA.LC' AND s.period = '2025Q1' AND s.state = 'accepted'`)
		lcCommunes := count(`SELECT COUNT(*) FROM report_submissions s JOIN report_forms f ON f.id = s.form_id
			WHERE f.code = 'CDS.QUY.XA.LC' AND s.period = '2026Q1' AND s.state = 'accepted'`)
		if lcDistricts == 0 || lcCommunes == 0 {
			t.Errorf("Lai Châu's approved commune-form reports: %d in 2025Q1, %d in 2026Q1", lcDistricts, lcCommunes)
		}
		// Some reports were never sent: fewer reports than the units
		// expected in the last quarter.
		var expected int
		for _, f := range []string{"CDS.QUY.XA.LC"} {
			var id int64
			if err := app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = $1`, f).Scan(&id); err != nil {
				t.Fatal(err)
			}
			fu, err := app.Server.Report.UnitsFor(ctx, id, mustPeriod(t, "2026Q3"))
			if err != nil {
				t.Fatal(err)
			}
			expected += len(fu.Units)
		}
		got := count(`SELECT COUNT(*) FROM report_submissions s JOIN report_forms f ON f.id = s.form_id WHERE f.code = 'CDS.QUY.XA.LC' AND s.period = '2026Q3'`)
		if got == 0 || got >= expected {
			t.Errorf("2026Q3: %d reports of %d expected", got, expected)
		}
		again, err := report.LoadDemoSubmissions(ctx, app.DB, org.NewStore(app.DB, password.Cheap()), today)
		if err != nil || again != 0 {
			t.Errorf("second load: %d, %v", again, err)
		}
		// Lai Châu's share of reports on the system (its 4900/KH-UBND
		// target MT.5) has a figure from the demo's first quarter, 2024Q4,
		// and none before it: nothing was sent on the system then.
		f := newAnaFixture(t, app)
		got2 := f.values(f.ask("quantri.laichau", "dimension=dx:"+report.ShareOfReports+"&dimension=pe:2024Q3;2024Q4;2026Q1&filter=ou:{LC}"))
		if len(got2) != 2 || !strings.HasPrefix(got2[0], report.ShareOfReports+" 2024Q4 = ") || !strings.HasPrefix(got2[1], report.ShareOfReports+" 2026Q1 = ") {
			t.Errorf("share of reports on the system: %q, want 2024Q4 and 2026Q1 only", got2)
		}
	})
}

func mustPeriod(t *testing.T, s string) report.Period {
	t.Helper()
	p, err := report.ParsePeriod(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
