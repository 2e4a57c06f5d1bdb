-- Organizations, accounts, sessions, security settings and the audit trail.
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL UNIQUE,
    name_en     TEXT    NOT NULL DEFAULT '',
    code        TEXT    NOT NULL DEFAULT '',
    region      TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'active',
    created_at  INTEGER NOT NULL
);
CREATE INDEX orgs_kind ON orgs(kind, region);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES orgs(id),
    username            TEXT    NOT NULL UNIQUE,
    display_name        TEXT    NOT NULL,
    roles               TEXT    NOT NULL,
    status              TEXT    NOT NULL DEFAULT 'active',
    password_hash       TEXT    NOT NULL,
    password_changed_at INTEGER NOT NULL,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        INTEGER,
    totp_secret         TEXT    NOT NULL DEFAULT '',
    totp_enabled        INTEGER NOT NULL DEFAULT 0,
    totp_last_step      INTEGER NOT NULL DEFAULT 0,
    last_login_at       INTEGER,
    created_at          INTEGER NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
    digest      TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    client_ip   TEXT    NOT NULL DEFAULT '',
    restricted  INTEGER NOT NULL DEFAULT 0,
    ended_at    INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY,
    time          INTEGER NOT NULL,
    actor_id      INTEGER NOT NULL,
    actor_name    TEXT    NOT NULL,
    actor_role    TEXT    NOT NULL,
    actor_org_id  INTEGER NOT NULL,
    action        TEXT    NOT NULL,
    object_type   TEXT    NOT NULL,
    object_id     TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    detail        TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    client_ip     TEXT    NOT NULL DEFAULT '',
    prev_hash     BLOB    NOT NULL,
    hash          BLOB    NOT NULL
);
CREATE INDEX audit_events_object ON audit_events(object_type, object_id);
CREATE INDEX audit_events_actor ON audit_events(actor_id);
CREATE INDEX audit_events_time ON audit_events(time);

-- The trail is append-only: no statement may change or remove an event.
-- (Someone with the file can still edit it; the hash chain and the signed
-- checkpoints catch that.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE audit_checkpoints (
    seq         INTEGER PRIMARY KEY,
    time        INTEGER NOT NULL,
    head        BLOB    NOT NULL,
    root        BLOB    NOT NULL,
    prev_seq    INTEGER NOT NULL,
    public_key  BLOB    NOT NULL,
    signature   BLOB    NOT NULL
);
