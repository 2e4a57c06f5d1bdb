package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"shuyu"
)

// API-service answers (R28.4; docs/disclosure.md, "API services"). A service
// answer is about one subject by design, so the aggregate release rule of Run
// (at least K units per released row) cannot apply. The engine instead
// releases only what a filed template declares, computed inside DuckDB:
//
//   - a match is a yes/no predicate "the subject's row holds the value the
//     caller supplied" over an identifier, quasi-identifier or open column
//     (never a sensitive one: guessing would read it);
//   - a band is the index of a declared interval of a count, distinct
//     count, sum or value on the subject's rows (never an identifier);
//   - a category is the index of a declared group of values of an open or
//     quasi column.
//
// The statement is built from the template and the workspace's column
// policies, never from caller text; the caller's parameters are bound, not
// spliced. Only small integers and booleans come back to Go, which maps
// them to the template's labels: no raw value leaves DuckDB. Limits per key
// and per subject, consent and enumeration detection are the service
// layer's (package dataservice and the store).

// Service is a compiled template: one statement and its arguments.
type Service struct {
	sql     string
	args    []serviceArg
	outputs []shuyu.ServiceOutput
	// Keys are the tables the statement reads by subject, with their key
	// column: the service layer keeps a key index on each (KeyIndex).
	Keys []SubjectKey
}

// SubjectKey is a table (its domain view) read by a subject's key.
type SubjectKey struct{ Source, Column string }

type serviceArg struct {
	param string // a parameter's name, or "" for lit
	lit   any
}

// Answer is one call's answer: exactly the template's outputs, in order.
type Answer struct {
	Names  []string
	Values []any // bool for a match, string label for a band or category
	// Hit is true when every match output said yes (or, without match
	// outputs, when the subject has a record): misses feed enumeration
	// detection, never the caller.
	Hit  bool
	Wall time.Duration
}

// CompileService checks tpl against the workspace tables (their column
// policies) and builds its statement. Refusals are EINVALID errors naming
// the output, decided from the template and the schema only.
func CompileService(tables []Table, tpl *shuyu.ServiceTemplate) (*Service, error) {
	if err := tpl.Validate(); err != nil {
		return nil, err
	}
	find := func(name string) *Table {
		for i := range tables {
			if equalFold(tables[i].Name, name) {
				return &tables[i]
			}
		}
		return nil
	}
	s := &Service{outputs: tpl.Outputs}
	var fe []shuyu.FieldError
	bad := func(i int, field, msg string) {
		fe = append(fe, shuyu.FieldError{Field: fmt.Sprintf("template.outputs[%d].%s", i, field), Message: msg})
	}
	// One pass per table: the subject's rows of each table are read once
	// (by the key index, KeyIndex) into one row of aggregates, and the
	// outer select turns them into the outputs. An ungrouped aggregate
	// over the subject's rows is what a scalar subquery per output
	// computed, row for row: count(*) is 0 and the others NULL when the
	// subject has no row.
	type pass struct {
		table, key string
		aggs       []string
		args       []serviceArg
	}
	var passes []*pass
	passOf := func(t *Table, key string) (*pass, int) {
		for i, p := range passes {
			if p.table == t.Source && p.key == key {
				return p, i
			}
		}
		passes = append(passes, &pass{table: t.Source, key: key})
		return passes[len(passes)-1], len(passes) - 1
	}
	var cols []string
	var outer []serviceArg
	for i, o := range tpl.Outputs {
		t := find(o.Table)
		if t == nil {
			bad(i, "table", "工作区中没有这张表")
			continue
		}
		keys := t.unitKeys()
		if len(keys) != 1 {
			bad(i, "table", "这张表没有唯一的个人或企业标识字段，不能按对象查询")
			continue
		}
		var c *Column
		if o.Column != "" {
			var ok bool
			if c, ok = t.column(o.Column); !ok {
				bad(i, "column", "表中没有这个字段，或未授权使用")
				continue
			}
		}
		var agg string
		var aggArgs []serviceArg
		switch o.Kind {
		case shuyu.OutputMatch:
			if c.Policy == Sensitive {
				bad(i, "column", "敏感字段不能用于比对：反复猜测即可读出取值")
				continue
			}
			agg = fmt.Sprintf(`bool_or(CAST(%s AS VARCHAR) = ?)`, quoteIdent(c.Name))
			aggArgs = []serviceArg{{param: o.Param}}
		case shuyu.OutputBand:
			switch o.Measure {
			case shuyu.MeasureCount:
				agg = "count(*)"
			case shuyu.MeasureCountDistinct:
				agg = fmt.Sprintf("count(DISTINCT %s)", quoteIdent(c.Name))
			case shuyu.MeasureSum, shuyu.MeasureValue:
				if c.Policy == Identifier {
					bad(i, "column", "标识符字段不能分档")
					continue
				}
				if !numericType(c.Type) {
					bad(i, "column", "只有数值字段可以按数值分档")
					continue
				}
				fn := "sum"
				if o.Measure == shuyu.MeasureValue {
					fn = "max"
				}
				agg = fmt.Sprintf("%s(TRY_CAST(%s AS DOUBLE))", fn, quoteIdent(c.Name))
			}
		case shuyu.OutputCategory:
			if c.Policy != Open && c.Policy != Quasi {
				bad(i, "column", "只有公开属性或准标识符字段可以归类")
				continue
			}
			agg = fmt.Sprintf("max(CAST(%s AS VARCHAR))", quoteIdent(c.Name))
		}
		p, n := passOf(t, keys[0])
		v := fmt.Sprintf("q%d.a%d", n, len(p.aggs))
		p.aggs = append(p.aggs, agg+fmt.Sprintf(" AS a%d", len(p.aggs)))
		p.args = append(p.args, aggArgs...)
		switch o.Kind {
		case shuyu.OutputMatch:
			cols = append(cols, fmt.Sprintf("coalesce(%s, false)", v))
		case shuyu.OutputBand:
			steps := make([]string, len(o.Bounds))
			for j := range steps {
				steps[j] = fmt.Sprintf("CAST(%s >= ? AS INTEGER)", v)
			}
			for _, b := range o.Bounds {
				outer = append(outer, serviceArg{lit: b})
			}
			cols = append(cols, fmt.Sprintf("CASE WHEN %s IS NULL THEN -1 ELSE %s END", v, strings.Join(steps, " + ")))
		case shuyu.OutputCategory:
			var when []string
			for j, g := range o.Groups {
				marks := strings.TrimSuffix(strings.Repeat("?, ", len(g.Values)), ", ")
				when = append(when, fmt.Sprintf("WHEN %s IN (%s) THEN %d", v, marks, j))
				for _, x := range g.Values {
					outer = append(outer, serviceArg{lit: x})
				}
			}
			cols = append(cols, fmt.Sprintf("CASE WHEN %s IS NULL THEN -1 %s ELSE %d END", v, strings.Join(when, " "), len(o.Groups)))
		}
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "服务模板不符合字段的使用规则 (template breaks column policies)").WithDetails(fe)
	}
	// Arguments in the order their marks appear: the outer select's, then
	// each pass's aggregates' and its subject key.
	s.args = outer
	from := make([]string, len(passes))
	for n, p := range passes {
		from[n] = fmt.Sprintf("(SELECT %s FROM %s WHERE %s = ?) q%d", strings.Join(p.aggs, ", "), quoteIdent(p.table), quoteIdent(p.key), n)
		s.args = append(s.args, p.args...)
		s.args = append(s.args, serviceArg{param: tpl.Subject})
		s.Keys = append(s.Keys, SubjectKey{Source: p.table, Column: p.key})
	}
	s.sql = "SELECT " + strings.Join(cols, ", ") + " FROM " + strings.Join(from, ", ")
	return s, nil
}

func numericType(t string) bool {
	t = strings.ToUpper(t)
	for _, n := range []string{"INT", "DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL"} {
		if strings.Contains(t, n) {
			return true
		}
	}
	return false
}

// Answer runs the compiled service for one call over conn (a locked domain
// connection). params must already be validated and normalized by the
// caller (the service layer refuses bad parameters before the engine is
// called). A failure while running is the one uniform outcome
// (ExecutionFailed), never a text that depends on values.
func (e *Engine) Answer(ctx context.Context, conn *sql.Conn, s *Service, params map[string]string) (*Answer, error) {
	start := time.Now()
	args := make([]any, len(s.args))
	for i, a := range s.args {
		if a.param == "" {
			args[i] = a.lit
			continue
		}
		v, ok := params[a.param]
		if !ok {
			return nil, shuyu.Errorf(shuyu.EINVALID, "缺少参数 %s (missing parameter)", a.param)
		}
		args[i] = v
	}
	timeout := e.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw := make([]any, len(s.outputs))
	ptrs := make([]any, len(s.outputs))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := conn.QueryRowContext(qctx, s.sql, args...).Scan(ptrs...); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, shuyu.Errorf(shuyu.EUNPROCESSABLE, "%s (service execution failed)", ExecutionFailed.Message)
	}
	a := &Answer{Names: make([]string, len(s.outputs)), Values: make([]any, len(s.outputs)), Hit: true}
	matches, found := 0, false
	for i, o := range s.outputs {
		a.Names[i] = o.Name
		switch o.Kind {
		case shuyu.OutputMatch:
			b, _ := raw[i].(bool)
			a.Values[i] = b
			matches++
			a.Hit = a.Hit && b
		case shuyu.OutputBand, shuyu.OutputCategory:
			n, ok := asInt(raw[i])
			label := shuyu.NoRecord
			switch {
			case !ok || n < 0:
			case o.Kind == shuyu.OutputBand && n < len(o.Labels):
				label, found = o.Labels[n], true
			case o.Kind == shuyu.OutputCategory && n < len(o.Groups):
				label, found = o.Groups[n].Label, true
			default:
				label, found = "其他", true
			}
			a.Values[i] = label
		}
	}
	if matches == 0 {
		a.Hit = found
	}
	a.Wall = time.Since(start)
	return a, nil
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	case int:
		return x, true
	case int8:
		return int(x), true
	case int16:
		return int(x), true
	}
	return 0, false
}
