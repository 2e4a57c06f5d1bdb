-- Authorization, registration and disclosure (issue 15): the operator's
-- authorization agreement and its scope (R13.1, R4.1, NIMP.3), the mode and
-- scope recorded on each application, registration (登记) of resources and
-- products (NREG.1-8), the annual disclosure (R32.1, NDIS.1), the
-- implementation plan (R12.1, NIMP.2), the register of pre-existing
-- channels (R15.1) and the operator's periodic operations reports (R32.1).

CREATE TABLE operator_authorizations (
    id               INTEGER PRIMARY KEY,
    number           TEXT    NOT NULL UNIQUE,
    authority_org_id INTEGER NOT NULL REFERENCES orgs(id),
    operator_org_id  INTEGER NOT NULL REFERENCES orgs(id),
    title            TEXT    NOT NULL,
    mode             TEXT    NOT NULL,          -- whole, domain, scenario (R4.1)
    term_start       TEXT    NOT NULL,          -- YYYY-MM-DD
    term_end         TEXT    NOT NULL,          -- YYYY-MM-DD inclusive, at most 5 years (NIMP.3)
    items_json       TEXT    NOT NULL,          -- the 13 items
    text             TEXT    NOT NULL,          -- the rendered agreement, signed by digest
    digest           TEXT    NOT NULL,          -- SM3 of text, hex
    status           TEXT    NOT NULL,          -- draft, signed, effective, ended
    filing_number    TEXT    NOT NULL DEFAULT '', -- provincial filing (备案)
    filed_at         INTEGER,
    ended_on         TEXT    NOT NULL DEFAULT '', -- last day when ended early (exit)
    end_reason       TEXT    NOT NULL DEFAULT '',
    created_by       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    effective_at     INTEGER
);
CREATE INDEX operator_authorizations_status ON operator_authorizations(status, term_start, term_end);

-- What an authorization covers: kind entry (value = catalog entry id),
-- domain (value = top-level category code), scenario (value = its name).
CREATE TABLE authorization_scope (
    authorization_id INTEGER NOT NULL REFERENCES operator_authorizations(id),
    kind             TEXT    NOT NULL,
    value            TEXT    NOT NULL,
    PRIMARY KEY (authorization_id, kind, value)
);

CREATE TABLE authorization_signatures (
    authorization_id INTEGER NOT NULL REFERENCES operator_authorizations(id),
    party            TEXT    NOT NULL,          -- authority, operator
    org_id           INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    username         TEXT    NOT NULL,
    public_key       BLOB    NOT NULL,
    signature        BLOB    NOT NULL,
    signed_at        INTEGER NOT NULL,
    PRIMARY KEY (authorization_id, party)
);

-- The authorization each application round falls under, with its mode and
-- the part of the scope that covered it (R4.1: recorded on every application).
CREATE TABLE application_authorizations (
    application_id   INTEGER NOT NULL REFERENCES applications(id),
    round            INTEGER NOT NULL,
    authorization_id INTEGER NOT NULL REFERENCES operator_authorizations(id),
    mode             TEXT    NOT NULL,
    scope            TEXT    NOT NULL,          -- human-readable: which scope rule covered each entry
    PRIMARY KEY (application_id, round)
);

-- Registrations (登记, NREG.1-8). kind: resource (a catalog entry, by its
-- source department) or product (by the operator). type: first, change,
-- correction, renewal, cancellation; a non-first one names its parent.
CREATE TABLE registry_records (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    parent_id        INTEGER REFERENCES registry_records(id),
    subject_org_id   INTEGER NOT NULL REFERENCES orgs(id),
    entry_id         INTEGER REFERENCES catalog_entries(id),
    product_id       INTEGER REFERENCES products(id),
    name             TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    materials_json   TEXT    NOT NULL,          -- the first-registration materials (NREG.5)
    evidence_json    TEXT    NOT NULL DEFAULT '', -- 存证 (NREG.2): data version digest + audit checkpoint
    evidence_digest  TEXT    NOT NULL DEFAULT '', -- SM3 over evidence_json, hex
    status           TEXT    NOT NULL,
    code             TEXT    NOT NULL DEFAULT '',
    submitted_by     INTEGER NOT NULL,
    submitted_at     INTEGER NOT NULL,
    accept_due       INTEGER NOT NULL,          -- 3 working days (NREG.6)
    accepted_at      INTEGER,
    review_due       INTEGER,                   -- 20 working days
    reviewed_at      INTEGER,
    notice_start     INTEGER,
    notice_due       INTEGER,                   -- 10 working days of public notice
    registered_at    INTEGER,
    valid_from       TEXT    NOT NULL DEFAULT '',
    valid_until      TEXT    NOT NULL DEFAULT '', -- 3 years (NREG.8)
    reason           TEXT    NOT NULL DEFAULT '', -- of a refusal, a material request, a cancellation
    reminded         TEXT    NOT NULL DEFAULT '', -- renewal/lapse reminders sent
    updated_at       INTEGER NOT NULL
);
CREATE INDEX registry_records_status ON registry_records(status);
CREATE INDEX registry_records_subject ON registry_records(subject_org_id);
CREATE INDEX registry_records_code ON registry_records(code);

-- Real-name objections during the public notice (NREG.6).
CREATE TABLE registry_objections (
    id               INTEGER PRIMARY KEY,
    record_id        INTEGER NOT NULL REFERENCES registry_records(id),
    user_id          INTEGER NOT NULL REFERENCES users(id),
    real_name        TEXT    NOT NULL,
    text             TEXT    NOT NULL,
    evidence         TEXT    NOT NULL,
    status           TEXT    NOT NULL,          -- open, upheld, dismissed
    decision         TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    decided_at       INTEGER
);
CREATE INDEX registry_objections_record ON registry_objections(record_id);

-- Serial numbers of locally assigned codes, per prefix (type + USCC + region).
CREATE TABLE registry_serials (
    prefix           TEXT    PRIMARY KEY,
    last_serial      INTEGER NOT NULL
);

-- The annual disclosure (R32.1, NDIS.1): one per year; content generated
-- from the live records, frozen when published.
CREATE TABLE disclosures (
    year             INTEGER PRIMARY KEY,
    status           TEXT    NOT NULL,          -- draft, published
    content_json     TEXT    NOT NULL,
    digest           TEXT    NOT NULL,
    generated_at     INTEGER NOT NULL,
    generated_by     INTEGER NOT NULL,
    published_at     INTEGER,
    published_by     INTEGER
);

-- The implementation plan (R12.1, NIMP.2), versioned.
CREATE TABLE implementation_plans (
    id               INTEGER PRIMARY KEY,
    version          INTEGER NOT NULL UNIQUE,
    title            TEXT    NOT NULL,
    items_json       TEXT    NOT NULL,          -- the 12 items
    major            INTEGER NOT NULL,          -- a major change (needs the government's approval again)
    status           TEXT    NOT NULL,          -- draft, approved, filed, superseded
    approval_doc     TEXT    NOT NULL DEFAULT '', -- the city government's document number
    approval_date    TEXT    NOT NULL DEFAULT '',
    filing_number    TEXT    NOT NULL DEFAULT '', -- the provincial data department's filing
    filing_date      TEXT    NOT NULL DEFAULT '',
    created_by       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Pre-existing channels through which public data was provided (R15.1).
CREATE TABLE data_channels (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    holder           TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    assessment       TEXT    NOT NULL DEFAULT '',
    decision         TEXT    NOT NULL DEFAULT '', -- fold_in, close
    status           TEXT    NOT NULL,          -- open, assessed, folded, closed
    created_by       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- The operator's periodic operations report to the authority (R32.1).
CREATE TABLE operations_reports (
    id               INTEGER PRIMARY KEY,
    operator_org_id  INTEGER NOT NULL REFERENCES orgs(id),
    period           TEXT    NOT NULL,          -- 2026-Q1 or 2026
    content_json     TEXT    NOT NULL,
    digest           TEXT    NOT NULL,
    status           TEXT    NOT NULL,          -- submitted, acknowledged
    submitted_by     INTEGER NOT NULL,
    submitted_at     INTEGER NOT NULL,
    acknowledged_by  INTEGER,
    acknowledged_at  INTEGER,
    UNIQUE (operator_org_id, period)
);
