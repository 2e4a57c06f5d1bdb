-- The public portal (issue 13): notices (通知公告) and application cases
-- (典型案例) that the authority or the operator publish. Public once
-- published; every publication and withdrawal is audited.
CREATE TABLE portal_posts (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,          -- notice, case
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),  -- the publishing body
    created_by   INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    withdrawn_at INTEGER
);
CREATE INDEX portal_posts_kind ON portal_posts(kind, published_at);
