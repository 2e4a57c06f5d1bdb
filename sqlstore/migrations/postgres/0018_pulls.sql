-- Scheduled pulls from where the data lives (issue 18; R10.1, R10.2, R11.1):
-- a source per catalog entry (a PostgreSQL- or MySQL-protocol front-end
-- database, or the sharing platform's HTTP JSON interface), its mapping to
-- the entry's fields, its schedule, and one row per pull with the
-- reconciliation between source and domain. The credential is sealed with
-- the SM4 key-encryption key (sqlstore/pulls_seal.go) and never leaves the
-- store in clear except to the puller.
CREATE TABLE pull_sources (
    id           BIGSERIAL PRIMARY KEY,
    entry_id     BIGINT  NOT NULL REFERENCES catalog_entries(id),
    org_id       BIGINT  NOT NULL,     -- the entry's department
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,     -- postgres, mysql, http
    config_json  TEXT    NOT NULL,     -- PullConfig: address, table or query, mapping, mode (no secret)
    secret       TEXT    NOT NULL DEFAULT '', -- "sm4:" + base64 of the sealed password or app secret
    window_start BIGINT  NOT NULL,     -- minutes after local midnight
    window_end   BIGINT  NOT NULL,
    enabled      BOOLEAN NOT NULL,
    status       TEXT    NOT NULL,     -- new, ok, failing, overdue
    watermark    TEXT    NOT NULL DEFAULT '',
    failures     BIGINT  NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    last_run_at  BIGINT,
    next_run_at  BIGINT,
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (entry_id, name)
);
CREATE INDEX pull_sources_due ON pull_sources(enabled, next_run_at);

CREATE TABLE pull_runs (
    id              BIGSERIAL PRIMARY KEY,
    source_id       BIGINT  NOT NULL REFERENCES pull_sources(id),
    entry_id        BIGINT  NOT NULL,
    job_id          BIGINT  NOT NULL REFERENCES domain_jobs(id),
    trigger_kind    TEXT    NOT NULL,  -- schedule, manual, retry
    attempt         BIGINT  NOT NULL,
    mode            TEXT    NOT NULL,  -- snapshot, incremental
    status          TEXT    NOT NULL,  -- running, done, failed
    error_kind      TEXT    NOT NULL DEFAULT '', -- connection, authentication, mapping, quality, source, internal
    error_message   TEXT    NOT NULL DEFAULT '',
    watermark_from  TEXT    NOT NULL DEFAULT '',
    watermark_to    TEXT    NOT NULL DEFAULT '',
    source_rows     BIGINT  NOT NULL DEFAULT 0, -- rows the source counted in the pulled snapshot
    pulled_rows     BIGINT  NOT NULL DEFAULT 0, -- rows streamed into the domain
    loaded_rows     BIGINT  NOT NULL DEFAULT 0, -- rows of the stream the domain parsed
    version_rows    BIGINT  NOT NULL DEFAULT 0, -- rows of the new version
    deleted_rows    BIGINT  NOT NULL DEFAULT 0, -- rows of the previous version absent from a snapshot
    source_checksum TEXT    NOT NULL DEFAULT '', -- SM3 of the stream as the puller produced it
    domain_checksum TEXT    NOT NULL DEFAULT '', -- SM3 of the stream as the domain received it
    reconciled      BOOLEAN NOT NULL DEFAULT FALSE,
    version         BIGINT  NOT NULL DEFAULT 0,
    started_at      BIGINT  NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX pull_runs_source ON pull_runs(source_id, id);
CREATE INDEX pull_runs_status ON pull_runs(status);
