package vault

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Pulled rows arrive as text and are appended typed. The text of common
// sources is canonical (PostgreSQL's and MySQL's own output: 123, 100.50,
// true, 2026-03-01, 2026-03-01 08:00:01), and those forms are converted
// here without a round trip; any other text is handed to DuckDB's own
// TRY_CAST, so a pulled value parses exactly when the same value in an
// uploaded JSON-lines or Parquet file would (buildTyped), and to the same
// value. A value DuckDB refuses too is a row error.

// decimalScale is the scale of TypeDecimal's DECIMAL(18,6).
const decimalScale = 6

// converter turns one column's text into the value the appender takes.
type converter struct {
	col  Column
	slow *slowCast
}

// value returns the appender's value of v (non-empty, valid UTF-8), held
// by b (rowBatch.int64Value), or ok=false when v does not parse as the
// column's type.
func (c *converter) value(b *rowBatch, v []byte) (driver.Value, bool, error) {
	switch c.col.Type {
	case TypeString:
		return b.stringValue(unsafe.String(&v[0], len(v))), true, nil
	case TypeInteger:
		if n, ok := parseInt(v); ok {
			return b.int64Value(n), true, nil
		}
	case TypeDecimal:
		if n, ok := parseDecimal(v); ok {
			return b.int64Value(n), true, nil
		}
	case TypeBoolean:
		switch string(v) {
		case "true", "t":
			return true, true, nil
		case "false", "f":
			return false, true, nil
		}
	case TypeDate:
		if t, ok := parseDate(v); ok {
			return b.timeValue(t), true, nil
		}
	case TypeTimestamp:
		if t, ok := parseTimestamp(v); ok {
			return b.timeValue(t), true, nil
		}
	}
	return c.slow.cast(c.col.Type, string(v))
}

// parseInt accepts [+-]digits within int64.
func parseInt(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(unsafe.String(&v[0], len(v)), 10, 64)
	return n, err == nil
}

// parseDecimal accepts [-]digits[.digits] with at most decimalScale
// fraction digits and at most 12 integer digits (DECIMAL(18,6)), and returns
// the unscaled value the appender stores.
func parseDecimal(v []byte) (int64, bool) {
	neg := false
	if len(v) > 0 && (v[0] == '-' || v[0] == '+') {
		neg = v[0] == '-'
		v = v[1:]
	}
	var n int64
	intDigits, frac := 0, -1
	for _, b := range v {
		switch {
		case b >= '0' && b <= '9':
			if frac >= 0 {
				frac++
				if frac > decimalScale {
					return 0, false
				}
			} else {
				intDigits++
				if intDigits > 18-decimalScale {
					return 0, false
				}
			}
			n = n*10 + int64(b-'0')
		case b == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if intDigits == 0 && frac <= 0 {
		return 0, false
	}
	if frac < 0 {
		frac = 0
	}
	for ; frac < decimalScale; frac++ {
		n *= 10
	}
	if neg {
		n = -n
	}
	return n, true
}

func digits(v []byte) (int, bool) {
	n := 0
	for _, b := range v {
		if b < '0' || b > '9' {
			return 0, false
		}
		n = n*10 + int(b-'0')
	}
	return n, true
}

// parseDate accepts YYYY-MM-DD naming a real day.
func parseDate(v []byte) (time.Time, bool) {
	d, ok := parseDays(v)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(d*86400, 0).UTC(), true
}

// parseDays is the day of YYYY-MM-DD counted from 1970-01-01.
func parseDays(v []byte) (int64, bool) {
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(v[:4])
	m, ok2 := digits(v[5:7])
	d, ok3 := digits(v[8:10])
	if !ok1 || !ok2 || !ok3 || y == 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days from 1970-01-01 in the proleptic Gregorian
// calendar (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y ≥ 0 here
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseTimestamp accepts YYYY-MM-DD HH:MM:SS with up to six fraction
// digits (a wall time: TIMESTAMP has no zone).
func parseTimestamp(v []byte) (time.Time, bool) {
	if len(v) < 19 || (v[10] != ' ' && v[10] != 'T') || v[13] != ':' || v[16] != ':' {
		return time.Time{}, false
	}
	day, ok := parseDays(v[:10])
	if !ok {
		return time.Time{}, false
	}
	h, ok1 := digits(v[11:13])
	mi, ok2 := digits(v[14:16])
	s, ok3 := digits(v[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	us := 0
	if rest := v[19:]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 7 {
			return time.Time{}, false
		}
		f, ok := digits(rest[1:])
		if !ok {
			return time.Time{}, false
		}
		for i := len(rest) - 1; i < 6; i++ {
			f *= 10
		}
		us = f
	}
	sec := day*86400 + int64(h*3600+mi*60+s)
	return time.Unix(sec, int64(us)*1000).UTC(), true
}

// slowCast asks DuckDB to cast what the fast forms do not cover, on a
// connection of its own (the appender holds the other), remembering up to
// slowCacheMax answers (a source spelling booleans Y/N asks twice).
type slowCast struct {
	ctx   context.Context
	db    *sql.DB
	conn  *sql.Conn
	cache map[string]slowAnswer
}

type slowAnswer struct {
	v  driver.Value
	ok bool
}

const slowCacheMax = 10000

func (s *slowCast) close() {
	if s.conn != nil {
		s.conn.Close()
	}
}

func (s *slowCast) cast(t ColType, v string) (driver.Value, bool, error) {
	key := string(t) + "\x00" + v
	if a, ok := s.cache[key]; ok {
		return a.v, a.ok, nil
	}
	if !utf8.ValidString(v) {
		return nil, false, nil
	}
	if s.conn == nil {
		c, err := s.db.Conn(s.ctx)
		if err != nil {
			return nil, false, err
		}
		s.conn = c
	}
	var a slowAnswer
	row := s.conn.QueryRowContext(s.ctx, fmt.Sprintf("SELECT TRY_CAST(CAST(? AS VARCHAR) AS %s)", sqlType(t)), v)
	var err error
	switch t {
	case TypeInteger:
		var n sql.NullInt64
		err = row.Scan(&n)
		a = slowAnswer{n.Int64, n.Valid}
	case TypeDecimal:
		var d any
		if err = row.Scan(&d); err == nil && d != nil {
			if dec, ok := d.(duckdb.Decimal); ok && dec.Value != nil && dec.Scale == decimalScale && dec.Value.IsInt64() {
				a = slowAnswer{dec.Value.Int64(), true}
			} else if ok && dec.Value != nil {
				// Rescale defensively; DECIMAL(18,6) always fits int64.
				x := new(big.Int).Set(dec.Value)
				for sc := int(dec.Scale); sc < decimalScale; sc++ {
					x.Mul(x, big.NewInt(10))
				}
				a = slowAnswer{x.Int64(), x.IsInt64()}
			}
		}
	case TypeBoolean:
		var b sql.NullBool
		err = row.Scan(&b)
		a = slowAnswer{b.Bool, b.Valid}
	case TypeDate, TypeTimestamp:
		var tm sql.NullTime
		err = row.Scan(&tm)
		a = slowAnswer{tm.Time.UTC(), tm.Valid}
	default:
		a = slowAnswer{v, true}
	}
	if err != nil {
		return nil, false, SanitizeError(err)
	}
	if !a.ok {
		a.v = nil
	}
	if len(s.cache) < slowCacheMax {
		s.cache[key] = a
	}
	return a.v, a.ok, nil
}
