-- Supervision on live data, second half (issue 16): secret marks (R2.1),
-- the expert committee's referrals and signed opinions (R7.1), and the
-- compliance checklists with the rule sets the authority approves (R17.1,
-- Art. 20-21). Every change to these tables is audited.

-- R2.1: state secrets (国家秘密) and work secrets (工作秘密) marked on a
-- catalog entry (field_name '') or one of its fields. An active mark
-- (lifted_at NULL) keeps the data out of the catalog, applications,
-- workspaces, the domain and products.
CREATE TABLE secret_marks (
    id          BIGSERIAL PRIMARY KEY,
    entry_id    BIGINT NOT NULL REFERENCES catalog_entries(id),
    field_name  TEXT    NOT NULL DEFAULT '',  -- '' marks the whole entry
    class       TEXT    NOT NULL,             -- state, work
    basis       TEXT    NOT NULL,             -- 定密依据
    marked_by   BIGINT NOT NULL,
    marked_org  BIGINT NOT NULL,
    marked_at   BIGINT NOT NULL,
    lifted_by   BIGINT,
    lifted_at   BIGINT,
    lift_reason TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX secret_marks_entry ON secret_marks(entry_id, lifted_at);

-- R7.1: a case referred to the expert committee with questions.
CREATE TABLE expert_referrals (
    id           BIGSERIAL PRIMARY KEY,
    case_kind    TEXT    NOT NULL,  -- application, product, registration
    case_id      BIGINT NOT NULL,
    title        TEXT    NOT NULL,
    questions    TEXT    NOT NULL,
    blocking     BOOLEAN NOT NULL DEFAULT FALSE,  -- the case's decision waits for an opinion
    status       TEXT    NOT NULL,            -- open, answered, withdrawn
    referred_by  BIGINT NOT NULL,
    referrer_org BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    closed_at    BIGINT,
    close_reason TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX expert_referrals_case ON expert_referrals(case_kind, case_id);

-- The experts a referral names: only they see it.
CREATE TABLE expert_referral_members (
    referral_id BIGINT NOT NULL REFERENCES expert_referrals(id),
    user_id     BIGINT NOT NULL,
    PRIMARY KEY (referral_id, user_id)
);

-- An expert's opinion, signed with the committee's SM2 key over the SM3
-- digest of its canonical text, after the expert re-entered their password.
CREATE TABLE expert_opinions (
    id          BIGSERIAL PRIMARY KEY,
    referral_id BIGINT NOT NULL REFERENCES expert_referrals(id),
    expert_id   BIGINT NOT NULL,
    expert_name TEXT    NOT NULL,
    org_id      BIGINT NOT NULL,
    conclusion  TEXT    NOT NULL,  -- support, oppose, conditional
    opinion     TEXT    NOT NULL,
    digest_sm3  TEXT    NOT NULL,
    public_key  BYTEA   NOT NULL,
    signature   BYTEA   NOT NULL,
    signed_at   BIGINT NOT NULL,
    UNIQUE (referral_id, expert_id)
);

-- R17.1: versioned compliance checklists (核查规范 for onboarding and
-- applications, 审核规范 for output), proposed by the operator and
-- approved by the authority; the newest approved version of a kind is used.
CREATE TABLE checklist_rulesets (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT    NOT NULL,  -- onboarding, application, output
    version     INTEGER NOT NULL,
    items_json  TEXT    NOT NULL,
    four_eyes   TEXT    NOT NULL DEFAULT 'pi',  -- output: which products need two reviewers
    note        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,  -- proposed, approved, retired
    proposed_by BIGINT NOT NULL,
    proposed_at BIGINT NOT NULL,
    approved_by BIGINT,
    approved_at BIGINT,
    UNIQUE (kind, version)
);

-- One filled checklist: the answers for a registration, an application
-- round or a product round, under the rule set version in force.
CREATE TABLE checklist_results (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT    NOT NULL,
    object_id     BIGINT NOT NULL,
    round         INTEGER NOT NULL,
    ruleset_id    BIGINT NOT NULL REFERENCES checklist_rulesets(id),
    reviewer_id   BIGINT NOT NULL,
    reviewer_name TEXT    NOT NULL,
    answers_json  TEXT    NOT NULL,
    passed        BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX checklist_results_object ON checklist_results(kind, object_id, round);
