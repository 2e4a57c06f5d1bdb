package sandbox

import (
	"context"
	"errors"

	"github.com/duckdb/duckdb-go/v2"

	"shuyu"
)

// engineError rewrites an execution error so that it carries no data value
// (Invariant 1): DuckDB's messages quote offending values ("Could not convert
// string '张三'…"). Only the error's kind survives; the cause is dropped on
// purpose, so that no log line repeats it either.
func engineError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		e := shuyu.Errorf(shuyu.EUNPROCESSABLE, "查询超时或被取消 (query timed out or was cancelled)")
		e.Op = op
		return e
	}
	msg := "查询执行失败 (query failed)"
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeConversion, duckdb.ErrorTypeInvalidType, duckdb.ErrorTypeMismatchType:
			msg = "类型转换失败：某些值无法转换为目标类型 (conversion failed)"
		case duckdb.ErrorTypeDivideByZero:
			msg = "除数为零 (division by zero)"
		case duckdb.ErrorTypeOutOfRange:
			msg = "数值超出范围 (value out of range)"
		case duckdb.ErrorTypeBinder, duckdb.ErrorTypeCatalog:
			msg = "查询引用了不存在或不可用的列、表或函数 (binding failed)"
		case duckdb.ErrorTypeOutOfMemory:
			msg = "查询超出内存限制 (out of memory)"
		case duckdb.ErrorTypeInterrupt:
			msg = "查询超时或被取消 (query interrupted)"
		}
	}
	e := shuyu.Errorf(shuyu.EUNPROCESSABLE, "%s", msg)
	e.Op = op
	return e
}
