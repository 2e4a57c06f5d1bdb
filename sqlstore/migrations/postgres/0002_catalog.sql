-- The authorized-operation catalog (授权运营目录, R8.1-R8.6, R9.1, R10.2).
-- An entry is the stable identity (code, owning department); each revision
-- is one version of its content going through the approval flow. The
-- published revision is the one the public and merchants see; a newer
-- revision under review does not replace it until it is published.
-- Other capabilities read published entries as
--   catalog_entries e JOIN catalog_revisions r ON r.id = e.published_rev_id
-- and their fields from catalog_fields WHERE revision_id = e.published_rev_id.
CREATE TABLE catalog_categories (
    id         BIGSERIAL PRIMARY KEY,
    parent_id  BIGINT  REFERENCES catalog_categories(id),
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

CREATE TABLE catalog_entries (
    id               BIGSERIAL PRIMARY KEY,
    code             TEXT    NOT NULL UNIQUE,          -- resource code
    org_id           BIGINT  NOT NULL REFERENCES orgs(id), -- provider (信息资源提供方)
    region           TEXT    NOT NULL,                 -- city or county code
    published_rev_id BIGINT ,                          -- NULL until first published
    mounted          BOOLEAN NOT NULL DEFAULT FALSE,       -- data attached in the domain (R10.2)
    mounted_at       BIGINT ,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX catalog_entries_org ON catalog_entries(org_id);
CREATE INDEX catalog_entries_published ON catalog_entries(published_rev_id);

CREATE TABLE catalog_revisions (
    id              BIGSERIAL PRIMARY KEY,
    entry_id        BIGINT  NOT NULL REFERENCES catalog_entries(id),
    version         INTEGER NOT NULL,
    status          TEXT    NOT NULL,  -- draft, county_review, city_review, returned, approved, published, superseded
    name            TEXT    NOT NULL,
    summary         TEXT    NOT NULL,
    category_id     BIGINT  REFERENCES catalog_categories(id),
    grade           TEXT    NOT NULL,  -- core, important, general
    grade_level     INTEGER NOT NULL DEFAULT 0,
    open_attr       TEXT    NOT NULL,  -- unconditional, conditional, prohibited
    public_source   BOOLEAN NOT NULL DEFAULT FALSE,
    auth_mode       TEXT    NOT NULL,  -- whole, domain, scenario
    update_freq     TEXT    NOT NULL,  -- realtime, daily, weekly, monthly, quarterly, yearly, irregular
    time_span       TEXT    NOT NULL DEFAULT '',
    volume          TEXT    NOT NULL DEFAULT '',
    return_reason   TEXT    NOT NULL DEFAULT '',
    consent_by      TEXT    NOT NULL DEFAULT '',  -- authority user whose approval is the consent to push (R8.6)
    consent_at      BIGINT ,
    published_at    BIGINT ,
    created_by      BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE INDEX catalog_revisions_status ON catalog_revisions(status);
CREATE INDEX catalog_revisions_entry ON catalog_revisions(entry_id);

CREATE TABLE catalog_fields (
    id           BIGSERIAL PRIMARY KEY,
    revision_id  BIGINT  NOT NULL REFERENCES catalog_revisions(id),
    position     INTEGER NOT NULL,
    name         TEXT    NOT NULL,  -- column name in the domain
    label        TEXT    NOT NULL,  -- Chinese label (信息项名称)
    data_type    TEXT    NOT NULL,  -- string, integer, decimal, boolean, date, datetime, month, timestamp
    description  TEXT    NOT NULL DEFAULT '',
    pi           BOOLEAN NOT NULL DEFAULT FALSE,
    sensitive_pi BOOLEAN NOT NULL DEFAULT FALSE,
    trade_secret BOOLEAN NOT NULL DEFAULT FALSE,
    grade        TEXT    NOT NULL,
    UNIQUE (revision_id, name)
);

-- Every step of an entry's flow, shown as its history to those who may see
-- its work (the audit trail, written in the same transaction, is for
-- auditors and regulators).
CREATE TABLE catalog_history (
    id          BIGSERIAL PRIMARY KEY,
    entry_id    BIGINT  NOT NULL REFERENCES catalog_entries(id),
    revision_id BIGINT  NOT NULL REFERENCES catalog_revisions(id),
    action      TEXT    NOT NULL,
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL,
    actor_id    BIGINT  NOT NULL,
    actor_name  TEXT    NOT NULL,
    org_id      BIGINT  NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL
);
CREATE INDEX catalog_history_entry ON catalog_history(entry_id, id);

-- Demands for data not yet in the catalog (R9.1).
CREATE TABLE catalog_demands (
    id               BIGSERIAL PRIMARY KEY,
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    scenario         TEXT    NOT NULL DEFAULT '',
    requester_org_id BIGINT  NOT NULL REFERENCES orgs(id),
    requester_id     BIGINT  NOT NULL,
    routed_org_id    BIGINT  REFERENCES orgs(id),
    entry_id         BIGINT  REFERENCES catalog_entries(id),
    status           TEXT    NOT NULL,  -- open, routed, accepted, fulfilled, rejected
    response         TEXT    NOT NULL DEFAULT '',
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX catalog_demands_status ON catalog_demands(status);

-- Bumped whenever the published catalog changes, so every server process
-- (several may share one PostgreSQL) knows when its search cache is stale.
CREATE TABLE catalog_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    gen BIGINT  NOT NULL
);
INSERT INTO catalog_generation (id, gen) VALUES (1, 0);

-- Search over published entries: name, summary, field labels and the
-- department's name, one row per entry. The pg_trgm GIN index answers
-- ILIKE substrings of 3+ characters; shorter queries scan the same text.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE catalog_search (
    entry_id BIGINT PRIMARY KEY REFERENCES catalog_entries(id),
    body     TEXT   NOT NULL
);
CREATE INDEX catalog_search_trgm ON catalog_search USING gin (body gin_trgm_ops);

-- The default category tree (分类), after the themes of national open-data portals; the authority edits it (R8.3).
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '01', '信用服务', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '02', '医疗卫生', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '02'), '0201', '医疗服务', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '02'), '0202', '医疗保障', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '02'), '0203', '疾病防控', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '03', '社保就业', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '03'), '0301', '社会保险', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '03'), '0302', '就业创业', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '04', '公共安全', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '04'), '0401', '人口管理', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '05', '城建住房', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '05'), '0501', '不动产', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '06', '交通运输', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '06'), '0601', '公共交通', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '07', '教育文化', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '08', '科技创新', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '09', '资源能源', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '10', '生态环境', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '11', '农业农村', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '12', '商贸流通', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '13', '财税金融', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '14', '安全生产', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '15', '市场监管', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES ((SELECT id FROM catalog_categories WHERE code = '15'), '1501', '市场主体', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '16', '社会救助', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '17', '法律服务', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '18', '生活服务', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '19', '气象服务', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '20', '地理空间', 0);
INSERT INTO catalog_categories (parent_id, code, name, created_at) VALUES (NULL, '21', '机构团体', 0);
