-- What inference-service knows about a user, from users.v1: tier (quotas) and status. An erased user's row stays as a
-- tombstone so a late or replayed event cannot bring them back.
CREATE TABLE user_profiles (
    user_id    uuid        PRIMARY KEY,
    tier       varchar(32) NOT NULL,
    status     varchar(16) NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Events already applied (users.v1 is delivered at least once): the id is recorded in the same transaction.
CREATE TABLE processed_events (
    event_id     uuid        PRIMARY KEY,
    processed_at timestamptz NOT NULL
);
