-- Statement months assigned when a line is charged (issue 14): issuing a
-- month's statements becomes one INSERT … SELECT … GROUP BY over an index,
-- and no charge line is rewritten. A line belongs to the statement of its
-- merchant and period; "billed" follows from the month being issued.

-- The months whose statements are issued. Months are issued in order: every
-- month up to the newest row is issued (a month without lines has a row and
-- no statements).
CREATE TABLE money_periods (
    period     TEXT   PRIMARY KEY,
    statements BIGINT NOT NULL,
    lines      BIGINT NOT NULL,
    total_fen  BIGINT NOT NULL,
    issued_by  BIGINT NOT NULL,
    issued_at  BIGINT NOT NULL
);
INSERT INTO money_periods (period, statements, lines, total_fen, issued_by, issued_at)
    SELECT period, count(*), sum(lines), sum(total_fen), 0, min(issued_at) FROM money_statements GROUP BY period;

-- The statement month of each line: a billed line's statement's; an open
-- line's own month, or the month after the newest issued one if its own was
-- issued already (a late line goes on the next statement).
ALTER TABLE money_charges ADD COLUMN period TEXT NOT NULL DEFAULT '';
UPDATE money_charges c SET period = s.period FROM money_statements s WHERE s.id = c.statement_id;
UPDATE money_charges SET period = to_char(to_timestamp(at / 1000000 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM')
    WHERE statement_id IS NULL;
UPDATE money_charges SET period = to_char(to_date((SELECT max(period) FROM money_periods) || '-01', 'YYYY-MM-DD')
    + interval '1 month', 'YYYY-MM')
    WHERE statement_id IS NULL AND period <= (SELECT max(period) FROM money_periods);
-- "billed" is no longer stored: an open line of an issued month is billed.
UPDATE money_charges SET status = 'open' WHERE status = 'billed';
DROP INDEX money_charges_open;
DROP INDEX money_charges_statement;
ALTER TABLE money_charges DROP COLUMN statement_id;
-- Covers the statement aggregate (period, merchant, amount) and finds a
-- statement's lines.
CREATE INDEX money_charges_period ON money_charges(period, org_id, amount_fen);
-- A merchant's open lines, newest first.
CREATE INDEX money_charges_org ON money_charges(org_id, period, at);
