package sandbox

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Date spellings analysts write, read as the forms the rules know
// (docs/disclosure.md, "Standard spellings"). Before any check:
//
//   - a constant date plus or minus a constant interval — current_date -
//     INTERVAL 90 DAY, DATE '2025-01-01' + INTERVAL '3 months' — is the date
//     it names (the parser spells the interval as to_days(trunc(90)), which
//     no rule should have to read);
//   - the whole years of age(d) — extract(year FROM age(d)), date_part('year',
//     age(d)) — are date_sub('year', d, current_date), the completed years;
//   - age(d) >= INTERVAL 'n years' and age(d) < INTERVAL 'n years' are
//     date_sub('year', d, current_date) >= n and < n.
//
// The results are checked like any other spelling of them: an exact age is
// still refused in a condition on a birth date (rule 3b) and allowed as a
// group key.
func normalizeDates(v any, refDate string) {
	switch x := v.(type) {
	case node:
		for _, c := range x {
			normalizeDates(c, refDate)
		}
		if d, ok := foldDate(x, refDate); ok {
			replaceNode(x, dateConst(d))
			return
		}
		if str(x, "class") == "FUNCTION" {
			name := strings.ToLower(str(x, "function_name"))
			ch := nodes(arr(x, "children"))
			if name == "to_char" && len(ch) == 2 {
				// PostgreSQL's to_char(d, 'YYYY-MM') is strftime(d, '%Y-%m').
				if f, ok := obj(ch[1], "value")["value"].(string); ok && str(ch[1], "class") == "CONSTANT" {
					if sf, ok := strftimeFormat(f); ok {
						replaceNode(x, fn("strftime", false, nil, ch[0], constString(sf)))
					}
				}
			}
			if (name == "date_part" || name == "datepart") && len(ch) == 2 && isYearPart(ch[0]) {
				if d := ageOf(ch[1]); d != nil {
					replaceNode(x, completedYears(d, refDate))
				}
			}
		}
		if str(x, "class") == "CASE" {
			selfLabels(x)
		}
		if str(x, "type") == "SELECT_NODE" {
			joinUsing(x)
		}
		if str(x, "class") == "COMPARISON" {
			l, r := obj(x, "left"), obj(x, "right")
			typ := str(x, "type")
			if ageOf(r) != nil && ageOf(l) == nil {
				// INTERVAL 'n years' <= age(d) is age(d) >= INTERVAL 'n years'.
				l, r = r, l
				typ = map[string]string{"COMPARE_LESSTHANOREQUALTO": "COMPARE_GREATERTHANOREQUALTO",
					"COMPARE_GREATERTHAN": "COMPARE_LESSTHAN"}[typ]
			}
			if d := ageOf(l); d != nil && (typ == "COMPARE_GREATERTHANOREQUALTO" || typ == "COMPARE_LESSTHAN") {
				if n, unit, ok := intervalConst(r); ok && unit == "year" {
					x["type"] = typ
					x["left"] = completedYears(d, refDate)
					x["right"] = constInt(n)
				}
			}
		}
	case []any:
		for _, c := range x {
			normalizeDates(c, refDate)
		}
	}
}

// joinUsing spells JOIN … USING (c) as JOIN … ON l.c = r.c, the first
// table's column standing for the unqualified c in this SELECT, as SQL
// resolves it.
func joinUsing(sel node) {
	first := map[string]string{} // using column → the alias that stands for it
	var walk func(t node)
	leftmost := func(t node) string {
		for str(t, "type") == "JOIN" {
			t = obj(t, "left")
		}
		if a := str(t, "alias"); a != "" {
			return a
		}
		return str(t, "table_name")
	}
	walk = func(t node) {
		if str(t, "type") != "JOIN" {
			return
		}
		walk(obj(t, "left"))
		walk(obj(t, "right"))
		cols := strs(t, "using_columns")
		if len(cols) == 0 || str(t, "ref_type") != "REGULAR" || str(obj(t, "right"), "type") == "JOIN" {
			return
		}
		l, r := leftmost(obj(t, "left")), leftmost(obj(t, "right"))
		if l == "" || r == "" {
			return
		}
		var conds []node
		for _, c := range cols {
			conds = append(conds, node{"class": "COMPARISON", "type": "COMPARE_EQUAL", "alias": "", "query_location": noLocation,
				"left": colRef(l, c), "right": colRef(r, c)})
			if _, ok := first[strings.ToLower(c)]; !ok {
				first[strings.ToLower(c)] = l
			}
		}
		t["condition"] = and(conds...)
		t["using_columns"] = []any{}
	}
	walk(obj(sel, "from_table"))
	if len(first) == 0 {
		return
	}
	var qualify func(v any)
	qualify = func(v any) {
		switch x := v.(type) {
		case node:
			if str(x, "class") == "SUBQUERY" {
				return
			}
			if str(x, "class") == "COLUMN_REF" {
				if names := strs(x, "column_names"); len(names) == 1 {
					if a, ok := first[strings.ToLower(names[0])]; ok {
						x["column_names"] = []any{a, names[0]}
					}
				}
				return
			}
			for _, c := range x {
				qualify(c)
			}
		case []any:
			for _, c := range x {
				qualify(c)
			}
		}
	}
	for _, k := range []string{"select_list", "where_clause", "group_expressions", "having", "qualify", "modifiers"} {
		qualify(sel[k])
	}
}

// selfLabels spells a CASE whose branch returns the value it tested — CASE
// WHEN ethnicity IN ('汉族', '回族') THEN ethnicity ELSE '其他' END — with
// constant labels, one test per value (WHEN ethnicity = '汉族' THEN '汉族'
// …), the form a recoding group key takes.
func selfLabels(n node) {
	var out []any
	for _, cc := range nodes(arr(n, "case_checks")) {
		w, then := obj(cc, "when_expr"), obj(cc, "then_expr")
		var tested node
		var consts []node
		switch {
		case str(w, "class") == "COMPARISON" && str(w, "type") == "COMPARE_EQUAL" && isConstant(obj(w, "right")):
			tested, consts = obj(w, "left"), []node{obj(w, "right")}
		case str(w, "type") == "COMPARE_IN":
			ch := nodes(arr(w, "children"))
			if len(ch) < 2 {
				return
			}
			tested, consts = ch[0], ch[1:]
			for _, k := range consts {
				if !isConstant(k) {
					return
				}
			}
		}
		if tested == nil || canon(tested, nil) != canon(then, nil) {
			out = append(out, cc)
			continue
		}
		for _, k := range consts {
			out = append(out, node{"when_expr": node{"class": "COMPARISON", "type": "COMPARE_EQUAL", "alias": "", "query_location": noLocation,
				"left": deepCopy(tested), "right": deepCopy(k)}, "then_expr": deepCopy(k)})
		}
	}
	if out != nil {
		n["case_checks"] = out
	}
}

// strftimeFormat translates a to_char date pattern of the common fields;
// ok is false for anything else.
func strftimeFormat(f string) (string, bool) {
	tokens := []struct{ pg, st string }{
		{"YYYY", "%Y"}, {"HH24", "%H"}, {"HH12", "%I"}, {"Month", "%B"}, {"Mon", "%b"}, {"Day", "%A"}, {"Dy", "%a"},
		{"YY", "%y"}, {"MM", "%m"}, {"DD", "%d"}, {"HH", "%I"}, {"MI", "%M"}, {"SS", "%S"},
	}
	var b strings.Builder
	rs := f
	for len(rs) > 0 {
		matched := false
		for _, t := range tokens {
			if strings.HasPrefix(rs, t.pg) {
				b.WriteString(t.st)
				rs = rs[len(t.pg):]
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		r := []rune(rs)[0]
		if !strings.ContainsRune("-/ :.年月日时分秒", r) {
			return "", false
		}
		b.WriteRune(r)
		rs = rs[len(string(r)):]
	}
	return b.String(), b.Len() > 0
}

func isYearPart(n node) bool {
	if str(n, "class") != "CONSTANT" {
		return false
	}
	s, _ := obj(n, "value")["value"].(string)
	switch strings.ToLower(s) {
	case "year", "years", "y", "yr", "yrs", "yy", "yyyy":
		return true
	}
	return false
}

// ageOf returns d when n is age(d) with one argument.
func ageOf(n node) node {
	if str(n, "class") == "FUNCTION" && strings.ToLower(str(n, "function_name")) == "age" && str(n, "schema") == "" {
		if ch := nodes(arr(n, "children")); len(ch) == 1 {
			return ch[0]
		}
	}
	return nil
}

func completedYears(d node, refDate string) node {
	return fn("date_sub", false, nil, constString("year"), d, dateConst(refDate))
}

func dateConst(d string) node {
	return node{"class": "CAST", "type": "OPERATOR_CAST", "alias": "", "query_location": noLocation,
		"child": constString(d), "cast_type": node{"id": "DATE", "type_info": nil}, "try_cast": false}
}

// foldDate folds a constant date plus or minus a constant interval.
func foldDate(n node, refDate string) (string, bool) {
	if str(n, "class") != "FUNCTION" {
		return "", false
	}
	name := str(n, "function_name")
	ch := nodes(arr(n, "children"))
	if (name != "+" && name != "-") || len(ch) != 2 {
		return "", false
	}
	d, dOK := constDate(ch[0], refDate)
	k, unit, iOK := intervalConst(ch[1])
	if !dOK || !iOK {
		if name == "+" {
			// INTERVAL … + date.
			d, dOK = constDate(ch[1], refDate)
			k, unit, iOK = intervalConst(ch[0])
		}
		if !dOK || !iOK {
			return "", false
		}
	}
	if name == "-" {
		k = -k
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return "", false
	}
	switch unit {
	case "day":
		t = t.AddDate(0, 0, k)
	case "week":
		t = t.AddDate(0, 0, 7*k)
	case "month", "year":
		months := k
		if unit == "year" {
			months = 12 * k
		}
		// As DuckDB does: the day is clamped to the target month's last.
		y, m := t.Year(), int(t.Month())-1+months
		y += m / 12
		if m %= 12; m < 0 {
			m += 12
			y--
		}
		day := min(t.Day(), time.Date(y, time.Month(m+2), 0, 0, 0, 0, 0, time.UTC).Day())
		t = time.Date(y, time.Month(m+1), day, 0, 0, 0, 0, time.UTC)
	default:
		return "", false
	}
	return t.Format(time.DateOnly), true
}

// constDate reads DATE 'yyyy-mm-dd' and current_date (the reference date).
func constDate(n node, refDate string) (string, bool) {
	switch str(n, "class") {
	case "COLUMN_REF":
		names := strs(n, "column_names")
		if len(names) == 1 && (equalFold(names[0], "current_date") || equalFold(names[0], "today")) {
			return refDate, true
		}
	case "CAST":
		if str(obj(n, "cast_type"), "id") != "DATE" {
			return "", false
		}
		ch := obj(n, "child")
		if str(ch, "class") == "CONSTANT" {
			s, ok := obj(ch, "value")["value"].(string)
			if _, err := time.Parse(time.DateOnly, s); ok && err == nil {
				return s, true
			}
		}
	case "FUNCTION":
		// current_date() and today()
		name := strings.ToLower(str(n, "function_name"))
		if (name == "current_date" || name == "today") && len(arr(n, "children")) == 0 {
			return refDate, true
		}
	}
	return "", false
}

var intervalText = regexp.MustCompile(`^\s*(-?\d{1,6})\s*(day|days|week|weeks|month|months|mon|mons|year|years)\s*$`)

// intervalConst reads a constant interval of whole days, weeks, months or
// years: INTERVAL 90 DAY (to_days(trunc(90)) to the parser) or INTERVAL '90
// days'.
func intervalConst(n node) (int, string, bool) {
	switch str(n, "class") {
	case "FUNCTION":
		unit := map[string]string{"to_days": "day", "to_weeks": "week", "to_months": "month", "to_years": "year"}[strings.ToLower(str(n, "function_name"))]
		ch := nodes(arr(n, "children"))
		if unit == "" || len(ch) != 1 {
			return 0, "", false
		}
		arg := ch[0]
		for {
			switch {
			case str(arg, "class") == "CAST":
				arg = obj(arg, "child")
				continue
			case str(arg, "class") == "FUNCTION" && strings.ToLower(str(arg, "function_name")) == "trunc" && len(arr(arg, "children")) == 1:
				arg = nodes(arr(arg, "children"))[0]
				continue
			}
			break
		}
		f, ok := constNumber(arg)
		if !ok || f != float64(int(f)) || f > 1e6 || f < -1e6 {
			return 0, "", false
		}
		return int(f), unit, true
	case "CAST":
		if str(obj(n, "cast_type"), "id") != "INTERVAL" {
			return 0, "", false
		}
		s, ok := obj(obj(n, "child"), "value")["value"].(string)
		if !ok {
			return 0, "", false
		}
		m := intervalText.FindStringSubmatch(strings.ToLower(s))
		if m == nil {
			return 0, "", false
		}
		k, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, "", false
		}
		unit := strings.TrimSuffix(m[2], "s")
		if unit == "mon" {
			unit = "month"
		}
		return k, unit, true
	}
	return 0, "", false
}
