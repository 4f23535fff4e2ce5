-- The id a billed call came with (the gateway's X-Request-Id, in its logs and traces, or the client's Idempotency-Key).
ALTER TABLE usage_records ADD COLUMN request_id varchar(128);
