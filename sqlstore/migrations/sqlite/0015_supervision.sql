-- Supervision on live data (issue 16, first half): notices on source
-- departments (通报, R31.1), the yearly evaluation of the operator with its
-- rectifications (R33.1), and the register of application scenarios
-- (R16.1, R4.4). Every change is audited in the same transaction.

-- A notice covers one period. Its figures are computed from the live
-- records when it is drafted (and again on request while it is a draft);
-- publishing freezes them, so what was published is what stays published.
CREATE TABLE dept_notices (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    period_from  INTEGER NOT NULL,           -- inclusive, micros
    period_to    INTEGER NOT NULL,           -- exclusive, micros
    body         TEXT    NOT NULL DEFAULT '', -- the authority's wording
    visibility   TEXT    NOT NULL,           -- public, internal
    status       TEXT    NOT NULL,           -- draft, published, withdrawn
    computed_at  INTEGER NOT NULL,
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER,
    published_by INTEGER,
    withdrawn_at INTEGER
);
CREATE INDEX dept_notices_status ON dept_notices(status, published_at);

-- One row per source department and notice.
CREATE TABLE dept_notice_figures (
    notice_id            INTEGER NOT NULL REFERENCES dept_notices(id),
    org_id               INTEGER NOT NULL REFERENCES orgs(id),
    org_name             TEXT    NOT NULL,
    entries              INTEGER NOT NULL, -- catalog entries registered
    published            INTEGER NOT NULL, -- of which published
    mounted              INTEGER NOT NULL, -- published and mounted to data (R10.2)
    overdue_supply       INTEGER NOT NULL, -- published, update overdue by its frequency
    issues_opened        INTEGER NOT NULL, -- quality issues raised in the period
    issues_on_time       INTEGER NOT NULL,
    issues_late          INTEGER NOT NULL,
    issues_overdue       INTEGER NOT NULL, -- still unresolved past the deadline
    reviews              INTEGER NOT NULL, -- reviews opened in the period
    reviews_on_time      INTEGER NOT NULL,
    reviews_late         INTEGER NOT NULL,
    reviews_deemed       INTEGER NOT NULL, -- deemed approved by silence (R21.3)
    reviews_open_overdue INTEGER NOT NULL,
    PRIMARY KEY (notice_id, org_id)
);

-- The yearly evaluation of the operator (R33.1).
CREATE TABLE evaluations (
    id           INTEGER PRIMARY KEY,
    year         INTEGER NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES orgs(id), -- the operator evaluated
    status       TEXT    NOT NULL,                     -- draft, open, published
    score        REAL,
    grade        TEXT    NOT NULL DEFAULT '',
    summary      TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER,
    UNIQUE (year, org_id)
);

CREATE TABLE evaluation_indicators (
    id            INTEGER PRIMARY KEY,
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    position      INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    weight        INTEGER NOT NULL,
    rule          TEXT    NOT NULL,            -- ratio, penalty, manual
    metric        TEXT    NOT NULL DEFAULT '', -- the live figure it is pre-filled from
    points        INTEGER NOT NULL DEFAULT 0,  -- penalty per finding (rule penalty)
    evidence      TEXT    NOT NULL DEFAULT '', -- the evidence the authority asks for
    auto_value    REAL,
    auto_score    REAL,
    auto_evidence TEXT    NOT NULL DEFAULT '',
    final_score   REAL,                        -- set by the authority, overrides the mean
    final_note    TEXT    NOT NULL DEFAULT '',
    UNIQUE (evaluation_id, position)
);

-- Ratings from experts, departments, county authorities and merchants:
-- one per indicator and organization (a second rating replaces the first).
CREATE TABLE evaluation_inputs (
    id            INTEGER PRIMARY KEY,
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    indicator_id  INTEGER NOT NULL REFERENCES evaluation_indicators(id),
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    role          TEXT    NOT NULL,
    user_id       INTEGER NOT NULL,
    score         REAL    NOT NULL,
    comment       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (indicator_id, org_id)
);

-- A rectification a poor grade starts, due in working days.
CREATE TABLE rectifications (
    id            INTEGER PRIMARY KEY,
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    requirement   TEXT    NOT NULL,
    status        TEXT    NOT NULL,           -- open, submitted, closed
    workdays      INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    response      TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    submitted_at  INTEGER,
    closed_at     INTEGER
);
CREATE INDEX rectifications_status ON rectifications(status, due_at);

-- Application scenarios (R16.1) with their priority tags (R4.4).
CREATE TABLE scenarios (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    domain          TEXT    NOT NULL,
    tags            TEXT    NOT NULL DEFAULT '', -- comma list: livelihood, urgent_need, high_value, strategic
    data_needed     TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    status          TEXT    NOT NULL,            -- proposed, accepted, landed, rejected
    status_note     TEXT    NOT NULL DEFAULT '',
    showcase        INTEGER NOT NULL DEFAULT 0,
    one_application INTEGER NOT NULL DEFAULT 0,  -- the authority requires one scenario, one application
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    region          TEXT    NOT NULL,
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX scenarios_status ON scenarios(status);

CREATE TABLE scenario_links (
    scenario_id INTEGER NOT NULL REFERENCES scenarios(id),
    kind        TEXT    NOT NULL,  -- demand, application, product
    object_id   INTEGER NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (scenario_id, kind, object_id)
);
CREATE INDEX scenario_links_object ON scenario_links(kind, object_id);

-- The periodic report of scenarios to the authority (R16.1), frozen when filed.
CREATE TABLE scenario_reports (
    id          INTEGER PRIMARY KEY,
    period_from INTEGER NOT NULL,
    period_to   INTEGER NOT NULL,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    filed_by    INTEGER NOT NULL,
    filed_at    INTEGER NOT NULL,
    body_json   TEXT    NOT NULL
);
