-- Output check (出域核查) and filing (备案), R23.1, R23.2, R27.1.

-- Versions of the output-check rules; one is used only once the authority
-- approved it (R23.1). The newest approved version applies.
CREATE TABLE outcheck_rules (
    id          BIGSERIAL PRIMARY KEY,
    version     BIGINT NOT NULL UNIQUE,
    rules_json  TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,  -- proposed, approved
    proposed_by BIGINT NOT NULL,
    proposed_at BIGINT NOT NULL,
    approved_by BIGINT,
    approved_at BIGINT
);

-- Products a merchant builds from released workspace results.
CREATE TABLE products (
    id              BIGSERIAL PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES orgs(id),
    workspace_id    BIGINT NOT NULL REFERENCES workspaces(id),
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    scenario        TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    recipients_json TEXT    NOT NULL,
    terms           TEXT    NOT NULL DEFAULT '',
    feedback        BOOLEAN NOT NULL DEFAULT FALSE,  -- R6.2
    status          TEXT    NOT NULL,
    round           BIGINT NOT NULL DEFAULT 1,
    second_review   BOOLEAN NOT NULL DEFAULT FALSE,
    filing_no       TEXT    UNIQUE,
    filed_at        BIGINT,
    released_at     BIGINT,
    secret          TEXT    NOT NULL,  -- hex fingerprint key (R27.1); never shown
    created_by      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX products_org ON products(org_id);
CREATE INDEX products_status ON products(status);

-- Tables of a product, materialized inside the domain as duck_table.
CREATE TABLE product_tables (
    id           BIGSERIAL PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES products(id),
    n            BIGINT NOT NULL,
    name         TEXT    NOT NULL,
    duck_table   TEXT    NOT NULL UNIQUE,
    query_id     BIGINT NOT NULL DEFAULT 0,
    rerun_id     BIGINT NOT NULL DEFAULT 0,
    sql_text     TEXT    NOT NULL DEFAULT '',
    columns_json TEXT    NOT NULL,
    rows_count   BIGINT NOT NULL,
    aggregate    BOOLEAN NOT NULL DEFAULT FALSE,
    counts_json  TEXT    NOT NULL DEFAULT '[]',
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (product_id, n),
    UNIQUE (product_id, name)
);

-- Source entries and versions of each table (R27.1 来源可溯).
CREATE TABLE product_sources (
    table_id   BIGINT NOT NULL REFERENCES product_tables(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    entry_id   BIGINT NOT NULL REFERENCES catalog_entries(id),
    version    BIGINT NOT NULL DEFAULT 0,
    public     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (table_id, entry_id)
);
CREATE INDEX product_sources_entry ON product_sources(entry_id);

-- The report file (PDF) attached to a product.
CREATE TABLE product_files (
    product_id  BIGSERIAL PRIMARY KEY REFERENCES products(id),
    name        TEXT    NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT    NOT NULL,
    content     BYTEA    NOT NULL,
    uploaded_by BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL
);

-- Automatic check runs, per round, with the engine's report (counts only).
CREATE TABLE product_checks (
    id            BIGSERIAL PRIMARY KEY,
    product_id    BIGINT NOT NULL REFERENCES products(id),
    round         BIGINT NOT NULL,
    rules_version BIGINT NOT NULL,
    passed        BOOLEAN NOT NULL,
    failed_json   TEXT    NOT NULL,
    report_json   TEXT    NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX product_checks_product ON product_checks(product_id, id);

-- Human review decisions, per round (R17.1, four eyes).
CREATE TABLE product_reviews (
    id            BIGSERIAL PRIMARY KEY,
    product_id    BIGINT NOT NULL REFERENCES products(id),
    round         BIGINT NOT NULL,
    reviewer_id   BIGINT NOT NULL,
    reviewer_name TEXT    NOT NULL,
    decision      TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (product_id, round, reviewer_id)
);

-- Every delivery: who received what, how (R27.1 去向可查).
CREATE TABLE product_deliveries (
    id          BIGSERIAL PRIMARY KEY,
    product_id  BIGINT NOT NULL REFERENCES products(id),
    recipient   TEXT    NOT NULL,
    mark        TEXT    NOT NULL,
    fingerprint BOOLEAN NOT NULL,
    channel     TEXT    NOT NULL,
    table_name  TEXT    NOT NULL,
    rows_count  BIGINT NOT NULL,
    sha256      TEXT    NOT NULL,
    user_id     BIGINT NOT NULL,
    username    TEXT    NOT NULL,
    org_id      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX product_deliveries_product ON product_deliveries(product_id, id);
