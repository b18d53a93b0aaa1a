package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/store"
)

// An OpenAPI 3 description is kept as it was uploaded or fetched, after a
// check that reads it as JSON, or as YAML far enough to find its top-level
// "openapi" version and the methods of its "paths" (block-style YAML, as
// every generator writes it; flow-style paths other than {} are refused).
// Its operations become the service's endpoints.

// MaxOpenAPI bounds a description.
const MaxOpenAPI = 4 << 20

// Description is what the hub reads of an OpenAPI description.
type Description struct {
	Format    string // json or yaml
	Version   string // the "openapi" member, 3.x.y
	Endpoints []EndpointInput
}

// OpenAPIInput registers a service's description: the document itself, or
// a URL the hub fetches it from (exactly one).
type OpenAPIInput struct {
	Document string `json:"document,omitempty" doc:"the OpenAPI 3 description, JSON or YAML"`
	URL      string `json:"url,omitempty" doc:"an http(s) URL to fetch the description from"`
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func descError(code string, args ...any) error {
	return errs.Invalid(errs.Field{Name: "document", Code: code, Args: args, Context: "hub"})
}

// ParseOpenAPI checks a description and reads its endpoints.
func ParseOpenAPI(doc []byte) (Description, error) {
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 {
		return Description{}, errs.Invalid(errs.Field{Name: "document", Code: "required", Context: "hub"})
	}
	if len(doc) > MaxOpenAPI {
		return Description{}, descError("file_too_large", MaxOpenAPI>>20)
	}
	var d Description
	var err error
	if trimmed[0] == '{' {
		d, err = parseOpenAPIJSON(trimmed)
	} else {
		d, err = parseOpenAPIYAML(string(doc))
	}
	if err != nil {
		return Description{}, err
	}
	if !strings.HasPrefix(d.Version, "3.") {
		return Description{}, descError("hub_openapi_version", d.Version)
	}
	slices.SortFunc(d.Endpoints, func(a, b EndpointInput) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return d, nil
}

func parseOpenAPIJSON(doc []byte) (Description, error) {
	var raw struct {
		OpenAPI *string                               `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return Description{}, descError("hub_openapi_syntax", err.Error())
	}
	if raw.OpenAPI == nil {
		return Description{}, descError("hub_openapi_version", "")
	}
	if raw.Paths == nil {
		return Description{}, descError("hub_openapi_paths")
	}
	d := Description{Format: "json", Version: *raw.OpenAPI}
	for p, item := range raw.Paths {
		for m := range item {
			if slices.Contains(openAPIMethods, m) {
				d.Endpoints = append(d.Endpoints, EndpointInput{Method: strings.ToUpper(m), Path: p})
			}
		}
	}
	return d, checkDescPaths(d)
}

func checkDescPaths(d Description) error {
	for _, e := range d.Endpoints {
		if !validEndpointPath(e.Path) || e.Path == "**" {
			return descError("hub_openapi_path", e.Path)
		}
	}
	return nil
}

// yamlLine is one meaningful line of a YAML document: its indentation and
// its mapping key and value, if it is a "key: value" line.
type yamlLine struct {
	n            int
	indent       int
	key, value   string
	isKey, isSeq bool
}

func yamlLines(doc string) ([]yamlLine, error) {
	var out []yamlLine
	for i, line := range strings.Split(doc, "\n") {
		line = strings.TrimRight(line, "\r")
		body := strings.TrimLeft(line, " ")
		if body == "" || strings.HasPrefix(body, "#") {
			continue
		}
		indent := len(line) - len(body)
		if strings.HasPrefix(body, "\t") {
			return nil, descError("hub_openapi_syntax", fmt.Sprintf("line %d: tab in indentation", i+1))
		}
		if indent == 0 && (body == "---" || strings.HasPrefix(body, "%")) {
			continue
		}
		l := yamlLine{n: i + 1, indent: indent}
		if strings.HasPrefix(body, "- ") || body == "-" {
			l.isSeq = true
			out = append(out, l)
			continue
		}
		key, rest, ok := yamlKey(body)
		if ok {
			l.isKey, l.key, l.value = true, key, yamlValue(rest)
		}
		out = append(out, l)
	}
	return out, nil
}

// yamlKey splits "key: rest" (the key plain or quoted).
func yamlKey(body string) (key, rest string, ok bool) {
	if q := body[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(body[1:], q)
		if end < 0 {
			return "", "", false
		}
		key, rest = body[1:1+end], body[2+end:]
		if !strings.HasPrefix(rest, ":") {
			return "", "", false
		}
		return key, rest[1:], true
	}
	i := strings.Index(body, ": ")
	if i < 0 {
		if strings.HasSuffix(body, ":") {
			return body[:len(body)-1], "", true
		}
		return "", "", false
	}
	return body[:i], body[i+1:], true
}

// yamlValue is a scalar value without its comment and quotes.
func yamlValue(rest string) string {
	v := strings.TrimSpace(rest)
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
			return v[1 : 1+end]
		}
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

func parseOpenAPIYAML(doc string) (Description, error) {
	lines, err := yamlLines(doc)
	if err != nil {
		return Description{}, err
	}
	d := Description{Format: "yaml"}
	sawVersion, sawPaths := false, false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l.indent != 0 {
			continue
		}
		if !l.isKey {
			return Description{}, descError("hub_openapi_syntax", fmt.Sprintf("line %d: not a key of the description", l.n))
		}
		switch l.key {
		case "openapi":
			d.Version, sawVersion = l.value, true
		case "paths":
			sawPaths = true
			if l.value == "{}" {
				continue
			}
			if l.value != "" {
				return Description{}, descError("hub_openapi_syntax", fmt.Sprintf("line %d: paths must be a block mapping", l.n))
			}
			pathIndent, methodIndent, path := -1, -1, ""
			for i+1 < len(lines) && lines[i+1].indent > 0 {
				i++
				p := lines[i]
				switch {
				case pathIndent < 0 || p.indent == pathIndent:
					if !p.isKey {
						return Description{}, descError("hub_openapi_syntax", fmt.Sprintf("line %d: a path of the description", p.n))
					}
					pathIndent, methodIndent, path = p.indent, -1, p.key
				case p.indent < pathIndent:
					return Description{}, descError("hub_openapi_syntax", fmt.Sprintf("line %d: indentation", p.n))
				case methodIndent < 0 || p.indent == methodIndent:
					methodIndent = p.indent
					if p.isKey && slices.Contains(openAPIMethods, p.key) && strings.HasPrefix(path, "/") {
						d.Endpoints = append(d.Endpoints, EndpointInput{Method: strings.ToUpper(p.key), Path: path})
					}
				}
			}
		}
	}
	if !sawVersion {
		return Description{}, descError("hub_openapi_version", "")
	}
	if !sawPaths {
		return Description{}, descError("hub_openapi_paths")
	}
	return d, checkDescPaths(d)
}

// FetchOpenAPI reads a description from an http(s) URL.
func FetchOpenAPI(ctx context.Context, raw string) ([]byte, string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, "", errs.Invalid(errs.Field{Name: "url", Code: "hub_backend_url", Context: "hub"})
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/json, application/yaml, application/x-yaml, text/yaml, */*")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		return nil, "", errs.Invalid(errs.Field{Name: "url", Code: "hub_fetch", Args: []any{fetchReason(err)}, Context: "hub"})
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, "", errs.Invalid(errs.Field{Name: "url", Code: "hub_fetch", Args: []any{res.Status}, Context: "hub"})
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxOpenAPI+1))
	if err != nil {
		return nil, "", errs.Invalid(errs.Field{Name: "url", Code: "hub_fetch", Args: []any{fetchReason(err)}, Context: "hub"})
	}
	return b, res.Header.Get("Content-Type"), nil
}

func fetchReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// SetOpenAPI registers a service's description, uploaded or fetched, and
// makes its operations the service's endpoints: new ones are added, those
// the description no longer has are removed with the rights granted on
// them; endpoints added by hand stay.
func (s *Store) SetOpenAPI(r *http.Request, service int64, in OpenAPIInput) (Service, error) {
	ctx := r.Context()
	sv, err := s.Service(ctx, service)
	if err != nil {
		return Service{}, err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return Service{}, err
	}
	in.URL = strings.TrimSpace(in.URL)
	if (in.Document == "") == (in.URL == "") {
		return Service{}, errs.Invalid(errs.Field{Name: "document", Code: "hub_document_or_url", Context: "hub"})
	}
	doc := []byte(in.Document)
	if in.URL != "" {
		if doc, _, err = FetchOpenAPI(ctx, in.URL); err != nil {
			return Service{}, err
		}
	}
	d, err := ParseOpenAPI(doc)
	if err != nil {
		if in.URL != "" {
			if e, ok := errs.As(err); ok && len(e.Fields) == 1 {
				e.Fields[0].Name = "url"
			}
		}
		return Service{}, err
	}
	sum := sha256.Sum256(doc)
	digest := hex.EncodeToString(sum[:])
	key := func(m, p string) string { return m + " " + p }
	want := map[string]bool{}
	for _, e := range d.Endpoints {
		want[key(e.Method, e.Path)] = true
	}
	have := map[string]Endpoint{}
	for _, e := range sv.Endpoints {
		have[key(e.Method, e.Path)] = e
	}
	var added, removed int
	now := store.Now()
	apply := func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hub_services SET openapi = $1, openapi_url = $2, openapi_format = $3, openapi_version = $4, openapi_sha256 = $5, openapi_at = $6, updated_at = $6 WHERE id = $7`,
			string(doc), in.URL, d.Format, d.Version, digest, now, service); err != nil {
			return err
		}
		for _, e := range d.Endpoints {
			if _, ok := have[key(e.Method, e.Path)]; ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO hub_endpoints (service_id, method, path, enabled, from_openapi, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				service, e.Method, e.Path, true, true, now); err != nil {
				return err
			}
			added++
		}
		for k, e := range have {
			if !e.FromOpenAPI || want[k] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM hub_rights WHERE endpoint_id = $1 AND service_id = $2`, e.ID, service); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM hub_endpoints WHERE id = $1`, e.ID); err != nil {
				return err
			}
			removed++
		}
		return nil
	}
	ev := func() audit.Event {
		return audit.From(r, audit.HubRegistry, sv.Identifier, fmt.Sprintf("openapi.set %s %s sha256=%s endpoints +%d -%d", d.Format, d.Version, digest[:16], added, removed), true)
	}
	if err := s.write(ctx, ev, apply); err != nil {
		return Service{}, err
	}
	return s.Service(ctx, service)
}

// OpenAPI returns a service's description as registered, with its media
// type; errs.NotFound when it has none.
func (s *Store) OpenAPI(ctx context.Context, service int64) ([]byte, string, error) {
	var doc sql.NullString
	var format string
	err := s.db.Read.QueryRowContext(ctx, `SELECT openapi, openapi_format FROM hub_services WHERE id = $1`, service).Scan(&doc, &format)
	if err != nil {
		return nil, "", noRows(err, errs.NotFound)
	}
	if !doc.Valid || format == "" {
		return nil, "", errs.NotFound
	}
	return []byte(doc.String), mediaType(format), nil
}

func mediaType(format string) string {
	if format == "json" {
		return "application/json"
	}
	return "application/yaml"
}

// anonymise replaces each server URL of a description by its path, unless
// it holds variables, as X-Road's Openapi3Anonymiser does before getOpenAPI
// hands a description out: consumers reach the service through the hub,
// never at the backend's address.
func anonymise(doc []byte, format string) []byte {
	if format == "json" {
		if out, err := anonymiseJSON(doc); err == nil {
			return out
		}
		return doc
	}
	return anonymiseYAML(doc)
}

func serverPath(u string) (string, bool) {
	if strings.Contains(u, "{") && strings.Contains(u, "}") {
		return "", false
	}
	p, err := url.Parse(u)
	if err != nil {
		return "", false
	}
	return p.Path, true
}

// orderedObject is a JSON object read with its members in order.
type orderedObject []struct {
	key string
	val json.RawMessage
}

func readObject(b []byte) (orderedObject, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var out orderedObject
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, struct {
			key string
			val json.RawMessage
		}{k, v})
	}
	return out, nil
}

func (o orderedObject) marshal() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func anonymiseJSON(doc []byte) ([]byte, error) {
	top, err := readObject(doc)
	if err != nil {
		return nil, err
	}
	for i, m := range top {
		if m.key != "servers" {
			continue
		}
		var servers []json.RawMessage
		if err := json.Unmarshal(m.val, &servers); err != nil {
			return nil, err
		}
		for j, raw := range servers {
			obj, err := readObject(raw)
			if err != nil {
				continue
			}
			for k, f := range obj {
				var u string
				if f.key != "url" || json.Unmarshal(f.val, &u) != nil {
					continue
				}
				if p, ok := serverPath(u); ok {
					obj[k].val, _ = json.Marshal(p)
				}
			}
			servers[j] = obj.marshal()
		}
		top[i].val, _ = json.Marshal(servers)
	}
	return top.marshal(), nil
}

func anonymiseYAML(doc []byte) []byte {
	lines := strings.Split(string(doc), "\n")
	inServers := false
	for i, line := range lines {
		body := strings.TrimLeft(line, " ")
		indent := len(line) - len(body)
		if indent == 0 && body != "" && !strings.HasPrefix(body, "#") && !strings.HasPrefix(body, "-") {
			inServers = strings.HasPrefix(body, "servers:")
			continue
		}
		if !inServers {
			continue
		}
		item := strings.TrimPrefix(body, "- ")
		if !strings.HasPrefix(item, "url:") {
			continue
		}
		u := yamlValue(strings.TrimPrefix(item, "url:"))
		if p, ok := serverPath(u); ok {
			lines[i] = line[:len(line)-len(item)] + "url: " + p
		}
	}
	return []byte(strings.Join(lines, "\n"))
}
