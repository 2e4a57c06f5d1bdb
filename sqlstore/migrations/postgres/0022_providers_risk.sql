-- Supervision on live data, third part (issue 16): service providers acting
-- for merchants under delegations (R6.3), risk assessments with their
-- measures (R27.2), emergency plans with drills, and incidents with their
-- timeline and notifications (R28.2, Art. 29). Every change is audited.

-- R6.3: a merchant delegates named tasks to a registered service provider
-- for a term; revocation takes effect at once.
CREATE TABLE delegations (
    id            BIGSERIAL PRIMARY KEY,
    merchant_org  BIGINT NOT NULL REFERENCES orgs(id),
    provider_org  BIGINT NOT NULL REFERENCES orgs(id),
    tasks         TEXT    NOT NULL,                -- comma list: application, sim_query, product
    starts_at     BIGINT NOT NULL,
    ends_at       BIGINT NOT NULL,                -- exclusive
    real_data     TEXT    NOT NULL DEFAULT 'none', -- none, requested, allowed
    agreement_id  BIGINT,                         -- the merchant's agreement cited for real data
    note          TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,                -- active, revoked
    created_by    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_by  BIGINT,
    confirmed_at  BIGINT,
    revoked_by    BIGINT,
    revoked_at    BIGINT,
    revoke_reason TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX delegations_provider ON delegations(provider_org, status);
CREATE INDEX delegations_merchant ON delegations(merchant_org, status);

-- R27.2: a periodic risk assessment over key supervision points.
CREATE TABLE risk_assessments (
    id          BIGSERIAL PRIMARY KEY,
    title       TEXT    NOT NULL,
    scope       TEXT    NOT NULL,            -- the supervision points covered
    areas       TEXT    NOT NULL,            -- comma list: data_security, network_security, personal_info, trade_secret
    method      TEXT    NOT NULL,
    findings    TEXT    NOT NULL DEFAULT '',
    level       TEXT    NOT NULL DEFAULT '', -- low, medium, high (once assessed)
    owner_org   BIGINT NOT NULL REFERENCES orgs(id),
    status      TEXT    NOT NULL,            -- planned, assessed, closed
    workdays    BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,            -- the assessment's deadline (working days)
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    assessed_at BIGINT,
    closed_at   BIGINT,
    close_note  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX risk_assessments_status ON risk_assessments(status, due_at);

-- A measure an assessment decides, with its owner, deadline and follow-up.
CREATE TABLE risk_measures (
    id            BIGSERIAL PRIMARY KEY,
    assessment_id BIGINT NOT NULL REFERENCES risk_assessments(id),
    measure       TEXT    NOT NULL,
    owner_org     BIGINT NOT NULL REFERENCES orgs(id),
    workdays      BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    status        TEXT    NOT NULL,           -- open, done
    follow_up     TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    done_at       BIGINT
);
CREATE INDEX risk_measures_status ON risk_measures(status, due_at);

-- R28.2, Art. 29: emergency plans per scenario category and the platform's
-- own, with the deadlines for notifying the authority.
CREATE TABLE emergency_plans (
    id             BIGSERIAL PRIMARY KEY,
    title          TEXT    NOT NULL,
    category       TEXT    NOT NULL,           -- platform, or a scenario domain
    owner_org      BIGINT NOT NULL REFERENCES orgs(id),
    body           TEXT    NOT NULL,
    notify_hours   BIGINT NOT NULL,           -- first notice to the authority within N hours of detection
    report_days    BIGINT NOT NULL,           -- written report within N working days
    status         TEXT    NOT NULL,           -- active, retired
    created_by     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT
);

CREATE TABLE emergency_drills (
    id           BIGSERIAL PRIMARY KEY,
    plan_id      BIGINT NOT NULL REFERENCES emergency_plans(id),
    held_on      TEXT    NOT NULL,            -- YYYY-MM-DD
    scenario     TEXT    NOT NULL,
    participants TEXT    NOT NULL,
    findings     TEXT    NOT NULL,
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- An incident handled under a plan: notify and report deadlines are fixed
-- from the plan when it is recorded.
CREATE TABLE incidents (
    id             BIGSERIAL PRIMARY KEY,
    plan_id        BIGINT NOT NULL REFERENCES emergency_plans(id),
    title          TEXT    NOT NULL,
    level          TEXT    NOT NULL,           -- general, major, severe
    summary        TEXT    NOT NULL,
    org_id         BIGINT NOT NULL REFERENCES orgs(id), -- who handles it
    status         TEXT    NOT NULL,           -- open, notified, reported, closed
    detected_at    BIGINT NOT NULL,
    notify_due     BIGINT NOT NULL,
    notified_at    BIGINT,
    report_due     BIGINT NOT NULL,
    reported_at    BIGINT,
    closed_at      BIGINT,
    closure        TEXT    NOT NULL DEFAULT '',
    created_by     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX incidents_status ON incidents(status);

CREATE TABLE incident_events (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    kind        TEXT    NOT NULL,               -- detected, action, notified, reported, closed
    text        TEXT    NOT NULL,
    user_id     BIGINT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events(incident_id, at);
