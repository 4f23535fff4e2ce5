-- Semantic collections: a user's named set of documents embedded with one model version. Every change to a
-- collection's documents also updates its row, so the version column tells a search whether its in-memory index is
-- current (on this instance or after a write on another one).
CREATE TABLE collections (
    id             uuid         PRIMARY KEY,
    user_id        uuid         NOT NULL,
    name           varchar(64)  NOT NULL,
    model          varchar(128) NOT NULL,
    model_version  varchar(64)  NOT NULL,
    dimensions     integer      NOT NULL,
    document_count integer      NOT NULL DEFAULT 0,
    created_at     timestamptz  NOT NULL,
    updated_at     timestamptz  NOT NULL,
    version        integer      NOT NULL DEFAULT 0,
    UNIQUE (user_id, name)
);

CREATE TABLE documents (
    collection_id uuid          NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    doc_id        varchar(128)  NOT NULL,
    text          text          NOT NULL,
    metadata      text,
    embedding     bytea         NOT NULL,
    updated_at    timestamptz   NOT NULL,
    PRIMARY KEY (collection_id, doc_id)
);

-- index_documents jobs name the collection they fill.
ALTER TABLE jobs ADD COLUMN collection varchar(64);
-- Which instance last started a job (operators; the failover test).
ALTER TABLE jobs ADD COLUMN worker varchar(128);
