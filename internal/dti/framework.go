package dti

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/store"
)

// Levels a framework scores.
const (
	LevelProvince   = "province"
	LevelDepartment = "department"
	LevelDistrict   = "district"
	LevelCommune    = "commune"
)

// Levels lists them, widest first.
var Levels = []string{LevelProvince, LevelDepartment, LevelDistrict, LevelCommune}

// Provenance says where a main index or component comes from.
const (
	Official = "official" // as the decision states it
	Derived  = "derived"  // computed from what a source states (922's Hoạt động xã hội số)
	NameOnly = "name"     // the name is quoted by a public source; points and rule are a sample
	Sample   = "sample"   // not in public sources: a sample («chỉ số mẫu»), never official
)

// Provenances lists them.
var Provenances = []string{Official, Derived, NameOnly, Sample}

// Framework is a DTI framework (bộ chỉ số) with its structure. The same
// value is the JSON document an import takes and an export gives; the
// read-only members (id, ownerId, revision, forPlans, componentCount,
// updatedAt) are ignored on import.
type Framework struct {
	ID             int64       `json:"id,omitempty"`
	Code           string      `json:"code" doc:"the key an import matches on, e.g. 922-TINH"`
	Name           string      `json:"name"`
	Decision       string      `json:"decision,omitempty" doc:"number of the issuing decision, e.g. 922/QĐ-BTTTT"`
	IssuedOn       string      `json:"issuedOn,omitempty" doc:"YYYY-MM-DD"`
	Issuer         string      `json:"issuer,omitempty"`
	Owner          string      `json:"owner,omitempty" doc:"code of the province that issued a cascaded set; absent for a national framework"`
	OwnerID        int64       `json:"ownerId,omitempty"`
	Level          string      `json:"level" doc:"the level it scores: province, department, district or commune"`
	YearFrom       int         `json:"yearFrom" doc:"the first assessment year it applies to"`
	YearTo         int         `json:"yearTo" doc:"the last assessment year it applies to"`
	TotalPoints    float64     `json:"totalPoints" doc:"the scale; the scored main indices add up to it"`
	Note           string      `json:"note,omitempty"`
	Revision       int         `json:"revision,omitempty" doc:"read-only: counts the changes of the structure"`
	ForPlans       bool        `json:"forPlans,omitempty" doc:"read-only: plans file their targets and tasks under this framework's main indices"`
	ComponentCount int         `json:"componentCount,omitempty" doc:"read-only"`
	UpdatedAt      *time.Time  `json:"updatedAt,omitempty" doc:"read-only"`
	Groups         []Group     `json:"groups,omitempty"`
	MainIndices    []MainIndex `json:"mainIndices"`
}

// Group is a group of main indices (nhóm chỉ số nền tảng chung, hoạt động).
type Group struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// MainIndex is a main index (chỉ số chính) with its components.
type MainIndex struct {
	ID         int64       `json:"id,omitempty"`
	Code       string      `json:"code"`
	Group      string      `json:"group,omitempty" doc:"code of its group"`
	Pillar     string      `json:"pillar,omitempty" doc:"the pillar plans file under (GET /api/v1/pillars), e.g. kinh_te_so"`
	Name       string      `json:"name"`
	MaxPoints  float64     `json:"maxPoints"`
	Scored     *bool       `json:"scored,omitempty" doc:"false for a main index that is reported but not scored (922's Đô thị thông minh); true when absent"`
	Provenance string      `json:"provenance,omitempty" doc:"official (when absent), derived or sample"`
	Source     string      `json:"source,omitempty" doc:"where the figures come from"`
	Components []Component `json:"components"`
}

// IsScored reports whether the main index carries points.
func (m MainIndex) IsScored() bool { return m.Scored == nil || *m.Scored }

// Component is a component (chỉ số thành phần).
type Component struct {
	ID         int64   `json:"id,omitempty"`
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	MaxPoints  float64 `json:"maxPoints"`
	Rule       Rule    `json:"rule"`
	Evidence   string  `json:"evidence,omitempty" doc:"the evidence it requires (tài liệu kiểm chứng)"`
	DataSource string  `json:"dataSource,omitempty" doc:"where the data come from (nguồn thu thập dữ liệu)"`
	Verifier   string  `json:"verifier,omitempty" doc:"the agency that verifies the figures (đơn vị phối hợp xác minh)"`
	Indicator  string  `json:"indicator,omitempty" doc:"code of the reporting indicator it computes itself from (GET /api/v1/report/indicators)"`
	Provenance string  `json:"provenance,omitempty" doc:"official (when absent), name (the name has a public source; points and rule are a sample) or sample (chỉ số mẫu)"`
	Source     string  `json:"source,omitempty"`
}

// IsSample reports whether the component is a sample («chỉ số mẫu»).
func (c Component) IsSample() bool { return c.Provenance == Sample }

// Components lists every component in order.
func (f Framework) Components() []Component {
	var out []Component
	for _, m := range f.MainIndices {
		out = append(out, m.Components...)
	}
	return out
}

// Pillar is a DTI pillar (chỉ số chính as plans name it), with the points
// of the framework plans file under.
type Pillar struct {
	Code      string  `json:"code"`
	Framework string  `json:"framework" doc:"the decision of the framework plans file under"`
	NameVI    string  `json:"nameVi"`
	NameEN    string  `json:"nameEn"`
	MaxPoints float64 `json:"maxPoints"`
}

// Pillars lists the pillars in order, each with the points of its main
// index in the framework marked for plans (0 where it has none).
func (s *Store) Pillars(ctx context.Context) ([]Pillar, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT p.code, COALESCE(f.decision, ''), p.name_vi, p.name_en, COALESCE(m.max_points, 0)
		FROM dti_pillars p
		LEFT JOIN dti_frameworks f ON f.for_plans = $1
		LEFT JOIN dti_main_indices m ON m.framework_id = f.id AND m.pillar = p.code
		ORDER BY p.sort_order`, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pillar
	for rows.Next() {
		var p Pillar
		if err := rows.Scan(&p.Code, &p.Framework, &p.NameVI, &p.NameEN, &p.MaxPoints); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Frameworks lists the frameworks with their structure, national ones
// first, then by level and first year.
func (s *Store) Frameworks(ctx context.Context) ([]Framework, error) {
	return s.frameworks(ctx, s.db.Read, "")
}

// Framework is one framework with its structure.
func (s *Store) Framework(ctx context.Context, id int64) (Framework, error) {
	list, err := s.frameworks(ctx, s.db.Read, "WHERE f.id = $1", id)
	if err != nil {
		return Framework{}, err
	}
	if len(list) == 0 {
		return Framework{}, errs.NotFound
	}
	return list[0], nil
}

func (s *Store) frameworkByCode(ctx context.Context, q store.Querier, code string) (Framework, bool, error) {
	list, err := s.frameworks(ctx, q, "WHERE f.code = $1", code)
	if err != nil || len(list) == 0 {
		return Framework{}, false, err
	}
	return list[0], true, nil
}

func (s *Store) frameworks(ctx context.Context, q store.Querier, where string, args ...any) ([]Framework, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.id, f.code, f.name, f.decision, f.issued_on, f.issuer, COALESCE(u.code, ''), COALESCE(u.id, 0), f.level, f.year_from, f.year_to,
		f.total_points, f.note, f.revision, f.for_plans, f.updated_at
		FROM dti_frameworks f LEFT JOIN org_units u ON u.id = f.owner_unit_id `+where+`
		ORDER BY f.owner_unit_id IS NOT NULL, f.year_from, f.level, f.code`, args...)
	if err != nil {
		return nil, err
	}
	var out []Framework
	index := map[int64]int{}
	for rows.Next() {
		var f Framework
		var at time.Time
		if err := rows.Scan(&f.ID, &f.Code, &f.Name, &f.Decision, &f.IssuedOn, &f.Issuer, &f.Owner, &f.OwnerID, &f.Level, &f.YearFrom, &f.YearTo,
			&f.TotalPoints, &f.Note, &f.Revision, &f.ForPlans, &at); err != nil {
			rows.Close()
			return nil, err
		}
		f.UpdatedAt = &at
		f.MainIndices = []MainIndex{}
		index[f.ID] = len(out)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	var ids []int64
	for _, f := range out {
		ids = append(ids, f.ID)
	}
	var a []any
	in := store.InList(&a, ids)
	grows, err := q.QueryContext(ctx, `SELECT framework_id, code, name FROM dti_groups WHERE framework_id IN (`+in+`) ORDER BY framework_id, sort_order`, a...)
	if err != nil {
		return nil, err
	}
	for grows.Next() {
		var fid int64
		var g Group
		if err := grows.Scan(&fid, &g.Code, &g.Name); err != nil {
			grows.Close()
			return nil, err
		}
		out[index[fid]].Groups = append(out[index[fid]].Groups, g)
	}
	grows.Close()
	mrows, err := q.QueryContext(ctx, `SELECT m.framework_id, m.id, m.code, COALESCE(g.code, ''), m.pillar, m.name, m.max_points, m.scored, m.provenance, m.source
		FROM dti_main_indices m LEFT JOIN dti_groups g ON g.id = m.group_id WHERE m.framework_id IN (`+in+`) ORDER BY m.framework_id, m.sort_order`, a...)
	if err != nil {
		return nil, err
	}
	type pos struct{ f, m int }
	mainAt := map[int64]pos{}
	for mrows.Next() {
		var fid int64
		var m MainIndex
		var scored bool
		if err := mrows.Scan(&fid, &m.ID, &m.Code, &m.Group, &m.Pillar, &m.Name, &m.MaxPoints, &scored, &m.Provenance, &m.Source); err != nil {
			mrows.Close()
			return nil, err
		}
		if !scored {
			m.Scored = &scored
		}
		m.Components = []Component{}
		f := &out[index[fid]]
		mainAt[m.ID] = pos{index[fid], len(f.MainIndices)}
		f.MainIndices = append(f.MainIndices, m)
	}
	mrows.Close()
	crows, err := q.QueryContext(ctx, `SELECT main_index_id, id, code, name, max_points, rule, evidence, data_source, verifier, indicator_code, provenance, source
		FROM dti_components WHERE framework_id IN (`+in+`) ORDER BY framework_id, sort_order`, a...)
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	for crows.Next() {
		var mid int64
		var c Component
		var rule string
		if err := crows.Scan(&mid, &c.ID, &c.Code, &c.Name, &c.MaxPoints, &rule, &c.Evidence, &c.DataSource, &c.Verifier, &c.Indicator, &c.Provenance, &c.Source); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rule), &c.Rule); err != nil {
			return nil, fmt.Errorf("component %d: rule: %w", c.ID, err)
		}
		p := mainAt[mid]
		m := &out[p.f].MainIndices[p.m]
		m.Components = append(m.Components, c)
		out[p.f].ComponentCount++
	}
	return out, crows.Err()
}

// Document is the framework as an import takes it: the read-only members
// cleared.
func (f Framework) Document() Framework {
	f.ID, f.OwnerID, f.Revision, f.ForPlans, f.ComponentCount, f.UpdatedAt = 0, 0, 0, false, 0, nil
	f.MainIndices = slices.Clone(f.MainIndices)
	for i := range f.MainIndices {
		m := &f.MainIndices[i]
		m.ID = 0
		m.Components = slices.Clone(m.Components)
		for j := range m.Components {
			m.Components[j].ID = 0
		}
	}
	return f
}

var (
	frameworkCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,39}$`)
	indexCode     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.]{0,19}$`)
)

// trimFramework trims every text member.
func trimFramework(f *Framework) {
	t := strings.TrimSpace
	f.Code, f.Name, f.Decision, f.IssuedOn, f.Issuer, f.Owner, f.Level, f.Note = strings.ToUpper(t(f.Code)), t(f.Name), t(f.Decision), t(f.IssuedOn), t(f.Issuer), strings.ToUpper(t(f.Owner)), t(f.Level), t(f.Note)
	for i := range f.Groups {
		f.Groups[i].Code, f.Groups[i].Name = t(f.Groups[i].Code), t(f.Groups[i].Name)
	}
	for i := range f.MainIndices {
		m := &f.MainIndices[i]
		m.Code, m.Group, m.Pillar, m.Name, m.Provenance, m.Source = t(m.Code), t(m.Group), t(m.Pillar), t(m.Name), t(m.Provenance), t(m.Source)
		if m.Provenance == "" {
			m.Provenance = Official
		}
		if m.Scored != nil && *m.Scored {
			m.Scored = nil
		}
		for j := range m.Components {
			c := &m.Components[j]
			c.Code, c.Name, c.Evidence, c.DataSource, c.Verifier, c.Indicator, c.Provenance, c.Source = t(c.Code), t(c.Name), t(c.Evidence), t(c.DataSource), t(c.Verifier), t(c.Indicator), t(c.Provenance), t(c.Source)
			if c.Provenance == "" {
				c.Provenance = Official
			}
			c.Rule.Kind = t(c.Rule.Kind)
		}
	}
}

// validated is a checked framework with its owner resolved.
type validated struct {
	Framework
	owner *int64
}

// Validate checks a whole framework and names every problem: points that do
// not add up (the total of the scored main indices against the declared
// total, each main index against its components, each with the
// difference), rules whose thresholds overlap, unknown pillars, indicators
// and units, duplicate codes. It writes nothing.
func (s *Store) Validate(ctx context.Context, f Framework) (*validated, error) {
	return s.validate(ctx, f, false)
}

// validate is Validate; a draft (a framework being built on the editor's
// pages) may still lack main indices and components, and its points may
// fall short of the maximum they add up to, never above it.
func (s *Store) validate(ctx context.Context, f Framework, draft bool) (*validated, error) {
	trimFramework(&f)
	v := errs.Validator{Context: "dti"}
	out := &validated{Framework: f}
	v.Check(frameworkCode.MatchString(f.Code), "code", "code_format")
	required := func(field, text string, kind errs.TextKind) {
		v.Check(text != "", field, "required")
		v.Text(field, text, kind)
	}
	required("name", f.Name, errs.Line)
	v.Text("decision", f.Decision, errs.Short)
	v.Text("issuer", f.Issuer, errs.Name)
	v.Text("note", f.Note, errs.Paragraph)
	v.Check(f.IssuedOn == "" || org.ValidDate(f.IssuedOn), "issuedOn", "date")
	v.Check(slices.Contains(Levels, f.Level), "level", "one_of", strings.Join(Levels, ", "))
	v.Check(f.YearFrom >= 2000 && f.YearFrom <= 2100, "yearFrom", "range", 2000, 2100)
	v.Check(f.YearTo >= f.YearFrom && f.YearTo <= 2100, "yearTo", "range", f.YearFrom, 2100)
	v.Check(f.TotalPoints > 0 && !math.IsInf(f.TotalPoints, 0), "totalPoints", "dti.positive")
	if f.Owner != "" {
		u, err := s.org.UnitByCode(ctx, f.Owner, "")
		if err != nil {
			v.Add("owner", "unknown_unit", f.Owner)
		} else {
			out.owner = &u.ID
		}
	}
	groups := map[string]int{}
	for i, g := range f.Groups {
		p := fmt.Sprintf("groups[%d].", i)
		if !indexCode.MatchString(g.Code) {
			v.Add(p+"code", "dti.index_code")
		} else if j, dup := groups[g.Code]; dup {
			v.Add(p+"code", "duplicate_of", g.Code, fmt.Sprintf("groups[%d]", j))
		} else {
			groups[g.Code] = i
		}
		required(p+"name", g.Name, errs.Line)
	}
	pillars, err := s.Pillars(ctx)
	if err != nil {
		return nil, err
	}
	var pillarCodes []string
	for _, p := range pillars {
		pillarCodes = append(pillarCodes, p.Code)
	}
	indicators, err := s.indicatorCodes(ctx)
	if err != nil {
		return nil, err
	}
	v.Check(draft || len(f.MainIndices) > 0, "mainIndices", "dti.min_main", 1)
	mainCodes, compCodes := map[string]int{}, map[string]string{}
	sum := 0.0
	for i, m := range f.MainIndices {
		p := fmt.Sprintf("mainIndices[%d].", i)
		if !indexCode.MatchString(m.Code) {
			v.Add(p+"code", "dti.index_code")
		} else if j, dup := mainCodes[m.Code]; dup {
			v.Add(p+"code", "duplicate_of", m.Code, fmt.Sprintf("mainIndices[%d]", j))
		} else {
			mainCodes[m.Code] = i
		}
		required(p+"name", m.Name, errs.Line)
		v.Text(p+"source", m.Source, errs.Line)
		if _, ok := groups[m.Group]; m.Group != "" && !ok {
			v.Add(p+"group", "dti.unknown_group", m.Group)
		}
		v.Check(m.Pillar == "" || slices.Contains(pillarCodes, m.Pillar), p+"pillar", "one_of", strings.Join(pillarCodes, ", "))
		v.Check(slices.Contains([]string{Official, Derived, Sample}, m.Provenance), p+"provenance", "one_of", "official, derived, sample")
		compSum := 0.0
		if len(m.Components) == 0 && !draft {
			v.Add(p+"components", "dti.min_components", 1)
		}
		for j, c := range m.Components {
			cp := fmt.Sprintf("%scomponents[%d].", p, j)
			if !indexCode.MatchString(c.Code) {
				v.Add(cp+"code", "dti.index_code")
			} else if where, dup := compCodes[c.Code]; dup {
				v.Add(cp+"code", "duplicate_of", c.Code, where)
			} else {
				compCodes[c.Code] = fmt.Sprintf("mainIndices[%d].components[%d]", i, j)
			}
			required(cp+"name", c.Name, errs.Line)
			for _, t := range []struct{ field, text string }{{"evidence", c.Evidence}, {"dataSource", c.DataSource}, {"verifier", c.Verifier}, {"source", c.Source}} {
				v.Text(cp+t.field, t.text, errs.Line)
			}
			v.Check(slices.Contains(Provenances, c.Provenance), cp+"provenance", "one_of", strings.Join(Provenances, ", "))
			if c.MaxPoints < 0 || math.IsNaN(c.MaxPoints) || math.IsInf(c.MaxPoints, 0) {
				v.Add(cp+"maxPoints", "dti.negative")
			} else {
				compSum += c.MaxPoints
				for _, fe := range CheckRule(c.Rule, c.MaxPoints, cp+"rule.") {
					v.Add(fe.Name, fe.Code, fe.Args...)
				}
			}
			if c.Indicator != "" {
				if !indicators[c.Indicator] {
					v.Add(cp+"indicator", "dti.unknown_indicator", c.Indicator)
				} else if _, ok := FromValue(c.Rule, 0); !ok {
					v.Add(cp+"indicator", "dti.indicator_rule", c.Rule.Kind)
				}
			}
		}
		if !m.IsScored() {
			v.Check(m.MaxPoints == 0, p+"maxPoints", "dti.unscored_points")
			v.Check(compSum == 0, p+"components", "dti.unscored_points")
			continue
		}
		if m.MaxPoints <= 0 || math.IsInf(m.MaxPoints, 0) || math.IsNaN(m.MaxPoints) {
			v.Add(p+"maxPoints", "dti.positive")
			continue
		}
		sum += m.MaxPoints
		if draft && compSum > m.MaxPoints+tolerance {
			v.Add(p+"maxPoints", "dti.components_exceed", locale.Num(compSum), locale.Num(m.MaxPoints), locale.Num(compSum-m.MaxPoints))
		} else if !draft && len(m.Components) > 0 && math.Abs(compSum-m.MaxPoints) > tolerance {
			v.Add(p+"maxPoints", "dti.components_total", locale.Num(compSum), locale.Num(m.MaxPoints), locale.Num(compSum-m.MaxPoints))
		}
	}
	if draft && sum > f.TotalPoints+tolerance {
		v.Add("totalPoints", "dti.points_exceed", locale.Num(sum), locale.Num(f.TotalPoints), locale.Num(sum-f.TotalPoints))
	} else if !draft && f.TotalPoints > 0 && len(f.MainIndices) > 0 && math.Abs(sum-f.TotalPoints) > tolerance {
		v.Add("totalPoints", "dti.points_total", locale.Num(sum), locale.Num(f.TotalPoints), locale.Num(sum-f.TotalPoints))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ImportResult says what an import did.
type ImportResult struct {
	ID       int64 `json:"id"`
	Created  bool  `json:"created"`
	Changed  bool  `json:"changed" doc:"false when the framework was already as the document says"`
	Revision int   `json:"revision"`
}

// ImportAs imports a framework for p: dti.manage on the owner (the nation
// for a national framework) and on the owner of the framework that holds
// the code already.
func (s *Store) ImportAs(ctx context.Context, p *org.Principal, f Framework) (ImportResult, error) {
	if err := s.authorizeOwner(ctx, p, strings.ToUpper(strings.TrimSpace(f.Owner))); err != nil {
		return ImportResult{}, err
	}
	if cur, ok, err := s.frameworkByCode(ctx, s.db.Read, strings.ToUpper(strings.TrimSpace(f.Code))); err != nil {
		return ImportResult{}, err
	} else if ok && cur.Owner != strings.ToUpper(strings.TrimSpace(f.Owner)) {
		if err := s.authorizeOwner(ctx, p, cur.Owner); err != nil {
			return ImportResult{}, err
		}
	}
	return s.Import(ctx, f)
}

// authorizeOwner checks dti.manage on a framework's owner (by code; "" is
// the nation). An unknown owner is left to validation.
func (s *Store) authorizeOwner(ctx context.Context, p *org.Principal, owner string) error {
	unit := int64(0)
	if owner == "" {
		root, err := s.rootID(ctx)
		if err != nil {
			return err
		}
		unit = root
	} else if u, err := s.org.UnitByCode(ctx, owner, ""); err == nil {
		unit = u.ID
	}
	return s.org.Authorize(ctx, p, ManageDTI, unit)
}

// rootID is the unit without a parent today (the nation).
func (s *Store) rootID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT u.id FROM org_units u JOIN org_unit_versions v ON v.unit_id = u.id
		WHERE v.parent_id IS NULL AND v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to >= $1) ORDER BY u.id LIMIT 1`, org.Today()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// Import validates and writes a framework, matched by code, all or
// nothing. Importing it again unchanged changes nothing; a changed
// structure replaces the old one in place (what keeps its code keeps its
// id and its links to tasks) and counts a revision, unless an
// assessment uses the framework (then it is refused: import the new
// version under a new code).
func (s *Store) Import(ctx context.Context, f Framework) (ImportResult, error) {
	val, err := s.Validate(ctx, f)
	if err != nil {
		return ImportResult{}, err
	}
	f = val.Framework
	var res ImportResult
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, exists, err := s.frameworkByCode(ctx, tx, f.Code)
		if err != nil {
			return err
		}
		now := store.Now()
		if exists {
			res.ID, res.Revision = cur.ID, cur.Revision
			if sameFramework(cur, f) {
				return nil
			}
			var used int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM dti_assessments WHERE framework_id = $1`, cur.ID).Scan(&used); err != nil {
				return err
			}
			if used > 0 {
				return errs.Invalid(errs.Field{Name: "code", Code: "dti.framework_in_use", Args: []any{f.Code, used}, Context: "dti"})
			}
			res.Changed, res.Revision = true, cur.Revision+1
			if _, err := tx.ExecContext(ctx, `UPDATE dti_frameworks SET name = $1, decision = $2, issued_on = $3, issuer = $4, level = $5, year_from = $6, year_to = $7,
				total_points = $8, owner_unit_id = $9, note = $10, revision = $11, updated_at = $12 WHERE id = $13`,
				f.Name, f.Decision, f.IssuedOn, f.Issuer, f.Level, f.YearFrom, f.YearTo, f.TotalPoints, nullID(val.owner), f.Note, res.Revision, now, cur.ID); err != nil {
				return err
			}
			// Main indices and components keep their ids by code, and
			// their links to programme tasks with them.
			mainID, compID := map[string]int64{}, map[string]int64{}
			for _, m := range cur.MainIndices {
				mainID[m.Code] = m.ID
				for _, c := range m.Components {
					compID[c.Code] = c.ID
				}
			}
			for i := range f.MainIndices {
				m := &f.MainIndices[i]
				m.ID = mainID[m.Code]
				for j := range m.Components {
					m.Components[j].ID = compID[m.Components[j].Code]
				}
			}
			return syncStructure(ctx, tx, cur.ID, f)
		} else {
			res.Created, res.Changed, res.Revision = true, true, 1
			if err := tx.QueryRowContext(ctx, `INSERT INTO dti_frameworks (code, name, decision, issued_on, issuer, level, year_from, year_to, total_points, owner_unit_id, note, revision, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) RETURNING id`,
				f.Code, f.Name, f.Decision, f.IssuedOn, f.Issuer, f.Level, f.YearFrom, f.YearTo, f.TotalPoints, nullID(val.owner), f.Note, now).Scan(&res.ID); err != nil {
				return err
			}
		}
		return syncStructure(ctx, tx, res.ID, f.Document())
	})
	if store.IsUniqueViolation(err) {
		return ImportResult{}, errs.Conflict // the same code imported at the same moment
	}
	return res, err
}

// sameFramework compares what a document says.
func sameFramework(a, b Framework) bool {
	x, _ := json.Marshal(a.Document())
	b.Owner = strings.ToUpper(b.Owner)
	y, _ := json.Marshal(b.Document())
	return string(x) == string(y)
}

func nullID(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

// indicatorCodes are the reporting indicators a component may compute
// itself from.
func (s *Store) indicatorCodes(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	if s.reports == nil {
		return out, nil
	}
	list, err := s.reports.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	for _, i := range list {
		out[i.Code] = true
	}
	return out, nil
}

// PlanPillars gives the plan domain its pillars (plan.Store.UsePillars).
func (s *Store) PlanPillars(ctx context.Context) ([]plan.Pillar, error) {
	ps, err := s.Pillars(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]plan.Pillar, len(ps))
	for i, p := range ps {
		out[i] = plan.Pillar{Code: p.Code, Framework: p.Framework, NameVI: p.NameVI, NameEN: p.NameEN, MaxPoints: int(math.Round(p.MaxPoints))}
	}
	return out, nil
}
