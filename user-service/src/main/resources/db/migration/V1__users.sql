-- Accounts. email is stored normalised (trimmed, lower case); the unique index makes concurrent sign-ups race safely.
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         varchar(320) NOT NULL,
    password_hash varchar(255) NOT NULL,
    display_name  varchar(100) NOT NULL,
    admin         boolean      NOT NULL DEFAULT false,
    tier          varchar(16)  NOT NULL DEFAULT 'FREE',
    status        varchar(16)  NOT NULL DEFAULT 'ACTIVE',
    failed_logins integer      NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    version       bigint       NOT NULL DEFAULT 0,
    created_at    timestamptz  NOT NULL,
    updated_at    timestamptz  NOT NULL,
    erased_at     timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_listing ON users (id);

-- Refresh tokens: only a SHA-256 of the random token is stored. A family is one login's chain of rotations.
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id),
    family_id  uuid        NOT NULL,
    token_hash bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- API keys (mk_...): only a SHA-256 and a short visible prefix are stored.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    user_id      uuid         NOT NULL REFERENCES users (id),
    name         varchar(100) NOT NULL,
    prefix       varchar(16)  NOT NULL,
    key_hash     bytea        NOT NULL UNIQUE,
    created_at   timestamptz  NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- JWT signing keys. The private key is encrypted (AES-256-GCM) with the service's master key; the public key is
-- published in the JWKS until every token it signed has expired.
CREATE TABLE signing_keys (
    kid             varchar(64) PRIMARY KEY,
    public_key      bytea       NOT NULL,
    private_key_enc bytea       NOT NULL,
    created_at      timestamptz NOT NULL,
    retired_at      timestamptz
);

-- Who did what to whom, for admin actions and security-relevant changes.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    actor_id       uuid,
    action         varchar(64) NOT NULL,
    target_user_id uuid,
    details        varchar(1000),
    created_at     timestamptz NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target_user_id);
