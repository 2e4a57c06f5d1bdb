package sandbox

import (
	"errors"

	"github.com/duckdb/duckdb-go/v2"

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

// BindingFailed is the outcome of a statement DuckDB cannot bind (an
// unknown function or type, mismatched argument types). Binding happens
// before any row is read, so it depends on the SQL and the schema only and
// may be told apart from execution failures.
var BindingFailed = Reason{"binding", "查询用到了数据库不支持的函数或类型，或参数类型不匹配，请检查 SQL"}

// engineFailure is engineError for the steps of the disclosure-control
// engine itself; the test hook sees the cause.
func (e *Engine) engineFailure(op string, err error) error {
	if e.failHook != nil {
		e.failHook(err)
	}
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeBinder, duckdb.ErrorTypeCatalog, duckdb.ErrorTypeParser:
			be := shuyu.Errorf(shuyu.EUNPROCESSABLE, "%s", BindingFailed.Message)
			be.Op = op + ":binding"
			return be
		}
	}
	return engineError(op, err)
}

// isEngineFailure reports whether err is an execution failure, to be
// reported as the one uniform outcome.
func isEngineFailure(err error) bool { return shuyu.ErrorCode(err) == shuyu.EUNPROCESSABLE }
