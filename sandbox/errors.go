package sandbox

import (
	"shuyu"
)

// engineError rewrites an execution error so that it carries no data value
// and no hint of which value or step failed (Invariant 1, docs/disclosure.md
// "Outcome oracles"): DuckDB's messages quote offending values ("Could not
// convert string '张三'…"), and even the error's kind could tell one row
// from another. The cause is dropped on purpose, so that no log line
// repeats it either.
func engineError(op string, _ error) error {
	e := shuyu.Errorf(shuyu.EUNPROCESSABLE, "%s", ExecutionFailed.Message)
	e.Op = op
	return e
}

// engineFailure is engineError for the steps of the disclosure-control
// engine itself; the test hook sees the cause.
func (e *Engine) engineFailure(op string, err error) error {
	if e.failHook != nil {
		e.failHook(err)
	}
	return engineError(op, err)
}

// isEngineFailure reports whether err is an execution failure, to be
// reported as the one uniform outcome.
func isEngineFailure(err error) bool { return shuyu.ErrorCode(err) == shuyu.EUNPROCESSABLE }
