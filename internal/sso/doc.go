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
// # One token issuer; the last Basic OP modules (third session)
//
//   - machine.go: clients registered elsewhere. Machines (MachineClients,
//     set by the server to the hub) owns the client ids starting hubc_: for
//     those GetClient asks it, never sso_clients, and no application may be
//     registered with such an id. Each is a fosite.DefaultClient
//     (client_credentials only; not an OpenID Connect client, so fosite
//     takes its secret by Basic or in the form, as the hub's endpoint did)
//     whose secret hash is the hub's SHA-256 ("sha256:" in secretHasher; a
//     machine secret is random, so a fast hash is as good as argon2id).
//     A client_credentials request without scope is granted the client's
//     registered scopes (RFC 6749 §3.3's default; the hub's clients: "hub").
//     TokenEndpoint is the token handler for the hub's gateway, which
//     answers POST /oauth2/token on its listener with it. AccessCache is
//     Verify from memory for the gateway: an answer kept AccessCacheTTL
//     (10 s) at most and never past the token's expiry, refusals not kept,
//     emptied when this node revokes anything (the revocation endpoint, a
//     client disabled). So a token revoked at the provider is refused at
//     once on this node and within 10 s on others; opaque tokens with
//     introspection rather than JWT access tokens, because a JWT verified
//     from the JWKS alone could not be revoked before it expires (10 min).
//     internal/hub/doc.go says the hub's side, internal/hub/tokens_test.go
//     tests it through the gateway.
//   - The token endpoint answers unsupported_grant_type for a grant it does
//     not offer (fosite says invalid_request), and a refusal's audit line
//     names the client that asked (fosite's request carries an empty client
//     until it authenticates, which left the subject blank).
//   - authorize.go: request and request_uri are refused with
//     request_not_supported / request_uri_not_supported (Core 6.1, 6.2),
//     sent to the application's address once the rest of the request is
//     valid (fosite reads them before the redirect URI, and would answer
//     invalid_request or ignore them); discovery says
//     request_parameter_supported, request_uri_parameter_supported and
//     claims_parameter_supported false. The claims parameter is ignored
//     (OAuth 2.0 §3.1): the claims are the scopes'. A registered redirect
//     URI with a query is matched whole and the code is added to its query;
//     another query, or one added, is refused on tinhso's page.
//   - RP-initiated logout's expired id_token_hint (§2: the OP SHOULD accept
//     one whose session is current): accepted when signed by a published
//     key of this provider for this issuer, and it logs the official out at
//     once; a hint naming another official asks the signed-in one to
//     confirm; a forged hint (payload altered, another key under our key
//     id, another issuer, not a JWT) is refused and audited.
//   - Tests: basicop_test.go (TestExpiredAndForgedHints, TestBasicOPModules).
//
// Not yet:
//   - the request object itself (signed request objects, request_uri),
//     the claims parameter, and private_key_jwt client authentication;
//   - organisations' own VNeID accounts, logging out of the upstream too,
//     and a page to disable a citizen account (the column is honoured);
//   - refresh and introspection of a citizen's grant are built like an
//     official's but only userinfo is exercised by a test.
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
