-- The review chain (R17-R22, R19, R34): calendar additions, approved
-- documents, merchant onboarding, applications in rounds, reviews with
-- computed deadlines, agreements with SM2 signatures, and the inbox.

-- Days the authority adds to the official schedule (next year's 调休).
CREATE TABLE calendar_days (
    date        TEXT    PRIMARY KEY,      -- YYYY-MM-DD
    kind        TEXT    NOT NULL,         -- holiday, workday
    name        TEXT    NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Versioned texts the authority approves before use (R18.1, R19.1).
CREATE TABLE review_documents (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,         -- onboarding_rules, agreement_template
    version     INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,         -- text, or the clauses as JSON
    status      TEXT    NOT NULL,         -- draft, approved, retired
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    approved_by INTEGER,
    approved_at INTEGER,
    UNIQUE (kind, version)
);

-- Attachments of registrations and applications (sniffed type, capped size).
CREATE TABLE review_files (
    id           INTEGER PRIMARY KEY,
    owner_type   TEXT    NOT NULL,        -- registration, application
    owner_id     INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sm3          TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX review_files_owner ON review_files(owner_type, owner_id);

CREATE TABLE merchant_registrations (
    id                 INTEGER PRIMARY KEY,
    company            TEXT    NOT NULL,
    uscc               TEXT    NOT NULL,
    legal_rep          TEXT    NOT NULL,
    contact_name       TEXT    NOT NULL,
    contact_phone      TEXT    NOT NULL,
    contact_email      TEXT    NOT NULL,
    business_scope     TEXT    NOT NULL,
    security_statement TEXT    NOT NULL,
    username           TEXT    NOT NULL,
    password_hash      TEXT    NOT NULL,
    token_digest       TEXT    NOT NULL,
    rules_doc_id       INTEGER NOT NULL REFERENCES review_documents(id),
    status             TEXT    NOT NULL,
    submitted_at       INTEGER NOT NULL,
    accepted_at        INTEGER,
    due_at             INTEGER,
    decided_at         INTEGER,
    decided_by         INTEGER,
    reason             TEXT    NOT NULL DEFAULT '',
    org_id             INTEGER REFERENCES orgs(id),
    updated_at         INTEGER NOT NULL
);
CREATE INDEX merchant_registrations_uscc ON merchant_registrations(uscc);
CREATE INDEX merchant_registrations_status ON merchant_registrations(status);

-- Every onboarding decision and status change, for the R18.3 report.
CREATE TABLE merchant_events (
    id              INTEGER PRIMARY KEY,
    registration_id INTEGER NOT NULL REFERENCES merchant_registrations(id),
    event           TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    time            INTEGER NOT NULL
);
CREATE INDEX merchant_events_time ON merchant_events(time);

CREATE TABLE merchant_reports (
    id          INTEGER PRIMARY KEY,
    period_from INTEGER NOT NULL,
    period_to   INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE applications (
    id              INTEGER PRIMARY KEY,
    merchant_org_id INTEGER NOT NULL REFERENCES orgs(id),
    round           INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX applications_merchant ON applications(merchant_org_id);
CREATE INDEX applications_status ON applications(status);

-- One row per round: the content as submitted and the compliance check.
CREATE TABLE application_rounds (
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    round           INTEGER NOT NULL,
    title           TEXT    NOT NULL,
    scenario        TEXT    NOT NULL,
    tags            TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    term_start      TEXT    NOT NULL,
    term_end        TEXT    NOT NULL,
    security        TEXT    NOT NULL,
    submitted_by    INTEGER NOT NULL,
    submitted_at    INTEGER NOT NULL,
    check_due       INTEGER NOT NULL,
    checked_at      INTEGER,
    checked_by      INTEGER,
    check_passed    INTEGER,
    check_reason    TEXT    NOT NULL DEFAULT '',
    outcome         TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, round)
);

CREATE TABLE application_items (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    round           INTEGER NOT NULL,
    entry_id        INTEGER NOT NULL REFERENCES catalog_entries(id),
    entry_code      TEXT    NOT NULL,
    entry_name      TEXT    NOT NULL,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    region          TEXT    NOT NULL,
    fields          TEXT    NOT NULL       -- comma-separated field names
);
CREATE INDEX application_items_app ON application_items(application_id, round);

CREATE TABLE reviews (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    round           INTEGER NOT NULL,
    kind            TEXT    NOT NULL,      -- source_dept, county, operator
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    status          TEXT    NOT NULL,      -- open, approved, rejected, deemed_approved, closed
    opened_at       INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,      -- computed, end of the Nth working day (R21.1)
    ext_days        INTEGER NOT NULL DEFAULT 0,
    ext_reason      TEXT    NOT NULL DEFAULT '',
    ext_at          INTEGER,
    ext_by          INTEGER,
    decided_at      INTEGER,
    decided_by      INTEGER,
    reason          TEXT    NOT NULL DEFAULT '',
    rule            TEXT    NOT NULL DEFAULT '',
    duration_us     INTEGER,
    UNIQUE (application_id, round, org_id)
);
-- The sweeper's query: open reviews by deadline.
CREATE INDEX reviews_open_due ON reviews(status, due_at);
CREATE INDEX reviews_org ON reviews(org_id, status);

-- Platform-held SM2 keys, one per organization; the private key is sealed
-- with SM4 under a key kept in the data directory (see agreement_keys.go).
CREATE TABLE org_keys (
    org_id       INTEGER PRIMARY KEY REFERENCES orgs(id),
    public_key   BLOB    NOT NULL,
    sealed_key   BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Workspaces and other capabilities read agreements WHERE status = 'effective'.
CREATE TABLE agreements (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    round           INTEGER NOT NULL,
    template_id     INTEGER NOT NULL REFERENCES review_documents(id),
    merchant_org_id INTEGER NOT NULL REFERENCES orgs(id),
    operator_org_id INTEGER NOT NULL REFERENCES orgs(id),
    title           TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    digest          TEXT    NOT NULL,
    term_start      TEXT    NOT NULL,
    term_end        TEXT    NOT NULL,
    end_at          INTEGER NOT NULL,      -- end of term_end, Beijing time (R34.1)
    status          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    effective_at    INTEGER,
    ended_at        INTEGER,
    end_reason      TEXT    NOT NULL DEFAULT '',
    UNIQUE (application_id, round)
);
CREATE INDEX agreements_status_end ON agreements(status, end_at);
CREATE INDEX agreements_merchant ON agreements(merchant_org_id);

CREATE TABLE agreement_signatures (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    party        TEXT    NOT NULL,         -- merchant, operator
    org_id       INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    username     TEXT    NOT NULL,
    public_key   BLOB    NOT NULL,
    signature    BLOB    NOT NULL,
    signed_at    INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, party)
);

-- The inbox (R20.2, R21.1): a notice addresses an organization (all its
-- users) or one user; reads are per user.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL DEFAULT 0,
    user_id     INTEGER NOT NULL DEFAULT 0,
    kind        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL DEFAULT '',
    object_type TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    link        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX notices_org ON notices(org_id, id);
CREATE INDEX notices_user ON notices(user_id, id);

CREATE TABLE notice_reads (
    notice_id   INTEGER NOT NULL REFERENCES notices(id),
    user_id     INTEGER NOT NULL,
    read_at     INTEGER NOT NULL,
    PRIMARY KEY (notice_id, user_id)
);
