-- Supervision on live data (issue 16, first half): notices on source
-- departments (通报, R31.1), the yearly evaluation of the operator with its
-- rectifications (R33.1), and the register of application scenarios
-- (R16.1, R4.4). Every change is audited in the same transaction.

-- A notice covers one period. Its figures are computed from the live
-- records when it is drafted (and again on request while it is a draft);
-- publishing freezes them, so what was published is what stays published.
CREATE TABLE dept_notices (
    id           BIGSERIAL PRIMARY KEY,
    title        TEXT    NOT NULL,
    period_from  BIGINT  NOT NULL,           -- inclusive, micros
    period_to    BIGINT  NOT NULL,           -- exclusive, micros
    body         TEXT    NOT NULL DEFAULT '', -- the authority's wording
    visibility   TEXT    NOT NULL,           -- public, internal
    status       TEXT    NOT NULL,           -- draft, published, withdrawn
    computed_at  BIGINT  NOT NULL,
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    published_at BIGINT,
    published_by BIGINT,
    withdrawn_at BIGINT
);
CREATE INDEX dept_notices_status ON dept_notices(status, published_at);

-- One row per source department and notice.
CREATE TABLE dept_notice_figures (
    notice_id            BIGINT  NOT NULL REFERENCES dept_notices(id),
    org_id               BIGINT  NOT NULL REFERENCES orgs(id),
    org_name             TEXT    NOT NULL,
    entries              BIGINT  NOT NULL, -- catalog entries registered
    published            BIGINT  NOT NULL, -- of which published
    mounted              BIGINT  NOT NULL, -- published and mounted to data (R10.2)
    overdue_supply       BIGINT  NOT NULL, -- published, update overdue by its frequency
    issues_opened        BIGINT  NOT NULL, -- quality issues raised in the period
    issues_on_time       BIGINT  NOT NULL,
    issues_late          BIGINT  NOT NULL,
    issues_overdue       BIGINT  NOT NULL, -- still unresolved past the deadline
    reviews              BIGINT  NOT NULL, -- reviews opened in the period
    reviews_on_time      BIGINT  NOT NULL,
    reviews_late         BIGINT  NOT NULL,
    reviews_deemed       BIGINT  NOT NULL, -- deemed approved by silence (R21.3)
    reviews_open_overdue BIGINT  NOT NULL,
    PRIMARY KEY (notice_id, org_id)
);

-- The yearly evaluation of the operator (R33.1).
CREATE TABLE evaluations (
    id           BIGSERIAL PRIMARY KEY,
    year         BIGINT  NOT NULL,
    org_id       BIGINT  NOT NULL REFERENCES orgs(id), -- the operator evaluated
    status       TEXT    NOT NULL,                     -- draft, open, published
    score        DOUBLE PRECISION,
    grade        TEXT    NOT NULL DEFAULT '',
    summary      TEXT    NOT NULL DEFAULT '',
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    published_at BIGINT,
    UNIQUE (year, org_id)
);

CREATE TABLE evaluation_indicators (
    id            BIGSERIAL PRIMARY KEY,
    evaluation_id BIGINT  NOT NULL REFERENCES evaluations(id),
    position      BIGINT  NOT NULL,
    name          TEXT    NOT NULL,
    weight        BIGINT  NOT NULL,
    rule          TEXT    NOT NULL,            -- ratio, penalty, manual
    metric        TEXT    NOT NULL DEFAULT '', -- the live figure it is pre-filled from
    points        BIGINT  NOT NULL DEFAULT 0,  -- penalty per finding (rule penalty)
    evidence      TEXT    NOT NULL DEFAULT '', -- the evidence the authority asks for
    auto_value    DOUBLE PRECISION,
    auto_score    DOUBLE PRECISION,
    auto_evidence TEXT    NOT NULL DEFAULT '',
    final_score   DOUBLE PRECISION,                        -- set by the authority, overrides the mean
    final_note    TEXT    NOT NULL DEFAULT '',
    UNIQUE (evaluation_id, position)
);

-- Ratings from experts, departments, county authorities and merchants:
-- one per indicator and organization (a second rating replaces the first).
CREATE TABLE evaluation_inputs (
    id            BIGSERIAL PRIMARY KEY,
    evaluation_id BIGINT  NOT NULL REFERENCES evaluations(id),
    indicator_id  BIGINT  NOT NULL REFERENCES evaluation_indicators(id),
    org_id        BIGINT  NOT NULL REFERENCES orgs(id),
    role          TEXT    NOT NULL,
    user_id       BIGINT  NOT NULL,
    score         DOUBLE PRECISION    NOT NULL,
    comment       TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    UNIQUE (indicator_id, org_id)
);

-- A rectification a poor grade starts, due in working days.
CREATE TABLE rectifications (
    id            BIGSERIAL PRIMARY KEY,
    evaluation_id BIGINT  NOT NULL REFERENCES evaluations(id),
    org_id        BIGINT  NOT NULL REFERENCES orgs(id),
    requirement   TEXT    NOT NULL,
    status        TEXT    NOT NULL,           -- open, submitted, closed
    workdays      BIGINT  NOT NULL,
    due_at        BIGINT  NOT NULL,
    response      TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT  NOT NULL,
    submitted_at  BIGINT,
    closed_at     BIGINT
);
CREATE INDEX rectifications_status ON rectifications(status, due_at);

-- Application scenarios (R16.1) with their priority tags (R4.4).
CREATE TABLE scenarios (
    id              BIGSERIAL PRIMARY KEY,
    title           TEXT    NOT NULL,
    domain          TEXT    NOT NULL,
    tags            TEXT    NOT NULL DEFAULT '', -- comma list: livelihood, urgent_need, high_value, strategic
    data_needed     TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    status          TEXT    NOT NULL,            -- proposed, accepted, landed, rejected
    status_note     TEXT    NOT NULL DEFAULT '',
    showcase        BOOLEAN NOT NULL DEFAULT FALSE,
    one_application BOOLEAN NOT NULL DEFAULT FALSE,  -- the authority requires one scenario, one application
    org_id          BIGINT  NOT NULL REFERENCES orgs(id),
    region          TEXT    NOT NULL,
    created_by      BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX scenarios_status ON scenarios(status);

CREATE TABLE scenario_links (
    scenario_id BIGINT  NOT NULL REFERENCES scenarios(id),
    kind        TEXT    NOT NULL,  -- demand, application, product
    object_id   BIGINT  NOT NULL,
    created_by  BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (scenario_id, kind, object_id)
);
CREATE INDEX scenario_links_object ON scenario_links(kind, object_id);

-- The periodic report of scenarios to the authority (R16.1), frozen when filed.
CREATE TABLE scenario_reports (
    id          BIGSERIAL PRIMARY KEY,
    period_from BIGINT  NOT NULL,
    period_to   BIGINT  NOT NULL,
    org_id      BIGINT  NOT NULL REFERENCES orgs(id),
    filed_by    BIGINT  NOT NULL,
    filed_at    BIGINT  NOT NULL,
    body_json   TEXT    NOT NULL
);
