package org

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
)

// The actions below are shared by the API and the pages: authorise, write
// in one transaction with its audit line, return the result.

func (s *Store) createUnit(r *http.Request, in UnitInput) (Unit, error) {
	if in.ParentID == nil {
		if err := s.mustManageTop(r); err != nil {
			return Unit{}, err
		}
	} else if err := s.mustManageUnder(r, *in.ParentID); err != nil {
		return Unit{}, err
	}
	u, err := s.CreateUnit(r.Context(), in, PrincipalFrom(r.Context()).UserID)
	if err == nil {
		audit.Record(r.Context(), s.db.Write, audit.From(r, audit.UnitCreate, u.Code, u.Name, true))
	}
	return u, err
}

// mustManageUnder checks that the caller may add units under parent. A
// parent that does not exist is left to validation, which names the field,
// rather than refused: the caller need only be an admin somewhere.
func (s *Store) mustManageUnder(r *http.Request, parent int64) error {
	if _, err := s.Unit(r.Context(), parent, ""); errors.Is(err, errs.NotFound) {
		parent = 0
	}
	return s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, parent)
}

// mustManageTop checks that the caller may add a unit without a parent:
// only an admin whose scope is the root of the tree (the nation) may, since
// a top-level unit lies in no provincial admin's scope and would escape
// every check after its creation.
func (s *Store) mustManageTop(r *http.Request) error {
	return s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, s.rootID(r))
}

// rootID is a unit with no parent today (the nation, or the province of a
// provincial deployment); 0 when there is none.
func (s *Store) rootID(r *http.Request) int64 {
	var id int64
	s.db.Read.QueryRowContext(r.Context(), `SELECT u.id FROM org_units u `+versionAt+` WHERE v.parent_id IS NULL ORDER BY u.id LIMIT 1`, Today()).Scan(&id)
	return id
}

func (s *Store) editUnit(r *http.Request, id int64, in UnitEdit) (Unit, error) {
	before, err := s.Unit(r.Context(), id, "")
	if err != nil {
		return Unit{}, err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, id); err != nil {
		return Unit{}, err
	}
	u, err := s.EditUnit(r.Context(), id, in)
	if err == nil {
		audit.Record(r.Context(), s.db.Write, audit.From(r, audit.UnitUpdate, u.Code, before.Name+" → "+u.Name, true))
	}
	return u, err
}

func (s *Store) recordEvent(r *http.Request, in EventInput) (Event, error) {
	// The admin must manage every unit the event touches, and the parents
	// of the units it creates.
	var codes []string
	codes = append(codes, in.From...)
	codes = append(codes, in.To...)
	// Naming an heir hands it the ended unit's records: the admin must
	// manage the heir too.
	for _, h := range in.Heirs {
		codes = append(codes, h.Heirs...)
	}
	for _, c := range append(codes, in.Subject, in.Parent) {
		if c == "" {
			continue
		}
		u, err := s.UnitByCode(r.Context(), strings.ToUpper(strings.TrimSpace(c)), "")
		if err != nil {
			continue // validation names the unknown code
		}
		if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, u.ID); err != nil {
			return Event{}, err
		}
	}
	for _, nu := range in.NewUnits {
		if nu.ParentID == nil {
			if err := s.mustManageTop(r); err != nil {
				return Event{}, err
			}
		} else if err := s.mustManageUnder(r, *nu.ParentID); err != nil {
			return Event{}, err
		}
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, 0); err != nil {
		return Event{}, err
	}
	ev, err := s.RecordEvent(r.Context(), in, PrincipalFrom(r.Context()).UserID)
	if err == nil {
		b, _ := json.Marshal(ev)
		audit.Record(r.Context(), s.db.Write, audit.From(r, audit.Reorganisation, ev.Kind+" "+ev.Date, string(b), true))
	}
	return ev, err
}

// setHeirs names again the heirs of a dissolve's units: the admin must
// manage the units that ended and every heir.
func (s *Store) setHeirs(r *http.Request, event int64, in HeirsInput) (Event, error) {
	ev, err := s.event(r.Context(), s.db.Read, event)
	if err != nil {
		return Event{}, err
	}
	codes := slices.Clone(ev.From)
	for _, h := range in.Heirs {
		codes = append(codes, h.Heirs...)
	}
	for _, c := range codes {
		u, err := s.UnitByCode(r.Context(), strings.ToUpper(strings.TrimSpace(c)), "")
		if err != nil {
			continue // validation names the unknown code
		}
		if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, u.ID); err != nil {
			return Event{}, err
		}
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageUnits, 0); err != nil {
		return Event{}, err
	}
	ev, err = s.SetHeirs(r.Context(), event, in)
	if err == nil {
		b, _ := json.Marshal(ev.Heirs)
		audit.Record(r.Context(), s.db.Write, audit.From(r, audit.UnitHeirs, ev.Kind+" "+ev.Date, string(b), true))
	}
	return ev, err
}

// officialsVisible lists the officials the principal may see.
func (s *Store) officialsVisible(r *http.Request, f OfficialFilter) ([]Official, error) {
	f.Scopes = s.Scopes(PrincipalFrom(r.Context()), ViewOfficials)
	return s.Officials(r.Context(), f)
}

func (s *Store) officialVisible(r *http.Request, id int64) (Official, error) {
	o, err := s.Official(r.Context(), id)
	if err != nil {
		return Official{}, err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ViewOfficials, o.UnitID); err != nil {
		return Official{}, err
	}
	return o, nil
}

// mustGrant checks that the admin may give each role: its scope must lie in
// the admin's own scope.
func (s *Store) mustGrant(r *http.Request, in OfficialInput) error {
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, in.UnitID); err != nil {
		return err
	}
	for _, g := range in.Roles {
		if g.ScopeID != 0 {
			if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, g.ScopeID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) createOfficial(r *http.Request, in OfficialInput) (Official, error) {
	if in.UnitID != 0 {
		if err := s.mustGrant(r, in); err != nil {
			return Official{}, err
		}
	} else if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, 0); err != nil {
		// Without a unit, validation names the field, but only for admins.
		return Official{}, err
	}
	var id int64
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if id, err = s.CreateOfficial(r.Context(), tx, in); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.OfficialCreate, strings.ToLower(strings.TrimSpace(in.Username)), grantsText(in.Roles), true))
	})
	if err != nil {
		return Official{}, err
	}
	return s.Official(r.Context(), id)
}

func grantsText(gs []Grant) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, fmt.Sprintf("%s@%d", g.Role, g.ScopeID))
	}
	return strings.Join(parts, ", ")
}

func (s *Store) updateOfficial(r *http.Request, id int64, in OfficialInput) (Official, error) {
	cur, err := s.Official(r.Context(), id)
	if err != nil {
		return Official{}, err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, cur.UnitID); err != nil {
		return Official{}, err
	}
	if in.UnitID != 0 {
		// Roles kept from before need not be in the admin's scope; new ones
		// must be.
		added := in
		added.Roles = nil
		for _, n := range in.Roles {
			if !slices.ContainsFunc(cur.Roles, func(g Grant) bool { return g.Role == n.Role && g.ScopeID == n.ScopeID }) {
				added.Roles = append(added.Roles, n)
			}
		}
		if err := s.mustGrant(r, added); err != nil {
			return Official{}, err
		}
	}
	// Roles removed must be in the admin's scope: an admin of a district
	// cannot strip a provincial role.
	for _, g := range cur.Roles {
		kept := false
		for _, n := range in.Roles {
			if n.Role == g.Role && (n.ScopeID == g.ScopeID || n.ScopeID == 0 && g.ScopeID == in.UnitID) {
				kept = true
			}
		}
		if !kept {
			if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, g.ScopeID); err != nil {
				return Official{}, err
			}
		}
	}
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		before, after, err := s.UpdateOfficial(r.Context(), tx, id, in)
		if err != nil {
			return err
		}
		if err := audit.Record(r.Context(), tx, audit.From(r, audit.OfficialUpdate, cur.Username, "", true)); err != nil {
			return err
		}
		if b, a := grantsText(before), grantsText(after); b != a {
			return audit.Record(r.Context(), tx, audit.From(r, audit.RoleChange, cur.Username, b+" → "+a, true))
		}
		return nil
	})
	if err != nil {
		return Official{}, err
	}
	return s.Official(r.Context(), id)
}

func (s *Store) setDisabled(r *http.Request, id int64, disabled bool) (Official, error) {
	cur, err := s.Official(r.Context(), id)
	if err != nil {
		return Official{}, err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, cur.UnitID); err != nil {
		return Official{}, err
	}
	if disabled && id == PrincipalFrom(r.Context()).UserID {
		return Official{}, errs.Invalid(errs.Field{Name: "disabled", Code: "self"})
	}
	kind := audit.AccountEnable
	if disabled {
		kind = audit.AccountDisable
	}
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := s.SetDisabled(r.Context(), tx, id, disabled); err != nil {
			return err
		}
		if disabled {
			// Sign the account out everywhere, and stop its tokens.
			if _, err := tx.ExecContext(r.Context(), `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		return audit.Record(r.Context(), tx, audit.From(r, kind, cur.Username, "", true))
	})
	if err != nil {
		return Official{}, err
	}
	return s.Official(r.Context(), id)
}

// PasswordInput is an admin's reset of someone's password.
type PasswordInput struct {
	Password string `json:"password"`
}

func (s *Store) resetPassword(r *http.Request, id int64, in PasswordInput) error {
	cur, err := s.Official(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, cur.UnitID); err != nil {
		return err
	}
	var v errs.Validator
	ValidatePassword(&v, "password", in.Password, cur.Username)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.passwords.Hash(in.Password)
	if err != nil {
		return err
	}
	return s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		if err := s.SetPasswordHash(r.Context(), tx, id, hash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(r.Context(), `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		// A reset means the old password may be known to someone else, who
		// may also have made tokens with it: they stop too.
		n, err := s.RevokeAllTokens(r.Context(), tx, id)
		if err != nil {
			return err
		}
		if err := audit.Record(r.Context(), tx, audit.From(r, audit.PasswordReset, cur.Username, fmt.Sprintf("%d API token(s) revoked", n), true)); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.TokenRevoke, cur.Username, fmt.Sprintf("all %d, by the password reset", n), true))
	})
}

// auditScope limits the audit trail an admin reads to the officials under
// their scopes; an admin of a top-level unit (the nation) reads it all.
func (s *Store) auditScope(r *http.Request) (*audit.Accounts, error) {
	scopes := s.Scopes(PrincipalFrom(r.Context()), ViewAudit)
	for _, sc := range scopes {
		u, err := s.Unit(r.Context(), sc, "")
		if err == nil && u.ParentID == nil {
			return nil, nil
		}
	}
	list, err := s.Officials(r.Context(), OfficialFilter{Scopes: scopes})
	if err != nil {
		return nil, err
	}
	acc := &audit.Accounts{}
	for _, o := range list {
		acc.IDs = append(acc.IDs, o.ID)
		acc.Usernames = append(acc.Usernames, o.Username)
	}
	return acc, nil
}

// endSessions signs an official out everywhere (every application signed
// in through those sessions loses its tokens with them, internal/sso); with
// resetTOTP it also removes their second factor and recovery codes, so
// that they enrol again at their next login (a lost phone).
func (s *Store) endSessions(r *http.Request, id int64, resetTOTP bool) error {
	cur, err := s.Official(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.Authorize(r.Context(), PrincipalFrom(r.Context()), ManageOfficial, cur.UnitID); err != nil {
		return err
	}
	return s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(r.Context(), `DELETE FROM sessions WHERE user_id = $1`, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if err := audit.Record(r.Context(), tx, audit.From(r, audit.Logout, cur.Username, fmt.Sprintf("%d session(s) ended by an administrator", n), true)); err != nil {
			return err
		}
		if !resetTOTP {
			return nil
		}
		for _, q := range []string{`DELETE FROM auth_totp WHERE user_id = $1`, `DELETE FROM auth_recovery_codes WHERE user_id = $1`, `DELETE FROM auth_pending WHERE user_id = $1`} {
			if _, err := tx.ExecContext(r.Context(), q, id); err != nil {
				return err
			}
		}
		return audit.Record(r.Context(), tx, audit.From(r, audit.TOTPReset, cur.Username, "", true))
	})
}
