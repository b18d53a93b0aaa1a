package notify

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/web"
)

// ViewNotifications is reading and marking one's own notifications and
// choosing one's e-mails: every official.
const ViewNotifications org.Action = "notification.view"

// Mount attaches notifications to a site: the policy rule, the API, the
// pages, the home item and, with a mailer or not, the background job
// (reminders are shown on the pages even without e-mail).
func (s *Store) Mount(site *web.Site) {
	s.org.Allow(ViewNotifications, org.Roles...)
	s.apiRoutes(site.API)
	s.pageRoutes(site)
	site.AddComponent(s.Component())
}

// self authorises the caller on their own notifications.
func (s *Store) self(r *http.Request) (*org.Principal, error) {
	p := org.PrincipalFrom(r.Context())
	if err := s.org.Authorize(r.Context(), p, ViewNotifications, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// Unread is how many notifications the caller has not read.
type Unread struct {
	Unread int `json:"unread"`
}

// Marked is how many notifications were marked read.
type Marked struct {
	Marked int `json:"marked"`
}

// PrefsInput sets some of the caller's e-mail choices.
type PrefsInput struct {
	Prefs []Pref `json:"prefs"`
}

func validPrefs(in []Pref) error {
	var v errs.Validator
	for i, p := range in {
		if choiceKind(p.Kind) != p.Kind {
			v.Add(fmt.Sprintf("prefs[%d].kind", i), "one_of", kindList())
		}
	}
	return v.Err()
}

func kindList() string {
	var ks []string
	for _, k := range Kinds {
		ks = append(ks, k.Kind)
	}
	return strings.Join(ks, ", ")
}

func (s *Store) setPrefs(r *http.Request, in []Pref) error {
	p, err := s.self(r)
	if err != nil {
		return err
	}
	if err := validPrefs(in); err != nil {
		return err
	}
	return s.db.Tx(r.Context(), func(tx *sql.Tx) error { return s.SetPrefs(r.Context(), tx, p.UserID, in) })
}

// planRules reads the plan of the path's {id} and its reminder rules.
func (s *Store) planRules(r *http.Request) (plan.Plan, Rules, error) {
	pl, err := s.planFor(r, false)
	if err != nil {
		return pl, Rules{}, err
	}
	rules, err := s.RulesOf(r.Context(), pl.ID)
	return pl, rules, err
}

// planFor reads a plan and, for a change, authorises the caller as its
// coordinator (plan.manage on its issuer).
func (s *Store) planFor(r *http.Request, manage bool) (plan.Plan, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return plan.Plan{}, err
	}
	p := org.PrincipalFrom(r.Context())
	a := plan.ViewPlans
	if manage {
		a = plan.ManagePlans
	}
	pl, err := s.plans.Plan(r.Context(), id)
	if err != nil {
		// Checked first, so an unknown plan is not a way to probe.
		if aerr := s.org.Authorize(r.Context(), p, a, 0); aerr != nil {
			return pl, aerr
		}
		return pl, err
	}
	unit := pl.IssuerUnit.ID
	if !manage {
		unit = 0 // plans are read by every official, as their pages are
	}
	return pl, s.org.Authorize(r.Context(), p, a, unit)
}

func (s *Store) setRules(r *http.Request, in RulesInput) (Rules, error) {
	pl, err := s.planFor(r, true)
	if err != nil {
		return Rules{}, err
	}
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := s.SetRules(r.Context(), tx, pl.ID, in); err != nil {
			return err
		}
		detail := "default"
		if !in.Default {
			var keys []string
			for _, x := range in.Rules {
				keys = append(keys, x.Key())
			}
			detail = strings.Join(keys, " ")
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.PlanReminders, pl.Key, detail, true))
	})
	if err != nil {
		return Rules{}, err
	}
	return s.RulesOf(r.Context(), pl.ID)
}

func (s *Store) apiRoutes(api *httpx.API) {
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/notifications", Tag: "notify", Summary: "The caller's notifications, newest first, in the caller's language",
		Response: Notification{}, List: true, Query: []string{"unread: 1 for the unread ones only"}},
		func(w http.ResponseWriter, r *http.Request) error {
			p, err := s.self(r)
			if err != nil {
				return err
			}
			pg, err := httpx.PageOf(r, 50, 500)
			if err != nil {
				return err
			}
			list, total, _, err := s.Notifications(r.Context(), p.UserID, locale.FromRequest(r), List{UnreadOnly: flag(r, "unread"), Limit: pg.Limit, Offset: pg.Offset})
			if err != nil {
				return err
			}
			httpx.List(w, r, list, total, pg)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/notifications/unread", Tag: "notify", Summary: "How many notifications the caller has not read", Response: Unread{}},
		s.mine(func(r *http.Request, user int64) (any, error) {
			n, err := s.UnreadCount(r.Context(), user)
			return Unread{Unread: n}, err
		}))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/notifications/{id}/read", Tag: "notify", Summary: "Mark one of the caller's notifications read", Status: 204},
		s.mine(func(r *http.Request, user int64) (any, error) {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return nil, err
			}
			_, err = s.MarkRead(r.Context(), user, id)
			return nil, err
		}))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/notifications/read", Tag: "notify", Summary: "Mark all the caller's notifications read", Response: Marked{}},
		s.mine(func(r *http.Request, user int64) (any, error) {
			n, err := s.MarkAllRead(r.Context(), user)
			return Marked{Marked: n}, err
		}))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/notifications/settings", Tag: "notify", Summary: "Which kinds of notification the caller takes by e-mail", Response: PrefsInput{}},
		s.mine(s.prefsOf))
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/notifications/settings", Tag: "notify", Summary: "Choose which kinds the caller takes by e-mail (kinds not named keep their choice)", Request: PrefsInput{}, Response: PrefsInput{}},
		s.mine(func(r *http.Request, user int64) (any, error) {
			var in PrefsInput
			if err := httpx.Decode(r, &in); err != nil {
				return nil, err
			}
			if err := s.setPrefs(r, in.Prefs); err != nil {
				return nil, err
			}
			return s.prefsOf(r, user)
		}))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/plans/{id}/reminders", Tag: "notify", Summary: "A plan's reminder rules (the defaults until its coordinator saves others)", Response: Rules{}},
		func(w http.ResponseWriter, r *http.Request) error {
			_, rules, err := s.planRules(r)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, rules)
			return nil
		})
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/plans/{id}/reminders", Tag: "notify", Summary: "Replace a plan's reminder rules (its coordinator); a negative offset is refused", Request: RulesInput{}, Response: Rules{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in RulesInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			rules, err := s.setRules(r, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, rules)
			return nil
		})
}

// mine answers a request on the caller's own notifications or settings:
// do reads or changes them for the signed-in official, and its answer is
// the JSON body, or 204 No Content when nil.
func (s *Store) mine(do func(r *http.Request, user int64) (any, error)) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.self(r)
		if err != nil {
			return err
		}
		v, err := do(r, p.UserID)
		if err != nil {
			return err
		}
		if v == nil {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		httpx.JSON(w, http.StatusOK, v)
		return nil
	}
}

// prefsOf is an official's choice of e-mails, as the API answers it.
func (s *Store) prefsOf(r *http.Request, user int64) (any, error) {
	prefs, err := s.Prefs(r.Context(), user)
	if err != nil {
		return nil, err
	}
	return PrefsInput{Prefs: prefs}, nil
}

func flag(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "1" || v == "true"
}

// ---- pages ----

//go:embed templates/*.html
var templates embed.FS

var (
	listPage     = web.NewPage(templates, "templates/notifications.html")
	settingsPage = web.NewPage(templates, "templates/settings.html")
	rulesPage    = web.NewPage(templates, "templates/rules.html")
)

// perPage is how many notifications a page of the list shows.
const perPage = 30

type listData struct {
	Items        []Notification
	Total        int
	Unread       int
	UnreadOnly   bool
	Next, Prev   string
	From, To     int
	HasMail      bool
	SettingsLink string
}

type settingsData struct {
	Prefs   []Pref
	Email   string
	HasMail bool
}

type rulesData struct {
	Plan    plan.Plan
	Rules   Rules
	Rows    []ruleRow
	Kinds   []string
	CanEdit bool
}

// ruleRow is a line of the rules form (the saved rules and blank lines to
// add some).
type ruleRow struct {
	I         int
	Kind      string
	Days, Day string
}

func (s *Store) pageRoutes(site *web.Site) {
	site.AddMenu("/notifications", "nav.notifications", string(ViewNotifications))
	site.AddHome("notify", s.homeItems)
	site.Page("GET /notifications", s.listShow)
	site.Page("GET /notifications/{id}", s.openShow)
	site.Page("POST /notifications/{id}/read", s.readSubmit)
	site.Page("POST /notifications/read", s.readAllSubmit)
	site.Page("GET /notifications/settings", s.settingsShow)
	site.Page("POST /notifications/settings", s.settingsSubmit)
	site.Page("GET /plans/{id}/reminders", s.rulesShow)
	site.Page("POST /plans/{id}/reminders", s.rulesSubmit)
}

// homeLimit is how many unread notifications the home page lists.
const homeLimit = 5

func (s *Store) homeItems(r *http.Request) []web.HomeItem {
	p := org.PrincipalFrom(r.Context())
	if p == nil {
		return nil
	}
	list, _, unread, err := s.Notifications(r.Context(), p.UserID, locale.FromRequest(r), List{UnreadOnly: true, Limit: homeLimit})
	if err != nil {
		logErr(r.Context(), "home", err)
		return nil
	}
	var items []web.HomeItem
	for _, n := range list {
		items = append(items, web.HomeItem{Key: "notify.home.line", Args: []any{n.Subject}, Href: "/notifications#n-" + strconv.FormatInt(n.ID, 10), Alert: n.Kind == KindOverdue})
	}
	if unread > 0 {
		items = append(items, web.HomeItem{Key: "notify.home.unread", Count: unread, Href: "/notifications?unread=1"})
	}
	return items
}

func (s *Store) listShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.self(r)
	if err != nil {
		return err
	}
	pg, err := httpx.PageOf(r, perPage, 500)
	if err != nil {
		pg = httpx.Page{Limit: perPage}
	}
	d := listData{UnreadOnly: flag(r, "unread"), HasMail: s.Mailer != nil}
	d.Items, d.Total, d.Unread, err = s.Notifications(r.Context(), p.UserID, locale.FromRequest(r), List{UnreadOnly: d.UnreadOnly, Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		return err
	}
	if d.UnreadOnly {
		d.Unread = d.Total
	} else if d.Unread, err = s.UnreadCount(r.Context(), p.UserID); err != nil {
		return err
	}
	link := func(off int) string {
		q := url.Values{}
		if d.UnreadOnly {
			q.Set("unread", "1")
		}
		if off > 0 {
			q.Set("offset", strconv.Itoa(off))
		}
		if len(q) == 0 {
			return "/notifications"
		}
		return "/notifications?" + q.Encode()
	}
	if pg.Offset+len(d.Items) < d.Total {
		d.Next = link(pg.Offset + pg.Limit)
	}
	if pg.Offset > 0 {
		d.Prev = link(max(0, pg.Offset-pg.Limit))
	}
	d.From, d.To = pg.Offset+1, pg.Offset+len(d.Items)
	return listPage.Render(w, r, d)
}

func (s *Store) readSubmit(w http.ResponseWriter, r *http.Request) error {
	p, err := s.self(r)
	if err != nil {
		return err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.MarkRead(r.Context(), p.UserID, id); err != nil {
		return err
	}
	next := r.PostFormValue("next")
	if next == "" {
		next = "/notifications"
	}
	web.Redirect(w, r, httpx.LocalPath(next))
	return nil
}

// openShow follows a notification: it is read once opened (an official who
// went to the task it names has seen it), and the browser goes to the page
// it points to.
func (s *Store) openShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.self(r)
	if err != nil {
		return err
	}
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	link, err := s.MarkRead(r.Context(), p.UserID, id)
	if err != nil {
		return err
	}
	if link == "" {
		link = "/notifications"
	}
	web.Redirect(w, r, httpx.LocalPath(link))
	return nil
}

func (s *Store) readAllSubmit(w http.ResponseWriter, r *http.Request) error {
	p, err := s.self(r)
	if err != nil {
		return err
	}
	if _, err := s.MarkAllRead(r.Context(), p.UserID); err != nil {
		return err
	}
	web.Redirect(w, r, "/notifications?ok=notify_read_all")
	return nil
}

func (s *Store) settingsData(ctx context.Context, user int64) (settingsData, error) {
	d := settingsData{HasMail: s.Mailer != nil}
	var err error
	if d.Prefs, err = s.Prefs(ctx, user); err != nil {
		return d, err
	}
	o, err := s.org.Official(ctx, user)
	d.Email = o.Email
	return d, err
}

func (s *Store) settingsShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.self(r)
	if err != nil {
		return err
	}
	d, err := s.settingsData(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	return settingsPage.Render(w, r, d)
}

func (s *Store) settingsSubmit(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.self(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.Invalid(errs.Field{Name: "body", Code: "invalid"})
	}
	var in []Pref
	for _, k := range Kinds {
		in = append(in, Pref{Kind: k.Kind, Email: r.PostForm.Get("email."+k.Kind) == "1"})
	}
	if err := s.setPrefs(r, in); err != nil {
		return err
	}
	web.Redirect(w, r, "/notifications/settings?ok=notify_settings")
	return nil
}

func (s *Store) rulesView(r *http.Request, pl plan.Plan, rules Rules) rulesData {
	d := rulesData{Plan: pl, Rules: rules, Kinds: RuleKinds}
	d.CanEdit, _ = s.org.Can(r.Context(), org.PrincipalFrom(r.Context()), plan.ManagePlans, pl.IssuerUnit.ID)
	for i, x := range rules.Rules {
		row := ruleRow{I: i, Kind: x.Kind, Days: strconv.Itoa(x.Days)}
		if x.Kind == RuleBeforeReport {
			row.Day = strconv.Itoa(x.Day)
		}
		d.Rows = append(d.Rows, row)
	}
	if d.CanEdit {
		for i := len(d.Rows); i < len(rules.Rules)+2; i++ {
			d.Rows = append(d.Rows, ruleRow{I: i})
		}
	}
	return d
}

func (s *Store) rulesShow(w http.ResponseWriter, r *http.Request) error {
	pl, rules, err := s.planRules(r)
	if err != nil {
		return err
	}
	return rulesPage.Render(w, r, s.rulesView(r, pl, rules))
}

// rulesForm reads the rules form: rows with a kind; a number that is not
// one is named, like a negative one.
func rulesForm(r *http.Request) (RulesInput, error) {
	var in RulesInput
	if r.PostForm.Get("default") == "1" {
		return RulesInput{Default: true}, nil
	}
	in.Rules = []Rule{}
	var v errs.Validator
	v.Context = "reminder"
	for i := 0; i < 50; i++ {
		kind := r.PostForm.Get(fmt.Sprintf("kind.%d", i))
		if kind == "" {
			continue
		}
		x := Rule{Kind: kind}
		n := len(in.Rules)
		num := func(name string) int {
			s := strings.TrimSpace(r.PostForm.Get(fmt.Sprintf("%s.%d", name, i)))
			if s == "" {
				return 0
			}
			d, err := strconv.Atoi(s)
			if err != nil {
				v.Add(fmt.Sprintf("rules[%d].%s", n, name), "number")
			}
			return d
		}
		x.Days = num("days")
		if kind == RuleBeforeReport {
			x.Day = num("day")
		}
		in.Rules = append(in.Rules, x)
	}
	return in, v.Err()
}

func (s *Store) rulesSubmit(w http.ResponseWriter, r *http.Request) error {
	pl, err := s.planFor(r, true)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.Invalid(errs.Field{Name: "body", Code: "invalid"})
	}
	in, err := rulesForm(r)
	if err == nil {
		_, err = s.setRules(r, in)
	}
	if err != nil {
		// Show what was typed again, with the rows named.
		shown := Rules{PlanID: pl.ID, Rules: in.Rules}
		return rulesPage.FormError(w, r, err, s.rulesView(r, pl, shown))
	}
	web.Redirect(w, r, fmt.Sprintf("/plans/%d/reminders?ok=notify_rules", pl.ID))
	return nil
}
