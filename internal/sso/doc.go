// Package sso is tinhso's single sign-on: an OpenID Connect provider for
// the province's applications (issue 10), built on github.com/ory/fosite
// v0.49.0 — tinhso writes none of the protocol itself — with ID tokens
// signed through go-jose v4.
//
// # What it holds
//
//   - provider.go: the Store, fosite's configuration (PKCE required for
//     public clients, S256 only; exact scopes; refresh tokens for
//     offline_access; lifetimes 10 min / 8 h / 10 min, a client may set its
//     own) and its handlers: authorisation code, refresh, client
//     credentials, OpenID Connect (explicit and refresh), PKCE,
//     introspection, revocation. No implicit, hybrid or password grant.
//     The issuer is --base-url, or the request's own address without one.
//   - storage.go: fosite's storage in plain SQL on both engines (sso_grants,
//     migration 0011), transactional through storage.Transactional. Tokens
//     are kept by their HMAC signature, never in full. A used code and a
//     rotated refresh token stay as inactive rows, so that a replay is
//     recognised and revokes the whole grant (fosite's reuse detection);
//     of two requests racing with one code or refresh token, one wins.
//   - keys.go: RS256 signing keys in sso_keys, sealed with AES-256-GCM under
//     --sso-secret (internal/seal, which also seals officials' TOTP
//     secrets; marked unsealed without one), never logged or listed.
//     A key signs for KeyRotation (90 days) or until rotated by hand
//     (POST /api/v1/sso/keys/rotate); a retired key stays in the JWKS for
//     MaxIDTokenTTL + 24 h, so that what it signed still verifies and an
//     expired id_token_hint is still recognised. The signer verifies
//     with any published key.
//   - authorize.go: the authorisation endpoint. An official without a
//     session goes to tinhso's own login form (internal/auth) and back, with
//     a signed ticket saying when the request first came, so that
//     prompt=login and max_age are met only by a new sign-in; prompt=none,
//     login_hint (fills the form) and ui_locales (its language) are honoured.
//     Redirect URIs match exactly, the port of a loopback address included
//     (fosite alone would let it vary, RFC 8252). Consent is asked on first
//     use and remembered (sso_consents); trusted first-party clients skip it;
//     prompt=consent asks again.
//   - endpoints.go: token (audited issue and refusal; an official disabled
//     since gets nothing and the grant ends; an address failing too often is
//     throttled), userinfo (GET and POST, claims read fresh), revocation
//     (RFC 7009), introspection (RFC 7662; a disabled official's token is
//     inactive). Claims: sub (the official's id), name, preferred_username,
//     locale (profile), email (email), unit_code, unit_name and roles with
//     their scope unit (scope "tinhso"), sid.
//   - logout.go: RP-initiated logout. post_logout_redirect_uri must be one
//     the client registered, exactly; id_token_hint must be ours (an
//     expired one is accepted); without a hint for the signed-in official
//     the official confirms. Logging out ends the tinhso session and every
//     grant issued under it (their sid).
//   - client.go, api.go, pages.go: clients registered by administrators
//     (/api/v1/sso/clients, /sso/clients): confidential or public, exact
//     redirect and logout URIs, grant types, scopes, lifetimes, trusted;
//     secrets (tss_…) hashed with argon2id (internal/password) and shown
//     once; every change audited; actions sso.client.view (admins and
//     coordinators), sso.client.manage and sso.keys.manage (admins; keys on
//     the root unit) through org.Authorize.
//   - Audit kinds sso.authorize, sso.consent, sso.token, sso.refresh,
//     sso.revoke, sso.logout, sso.client, sso.key.rotate, each on success
//     and on refusal (the OAuth2 error in the detail). Logins and their
//     failures stay auth's "login".
//
// # Where it stands
//
// First session: parts 1–3 of the session's brief, and of part 4 the TOTP
// second factor and the sessions: internal/auth/totp.go (pquerna/otp v1.5.0; RFC
// 6238, 6 digits, 30 s, one step of skew, each code once; ten recovery
// codes, each once; required at login for --totp-roles, admins and
// coordinators by default, enrolled with a QR code at the next login or
// from the account page; failures audited as "login" and counted by the
// login throttle; the session records amr "pwd otp", which ID tokens
// carry) and the account page's list of sessions, each ended by a button.
// Tested on SQLite and PostgreSQL with go-oidc and x/oauth2 as the relying
// party (flow_test.go, refusal_test.go, keys_test.go, scenario_test.go,
// pages_test.go, totp_test.go).
//
// # Citizens, the demo, tinhso's own pages (second session)
//
//   - tinhso's own web UI is the provider's first-party application: same
//     origin, and its session is the single sign-on session (every grant
//     records it in sso_grants.session_hash), so one login covers tinhso and
//     every application, and a logout anywhere ends all of them. No code
//     flow from tinhso to itself (docs/sso.md says why; a tinhso part on
//     another origin would register as a trusted client). The login, TOTP,
//     consent and logout pages add the application's registered origin to
//     their CSP form-action: browsers check it on the redirects a form
//     submission goes through, and the last one is the application's
//     callback (auth.AllowFormTargets, FormTargets).
//   - demo.go, demoapp/, nationalportal/: `tinhso demo` registers the demo
//     application (RegisterDemoClient, client demo-motcua, a new secret at
//     each start), serves it on --app-addr (default the next port) and
//     prints its client id and redirect URI; demoapp is an ordinary relying
//     party on go-oidc and x/oauth2 that asks userinfo on every page, so a
//     logout anywhere shows there. nationalportal is a TEST DOUBLE OF THE
//     UPSTREAM (the national portal's SSO, VNeID) on fosite's memory
//     storage, with demo citizens at levels 1 and 2; the demo starts it as
//     the citizens' upstream.
//   - broker.go: tinhso as a relying party of an upstream provider
//     (--upstream-issuer, --upstream-client-id, TINHSO_UPSTREAM_CLIENT_SECRET,
//     --upstream-claims mapping SoDinhDanh/HoVaTen/the level to pin, name,
//     loa). GET /sso/citizen/login starts it for an authorisation request
//     (PKCE, nonce, state bound to the browser by a cookie and kept hashed in
//     sso_broker_logins, used once), /sso/citizen/callback verifies the
//     upstream's ID token, makes the citizen's account at the first login
//     (sso_citizens, linked by the personal identification number; no
//     password, unit or role; migration 0018) and opens a citizen session
//     (tinhso_citizen cookie, sso_citizen_sessions), which grants record as
//     officials' do. acr: vneid-1/vneid-2 for citizens, tinhso-pwd/tinhso-mfa
//     for officials; acr_values asking a citizen level sends the browser to
//     the upstream (again when the session's level is lower). The upstream
//     down is temporarily_unavailable for the application, a refusal or a
//     bad signature access_denied; audited as sso.broker and sso.citizen.
//     Citizens' consents in sso_citizen_consents. Claims: sub c<id>, name,
//     personal_id (scope vneid), account_type (scope tinhso).
//   - internal/auth: the account page makes recovery codes anew with a
//     current TOTP code (audited totp.recovery); org's official page has
//     "sign out everywhere" and "remove two-step verification" (POST
//     /officials/{id}/sessions/end, …/totp/reset); `tinhso user signout`
//     and `tinhso user totp-reset` for the operator.
//   - Tests: demoapp_test.go, broker_test.go, conformance_test.go,
//     account_test.go, internal/e2e/sso_test.go (Chromium: one login with
//     TOTP reaching the demo application and tinhso, logout everywhere, a
//     citizen through the portal double), internal/cli (the demo's banner,
//     discovery on its address, signout/totp-reset). docs/sso.md lists the
//     OpenID Foundation Basic/Config/RP-logout checks the tests make.
//
// Not yet:
//   - the hub's client credentials on this provider (below);
//   - an expired id_token_hint is accepted but not tested; the request
//     object, claims parameter and redirect-URI query modules of the Basic
//     OP plan are not tested (docs/sso.md);
//   - organisations' own VNeID accounts, logging out of the upstream too,
//     and a page to disable a citizen account (the column is honoured);
//   - refresh and introspection of a citizen's grant are built like an
//     official's but only userinfo is exercised by a test.
//
// For the hub (internal/hub, issue 9): its gateway takes a TokenIssuer and
// a TokenVerifier (Gateway.SetTokens) and already accepts claims naming
// only a client id. The move: register each consumer subsystem's credential
// as a client_credentials client here (same client id; scopes naming its
// services), point the TokenIssuer at this provider's token endpoint, and
// make the TokenVerifier an adapter over (*Store).Verify — a database read
// per call (0.1–0.3 ms, docs/perf.md), so with a short in-memory cache
// (until the token's expiry or 30 s) to answer "from memory" as the gateway
// asks; or issue JWT access tokens to machine clients (fosite's JWT
// strategy, verified with the JWKS in memory) at the cost of revocation
// waiting for expiry. Not done in this session.
//
// A grant lives as long as the tinhso session it was made under
// (sso_grants.session_hash): logging out anywhere, a password reset, a
// disabled account or the session's expiry ends every application's
// tokens — the token endpoint, userinfo and introspection refuse them from
// that moment, and the rows go with the hourly sweep. (So there are no
// offline tokens beyond a session yet; offline_access only asks for a
// refresh token.)
// RP-initiated logout accepts GET (and the confirmation's same-site POST);
// a cross-site POST from an application is refused by cross-origin
// protection.
package sso
