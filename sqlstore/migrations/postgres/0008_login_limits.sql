-- Login abuse limits (R29.1, MLPS level 3): failed logins are counted per
-- (submitted username, source) so that five failures lock that username for
-- that source only; the same account still logs in from elsewhere. Unknown
-- usernames are counted the same way, so a lock says nothing about whether
-- the account exists. source is the client address (IPv4) or its /64 (IPv6).
CREATE TABLE login_failures (
    username     TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    failed       INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_at      BIGINT  NOT NULL,
    PRIMARY KEY (username, source)
);
CREATE INDEX login_failures_last ON login_failures(last_at);
