-- Running several servers on one store and keeping the domain honest
-- (docs/operations.md: "Several servers on one PostgreSQL", "Health and
-- monitoring", "Audit trail: checkpoints and verification").

-- The trusted list of audit checkpoint signing keys (R28.1, R29.1): every
-- server registers its key here with its first checkpoint, so `audit verify`
-- from any data directory knows every server's keys. A revoked key stays
-- trusted for the checkpoints it signed up to revoked_seq and no further.
CREATE TABLE audit_keys (
    key_id         TEXT    PRIMARY KEY,
    public_key     BYTEA    NOT NULL UNIQUE,
    server_id      TEXT    NOT NULL,
    registered_at  BIGINT  NOT NULL,
    registered_seq BIGINT  NOT NULL,
    revoked_at     BIGINT,
    revoked_seq    BIGINT,
    revoked_reason TEXT    NOT NULL DEFAULT ''
);

-- The key id each checkpoint was signed with ('' for checkpoints made
-- before this migration: their public key still names the signer).
ALTER TABLE audit_checkpoints ADD COLUMN key_id TEXT NOT NULL DEFAULT '';

-- The servers running on this store: one row per data directory, its
-- domain role, and a heartbeat written by the health probe. At most one
-- live row owns the data domain.
CREATE TABLE servers (
    id          TEXT    PRIMARY KEY,
    data_dir    TEXT    NOT NULL,
    addr        TEXT    NOT NULL DEFAULT '',
    domain_role TEXT    NOT NULL,       -- owner, none
    key_id      TEXT    NOT NULL DEFAULT '',
    started_at  BIGINT  NOT NULL,
    seen_at     BIGINT  NOT NULL
);

-- Versions the metadata said were mounted but the domain had lost (a
-- deleted or replaced domain.duckdb), recorded by `serve --recover`.
CREATE TABLE domain_lost_versions (
    id          BIGSERIAL PRIMARY KEY,
    entry_id    BIGINT  NOT NULL REFERENCES catalog_entries(id),
    version     BIGINT  NOT NULL,
    rows_count  BIGINT  NOT NULL,
    reason      TEXT    NOT NULL,
    recorded_at BIGINT  NOT NULL
);
CREATE INDEX domain_lost_versions_entry ON domain_lost_versions(entry_id);
