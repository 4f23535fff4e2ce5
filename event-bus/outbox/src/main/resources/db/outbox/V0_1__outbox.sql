-- Included by every service that publishes events (quarkus.flyway.locations=db/migration,db/outbox); version 0.1 runs
-- before the service's own migrations.
-- Transactional outbox: written in the same transaction as the change, published to Kafka by the relay in seq order.
CREATE TABLE outbox (
    seq          bigserial PRIMARY KEY,
    event_id     uuid         NOT NULL UNIQUE,
    event_type   varchar(128) NOT NULL,
    aggregate_id varchar(64)  NOT NULL,
    source       varchar(128) NOT NULL,
    payload      bytea        NOT NULL,
    traceparent  varchar(64),
    created_at   timestamptz  NOT NULL,
    published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;
