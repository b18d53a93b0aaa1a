package sso

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
)

// DemoClientID is the application `tinhso demo` registers and starts
// beside tinhso (internal/sso/demoapp).
const DemoClientID = "demo-motcua"

// RegisterDemoClient registers the demo's application under unitCode, or
// brings its addresses up to date, and gives it a new secret (returned;
// only its hash is kept, and the demo hands it to the application in
// memory). Audited as sso.client by "demo".
func (s *Store) RegisterDemoClient(ctx context.Context, unitCode, redirectURI, logoutURI string) (NewClient, error) {
	u, err := s.org.UnitByCode(ctx, unitCode, "")
	if err != nil {
		return NewClient{}, err
	}
	in := ClientInput{
		ID: DemoClientID, Name: "Hệ thống một cửa điện tử (ứng dụng demo)", UnitID: u.ID,
		GrantTypes: []string{GrantCode, GrantRefresh}, RedirectURIs: []string{redirectURI}, LogoutURIs: []string{logoutURI},
		Scopes: []string{"openid", "profile", "email", "offline_access", "tinhso", ScopeCitizen},
	}
	var c NewClient
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		detail := "registered by the demo"
		if _, err := s.Client(ctx, DemoClientID); errors.Is(err, errs.NotFound) {
			if c, err = s.CreateClient(ctx, tx, in, 0); err != nil {
				return err
			}
		} else if err != nil {
			return err
		} else {
			if _, err := s.UpdateClient(ctx, tx, DemoClientID, in); err != nil {
				return err
			}
			if c, err = s.NewClientSecret(ctx, tx, DemoClientID); err != nil {
				return err
			}
			c.RedirectURIs, c.LogoutURIs = in.RedirectURIs, in.LogoutURIs
			detail = "addresses and secret renewed by the demo"
		}
		return audit.Record(ctx, tx, audit.Event{Kind: audit.SSOClient, Success: true, Actor: "demo", Subject: DemoClientID, Detail: detail + ": " + describe(c.Client)})
	})
	return c, err
}
