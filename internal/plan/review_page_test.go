package plan

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// A unit past the screen's budget of lines shows no task but a link to all
// of them, worded for that: never "Đang hiện 0 trong 2 nhiệm vụ". (The demo
// of December 2026 no longer has enough overdue units to exhaust the budget,
// so the page is rendered here from a review of 14 units of 5 tasks.)
func TestReviewScreenBudget(t *testing.T) {
	var list []UnitTasks
	for u := range 14 {
		ut := UnitTasks{Unit: UnitRef{ID: int64(100 + u), Code: fmt.Sprintf("U%02d", u), Name: fmt.Sprintf("Đơn vị %02d", u), Label: fmt.Sprintf("Đơn vị %02d — tỉnh Thử", u)}, Total: 5}
		for k := range 5 {
			ut.Tasks = append(ut.Tasks, ReviewTask{TaskID: int64(1000*u + k), PlanNumber: "1/KH", Number: fmt.Sprint(k), Description: "Việc", DueOn: "2025-12-31", Status: "in_progress", DaysLate: 300})
		}
		list = append(list, ut)
	}
	trimForScreen(list)
	shown := 0
	for _, ut := range list {
		shown += len(ut.Tasks)
	}
	if shown != screenTaskLines || len(list[11].Tasks) != 5 || len(list[12].Tasks) != 0 {
		t.Fatalf("trimmed to %d lines (unit 12: %d, unit 13: %d), want %d: five a unit, then none", shown, len(list[11].Tasks), len(list[12].Tasks), screenTaskLines)
	}
	d := reviewData{Review: Review{Month: "2026-12", AsOf: "2026-12-02", Overdue: list, Totals: map[string]int{}}, MonthLabel: "tháng 12/2026", Counts: map[string]int{}}
	rec := httptest.NewRecorder()
	if err := reviewPage.Render(rec, httptest.NewRequest("GET", "/review", nil), d); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	if strings.Contains(body, "Đang hiện 0 trong") {
		t.Error("a unit with no task shown says \"Đang hiện 0 trong …\"")
	}
	for _, want := range []string{"Xem 5 nhiệm vụ của Đơn vị 12 — tỉnh Thử", "Xem 5 nhiệm vụ của Đơn vị 13 — tỉnh Thử"} {
		if !strings.Contains(body, want) {
			t.Errorf("the review lacks %q", want)
		}
	}
	if strings.Contains(body, "Đơn vị 11 — tỉnh Thử</a>") || strings.Contains(body, "Xem 5 nhiệm vụ của Đơn vị 11") {
		t.Error("a unit whose five tasks are all shown links to them again")
	}
}
