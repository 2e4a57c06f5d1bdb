-- Output check (出域核查) and filing (备案), R23.1, R23.2, R27.1.

-- Versions of the output-check rules; one is used only once the authority
-- approved it (R23.1). The newest approved version applies.
CREATE TABLE outcheck_rules (
    id          INTEGER PRIMARY KEY,
    version     INTEGER NOT NULL UNIQUE,
    rules_json  TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,  -- proposed, approved
    proposed_by INTEGER NOT NULL,
    proposed_at INTEGER NOT NULL,
    approved_by INTEGER,
    approved_at INTEGER
);

-- Products a merchant builds from released workspace results.
CREATE TABLE products (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    scenario        TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    recipients_json TEXT    NOT NULL,
    terms           TEXT    NOT NULL DEFAULT '',
    feedback        INTEGER NOT NULL DEFAULT 0,  -- R6.2
    status          TEXT    NOT NULL,
    round           INTEGER NOT NULL DEFAULT 1,
    second_review   INTEGER NOT NULL DEFAULT 0,
    filing_no       TEXT    UNIQUE,
    filed_at        INTEGER,
    released_at     INTEGER,
    secret          TEXT    NOT NULL,  -- hex fingerprint key (R27.1); never shown
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX products_org ON products(org_id);
CREATE INDEX products_status ON products(status);

-- Tables of a product, materialized inside the domain as duck_table.
CREATE TABLE product_tables (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES products(id),
    n            INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    duck_table   TEXT    NOT NULL UNIQUE,
    query_id     INTEGER NOT NULL DEFAULT 0,
    rerun_id     INTEGER NOT NULL DEFAULT 0,
    sql_text     TEXT    NOT NULL DEFAULT '',
    columns_json TEXT    NOT NULL,
    rows_count   INTEGER NOT NULL,
    aggregate    INTEGER NOT NULL DEFAULT 0,
    counts_json  TEXT    NOT NULL DEFAULT '[]',
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (product_id, n),
    UNIQUE (product_id, name)
);

-- Source entries and versions of each table (R27.1 来源可溯).
CREATE TABLE product_sources (
    table_id   INTEGER NOT NULL REFERENCES product_tables(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    entry_id   INTEGER NOT NULL REFERENCES catalog_entries(id),
    version    INTEGER NOT NULL DEFAULT 0,
    public     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (table_id, entry_id)
);
CREATE INDEX product_sources_entry ON product_sources(entry_id);

-- The report file (PDF) attached to a product.
CREATE TABLE product_files (
    product_id  INTEGER PRIMARY KEY REFERENCES products(id),
    name        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    content     BLOB    NOT NULL,
    uploaded_by INTEGER NOT NULL,
    uploaded_at INTEGER NOT NULL
);

-- Automatic check runs, per round, with the engine's report (counts only).
CREATE TABLE product_checks (
    id            INTEGER PRIMARY KEY,
    product_id    INTEGER NOT NULL REFERENCES products(id),
    round         INTEGER NOT NULL,
    rules_version INTEGER NOT NULL,
    passed        INTEGER NOT NULL,
    failed_json   TEXT    NOT NULL,
    report_json   TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX product_checks_product ON product_checks(product_id, id);

-- Human review decisions, per round (R17.1, four eyes).
CREATE TABLE product_reviews (
    id            INTEGER PRIMARY KEY,
    product_id    INTEGER NOT NULL REFERENCES products(id),
    round         INTEGER NOT NULL,
    reviewer_id   INTEGER NOT NULL,
    reviewer_name TEXT    NOT NULL,
    decision      TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (product_id, round, reviewer_id)
);

-- Every delivery: who received what, how (R27.1 去向可查).
CREATE TABLE product_deliveries (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products(id),
    recipient   TEXT    NOT NULL,
    mark        TEXT    NOT NULL,
    fingerprint INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    table_name  TEXT    NOT NULL,
    rows_count  INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    username    TEXT    NOT NULL,
    org_id      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX product_deliveries_product ON product_deliveries(product_id, id);
