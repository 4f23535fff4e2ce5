-- When every token of a user was last revoked (role, tier or status change, erasure): the deny-list entry is written
-- (and rewritten on a retry) from it, and new tokens are issued after its second.
ALTER TABLE users ADD COLUMN tokens_revoked_at timestamptz;

-- Failed logins per (account, client address): an attacker at one address is slowed down without locking the owner
-- out from another. users.failed_logins and users.locked_until are no longer used.
-- Rows without a new failure for meridian.users.login.forget-after (and no back-off running) are deleted.
CREATE TABLE login_failures (
    user_id         uuid        NOT NULL REFERENCES users (id),
    client          varchar(64) NOT NULL,
    failures        integer     NOT NULL,
    locked_until    timestamptz,
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client)
);
CREATE INDEX login_failures_last_failure ON login_failures (last_failure_at);
