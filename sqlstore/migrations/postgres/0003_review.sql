-- The review chain (R17-R22, R19, R34): calendar additions, approved
-- documents, merchant onboarding, applications in rounds, reviews with
-- computed deadlines, agreements with SM2 signatures, and the inbox.

-- Days the authority adds to the official schedule (next year's 调休).
CREATE TABLE calendar_days (
    date        TEXT    PRIMARY KEY,      -- YYYY-MM-DD
    kind        TEXT    NOT NULL,         -- holiday, workday
    name        TEXT    NOT NULL,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Versioned texts the authority approves before use (R18.1, R19.1).
CREATE TABLE review_documents (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT    NOT NULL,         -- onboarding_rules, agreement_template
    version     BIGINT NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,         -- text, or the clauses as JSON
    status      TEXT    NOT NULL,         -- draft, approved, retired
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    approved_by BIGINT,
    approved_at BIGINT,
    UNIQUE (kind, version)
);

-- Attachments of registrations and applications (sniffed type, capped size).
CREATE TABLE review_files (
    id           BIGSERIAL PRIMARY KEY,
    owner_type   TEXT    NOT NULL,        -- registration, application
    owner_id     BIGINT NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT NOT NULL,
    sm3          TEXT    NOT NULL,
    data         BYTEA    NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX review_files_owner ON review_files(owner_type, owner_id);

CREATE TABLE merchant_registrations (
    id                 BIGSERIAL PRIMARY KEY,
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
    rules_doc_id       BIGINT NOT NULL REFERENCES review_documents(id),
    status             TEXT    NOT NULL,
    submitted_at       BIGINT NOT NULL,
    accepted_at        BIGINT,
    due_at             BIGINT,
    decided_at         BIGINT,
    decided_by         BIGINT,
    reason             TEXT    NOT NULL DEFAULT '',
    org_id             BIGINT REFERENCES orgs(id),
    updated_at         BIGINT NOT NULL
);
CREATE INDEX merchant_registrations_uscc ON merchant_registrations(uscc);
CREATE INDEX merchant_registrations_status ON merchant_registrations(status);

-- Every onboarding decision and status change, for the R18.3 report.
CREATE TABLE merchant_events (
    id              BIGSERIAL PRIMARY KEY,
    registration_id BIGINT NOT NULL REFERENCES merchant_registrations(id),
    event           TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    time            BIGINT NOT NULL
);
CREATE INDEX merchant_events_time ON merchant_events(time);

CREATE TABLE merchant_reports (
    id          BIGSERIAL PRIMARY KEY,
    period_from BIGINT NOT NULL,
    period_to   BIGINT NOT NULL,
    body        TEXT    NOT NULL,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE applications (
    id              BIGSERIAL PRIMARY KEY,
    merchant_org_id BIGINT NOT NULL REFERENCES orgs(id),
    round           BIGINT NOT NULL,
    status          TEXT    NOT NULL,
    created_by      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX applications_merchant ON applications(merchant_org_id);
CREATE INDEX applications_status ON applications(status);

-- One row per round: the content as submitted and the compliance check.
CREATE TABLE application_rounds (
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    round           BIGINT NOT NULL,
    title           TEXT    NOT NULL,
    scenario        TEXT    NOT NULL,
    tags            TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    term_start      TEXT    NOT NULL,
    term_end        TEXT    NOT NULL,
    security        TEXT    NOT NULL,
    submitted_by    BIGINT NOT NULL,
    submitted_at    BIGINT NOT NULL,
    check_due       BIGINT NOT NULL,
    checked_at      BIGINT,
    checked_by      BIGINT,
    check_passed    BOOLEAN,
    check_reason    TEXT    NOT NULL DEFAULT '',
    outcome         TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, round)
);

CREATE TABLE application_items (
    id              BIGSERIAL PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    round           BIGINT NOT NULL,
    entry_id        BIGINT NOT NULL REFERENCES catalog_entries(id),
    entry_code      TEXT    NOT NULL,
    entry_name      TEXT    NOT NULL,
    org_id          BIGINT NOT NULL REFERENCES orgs(id),
    region          TEXT    NOT NULL,
    fields          TEXT    NOT NULL       -- comma-separated field names
);
CREATE INDEX application_items_app ON application_items(application_id, round);

CREATE TABLE reviews (
    id              BIGSERIAL PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    round           BIGINT NOT NULL,
    kind            TEXT    NOT NULL,      -- source_dept, county, operator
    org_id          BIGINT NOT NULL REFERENCES orgs(id),
    status          TEXT    NOT NULL,      -- open, approved, rejected, deemed_approved, closed
    opened_at       BIGINT NOT NULL,
    due_at          BIGINT NOT NULL,      -- computed, end of the Nth working day (R21.1)
    ext_days        BIGINT NOT NULL DEFAULT 0,
    ext_reason      TEXT    NOT NULL DEFAULT '',
    ext_at          BIGINT,
    ext_by          BIGINT,
    decided_at      BIGINT,
    decided_by      BIGINT,
    reason          TEXT    NOT NULL DEFAULT '',
    rule            TEXT    NOT NULL DEFAULT '',
    duration_us     BIGINT,
    UNIQUE (application_id, round, org_id)
);
-- The sweeper's query: open reviews by deadline.
CREATE INDEX reviews_open_due ON reviews(status, due_at);
CREATE INDEX reviews_org ON reviews(org_id, status);

-- Platform-held SM2 keys, one per organization; the private key is sealed
-- with SM4 under a key kept in the data directory (see agreement_keys.go).
CREATE TABLE org_keys (
    org_id       BIGINT PRIMARY KEY REFERENCES orgs(id),
    public_key   BYTEA    NOT NULL,
    sealed_key   BYTEA    NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Workspaces and other capabilities read agreements WHERE status = 'effective'.
CREATE TABLE agreements (
    id              BIGSERIAL PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    round           BIGINT NOT NULL,
    template_id     BIGINT NOT NULL REFERENCES review_documents(id),
    merchant_org_id BIGINT NOT NULL REFERENCES orgs(id),
    operator_org_id BIGINT NOT NULL REFERENCES orgs(id),
    title           TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    digest          TEXT    NOT NULL,
    term_start      TEXT    NOT NULL,
    term_end        TEXT    NOT NULL,
    end_at          BIGINT NOT NULL,      -- end of term_end, Beijing time (R34.1)
    status          TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    effective_at    BIGINT,
    ended_at        BIGINT,
    end_reason      TEXT    NOT NULL DEFAULT '',
    UNIQUE (application_id, round)
);
CREATE INDEX agreements_status_end ON agreements(status, end_at);
CREATE INDEX agreements_merchant ON agreements(merchant_org_id);

CREATE TABLE agreement_signatures (
    agreement_id BIGINT NOT NULL REFERENCES agreements(id),
    party        TEXT    NOT NULL,         -- merchant, operator
    org_id       BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    username     TEXT    NOT NULL,
    public_key   BYTEA    NOT NULL,
    signature    BYTEA    NOT NULL,
    signed_at    BIGINT NOT NULL,
    PRIMARY KEY (agreement_id, party)
);

-- The inbox (R20.2, R21.1): a notice addresses an organization (all its
-- users) or one user; reads are per user.
CREATE TABLE notices (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL DEFAULT 0,
    user_id     BIGINT NOT NULL DEFAULT 0,
    kind        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL DEFAULT '',
    object_type TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    link        TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX notices_org ON notices(org_id, id);
CREATE INDEX notices_user ON notices(user_id, id);

CREATE TABLE notice_reads (
    notice_id   BIGINT NOT NULL REFERENCES notices(id),
    user_id     BIGINT NOT NULL,
    read_at     BIGINT NOT NULL,
    PRIMARY KEY (notice_id, user_id)
);
