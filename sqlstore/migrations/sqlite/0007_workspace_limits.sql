-- Cost limits of governed queries (docs/limits.md): a withheld row-level
-- result is kept in the domain for a retention period, then dropped from
-- the domain by the expiry sweep. Its row stays, marked with the time it
-- was dropped, so the query history keeps naming it and its name is never
-- given to another result.
ALTER TABLE workspace_tables ADD COLUMN expired_at INTEGER;
CREATE INDEX workspace_tables_live ON workspace_tables(kind, expired_at, created_at);
