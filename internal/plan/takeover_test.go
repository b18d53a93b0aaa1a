package plan_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/testapp"
)

// planState is what a takeover would change: the issuer, the title and
// the rows under the plan.
type planState struct {
	Issuer, Title                        string
	Tasks, Targets, Parts, Values, Bases int
}

func statePlan(t *testing.T, app *testapp.App, key string) planState {
	t.Helper()
	var s planState
	var id int64
	err := app.DB.Read.QueryRow(`SELECT p.id, u.code, p.title FROM plans p JOIN org_units u ON u.id = p.issuer_unit_id WHERE p.plan_key = $1`, key).Scan(&id, &s.Issuer, &s.Title)
	if err != nil {
		t.Fatalf("plan %s: %v", key, err)
	}
	n := func(q string) int {
		var c int
		if err := app.DB.Read.QueryRow(q, id).Scan(&c); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return c
	}
	s.Tasks = n(`SELECT COUNT(*) FROM tasks WHERE plan_id = $1`)
	s.Targets = n(`SELECT COUNT(*) FROM targets WHERE plan_id = $1`)
	s.Parts = n(`SELECT COUNT(*) FROM task_assignments a JOIN tasks k ON k.id = a.task_id WHERE k.plan_id = $1`)
	s.Values = n(`SELECT COUNT(*) FROM target_values v JOIN targets g ON g.id = v.target_id WHERE g.plan_id = $1`)
	s.Bases = n(`SELECT COUNT(*) FROM plan_legal_bases WHERE plan_id = $1`)
	return s
}

// planDenials counts the refusals recorded for an actor on plan.manage.
func planDenials(t *testing.T, app *testapp.App, actor string) int {
	t.Helper()
	var n int
	if err := app.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE kind = 'access.denied' AND actor = $1 AND subject LIKE 'plan.manage%' AND success = $2`, actor, false).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// hostileDoc is another province's plan as its JSON export, re-issued by
// the attacker's province and emptied of targets and tasks.
func hostileDoc(t *testing.T, app *testapp.App, who, key, issuer string, keyed bool) string {
	t.Helper()
	status, body, _ := app.Do(t, who, "GET", fmt.Sprintf("/api/v1/plans/%d/export", planID(t, app, key)), "")
	if status != 200 {
		t.Fatalf("export %s: %d %s", key, status, body)
	}
	var d map[string]any
	testapp.JSON(t, body, &d)
	d["issuerUnit"], d["issuer"], d["title"] = issuer, "Kẻ chiếm quyền", "Kế hoạch đã bị thay"
	d["targets"], d["tasks"], d["legalBases"] = []any{}, []any{}, []any{}
	if !keyed {
		// The number alone is the key too, written with spaces around it.
		delete(d, "key")
		d["number"] = "  " + d["number"].(string) + " "
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// hostileWorkbook is another province's plan as its Excel export with the
// issuer changed to the attacker's province and every task row removed.
func hostileWorkbook(t *testing.T, app *testapp.App, who, key, issuer string) []byte {
	t.Helper()
	status, data, _ := app.Do(t, who, "GET", fmt.Sprintf("/api/v1/plans/%d/export.xlsx", planID(t, app, key)), "")
	if status != 200 {
		t.Fatalf("export.xlsx %s: %d", key, status)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Kế hoạch")
	set := false
	for i, r := range rows {
		if len(r) > 0 && strings.HasPrefix(r[0], "Mã đơn vị ban hành") {
			f.SetCellStr("Kế hoạch", fmt.Sprintf("B%d", i+1), issuer)
			set = true
		}
	}
	if !set {
		t.Fatal("no issuer row in the plan sheet")
	}
	tasks, _ := f.GetRows("Nhiệm vụ")
	for i := len(tasks); i >= 2; i-- {
		f.RemoveRow("Nhiệm vụ", i)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pageImport uploads a workbook through the import page, as a signed-in
// official does.
func pageImport(t *testing.T, app *testapp.App, who string, data []byte) (int, string) {
	t.Helper()
	b := app.Login(t, who)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.CSRF(t))
	fw, _ := mw.CreateFormFile("file", "ke-hoach.xlsx")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", app.URL+"/plans/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(page)
}

// An official who manages plans in one province cannot take over another
// province's plan by importing a document with its key: not through JSON,
// the Excel API or the Excel page; the plan is left as it was, the
// refusal is audited, and the real owner may still import it.
func TestImportCannotTakeOverAnotherProvincesPlan(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		attempts := []struct {
			name, who, key, issuer, via string
			keyed                       bool
		}{
			{"Lai Châu's admin re-issues 3015 as Lai Châu's (JSON, by key)", "quantri.laichau", "3015/KH-UBND", "LC", "json", true},
			{"Lai Châu's admin re-issues 3015 (JSON, by its number)", "quantri.laichau", "3015/KH-UBND", "LC", "json", false},
			{"Lai Châu's admin re-issues 1331 (Excel API)", "quantri.laichau", "1331/KH-UBND", "LC", "xlsx", false},
			{"Lai Châu's admin re-issues 3015 (Excel page)", "quantri.laichau", "3015/KH-UBND", "LC", "page", false},
			{"Gia Lai's coordinator re-issues 4900 as Gia Lai's (JSON)", "dieuphoi", "4900/KH-UBND", "GL25", "json", true},
			{"Gia Lai's coordinator re-issues 4900 (Excel API)", "dieuphoi", "4900/KH-UBND", "GL25", "xlsx", false},
			{"Gia Lai's coordinator re-issues 4900 (Excel page)", "dieuphoi", "4900/KH-UBND", "GL25", "page", false},
			// Keeping the owner's issuer does not help either.
			{"Lai Châu's admin empties 3015, issuer kept (JSON)", "quantri.laichau", "3015/KH-UBND", "GL", "json", true},
		}
		for _, a := range attempts {
			before := statePlan(t, app, a.key)
			if before.Tasks == 0 {
				t.Fatalf("%s: the demo plan has no tasks to lose", a.key)
			}
			denied := planDenials(t, app, a.who)
			var status int
			var body string
			switch a.via {
			case "json":
				var b []byte
				status, b, _ = app.Do(t, a.who, "POST", "/api/v1/plans", hostileDoc(t, app, a.who, a.key, a.issuer, a.keyed))
				body = string(b)
			case "xlsx":
				var b []byte
				status, b = xlsxPost(t, app, a.who, "/api/v1/plans/import.xlsx", xlsxType, hostileWorkbook(t, app, a.who, a.key, a.issuer))
				body = string(b)
			case "page":
				status, body = pageImport(t, app, a.who, hostileWorkbook(t, app, a.who, a.key, a.issuer))
			}
			if status != 403 {
				t.Errorf("%s: status %d, want 403: %.300s", a.name, status, body)
			}
			if after := statePlan(t, app, a.key); after != before {
				t.Errorf("%s: the plan changed\nbefore %+v\nafter  %+v", a.name, before, after)
			}
			if planDenials(t, app, a.who) <= denied {
				t.Errorf("%s: the refusal was not audited", a.name)
			}
		}

		// The owners still import their plans, by JSON and by Excel.
		for _, o := range []struct{ who, key string }{{"dieuphoi", "3015/KH-UBND"}, {"quantri.laichau", "4900/KH-UBND"}} {
			before := statePlan(t, app, o.key)
			status, exp, _ := app.Do(t, o.who, "GET", fmt.Sprintf("/api/v1/plans/%d/export", planID(t, app, o.key)), "")
			if status != 200 {
				t.Fatalf("%s exports %s: %d", o.who, o.key, status)
			}
			edited := strings.Replace(string(exp), `"title":"`, `"title":"(sửa) `, 1)
			if status, body, _ := app.Do(t, o.who, "POST", "/api/v1/plans", edited); status != 200 {
				t.Errorf("%s re-imports %s: %d %s", o.who, o.key, status, body)
			}
			after := statePlan(t, app, o.key)
			if !strings.HasPrefix(after.Title, "(sửa) ") || after.Tasks != before.Tasks || after.Issuer != before.Issuer {
				t.Errorf("%s's own import of %s: %+v → %+v", o.who, o.key, before, after)
			}
			status, data, _ := app.Do(t, o.who, "GET", fmt.Sprintf("/api/v1/plans/%d/export.xlsx", planID(t, app, o.key)), "")
			if status != 200 {
				t.Fatalf("export.xlsx: %d", status)
			}
			if status, body := xlsxPost(t, app, o.who, "/api/v1/plans/import.xlsx", xlsxType, data); status != 200 {
				t.Errorf("%s re-imports %s from Excel: %d %s", o.who, o.key, status, body)
			}
		}
		// The national admin manages both provinces and may move a plan
		// between them.
		if status, body, _ := app.Do(t, "admin", "POST", "/api/v1/plans", hostileDoc(t, app, "admin", "4900/KH-UBND", "GL", true)); status != 200 {
			t.Errorf("national admin moves 4900: %d %s", status, body)
		}
		if s := statePlan(t, app, "4900/KH-UBND"); s.Issuer != "GL" {
			t.Errorf("after the national admin's import 4900 is issued by %s", s.Issuer)
		}
	})
}
