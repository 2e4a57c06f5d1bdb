-- Login throttling per source shared by every server on this store (R29.1):
-- one row per client source that tried to log in recently, holding the
-- theoretical arrival time of its next attempt (GCRA: a token bucket in one
-- number). An attempt is admitted when tat, moved forward by one refill
-- interval, stays within LoginBurst intervals of now. Bookkeeping, not a
-- state change of the platform: rows carry no audit event; refusals are
-- audited once per episode (auth.login.throttled).
CREATE TABLE login_sources (
    source TEXT   PRIMARY KEY,
    tat    BIGINT NOT NULL
);
CREATE INDEX login_sources_tat ON login_sources(tat);
