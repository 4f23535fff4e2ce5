-- Usage metering: one row per billable call, stored from each instance's local journal. The request key makes a call
-- count once however often it is shipped or retried. Erased users' rows keep their totals without user or key.
CREATE TABLE usage_records (
    id           bigserial    PRIMARY KEY,
    request_key  varchar(64)  NOT NULL UNIQUE,
    user_id      uuid,
    api_key_id   uuid,
    model        varchar(128) NOT NULL,
    endpoint     varchar(64)  NOT NULL,
    inputs       integer      NOT NULL,
    input_tokens bigint       NOT NULL,
    created_at   timestamptz  NOT NULL
);

CREATE INDEX usage_records_user_time ON usage_records (user_id, created_at);
CREATE INDEX usage_records_time ON usage_records (created_at);
