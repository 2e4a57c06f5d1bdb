-- "Run now" from the command line (shuyu pulls run, issue 18): the
-- operator asks the domain owner, whose minute loop starts the pull outside
-- the source's window; cleared when a pull of the source starts, lapsed
-- after an hour (sqlstore/pulls_request.go).
ALTER TABLE pull_sources ADD COLUMN requested_at BIGINT;
