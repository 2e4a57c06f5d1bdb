package sandbox

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
)

func hasAggregate(v any) bool {
	switch x := v.(type) {
	case node:
		if str(x, "class") == "FUNCTION" && aggregates[strings.ToLower(str(x, "function_name"))] {
			return true
		}
		if str(x, "class") == "SUBQUERY" {
			return false
		}
		for _, e := range x {
			if hasAggregate(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasAggregate(e) {
				return true
			}
		}
	}
	return false
}

func deepCopy(n node) node {
	if n == nil {
		return nil
	}
	b, _ := json.Marshal(n)
	var out node
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

// toFloat reads the numeric values DuckDB returns.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case int:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint8:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case interface{ Float64() float64 }:
		return x.Float64(), true
	}
	return math.NaN(), false
}
