package vault

import (
	"context"
	"errors"
	"regexp"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"shuyu"
)

var (
	quotedRe = regexp.MustCompile(`'(?:[^']|'')*'|"(?:[^"]|"")*"`)
	numberRe = regexp.MustCompile(`[-+]?\b[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\b`)
)

// redact removes everything from a DuckDB message that could be a data value:
// quoted literals and free-standing numbers, and the context lines that echo
// the query text (R4.2, invariant 1: errors leak no values).
func redact(msg string) string {
	msg, _, _ = strings.Cut(msg, "\n")
	msg = quotedRe.ReplaceAllString(msg, "'…'")
	return numberRe.ReplaceAllString(msg, "#")
}

// SanitizeError rewrites an engine error so that neither its message nor its
// cause carries data values: DuckDB quotes offending values ("Could not
// convert string 'abc' to INT32"). *shuyu.Error values pass through; context
// cancellation keeps its identity for errors.Is. nil stays nil.
func SanitizeError(err error) error {
	if err == nil {
		return nil
	}
	var se *shuyu.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &shuyu.Error{Code: shuyu.ETOOLARGE, Message: "查询超出时间限制 (query time limit exceeded)", Err: context.DeadlineExceeded}
	}
	if errors.Is(err, context.Canceled) {
		return &shuyu.Error{Code: shuyu.ECONFLICT, Message: "操作已取消 (canceled)", Err: context.Canceled}
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return &shuyu.Error{Code: shuyu.EINTERNAL, Err: errors.New(redact(err.Error()))}
	}
	code, msg := shuyu.EINVALID, "查询无法执行 (query failed)"
	switch de.Type {
	case duckdb.ErrorTypeConversion, duckdb.ErrorTypeOutOfRange:
		msg = "数据类型转换失败 (conversion failed)"
	case duckdb.ErrorTypeConstraint:
		code, msg = shuyu.ECONFLICT, "违反数据约束 (constraint violated)"
	case duckdb.ErrorTypeParser, duckdb.ErrorTypeSyntax:
		msg = "SQL语法错误 (syntax error)"
	case duckdb.ErrorTypeCatalog, duckdb.ErrorTypeBinder:
		msg = "引用的表或字段不存在或不可用 (unknown table or column)"
	case duckdb.ErrorTypePermission, duckdb.ErrorTypeMissingExtension, duckdb.ErrorTypeAutoLoad,
		duckdb.ErrorTypeHTTP, duckdb.ErrorTypeNetwork:
		code, msg = shuyu.EFORBIDDEN, "数据域禁止此操作 (not permitted in the domain)"
	case duckdb.ErrorTypeInvalidInput:
		if strings.Contains(de.Msg, "configuration has been locked") {
			code, msg = shuyu.EFORBIDDEN, "数据域配置已锁定 (configuration locked)"
		} else {
			msg = "输入无效 (invalid input)"
		}
	case duckdb.ErrorTypeInterrupt:
		code, msg = shuyu.ETOOLARGE, "查询被中断 (query interrupted)"
	case duckdb.ErrorTypeOutOfMemory:
		code, msg = shuyu.ETOOLARGE, "查询超出内存限制 (memory limit exceeded)"
	case duckdb.ErrorTypeIO, duckdb.ErrorTypeInternal, duckdb.ErrorTypeFatal, duckdb.ErrorTypeConnection:
		code, msg = shuyu.EINTERNAL, ""
	}
	return &shuyu.Error{Code: code, Message: msg, Err: errors.New(redact(de.Msg))}
}
