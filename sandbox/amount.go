package sandbox

import (
	"math"
	"strconv"
	"strings"
)

// Amounts split at round numbers (docs/disclosure.md, rule 3c; R28.3). A
// sensitive number — an amount, an income, one person's total — may be
// compared in a condition, and binned in a group key, only with constants of
// at most two significant digits (or three ending in 5: 1250, 3750), through
// scaling, shifting and rounding by such constants. A threshold an attacker
// can move by one cent (`CASE WHEN total_amount BETWEEN 0 AND 1234.56`, then
// 1234.55) would make a group's membership, and its visibility at the
// low-count threshold, depend on one chosen person's exact amount (red team,
// round four). Round thresholds are what analysts write: `> 10000`,
// `BETWEEN 500 AND 1000`, `floor(total_amount / 500) * 500`, a share above 0.5.

// amountColumn reports whether n is a column holding a sensitive number.
func (c *checker) amountColumn(n node) bool {
	if str(n, "class") != "COLUMN_REF" {
		return false
	}
	_, col := c.resolve(n)
	return col != nil && col.Policy == Sensitive && numericType(col.Type)
}

// mentionsAmount reports whether expression n reads a sensitive number.
func (c *checker) mentionsAmount(n node) bool {
	if n == nil {
		return false
	}
	if c.amountColumn(n) {
		return true
	}
	found := false
	walkChildren(n, func(x node) {
		if !found && c.mentionsAmount(x) {
			found = true
		}
	})
	return found
}

// roundNumber reports whether v has at most two significant digits, or
// three ending in 5, or is one (or one cent) below such a number, as the
// upper edge of an inclusive range is written (BETWEEN 500 AND 999).
func roundNumber(v float64) bool {
	return roundish(v) || roundish(v+1) || roundish(v+0.01)
}

func roundish(v float64) bool {
	a := math.Abs(v)
	if a == 0 {
		return true
	}
	if math.IsInf(a, 0) || math.IsNaN(a) {
		return false
	}
	k := math.Floor(math.Log10(a))
	near := func(x float64) bool { return math.Abs(x-math.Round(x)) < 1e-6 }
	if m := a / math.Pow(10, k-1); near(m) {
		return true
	}
	m := a / math.Pow(10, k-2)
	return near(m) && int64(math.Round(m))%5 == 0
}

// stepNumber reports whether v is 1, 2 or 5 times a power of ten: the only
// factors and bin widths a sensitive number may be scaled or binned by, so
// that scaled thresholds stay round (x * 2 > 100000 is x > 50000; x * 1.2345
// > 50000 would put the edge anywhere).
func stepNumber(v float64) bool {
	a := math.Abs(v)
	if a == 0 || math.IsInf(a, 0) || math.IsNaN(a) {
		return false
	}
	m := a / math.Pow(10, math.Floor(math.Log10(a)))
	for _, s := range []float64{1, 2, 5, 10} {
		if math.Abs(m-s) < 1e-9 {
			return true
		}
	}
	return false
}

// valueAggregates are read through: one person's total of an amount in a
// per-person subquery is an amount.
var valueAggregates = map[string]bool{
	"sum": true, "avg": true, "mean": true, "min": true, "max": true, "count": true, "count_star": true,
	"median": true, "quantile": true, "quantile_cont": true, "quantile_disc": true,
}

// amountForm reports whether n, read where it may split persons, splits
// sensitive numbers only at round numbers: constants compared or clamped
// with are round, factors and bin widths are steps (1, 2, 5 × 10^k), no
// constant is added, and the functions applied only scale, round, bin or
// aggregate (x % 100 would read the cents, x + 0.37 would move an edge by
// 37 cents).
func (c *checker) amountForm(n node) bool {
	if n == nil {
		return true
	}
	step := func(x node) bool { v, ok := constNumber(x); return ok && stepNumber(v) }
	all := func(xs []node) bool {
		for _, x := range xs {
			if !c.amountForm(x) {
				return false
			}
		}
		return true
	}
	switch str(n, "class") {
	case "CONSTANT":
		if v, ok := constNumber(n); ok {
			return roundNumber(v)
		}
		if t := strings.TrimSpace(constText(n)); t != "" {
			// Text compared with a number is read as a number ('1234.56').
			v, err := strconv.ParseFloat(t, 64)
			return err == nil && roundNumber(v)
		}
		return true
	case "COLUMN_REF":
		return true
	case "CAST":
		// As text an amount could be matched digit by digit further out.
		if !numericType(str(obj(n, "cast_type"), "id")) && c.mentionsAmount(n) {
			return false
		}
		return c.amountForm(obj(n, "child"))
	case "OPERATOR":
		if str(n, "type") == "OPERATOR_TRY" {
			return all(nodes(arr(n, "children")))
		}
		return !c.mentionsAmount(n)
	case "CASE":
		return !c.mentionsAmount(n)
	case "FUNCTION":
		name := strings.ToLower(str(n, "function_name"))
		ch := nodes(arr(n, "children"))
		if !c.mentionsAmount(n) {
			return all(ch)
		}
		switch {
		case name == "+" || name == "-":
			for _, x := range ch {
				if isConstant(x) {
					return false
				}
			}
			return all(ch)
		case name == "*":
			for _, x := range ch {
				if isConstant(x) && !step(x) || !isConstant(x) && !c.amountForm(x) {
					return false
				}
			}
			return true
		case name == "/" || name == "//":
			return len(ch) == 2 && c.amountForm(ch[0]) && (step(ch[1]) || !isConstant(ch[1]) && c.amountForm(ch[1]))
		case name == "round" || name == "trunc":
			if len(ch) == 2 {
				_, ok := constNumber(ch[1])
				return ok && c.amountForm(ch[0])
			}
			return all(ch)
		case name == "shuyu_width_bucket":
			if len(ch) != 4 {
				return false
			}
			lo, ok1 := constNumber(ch[1])
			hi, ok2 := constNumber(ch[2])
			k, ok3 := constNumber(ch[3])
			if !ok1 || !ok2 || !ok3 || k < 1 {
				return false
			}
			w := (hi - lo) / k
			return c.amountForm(ch[0]) && roundNumber(lo) && roundNumber(hi) && stepNumber(w) &&
				math.Abs(lo/w-math.Round(lo/w)) < 1e-9
		case name == "floor" || name == "ceil" || name == "ceiling" || name == "abs" || name == "sign" ||
			name == "least" || name == "greatest" || valueAggregates[name]:
			return all(ch)
		}
		return false
	}
	return all(nodes(arr(n, "children")))
}

// amountCondition reports whether condition p splits sensitive numbers only
// at round numbers: each simple condition that reads one compares values of
// amountForm.
func (c *checker) amountCondition(p node) bool {
	if !c.mentionsAmount(p) {
		return true
	}
	each := func(f func(node) bool) bool {
		ok := true
		walkChildren(p, func(x node) {
			if ok && !f(x) {
				ok = false
			}
		})
		return ok
	}
	switch str(p, "class") {
	case "CONJUNCTION":
		return each(c.amountCondition)
	case "COMPARISON", "BETWEEN":
		return each(c.amountForm)
	case "OPERATOR":
		switch str(p, "type") {
		case "OPERATOR_NOT", "OPERATOR_TRY":
			return each(c.amountCondition)
		case "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "COMPARE_IN", "COMPARE_NOT_IN":
			return each(c.amountForm)
		}
		return false
	}
	return c.amountForm(p)
}

const amountReason = "金额、收入等敏感数值在条件和分组中只能与整齐的常数比较（至多两位有效数字，如 10000、1500、0.5，或以 5 结尾的三位，如 1250），可按这样的常数缩放、分段和取整；不能取余数、按字符串匹配或做条件判断"

// passesAmount reports whether a row value leaving its level (a column of a
// subquery or of a withheld result) reshapes sensitive numbers only by round
// constants: above, it is a sensitive number again and this rule holds there.
func (c *checker) passesAmount(n node) bool {
	return !c.mentionsAmount(n) || c.amountForm(n)
}
