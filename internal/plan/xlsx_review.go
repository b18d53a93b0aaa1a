package plan

// The Steering Committee's monthly review as a workbook: a summary, the
// overdue tasks by lead unit, those due in 30 days, those completed in the
// month, the tasks to be reassigned, the targets at risk or off track, and
// the league table. Statuses,
// directions and levels carry the labels of the review page (the same
// catalogue keys), so a status has one name everywhere.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// xlLabel is the Vietnamese label of a code, as the pages show it.
func xlLabel(prefix, code string) string {
	if code == "" {
		return ""
	}
	return locale.T(locale.VI, prefix+code)
}

func (s *Store) xlReview(ctx context.Context, rv Review) (*xlsx.Book, error) {
	plans, err := s.Plans(ctx, "")
	if err != nil {
		return nil, err
	}
	planNo := map[int64]string{}
	for _, p := range plans {
		planNo[p.ID] = p.Number
		if p.Number == "" {
			planNo[p.ID] = p.Title
		}
	}
	ch, err := s.xlChoices(ctx)
	if err != nil {
		return nil, err
	}
	month := rv.Month
	if t, err := time.Parse("2006-01", rv.Month); err == nil {
		month = t.Format("01/2006")
	}
	b := xlsx.New("Báo cáo tiến độ chuyển đổi số tháng " + month)
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()

	count := func(groups []UnitTasks) (n int) {
		for _, g := range groups {
			n += len(g.Tasks)
		}
		return n
	}
	sum, err := b.AddReport("Tổng hợp", []string{
		"BÁO CÁO TIẾN ĐỘ THỰC HIỆN CÁC KẾ HOẠCH CHUYỂN ĐỔI SỐ — THÁNG " + month,
		"Số liệu tính đến ngày " + locale.ISODate(locale.VI, rv.AsOf) + " (phục vụ giao ban Ban Chỉ đạo chuyển đổi số)",
	}, []xlsx.Column{{Header: "Chỉ tiêu", Width: 52}, {Header: "Số lượng", Width: 16, Format: xlsx.Integer}})
	if err != nil {
		return nil, err
	}
	rows := [][]any{
		{"Tổng số nhiệm vụ", rv.Totals["tasks"]},
		{"Nhiệm vụ quá hạn", rv.Totals["overdue"]},
		{"Phần việc quá hạn của đơn vị chủ trì (trang «Quá hạn»)", count(rv.Overdue)},
		{"Đơn vị có nhiệm vụ quá hạn", len(rv.Overdue)},
		{"Phần việc đến hạn trong 30 ngày tới (trang «Sắp đến hạn»)", count(rv.DueSoon)},
		{"Phần việc hoàn thành trong tháng (trang «Hoàn thành»)", count(rv.Completed)},
		{"Nhiệm vụ cần giao lại: chưa có đơn vị chủ trì chịu trách nhiệm (trang «Cần giao lại»)", rv.Totals["reassign"]},
		{"Tổng số chỉ tiêu", rv.Totals["targets"]},
	}
	for _, st := range TargetStatuses {
		rows = append(rows, []any{"Chỉ tiêu: " + xlLabel("target.status.", st), rv.Totals["targets_"+st]})
	}
	for _, r := range rows {
		if err := sum.Append(r...); err != nil {
			return nil, err
		}
	}

	table := func(name string, cols []xlsx.Column, rows [][]any) error {
		t, err := b.AddTable(name, cols)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := t.Append(r...); err != nil {
				return err
			}
		}
		if len(rows) == 0 {
			return t.Append("Không có.")
		}
		return nil
	}
	unitCols := []xlsx.Column{{Header: "STT", Width: 6, Format: xlsx.Integer}, {Header: "Đơn vị chủ trì", Width: 32}, {Header: "Mã đơn vị", Width: 14},
		{Header: "Kế hoạch", Width: 16}, {Header: "Số TT nhiệm vụ", Width: 10, Format: xlsx.TextFmt}, {Header: "Nội dung nhiệm vụ", Width: 60},
		{Header: "Hạn hoàn thành", Width: 13, Format: xlsx.DateFmt}}
	taskRows := func(groups []UnitTasks, extra func(ReviewTask) []any) [][]any {
		var out [][]any
		for _, g := range groups {
			for _, t := range g.Tasks {
				r := []any{len(out) + 1, g.Unit.Name, g.Unit.Code, t.PlanNumber, t.Number, t.Description, xlsx.ISODate(t.DueOn)}
				out = append(out, append(r, extra(t)...))
			}
		}
		return out
	}
	status := func(t ReviewTask) string { return xlLabel("task.status.", t.Status) }
	progress := xlsx.Column{Header: "Tiến độ (%)", Width: 9, Format: xlsx.Integer}
	stCol := xlsx.Column{Header: "Trạng thái", Width: 16}
	if err := table("Quá hạn", append(slices.Clone(unitCols), xlsx.Column{Header: "Số ngày quá hạn", Width: 10, Format: xlsx.Integer}, stCol, progress),
		taskRows(rv.Overdue, func(t ReviewTask) []any { return []any{t.DaysLate, status(t), t.Progress} })); err != nil {
		return nil, err
	}
	asOf := mustDate(rv.AsOf)
	if err := table("Sắp đến hạn", append(slices.Clone(unitCols), xlsx.Column{Header: "Còn lại (ngày)", Width: 10, Format: xlsx.Integer}, stCol, progress),
		taskRows(rv.DueSoon, func(t ReviewTask) []any {
			return []any{int(mustDate(t.DueOn).Sub(asOf).Hours() / 24), status(t), t.Progress}
		})); err != nil {
		return nil, err
	}
	if err := table("Hoàn thành", append(slices.Clone(unitCols), xlsx.Column{Header: "Ngày hoàn thành", Width: 13, Format: xlsx.DateFmt}),
		taskRows(rv.Completed, func(t ReviewTask) []any { return []any{xlsx.ISODate(t.CompletedOn)} })); err != nil {
		return nil, err
	}
	var rrows [][]any
	for _, t := range rv.Reassign {
		why, ended := xlLabel("review.", "reassign_no_lead"), []string{}
		if t.Reason == "unit_ended" {
			why = strings.TrimSuffix(xlLabel("review.", "reassign_unit_ended"), ":")
			for _, u := range t.EndedUnits {
				ended = append(ended, u.Name+" ("+u.Code+")")
			}
		}
		rrows = append(rrows, []any{len(rrows) + 1, planNo[t.PlanID], t.Number, t.Description, xlsx.ISODate(t.DueOn), why, strings.Join(ended, "; ")})
	}
	if err := table("Cần giao lại", []xlsx.Column{{Header: "STT", Width: 6, Format: xlsx.Integer}, {Header: "Kế hoạch", Width: 16}, {Header: "Số TT nhiệm vụ", Width: 10, Format: xlsx.TextFmt},
		{Header: "Nội dung nhiệm vụ", Width: 60}, {Header: "Hạn hoàn thành", Width: 13, Format: xlsx.DateFmt}, {Header: "Lý do", Width: 30},
		{Header: "Đơn vị chủ trì đã kết thúc", Width: 32}}, rrows); err != nil {
		return nil, err
	}
	var trows [][]any
	for _, t := range rv.Targets {
		var ms []string
		for _, m := range t.Milestones {
			v := locale.Number(locale.VI, m.Value, 4)
			if m.Level != "" {
				v = xlLabel("target.level.", m.Level) + " " + v
			}
			ms = append(ms, fmt.Sprintf("%d: %s", m.Year, v))
		}
		base := ""
		if bl := t.Baseline; bl != nil {
			base = fmt.Sprintf("%d: %s", bl.Year, xlLevelsText(ch, bl.Value, levelsOf(bl.Levels)))
		}
		var latest, measured, expected any
		if n := len(t.Actuals); n > 0 {
			latest, measured = t.Actuals[n-1].Value, xlsx.ISODate(t.Actuals[n-1].MeasuredOn)
		}
		if t.Expected != nil {
			expected = math.Round(*t.Expected*100) / 100
		}
		resp := ""
		if t.ResponsibleUnit != nil {
			resp = t.ResponsibleUnit.Name
		}
		trows = append(trows, []any{len(trows) + 1, planNo[t.PlanID], t.Code, ch.pillar.Label(t.Pillar), t.Statement, t.Unit, xlLabel("target.direction.", t.Direction), base,
			strings.Join(ms, "; "), latest, measured, expected, xlLabel("target.status.", t.Status), resp})
	}
	if err := table("Chỉ tiêu chậm", []xlsx.Column{{Header: "STT", Width: 6, Format: xlsx.Integer}, {Header: "Kế hoạch", Width: 16}, {Header: "Mã chỉ tiêu", Width: 10, Format: xlsx.TextFmt},
		{Header: "Trụ cột", Width: 16}, {Header: "Nội dung chỉ tiêu", Width: 56}, {Header: "Đơn vị tính", Width: 9}, {Header: "Chiều đánh giá", Width: 18},
		{Header: "Cơ sở", Width: 14}, {Header: "Mốc", Width: 22}, {Header: "Thực hiện gần nhất", Width: 12, Format: xlsx.NumberFmt},
		{Header: "Ngày số liệu", Width: 13, Format: xlsx.DateFmt}, {Header: "Giá trị cần đạt theo lộ trình", Width: 14, Format: xlsx.NumberFmt},
		{Header: "Trạng thái", Width: 16}, {Header: "Đơn vị chịu trách nhiệm", Width: 28}}, trows); err != nil {
		return nil, err
	}
	var lrows [][]any
	for _, l := range rv.League {
		lrows = append(lrows, []any{l.Rank, l.Unit.Name, l.Unit.Code, l.Tasks, l.Done, l.InProgress, l.Overdue, l.DoneShare})
	}
	if err := table("Xếp hạng đơn vị", []xlsx.Column{{Header: "Hạng", Width: 6, Format: xlsx.Integer}, {Header: "Đơn vị chủ trì", Width: 40}, {Header: "Mã đơn vị", Width: 14},
		{Header: "Số nhiệm vụ chủ trì", Width: 11, Format: xlsx.Integer}, {Header: xlLabel("task.status.", "done"), Width: 11, Format: xlsx.Integer},
		{Header: xlLabel("task.status.", "in_progress"), Width: 11, Format: xlsx.Integer}, {Header: xlLabel("task.status.", "overdue"), Width: 9, Format: xlsx.Integer},
		{Header: "Tỷ lệ hoàn thành", Width: 11, Format: xlsx.Percent}}, lrows); err != nil {
		return nil, err
	}
	b.Activate("Tổng hợp")
	ok = true
	return b, nil
}

func levelsOf(vs []Value) []DocLevel {
	var out []DocLevel
	for _, v := range vs {
		out = append(out, DocLevel{Level: v.Level, Value: v.Value})
	}
	return out
}
