-- One token issuer for the platform (issue 10): the hub's consumer
-- subsystems buy their access tokens from the single sign-on provider
-- (internal/sso), which reads their client secrets from hub_credentials as
-- they are, so existing credentials keep working unchanged. The hub's own
-- token keys (Ed25519, purpose "token") signed the tokens it used to issue;
-- nothing signs or verifies with them any more.
DELETE FROM hub_keys WHERE purpose = 'token';
