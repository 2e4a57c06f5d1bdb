-- Money (issue 14): costs, the maximum allowed revenue, the price catalogue
-- with the authority's caps, charges from metering, monthly statements,
-- disputes, the cap on the whole and the revenue distribution (R14.2,
-- R24.2, R25.1, NPRC.1–5, NIMP.7). Amounts are integers in fen (分).

-- The operator's costs per year and category, net of subsidies (NPRC.2).
CREATE TABLE money_costs (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    category    TEXT    NOT NULL,   -- platform, data, staff, other
    amount_fen  INTEGER NOT NULL,
    subsidy_fen INTEGER NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (year, category)
);

-- The authority's approvals of the maximum allowed revenue, versioned per
-- year; the newest version applies.
CREATE TABLE money_allowed (
    id               INTEGER PRIMARY KEY,
    year             INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    allowed_cost_fen INTEGER NOT NULL,
    profit_rate_bp   INTEGER NOT NULL,
    profit_fen       INTEGER NOT NULL,
    tax_fen          INTEGER NOT NULL,
    max_revenue_fen  INTEGER NOT NULL,
    approval_ref     TEXT    NOT NULL,
    note             TEXT    NOT NULL DEFAULT '',
    approved_by      INTEGER NOT NULL,
    approved_at      INTEGER NOT NULL,
    UNIQUE (year, version)
);

-- Catalogue items: a service (of one product, or of the platform) and its
-- charging unit. purpose decides whether it is free by rule (NPRC.1).
CREATE TABLE money_items (
    id         INTEGER PRIMARY KEY,
    service    TEXT    NOT NULL,
    product_id INTEGER NOT NULL DEFAULT 0,
    name       TEXT    NOT NULL,
    class      TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (service, product_id, unit, name)
);

-- Versions of an item's cap and price: each applies from from_at until
-- to_at (NULL: in force). A charge takes the version in force when the
-- metered use happened.
CREATE TABLE money_prices (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES money_items(id),
    version     INTEGER NOT NULL,
    kind        TEXT    NOT NULL,   -- item, cap, price: what this version changed
    cap_fen     INTEGER NOT NULL,
    price_fen   INTEGER NOT NULL,
    price_set   INTEGER NOT NULL,
    trial_until TEXT    NOT NULL DEFAULT '',
    from_at     INTEGER NOT NULL,
    to_at       INTEGER,
    by_user     INTEGER NOT NULL,
    by_name     TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    UNIQUE (item_id, version)
);
CREATE INDEX money_prices_item ON money_prices(item_id, from_at);

-- The purpose of a workspace opened without an agreement (a trial, the
-- demo), recorded by the operator; an agreement's application decides
-- otherwise.
CREATE TABLE money_purposes (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),
    purpose      TEXT    NOT NULL,
    set_by       INTEGER NOT NULL,
    set_at       INTEGER NOT NULL
);

-- Charge lines. One per metered use and item; statement_id is set when a
-- monthly statement takes the line.
CREATE TABLE money_charges (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    item_id      INTEGER NOT NULL REFERENCES money_items(id),
    price_id     INTEGER NOT NULL REFERENCES money_prices(id),
    source       TEXT    NOT NULL,   -- workspace_query, product_delivery, api_call
    source_id    INTEGER NOT NULL,
    workspace_id INTEGER NOT NULL DEFAULT 0,
    product_id   INTEGER NOT NULL DEFAULT 0,
    quantity     INTEGER NOT NULL,
    price_fen    INTEGER NOT NULL,
    amount_fen   INTEGER NOT NULL,
    status       TEXT    NOT NULL,   -- open, billed, disputed, waived, free
    note         TEXT    NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    statement_id INTEGER,
    created_at   INTEGER NOT NULL,
    UNIQUE (source, source_id, item_id)
);
CREATE INDEX money_charges_open ON money_charges(org_id, statement_id, at);
CREATE INDEX money_charges_statement ON money_charges(statement_id);

-- How far charging has read each metering source.
CREATE TABLE money_cursors (
    source  TEXT    PRIMARY KEY,
    last_id INTEGER NOT NULL
);

-- Monthly statements (对账单) per merchant.
CREATE TABLE money_statements (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    period        TEXT    NOT NULL,
    lines         INTEGER NOT NULL,
    gross_fen     INTEGER NOT NULL,
    waived_fen    INTEGER NOT NULL DEFAULT 0,
    deduction_fen INTEGER NOT NULL,
    total_fen     INTEGER NOT NULL,
    issued_at     INTEGER NOT NULL,
    UNIQUE (org_id, period)
);
CREATE INDEX money_statements_period ON money_statements(period);

-- Disputes of a line by the merchant, resolved by the operator.
CREATE TABLE money_disputes (
    id          INTEGER PRIMARY KEY,
    charge_id   INTEGER NOT NULL REFERENCES money_charges(id),
    org_id      INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    status      TEXT    NOT NULL,   -- open, upheld, rejected
    resolution  TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    resolved_by INTEGER,
    resolved_at INTEGER
);
CREATE INDEX money_disputes_charge ON money_disputes(charge_id);

-- A closed year: revenue against the maximum (NPRC.5).
CREATE TABLE money_years (
    year            INTEGER PRIMARY KEY,
    revenue_fen     INTEGER NOT NULL,
    max_revenue_fen INTEGER NOT NULL,
    excess_fen      INTEGER NOT NULL,
    closed_by       INTEGER NOT NULL,
    closed_at       INTEGER NOT NULL
);

-- The excess of a year, apportioned to the merchants who paid it, deducted
-- from their next statements until used up.
CREATE TABLE money_deductions (
    year          INTEGER NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    amount_fen    INTEGER NOT NULL,
    remaining_fen INTEGER NOT NULL,
    PRIMARY KEY (year, org_id)
);

-- Revenue-sharing rules (R25.1), versioned per year.
CREATE TABLE money_shares (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    city_bp     INTEGER NOT NULL,
    dept_bp     INTEGER NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    approved_by INTEGER NOT NULL,
    approved_at INTEGER NOT NULL,
    UNIQUE (year, version)
);

-- The yearly distribution statement and its lines.
CREATE TABLE money_distributions (
    id            INTEGER PRIMARY KEY,
    year          INTEGER NOT NULL UNIQUE,
    share_version INTEGER NOT NULL,
    base_fen      INTEGER NOT NULL,
    created_by    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE TABLE money_distribution_lines (
    distribution_id INTEGER NOT NULL REFERENCES money_distributions(id),
    n               INTEGER NOT NULL,
    party           TEXT    NOT NULL,   -- city, dept, operator
    org_id          INTEGER NOT NULL,
    weight_fen      INTEGER NOT NULL,
    amount_fen      INTEGER NOT NULL,
    PRIMARY KEY (distribution_id, n)
);
