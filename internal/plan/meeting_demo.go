package plan

import (
	"context"
	"database/sql"
	"fmt"
)

// demoNote marks the demo's meetings: their text is invented, drawn from
// the themes of the seed plans (1331/KH-UBND, 3015/KH-UBND), not copied
// from a real conclusion.
const demoMeetingNote = "Nội dung minh họa của bản demo: phiên họp, kết luận và ý kiến chỉ đạo không phải văn bản thật."

type demoDirective struct {
	content, lead, due, pillar string
	coord                      []string
	status                     string // a progress report added when not empty
	progress                   int
}

type demoMeeting struct {
	heldOn, title, month, number, issuedOn string
	directives                             []demoDirective
}

var demoMeetings = []demoMeeting{
	{heldOn: "2025-12-26", title: "Phiên họp Ban Chỉ đạo chuyển đổi số tỉnh quý IV năm 2025 (minh họa)", month: "2025-12", number: "05/TB-BCĐ", issuedOn: "2025-12-30",
		directives: []demoDirective{
			{content: "Hoàn thành hợp nhất Cổng Dịch vụ công tỉnh với Hệ thống thông tin một cửa điện tử cấp tỉnh thành Hệ thống thông tin giải quyết thủ tục hành chính của tỉnh Gia Lai sau hợp nhất", lead: "GL25.SKHCN", coord: []string{"GL25.VPUBND", "GL25.TTPVHCC"}, due: "2026-03-31", pillar: "chinh_quyen_so", status: "in_progress", progress: 70},
			{content: "Xây dựng, phê duyệt phương án ứng cứu sự cố tấn công mạng cho các hệ thống thông tin dùng chung của tỉnh", lead: "GL25.CAT", coord: []string{"GL25.SKHCN"}, due: "2026-02-28", pillar: "an_toan_thong_tin", status: "done", progress: 100},
			{content: "Tổ chức đào tạo, tập huấn kiến thức về chuyển đổi số cho cán bộ, công chức cấp xã sau sắp xếp đơn vị hành chính", lead: "GL25.SNV", coord: []string{"GL25.SKHCN"}, due: "2026-06-30", pillar: "nhan_luc_so"},
			{content: "Triển khai các giải pháp tăng tỷ lệ dân số trưởng thành có chữ ký số, chữ ký điện tử cá nhân trên địa bàn xã", lead: "GL25.X.BIENHO", due: "2026-04-30", pillar: "xa_hoi_so", status: "in_progress", progress: 30},
		}},
	{heldOn: "2026-06-26", title: "Phiên họp Ban Chỉ đạo chuyển đổi số tỉnh sơ kết 6 tháng đầu năm 2026 (minh họa)", month: "2026-06", number: "48/TB-BCĐ", issuedOn: "2026-06-30",
		directives: []demoDirective{
			{content: "Rà soát, cập nhật Kiến trúc chính quyền số tỉnh Gia Lai phù hợp mô hình chính quyền địa phương hai cấp", lead: "GL25.SKHCN", coord: []string{"GL25.SNV"}, due: "2026-10-31", pillar: "the_che_so"},
			{content: "Đẩy mạnh thanh toán trực tuyến trong giải quyết thủ tục hành chính tại Trung tâm Phục vụ hành chính công tỉnh", lead: "GL25.TTPVHCC", coord: []string{"GL25.STC"}, due: "2026-09-30", pillar: "kinh_te_so", status: "in_progress", progress: 50},
			{content: "Hoàn thành số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực tại xã", lead: "GL25.X.BIENHO", due: "2026-12-31", pillar: "chinh_quyen_so"},
		}},
}

// LoadDemoMeetings records the demo's Steering Committee meetings of Gia Lai
// (the province merged on 1 July 2025) that were held by today, with their
// conclusions and a few progress reports on the directives; all marked as
// illustrative. It does nothing when meetings exist.
func (s *Store) LoadDemoMeetings(ctx context.Context, today string) error {
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM steering_meetings`).Scan(&n); err != nil || n > 0 {
		return err
	}
	unit, err := s.org.UnitByCode(ctx, "GL25", "")
	if err != nil {
		return fmt.Errorf("demo meetings: %w", err)
	}
	for _, dm := range demoMeetings {
		if dm.issuedOn > today {
			continue
		}
		c := &ConclusionInput{Number: dm.number, IssuedOn: dm.issuedOn, Signer: "Lê Minh Châu", SignerAuthority: "Trưởng Ban", SignerTitle: "",
			Preamble:   "Ngày " + dm.heldOn[8:] + "/" + dm.heldOn[5:7] + "/" + dm.heldOn[:4] + ", đồng chí Lê Minh Châu, Phó Chủ tịch UBND tỉnh, Trưởng Ban Chỉ đạo chủ trì phiên họp Ban Chỉ đạo chuyển đổi số tỉnh (nội dung minh họa). Sau khi nghe Sở Khoa học và Công nghệ báo cáo tình hình thực hiện nhiệm vụ chuyển đổi số và ý kiến của các thành viên, Trưởng Ban Chỉ đạo kết luận như sau:",
			Recipients: []string{"Thường trực Tỉnh ủy, HĐND tỉnh (để báo cáo);", "Chủ tịch, các Phó Chủ tịch UBND tỉnh;", "Các thành viên Ban Chỉ đạo;", "Các sở, ban, ngành; UBND các xã, phường;", "Lưu: VT, KGVX."}}
		for _, d := range dm.directives {
			x := DirectiveInput{Content: d.content, DueOn: d.due, Pillar: d.pillar}
			u, err := s.org.UnitByCode(ctx, d.lead, "")
			if err != nil {
				return fmt.Errorf("demo directive %s: %w", d.lead, err)
			}
			x.LeadUnit = u.ID
			for _, code := range d.coord {
				cu, err := s.org.UnitByCode(ctx, code, "")
				if err != nil {
					return fmt.Errorf("demo directive %s: %w", code, err)
				}
				x.CoordinatingUnits = append(x.CoordinatingUnits, cu.ID)
			}
			c.Directives = append(c.Directives, x)
		}
		id, err := s.recordMeeting(ctx, nil, MeetingInput{UnitID: unit.ID, HeldOn: dm.heldOn, Title: dm.title, ReviewMonth: dm.month, Note: demoMeetingNote,
			Chair:      "Đồng chí Lê Minh Châu, Phó Chủ tịch UBND tỉnh, Trưởng Ban Chỉ đạo",
			Attendees:  []string{"Các thành viên Ban Chỉ đạo chuyển đổi số tỉnh", "Lãnh đạo Sở Khoa học và Công nghệ (cơ quan thường trực)", "Đại diện UBND các xã, phường"},
			Conclusion: c})
		if err != nil {
			return fmt.Errorf("demo meeting %s: %w", dm.heldOn, err)
		}
		m, err := s.Meeting(ctx, id)
		if err != nil {
			return err
		}
		for i, d := range dm.directives {
			if d.status == "" || i >= len(m.Conclusion.Directives) || len(m.Conclusion.Directives[i].LeadUnits) == 0 {
				continue
			}
			t := m.Conclusion.Directives[i]
			err := s.db.Tx(ctx, func(tx *sql.Tx) error {
				_, err := s.PostUpdate(ctx, tx, t.ID, UpdateInput{AssignmentID: t.LeadUnits[0].ID, Status: d.status, Progress: d.progress,
					Body: "Báo cáo tiến độ minh họa của bản demo"}, 0, "Số liệu minh họa của bản demo")
				return err
			})
			if err != nil {
				return fmt.Errorf("demo progress on %s %s: %w", dm.number, t.Number, err)
			}
		}
	}
	return nil
}
