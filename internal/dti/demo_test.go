package dti_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The demo's DTI (part 7), read through the API on both engines: the
// commune set, the department set's published 2024 cycle with scores
// adjusted in review and changed by the council, its 2025 cycle in
// progress, and 3015/KH-UBND's tasks named where a department loses
// points.
func TestDemo(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var set, communes int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = $1`, dti.DemoSet).Scan(&set); err != nil {
			t.Fatal(err)
		}
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = 'GL25-XA-MAU'`).Scan(&communes); err != nil {
			t.Fatal(err)
		}
		st, body, _ := app.Do(t, "baocao.bienho", "GET", fmt.Sprintf("/api/v1/dti/frameworks/%d", communes), "")
		if st != 200 || !strings.Contains(string(body), `"level":"commune"`) || !strings.Contains(string(body), `"provenance":"sample"`) {
			t.Errorf("the commune set: %d %.300s", st, body)
		}
		var res dti.Results
		st, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2024", set), "")
		if st != 200 {
			t.Fatalf("2024 results: %d %s", st, body)
		}
		testapp.JSON(t, body, &res)
		if res.Peers != 15 || len(res.Units) != 15 {
			t.Fatalf("2024: %d peers, %d rows, want the old Gia Lai's 15 departments", res.Peers, len(res.Units))
		}
		linked := 0
		for i, u := range res.Units {
			if u.State != dti.StatePublished || u.Rank < 1 || (i > 0 && u.Rank < res.Units[i-1].Rank) || u.Index <= 0 || u.Index > 1 {
				t.Errorf("2024 %s: state %s rank %d index %v", u.Unit.Code, u.State, u.Rank, u.Index)
			}
			for j, l := range u.Losses {
				if j > 0 && l.Gap > u.Losses[j-1].Gap {
					t.Errorf("%s: losses not largest first", u.Unit.Code)
				}
				for _, task := range l.Tasks {
					if task.Plan == "3015/KH-UBND" {
						linked++
					}
				}
			}
		}
		if linked == 0 {
			t.Error("no loss names a task of 3015/KH-UBND")
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_scores sc JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id JOIN dti_assessments a ON a.id = au.assessment_id
			WHERE a.framework_id = $1 AND a.year = 2024 AND sc.review = 'adjusted'`, set); n == 0 {
			t.Error("no score adjusted in the 2024 review")
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_events e JOIN dti_assessments a ON a.id = e.assessment_id WHERE a.framework_id = $1 AND a.year = 2024 AND e.action = 'appraise'`, set); n == 0 {
			t.Error("the 2024 council changed no score")
		}
		st, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2025&stage=current", set), "")
		testapp.JSON(t, body, &res)
		states := map[string]string{}
		for _, u := range res.Units {
			states[u.Unit.Code] = u.State
		}
		if st != 200 || states[dti.DemoOpenUnit] != dti.StateOpen || len(states) < 10 {
			t.Errorf("2025 in progress: %d %v", st, states)
		}
		for code, s := range states {
			if code != dti.DemoOpenUnit && s != dti.StateAppraised {
				t.Errorf("2025: %s is %s, want appraised", code, s)
			}
		}
		st, body, _ = app.Do(t, "baocao.sotp", "GET", fmt.Sprintf("/api/v1/dti/frameworks/%d/links", set), "")
		if st != 200 || !strings.Contains(string(body), `"plan":"3015/KH-UBND"`) {
			t.Errorf("links: %d %.300s", st, body)
		}
	})
}

// Part 5 and the change from last year, on the demo through the API and
// the pages: the new Gia Lai's Sở Tư pháp (from 1/7/2025) was not assessed
// in 2024; its 2024 is the plain average of its assessed predecessors'
// main indices, labelled as such, ranked among the 2025 departments (in
// the results' change from last year and in its history alike); its
// history shows its predecessor's published score beside its own.
func TestHistory(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var set, asm int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = $1`, dti.DemoSet).Scan(&set); err != nil {
			t.Fatal(err)
		}
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_assessments WHERE framework_id = $1 AND year = 2025`, set).Scan(&asm); err != nil {
			t.Fatal(err)
		}
		stp := app.UnitID(t, dti.DemoOpenUnit)
		base := fmt.Sprintf("/api/v1/dti/assessments/%d/units/%d", asm, stp)
		for _, step := range []struct{ user, path, body string }{
			{"baocao.sotp", base + "/scores", `{"component":"2.2","input":{"score":30},"explanation":"Tự chấm"}`},
			{"baocao.sotp", base + "/submit", ""},
			{"dieuphoi", base + "/review", `{"acceptRest":true}`},
			{"lanhdao", base + "/appraisal", `{"scores":[]}`},
			{"dieuphoi", fmt.Sprintf("/api/v1/dti/assessments/%d/publish", asm), ""},
		} {
			if st, body, _ := app.Do(t, step.user, "POST", step.path, step.body); st != 200 {
				t.Fatalf("%s %s: %d %s", step.user, step.path, st, body)
			}
		}
		var res dti.Results
		st, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2025", set), "")
		if st != 200 {
			t.Fatalf("scores: %d %s", st, body)
		}
		testapp.JSON(t, body, &res)
		var mine *dti.UnitScore
		ranks := map[int]bool{}
		withPrevious := 0
		for i, u := range res.Units {
			if u.Unit.ID == stp {
				mine = &res.Units[i]
			}
			if u.Previous != nil {
				if !u.Previous.Averaged || u.Previous.Year != 2024 || len(u.Previous.Of) == 0 {
					t.Errorf("%s's 2024: %+v, want its predecessors' average", u.Unit.Code, u.Previous)
				}
				ranks[u.Previous.Rank] = true
				withPrevious++
			}
		}
		if mine == nil || mine.Previous == nil || mine.Change == nil || mine.RankChange == nil {
			t.Fatalf("Sở Tư pháp in 2025: %+v", mine)
		}
		if mine.Previous.Of[0].Code != "GL.STP" {
			t.Errorf("averaged of %+v, want GL.STP", mine.Previous.Of)
		}
		if !ranks[1] {
			t.Error("the previous year's ranks do not start at 1")
		}
		// Its predecessor's 2024 score, as published.
		var old dti.Results
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2024", set), "")
		testapp.JSON(t, body, &old)
		var glstp dti.UnitScore
		for _, u := range old.Units {
			if u.Unit.Code == "GL.STP" {
				glstp = u
			}
		}
		if mine.Previous.Index != glstp.Index || *mine.Change != float64(int64((mine.Index-glstp.Index)*1e4+0.5*sign(mine.Index-glstp.Index)))/1e4 {
			t.Errorf("previous %v, change %v; GL.STP had %v, 2025 %v", mine.Previous.Index, *mine.Change, glstp.Index, mine.Index)
		}

		var h dti.History
		st, body, _ = app.Do(t, "baocao.sotp", "GET", fmt.Sprintf("/api/v1/dti/history?unit=%d", stp), "")
		if st != 200 {
			t.Fatalf("history: %d %s", st, body)
		}
		testapp.JSON(t, body, &h)
		var own, averaged, pred bool
		for _, r := range h.Rows {
			switch {
			case r.Own && r.Year == 2025:
				own = true
			case r.Averaged && r.Year == 2024 && r.Index == glstp.Index:
				// Ranked as the results' previous year is: among the 2025
				// departments, each with its own or its predecessors' 2024.
				averaged = r.Rank == mine.Previous.Rank && r.Peers == withPrevious && r.Rank > 0
			case r.Unit.Code == "GL.STP" && r.Year == 2024 && r.Rank == glstp.Rank:
				pred = true
			}
		}
		if !own || !averaged || !pred {
			t.Errorf("history rows: own 2025 %v, averaged 2024 %v, GL.STP's 2024 %v: %+v", own, averaged, pred, h.Rows)
		}
		if st, _, _ := app.Do(t, "baocao.ankhe", "GET", fmt.Sprintf("/api/v1/dti/history?unit=%d", stp), ""); st != 403 {
			t.Errorf("another unit's reporter reads the history: %d", st)
		}
		if st, body, _ := app.Do(t, "baocao.sotp", "GET", "/api/v1/dti/history?unit=abc", ""); st != 422 || !strings.Contains(string(body), `"unit"`) {
			t.Errorf("a bad unit: %d %s", st, body)
		}
		// The whole scoring sheet as a workbook in the provinces' layout.
		st, body, hdr := app.Do(t, "baocao.sotp", "GET", base+"?format=xlsx", "")
		if st != 200 || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("sheet workbook: %d %s", st, hdr.Get("Content-Type"))
		}
		wb, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := wb.GetRows(wb.GetSheetName(0))
		if err != nil || len(rows) < 20 {
			t.Fatalf("sheet workbook rows: %d %v", len(rows), err)
		}
		all := fmt.Sprint(rows)
		for _, want := range []string{"Điểm tự đánh giá", "Điểm sau rà soát", "Điểm thẩm định", "Điểm công bố", "NHẬN THỨC SỐ", "Tự chấm", "TỔNG ĐIỂM"} {
			if !strings.Contains(all, want) {
				t.Errorf("the sheet workbook lacks %q", want)
			}
		}
		if st, _, _ := app.Do(t, "baocao.sotp", "GET", base+"?format=pdf", ""); st != 422 {
			t.Errorf("?format=pdf: %d, want 422", st)
		}
		b := app.Login(t, "baocao.sotp")
		if st, csv := b.Get(t, fmt.Sprintf("/dti/assessments/%d/units/%d?format=csv", asm, stp)); st != 200 || !strings.HasPrefix(csv, "\ufeffMã,Chỉ số") {
			t.Errorf("the sheet as CSV from the page: %d %.60q", st, csv)
		}
		checkPage(t, b, fmt.Sprintf("/dti/history?unit=%d", stp), 200, "Kết quả qua các năm", "Đơn vị tiền thân", "Trung bình đơn vị tiền thân", "<svg", "Xếp hạng qua các năm", "Các chỉ số chính năm 2025", fmt.Sprintf("≈%d/%d", mine.Previous.Rank, withPrevious))
		checkPage(t, b, fmt.Sprintf("/dti/scores?framework=%d&year=2025", set), 200, "So với năm trước", "trung bình các đơn vị tiền thân")
		checkPage(t, app.Login(t, "lanhdao"), fmt.Sprintf("/dti/history?unit=%d", app.UnitID(t, "GL25")), 200, "62/63")
	})
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}
