-- The OpenAI Batch API: uploaded JSONL files and the batches made of them. An input file's bytes live in its row; a
-- batch's output and error files are rows without content, rendered from the batch and its job's result on download.
CREATE TABLE files (
    id          varchar(64)  PRIMARY KEY,
    user_id     uuid         NOT NULL,
    purpose     varchar(32)  NOT NULL,
    filename    varchar(255) NOT NULL,
    bytes       bigint       NOT NULL,
    content     bytea,
    batch_id    varchar(64),
    created_at  timestamptz  NOT NULL
);
-- "my files, newest first", paged by (created_at, id)
CREATE INDEX files_by_user ON files (user_id, created_at DESC, id DESC);

CREATE TABLE batches (
    id                 varchar(64)  PRIMARY KEY,
    user_id            uuid         NOT NULL,
    endpoint           varchar(64)  NOT NULL,
    input_file_id      varchar(64)  NOT NULL,
    completion_window  varchar(16)  NOT NULL,
    -- in_progress until finalized (then completed), or failed at validation; a job's end shows through job_id
    status             varchar(16)  NOT NULL,
    job_id             uuid,
    -- JSON: each line of the input file in order, with its inputs' count and tokens or the error it got
    plan               bytea        NOT NULL,
    -- JSON: why validation failed the whole file
    errors             bytea,
    metadata           bytea,
    output_file_id     varchar(64),
    error_file_id      varchar(64),
    created_at         timestamptz  NOT NULL,
    finished_at        timestamptz,
    version            integer      NOT NULL DEFAULT 0
);
CREATE INDEX batches_by_user ON batches (user_id, created_at DESC, id DESC);
