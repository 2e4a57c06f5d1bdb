-- The authorized-operation catalog (授权运营目录, R8.1-R8.6, R9.1).
-- An entry is the stable identity (code, owning department); each revision
-- is one version of its content going through the approval flow. The
-- published revision is the one the public and merchants see; a newer
-- revision under review does not replace it until it is published.
CREATE TABLE catalog_categories (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES catalog_categories(id),
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE catalog_entries (
    id               INTEGER PRIMARY KEY,
    code             TEXT    NOT NULL UNIQUE,          -- resource code
    org_id           INTEGER NOT NULL REFERENCES orgs(id), -- provider (信息资源提供方)
    region           TEXT    NOT NULL,                 -- city or county code
    published_rev_id INTEGER,                          -- NULL until first published
    created_at       INTEGER NOT NULL
);
CREATE INDEX catalog_entries_org ON catalog_entries(org_id);

CREATE TABLE catalog_revisions (
    id            INTEGER PRIMARY KEY,
    entry_id      INTEGER NOT NULL REFERENCES catalog_entries(id),
    version       INTEGER NOT NULL,
    status        TEXT    NOT NULL,  -- draft, county_review, city_review, returned, approved, published, superseded
    name          TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    category_id   INTEGER REFERENCES catalog_categories(id),
    grade         TEXT    NOT NULL,  -- core, important, general
    grade_level   INTEGER NOT NULL DEFAULT 0,
    open_attr     TEXT    NOT NULL,  -- unconditional, conditional, prohibited
    public_source INTEGER NOT NULL DEFAULT 0,
    auth_mode     TEXT    NOT NULL,  -- whole, domain, scenario
    update_freq   TEXT    NOT NULL,  -- realtime, daily, weekly, monthly, quarterly, yearly, irregular
    time_span     TEXT    NOT NULL DEFAULT '',
    volume        TEXT    NOT NULL DEFAULT '',
    created_by    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX catalog_revisions_status ON catalog_revisions(status);

CREATE TABLE catalog_fields (
    id           INTEGER PRIMARY KEY,
    revision_id  INTEGER NOT NULL REFERENCES catalog_revisions(id),
    position     INTEGER NOT NULL,
    name         TEXT    NOT NULL,  -- column name in the domain
    label        TEXT    NOT NULL,  -- Chinese label (信息项名称)
    data_type    TEXT    NOT NULL,  -- string, integer, decimal, date, timestamp, boolean
    description  TEXT    NOT NULL DEFAULT '',
    pi           INTEGER NOT NULL DEFAULT 0,
    sensitive_pi INTEGER NOT NULL DEFAULT 0,
    trade_secret INTEGER NOT NULL DEFAULT 0,
    grade        TEXT    NOT NULL,
    UNIQUE (revision_id, name)
);
