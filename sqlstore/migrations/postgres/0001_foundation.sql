-- Organizations, accounts, sessions, security settings and the audit trail.
CREATE TABLE orgs (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL UNIQUE,
    name_en     TEXT    NOT NULL DEFAULT '',
    code        TEXT    NOT NULL DEFAULT '',
    region      TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'active',
    created_at  BIGINT  NOT NULL
);
CREATE INDEX orgs_kind ON orgs(kind, region);

CREATE TABLE users (
    id                  BIGSERIAL PRIMARY KEY,
    org_id              BIGINT  NOT NULL REFERENCES orgs(id),
    username            TEXT    NOT NULL UNIQUE,
    display_name        TEXT    NOT NULL,
    roles               TEXT    NOT NULL,
    status              TEXT    NOT NULL DEFAULT 'active',
    password_hash       TEXT    NOT NULL,
    password_changed_at BIGINT  NOT NULL,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    totp_secret         TEXT    NOT NULL DEFAULT '',
    totp_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step      BIGINT  NOT NULL DEFAULT 0,
    last_login_at       BIGINT,
    created_at          BIGINT  NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
    digest      TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    created_at  BIGINT  NOT NULL,
    last_seen   BIGINT  NOT NULL,
    client_ip   TEXT    NOT NULL DEFAULT '',
    restricted  BOOLEAN NOT NULL DEFAULT FALSE,
    ended_at    BIGINT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT  NOT NULL,
    hash  BYTEA   NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

CREATE TABLE audit_events (
    seq           BIGINT  PRIMARY KEY,
    time          BIGINT  NOT NULL,
    actor_id      BIGINT  NOT NULL,
    actor_name    TEXT    NOT NULL,
    actor_role    TEXT    NOT NULL,
    actor_org_id  BIGINT  NOT NULL,
    action        TEXT    NOT NULL,
    object_type   TEXT    NOT NULL,
    object_id     TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    detail        TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    client_ip     TEXT    NOT NULL DEFAULT '',
    prev_hash     BYTEA   NOT NULL,
    hash          BYTEA   NOT NULL
);
CREATE INDEX audit_events_object ON audit_events(object_type, object_id);
CREATE INDEX audit_events_actor ON audit_events(actor_id);
CREATE INDEX audit_events_time ON audit_events(time);

-- The trail is append-only: no statement may change or remove an event.
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE audit_checkpoints (
    seq         BIGINT  PRIMARY KEY,
    time        BIGINT  NOT NULL,
    head        BYTEA   NOT NULL,
    root        BYTEA   NOT NULL,
    prev_seq    BIGINT  NOT NULL,
    public_key  BYTEA   NOT NULL,
    signature   BYTEA   NOT NULL
);
