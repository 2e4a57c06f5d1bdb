-- Workspaces (开发利用环境, R14.1): opened by an agreement over exactly the
-- granted entries and fields for its term. agreement_id is NULL when the
-- operator opens one by hand (a trial, the demo); it has no foreign key so
-- that this migration does not depend on the agreements' one.
CREATE TABLE workspaces (
    id            BIGSERIAL PRIMARY KEY,
    org_id        BIGINT  NOT NULL REFERENCES orgs(id),
    agreement_id  BIGINT  UNIQUE,
    name          TEXT    NOT NULL,
    status        TEXT    NOT NULL,  -- active, frozen, closed (expired is computed from ends_at)
    status_reason TEXT    NOT NULL DEFAULT '',
    k             INTEGER NOT NULL,
    epsilon       DOUBLE PRECISION    NOT NULL DEFAULT 0,
    secret        TEXT    NOT NULL,  -- hex HMAC-SM3 masking key (R28.5); never shown
    starts_at     BIGINT  NOT NULL,
    ends_at       BIGINT  NOT NULL,
    created_by    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX workspaces_org ON workspaces(org_id);

-- One granted entry: its table name, the view in the domain, and the
-- granted fields with the policy derived at opening (JSON).
CREATE TABLE workspace_grants (
    workspace_id BIGINT  NOT NULL REFERENCES workspaces(id),
    entry_id     BIGINT  NOT NULL REFERENCES catalog_entries(id),
    table_name   TEXT    NOT NULL,
    fields_json  TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, entry_id),
    UNIQUE (workspace_id, table_name)
);

-- Tables made inside a workspace: simulated twins (R6.1, free to see) and
-- withheld row-level results (kept in the domain, R4.2).
CREATE TABLE workspace_tables (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces(id),
    kind         TEXT    NOT NULL,  -- simulated, withheld
    name         TEXT    NOT NULL,
    source       TEXT    NOT NULL,  -- physical table
    person_key   TEXT    NOT NULL DEFAULT '',
    columns_json TEXT    NOT NULL,
    rows_count   BIGINT  NOT NULL DEFAULT 0,
    query_id     BIGINT ,
    created_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, kind, name)
);

-- Every query: text, decision, reasons, rules hit, result shape (never
-- values) and metering (R14.2, R27.1).
CREATE TABLE workspace_queries (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT  NOT NULL REFERENCES workspaces(id),
    user_id       BIGINT  NOT NULL,
    username      TEXT    NOT NULL,
    sql_text      TEXT    NOT NULL,
    data          TEXT    NOT NULL,  -- real, simulated
    status        TEXT    NOT NULL,  -- released, withheld, rejected
    reasons_json  TEXT    NOT NULL,
    rules_json    TEXT    NOT NULL,
    shape_json    TEXT    NOT NULL,
    cpu_us        BIGINT  NOT NULL DEFAULT 0,
    wall_us       BIGINT  NOT NULL DEFAULT 0,
    rows_scanned  BIGINT  NOT NULL DEFAULT 0,
    rows_returned BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX workspace_queries_ws ON workspace_queries(workspace_id, id);

-- The release record (sandbox.ReleaseLog): per released result its time,
-- statement digest, differential-privacy epsilon spent and released cells
-- (group and filter digests with person counts, never values). The
-- differencing check (R28.3) and the DP budget read it back.
CREATE TABLE workspace_releases (
    id           BIGSERIAL PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces(id),
    query_id     BIGINT ,
    at           BIGINT  NOT NULL,
    sql_hash     TEXT    NOT NULL,
    epsilon      DOUBLE PRECISION NOT NULL DEFAULT 0,
    cells_json   TEXT    NOT NULL
);
CREATE INDEX workspace_releases_ws ON workspace_releases(workspace_id, id);
