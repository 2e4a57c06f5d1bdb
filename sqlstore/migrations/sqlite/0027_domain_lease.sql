-- The data domain's lease (fail-over of the domain owner, docs/operations.md
-- "Fail-over of the domain owner"): one row, the server that owns the domain
-- now, until when, and a fencing token that grows by one at every
-- acquisition. The owner renews it; a standby takes it over after it
-- expired; every write transaction of an owner checks, under the audit head
-- lock, that the token is still its own (sqlstore/domain_lease.go).
CREATE TABLE domain_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    owner       TEXT    NOT NULL,
    addr        TEXT    NOT NULL,
    token       BIGINT  NOT NULL,
    acquired_at BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
