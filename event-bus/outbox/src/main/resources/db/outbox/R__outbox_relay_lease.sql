-- Which instance's relay publishes the outbox when several instances share it: a lease the holder renews on every poll
-- and another instance takes once it has expired. Repeatable (and idempotent), so it also reaches databases whose
-- service migrations are already past the outbox's version 0.1.
CREATE TABLE IF NOT EXISTS outbox_relay_lease (
    id         smallint     PRIMARY KEY CHECK (id = 1),
    holder     varchar(200) NOT NULL,
    expires_at timestamptz  NOT NULL
);
INSERT INTO outbox_relay_lease (id, holder, expires_at) VALUES (1, '', 'epoch') ON CONFLICT (id) DO NOTHING;
