-- Supervision, fourth part (issue 16): the operator's evaluation links the
-- records behind a live figure (R33.1), and every request a service
-- provider makes while acting for a merchant is recorded (R6.3).

-- The records a live figure was computed from, as JSON [{"label","href"}];
-- frozen with the figure on publication.
ALTER TABLE evaluation_indicators ADD COLUMN auto_links TEXT NOT NULL DEFAULT '';

-- R6.3: one row per request an acting provider made (reads and writes),
-- written by DB.ActFor before the request's handler runs. Append-only: no
-- code updates or deletes these rows. Not audit events (no hash chain).
CREATE TABLE provider_reads (
    id            INTEGER PRIMARY KEY,
    delegation_id INTEGER NOT NULL REFERENCES delegations(id),
    merchant_org  INTEGER NOT NULL REFERENCES orgs(id),
    provider_org  INTEGER NOT NULL REFERENCES orgs(id),
    user_id       INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    method        TEXT    NOT NULL,
    path          TEXT    NOT NULL, -- with the query, at most 500 characters
    request_id    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX provider_reads_merchant ON provider_reads(merchant_org, at);
CREATE INDEX provider_reads_delegation ON provider_reads(delegation_id, at);
