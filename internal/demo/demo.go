// Package demo loads the demo province: the org registry of the four seed
// provinces as they stood in 2022–2023 and the reorganisations of 2025
// (data/orgunits.json), and one demo account per role.
package demo

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/store"
)

//go:embed data/orgunits.json
var orgUnitsJSON []byte

// Password is the password of every demo account (documented in the README).
const Password = "tinhso-demo-2026"

// Account is one demo login.
type Account struct {
	Username, FullName, Title, Unit string
	Role, Scope                     string // role and the code of its scope unit
	Note                            string // what to try with it (English; the README has Vietnamese)
}

// Accounts are the demo logins, one per role (and two reporters, to show
// that one district cannot see another's officials), then the reporters
// and approvers of the periodic reports' way up the tree since 1 July
// 2025: a commune's reporter sends, the province's approver approves or
// returns.
var Accounts = []Account{
	{"admin", "Nguyễn Văn An", "Quản trị hệ thống", "VN", org.RoleAdmin, "VN", "system administrator, whole country"},
	{"dieuphoi", "Trần Thị Bình", "Chuyên viên Phòng Chuyển đổi số", "GL25.SKHCN", org.RoleCoordinator, "GL25", "coordinator, Sở KH&CN of the new Gia Lai (covers old Gia Lai and Bình Định)"},
	{"lanhdao", "Lê Minh Châu", "Phó Chủ tịch UBND tỉnh, Trưởng Ban Chỉ đạo", "GL25", org.RoleLeader, "GL25", "leader, Steering Committee of Gia Lai"},
	{"pheduyet.pleiku", "Phạm Thu Dung", "Chánh Văn phòng HĐND và UBND thành phố", "GL.PLEIKU", org.RoleApprover, "GL.PLEIKU", "approver, Thành phố Pleiku (2022 structure)"},
	{"baocao.pleiku", "Hoàng Văn Em", "Chuyên viên Phòng Văn hóa và Thông tin", "GL.PLEIKU", org.RoleReporter, "GL.PLEIKU", "reporter, Thành phố Pleiku"},
	{"baocao.ankhe", "Võ Thị Giang", "Chuyên viên Phòng Văn hóa và Thông tin", "GL.ANKHE", org.RoleReporter, "GL.ANKHE", "reporter, Thị xã An Khê"},
	{"quantri.laichau", "Đặng Quốc Huy", "Trưởng phòng Công nghệ thông tin", "LC.SKHCN", org.RoleAdmin, "LC", "administrator of Lai Châu only"},
	{"baocao.laichau", "Bùi Thị Lan", "Chuyên viên", "LC.SKHCN", org.RoleReporter, "LC.SKHCN", "reporter, Sở KH&CN Lai Châu"},
	{"baocao.bienho", "Rơ Châm Hiền", "Công chức Văn hóa - Xã hội", "GL25.X.BIENHO", org.RoleReporter, "GL25.X.BIENHO", "reporter, Xã Biển Hồ (a commune of the new Gia Lai): fills in and sends the quarterly digital-transformation report"},
	{"pheduyet.tinh", "Ngô Thanh Hải", "Phó Giám đốc Sở Khoa học và Công nghệ", "GL25.SKHCN", org.RoleApprover, "GL25", "approver, Tỉnh Gia Lai: approves or returns the communes' and departments' reports"},
	{"baocao.banbo", "Lò Văn Sơn", "Công chức Văn phòng - Thống kê", "LC.X.BANBO", org.RoleReporter, "LC.X.BANBO", "reporter, Xã Bản Bo (Lai Châu): sends the commune's quarterly report"},
	{"baocao.sotp", "Đinh Thị Ngọc", "Chuyên viên Văn phòng Sở Tư pháp", "GL25.STP", org.RoleReporter, "GL25.STP", "reporter, Sở Tư pháp of Gia Lai: self-assesses the department's DTI (the 2025 cycle leaves one component to score), submits, then sees its rank and where it loses points"},
	{"pheduyet.laichau", "Tao Thị Mai", "Phó Giám đốc Sở Khoa học và Công nghệ", "LC.SKHCN", org.RoleApprover, "LC", "approver, Tỉnh Lai Châu: approves or returns Lai Châu's reports; refused on Gia Lai's"},
}

// notesVI say what each demo account is for, in Vietnamese (Note is
// English), for the console of tinhso demo.
var notesVI = map[string]string{
	"admin":            "quản trị hệ thống, toàn quốc",
	"dieuphoi":         "điều phối, Sở KH&CN tỉnh Gia Lai mới (gồm Gia Lai cũ và Bình Định)",
	"lanhdao":          "lãnh đạo, Ban Chỉ đạo tỉnh Gia Lai",
	"pheduyet.pleiku":  "phê duyệt, Thành phố Pleiku (cơ cấu 2022)",
	"baocao.pleiku":    "báo cáo, Thành phố Pleiku",
	"baocao.ankhe":     "báo cáo, Thị xã An Khê",
	"quantri.laichau":  "quản trị, chỉ tỉnh Lai Châu",
	"baocao.laichau":   "báo cáo, Sở KH&CN tỉnh Lai Châu",
	"baocao.bienho":    "báo cáo, Xã Biển Hồ (xã của tỉnh Gia Lai mới): nhập và gửi báo cáo chuyển đổi số hằng quý",
	"pheduyet.tinh":    "phê duyệt, tỉnh Gia Lai: phê duyệt hoặc trả lại báo cáo của các xã, các sở",
	"baocao.banbo":     "báo cáo, Xã Bản Bo (Lai Châu): gửi báo cáo hằng quý của xã",
	"baocao.sotp":      "báo cáo, Sở Tư pháp tỉnh Gia Lai: tự đánh giá DTI của sở (đợt 2025 còn một chỉ số), gửi rà soát, xem xếp hạng và nơi bị mất điểm",
	"pheduyet.laichau": "phê duyệt, tỉnh Lai Châu: phê duyệt hoặc trả lại báo cáo của Lai Châu; bị từ chối với Gia Lai",
}

// NoteVI is what the account is for, in Vietnamese.
func (a Account) NoteVI() string {
	if n, ok := notesVI[a.Username]; ok {
		return n
	}
	return a.Title
}

type fileUnit struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Parent    string `json:"parent"`
	Sort      int    `json:"sort"`
	ValidFrom string `json:"validFrom"`
	ValidTo   string `json:"validTo"`
}

type fileEvent struct {
	Kind   string   `json:"kind"`
	Date   string   `json:"date"`
	From   []string `json:"from"`
	To     []string `json:"to"`
	Basis  string   `json:"basis"`
	Note   string   `json:"note"`
	Unit   string   `json:"unit"`
	Name   string   `json:"name"`
	Parent string   `json:"parent"`
	// Heirs of a dissolve: who takes over the duties of the units it ends
	// (docs/duties.md says what the demo assumes).
	Heirs []org.HeirInput `json:"heirs"`
}

// Loaded reports whether the database already holds org units.
func Loaded(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_units`).Scan(&n)
	return n > 0, err
}

// Load fills an empty database with the demo province: the org registry
// and accounts in one transaction, then the seed plans, the reporting
// forms and the DTI (its cycles scoring computed components as declared:
// there are no reports). Parts already loaded are left alone.
func Load(ctx context.Context, db *store.DB, passwords password.Hasher) error {
	if err := loadBase(ctx, db, passwords); err != nil {
		return err
	}
	return dti.LoadDemoCycles(ctx, db)
}

// LoadWithReports is Load with the demo's periodic reports up to today
// (LoadReports) written before the DTI cycles, whose computed components
// then read the reports' values: what `tinhso demo` loads. It returns how
// many reports it wrote.
func LoadWithReports(ctx context.Context, db *store.DB, passwords password.Hasher, today time.Time) (int, error) {
	if err := loadBase(ctx, db, passwords); err != nil {
		return 0, err
	}
	n, err := LoadReports(ctx, db, passwords, today)
	if err != nil {
		return n, err
	}
	return n, dti.LoadDemoCycles(ctx, db)
}

// loadBase is Load but the DTI cycles.
func loadBase(ctx context.Context, db *store.DB, passwords password.Hasher) error {
	done, err := Loaded(ctx, db)
	if err != nil {
		return err
	}
	orgs := org.NewStore(db, passwords)
	if !done {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if err := LoadOrg(ctx, tx, orgs); err != nil {
				return fmt.Errorf("demo org units: %w", err)
			}
			return loadAccounts(ctx, tx, orgs)
		})
		if err != nil {
			return err
		}
	} else if err := backfillHeirs(ctx, orgs); err != nil {
		return fmt.Errorf("demo heirs: %w", err)
	} else if err := db.Tx(ctx, func(tx *sql.Tx) error { return loadAccounts(ctx, tx, orgs) }); err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	if err := LoadPlans(ctx, db, org.Today()); err != nil {
		return err
	}
	if err := report.LoadDemo(ctx, db); err != nil {
		return err
	}
	return dti.LoadDemoSets(ctx, db)
}

// LoadReports writes the demo's two years of periodic reports up to today
// (report.LoadDemoSubmissions: submitted, approved, returned, late and
// missing, through the reporting workflow), unless it wrote them before.
// `tinhso demo` loads them through LoadWithReports; the tests' demo
// province leaves them out, so that their reports start empty, and those
// that want the demo's reports load them.
func LoadReports(ctx context.Context, db *store.DB, passwords password.Hasher, today time.Time) (int, error) {
	return report.LoadDemoSubmissions(ctx, db, org.NewStore(db, passwords), today)
}

// backfillHeirs names the heirs of the demo's dissolves in a demo database
// loaded before heirs were recorded, leaving alone any event that has
// heirs already (named by the file or by an admin since).
func backfillHeirs(ctx context.Context, orgs *org.Store) error {
	var file struct {
		Events []fileEvent `json:"events"`
	}
	if err := json.Unmarshal(orgUnitsJSON, &file); err != nil {
		return err
	}
	recorded, err := orgs.Events(ctx, 0)
	if err != nil {
		return err
	}
	for _, e := range file.Events {
		if e.Kind != "dissolve" || len(e.Heirs) == 0 {
			continue
		}
		for _, r := range recorded {
			if r.Kind != "dissolve" || r.Date != e.Date || !sameCodes(r.From, e.From) || len(r.Heirs) > 0 {
				continue
			}
			if _, err := orgs.SetHeirs(ctx, r.ID, org.HeirsInput{Heirs: e.Heirs}); err != nil {
				return fmt.Errorf("%s %v: %w", e.Date, e.From, err)
			}
		}
	}
	return nil
}

func sameCodes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, c := range b {
		if !contains(a, c) {
			return false
		}
	}
	return true
}

// LoadOrg replays the registry file: units that exist from the start are
// created, then the reorganisations are applied in date order through the
// same code path as a person recording them, creating their successors.
func LoadOrg(ctx context.Context, tx *sql.Tx, orgs *org.Store) error {
	var file struct {
		Units  []fileUnit  `json:"units"`
		Events []fileEvent `json:"events"`
	}
	if err := json.Unmarshal(orgUnitsJSON, &file); err != nil {
		return err
	}
	byCode := map[string]fileUnit{}
	for _, u := range file.Units {
		byCode[u.Code] = u
	}
	// A successor created by an event starts on the event's date and is not
	// one of its predecessors.
	createdBy := map[string]int{}
	for i, e := range file.Events {
		for _, c := range e.To {
			if u := byCode[c]; u.ValidFrom == e.Date && !contains(e.From, c) {
				createdBy[c] = i
			}
		}
	}
	ids := map[string]int64{}
	for _, u := range file.Units {
		if _, later := createdBy[u.Code]; later {
			continue
		}
		in := org.UnitInput{Code: u.Code, Name: u.Name, Kind: u.Kind, SortOrder: u.Sort, ValidFrom: u.ValidFrom}
		if u.Parent != "" {
			p, ok := ids[u.Parent]
			if !ok {
				return fmt.Errorf("unit %s: parent %s is not listed before it", u.Code, u.Parent)
			}
			in.ParentID = &p
		}
		id, err := orgs.ImportUnit(ctx, tx, in)
		if err != nil {
			return fmt.Errorf("unit %s: %w", u.Code, err)
		}
		ids[u.Code] = id
	}
	order := make([]int, len(file.Events))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return file.Events[order[a]].Date < file.Events[order[b]].Date })
	pending := order
	dates := map[string]bool{}
	for len(pending) > 0 {
		var next []int
		for _, i := range pending {
			e := file.Events[i]
			in := org.EventInput{Kind: e.Kind, Date: e.Date, Basis: e.Basis, Note: e.Note, From: e.From, Subject: e.Unit, Name: e.Name, Parent: e.Parent, Heirs: e.Heirs}
			ready := true
			for _, h := range e.Heirs {
				for _, c := range h.Heirs {
					if _, ok := ids[c]; !ok {
						ready = false // the heir is created by a later event of the same day
					}
				}
			}
			for _, c := range e.To {
				if j, ok := createdBy[c]; !ok || j != i {
					in.To = append(in.To, c)
					continue
				}
				u := byCode[c]
				p, ok := ids[u.Parent]
				if !ok {
					ready = false // its parent is created by a later event of the same day
					break
				}
				in.NewUnits = append(in.NewUnits, org.UnitInput{Code: u.Code, Name: u.Name, Kind: u.Kind, ParentID: &p, SortOrder: u.Sort})
			}
			if !ready {
				next = append(next, i)
				continue
			}
			if _, err := orgs.ApplyEvent(ctx, tx, in, 0); err != nil {
				return fmt.Errorf("event %d (%s %s %v→%v): %w", i, e.Kind, e.Date, e.From, e.To, err)
			}
			for _, nu := range in.NewUnits {
				var id int64
				if err := tx.QueryRowContext(ctx, `SELECT id FROM org_units WHERE code = $1`, nu.Code).Scan(&id); err != nil {
					return err
				}
				ids[nu.Code] = id
			}
			dates[e.Date] = true
		}
		if len(next) == len(pending) {
			return fmt.Errorf("%d events wait for units no event creates", len(next))
		}
		pending = next
	}
	for d := range dates {
		if err := orgs.CheckTree(ctx, tx, d); err != nil {
			return fmt.Errorf("tree around %s: %w", d, err)
		}
	}
	// The replay must end where the file says each unit ends.
	for _, u := range file.Units {
		var got string
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(valid_to, '') FROM org_units WHERE code = $1`, u.Code).Scan(&got); err != nil {
			return fmt.Errorf("unit %s: %w", u.Code, err)
		}
		if got != u.ValidTo {
			return fmt.Errorf("unit %s ends %q after the events, the file says %q", u.Code, got, u.ValidTo)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func loadAccounts(ctx context.Context, tx *sql.Tx, orgs *org.Store) error {
	unitID := func(code string) (int64, error) {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM org_units WHERE code = $1`, code).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("demo account unit %s: %w", code, err)
		}
		return id, nil
	}
	for _, a := range Accounts {
		// An account added to the demo after a database was loaded is
		// created; the others are left as they are.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, a.Username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		unit, err := unitID(a.Unit)
		if err != nil {
			return err
		}
		scope, err := unitID(a.Scope)
		if err != nil {
			return err
		}
		_, err = orgs.CreateOfficial(ctx, tx, org.OfficialInput{
			Username: a.Username, FullName: a.FullName, Title: a.Title, UnitID: unit, Password: Password,
			Roles: []org.Grant{{Role: a.Role, ScopeID: scope}},
		})
		if err != nil {
			return fmt.Errorf("demo account %s: %w", a.Username, err)
		}
	}
	return nil
}
