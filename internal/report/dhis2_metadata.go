package report

// The metadata a DHIS2 client reads to find identifiers before it posts
// data: /api/dataElements (indicators entered directly), /api/dataSets
// (report forms), /api/organisationUnits (every unit that ever existed,
// with DHIS2's numeric level, path and parent), /api/categoryOptionCombos
// (DHIS2's default and each indicator's category options), and /api/me and
// /api/system/info, which client libraries call on connect. Lists come in
// DHIS2's envelope ({"pager":{…},"dataElements":[…]}) with fields=
// (id,code,name,parent[id,name], *, :all, :identifiable, :nameable,
// !exclusions), filter=property:operator:value (eq, !eq, ne, like, ilike,
// !like, !ilike, $like, like$, in, !in, null, !null, gt, ge, lt, le;
// rootJunction=OR), order=property:asc|desc, page, pageSize and
// paging=false; /{id} answers one object with every field.

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
)

// DefaultCategoryCombo is the uid of DHIS2's default category combo.
const DefaultCategoryCombo = "bjDvmb4bfuf"

// DHIS2Version is the DHIS2 version tinhso's Web API follows, as
// /api/system/info reports it to clients that switch on it.
const DHIS2Version = "2.42.0"

// object is a metadata object with all its fields; ref a reference to
// another object (written {"id":…} unless sub-fields are asked for); a
// lazy value is computed only when a field asks for it.
type (
	object map[string]any
	ref    map[string]any
	lazy   func() (any, error)
)

func refTo(id, code, name string) ref {
	r := ref{"id": id, "name": name, "displayName": name}
	if code != "" {
		r["code"] = code
	}
	return r
}

// field is one entry of a fields= expression.
type fieldSel struct {
	name    string
	exclude bool
	sub     []fieldSel
}

// parseFields reads DHIS2's fields syntax: names separated by commas,
// sub-fields in [] or (), presets *, :all, :identifiable, :nameable,
// exclusions with !.
func parseFields(s string) ([]fieldSel, error) {
	fs, rest, err := parseFieldList(strings.ReplaceAll(s, " ", ""))
	if err == nil && rest != "" {
		err = fmt.Errorf("unbalanced brackets in fields `%s`", s)
	}
	return fs, err
}

func parseFieldList(s string) ([]fieldSel, string, error) {
	var out []fieldSel
	for s != "" {
		if s[0] == ']' || s[0] == ')' {
			return out, s, nil
		}
		i := strings.IndexAny(s, ",[]()")
		name := s
		if i >= 0 {
			name = s[:i]
			s = s[i:]
		} else {
			s = ""
		}
		f := fieldSel{name: name}
		if strings.HasPrefix(f.name, "!") {
			f.exclude, f.name = true, f.name[1:]
		}
		if s != "" && (s[0] == '[' || s[0] == '(') {
			sub, rest, err := parseFieldList(s[1:])
			if err != nil {
				return nil, "", err
			}
			if rest == "" {
				return nil, "", fmt.Errorf("unclosed bracket after `%s`", name)
			}
			f.sub, s = sub, rest[1:]
		}
		if f.name != "" {
			out = append(out, f)
		}
		s = strings.TrimPrefix(s, ",")
	}
	return out, "", nil
}

var presets = map[string][]string{
	":identifiable": {"id", "code", "name", "displayName", "created", "lastUpdated"},
	":nameable":     {"id", "code", "name", "displayName", "shortName", "displayShortName", "description", "created", "lastUpdated"},
}

// render writes v as fields asks: nil fields means "every field of an
// object, references as {id}".
func render(v any, fields []fieldSel) (any, error) {
	switch t := v.(type) {
	case lazy:
		x, err := t()
		if err != nil {
			return nil, err
		}
		return render(x, fields)
	case ref:
		if fields == nil {
			return map[string]any{"id": t["id"]}, nil
		}
		return renderObject(map[string]any(t), fields)
	case object:
		if fields == nil {
			fields = []fieldSel{{name: "*"}}
		}
		return renderObject(map[string]any(t), fields)
	case []any:
		out := make([]any, 0, len(t))
		for _, x := range t {
			r, err := render(x, fields)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	return v, nil
}

func renderObject(o map[string]any, fields []fieldSel) (map[string]any, error) {
	out := map[string]any{}
	excluded := map[string]bool{}
	for _, f := range fields {
		if f.exclude {
			excluded[f.name] = true
		}
	}
	put := func(name string, sub []fieldSel) error {
		v, ok := o[name]
		if !ok || excluded[name] {
			return nil
		}
		r, err := render(v, sub)
		if err != nil {
			return err
		}
		out[name] = r
		return nil
	}
	for _, f := range fields {
		if f.exclude {
			continue
		}
		switch {
		case f.name == "*" || f.name == ":all" || f.name == ":owner":
			for k := range o {
				if _, done := out[k]; !done {
					if err := put(k, nil); err != nil {
						return nil, err
					}
				}
			}
		case presets[f.name] != nil:
			for _, k := range presets[f.name] {
				if err := put(k, nil); err != nil {
					return nil, err
				}
			}
		default:
			if err := put(f.name, f.sub); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// filter is one filter=property:operator:value.
type filter struct {
	path  []string
	op    string
	value string
}

func parseFilter(s string) (filter, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return filter{}, fmt.Errorf("Unable to parse filter `%s`", s)
	}
	f := filter{path: strings.Split(parts[0], "."), op: parts[1]}
	if len(parts) == 3 {
		f.value = parts[2]
	}
	switch f.op {
	case "eq", "!eq", "ne", "neq", "like", "ilike", "!like", "!ilike", "$like", "$ilike", "like$", "ilike$", "!$like", "!$ilike", "!like$", "!ilike$",
		"in", "!in", "null", "!null", "empty", "gt", "ge", "lt", "le", "token":
	default:
		return filter{}, fmt.Errorf("Unable to parse filter `%s`: unknown operator `%s`", s, f.op)
	}
	return f, nil
}

// lookup follows a path through objects and references; a list matches
// when one of its members does (DHIS2's collection filters).
func lookup(v any, path []string) ([]any, error) {
	if len(path) == 0 {
		return []any{v}, nil
	}
	switch t := v.(type) {
	case lazy:
		x, err := t()
		if err != nil {
			return nil, err
		}
		return lookup(x, path)
	case object:
		return lookup(t[path[0]], path[1:])
	case ref:
		return lookup(t[path[0]], path[1:])
	case map[string]any:
		return lookup(t[path[0]], path[1:])
	case []any:
		var out []any
		for _, x := range t {
			r, err := lookup(x, path)
			if err != nil {
				return nil, err
			}
			out = append(out, r...)
		}
		return out, nil
	}
	return nil, nil
}

func (f filter) match(o object) (bool, error) {
	vals, err := lookup(o, f.path)
	if err != nil {
		return false, err
	}
	var present []any
	for _, v := range vals {
		if v != nil && v != "" {
			present = append(present, v)
		}
	}
	switch f.op {
	case "null", "empty":
		return len(present) == 0, nil
	case "!null":
		return len(present) > 0, nil
	}
	neg := strings.HasPrefix(f.op, "!") || f.op == "ne" || f.op == "neq"
	op := strings.TrimPrefix(f.op, "!")
	if op == "ne" || op == "neq" {
		op = "eq"
	}
	any := false
	for _, v := range present {
		if f.one(op, fmt.Sprint(v), v) {
			any = true
			break
		}
	}
	return any != neg, nil
}

func (f filter) one(op, s string, raw any) bool {
	want := f.value
	switch op {
	case "eq":
		return s == want
	case "token", "ilike":
		return strings.Contains(locale.Fold(s), locale.Fold(want))
	case "like":
		return strings.Contains(s, want)
	case "$like":
		return strings.HasPrefix(s, want)
	case "$ilike":
		return strings.HasPrefix(locale.Fold(s), locale.Fold(want))
	case "like$":
		return strings.HasSuffix(s, want)
	case "ilike$":
		return strings.HasSuffix(locale.Fold(s), locale.Fold(want))
	case "in":
		for _, x := range strings.Split(strings.Trim(want, "[]"), ",") {
			if strings.TrimSpace(x) == s {
				return true
			}
		}
		return false
	case "gt", "ge", "lt", "le":
		a, e1 := strconv.ParseFloat(s, 64)
		b, e2 := strconv.ParseFloat(want, 64)
		c := strings.Compare(s, want)
		if e1 == nil && e2 == nil {
			c = 0
			if a < b {
				c = -1
			} else if a > b {
				c = 1
			}
		}
		return op == "gt" && c > 0 || op == "ge" && c >= 0 || op == "lt" && c < 0 || op == "le" && c <= 0
	}
	return false
}

// collection is one metadata resource.
type collection struct {
	name   string // the envelope member: dataElements
	single string // for messages: DataElement
	list   func(ctx context.Context, r *http.Request) ([]object, error)
}

// listHandler answers GET /api/<collection>.
func (s *Store) listHandler(c collection) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.canView(r); err != nil {
			return err
		}
		q := r.URL.Query()
		fieldSpec := strings.Join(q["fields"], ",")
		if fieldSpec == "" {
			fieldSpec = "id,displayName"
		}
		fields, err := parseFields(fieldSpec)
		if err != nil {
			writeConflict(w, "E2014", err.Error())
			return nil
		}
		var filters []filter
		for _, fs := range q["filter"] {
			f, err := parseFilter(fs)
			if err != nil {
				writeConflict(w, "E2014", err.Error())
				return nil
			}
			filters = append(filters, f)
		}
		or := strings.EqualFold(q.Get("rootJunction"), "OR")
		all, err := c.list(r.Context(), r)
		if err != nil {
			return err
		}
		var items []object
		for _, o := range all {
			keep := !or || len(filters) == 0
			for _, f := range filters {
				ok, err := f.match(o)
				if err != nil {
					return err
				}
				if or && ok {
					keep = true
					break
				}
				if !or && !ok {
					keep = false
					break
				}
			}
			if keep {
				items = append(items, o)
			}
		}
		if ord := q.Get("order"); ord != "" {
			prop, dir, _ := strings.Cut(strings.Split(ord, ",")[0], ":")
			desc := strings.EqualFold(dir, "desc") || strings.EqualFold(dir, "idesc")
			sort.SliceStable(items, func(i, j int) bool {
				a, b := fmt.Sprint(items[i][prop]), fmt.Sprint(items[j][prop])
				if x, e1 := strconv.ParseFloat(a, 64); e1 == nil {
					if y, e2 := strconv.ParseFloat(b, 64); e2 == nil {
						return (x < y) != desc
					}
				}
				return (locale.Fold(a) < locale.Fold(b)) != desc
			})
		}
		out := map[string]any{}
		if paging, _ := parseBoolParam("paging", firstNonEmpty(q.Get("paging"), "true")); paging {
			page, size := intParam(q.Get("page"), 1), intParam(q.Get("pageSize"), 50)
			total := len(items)
			pages := (total + size - 1) / size
			pager := map[string]any{"page": page, "pageCount": pages, "total": total, "pageSize": size}
			if page < pages {
				u := *r.URL
				qq := u.Query()
				qq.Set("page", strconv.Itoa(page+1))
				u.RawQuery = qq.Encode()
				pager["nextPage"] = baseURL(r) + u.Path + "?" + u.RawQuery
			}
			if page > 1 {
				u := *r.URL
				qq := u.Query()
				qq.Set("page", strconv.Itoa(page-1))
				u.RawQuery = qq.Encode()
				pager["prevPage"] = baseURL(r) + u.Path + "?" + u.RawQuery
			}
			out["pager"] = pager
			start := min((page-1)*size, total)
			items = items[start:min(start+size, total)]
		}
		list := make([]any, 0, len(items))
		for _, o := range items {
			v, err := render(o, fields)
			if err != nil {
				return err
			}
			list = append(list, v)
		}
		out[c.name] = list
		httpx.JSON(w, 200, out)
		return nil
	}
}

// getHandler answers GET /api/<collection>/{id}: every field, or fields=.
func (s *Store) getHandler(c collection) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.canView(r); err != nil {
			return err
		}
		want := strings.TrimSuffix(r.PathValue("id"), ".json")
		var fields []fieldSel
		if spec := strings.Join(r.URL.Query()["fields"], ","); spec != "" {
			var err error
			if fields, err = parseFields(spec); err != nil {
				writeConflict(w, "E2014", err.Error())
				return nil
			}
		}
		all, err := c.list(r.Context(), r)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o["id"] == want {
				v, err := render(o, fields)
				if err != nil {
					return err
				}
				httpx.JSON(w, 200, v)
				return nil
			}
		}
		// DHIS2's 404 WebMessage for an unknown uid.
		httpx.JSON(w, http.StatusNotFound, queryError{HTTPStatus: "Not Found", HTTPStatusCode: 404, Status: "ERROR",
			Message: fmt.Sprintf("%s with id %s could not be found.", c.single, want), ErrorCode: "E1005"})
		return nil
	}
}

func intParam(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return def
	}
	return n
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// baseURL is the scheme and host the client used.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func shortName(s string) string {
	if r := []rune(s); len(r) > 50 {
		return string(r[:50])
	}
	return s
}

var aggregationTypes = map[string]string{"sum": "SUM", "average": "AVERAGE", "last": "LAST", "none": "NONE"}

func (s *Store) dataElementObjects(ctx context.Context, _ *http.Request) ([]object, error) {
	inds, err := s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	forms, err := s.Forms(ctx)
	if err != nil {
		return nil, err
	}
	var out []object
	for _, in := range inds {
		if in.Numerator != "" {
			continue // derived: computed, never entered (DHIS2's indicators)
		}
		de := refTo(id(in.ID), in.Code, in.Name)
		var dse []any
		for _, f := range forms {
			for _, sec := range f.Sections {
				for _, ir := range sec.Indicators {
					if ir.ID == in.ID {
						dse = append(dse, object{"dataSet": refTo(id(f.ID), f.Code, f.Name), "dataElement": de})
					}
				}
			}
		}
		if dse == nil {
			dse = []any{}
		}
		vt := in.ValueType
		if vt == "FILE" {
			vt = "FILE_RESOURCE"
		}
		cc := refTo(DefaultCategoryCombo, "default", "default")
		var cocs []any
		for _, o := range in.CategoryOptions {
			cocs = append(cocs, ref{"code": o.Code, "name": o.Name})
		}
		out = append(out, object{"id": id(in.ID), "code": in.Code, "name": in.Name, "displayName": in.Name, "shortName": shortName(in.Name),
			"displayShortName": shortName(in.Name), "description": in.Description, "valueType": vt, "aggregationType": aggregationTypes[in.Aggregation],
			"domainType": "AGGREGATE", "zeroIsSignificant": false, "categoryCombo": cc, "dataSetElements": dse})
	}
	return out, nil
}

func (s *Store) dataSetObjects(ctx context.Context, _ *http.Request) ([]object, error) {
	forms, err := s.Forms(ctx)
	if err != nil {
		return nil, err
	}
	var out []object
	for _, f := range forms {
		ds := refTo(id(f.ID), f.Code, f.Name)
		dse := []any{}
		for _, sec := range f.Sections {
			for _, ir := range sec.Indicators {
				dse = append(dse, object{"dataSet": ds, "dataElement": refTo(id(ir.ID), ir.Code, ir.Name)})
			}
		}
		form := f
		units := lazy(func() (any, error) {
			pt, err := ParsePeriodType(form.PeriodType)
			if err != nil {
				return []any{}, nil
			}
			fu, err := s.UnitsFor(ctx, form.ID, PeriodOf(pt, Day(s.Now().In(vietnam()))))
			if err != nil {
				return nil, err
			}
			list := []any{}
			for _, u := range fu.Units {
				list = append(list, refTo(id(u.ID), u.Code, u.Name))
			}
			return list, nil
		})
		out = append(out, object{"id": id(f.ID), "code": f.Code, "name": f.Name, "displayName": f.Name, "shortName": shortName(f.Name),
			"displayShortName": shortName(f.Name), "periodType": f.PeriodType, "categoryCombo": refTo(DefaultCategoryCombo, "default", "default"),
			"timelyDays": f.DeadlineDays, "openFuturePeriods": 0, "dataSetElements": dse, "organisationUnits": units})
	}
	return out, nil
}

// unitRow is a unit in its latest version.
type unitRow struct {
	id, parent     int64
	code, name     string
	from, to, kind string
}

func (s *Store) orgUnitObjects(ctx context.Context, _ *http.Request) ([]object, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT u.id, u.code, v.name, v.kind, COALESCE(v.parent_id, 0), u.valid_from, COALESCE(u.valid_to, '')
		FROM org_units u JOIN org_unit_versions v ON v.unit_id = u.id
		AND v.valid_from = (SELECT MAX(w.valid_from) FROM org_unit_versions w WHERE w.unit_id = u.id)
		ORDER BY u.code`)
	if err != nil {
		return nil, fmt.Errorf("report: organisation units: %w", err)
	}
	defer rows.Close()
	var units []unitRow
	byID := map[int64]*unitRow{}
	for rows.Next() {
		var u unitRow
		if err := rows.Scan(&u.id, &u.code, &u.name, &u.kind, &u.parent, &u.from, &u.to); err != nil {
			return nil, err
		}
		units = append(units, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	children := map[int64][]any{}
	for i := range units {
		u := &units[i]
		byID[u.id] = u
	}
	for _, u := range units {
		if p := byID[u.parent]; p != nil {
			children[u.parent] = append(children[u.parent], refTo(id(u.id), u.code, u.name))
		}
	}
	var out []object
	for _, u := range units {
		path := []string{}
		for cur, n := &u, 0; cur != nil && n < 32; cur, n = byID[cur.parent], n+1 {
			path = append([]string{id(cur.id)}, path...)
		}
		o := object{"id": id(u.id), "code": u.code, "name": u.name, "displayName": u.name, "shortName": shortName(u.name),
			"displayShortName": shortName(u.name), "level": len(path), "path": "/" + strings.Join(path, "/"),
			"openingDate": u.from + "T00:00:00.000", "children": append([]any{}, children[u.id]...), "leaf": len(children[u.id]) == 0,
			"kind": u.kind}
		if p := byID[u.parent]; p != nil {
			o["parent"] = refTo(id(p.id), p.code, p.name)
		}
		if u.to != "" {
			o["closedDate"] = u.to + "T00:00:00.000"
		}
		out = append(out, o)
	}
	return out, nil
}

func (s *Store) categoryOptionComboObjects(ctx context.Context, _ *http.Request) ([]object, error) {
	def := refTo(DefaultCategoryCombo, "default", "default")
	out := []object{{"id": DefaultCOC, "code": "default", "name": "default", "displayName": "default", "categoryCombo": def, "ignoreApproval": false}}
	inds, err := s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range inds {
		if len(in.CategoryOptions) == 0 {
			continue
		}
		rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code, name FROM report_category_options WHERE indicator_id = $1 ORDER BY sort_order`, in.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var oid int64
			var code, name string
			if err := rows.Scan(&oid, &code, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, object{"id": id(oid), "code": code, "name": name, "displayName": name, "ignoreApproval": false,
				"categoryCombo": refTo("cc"+id(in.ID), in.Code, in.Name), "dataElement": refTo(id(in.ID), in.Code, in.Name)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) metadataRoutes(api *httpx.API) {
	for _, c := range []collection{
		{"dataElements", "DataElement", s.dataElementObjects},
		{"dataSets", "DataSet", s.dataSetObjects},
		{"organisationUnits", "OrganisationUnit", s.orgUnitObjects},
		{"categoryOptionCombos", "CategoryOptionCombo", s.categoryOptionComboObjects},
	} {
		for _, p := range []string{"/api/" + c.name, "/api/" + c.name + ".json"} {
			api.Handle(httpx.Route{Method: "GET", Path: p, Tag: dhis2Tag, Summary: "DHIS2 metadata: " + c.name + " (pager, fields=, filter=, order=, paging=false)",
				Query: []string{"fields: e.g. id,code,name,level,parent[id]", "filter: e.g. code:eq:GL25 or name:ilike:gia", "order: property:asc|desc", "page, pageSize, paging"}},
				s.listHandler(c))
		}
		api.Handle(httpx.Route{Method: "GET", Path: "/api/" + c.name + "/{id}", Tag: dhis2Tag, Summary: "DHIS2 metadata: one of " + c.name + " by id"}, s.getHandler(c))
	}
	for _, p := range []string{"/api/me", "/api/me.json"} {
		api.Handle(httpx.Route{Method: "GET", Path: p, Tag: dhis2Tag, Summary: "DHIS2's /api/me: the signed-in official (id, username, names, org units, authorities)"}, s.dhis2Me)
	}
	for _, p := range []string{"/api/system/info", "/api/system/info.json"} {
		api.Handle(httpx.Route{Method: "GET", Path: p, Tag: dhis2Tag, Summary: "DHIS2's /api/system/info: the DHIS2 version this API follows, server date and time zone"}, s.systemInfo)
	}
}

func (s *Store) dhis2Me(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if p == nil {
		return errs.Unauthorized
	}
	o, err := s.org.Official(ctx, p.UserID)
	if err != nil {
		return err
	}
	surname, first, _ := strings.Cut(o.FullName, " ")
	refs := func(a org.Action) []any {
		out := []any{}
		for _, u := range s.org.Scopes(p, a) {
			out = append(out, map[string]any{"id": id(u)})
		}
		return out
	}
	auths := []string{}
	if p.Has(org.RoleAdmin) {
		auths = append(auths, "ALL")
	}
	for _, a := range []struct {
		action org.Action
		names  []string
	}{
		{EnterReports, []string{"F_DATAVALUE_ADD", "F_DATAVALUE_DELETE"}},
		{ApproveReports, []string{"F_APPROVE_DATA", "F_APPROVE_DATA_LOWER_LEVELS", "F_ACCEPT_DATA_LOWER_LEVELS"}},
		{ManageReports, []string{"F_DATASET_PUBLIC_ADD", "F_DATAELEMENT_PUBLIC_ADD"}},
	} {
		if ok, _ := s.org.Can(ctx, p, a.action, 0); ok {
			auths = append(auths, a.names...)
		}
	}
	roles := []any{}
	for _, g := range p.Grants {
		roles = append(roles, map[string]any{"id": g.Role, "name": g.Role})
	}
	lang := o.Locale
	if lang == "" {
		lang = "vi"
	}
	me := object{"id": id(p.UserID), "username": p.Username, "name": o.FullName, "displayName": o.FullName, "firstName": first, "surname": surname,
		"email": o.Email, "jobTitle": o.Title, "organisationUnits": refs(EnterReports), "dataViewOrganisationUnits": refs(ViewReports),
		"teiSearchOrganisationUnits": []any{}, "authorities": auths, "userRoles": roles, "programs": []any{}, "dataSets": []any{},
		"settings":        map[string]any{"keyUiLocale": lang, "keyDbLocale": lang},
		"userCredentials": map[string]any{"username": p.Username}}
	var fields []fieldSel
	if spec := strings.Join(r.URL.Query()["fields"], ","); spec != "" {
		if fields, err = parseFields(spec); err != nil {
			writeConflict(w, "E2014", err.Error())
			return nil
		}
	}
	v, err := render(me, fields)
	if err != nil {
		return err
	}
	httpx.JSON(w, 200, v)
	return nil
}

func (s *Store) systemInfo(w http.ResponseWriter, r *http.Request) error {
	if org.PrincipalFrom(r.Context()) == nil {
		return errs.Unauthorized
	}
	now := time.Now().In(vietnam())
	httpx.JSON(w, 200, map[string]any{
		"contextPath": baseURL(r), "userAgent": r.UserAgent(), "calendar": "iso8601", "dateFormat": "yyyy-mm-dd",
		"serverDate": now.Format("2006-01-02T15:04:05.000"), "serverTimeZoneId": "Asia/Ho_Chi_Minh", "serverTimeZoneDisplayName": "Indochina Time",
		"version": DHIS2Version, "revision": "tinhso", "systemName": "tinhso", "instanceBaseUrl": baseURL(r),
		"emailConfigured": false, "isMetadataVersionEnabled": false, "readOnlyMode": "OFF",
	})
	return nil
}
