package sandbox

import "strings"

// flow records which kinds of source columns reach a value and how (R28.5).
type flow struct {
	ident     bool // an Identifier column (or a hash of one) reaches the value
	sens      bool // a Sensitive column reaches the value un-aggregated
	quasi     bool // a Quasi column reaches the value un-aggregated
	agg       bool // the value is an aggregate result
	key       bool // the value is a group key of the level
	hasColumn bool // any column at all (false for constants)
}

func (f flow) merge(g flow) flow {
	return flow{
		ident: f.ident || g.ident, sens: f.sens || g.sens, quasi: f.quasi || g.quasi,
		agg: f.agg || g.agg, key: f.key && g.key, hasColumn: f.hasColumn || g.hasColumn,
	}
}

// policy is the policy a derived column (a withheld result's, a
// subquery's) inherits: the strictest that flowed into it.
func (f flow) policy() Policy {
	switch {
	case f.ident:
		return Identifier
	case f.sens:
		return Sensitive
	case f.quasi:
		return Quasi
	}
	return Open
}

func columnFlow(c *Column) flow {
	f := flow{hasColumn: true}
	switch c.Policy {
	case Open:
	case Quasi:
		f.quasi = true
	case Sensitive:
		f.sens = true
	default: // Identifier or unknown: default deny
		f.ident = true
	}
	return f
}

// aggregates the engine understands. Every one of them passes the same
// disclosure control: counts and sums through per-unit contribution
// bounding and sticky noise, order statistics through windows of at least
// K units (docs/disclosure.md).
var aggregates = map[string]bool{
	"count": true, "count_star": true, "sum": true, "avg": true, "mean": true,
	"median": true, "quantile": true, "quantile_cont": true, "quantile_disc": true,
	"stddev": true, "stddev_samp": true, "stddev_pop": true, "variance": true,
	"var_samp": true, "var_pop": true, "min": true, "max": true,
	"approx_count_distinct": true,
}

// countLike aggregates may take an Identifier as their direct argument.
var countLike = map[string]bool{"count": true, "approx_count_distinct": true}

// scalars is the whitelist of plain functions and operators (default deny).
// Whatever they compute on real data runs inside TRY, so no value can make
// a query fail where another would not.
var scalars = map[string]bool{
	// arithmetic and operators as DuckDB names them
	"+": true, "-": true, "*": true, "/": true, "//": true, "%": true, "||": true,
	"~~": true, "!~~": true, "~~*": true, "!~~*": true,
	"abs": true, "round": true, "floor": true, "ceil": true, "ceiling": true, "sign": true,
	"greatest": true, "least": true, "nullif": true, "ln": true, "log10": true, "sqrt": true, "power": true, "pow": true,
	// strings
	"lower": true, "upper": true, "length": true, "substr": true, "substring": true,
	"left": true, "right": true, "trim": true, "ltrim": true, "rtrim": true, "concat": true,
	"replace": true, "lpad": true, "rpad": true, "contains": true, "starts_with": true,
	"ends_with": true, "prefix": true, "suffix": true, "strpos": true, "regexp_matches": true,
	"regexp_replace": true, "regexp_extract": true, "md5": true, "hash": true, "strftime": true,
	// dates
	"year": true, "month": true, "day": true, "quarter": true, "week": true, "dayofweek": true,
	"date_trunc": true, "datetrunc": true, "date_part": true, "datepart": true,
	"date_diff": true, "datediff": true, "date_sub": true, "datesub": true, "yearweek": true,
	"make_date": true, "last_day": true,
}

func isMasking(name string) bool { _, ok := maskingRewrites[name]; return ok }

// unitKeys lists a table's privacy-unit columns: the person or company key
// of a granted table, every unit a withheld result or subquery carries.
func (t *Table) unitKeys() []string {
	if t.PersonKey == "" {
		return nil
	}
	return strings.Split(t.PersonKey, ",")
}
