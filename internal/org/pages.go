package org

import (
	"embed"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

//go:embed templates/*.html
var templates embed.FS

var (
	unitsPage     = web.NewPage(templates, "templates/units.html")
	unitPage      = web.NewPage(templates, "templates/unit.html")
	unitNewPage   = web.NewPage(templates, "templates/unit_new.html")
	reorgPage     = web.NewPage(templates, "templates/reorganisations.html")
	officialsPage = web.NewPage(templates, "templates/officials.html")
	officialPage  = web.NewPage(templates, "templates/official.html")
	auditPage     = web.NewPage(templates, "templates/audit.html")
)

func (s *Store) pageRoutes(site *web.Site) {
	site.AddMenu("/units", "nav.units", string(ViewUnits))
	site.AddMenu("/officials", "nav.officials", string(ViewOfficials))
	site.AddMenu("/audit", "nav.audit", string(ViewAudit))
	site.AddHome("org", s.homeItems)
	site.Page("GET /units", s.unitsShow)
	site.Page("GET /units/new", s.unitNewShow)
	// The unit search picker answers JSON, its errors as problem+json.
	site.Mux.HandleFunc("GET /units/picker", web.RequirePage(func(w http.ResponseWriter, r *http.Request) {
		if err := s.unitPicker(w, r); err != nil {
			httpx.Error(w, r, err)
		}
	}))
	site.Page("POST /units", s.unitCreateSubmit)
	site.Page("GET /units/{id}", s.unitShow)
	site.Page("POST /units/{id}", s.unitEditSubmit)
	site.Page("GET /reorganisations", s.reorgShow)
	site.Page("POST /reorganisations", s.reorgSubmit)
	site.Page("POST /reorganisations/{id}/heirs", s.heirsSubmit)
	site.Page("GET /officials", s.officialsShow)
	site.Page("GET /officials/new", s.officialNewShow)
	site.Page("POST /officials", s.officialCreateSubmit)
	site.Page("GET /officials/{id}", s.officialShow)
	site.Page("POST /officials/{id}", s.officialEditSubmit)
	site.Page("POST /officials/{id}/disable", s.officialDisableSubmit(true))
	site.Page("POST /officials/{id}/enable", s.officialDisableSubmit(false))
	site.Page("POST /officials/{id}/password", s.officialPasswordSubmit)
	site.Page("POST /officials/{id}/sessions/end", s.officialEndSessionsSubmit(false))
	site.Page("POST /officials/{id}/totp/reset", s.officialEndSessionsSubmit(true))
	site.Page("POST /officials/{id}/tokens/{token}/revoke", s.officialTokenRevokeSubmit)
	site.Page("GET /audit", s.auditShow)
}

// TreeNode is a unit with its children, for the tree page.
type TreeNode struct {
	Unit
	Children []*TreeNode
}

func buildTree(units []Unit) []*TreeNode {
	nodes := map[int64]*TreeNode{}
	var roots []*TreeNode
	for _, u := range units { // tree order: parents first
		n := &TreeNode{Unit: u}
		nodes[u.ID] = n
		if u.ParentID != nil && nodes[*u.ParentID] != nil {
			nodes[*u.ParentID].Children = append(nodes[*u.ParentID].Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

type unitsData struct {
	AsOf, Query string
	Tree        []*TreeNode
	Results     []Unit
	Names       map[int64]string
	CanManage   bool
	Count       int
}

func (s *Store) unitsShow(w http.ResponseWriter, r *http.Request) error {
	f, err := s.unitFilter(r)
	if err != nil {
		return err
	}
	units, err := s.Units(r.Context(), f)
	if err != nil {
		return err
	}
	d := unitsData{AsOf: f.AsOf, Query: f.Query, Count: len(units)}
	d.CanManage, _ = s.Can(r.Context(), PrincipalFrom(r.Context()), ManageUnits, 0)
	if f.Query != "" {
		if d.Results, err = s.WithLabels(r.Context(), units); err != nil {
			return err
		}
		d.Names = map[int64]string{}
		all, _ := s.Units(r.Context(), UnitFilter{AsOf: f.AsOf})
		for _, u := range all {
			d.Names[u.ID] = u.Name
		}
	} else {
		d.Tree = buildTree(units)
	}
	return unitsPage.Render(w, r, d)
}

type unitData struct {
	UnitDetail
	AsOf       string
	Kinds      []string
	CanManage  bool
	Officials  []Official
	CanOfficer bool
	// Dissolve is the event that dissolved the unit, whose heirs an admin
	// may name again from this page.
	Dissolve *Event
}

func (s *Store) unitData(r *http.Request) (unitData, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return unitData{}, err
	}
	asOf, err := asOfParam(r)
	if err != nil {
		return unitData{}, err
	}
	det, err := s.Detail(r, id, asOf)
	if err != nil {
		return unitData{}, err
	}
	d := unitData{UnitDetail: det, AsOf: asOf, Kinds: Kinds}
	d.CanManage, _ = s.Can(r.Context(), PrincipalFrom(r.Context()), ManageUnits, id)
	for i, e := range det.Events {
		if e.Kind == "dissolve" && slices.Contains(e.From, det.Code) {
			d.Dissolve = &det.Events[i]
		}
	}
	if ok, _ := s.Can(r.Context(), PrincipalFrom(r.Context()), ViewOfficials, id); ok {
		d.CanOfficer = true
		d.Officials, _ = s.officialsVisible(r, OfficialFilter{Unit: id})
	}
	return d, nil
}

func (s *Store) unitShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.unitData(r)
	if err != nil {
		return err
	}
	return unitPage.Render(w, r, d)
}

func (s *Store) unitEditSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	sort, _ := strconv.Atoi(r.PostFormValue("sortOrder"))
	if _, err := s.editUnit(r, id, UnitEdit{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), SortOrder: sort}); err != nil {
		d, derr := s.unitData(r)
		if derr != nil {
			return derr
		}
		return unitPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/units/"+strconv.FormatInt(id, 10)+"?ok=saved")
	return nil
}

type unitNewData struct {
	Parent   *Unit // the unit whose page led here
	ParentID string
	Parents  []unitGroup
	Kinds    []string
}

// unitGroup is a run of picker options under a heading (a province).
type unitGroup struct {
	Label string
	Units []Unit
}

// parentChoices lists the units the principal may add units under, as the
// parent picker groups them: the units above any province first, then each
// province with what lies in it. Communes hold no units and are left out.
func (s *Store) parentChoices(r *http.Request) ([]unitGroup, error) {
	units, err := s.unitsUnder(r, ManageUnits)
	if err != nil {
		return nil, err
	}
	units = slices.DeleteFunc(units, func(u Unit) bool { return u.Level == "commune" })
	if units, err = s.WithLabels(r.Context(), units); err != nil {
		return nil, err
	}
	var out []unitGroup
	group := map[int64]int{} // unit id → index of its province's group
	for _, u := range units {
		i, ok := -1, false
		if u.ParentID != nil {
			i, ok = group[*u.ParentID]
		}
		switch {
		case u.Level == "province":
			i = len(out)
			out = append(out, unitGroup{Label: u.Name})
		case !ok:
			if len(out) == 0 || out[0].Label != "" {
				out = append([]unitGroup{{}}, out...)
				for id := range group {
					group[id]++
				}
			}
			i = 0
		}
		group[u.ID] = i
		out[i].Units = append(out[i].Units, u)
	}
	return out, nil
}

// unitsUnder lists today's units, in tree order, within the principal's
// scopes for action a.
func (s *Store) unitsUnder(r *http.Request, a Action) ([]Unit, error) {
	scopes := s.Scopes(PrincipalFrom(r.Context()), a)
	all, err := s.Units(r.Context(), UnitFilter{})
	if err != nil {
		return nil, err
	}
	var out []Unit
	for _, u := range all {
		for _, sc := range scopes {
			if ok, err := s.Within(r.Context(), u.ID, sc); err != nil {
				return nil, err
			} else if ok {
				out = append(out, u)
				break
			}
		}
	}
	return out, nil
}

func (s *Store) unitNewData(r *http.Request) (unitNewData, error) {
	d := unitNewData{Kinds: Kinds, ParentID: r.FormValue("parentId")}
	if d.ParentID != "" && r.Method == http.MethodGet {
		id, _ := strconv.ParseInt(d.ParentID, 10, 64)
		u, err := s.Unit(r.Context(), id, "")
		if err != nil {
			return d, err
		}
		d.Parent = &u
	}
	var err error
	d.Parents, err = s.parentChoices(r)
	return d, err
}

func (s *Store) unitNewShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.unitNewData(r)
	if err == nil {
		var parent int64
		if d.Parent != nil {
			parent = d.Parent.ID
		}
		err = s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, parent)
	}
	if err != nil {
		return err
	}
	return unitNewPage.Render(w, r, d)
}

func (s *Store) unitCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	in := UnitInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), ValidFrom: locale.FormDate(r.PostFormValue("validFrom"))}
	in.SortOrder, _ = strconv.Atoi(r.PostFormValue("sortOrder"))
	if p := r.PostFormValue("parentId"); p != "" {
		id, _ := strconv.ParseInt(p, 10, 64)
		in.ParentID = &id
	}
	u, err := s.createUnit(r, in)
	if err != nil {
		d, derr := s.unitNewData(r)
		if derr != nil {
			return derr
		}
		return unitNewPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/units/"+strconv.FormatInt(u.ID, 10)+"?ok=created")
	return nil
}

type reorgData struct {
	Events     []Event
	Kinds      []string
	UnitKinds  []string
	CanManage  bool
	Total      int
	Next, Prev string
}

func (s *Store) reorgData(r *http.Request) (reorgData, error) {
	evs, err := s.Events(r.Context(), 0)
	d := reorgData{Kinds: EventKinds, UnitKinds: Kinds, Total: len(evs)}
	d.CanManage, _ = s.Can(r.Context(), PrincipalFrom(r.Context()), ManageUnits, 0)
	p, perr := httpx.PageOf(r, 50, 500)
	if perr != nil {
		p = httpx.Page{Limit: 50}
	}
	d.Events = httpx.Slice(evs, p)
	if p.Offset+len(d.Events) < len(evs) {
		d.Next = "/reorganisations?offset=" + strconv.Itoa(p.Offset+p.Limit)
	}
	if p.Offset > 0 {
		d.Prev = "/reorganisations?offset=" + strconv.Itoa(max(0, p.Offset-p.Limit))
	}
	return d, err
}

func (s *Store) reorgShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.reorgData(r)
	if err != nil {
		return err
	}
	return reorgPage.Render(w, r, d)
}

// codes splits a list of unit codes typed with commas, semicolons or spaces.
func codes(s string) []string {
	return strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// heirFields renames the heirs' errors to the one "heirs" input of the
// forms, which names the heirs of every unit the event ends.
func heirFields(err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = nil
	for _, f := range e.Fields {
		if strings.HasPrefix(f.Name, "heirs[") {
			f.Name = "heirs"
		}
		c.Fields = append(c.Fields, f)
	}
	return &c
}

// heirsInput reads the "heirs" input: codes of the units taking over the
// duties of every unit the event ends.
func heirsInput(r *http.Request) []HeirInput {
	if h := codes(r.PostFormValue("heirs")); len(h) > 0 {
		return []HeirInput{{Heirs: h}}
	}
	return nil
}

func (s *Store) reorgSubmit(w http.ResponseWriter, r *http.Request) error {
	in := EventInput{
		Kind: r.PostFormValue("kind"), Date: locale.FormDate(r.PostFormValue("date")), Basis: r.PostFormValue("basis"), Note: r.PostFormValue("note"),
		From: codes(r.PostFormValue("from")), To: codes(r.PostFormValue("to")),
		Subject: strings.TrimSpace(r.PostFormValue("subject")), Name: r.PostFormValue("name"), Parent: strings.TrimSpace(r.PostFormValue("parent")),
		Heirs: heirsInput(r),
	}
	if c := strings.TrimSpace(r.PostFormValue("newCode")); c != "" || strings.TrimSpace(r.PostFormValue("newName")) != "" {
		nu := UnitInput{Code: c, Name: r.PostFormValue("newName"), Kind: r.PostFormValue("newKind")}
		if p := strings.TrimSpace(r.PostFormValue("newParent")); p != "" {
			if pu, err := s.UnitByCode(r.Context(), strings.ToUpper(p), ""); err == nil {
				nu.ParentID = &pu.ID
			} else {
				id := int64(-1)
				nu.ParentID = &id
			}
		}
		in.NewUnits = []UnitInput{nu}
	}
	if _, err := s.recordEvent(r, in); err != nil {
		d, derr := s.reorgData(r)
		if derr != nil {
			return derr
		}
		return reorgPage.FormError(w, r, heirFields(err), d)
	}
	web.Redirect(w, r, "/reorganisations?ok=recorded")
	return nil
}

// heirsSubmit names again the heirs of a dissolved unit, from its page.
func (s *Store) heirsSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	unit, err := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	if err != nil {
		return errs.BadRequest
	}
	u, err := s.Unit(r.Context(), unit, "")
	if err != nil {
		return err
	}
	in := HeirsInput{Heirs: []HeirInput{{Unit: u.Code, Heirs: codes(r.PostFormValue("heirs"))}}}
	if _, err := s.setHeirs(r, id, in); err != nil {
		r.SetPathValue("id", strconv.FormatInt(unit, 10))
		d, derr := s.unitData(r)
		if derr != nil {
			return derr
		}
		return unitPage.FormError(w, r, heirFields(err), d)
	}
	web.Redirect(w, r, "/units/"+strconv.FormatInt(unit, 10)+"?ok=saved")
	return nil
}

type officialsData struct {
	Officials []Official
	Query     string
	Unit      *Unit
	CanManage bool
	// UnitEnded lists only the officials to move (enabled, on a unit that
	// has ended); Ended counts them in the list before that filter.
	UnitEnded bool
	Ended     int
}

func (s *Store) officialsShow(w http.ResponseWriter, r *http.Request) error {
	d := officialsData{Query: r.URL.Query().Get("q"), UnitEnded: flag(r, "unitEnded")}
	f := OfficialFilter{Query: d.Query}
	if u := r.URL.Query().Get("unit"); u != "" {
		id, _ := strconv.ParseInt(u, 10, 64)
		unit, err := s.Unit(r.Context(), id, "")
		if err != nil {
			return err
		}
		if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ViewOfficials, id); err != nil {
			return err
		}
		d.Unit, f.Unit = &unit, id
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ViewOfficials, 0); err != nil {
		return err
	}
	var err error
	if d.Officials, err = s.officialsVisible(r, f); err != nil {
		return err
	}
	// An account on a unit that ended needs moving, unless it is disabled
	// (the home page counts the same).
	needsMove := func(o Official) bool { return o.UnitEndedOn != "" && !o.Disabled }
	for _, o := range d.Officials {
		if needsMove(o) {
			d.Ended++
		}
	}
	if d.UnitEnded {
		d.Officials = slices.DeleteFunc(d.Officials, func(o Official) bool { return !needsMove(o) })
	}
	d.CanManage, _ = s.Can(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, 0)
	return officialsPage.Render(w, r, d)
}

type officialData struct {
	Official  *Official
	New       bool
	Units     []Unit // units an admin may place the official in
	Roles     []string
	CanManage bool
	UnitID    int64
	Tokens    []Token // the official's API tokens, for an admin who manages them
	Now       time.Time
}

// manageableUnits lists the units under the principal's admin scopes, for
// the unit pickers of the official form.
func (s *Store) manageableUnits(r *http.Request) ([]Unit, error) {
	return s.unitsUnder(r, ManageOfficial)
}

func (s *Store) officialForm(r *http.Request, o *Official) (officialData, error) {
	d := officialData{Official: o, New: o == nil, Roles: Roles}
	if o != nil {
		d.UnitID = o.UnitID
		d.CanManage, _ = s.Can(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, o.UnitID)
	} else {
		d.CanManage, _ = s.Can(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, 0)
		d.UnitID, _ = strconv.ParseInt(r.FormValue("unit"), 10, 64)
	}
	if d.CanManage && o != nil {
		toks, err := s.Tokens(r.Context(), o.ID)
		if err != nil {
			return d, err
		}
		d.Tokens, d.Now = toks, store.Now()
	}
	if d.CanManage {
		units, err := s.manageableUnits(r)
		if err != nil {
			return d, err
		}
		// The pickers list today's units; an official of a unit that has
		// ended (a district of 2022) keeps it, and their roles' scopes, as
		// choices, or saving the form would silently move them.
		if o != nil {
			keep := []int64{o.UnitID}
			for _, g := range o.Roles {
				keep = append(keep, g.ScopeID)
			}
			for _, id := range keep {
				if !slices.ContainsFunc(units, func(u Unit) bool { return u.ID == id }) {
					if u, err := s.Unit(r.Context(), id, ""); err == nil {
						units = append(units, u)
					}
				}
			}
		}
		if d.Units, err = s.WithLabels(r.Context(), units); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (s *Store) officialShow(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.officialVisible(r, id)
	if err != nil {
		return err
	}
	d, err := s.officialForm(r, &o)
	if err != nil {
		return err
	}
	return officialPage.Render(w, r, d)
}

func (s *Store) officialNewShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, 0); err != nil {
		return err
	}
	d, err := s.officialForm(r, nil)
	if err != nil {
		return err
	}
	return officialPage.Render(w, r, d)
}

// officialInput reads the official form: roles are checkboxes "role" with
// the scope unit chosen per role ("scope_<role>"), the official's unit when
// left empty.
func officialInput(r *http.Request) OfficialInput {
	r.ParseForm()
	in := OfficialInput{
		Username: r.PostFormValue("username"), FullName: r.PostFormValue("fullName"),
		Email: r.PostFormValue("email"), Title: r.PostFormValue("title"), Password: r.PostFormValue("password"),
	}
	in.UnitID, _ = strconv.ParseInt(r.PostFormValue("unitId"), 10, 64)
	for _, role := range r.PostForm["role"] {
		g := Grant{Role: role}
		g.ScopeID, _ = strconv.ParseInt(r.PostFormValue("scope_"+role), 10, 64)
		in.Roles = append(in.Roles, g)
	}
	return in
}

func (s *Store) officialCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	o, err := s.createOfficial(r, officialInput(r))
	if err != nil {
		d, derr := s.officialForm(r, nil)
		if derr != nil {
			return derr
		}
		r.PostForm.Del("password")
		return officialPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/officials/"+strconv.FormatInt(o.ID, 10)+"?ok=created")
	return nil
}

func (s *Store) officialEditSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.updateOfficial(r, id, officialInput(r)); err != nil {
		o, oerr := s.officialVisible(r, id)
		if oerr != nil {
			return oerr
		}
		d, derr := s.officialForm(r, &o)
		if derr != nil {
			return derr
		}
		return officialPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/officials/"+strconv.FormatInt(id, 10)+"?ok=saved")
	return nil
}

func (s *Store) officialDisableSubmit(disabled bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := s.setDisabled(r, id, disabled); err != nil {
			return err
		}
		flash := "enabled"
		if disabled {
			flash = "disabled"
		}
		web.Redirect(w, r, "/officials/"+strconv.FormatInt(id, 10)+"?ok="+flash)
		return nil
	}
}

// officialEndSessionsSubmit signs an official out everywhere (their
// applications included), or also removes their second factor.
func (s *Store) officialEndSessionsSubmit(resetTOTP bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.endSessions(r, id, resetTOTP); err != nil {
			return err
		}
		flash := "official_signed_out"
		if resetTOTP {
			flash = "official_totp_reset"
		}
		web.Redirect(w, r, "/officials/"+strconv.FormatInt(id, 10)+"?ok="+flash)
		return nil
	}
}

func (s *Store) officialPasswordSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.resetPassword(r, id, PasswordInput{Password: r.PostFormValue("password")}); err != nil {
		o, oerr := s.officialVisible(r, id)
		if oerr != nil {
			return oerr
		}
		d, derr := s.officialForm(r, &o)
		if derr != nil {
			return derr
		}
		r.PostForm.Del("password")
		return officialPage.FormError(w, r, err, d)
	}
	web.Redirect(w, r, "/officials/"+strconv.FormatInt(id, 10)+"?ok=password_reset")
	return nil
}

func (s *Store) officialTokenRevokeSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.revokeOfficialToken(r, id, r.PathValue("token")); err != nil {
		return err
	}
	web.Redirect(w, r, "/officials/"+strconv.FormatInt(id, 10)+"?ok=official_token_revoked#tokens")
	return nil
}

type auditData struct {
	Kinds         []string
	Events        []audit.Event
	Kind, Subject string
	Page          httpx.Page
	Total         int
	Next, Prev    string
}

func (s *Store) auditShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ViewAudit, 0); err != nil {
		return err
	}
	p, err := httpx.PageOf(r, 50, 500)
	if err != nil {
		return err
	}
	d := auditData{Kinds: audit.Kinds, Kind: r.URL.Query().Get("kind"), Subject: r.URL.Query().Get("subject"), Page: p}
	within, err := s.auditScope(r)
	if err != nil {
		return err
	}
	d.Events, d.Total, err = audit.List(r.Context(), s.db, audit.Filter{Kind: d.Kind, Subject: d.Subject, Limit: p.Limit, Offset: p.Offset, Within: within})
	if err != nil {
		return err
	}
	link := func(off int) string {
		q := url.Values{"kind": {d.Kind}, "subject": {d.Subject}, "offset": {strconv.Itoa(off)}}
		return "/audit?" + q.Encode()
	}
	if p.Offset+len(d.Events) < d.Total {
		d.Next = link(p.Offset + p.Limit)
	}
	if p.Offset > 0 {
		d.Prev = link(max(0, p.Offset-p.Limit))
	}
	return auditPage.Render(w, r, d)
}

// homeItems are the org registry's lines on the home page.
func (s *Store) homeItems(r *http.Request) []web.HomeItem {
	p := PrincipalFrom(r.Context())
	var items []web.HomeItem
	if u, err := s.Unit(r.Context(), p.UnitID, ""); err == nil {
		if u.ValidTo != "" && u.ValidTo < Today() {
			items = append(items, s.endedUnitItem(r, u))
		}
		items = append(items, web.HomeItem{Key: "home.your_unit", Args: []any{u.Name}, Href: "/units/" + strconv.FormatInt(u.ID, 10)})
	}
	if ok, _ := s.Can(r.Context(), p, ManageOfficial, 0); ok {
		list, err := s.officialsVisible(r, OfficialFilter{})
		if err == nil {
			var noRole, disabled, ended int
			for _, o := range list {
				if len(o.Roles) == 0 && !o.Disabled {
					noRole++
				}
				if o.Disabled {
					disabled++
				}
				if o.UnitEndedOn != "" && !o.Disabled {
					ended++
				}
			}
			items = append(items, web.HomeItem{Key: "home.officials_in_scope", Count: len(list), Href: "/officials"})
			if ended > 0 {
				items = append(items, web.HomeItem{Key: "home.officials_unit_ended", Count: ended, Href: "/officials?unitEnded=1", Alert: true})
			}
			if noRole > 0 {
				items = append(items, web.HomeItem{Key: "home.officials_no_role", Count: noRole, Href: "/officials", Alert: true})
			}
			if disabled > 0 {
				items = append(items, web.HomeItem{Key: "home.officials_disabled", Count: disabled, Href: "/officials"})
			}
		}
	}
	if ok, _ := s.Can(r.Context(), p, ViewAudit, 0); ok {
		// Counted over the trail the admin may read, so the number matches
		// what the link shows (a provincial admin: their officials only).
		within, err := s.auditScope(r)
		var n int
		if err == nil {
			n, err = audit.Count(r.Context(), s.db, audit.Filter{Kind: audit.Login, Failed: true, Since: time.Now().UTC().Add(-24 * time.Hour), Within: within})
		}
		if err != nil {
			slog.ErrorContext(r.Context(), "home: failed logins", "err", err)
		}
		if n > 0 {
			items = append(items, web.HomeItem{Key: "home.failed_logins", Count: n, Href: "/audit?kind=login", Alert: true})
		}
	}
	return items
}

// endedUnitItem warns an official whose unit has ended: since when, who
// took over its duties, and that an admin must move them.
func (s *Store) endedUnitItem(r *http.Request, u Unit) web.HomeItem {
	lang := locale.FromRequest(r)
	since := locale.ISODate(lang, dayAfter(u.ValidTo))
	ids, err := s.Successors(r.Context(), s.db.Read, u.ID, Today())
	var names []string
	if err == nil {
		for _, id := range ids {
			if h, err := s.Unit(r.Context(), id, ""); err == nil {
				names = append(names, h.Name)
			}
		}
	}
	if len(names) == 0 {
		return web.HomeItem{Key: "home.unit_ended_no_heir", Args: []any{since}, Href: "/units/" + strconv.FormatInt(u.ID, 10), Alert: true}
	}
	return web.HomeItem{Key: "home.unit_ended", Args: []any{since, strings.Join(names, ", ")}, Href: "/units/" + strconv.FormatInt(u.ID, 10), Alert: true}
}
