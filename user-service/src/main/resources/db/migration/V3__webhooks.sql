-- Webhook endpoints (a user's, or platform-wide ones that admins own) and their deliveries. A delivery row is both the
-- queue (status pending, in id order per endpoint) and the log users read; the first attempt of an event is unique per
-- endpoint (an event consumed twice is delivered once), replays are further rows pointing at the one they repeat.
CREATE TABLE webhook_endpoints (
    id                    uuid PRIMARY KEY,
    user_id               uuid        NOT NULL REFERENCES users (id),
    scope                 text        NOT NULL CHECK (scope IN ('user', 'platform')),
    url                   text        NOT NULL,
    description           text        NOT NULL,
    event_types           text        NOT NULL,
    enabled               boolean     NOT NULL,
    secret                text        NOT NULL,
    previous_secret       text,
    previous_secret_until timestamptz,
    failing_since         timestamptz,
    disabled_reason       text,
    disabled_at           timestamptz,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_user ON webhook_endpoints (user_id);
CREATE INDEX webhook_endpoints_platform ON webhook_endpoints (scope) WHERE scope = 'platform';

CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id       text        NOT NULL,
    event_type       text        NOT NULL,
    subject_user_id  uuid,
    payload          text        NOT NULL,
    replay_of        bigint,
    status           text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         int         NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_until      timestamptz,
    last_status_code int,
    last_error       text,
    last_latency_ms  int,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (endpoint_id, message_id) WHERE replay_of IS NULL;
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (subject_user_id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending';
