package org

import (
	"context"
	"fmt"
	"slices"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
)

// Roles. A role applies to its scope unit and everything below it.
const (
	RoleAdmin       = "admin"       // quản trị hệ thống
	RoleCoordinator = "coordinator" // đầu mối điều phối (Sở TT&TT, nay Sở KH&CN)
	RoleLeader      = "leader"      // lãnh đạo, Ban Chỉ đạo: reads everything in scope
	RoleApprover    = "approver"    // người phê duyệt của đơn vị
	RoleReporter    = "reporter"    // người báo cáo của đơn vị
)

// Roles lists the roles, most powerful first.
var Roles = []string{RoleAdmin, RoleCoordinator, RoleLeader, RoleApprover, RoleReporter}

// Action is something a principal may be allowed to do on a unit.
type Action string

const (
	ViewUnits      Action = "unit.view"
	ManageUnits    Action = "unit.manage"
	ViewOfficials  Action = "official.view"
	ManageOfficial Action = "official.manage"
	ViewAudit      Action = "audit.view"
)

// basePolicy says which roles may take the registry's own actions; the
// unit acted on must lie in the scope of the granting role. Each server's
// org store holds its own copy, which the domains extend when they mount:
// that table is the one place where authorisation is decided.
func basePolicy() map[Action][]string {
	return map[Action][]string{
		ViewUnits:      Roles, // every official sees the org tree
		ManageUnits:    {RoleAdmin},
		ViewOfficials:  Roles,
		ManageOfficial: {RoleAdmin},
		ViewAudit:      {RoleAdmin},
	}
}

// Allow adds roles to an action. Domains call it from their Mount, before
// the server takes requests, so the table is read-only at run time.
func (s *Store) Allow(a Action, roles ...string) {
	s.policy[a] = append(s.policy[a], roles...)
}

// Grant is one role of an official over a subtree.
type Grant struct {
	Role       string `json:"role"`
	ScopeID    int64  `json:"scopeId"`
	ScopeName  string `json:"scopeName,omitempty"`
	ScopeLabel string `json:"scopeLabel,omitempty" doc:"the scope as a role's badge names it, with its province: tỉnh Lai Châu; Sở Khoa học và Công nghệ, tỉnh Lai Châu"`
}

// Principal is the signed-in official a request acts for.
type Principal struct {
	UserID   int64
	Username string
	FullName string
	UnitID   int64
	Grants   []Grant
	Token    bool // authenticated by an API token, not a session
}

// Has reports whether the principal holds role anywhere.
func (p *Principal) Has(role string) bool {
	return p != nil && slices.ContainsFunc(p.Grants, func(g Grant) bool { return g.Role == role })
}

// Can decides whether p may take action a on unit. Unit 0 means "somewhere":
// the principal holds a role allowed to take the action at all (menus use
// it; handlers check the real unit).
func (s *Store) Can(ctx context.Context, p *Principal, a Action, unit int64) (bool, error) {
	if p == nil {
		return false, nil
	}
	allowed := s.policy[a]
	for _, g := range p.Grants {
		if !slices.Contains(allowed, g.Role) {
			continue
		}
		if unit == 0 || a == ViewUnits {
			return true, nil
		}
		ok, err := s.Within(ctx, unit, g.ScopeID)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// Authorize is the one authorisation entry point: pages, the API, the CLI,
// background jobs and the hub's gateway all ask it whether p may take
// action a on a unit (0: "somewhere"). A refusal is audited here, once, with
// what the context knows of the request, and answered Unauthorized for an
// anonymous caller and Forbidden otherwise.
func (s *Store) Authorize(ctx context.Context, p *Principal, a Action, unit int64) error {
	ok, err := s.Can(ctx, p, a, unit)
	if err != nil {
		return fmt.Errorf("authorise %s on unit %d: %w", a, unit, err)
	}
	if ok {
		return nil
	}
	ev := audit.FromContext(ctx, audit.AccessDenied, fmt.Sprintf("%s unit=%d", a, unit), audit.RequestLine(ctx), false)
	if err := audit.Record(ctx, s.db.Write, ev); err != nil {
		return fmt.Errorf("audit refusal of %s: %w", a, err)
	}
	if p == nil {
		return errs.Unauthorized
	}
	return errs.Forbidden
}

// Scopes lists the scope units under which p may take action a.
func (s *Store) Scopes(p *Principal, a Action) []int64 {
	var out []int64
	if p == nil {
		return nil
	}
	for _, g := range p.Grants {
		if slices.Contains(s.policy[a], g.Role) && !slices.Contains(out, g.ScopeID) {
			out = append(out, g.ScopeID)
		}
	}
	return out
}

type principalKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of a request, nil when anonymous.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
