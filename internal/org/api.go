package org

import (
	"net/http"
	"strconv"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/web"
)

// UnitDetail is one unit with where it sits and what happened to it.
type UnitDetail struct {
	Unit
	Path         []Unit  `json:"path" doc:"ancestors, root first"`
	Children     []Unit  `json:"children"`
	Events       []Event `json:"events" doc:"reorganisations the unit took part in"`
	Heirs        []Unit  `json:"heirs,omitempty" doc:"for a unit that has ended: the units that took over its duties (named by its dissolve, or the successors of its merge or split)"`
	Successors   []Unit  `json:"successors,omitempty" doc:"for a unit that has ended: the units that carry on its work today"`
	Predecessors []Unit  `json:"predecessors,omitempty"`
}

// Detail assembles a UnitDetail as of asOf ("" for today, or the unit's
// last day when it has ended).
func (s *Store) Detail(r *http.Request, id int64, asOf string) (UnitDetail, error) {
	ctx := r.Context()
	u, err := s.Unit(ctx, id, asOf)
	if err != nil {
		return UnitDetail{}, err
	}
	date := asOf
	if date == "" {
		date = Today()
		if u.ValidTo != "" && u.ValidTo < date {
			date = u.ValidTo
		}
	}
	d := UnitDetail{Unit: u, Children: []Unit{}}
	if d.Path, err = s.Path(ctx, id, date); err != nil {
		return d, err
	}
	if d.Children, err = s.Units(ctx, UnitFilter{AsOf: date, Parent: &id}); err != nil {
		return d, err
	}
	if d.Events, err = s.Events(ctx, id); err != nil {
		return d, err
	}
	if u.ValidTo != "" {
		ids, err := s.heirs(ctx, s.db.Read, id)
		if err != nil {
			return d, err
		}
		for _, hid := range ids {
			if hu, err := s.Unit(ctx, hid, ""); err == nil {
				d.Heirs = append(d.Heirs, hu)
			}
		}
	}
	if u.ValidTo != "" && u.ValidTo < Today() {
		ids, err := s.Successors(ctx, s.db.Read, id, Today())
		if err != nil {
			return d, err
		}
		for _, sid := range ids {
			if su, err := s.Unit(ctx, sid, ""); err == nil {
				d.Successors = append(d.Successors, su)
			}
		}
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT DISTINCT f.unit_id FROM org_event_units t JOIN org_event_units f ON f.event_id = t.event_id AND f.role = 'from'
		WHERE t.unit_id = $1 AND t.role = 'to' AND f.unit_id <> $1`, id)
	if err != nil {
		return d, err
	}
	var preds []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return d, err
		}
		preds = append(preds, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	for _, p := range preds {
		if pu, err := s.Unit(ctx, p, ""); err == nil {
			d.Predecessors = append(d.Predecessors, pu)
		}
	}
	for _, list := range []*[]Unit{&d.Children, &d.Successors, &d.Predecessors} {
		if *list, err = s.WithLabels(ctx, *list); err != nil {
			return d, err
		}
	}
	d.Unit.Label = s.LabelOf(ctx, d.Unit)
	return d, nil
}

// flag reads a yes/no query parameter ("1" or "true").
func flag(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "1" || v == "true"
}

func asOfParam(r *http.Request) (string, error) {
	d := locale.FormDate(r.URL.Query().Get("asOf"))
	if d != "" && !ValidDate(d) {
		return "", errs.Invalid(errs.Field{Name: "asOf", Code: "date"})
	}
	return d, nil
}

func (s *Store) unitFilter(r *http.Request) (UnitFilter, error) {
	asOf, err := asOfParam(r)
	if err != nil {
		return UnitFilter{}, err
	}
	f := UnitFilter{AsOf: asOf, Query: r.URL.Query().Get("q"), Level: r.URL.Query().Get("level")}
	if p := r.URL.Query().Get("parent"); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return f, errs.Invalid(errs.Field{Name: "parent", Code: "invalid"})
		}
		f.Parent = &id
	}
	return f, nil
}

// Mount attaches the org registry to a site: its API, pages, menu entries
// and home items (its policy rules are the base of the store's table).
func (s *Store) Mount(site *web.Site) {
	s.apiRoutes(site.API)
	s.pageRoutes(site)
}

func (s *Store) apiRoutes(api *httpx.API) {
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/orgunits", Tag: "org", Summary: "List org units as of a date (today by default), in tree order",
		Response: Unit{}, List: true, Query: []string{"asOf: YYYY-MM-DD", "q: accent-insensitive search in names and codes", "level: nation, province, department, district or commune", "parent: id of the parent"}},
		func(w http.ResponseWriter, r *http.Request) error {
			f, err := s.unitFilter(r)
			if err != nil {
				return err
			}
			p, err := httpx.PageOf(r, 1000, 10000)
			if err != nil {
				return err
			}
			units, err := s.Units(r.Context(), f)
			if err != nil {
				return err
			}
			page, err := s.WithLabels(r.Context(), httpx.Slice(units, p))
			if err != nil {
				return err
			}
			httpx.List(w, r, page, len(units), p)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/orgunits/{id}", Tag: "org", Summary: "One org unit with its path, children, reorganisations, predecessors and successors",
		Response: UnitDetail{}, Query: []string{"asOf: YYYY-MM-DD"}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			asOf, err := asOfParam(r)
			if err != nil {
				return err
			}
			d, err := s.Detail(r, id, asOf)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, d)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/orgunits", Tag: "org", Summary: "Add an org unit (admin of the parent)", Request: UnitInput{}, Response: Unit{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in UnitInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			u, err := s.createUnit(r, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 201, u)
			return nil
		})
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/orgunits/{id}", Tag: "org", Summary: "Correct an org unit's current name, kind or order (admin); real changes are reorganisations",
		Request: UnitEdit{}, Response: Unit{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in UnitEdit
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			u, err := s.editUnit(r, id, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, u)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/reorganisations", Tag: "org", Summary: "List reorganisations (merge, split, rename, move, dissolve), newest first", Response: Event{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			p, err := httpx.PageOf(r, 200, 5000)
			if err != nil {
				return err
			}
			evs, err := s.Events(r.Context(), 0)
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(evs, p), len(evs), p)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/reorganisations", Tag: "org", Summary: "Record a reorganisation (admin of every unit it touches)", Request: EventInput{}, Response: Event{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in EventInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			ev, err := s.recordEvent(r, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 201, ev)
			return nil
		})
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/reorganisations/{id}/heirs", Tag: "org", Summary: "Name again the heirs of the duties of the units a dissolve ended (admin of those units and of the heirs)", Request: HeirsInput{}, Response: Event{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in HeirsInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			ev, err := s.setHeirs(r, id, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, ev)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/officials", Tag: "officials", Summary: "List the officials the caller may see (their roles' subtrees)",
		Response: Official{}, List: true, Query: []string{"unit: id of one unit", "q: search in names and usernames", "unitEnded: 1 for the officials whose unit has ended (to be moved)"}},
		func(w http.ResponseWriter, r *http.Request) error {
			p, err := httpx.PageOf(r, 200, 5000)
			if err != nil {
				return err
			}
			f := OfficialFilter{Query: r.URL.Query().Get("q"), UnitEnded: flag(r, "unitEnded")}
			if u := r.URL.Query().Get("unit"); u != "" {
				if f.Unit, err = strconv.ParseInt(u, 10, 64); err != nil {
					return errs.Invalid(errs.Field{Name: "unit", Code: "invalid"})
				}
				// As the page does: asking for a unit outside one's scope is refused.
				if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ViewOfficials, f.Unit); err != nil {
					return err
				}
			}
			list, err := s.officialsVisible(r, f)
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(list, p), len(list), p)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/officials/{id}", Tag: "officials", Summary: "One official", Response: Official{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			o, err := s.officialVisible(r, id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, o)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/officials", Tag: "officials", Summary: "Add an official (admin of the unit and of every role's scope)", Request: OfficialInput{}, Response: Official{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in OfficialInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			o, err := s.createOfficial(r, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 201, o)
			return nil
		})
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/officials/{id}", Tag: "officials", Summary: "Edit an official's name, unit, title and roles (admin)", Request: OfficialInput{}, Response: Official{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in OfficialInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			o, err := s.updateOfficial(r, id, in)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, o)
			return nil
		})
	for _, op := range []struct {
		path, summary string
		disabled      bool
	}{
		{"/api/v1/officials/{id}/disable", "Disable an account: signs it out and stops its tokens (admin)", true},
		{"/api/v1/officials/{id}/enable", "Enable an account again (admin)", false},
	} {
		api.Handle(httpx.Route{Method: "POST", Path: op.path, Tag: "officials", Summary: op.summary, Response: Official{}},
			func(w http.ResponseWriter, r *http.Request) error {
				id, err := httpx.PathID(r, "id")
				if err != nil {
					return err
				}
				o, err := s.setDisabled(r, id, op.disabled)
				if err != nil {
					return err
				}
				httpx.JSON(w, 200, o)
				return nil
			})
	}
	for _, op := range []struct {
		path, summary string
		resetTOTP     bool
	}{
		{"/api/v1/officials/{id}/sessions/end", "Sign an official out everywhere, their applications included (admin)", false},
		{"/api/v1/officials/{id}/totp/reset", "Remove an official's second factor (a lost phone): they enrol again at their next login, and are signed out everywhere (admin)", true},
	} {
		api.Handle(httpx.Route{Method: "POST", Path: op.path, Tag: "officials", Summary: op.summary, Status: 204},
			func(w http.ResponseWriter, r *http.Request) error {
				id, err := httpx.PathID(r, "id")
				if err != nil {
					return err
				}
				if err := s.endSessions(r, id, op.resetTOTP); err != nil {
					return err
				}
				w.WriteHeader(204)
				return nil
			})
	}
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/officials/{id}/tokens", Tag: "officials", Summary: "List an official's API tokens, without their secrets (admin)", Response: Token{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			list, err := s.officialTokens(r, id)
			if err != nil {
				return err
			}
			httpx.List(w, r, list, len(list), httpx.Page{Limit: len(list) + 1})
			return nil
		})
	api.Handle(httpx.Route{Method: "DELETE", Path: "/api/v1/officials/{id}/tokens/{token}", Tag: "officials", Summary: "Revoke one of an official's API tokens (admin)", Status: 204},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			if err := s.revokeOfficialToken(r, id, r.PathValue("token")); err != nil {
				return err
			}
			w.WriteHeader(204)
			return nil
		})
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/officials/{id}/password", Tag: "officials", Summary: "Set a new password for an official (admin); signs them out and revokes their API tokens", Request: PasswordInput{}, Status: 204},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in PasswordInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			if err := s.resetPassword(r, id, in); err != nil {
				return err
			}
			w.WriteHeader(204)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/audit", Tag: "audit", Summary: "The audit trail of security events, newest first (admin)",
		Response: audit.Event{}, List: true, Query: []string{"kind: e.g. login, role.change", "subject: a username or code"}},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ViewAudit, 0); err != nil {
				return err
			}
			p, err := httpx.PageOf(r, 100, 1000)
			if err != nil {
				return err
			}
			within, err := s.auditScope(r)
			if err != nil {
				return err
			}
			evs, total, err := audit.List(r.Context(), s.db, audit.Filter{Kind: r.URL.Query().Get("kind"), Subject: r.URL.Query().Get("subject"), Limit: p.Limit, Offset: p.Offset, Within: within})
			if err != nil {
				return err
			}
			httpx.List(w, r, evs, total, p)
			return nil
		})
}
