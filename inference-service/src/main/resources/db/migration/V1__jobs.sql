-- Async jobs: the inputs (JSON) and the result (float32 vectors) live in the row; events only carry the id.
CREATE TABLE jobs (
    id             uuid         PRIMARY KEY,
    user_id        uuid         NOT NULL,
    type           varchar(32)  NOT NULL,
    model          varchar(128) NOT NULL,
    model_version  varchar(64)  NOT NULL,
    status         varchar(16)  NOT NULL,
    inputs         bytea        NOT NULL,
    item_count     integer      NOT NULL,
    done_count     integer      NOT NULL DEFAULT 0,
    attempts       integer      NOT NULL DEFAULT 0,
    result         bytea,
    error_code     varchar(64),
    error_message  varchar(1000),
    created_at     timestamptz  NOT NULL,
    started_at     timestamptz,
    finished_at    timestamptz,
    version        integer      NOT NULL DEFAULT 0
);
-- "my jobs, newest first", paged by (created_at, id)
CREATE INDEX jobs_by_user ON jobs (user_id, created_at DESC, id DESC);
