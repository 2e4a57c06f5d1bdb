-- API-service products (数据接口服务, R28.4) and data-subject authorization
-- (个人/企业授权, R28.5), issue 17. A service is a governed query template
-- inside a merchant's workspace; consumers call it with keys stored only as
-- salted SM3 digests; every call is metered and audited with digests of its
-- parameters, never the parameters themselves. Consents are chained with SM3
-- and signed with the platform's SM2 key.
CREATE TABLE api_services (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),      -- the providing merchant
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    scenario     TEXT    NOT NULL,
    template     TEXT    NOT NULL,                          -- JSON shuyu.ServiceTemplate
    consent      INTEGER NOT NULL DEFAULT 0,                -- 1: callable only for subjects with a live grant
    status       TEXT    NOT NULL,                          -- draft, check_failed, checked, filed, withdrawn
    quota_day    INTEGER NOT NULL,                          -- calls per key per day
    rate_minute  INTEGER NOT NULL,                          -- calls per key per minute
    subject_day  INTEGER NOT NULL,                          -- calls per key per subject per day
    check_report TEXT    NOT NULL DEFAULT '',
    filing_no    TEXT    NOT NULL DEFAULT '',
    filed_at     INTEGER,
    filed_by     INTEGER,
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX api_services_org ON api_services(org_id);

-- The catalog entries a service reads: a suspension of any stops it.
CREATE TABLE api_service_sources (
    service_id INTEGER NOT NULL REFERENCES api_services(id),
    entry_id   INTEGER NOT NULL REFERENCES catalog_entries(id),
    PRIMARY KEY (service_id, entry_id)
);

CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    service_id    INTEGER NOT NULL REFERENCES api_services(id),
    org_id        INTEGER NOT NULL REFERENCES orgs(id),     -- the consumer
    label         TEXT    NOT NULL,
    key_id        TEXT    NOT NULL UNIQUE,                  -- the public part of the key
    salt          BLOB    NOT NULL,
    hash          BLOB    NOT NULL,                         -- SM3(salt ‖ secret); the secret is never stored
    status        TEXT    NOT NULL,                         -- active, blocked, revoked
    status_reason TEXT    NOT NULL DEFAULT '',
    quota_day     INTEGER NOT NULL,
    rate_minute   INTEGER NOT NULL,
    subject_day   INTEGER NOT NULL,
    created_by    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX api_keys_service ON api_keys(service_id);

-- One row per answered or refused call: the metering others price.
CREATE TABLE api_calls (
    id             INTEGER PRIMARY KEY,
    service_id     INTEGER NOT NULL REFERENCES api_services(id),
    key_id         INTEGER NOT NULL REFERENCES api_keys(id),
    org_id         INTEGER NOT NULL,                        -- the consumer
    at             INTEGER NOT NULL,
    day            TEXT    NOT NULL,                        -- YYYY-MM-DD, Asia/Shanghai
    params_digest  TEXT    NOT NULL,                        -- keyed SM3 of the canonical parameters
    subject_digest TEXT    NOT NULL,                        -- keyed SM3 of the subject's ID
    consent_id     INTEGER,                                 -- the grant the call used
    outcome        TEXT    NOT NULL,                        -- answered, no_consent
    hit            INTEGER NOT NULL DEFAULT 0,              -- every match output was yes
    shape          TEXT    NOT NULL DEFAULT '',             -- output names, never values
    wall_us        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_calls_key ON api_calls(key_id, at);
CREATE INDEX api_calls_subject ON api_calls(subject_digest, at);

-- Daily counters per key (quota, misses, distinct subjects) and the
-- current minute's calls (rate limit).
CREATE TABLE api_usage (
    key_id   INTEGER NOT NULL REFERENCES api_keys(id),
    day      TEXT    NOT NULL,
    calls    INTEGER NOT NULL DEFAULT 0,
    misses   INTEGER NOT NULL DEFAULT 0,
    refused  INTEGER NOT NULL DEFAULT 0,
    subjects INTEGER NOT NULL DEFAULT 0,
    minute       INTEGER NOT NULL DEFAULT 0,                 -- Unix minute of minute_calls
    minute_calls INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day)
);

CREATE TABLE api_subject_days (
    key_id         INTEGER NOT NULL REFERENCES api_keys(id),
    day            TEXT    NOT NULL,
    subject_digest TEXT    NOT NULL,
    calls          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day, subject_digest)
);

-- Distinct subjects per key, day and ID prefix (region and birth date of a
-- citizen ID, the first 14 characters of a credit code): enumeration shows
-- as many neighbours of one prefix.
CREATE TABLE api_prefix_days (
    key_id        INTEGER NOT NULL REFERENCES api_keys(id),
    day           TEXT    NOT NULL,
    prefix_digest TEXT    NOT NULL,
    subjects      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day, prefix_digest)
);

CREATE TABLE api_flags (
    id         INTEGER PRIMARY KEY,
    key_id     INTEGER NOT NULL REFERENCES api_keys(id),
    service_id INTEGER NOT NULL REFERENCES api_services(id),
    kind       TEXT    NOT NULL,                            -- enumeration, many_subjects, many_misses
    day        TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    status     TEXT    NOT NULL,                            -- open, blocked, dismissed
    created_at INTEGER NOT NULL,
    decided_by INTEGER,
    decided_at INTEGER,
    UNIQUE (key_id, kind, day)
);

-- Data-subject authorizations (R28.5).
CREATE TABLE consents (
    id             INTEGER PRIMARY KEY,
    subject_kind   TEXT    NOT NULL,                        -- person, company
    subject_digest TEXT    NOT NULL,
    subject_hint   TEXT    NOT NULL,                        -- masked, for the subject's own list
    grantee_org_id INTEGER NOT NULL REFERENCES orgs(id),
    service_id     INTEGER REFERENCES api_services(id),
    purpose        TEXT    NOT NULL,
    fields         TEXT    NOT NULL,                        -- JSON list
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,
    status         TEXT    NOT NULL,                        -- pending, live, revoked
    created_by     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    confirmed_at   INTEGER,
    revoked_at     INTEGER
);
CREATE INDEX consents_subject ON consents(subject_digest);
CREATE INDEX consents_grantee ON consents(grantee_org_id, service_id);

-- The consent chain: every grant, confirmation and revocation, SM3-chained
-- and SM2-signed.
CREATE TABLE consent_records (
    seq        INTEGER PRIMARY KEY,
    consent_id INTEGER NOT NULL REFERENCES consents(id),
    event      TEXT    NOT NULL,                            -- request, confirm, revoke
    at         INTEGER NOT NULL,
    body       TEXT    NOT NULL,                            -- canonical JSON, digests only
    prev_hash  BLOB    NOT NULL,
    hash       BLOB    NOT NULL,
    signature  BLOB    NOT NULL,
    public_key BLOB    NOT NULL
);

-- One-time codes and subject sessions; codes and tokens only as digests.
CREATE TABLE consent_codes (
    id             INTEGER PRIMARY KEY,
    purpose        TEXT    NOT NULL,                        -- confirm, lookup, session
    subject_digest TEXT    NOT NULL,
    consent_id     INTEGER,
    code_hash      BLOB    NOT NULL,
    expires_at     INTEGER NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    used_at        INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX consent_codes_hash ON consent_codes(code_hash);
