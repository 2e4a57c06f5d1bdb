-- Consent-gated workspaces (issue 17, R28.5): a workspace opened "by
-- consent" reads, in every real-data query, only the rows of subjects with a
-- live grant to its merchant for it (or for every use); every query that
-- used a subject's rows is counted for the subject to see.
ALTER TABLE workspaces ADD COLUMN by_consent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE consents ADD COLUMN workspace_id BIGINT REFERENCES workspaces(id);

-- Uses of a subject's rows by a workspace's queries, per grant and day.
CREATE TABLE consent_uses (
    consent_id   BIGINT NOT NULL REFERENCES consents(id),
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    day          TEXT    NOT NULL,                          -- YYYY-MM-DD, Asia/Shanghai
    queries      BIGINT NOT NULL DEFAULT 0,
    last_at      BIGINT NOT NULL,
    PRIMARY KEY (consent_id, workspace_id, day)
);
