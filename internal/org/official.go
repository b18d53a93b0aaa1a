package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/store"
)

// Official is a person with an account (cán bộ, công chức) in a unit.
type Official struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	FullName  string `json:"fullName"`
	Email     string `json:"email"`
	Title     string `json:"title" doc:"chức vụ"`
	UnitID    int64  `json:"unitId"`
	UnitName  string `json:"unitName"`
	UnitLabel string `json:"unitLabel" doc:"the unit's name with its province (see the label of a unit)"`
	// An official left on a unit that ended (a district on 30 June 2025)
	// still signs in; the admin moves them to a unit that exists.
	UnitEndedOn string  `json:"unitEndedOn,omitempty" doc:"YYYY-MM-DD, the last day of the official's unit when it has ended: the official needs moving to a unit that exists"`
	Disabled    bool    `json:"disabled"`
	Locale      string  `json:"locale"`
	Roles       []Grant `json:"roles"`
}

// OfficialInput creates or edits an official. Roles without a scope apply
// to the official's own unit.
type OfficialInput struct {
	Username string  `json:"username"`
	FullName string  `json:"fullName"`
	Email    string  `json:"email"`
	Title    string  `json:"title"`
	UnitID   int64   `json:"unitId"`
	Roles    []Grant `json:"roles"`
	Password string  `json:"password,omitempty" doc:"initial password (create only), at least 10 characters"`
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// ValidatePassword checks a new password; field names the input.
func ValidatePassword(v *errs.Validator, field, pw, username string) {
	v.Check(len([]rune(pw)) >= MinPasswordLen, field, "too_short", MinPasswordLen)
	v.Check(len(pw) <= 256, field, "too_long", 256)
	v.Check(!strings.EqualFold(pw, username), field, "same_as_username")
}

const officialColumns = `o.id, o.username, o.full_name, o.email, o.title, o.unit_id, o.disabled, o.locale`

// OfficialFilter narrows a list of officials.
type OfficialFilter struct {
	Scopes []int64 // units whose subtrees the viewer may see
	Unit   int64   // one unit only
	Query  string
	// UnitEnded keeps only the officials whose unit has ended.
	UnitEnded bool
}

// Officials lists the officials visible under the filter, by Vietnamese name order.
func (s *Store) Officials(ctx context.Context, f OfficialFilter) ([]Official, error) {
	q := `SELECT ` + officialColumns + ` FROM users o WHERE 1=1`
	var args []any
	if f.Unit != 0 {
		args = append(args, f.Unit)
		q += fmt.Sprintf(` AND o.unit_id = $%d`, len(args))
	}
	if f.Query != "" {
		args = append(args, store.Contains(locale.Fold(f.Query)), store.Contains(strings.ToLower(strings.TrimSpace(f.Query))))
		q += fmt.Sprintf(` AND (o.search_name LIKE $%d ESCAPE '\' OR o.username LIKE $%d ESCAPE '\')`, len(args)-1, len(args))
	}
	list, err := s.scanOfficials(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	visible := list[:0]
	for _, o := range list {
		if f.UnitEnded && o.UnitEndedOn == "" {
			continue
		}
		for _, sc := range f.Scopes {
			ok, err := s.Within(ctx, o.UnitID, sc)
			if err != nil {
				return nil, err
			}
			if ok {
				visible = append(visible, o)
				break
			}
		}
	}
	col := locale.Collator()
	slices.SortStableFunc(visible, func(a, b Official) int {
		return col.CompareString(lastWordsFirst(a.FullName), lastWordsFirst(b.FullName))
	})
	return visible, nil
}

// lastWordsFirst puts the given name first, as Vietnamese lists sort people
// by tên, then họ and tên đệm.
func lastWordsFirst(name string) string {
	f := strings.Fields(name)
	if len(f) < 2 {
		return name
	}
	return f[len(f)-1] + " " + strings.Join(f[:len(f)-1], " ")
}

func (s *Store) scanOfficials(ctx context.Context, q string, args ...any) ([]Official, error) {
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var list []Official
	for rows.Next() {
		var o Official
		if err := rows.Scan(&o.ID, &o.Username, &o.FullName, &o.Email, &o.Title, &o.UnitID, &o.Disabled, &o.Locale); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range list {
		if err := s.fill(ctx, &list[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (s *Store) fill(ctx context.Context, o *Official) error {
	if u, err := s.Unit(ctx, o.UnitID, ""); err == nil {
		o.UnitName, o.UnitLabel = u.Name, u.Name
		if u.ValidTo != "" && u.ValidTo < Today() {
			o.UnitEndedOn = u.ValidTo
		}
	}
	grants, err := s.grants(ctx, s.db.Read, o.ID)
	o.Roles = grants
	if err != nil {
		return err
	}
	ids := []int64{o.UnitID}
	for _, g := range grants {
		ids = append(ids, g.ScopeID)
	}
	provinces, err := s.Provinces(ctx, ids)
	if err != nil {
		return err
	}
	o.UnitLabel = Label(o.UnitName, provinces[o.UnitID])
	for i := range o.Roles {
		o.Roles[i].ScopeLabel = ScopeLabel(o.Roles[i].ScopeName, provinces[o.Roles[i].ScopeID])
	}
	return nil
}

func (s *Store) grants(ctx context.Context, q store.Querier, user int64) ([]Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT role, scope_unit_id FROM user_roles WHERE user_id = $1`, user)
	if err != nil {
		return nil, err
	}
	var out []Grant
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Role, &g.ScopeID); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if u, err := s.Unit(ctx, out[i].ScopeID, ""); err == nil {
			out[i].ScopeName = u.Name
		}
	}
	slices.SortFunc(out, func(a, b Grant) int { return slices.Index(Roles, a.Role) - slices.Index(Roles, b.Role) })
	if out == nil {
		out = []Grant{}
	}
	return out, rows.Err()
}

// Official returns one official.
func (s *Store) Official(ctx context.Context, id int64) (Official, error) {
	list, err := s.scanOfficials(ctx, `SELECT `+officialColumns+` FROM users o WHERE o.id = $1`, id)
	if err != nil {
		return Official{}, fmt.Errorf("load official %d: %w", id, err)
	}
	if len(list) == 0 {
		return Official{}, errs.NotFound
	}
	return list[0], nil
}

// OfficialByUsername returns one official by login name.
func (s *Store) OfficialByUsername(ctx context.Context, username string) (Official, error) {
	list, err := s.scanOfficials(ctx, `SELECT `+officialColumns+` FROM users o WHERE o.username = $1`, strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return Official{}, err
	}
	if len(list) == 0 {
		return Official{}, errs.NotFound
	}
	return list[0], nil
}

// Principal loads what a request needs to know about who is acting.
func (s *Store) Principal(ctx context.Context, user int64) (*Principal, error) {
	o, err := s.Official(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("load principal %d: %w", user, err)
	}
	if o.Disabled {
		return nil, errs.Unauthorized
	}
	return &Principal{UserID: o.ID, Username: o.Username, FullName: o.FullName, UnitID: o.UnitID, Grants: o.Roles}, nil
}

func (s *Store) validateOfficial(ctx context.Context, q store.Querier, in *OfficialInput, creating bool, v *errs.Validator) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.FullName = strings.Join(strings.Fields(in.FullName), " ")
	in.Email = strings.TrimSpace(in.Email)
	in.Title = strings.TrimSpace(in.Title)
	if creating {
		v.Check(usernamePattern.MatchString(in.Username), "username", "username_format")
		ValidatePassword(v, "password", in.Password, in.Username)
	}
	v.Check(in.FullName != "", "fullName", "required")
	v.Text("fullName", in.FullName, errs.Name)
	v.Text("title", in.Title, errs.Name)
	v.Text("email", in.Email, errs.Name)
	if in.Email != "" {
		_, err := mail.ParseAddress(in.Email)
		v.Check(err == nil, "email", "email")
	}
	if in.UnitID == 0 {
		v.Add("unitId", "required")
	} else if _, err := s.unitWhere(ctx, q, "u.id = $2", in.UnitID, ""); err != nil {
		// Officials of units that have ended stay possible: they answer for
		// the records of the seed era (a district's reporter of 2022).
		v.Add("unitId", "not_found")
	}
	for i := range in.Roles {
		g := &in.Roles[i]
		field := fmt.Sprintf("roles[%d]", i)
		v.Check(slices.Contains(Roles, g.Role), field+".role", "one_of", strings.Join(Roles, ", "))
		if g.ScopeID == 0 {
			g.ScopeID = in.UnitID
		} else if _, err := s.unitWhere(ctx, q, "u.id = $2", g.ScopeID, ""); err != nil {
			v.Add(field+".scopeId", "not_found")
		}
	}
}

// CreateOfficial adds an official with a password hashed by hash.
func (s *Store) CreateOfficial(ctx context.Context, tx *sql.Tx, in OfficialInput) (int64, error) {
	v := errs.Validator{Context: "official"}
	s.validateOfficial(ctx, tx, &in, true, &v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	ph, err := s.passwords.Hash(in.Password)
	if err != nil {
		return 0, err
	}
	now := store.Now()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO users (username, full_name, search_name, email, title, unit_id, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		in.Username, in.FullName, locale.Fold(in.FullName), in.Email, in.Title, in.UnitID, ph, now).Scan(&id)
	if store.IsUniqueViolation(err) {
		return 0, errs.Invalid(errs.Field{Name: "username", Code: "duplicate", Args: []any{in.Username}})
	} else if err != nil {
		return 0, err
	}
	return id, s.setGrants(ctx, tx, id, in.Roles)
}

// UpdateOfficial edits name, unit, title and roles, returning the roles
// before and after for the audit trail.
func (s *Store) UpdateOfficial(ctx context.Context, tx *sql.Tx, id int64, in OfficialInput) (before, after []Grant, err error) {
	v := errs.Validator{Context: "official"}
	s.validateOfficial(ctx, tx, &in, false, &v)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	before, err = s.grants(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET full_name = $1, search_name = $2, email = $3, title = $4, unit_id = $5, updated_at = $6 WHERE id = $7`,
		in.FullName, locale.Fold(in.FullName), in.Email, in.Title, in.UnitID, store.Now(), id)
	if err != nil {
		return nil, nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil, errs.NotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, id); err != nil {
		return nil, nil, err
	}
	if err := s.setGrants(ctx, tx, id, in.Roles); err != nil {
		return nil, nil, err
	}
	after, err = s.grants(ctx, tx, id)
	return before, after, err
}

func (s *Store) setGrants(ctx context.Context, tx *sql.Tx, user int64, grants []Grant) error {
	seen := map[Grant]bool{}
	for _, g := range grants {
		g.ScopeName, g.ScopeLabel = "", ""
		if seen[g] {
			continue
		}
		seen[g] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role, scope_unit_id) VALUES ($1, $2, $3)`, user, g.Role, g.ScopeID); err != nil {
			return err
		}
	}
	return nil
}

// SetDisabled enables or disables an account.
func (s *Store) SetDisabled(ctx context.Context, tx *sql.Tx, id int64, disabled bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`, disabled, store.Now(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFound
	}
	return nil
}

// PasswordHash returns the stored hash of a user and whether the account
// is disabled.
func (s *Store) PasswordHash(ctx context.Context, username string) (id int64, hash string, disabled bool, err error) {
	err = s.db.Read.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM users WHERE username = $1`,
		strings.ToLower(strings.TrimSpace(username))).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		err = errs.NotFound
	}
	return
}

// SetPasswordHash stores a new password hash.
func (s *Store) SetPasswordHash(ctx context.Context, tx *sql.Tx, id int64, hash string) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, store.Now(), id)
	return err
}

// SetLocale stores the language an official chose.
func (s *Store) SetLocale(ctx context.Context, id int64, lang string) error {
	_, err := s.db.Write.ExecContext(ctx, `UPDATE users SET locale = $1 WHERE id = $2`, lang, id)
	return err
}
