package hub

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/store"
)

// Member is an agency or company taking part in the exchange.
type Member struct {
	ID         int64     `json:"id"`
	Instance   string    `json:"xroadInstance"`
	Class      string    `json:"memberClass"`
	Code       string    `json:"memberCode"`
	Name       string    `json:"name"`
	UnitID     int64     `json:"unitId" doc:"the org unit whose officials manage the member"`
	UnitLabel  string    `json:"unitLabel,omitempty"`
	Identifier string    `json:"identifier" doc:"INSTANCE/CLASS/CODE, each part percent-encoded"`
	Subsystems int       `json:"subsystems"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// XRoadID is the member's X-Road identifier.
func (m Member) XRoadID() ClientID { return ClientID{m.Instance, m.Class, m.Code, ""} }

// MemberInput registers a member.
type MemberInput struct {
	Class  string `json:"memberClass" doc:"GOV, COM, ORG, NGO or PRIV"`
	Code   string `json:"memberCode" doc:"e.g. the unit's budget-relation code (mã số ĐVQHNS) or a tax code; X-Road's identifier characters only"`
	Name   string `json:"name"`
	UnitID int64  `json:"unitId"`
}

// MemberEdit changes a member's name or unit (its identifier stays).
type MemberEdit struct {
	Name   string `json:"name"`
	UnitID int64  `json:"unitId"`
}

// Subsystem is one information system of a member.
type Subsystem struct {
	ID            int64     `json:"id"`
	MemberID      int64     `json:"memberId"`
	Code          string    `json:"subsystemCode"`
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	RatePerSecond int       `json:"ratePerSecond" doc:"calls per second through the gateway; 0: the hub's default"`
	Burst         int       `json:"burst" doc:"calls allowed at once above the rate; 0: the hub's default"`
	KeepBodies    int       `json:"keepBodiesDays" doc:"days the message log keeps the bodies of its exchanges (as consumer or provider); 0: digests only"`
	Identifier    string    `json:"identifier" doc:"INSTANCE/CLASS/MEMBER/SUBSYSTEM, as X-Road-Client carries it"`
	MemberName    string    `json:"memberName"`
	UnitID        int64     `json:"unitId"`
	Services      int       `json:"services"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`

	xid ClientID
}

// XRoadID is the subsystem's identifier.
func (s Subsystem) XRoadID() ClientID { return s.xid }

// SubsystemInput registers a subsystem.
type SubsystemInput struct {
	Code          string `json:"subsystemCode"`
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	RatePerSecond int    `json:"ratePerSecond,omitempty"`
	Burst         int    `json:"burst,omitempty"`
	KeepBodies    int    `json:"keepBodiesDays,omitempty" doc:"0 (digests only) to 3650"`
}

// SubsystemEdit changes a subsystem (its code stays).
type SubsystemEdit struct {
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	RatePerSecond int    `json:"ratePerSecond,omitempty"`
	Burst         int    `json:"burst,omitempty"`
	KeepBodies    int    `json:"keepBodiesDays,omitempty" doc:"0 (digests only) to 3650"`
}

// Service types, as listMethods names them.
const (
	TypeREST    = "REST"
	TypeOpenAPI = "OPENAPI"
)

// Service is a REST service of a subsystem.
type Service struct {
	ID             int64      `json:"id"`
	SubsystemID    int64      `json:"subsystemId"`
	Code           string     `json:"serviceCode"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	BackendURL     string     `json:"backendUrl" doc:"where the gateway sends the calls: serviceUrl + the path after the service code + ?query"`
	TimeoutMS      int        `json:"timeoutMs"`
	Enabled        bool       `json:"enabled"`
	Type           string     `json:"serviceType" doc:"REST, or OPENAPI once a description is registered"`
	OpenAPIURL     string     `json:"openapiUrl,omitempty" doc:"where the description was fetched from"`
	OpenAPIVersion string     `json:"openapiVersion,omitempty"`
	OpenAPISHA256  string     `json:"openapiSha256,omitempty"`
	OpenAPIAt      *time.Time `json:"openapiAt,omitempty"`
	Identifier     string     `json:"identifier" doc:"INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE, as the /r1/ path and X-Road-Service carry it"`
	SubsystemName  string     `json:"subsystemName"`
	MemberName     string     `json:"memberName"`
	UnitID         int64      `json:"unitId" doc:"the providing member's unit"`
	Endpoints      []Endpoint `json:"endpoints"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`

	xid    ServiceID
	format string
}

// XRoadID is the service's identifier.
func (s Service) XRoadID() ServiceID { return s.xid }

// ServiceInput registers a service.
type ServiceInput struct {
	Code        string `json:"serviceCode"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	BackendURL  string `json:"backendUrl"`
	TimeoutMS   int    `json:"timeoutMs,omitempty" doc:"the backend's connect and read timeout; 30000 when absent"`
	Enabled     *bool  `json:"enabled,omitempty" doc:"true when absent"`
}

// ServiceEdit changes a service (its code stays).
type ServiceEdit struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	BackendURL  string `json:"backendUrl"`
	TimeoutMS   int    `json:"timeoutMs,omitempty"`
	Enabled     *bool  `json:"enabled,omitempty" doc:"unchanged when absent"`
}

// Endpoint is a method and a path template of a service.
type Endpoint struct {
	ID          int64  `json:"id"`
	ServiceID   int64  `json:"serviceId"`
	Method      string `json:"method" doc:"GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD, TRACE or * for any"`
	Path        string `json:"path" doc:"a path template such as /pet/{id}; * matches within a segment, ** across segments"`
	Enabled     bool   `json:"enabled"`
	FromOpenAPI bool   `json:"fromOpenapi" doc:"read from the service's OpenAPI description (replaced when it is)"`
}

// EndpointInput adds an endpoint.
type EndpointInput struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Enabled *bool  `json:"enabled,omitempty" doc:"true when absent"`
}

// EndpointEdit enables or disables an endpoint.
type EndpointEdit struct {
	Enabled bool `json:"enabled"`
}

// Methods are the HTTP methods of X-Road's REST protocol.
var Methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"}

// MetaServices are the service codes the gateway answers itself; no
// service may be registered under them (X-Road 7.8, XRDDEV-599).
var MetaServices = []string{"listMethods", "allowedMethods", "getOpenAPI"}

// DefaultTimeoutMS is a service's backend timeout when none is given, as
// X-Road's proxy client-timeout.
const DefaultTimeoutMS = 30000

// MaxTimeoutMS bounds a service's timeout.
const MaxTimeoutMS = 10 * 60 * 1000

func validIdent(v *errs.Validator, field, s string) {
	if s == "" {
		v.Add(field, "required")
	} else if !ValidIdentifier(s) {
		v.Add(field, "hub_identifier")
	}
}

func ptrTrue(b *bool) bool { return b == nil || *b }

// insertID runs an INSERT … RETURNING id; a unique violation is a
// "duplicate" error of field naming what is taken.
func insertID(ctx context.Context, tx *sql.Tx, field, what, query string, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, query, args...).Scan(&id)
	if store.IsUniqueViolation(err) {
		return 0, errs.Invalid(errs.Field{Name: field, Code: "duplicate", Args: []any{what}, Context: "hub"})
	}
	return id, err
}

// ---- members

const memberColumns = `m.id, m.instance, m.member_class, m.member_code, m.name, m.unit_id, m.created_at, m.updated_at,
	(SELECT COUNT(*) FROM hub_subsystems x WHERE x.member_id = m.id)`

func scanMember(sc interface{ Scan(...any) error }) (Member, error) {
	var m Member
	err := sc.Scan(&m.ID, &m.Instance, &m.Class, &m.Code, &m.Name, &m.UnitID, &m.CreatedAt, &m.UpdatedAt, &m.Subsystems)
	m.Identifier = m.XRoadID().String()
	return m, err
}

// Members lists the registered members by class and code, each with the
// label of its unit.
func (s *Store) Members(ctx context.Context) ([]Member, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+memberColumns+` FROM hub_members m ORDER BY m.instance, m.member_class, m.member_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.labelMembers(ctx, out)
}

func (s *Store) labelMembers(ctx context.Context, ms []Member) error {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.UnitID
	}
	units, err := s.org.UnitsByID(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ms {
		if u, ok := units[ms[i].UnitID]; ok {
			ms[i].UnitLabel = u.Label
			if ms[i].UnitLabel == "" {
				ms[i].UnitLabel = u.Name
			}
		}
	}
	return nil
}

// Member reads one member.
func (s *Store) Member(ctx context.Context, id int64) (Member, error) {
	m, err := scanMember(s.db.Read.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM hub_members m WHERE m.id = $1`, id))
	if err != nil {
		return Member{}, noRows(err, errs.NotFound)
	}
	ms := []Member{m}
	err = s.labelMembers(ctx, ms)
	return ms[0], err
}

func (s *Store) validUnit(ctx context.Context, v *errs.Validator, field string, id int64) {
	if id <= 0 {
		v.Add(field, "required")
		return
	}
	if _, err := s.org.Unit(ctx, id, ""); err != nil {
		v.Add(field, "not_found")
	}
}

// CreateMember registers a member of this hub's instance under a unit
// the official may manage the hub on.
func (s *Store) CreateMember(r *http.Request, in MemberInput) (Member, error) {
	ctx := r.Context()
	in.Class = strings.TrimSpace(in.Class)
	in.Code = strings.TrimSpace(in.Code)
	in.Name = strings.TrimSpace(in.Name)
	v := errs.Validator{Context: "hub"}
	if in.Class == "" {
		v.Add("memberClass", "required")
	} else if !slices.Contains(MemberClasses, in.Class) {
		v.Add("memberClass", "one_of", strings.Join(MemberClasses, ", "))
	}
	validIdent(&v, "memberCode", in.Code)
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	s.validUnit(ctx, &v, "unitId", in.UnitID)
	if err := v.Err(); err != nil {
		return Member{}, err
	}
	if err := s.authorize(r, ManageHub, in.UnitID); err != nil {
		return Member{}, err
	}
	id := ClientID{s.opt.Instance, in.Class, in.Code, ""}
	var newID int64
	now := store.Now()
	err := s.write(ctx, event(r, audit.HubRegistry, id.String(), "member.create "+in.Name), func(tx *sql.Tx) (err error) {
		newID, err = insertID(ctx, tx, "memberCode", id.String(), `INSERT INTO hub_members (instance, member_class, member_code, name, unit_id, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, id.Instance, id.Class, id.Member, in.Name, in.UnitID, actorID(r), now)
		return err
	})
	if err != nil {
		return Member{}, err
	}
	return s.Member(ctx, newID)
}

// EditMember renames a member or moves it to another unit; the official
// must manage the hub on both units.
func (s *Store) EditMember(r *http.Request, id int64, in MemberEdit) (Member, error) {
	ctx := r.Context()
	m, err := s.Member(ctx, id)
	if err != nil {
		return Member{}, err
	}
	if err := s.authorize(r, ManageHub, m.UnitID); err != nil {
		return Member{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	v := errs.Validator{Context: "hub"}
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	s.validUnit(ctx, &v, "unitId", in.UnitID)
	if err := v.Err(); err != nil {
		return Member{}, err
	}
	if in.UnitID != m.UnitID {
		if err := s.authorize(r, ManageHub, in.UnitID); err != nil {
			return Member{}, err
		}
	}
	detail := fmt.Sprintf("member.edit name=%q unit=%d→%d", in.Name, m.UnitID, in.UnitID)
	err = s.write(ctx, event(r, audit.HubRegistry, m.Identifier, detail), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_members SET name = $1, unit_id = $2, updated_at = $3 WHERE id = $4`, in.Name, in.UnitID, store.Now(), id)
		return err
	})
	if err != nil {
		return Member{}, err
	}
	return s.Member(ctx, id)
}

// ---- subsystems

const subsystemColumns = `x.id, x.member_id, x.code, x.name, x.description, x.rate_per_second, x.burst, x.keep_bodies_days, x.created_at, x.updated_at,
	m.instance, m.member_class, m.member_code, m.name, m.unit_id,
	(SELECT COUNT(*) FROM hub_services v WHERE v.subsystem_id = x.id)`

func scanSubsystem(sc interface{ Scan(...any) error }) (Subsystem, error) {
	var x Subsystem
	err := sc.Scan(&x.ID, &x.MemberID, &x.Code, &x.Name, &x.Description, &x.RatePerSecond, &x.Burst, &x.KeepBodies, &x.CreatedAt, &x.UpdatedAt,
		&x.xid.Instance, &x.xid.Class, &x.xid.Member, &x.MemberName, &x.UnitID, &x.Services)
	x.xid.Subsystem = x.Code
	x.Identifier = x.xid.String()
	return x, err
}

func (s *Store) subsystems(ctx context.Context, where string, args ...any) ([]Subsystem, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+subsystemColumns+` FROM hub_subsystems x JOIN hub_members m ON m.id = x.member_id `+where+
		` ORDER BY m.member_class, m.member_code, x.code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Subsystem
	for rows.Next() {
		x, err := scanSubsystem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Subsystems lists every subsystem, or those of one member.
func (s *Store) Subsystems(ctx context.Context, member int64) ([]Subsystem, error) {
	if member > 0 {
		return s.subsystems(ctx, `WHERE x.member_id = $1`, member)
	}
	return s.subsystems(ctx, ``)
}

// Subsystem reads one subsystem.
func (s *Store) Subsystem(ctx context.Context, id int64) (Subsystem, error) {
	xs, err := s.subsystems(ctx, `WHERE x.id = $1`, id)
	if err != nil {
		return Subsystem{}, err
	}
	if len(xs) == 0 {
		return Subsystem{}, errs.NotFound
	}
	return xs[0], nil
}

// SubsystemByID finds a subsystem by its X-Road identifier.
func (s *Store) SubsystemByID(ctx context.Context, id ClientID) (Subsystem, error) {
	xs, err := s.subsystems(ctx, `WHERE m.instance = $1 AND m.member_class = $2 AND m.member_code = $3 AND x.code = $4`,
		id.Instance, id.Class, id.Member, id.Subsystem)
	if err != nil {
		return Subsystem{}, err
	}
	if len(xs) == 0 {
		return Subsystem{}, errs.NotFound
	}
	return xs[0], nil
}

func validRate(v *errs.Validator, rate, burst, keep int) {
	v.Check(rate >= 0 && rate <= 1_000_000, "ratePerSecond", "range", 0, 1_000_000)
	v.Check(burst >= 0 && burst <= 1_000_000, "burst", "range", 0, 1_000_000)
	v.Check(keep >= 0 && keep <= MaxKeepBodiesDays, "keepBodiesDays", "range", 0, MaxKeepBodiesDays)
}

// MaxKeepBodiesDays bounds how long bodies are kept (ten years).
const MaxKeepBodiesDays = 3650

// CreateSubsystem adds a subsystem to a member its official manages.
func (s *Store) CreateSubsystem(r *http.Request, member int64, in SubsystemInput) (Subsystem, error) {
	ctx := r.Context()
	m, err := s.Member(ctx, member)
	if err != nil {
		return Subsystem{}, err
	}
	if err := s.authorize(r, ManageMember, m.UnitID); err != nil {
		return Subsystem{}, err
	}
	in.Code, in.Name, in.Description = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	v := errs.Validator{Context: "hub"}
	validIdent(&v, "subsystemCode", in.Code)
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	v.Text("description", in.Description, errs.Paragraph)
	validRate(&v, in.RatePerSecond, in.Burst, in.KeepBodies)
	if err := v.Err(); err != nil {
		return Subsystem{}, err
	}
	xid := ClientID{m.Instance, m.Class, m.Code, in.Code}
	var id int64
	now := store.Now()
	err = s.write(ctx, event(r, audit.HubRegistry, xid.String(), "subsystem.create "+in.Name), func(tx *sql.Tx) (err error) {
		id, err = insertID(ctx, tx, "subsystemCode", xid.String(), `INSERT INTO hub_subsystems (member_id, code, name, description, rate_per_second, burst, keep_bodies_days, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, member, in.Code, in.Name, in.Description, in.RatePerSecond, in.Burst, in.KeepBodies, now)
		return err
	})
	if err != nil {
		return Subsystem{}, err
	}
	return s.Subsystem(ctx, id)
}

// EditSubsystem changes a subsystem's name, description and rate.
func (s *Store) EditSubsystem(r *http.Request, id int64, in SubsystemEdit) (Subsystem, error) {
	ctx := r.Context()
	x, err := s.Subsystem(ctx, id)
	if err != nil {
		return Subsystem{}, err
	}
	if err := s.authorize(r, ManageMember, x.UnitID); err != nil {
		return Subsystem{}, err
	}
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	v := errs.Validator{Context: "hub"}
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	v.Text("description", in.Description, errs.Paragraph)
	validRate(&v, in.RatePerSecond, in.Burst, in.KeepBodies)
	if err := v.Err(); err != nil {
		return Subsystem{}, err
	}
	detail := fmt.Sprintf("subsystem.edit name=%q rate=%d burst=%d keep_bodies_days=%d", in.Name, in.RatePerSecond, in.Burst, in.KeepBodies)
	err = s.write(ctx, event(r, audit.HubRegistry, x.Identifier, detail), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_subsystems SET name = $1, description = $2, rate_per_second = $3, burst = $4, keep_bodies_days = $5, updated_at = $6 WHERE id = $7`,
			in.Name, in.Description, in.RatePerSecond, in.Burst, in.KeepBodies, store.Now(), id)
		return err
	})
	if err != nil {
		return Subsystem{}, err
	}
	return s.Subsystem(ctx, id)
}

// ---- services

const serviceColumns = `v.id, v.subsystem_id, v.code, v.name, v.description, v.backend_url, v.timeout_ms, v.enabled,
	v.openapi_url, v.openapi_format, v.openapi_version, v.openapi_sha256, v.openapi_at, v.created_at, v.updated_at,
	x.code, x.name, m.instance, m.member_class, m.member_code, m.name, m.unit_id`

func scanService(sc interface{ Scan(...any) error }) (Service, error) {
	var v Service
	var at sql.NullTime
	err := sc.Scan(&v.ID, &v.SubsystemID, &v.Code, &v.Name, &v.Description, &v.BackendURL, &v.TimeoutMS, &v.Enabled,
		&v.OpenAPIURL, &v.format, &v.OpenAPIVersion, &v.OpenAPISHA256, &at, &v.CreatedAt, &v.UpdatedAt,
		&v.xid.Subsystem, &v.SubsystemName, &v.xid.Instance, &v.xid.Class, &v.xid.Member, &v.MemberName, &v.UnitID)
	if at.Valid {
		t := at.Time
		v.OpenAPIAt = &t
	}
	v.xid.Code = v.Code
	v.Identifier = v.xid.String()
	v.Type = TypeREST
	if v.format != "" {
		v.Type = TypeOpenAPI
	}
	v.Endpoints = []Endpoint{}
	return v, err
}

func (s *Store) services(ctx context.Context, q store.Querier, where string, args ...any) ([]Service, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+serviceColumns+` FROM hub_services v JOIN hub_subsystems x ON x.id = v.subsystem_id
		JOIN hub_members m ON m.id = x.member_id `+where+` ORDER BY m.member_class, m.member_code, x.code, v.code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Service
	for rows.Next() {
		v, err := scanService(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	ids := make([]int64, len(out))
	for i, v := range out {
		ids[i] = v.ID
	}
	var args2 []any
	eps, err := s.endpoints(ctx, q, "e.service_id IN ("+store.InList(&args2, ids)+")", args2...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Endpoints = append(out[i].Endpoints, eps[out[i].ID]...)
	}
	return out, nil
}

// endpoints reads endpoints by service (where: a condition on e).
func (s *Store) endpoints(ctx context.Context, q store.Querier, where string, args ...any) (map[int64][]Endpoint, error) {
	if where != "" {
		where = " WHERE " + where
	}
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.service_id, e.method, e.path, e.enabled, e.from_openapi FROM hub_endpoints e`+where+` ORDER BY e.service_id, e.path, e.method`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]Endpoint{}
	for rows.Next() {
		var e Endpoint
		if err := rows.Scan(&e.ID, &e.ServiceID, &e.Method, &e.Path, &e.Enabled, &e.FromOpenAPI); err != nil {
			return nil, err
		}
		out[e.ServiceID] = append(out[e.ServiceID], e)
	}
	return out, rows.Err()
}

// Services lists every service, or those of one subsystem.
func (s *Store) Services(ctx context.Context, subsystem int64) ([]Service, error) {
	if subsystem > 0 {
		return s.services(ctx, s.db.Read, `WHERE v.subsystem_id = $1`, subsystem)
	}
	return s.services(ctx, s.db.Read, ``)
}

// Service reads one service with its endpoints.
func (s *Store) Service(ctx context.Context, id int64) (Service, error) {
	vs, err := s.services(ctx, s.db.Read, `WHERE v.id = $1`, id)
	if err != nil {
		return Service{}, err
	}
	if len(vs) == 0 {
		return Service{}, errs.NotFound
	}
	return vs[0], nil
}

// validBackend checks a backend URL: absolute http(s) with a host, no
// credentials, query or fragment (the gateway appends the caller's path
// and query to it, as X-Road does).
func validBackend(v *errs.Validator, field, raw string) {
	if raw == "" {
		v.Add(field, "required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		v.Add(field, "hub_backend_url")
	}
}

func validTimeout(v *errs.Validator, ms int) {
	v.Check(ms >= 0 && ms <= MaxTimeoutMS, "timeoutMs", "range", 0, MaxTimeoutMS)
}

// CreateService adds a service to a subsystem its official manages.
func (s *Store) CreateService(r *http.Request, subsystem int64, in ServiceInput) (Service, error) {
	ctx := r.Context()
	x, err := s.Subsystem(ctx, subsystem)
	if err != nil {
		return Service{}, err
	}
	if err := s.authorize(r, ManageMember, x.UnitID); err != nil {
		return Service{}, err
	}
	in.Code, in.Name, in.Description, in.BackendURL = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Description), strings.TrimSpace(in.BackendURL)
	v := errs.Validator{Context: "hub"}
	validIdent(&v, "serviceCode", in.Code)
	if slices.ContainsFunc(MetaServices, func(m string) bool { return strings.EqualFold(m, in.Code) }) {
		v.Add("serviceCode", "hub_reserved", in.Code)
	}
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	v.Text("description", in.Description, errs.Paragraph)
	validBackend(&v, "backendUrl", in.BackendURL)
	validTimeout(&v, in.TimeoutMS)
	if err := v.Err(); err != nil {
		return Service{}, err
	}
	if in.TimeoutMS == 0 {
		in.TimeoutMS = DefaultTimeoutMS
	}
	xid := ServiceID{x.xid, in.Code}
	var id int64
	now := store.Now()
	err = s.write(ctx, event(r, audit.HubRegistry, xid.String(), "service.create "+in.BackendURL), func(tx *sql.Tx) (err error) {
		id, err = insertID(ctx, tx, "serviceCode", xid.String(), `INSERT INTO hub_services (subsystem_id, code, name, description, backend_url, timeout_ms, enabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, subsystem, in.Code, in.Name, in.Description, in.BackendURL, in.TimeoutMS, ptrTrue(in.Enabled), now)
		return err
	})
	if err != nil {
		return Service{}, err
	}
	return s.Service(ctx, id)
}

// EditService changes a service's name, backend, timeout, or enables or
// disables it.
func (s *Store) EditService(r *http.Request, id int64, in ServiceEdit) (Service, error) {
	ctx := r.Context()
	sv, err := s.Service(ctx, id)
	if err != nil {
		return Service{}, err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return Service{}, err
	}
	in.Name, in.Description, in.BackendURL = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description), strings.TrimSpace(in.BackendURL)
	v := errs.Validator{Context: "hub"}
	v.Check(in.Name != "", "name", "required")
	v.Text("name", in.Name, errs.Name)
	v.Text("description", in.Description, errs.Paragraph)
	validBackend(&v, "backendUrl", in.BackendURL)
	validTimeout(&v, in.TimeoutMS)
	if err := v.Err(); err != nil {
		return Service{}, err
	}
	if in.TimeoutMS == 0 {
		in.TimeoutMS = sv.TimeoutMS
	}
	enabled := sv.Enabled
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	detail := fmt.Sprintf("service.edit backend=%s timeoutMs=%d enabled=%t", in.BackendURL, in.TimeoutMS, enabled)
	err = s.write(ctx, event(r, audit.HubRegistry, sv.Identifier, detail), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_services SET name = $1, description = $2, backend_url = $3, timeout_ms = $4, enabled = $5, updated_at = $6 WHERE id = $7`,
			in.Name, in.Description, in.BackendURL, in.TimeoutMS, enabled, store.Now(), id)
		return err
	})
	if err != nil {
		return Service{}, err
	}
	return s.Service(ctx, id)
}

// ---- endpoints

// validEndpointPath checks a path template: ** alone, or / followed by
// printable characters without a dot segment, a backslash or a query.
func validEndpointPath(p string) bool {
	if p == "**" {
		return true
	}
	if !strings.HasPrefix(p, "/") || len(p) > 1000 || strings.ContainsAny(p, "?#\\") {
		return false
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func normaliseMethod(m string) string {
	m = strings.ToUpper(strings.TrimSpace(m))
	return m
}

func validMethod(m string) bool { return m == "*" || slices.Contains(Methods, m) }

// AddEndpoint adds an endpoint to a service.
func (s *Store) AddEndpoint(r *http.Request, service int64, in EndpointInput) (Service, error) {
	ctx := r.Context()
	sv, err := s.Service(ctx, service)
	if err != nil {
		return Service{}, err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return Service{}, err
	}
	in.Method, in.Path = normaliseMethod(in.Method), strings.TrimSpace(in.Path)
	v := errs.Validator{Context: "hub"}
	if in.Method == "" {
		v.Add("method", "required")
	} else if !validMethod(in.Method) {
		v.Add("method", "one_of", "*, "+strings.Join(Methods, ", "))
	}
	if in.Path == "" {
		v.Add("path", "required")
	} else if !validEndpointPath(in.Path) {
		v.Add("path", "hub_endpoint_path")
	}
	if err := v.Err(); err != nil {
		return Service{}, err
	}
	err = s.write(ctx, event(r, audit.HubRegistry, sv.Identifier, "endpoint.add "+in.Method+" "+in.Path), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO hub_endpoints (service_id, method, path, enabled, from_openapi, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			service, in.Method, in.Path, ptrTrue(in.Enabled), false, store.Now())
		if store.IsUniqueViolation(err) {
			return errs.Invalid(errs.Field{Name: "path", Code: "duplicate", Args: []any{in.Method + " " + in.Path}, Context: "hub"})
		}
		return err
	})
	if err != nil {
		return Service{}, err
	}
	return s.Service(ctx, service)
}

// endpoint reads one endpoint with its service.
func (s *Store) endpoint(ctx context.Context, id int64) (Endpoint, Service, error) {
	var svc int64
	if err := s.db.Read.QueryRowContext(ctx, `SELECT service_id FROM hub_endpoints WHERE id = $1`, id).Scan(&svc); err != nil {
		return Endpoint{}, Service{}, noRows(err, errs.NotFound)
	}
	sv, err := s.Service(ctx, svc)
	if err != nil {
		return Endpoint{}, Service{}, err
	}
	for _, e := range sv.Endpoints {
		if e.ID == id {
			return e, sv, nil
		}
	}
	return Endpoint{}, Service{}, errs.NotFound
}

// SetEndpoint enables or disables an endpoint.
func (s *Store) SetEndpoint(r *http.Request, id int64, in EndpointEdit) (Service, error) {
	ctx := r.Context()
	e, sv, err := s.endpoint(ctx, id)
	if err != nil {
		return Service{}, err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return Service{}, err
	}
	detail := fmt.Sprintf("endpoint.enabled=%t %s %s", in.Enabled, e.Method, e.Path)
	err = s.write(ctx, event(r, audit.HubRegistry, sv.Identifier, detail), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_endpoints SET enabled = $1 WHERE id = $2`, in.Enabled, id)
		return err
	})
	if err != nil {
		return Service{}, err
	}
	return s.Service(ctx, sv.ID)
}

// DeleteEndpoint removes an endpoint and the rights granted on it.
func (s *Store) DeleteEndpoint(r *http.Request, id int64) (Service, error) {
	ctx := r.Context()
	e, sv, err := s.endpoint(ctx, id)
	if err != nil {
		return Service{}, err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return Service{}, err
	}
	err = s.write(ctx, event(r, audit.HubRegistry, sv.Identifier, "endpoint.delete "+e.Method+" "+e.Path), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hub_rights WHERE endpoint_id = $1 AND service_id = $2`, id, sv.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM hub_endpoints WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return Service{}, err
	}
	return s.Service(ctx, sv.ID)
}
