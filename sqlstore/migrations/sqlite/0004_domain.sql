-- The data domain's metadata (R10.1, R10.2, R11.1, R26.1, R27.3). The data
-- itself lives in the sealed DuckDB domain (package vault); these tables say
-- who supplied what, what is mounted, which quality issues are open and
-- which supply is suspended.

-- Quality rules per field that the catalog does not carry: value formats
-- (citizen ID, USCC, mobile, date text), required, unique key, enumeration,
-- range. An explicit mapping, never guessed from field names.
CREATE TABLE domain_field_rules (
    entry_id   INTEGER NOT NULL REFERENCES catalog_entries(id),
    field      TEXT    NOT NULL,
    format     TEXT    NOT NULL DEFAULT '',
    required   INTEGER NOT NULL DEFAULT 0,
    uniq       INTEGER NOT NULL DEFAULT 0,
    enum_json  TEXT    NOT NULL DEFAULT '',
    min_value  REAL,
    max_value  REAL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (entry_id, field)
);

-- Mounting (挂接, R10.2): the entry's name in the domain and its current version.
CREATE TABLE domain_mounts (
    entry_id      INTEGER PRIMARY KEY REFERENCES catalog_entries(id),
    vault_name    TEXT    NOT NULL UNIQUE,
    version       INTEGER NOT NULL DEFAULT 0,
    rows_count    INTEGER NOT NULL DEFAULT 0,
    quality       REAL    NOT NULL DEFAULT 0,
    loaded_at     INTEGER,
    public_source INTEGER NOT NULL DEFAULT 0,
    non_public    INTEGER NOT NULL DEFAULT 0
);

-- Supply jobs (R10.1): one upload or drop-directory file.
CREATE TABLE domain_jobs (
    id            INTEGER PRIMARY KEY,
    entry_id      INTEGER NOT NULL REFERENCES catalog_entries(id),
    org_id        INTEGER NOT NULL,     -- owning department of the entry
    uploader_id   INTEGER NOT NULL,
    uploader_org  INTEGER NOT NULL,
    source        TEXT    NOT NULL,     -- upload, drop, demo
    file_name     TEXT    NOT NULL,
    format        TEXT    NOT NULL,
    size_bytes    INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL,     -- queued, loading, done, failed
    progress_rows INTEGER NOT NULL DEFAULT 0,
    error_code    TEXT    NOT NULL DEFAULT '',
    error_message TEXT    NOT NULL DEFAULT '',
    errors_json   TEXT    NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 0,
    rows_count    INTEGER NOT NULL DEFAULT 0,
    quality       REAL,
    report_json   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX domain_jobs_entry ON domain_jobs(entry_id, id);
CREATE INDEX domain_jobs_status ON domain_jobs(status);

-- Quality issues (R11.1): routed to the source department, answered and
-- fixed within a deadline in working days.
CREATE TABLE domain_issues (
    id           INTEGER PRIMARY KEY,
    entry_id     INTEGER NOT NULL REFERENCES catalog_entries(id),
    org_id       INTEGER NOT NULL,     -- the source department it is routed to
    origin       TEXT    NOT NULL,     -- auto, operator, merchant
    raised_by    INTEGER NOT NULL,     -- user id, 0 for the system
    raised_org   INTEGER NOT NULL,
    job_id       INTEGER,
    field        TEXT    NOT NULL DEFAULT '',
    rule         TEXT    NOT NULL DEFAULT '',
    failed_count INTEGER NOT NULL DEFAULT 0,
    description  TEXT    NOT NULL,
    status       TEXT    NOT NULL,     -- open, answered, fixed, closed
    answer       TEXT    NOT NULL DEFAULT '',
    due_at       INTEGER NOT NULL,
    workdays     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    answered_at  INTEGER,
    fixed_at     INTEGER,
    closed_at    INTEGER
);
CREATE INDEX domain_issues_org ON domain_issues(org_id, status);
CREATE INDEX domain_issues_entry ON domain_issues(entry_id);

-- Suspensions of supply (R27.3): by entry, department or the whole platform.
CREATE TABLE domain_suspensions (
    id            INTEGER PRIMARY KEY,
    scope         TEXT    NOT NULL,    -- entry, dept, platform
    entry_id      INTEGER,
    org_id        INTEGER,
    reason        TEXT    NOT NULL,
    suspended_by  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    resumed_by    INTEGER,
    resumed_at    INTEGER,
    resume_reason TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX domain_suspensions_active ON domain_suspensions(resumed_at);

-- Lawfully obtained non-public data the operator connects (R26.1), marked.
CREATE TABLE domain_sources (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    provider    TEXT    NOT NULL,
    legal_basis TEXT    NOT NULL,
    entry_id    INTEGER REFERENCES catalog_entries(id),
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
