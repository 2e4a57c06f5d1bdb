package sandbox

import "strings"

// flattenOuter reads an analyst's "CTE of figures" — SELECT expressions of
// t FROM (an aggregating query) t [WHERE …] [ORDER BY … LIMIT …], often
// written WITH t AS (…) — as the aggregating query itself, the outer WHERE
// becoming HAVING: the outer level only reads released figures, which is
// what the merchant's arithmetic after anonymization does (outer.go). A
// per-person subquery (grouped by a person key) is left alone: its rows
// are persons, not figures. Nothing is flattened when anything does not
// fit; the checker then sees the statement as written.
func (c *checker) flattenOuter(root node) {
	ft := obj(root, "from_table")
	if str(ft, "type") != "SUBQUERY" || len(arr(root, "group_expressions")) > 0 || root["having"] != nil ||
		hasAggregate(arr(root, "select_list")) || str(root, "aggregate_handling") != "STANDARD_HANDLING" {
		return
	}
	inner := obj(obj(ft, "subquery"), "node")
	if str(inner, "type") != "SELECT_NODE" || len(arr(inner, "modifiers")) > 0 || len(arr(obj(inner, "cte_map"), "map")) > 0 {
		return
	}
	isel := nodes(arr(inner, "select_list"))
	groups := nodes(arr(inner, "group_expressions"))
	if len(groups) == 0 && !hasAggregate(arr(inner, "select_list")) {
		return
	}
	// Ordinals and aliases in the inner GROUP BY name its select items,
	// which are about to change.
	for i, g := range groups {
		if idx, ok := ordinal(g, len(isel)); ok {
			g = withAlias(deepCopy(isel[idx]), "")
		} else if str(g, "class") == "COLUMN_REF" && len(strs(g, "column_names")) == 1 {
			for _, it := range isel {
				if equalFold(str(it, "alias"), strs(g, "column_names")[0]) && str(it, "class") != "COLUMN_REF" {
					g = withAlias(deepCopy(it), "")
				}
			}
		}
		groups[i] = g
		if str(g, "class") == "COLUMN_REF" {
			names := strs(g, "column_names")
			for _, t := range c.ws.Tables {
				for _, k := range t.unitKeys() {
					if equalFold(k, names[len(names)-1]) {
						return // one row per person: not figures
					}
				}
			}
		}
	}
	alias := strings.ToLower(str(ft, "alias"))
	items := map[string]node{}
	for _, it := range isel {
		name := str(it, "alias")
		if name == "" && str(it, "class") == "COLUMN_REF" {
			names := strs(it, "column_names")
			name = names[len(names)-1]
		}
		if name == "" {
			return
		}
		items[strings.ToLower(name)] = it
	}
	ok := true
	var subst func(v any) any
	subst = func(v any) any {
		switch x := v.(type) {
		case node:
			if str(x, "class") == "COLUMN_REF" {
				names := strs(x, "column_names")
				if len(names) == 2 && strings.ToLower(names[0]) != alias || len(names) > 2 {
					ok = false
					return x
				}
				it, found := items[strings.ToLower(names[len(names)-1])]
				if !found {
					ok = false
					return x
				}
				return withAlias(deepCopy(it), str(x, "alias"))
			}
			if str(x, "class") == "SUBQUERY" {
				ok = false
				return x
			}
			out := node{}
			for k, e := range x {
				out[k] = subst(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = subst(e)
			}
			return out
		}
		return v
	}
	var sel []any
	for _, it := range nodes(arr(root, "select_list")) {
		n := subst(it).(node)
		if str(n, "alias") == "" && str(it, "class") == "COLUMN_REF" {
			names := strs(it, "column_names")
			n["alias"] = names[len(names)-1]
		}
		sel = append(sel, n)
	}
	having := inner["having"]
	if w := obj(root, "where_clause"); w != nil {
		if h, _ := having.(node); h != nil {
			having = and(h, subst(w).(node))
		} else {
			having = subst(w)
		}
	}
	// ORDER BY may name the outer aliases; those stay as they are.
	outAliases := map[string]bool{}
	for _, it := range sel {
		outAliases[strings.ToLower(str(it.(node), "alias"))] = true
	}
	mods := deepCopy(node{"m": root["modifiers"]})["m"]
	for _, m := range nodes(asList(mods)) {
		for _, o := range nodes(arr(m, "orders")) {
			e := obj(o, "expression")
			if str(e, "class") == "COLUMN_REF" && len(strs(e, "column_names")) == 1 && outAliases[strings.ToLower(strs(e, "column_names")[0])] {
				continue
			}
			o["expression"] = subst(e)
		}
	}
	if !ok {
		return
	}
	gl := make([]any, len(groups))
	for i, g := range groups {
		gl[i] = g
	}
	root["select_list"] = sel
	root["from_table"] = inner["from_table"]
	root["where_clause"] = inner["where_clause"]
	root["group_expressions"] = gl
	root["group_sets"] = inner["group_sets"]
	root["having"] = having
	root["modifiers"] = mods
	root["aggregate_handling"] = inner["aggregate_handling"]
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
