package hub

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/store"
)

// Right lets a consumer subsystem call a service, or one of its endpoints.
type Right struct {
	ID           int64     `json:"id"`
	ServiceID    int64     `json:"serviceId"`
	Service      string    `json:"service" doc:"the service's identifier"`
	ServiceName  string    `json:"serviceName"`
	EndpointID   int64     `json:"endpointId,omitempty" doc:"absent: the whole service"`
	Endpoint     string    `json:"endpoint,omitempty" doc:"METHOD /path of the endpoint"`
	ConsumerID   int64     `json:"consumerId"`
	Consumer     string    `json:"consumer" doc:"the consumer subsystem's identifier"`
	ConsumerName string    `json:"consumerName"`
	RequestID    int64     `json:"requestId,omitempty" doc:"the access request it answered"`
	GrantedAt    time.Time `json:"grantedAt"`
}

// RightInput grants a right: the consumer by id or identifier.
type RightInput struct {
	ConsumerID int64  `json:"consumerId,omitempty"`
	Consumer   string `json:"consumer,omitempty" doc:"INSTANCE/CLASS/MEMBER/SUBSYSTEM, when consumerId is absent"`
	EndpointID int64  `json:"endpointId,omitempty" doc:"one endpoint of the service; absent: the whole service"`
}

// States of an access request.
const (
	RequestPending   = "pending"
	RequestApproved  = "approved"
	RequestRefused   = "refused"
	RequestWithdrawn = "withdrawn"
)

// AccessRequest is a consumer's request for access to a service.
type AccessRequest struct {
	ID             int64      `json:"id"`
	ServiceID      int64      `json:"serviceId"`
	Service        string     `json:"service"`
	ServiceName    string     `json:"serviceName"`
	ProviderName   string     `json:"providerName" doc:"the providing member"`
	EndpointID     int64      `json:"endpointId,omitempty"`
	Endpoint       string     `json:"endpoint,omitempty"`
	ConsumerID     int64      `json:"consumerId"`
	Consumer       string     `json:"consumer"`
	ConsumerName   string     `json:"consumerName"`
	Reason         string     `json:"reason"`
	State          string     `json:"state" doc:"pending, approved, refused or withdrawn"`
	RequestedBy    string     `json:"requestedBy"`
	RequestedAt    time.Time  `json:"requestedAt"`
	DecidedBy      string     `json:"decidedBy,omitempty"`
	DecidedAt      *time.Time `json:"decidedAt,omitempty"`
	DecisionNote   string     `json:"decisionNote,omitempty"`
	ProviderUnitID int64      `json:"providerUnitId"`
	ConsumerUnitID int64      `json:"consumerUnitId"`
}

// AccessRequestInput asks for access for a consumer subsystem.
type AccessRequestInput struct {
	ServiceID  int64  `json:"serviceId"`
	EndpointID int64  `json:"endpointId,omitempty"`
	ConsumerID int64  `json:"consumerId,omitempty"`
	Consumer   string `json:"consumer,omitempty" doc:"INSTANCE/CLASS/MEMBER/SUBSYSTEM, when consumerId is absent"`
	Reason     string `json:"reason" doc:"why the consumer needs the data (the legal basis, the procedure)"`
}

// DecisionInput answers an access request.
type DecisionInput struct {
	Note string `json:"note,omitempty" doc:"required to refuse: the consumer reads why"`
}

// consumerOf resolves a consumer given by id or identifier.
func (s *Store) consumerOf(ctx context.Context, id int64, ident string) (Subsystem, error) {
	ident = strings.TrimSpace(ident)
	field := errs.Field{Name: "consumer", Context: "hub"}
	switch {
	case id > 0:
		x, err := s.Subsystem(ctx, id)
		if err != nil {
			return x, errs.Invalid(errs.Field{Name: "consumerId", Code: "not_found", Context: "hub"})
		}
		return x, nil
	case ident == "":
		field.Code = "required"
		return Subsystem{}, errs.Invalid(field)
	}
	cid, err := ParseClientID(ident)
	if err != nil || !cid.IsSubsystem() {
		field.Code = "hub_client_id"
		return Subsystem{}, errs.Invalid(field)
	}
	x, err := s.SubsystemByID(ctx, cid)
	if err != nil {
		field.Code, field.Args = "hub_unknown_client", []any{ident}
		return Subsystem{}, errs.Invalid(field)
	}
	return x, nil
}

func endpointOf(sv Service, id int64) (Endpoint, bool) {
	if id == 0 {
		return Endpoint{}, true
	}
	i := slices.IndexFunc(sv.Endpoints, func(e Endpoint) bool { return e.ID == id })
	if i < 0 {
		return Endpoint{}, false
	}
	return sv.Endpoints[i], true
}

func endpointLabel(e Endpoint) string {
	if e.ID == 0 {
		return ""
	}
	return e.Method + " " + e.Path
}

func rightSubject(sv Service, e Endpoint) string {
	if e.ID == 0 {
		return sv.Identifier
	}
	return sv.Identifier + " " + endpointLabel(e)
}

const rightColumns = `g.id, g.service_id, g.endpoint_id, g.consumer_id, COALESCE(g.request_id, 0), g.granted_at,
	COALESCE(e.method, ''), COALESCE(e.path, ''), v.code, v.name, x.code, m.instance, m.member_class, m.member_code,
	c.code, c.name, cm.instance, cm.member_class, cm.member_code`

const rightJoins = ` FROM hub_rights g JOIN hub_services v ON v.id = g.service_id JOIN hub_subsystems x ON x.id = v.subsystem_id
	JOIN hub_members m ON m.id = x.member_id JOIN hub_subsystems c ON c.id = g.consumer_id JOIN hub_members cm ON cm.id = c.member_id
	LEFT JOIN hub_endpoints e ON e.id = g.endpoint_id`

func (s *Store) rights(ctx context.Context, where string, args ...any) ([]Right, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+rightColumns+rightJoins+` WHERE `+where+` ORDER BY cm.member_class, cm.member_code, c.code, g.endpoint_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Right
	for rows.Next() {
		var g Right
		var method, path string
		var sid ServiceID
		var cid ClientID
		if err := rows.Scan(&g.ID, &g.ServiceID, &g.EndpointID, &g.ConsumerID, &g.RequestID, &g.GrantedAt, &method, &path,
			&sid.Code, &g.ServiceName, &sid.Subsystem, &sid.Instance, &sid.Class, &sid.Member,
			&cid.Subsystem, &g.ConsumerName, &cid.Instance, &cid.Class, &cid.Member); err != nil {
			return nil, err
		}
		g.Service, g.Consumer = sid.String(), cid.String()
		if g.EndpointID != 0 {
			g.Endpoint = method + " " + path
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// ServiceRights lists the rights granted on a service; only the provider's
// officials see them.
func (s *Store) ServiceRights(r *http.Request, service int64) ([]Right, error) {
	sv, err := s.Service(r.Context(), service)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return nil, err
	}
	return s.rights(r.Context(), `g.service_id = $1`, service)
}

// ConsumerRights lists the rights a consumer subsystem holds; only the
// consumer's officials see them.
func (s *Store) ConsumerRights(r *http.Request, subsystem int64) ([]Right, error) {
	x, err := s.Subsystem(r.Context(), subsystem)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(r, ManageMember, x.UnitID); err != nil {
		return nil, err
	}
	return s.rights(r.Context(), `g.consumer_id = $1`, subsystem)
}

func (s *Store) right(ctx context.Context, id int64) (Right, error) {
	gs, err := s.rights(ctx, `g.id = $1`, id)
	if err != nil {
		return Right{}, err
	}
	if len(gs) == 0 {
		return Right{}, errs.NotFound
	}
	return gs[0], nil
}

// Grant lets a consumer call a service (or one endpoint of it); the
// provider's official grants.
func (s *Store) Grant(r *http.Request, service int64, in RightInput) (Right, error) {
	ctx := r.Context()
	sv, err := s.Service(ctx, service)
	if err != nil {
		return Right{}, err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return Right{}, err
	}
	c, err := s.consumerOf(ctx, in.ConsumerID, in.Consumer)
	if cid, perr := ParseClientID(strings.TrimSpace(in.Consumer)); err != nil && in.ConsumerID == 0 && perr == nil && cid.IsSubsystem() && cid.Instance != s.opt.Instance {
		c, err = s.registerForeign(r, cid)
	}
	if err != nil {
		return Right{}, err
	}
	e, ok := endpointOf(sv, in.EndpointID)
	if !ok {
		return Right{}, errs.Invalid(errs.Field{Name: "endpointId", Code: "not_found", Context: "hub"})
	}
	var id int64
	err = s.write(ctx, event(r, audit.HubAccess, rightSubject(sv, e), "right.grant to "+c.Identifier), func(tx *sql.Tx) error {
		var err error
		id, err = insertRight(ctx, tx, sv.ID, e.ID, c.ID, 0, actorID(r))
		return err
	})
	if err != nil {
		return Right{}, err
	}
	return s.right(ctx, id)
}

// registerForeign registers a subsystem of a peer's instance, to grant it
// a right (federation).
func (s *Store) registerForeign(r *http.Request, cid ClientID) (Subsystem, error) {
	var id int64
	err := s.write(r.Context(), event(r, audit.HubRegistry, cid.String(), "subsystem.create of peer instance "+cid.Instance), func(tx *sql.Tx) (err error) {
		id, err = s.foreignSubsystem(r.Context(), tx, cid)
		return err
	})
	if err != nil {
		return Subsystem{}, err
	}
	return s.Subsystem(r.Context(), id)
}

func insertRight(ctx context.Context, tx *sql.Tx, service, endpoint, consumer, request int64, actor any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO hub_rights (service_id, endpoint_id, consumer_id, request_id, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		service, endpoint, consumer, nullable(request), actor, store.Now()).Scan(&id)
	if store.IsUniqueViolation(err) {
		return 0, errs.Invalid(errs.Field{Name: "consumer", Code: "hub_right_exists", Context: "hub"})
	}
	return id, err
}

// Revoke takes a right away; the gateway refuses the consumer's next call.
func (s *Store) Revoke(r *http.Request, id int64) error {
	ctx := r.Context()
	g, err := s.right(ctx, id)
	if err != nil {
		return err
	}
	sv, err := s.Service(ctx, g.ServiceID)
	if err != nil {
		return err
	}
	if err := s.authorize(r, ManageMember, sv.UnitID); err != nil {
		return err
	}
	subject := g.Service
	if g.Endpoint != "" {
		subject += " " + g.Endpoint
	}
	return s.write(ctx, event(r, audit.HubAccess, subject, "right.revoke from "+g.Consumer), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM hub_rights WHERE id = $1`, id)
		return err
	})
}

// ---- access requests

const requestColumns = `q.id, q.service_id, q.endpoint_id, q.consumer_id, q.reason, q.state, COALESCE(ru.username, ''), q.requested_at,
	COALESCE(du.username, ''), q.decided_at, q.decision_note, COALESCE(e.method, ''), COALESCE(e.path, ''),
	v.code, v.name, x.code, m.instance, m.member_class, m.member_code, m.name, m.unit_id,
	c.code, c.name, cm.instance, cm.member_class, cm.member_code, cm.unit_id`

const requestJoins = ` FROM hub_access_requests q JOIN hub_services v ON v.id = q.service_id JOIN hub_subsystems x ON x.id = v.subsystem_id
	JOIN hub_members m ON m.id = x.member_id JOIN hub_subsystems c ON c.id = q.consumer_id JOIN hub_members cm ON cm.id = c.member_id
	LEFT JOIN hub_endpoints e ON e.id = q.endpoint_id LEFT JOIN users ru ON ru.id = q.requested_by LEFT JOIN users du ON du.id = q.decided_by`

func (s *Store) requests(ctx context.Context, where string, args ...any) ([]AccessRequest, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+requestColumns+requestJoins+` WHERE `+where+` ORDER BY q.requested_at DESC, q.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AccessRequest
	for rows.Next() {
		var q AccessRequest
		var decided sql.NullTime
		var method, path string
		var sid ServiceID
		var cid ClientID
		if err := rows.Scan(&q.ID, &q.ServiceID, &q.EndpointID, &q.ConsumerID, &q.Reason, &q.State, &q.RequestedBy, &q.RequestedAt,
			&q.DecidedBy, &decided, &q.DecisionNote, &method, &path,
			&sid.Code, &q.ServiceName, &sid.Subsystem, &sid.Instance, &sid.Class, &sid.Member, &q.ProviderName, &q.ProviderUnitID,
			&cid.Subsystem, &q.ConsumerName, &cid.Instance, &cid.Class, &cid.Member, &q.ConsumerUnitID); err != nil {
			return nil, err
		}
		if decided.Valid {
			t := decided.Time
			q.DecidedAt = &t
		}
		if q.EndpointID != 0 {
			q.Endpoint = method + " " + path
		}
		q.Service, q.Consumer = sid.String(), cid.String()
		out = append(out, q)
	}
	return out, rows.Err()
}

// AccessRequests lists the requests the official takes part in: those
// their member made and those addressed to a member they manage,
// optionally in one state.
func (s *Store) AccessRequests(r *http.Request, state string) ([]AccessRequest, error) {
	if err := s.canView(r); err != nil {
		return nil, err
	}
	where, args := "1=1", []any{}
	if state != "" {
		if !slices.Contains([]string{RequestPending, RequestApproved, RequestRefused, RequestWithdrawn}, state) {
			return nil, errs.Invalid(errs.Field{Name: "state", Code: "one_of", Args: []any{"pending, approved, refused, withdrawn"}, Context: "hub"})
		}
		where, args = "q.state = $1", []any{state}
	}
	all, err := s.requests(r.Context(), where, args...)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	may := func(unit int64) bool {
		if v, ok := mine[unit]; ok {
			return v
		}
		mine[unit] = s.can(r, ManageMember, unit)
		return mine[unit]
	}
	var out []AccessRequest
	for _, q := range all {
		if may(q.ProviderUnitID) || may(q.ConsumerUnitID) {
			out = append(out, q)
		}
	}
	return out, nil
}

func (s *Store) request(ctx context.Context, id int64) (AccessRequest, error) {
	qs, err := s.requests(ctx, `q.id = $1`, id)
	if err != nil {
		return AccessRequest{}, err
	}
	if len(qs) == 0 {
		return AccessRequest{}, errs.NotFound
	}
	return qs[0], nil
}

// AccessRequest reads one request, for an official of either side.
func (s *Store) AccessRequest(r *http.Request, id int64) (AccessRequest, error) {
	q, err := s.request(r.Context(), id)
	if err != nil {
		return q, err
	}
	if s.can(r, ManageMember, q.ConsumerUnitID) {
		return q, nil
	}
	return q, s.authorize(r, ManageMember, q.ProviderUnitID)
}

// RequestAccess asks the provider of a service for access for one of the
// official's subsystems.
func (s *Store) RequestAccess(r *http.Request, in AccessRequestInput) (AccessRequest, error) {
	ctx := r.Context()
	in.Reason = strings.TrimSpace(in.Reason)
	v := errs.Validator{Context: "hub"}
	v.Check(in.ServiceID > 0, "serviceId", "required")
	v.Check(in.Reason != "", "reason", "required")
	v.Text("reason", in.Reason, errs.Paragraph)
	if err := v.Err(); err != nil {
		return AccessRequest{}, err
	}
	sv, err := s.Service(ctx, in.ServiceID)
	if err != nil {
		return AccessRequest{}, errs.Invalid(errs.Field{Name: "serviceId", Code: "not_found", Context: "hub"})
	}
	c, err := s.consumerOf(ctx, in.ConsumerID, in.Consumer)
	if err != nil {
		return AccessRequest{}, err
	}
	if err := s.authorize(r, ManageMember, c.UnitID); err != nil {
		return AccessRequest{}, err
	}
	e, ok := endpointOf(sv, in.EndpointID)
	if !ok {
		return AccessRequest{}, errs.Invalid(errs.Field{Name: "endpointId", Code: "not_found", Context: "hub"})
	}
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_rights WHERE service_id = $1 AND endpoint_id IN (0, $2) AND consumer_id = $3`, sv.ID, e.ID, c.ID).Scan(&n); err != nil {
		return AccessRequest{}, err
	}
	if n > 0 {
		return AccessRequest{}, errs.Invalid(errs.Field{Name: "consumer", Code: "hub_right_exists", Context: "hub"})
	}
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_access_requests WHERE service_id = $1 AND endpoint_id = $2 AND consumer_id = $3 AND state = $4`,
		sv.ID, e.ID, c.ID, RequestPending).Scan(&n); err != nil {
		return AccessRequest{}, err
	}
	if n > 0 {
		return AccessRequest{}, errs.Invalid(errs.Field{Name: "consumer", Code: "hub_request_pending", Context: "hub"})
	}
	var id int64
	err = s.write(ctx, event(r, audit.HubAccess, rightSubject(sv, e), "request.create for "+c.Identifier), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO hub_access_requests (service_id, endpoint_id, consumer_id, reason, state, requested_by, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, sv.ID, e.ID, c.ID, in.Reason, RequestPending, actorID(r), store.Now()).Scan(&id)
	})
	if err != nil {
		return AccessRequest{}, err
	}
	return s.request(ctx, id)
}

var errNotPending = &errs.Error{Status: http.StatusConflict, Code: "hub_request_decided", Key: "error.hub.request_decided"}

// Decide approves (granting the right) or refuses a pending request; the
// provider's official decides. Withdraw is the consumer's.
func (s *Store) Decide(r *http.Request, id int64, approve bool, in DecisionInput) (AccessRequest, error) {
	ctx := r.Context()
	q, err := s.request(ctx, id)
	if err != nil {
		return q, err
	}
	if err := s.authorize(r, ManageMember, q.ProviderUnitID); err != nil {
		return q, err
	}
	in.Note = strings.TrimSpace(in.Note)
	v := errs.Validator{Context: "hub"}
	v.Check(approve || in.Note != "", "note", "required")
	v.Text("note", in.Note, errs.Paragraph)
	if err := v.Err(); err != nil {
		return q, err
	}
	if q.State != RequestPending {
		return q, errNotPending
	}
	state, what := RequestRefused, "request.refuse"
	if approve {
		state, what = RequestApproved, "request.approve"
	}
	subject := q.Service
	if q.Endpoint != "" {
		subject += " " + q.Endpoint
	}
	err = s.write(ctx, event(r, audit.HubAccess, subject, fmt.Sprintf("%s #%d for %s", what, q.ID, q.Consumer)), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hub_access_requests SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5 AND state = $6`,
			state, actorID(r), store.Now(), in.Note, id, RequestPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNotPending
		}
		if approve {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_rights WHERE service_id = $1 AND endpoint_id = $2 AND consumer_id = $3`, q.ServiceID, q.EndpointID, q.ConsumerID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				_, err = insertRight(ctx, tx, q.ServiceID, q.EndpointID, q.ConsumerID, q.ID, actorID(r))
			}
		}
		return err
	})
	if err != nil {
		return q, err
	}
	return s.request(ctx, id)
}

// Withdraw takes back a pending request; the consumer's official does.
func (s *Store) Withdraw(r *http.Request, id int64) (AccessRequest, error) {
	ctx := r.Context()
	q, err := s.request(ctx, id)
	if err != nil {
		return q, err
	}
	if err := s.authorize(r, ManageMember, q.ConsumerUnitID); err != nil {
		return q, err
	}
	if q.State != RequestPending {
		return q, errNotPending
	}
	err = s.write(ctx, event(r, audit.HubAccess, q.Service, fmt.Sprintf("request.withdraw #%d for %s", q.ID, q.Consumer)), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hub_access_requests SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = $5`,
			RequestWithdrawn, actorID(r), store.Now(), id, RequestPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNotPending
		}
		return nil
	})
	if err != nil {
		return q, err
	}
	return s.request(ctx, id)
}
