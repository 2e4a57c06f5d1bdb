package sandbox

import "strings"

// flow records which kinds of source columns reach a value and how (R28.5).
type flow struct {
	ident     bool // an Identifier column (or a hash of one) reaches the value
	sens      bool // a Sensitive column reaches the value un-aggregated
	quasi     bool // a Quasi column reaches the value un-aggregated
	rawQuasi  bool // a Quasi column that must be generalized reaches it raw
	agg       bool // the value is an aggregate result
	hasColumn bool // any column at all (false for constants)
}

func (f flow) merge(g flow) flow {
	return flow{
		ident: f.ident || g.ident, sens: f.sens || g.sens, quasi: f.quasi || g.quasi,
		rawQuasi: f.rawQuasi || g.rawQuasi, agg: f.agg || g.agg, hasColumn: f.hasColumn || g.hasColumn,
	}
}

// policy is the policy a withheld result's column inherits: the strictest
// that flowed into it.
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
		t := strings.ToUpper(c.Type)
		f.rawQuasi = c.Generalize || strings.HasPrefix(t, "DATE") || strings.HasPrefix(t, "TIMESTAMP")
	case Sensitive:
		f.sens = true
	default: // Identifier or unknown: default deny
		f.ident = true
	}
	return f
}

// aggregates the checker understands. min and max are handled apart: over a
// personal column they reveal one person's value (R28.3).
var aggregates = map[string]bool{
	"count": true, "count_star": true, "sum": true, "avg": true, "mean": true,
	"median": true, "quantile": true, "quantile_cont": true, "quantile_disc": true,
	"stddev": true, "stddev_samp": true, "stddev_pop": true, "variance": true,
	"var_samp": true, "var_pop": true, "min": true, "max": true,
	"approx_count_distinct": true,
}

// countLike aggregates may take an Identifier as their direct argument.
var countLike = map[string]bool{"count": true, "approx_count_distinct": true}

// dominated aggregates get the dominance check (R28.3).
var dominated = map[string]bool{"sum": true, "avg": true, "mean": true}

// generalizers coarsen a Quasi value enough to be a group key.
var generalizers = map[string]bool{
	"age_band": true, "to_month": true, "to_year": true, "county_of": true, "mask_partial": true,
	"date_trunc": true, "datetrunc": true, "year": true, "quarter": true, "month": true,
	"date_part": true, "datepart": true, "yearweek": true,
}

// scalars is the whitelist of plain functions and operators (default deny).
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
