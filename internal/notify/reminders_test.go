package notify_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/mail/mailtest"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/testapp"
)

var ict = time.FixedZone("ICT", 7*3600)

// reminderPlan imports, as Lai Châu's administrator, a plan with one task
// led by Sở KH&CN Lai Châu and due on 31 December 2026, and returns the
// task's id.
func reminderPlan(t *testing.T, app *testapp.App) int64 {
	t.Helper()
	doc := `{"number":"99/KH-UBND","title":"Kế hoạch thử nhắc việc","issuer":"UBND tỉnh Lai Châu","issuerUnit":"LC","date":"2026-01-10","spanFrom":2026,"spanTo":2027,"status":"in_force",
		"targets":[],"tasks":[{"number":"1","description":"Triển khai nền tảng nhắc việc","leadUnits":["LC.SKHCN"],"from":2026,"to":2026}]}`
	status, body, _ := app.Do(t, "quantri.laichau", "POST", "/api/v1/plans", doc)
	if status != 201 {
		t.Fatalf("import: %d %s", status, body)
	}
	var id int64
	if err := app.DB.Read.QueryRow(`SELECT t.id FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE p.number = '99/KH-UBND'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func setEmail(t *testing.T, app *testapp.App, username, email string) {
	t.Helper()
	if _, err := app.DB.Write.Exec(`UPDATE users SET email = $1 WHERE username = $2`, email, username); err != nil {
		t.Fatal(err)
	}
}

// Done when (issue 11): with a loopback SMTP listener, the reminder e-mail
// for a task due in 7 days arrives once, with two server nodes running
// their background jobs on one PostgreSQL (one node on SQLite), whatever
// else runs after it.
func TestReminderEmailOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			smtp := mailtest.Start(t, mailtest.Options{})
			conf := func(c *config.Config) {
				c.SMTPAddr, c.SMTPFrom, c.BaseURL = smtp.Addr, "tinhso Lai Châu <tinhso@laichau.gov.vn>", "https://tinhso.laichau.gov.vn"
			}
			app := testapp.NewWith(t, u, conf)
			nodes := []*testapp.App{app}
			if engine == store.Postgres {
				nodes = append(nodes, testapp.NewWith(t, u, conf))
			}
			task := reminderPlan(t, app)
			setEmail(t, app, "baocao.laichau", "lan@laichau.gov.vn")
			// 24 December 2026, 08:00 in Vietnam: the task is due in 7 days.
			clock := time.Date(2026, 12, 24, 8, 0, 0, 0, ict)
			for _, n := range nodes {
				n.Server.Notify.Now = func() time.Time { return clock }
				n.Server.Notify.Interval = 10 * time.Millisecond
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, n := range nodes {
				for _, c := range n.Server.Site().Components() {
					if c.Name == "notify" {
						wg.Go(func() {
							if err := c.Run(ctx); err != nil {
								t.Error(err)
							}
						})
					}
				}
			}
			got := smtp.Next(t, 60*time.Second)
			cancel()
			wg.Wait()
			// More rounds on every node, with the lease and without it.
			for _, n := range nodes {
				for range 2 {
					wg.Go(func() {
						if _, _, err := n.Server.Notify.Tick(context.Background()); err != nil {
							t.Error(err)
						}
						if _, err := n.Server.Notify.SendReminders(context.Background()); err != nil {
							t.Error(err)
						}
						if _, err := n.Server.Notify.DeliverMail(context.Background()); err != nil {
							t.Error(err)
						}
					})
				}
			}
			wg.Wait()
			if len(got.To) != 1 || got.To[0] != "lan@laichau.gov.vn" {
				t.Fatalf("envelope %+v", got)
			}
			m := got.Parse(t)
			if want := "Nhiệm vụ 1 (99/KH-UBND) đến hạn ngày 31/12/2026, còn 7 ngày"; m.Subject != want {
				t.Errorf("subject %q, want %q", m.Subject, want)
			}
			for _, want := range []string{"Kính gửi Bùi Thị Lan,", "Triển khai nền tảng nhắc việc", fmt.Sprintf("https://tinhso.laichau.gov.vn/tasks/%d", task), "/notifications/settings"} {
				if !strings.Contains(m.Body, want) {
					t.Errorf("body lacks %q:\n%s", want, m.Body)
				}
			}
			// The only other message: the day before the monthly progress
			// report (the 25th by the default rules), once too.
			extra := smtp.Pending()
			if len(extra) != 1 || extra[0].Parse(t).Subject != "Hạn báo cáo tiến độ kế hoạch 99/KH-UBND: 25/12/2026" {
				for _, x := range extra {
					t.Errorf("another message: %s", x.Parse(t).Subject)
				}
				t.Errorf("%d other messages, want the report reminder alone", len(extra))
			}
			lan := app.OfficialID(t, "baocao.laichau")
			if n := app.Count(t, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'plan.task.due_soon' AND link = $2`, lan, fmt.Sprintf("/tasks/%d", task)); n != 1 {
				t.Errorf("%d notifications of the task for the reporter, want 1", n)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM reminders_sent WHERE task_id = $1`, task); n != 1 {
				t.Errorf("sent-log holds %d rows for the task, want 1", n)
			}
		})
	}
}
