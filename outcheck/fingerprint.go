package outcheck

import (
	"crypto/hmac"
	"encoding/binary"
	"hash"
	"math"
	"strings"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

// Fingerprinting for delivery (去向可查, R27.1).
//
// Scheme: the carrier is the number of decimal places of decimal cells.
// Fingerprint first writes every decimal column at one fixed scale d (the
// column's largest, padding with zeros, which changes no value), then, per
// cell, writes d or d+1 places (one extra trailing zero) as a keyed bit of
// (recipient, row, column) chooses. Why this carrier:
//   - it changes no value: "12.50" and "12.500" parse to the same number, so
//     analyses, sums and joins are untouched, and spreadsheets show the two
//     the same (invisible to the people who use the table);
//   - it survives CSV round trips, re-encoding and any tool that keeps text;
//   - each cell carries a bit that depends on the row's content, not its
//     position (rows are keyed by an HMAC-SM3 of their normalized values, in
//     which trailing zeros vanish), so a leaked subset, shuffled, still
//     carries its bits, and any dozen cells name the recipient with
//     overwhelming confidence.
//
// Limits: re-saving the numbers through a tool that reformats them (Excel
// "save as CSV" writes 12.5) erases the mark, as does rewriting every value;
// two colluding recipients can see where their copies differ. A table with
// no decimal column has no carrier: Fingerprint refuses it, and the
// integration must then rely on the delivery record alone.

// Attribution is the answer of Attribute.
type Attribution struct {
	Recipient  string  `json:"recipient"`  // "" when no candidate is supported
	Confidence float64 `json:"confidence"` // 1 - p-value, corrected for the number of candidates
	Bits       int     `json:"bits"`       // marked cells read from the leaked copy
	Matches    int     `json:"matches"`    // of them, agreeing with Recipient's mark
}

// Fingerprint returns a copy of t's rows marked for recipient.
func Fingerprint(t Table, recipient string, secret []byte) (Table, error) {
	const op = "outcheck.Fingerprint"
	if recipient == "" || len(secret) < 16 {
		return Table{}, shuyu.Errorf(shuyu.EINVALID, "%s: 接收方与不少于16字节的指纹密钥必填 (recipient and a 16-byte secret required)", op)
	}
	scale := make([]int, len(t.Columns)) // -1: not a carrier
	for i := range scale {
		scale[i] = -2 // unknown yet
	}
	err := t.each(func(row []string) bool {
		for i, v := range row {
			v = strings.TrimSpace(v)
			if scale[i] == -1 || v == "" {
				continue
			}
			if !isNumber(v) {
				scale[i] = -1
				continue
			}
			if dot := strings.IndexByte(v, '.'); dot >= 0 {
				scale[i] = max(scale[i], len(v)-dot-1, 1)
			}
		}
		return true
	})
	if err != nil {
		return Table{}, err
	}
	carriers := 0
	for i, s := range scale {
		if s < 1 {
			scale[i] = -1
		} else {
			carriers++
		}
	}
	if carriers == 0 {
		return Table{}, shuyu.Errorf(shuyu.EUNPROCESSABLE, "表 %s 没有可承载指纹的小数列 (no decimal column to carry a fingerprint)", t.Name)
	}
	fk := newFingerKeys(secret, t.Columns)
	rk := fk.recipient(recipient)
	out := Table{Name: t.Name, Columns: append([]string(nil), t.Columns...), Aggregate: t.Aggregate,
		KeyedPseudonyms: t.KeyedPseudonyms}
	err = t.each(func(row []string) bool {
		key := fk.row(row)
		r := make([]string, len(row))
		for i, v := range row {
			r[i] = v
			if scale[i] < 0 || strings.TrimSpace(v) == "" {
				continue
			}
			places := scale[i]
			if fk.bit(rk, key, i) {
				places++
			}
			r[i] = withPlaces(strings.TrimSpace(v), places)
		}
		out.Rows = append(out.Rows, r)
		return true
	})
	if err != nil {
		return Table{}, err
	}
	return out, nil
}

// Attribute names the candidate a leaked copy of a fingerprinted table was
// delivered to. Rows may be any subset in any order; columns are found by
// name.
func Attribute(leaked Table, candidates []string, secret []byte) (Attribution, error) {
	if len(candidates) == 0 || len(secret) < 16 {
		return Attribution{}, shuyu.Errorf(shuyu.EINVALID, "候选接收方与指纹密钥必填 (candidates and secret required)")
	}
	// The scale of a column is its shortest fraction: unmarked cells.
	scale := make([]int, len(leaked.Columns))
	for i := range scale {
		scale[i] = math.MaxInt
	}
	err := leaked.each(func(row []string) bool {
		for i, v := range row {
			v = strings.TrimSpace(v)
			if scale[i] < 0 || v == "" {
				continue
			}
			dot := strings.IndexByte(v, '.')
			if !isNumber(v) || dot < 0 {
				scale[i] = -1
				continue
			}
			scale[i] = min(scale[i], len(v)-dot-1)
		}
		return true
	})
	if err != nil {
		return Attribution{}, err
	}
	fk := newFingerKeys(secret, leaked.Columns)
	rks := make([]uint64, len(candidates))
	for i, c := range candidates {
		rks[i] = fk.recipient(c)
	}
	matches := make([]int, len(candidates))
	bits := 0
	err = leaked.each(func(row []string) bool {
		key := fk.row(row)
		for i, v := range row {
			if scale[i] < 1 || scale[i] == math.MaxInt {
				continue
			}
			v = strings.TrimSpace(v)
			places := len(v) - strings.IndexByte(v, '.') - 1
			if places != scale[i] && !(places == scale[i]+1 && v[len(v)-1] == '0') {
				continue // reformatted: carries nothing
			}
			bits++
			got := places == scale[i]+1
			for c, rk := range rks {
				if fk.bit(rk, key, i) == got {
					matches[c]++
				}
			}
		}
		return true
	})
	if err != nil {
		return Attribution{}, err
	}
	best := 0
	for c := range candidates {
		if matches[c] > matches[best] {
			best = c
		}
	}
	a := Attribution{Bits: bits, Matches: matches[best]}
	if bits == 0 {
		return a, nil
	}
	p := binomialTail(bits, matches[best]) * float64(len(candidates))
	a.Confidence = math.Max(0, 1-p)
	// A genuine copy agrees on (nearly) every bit; a stranger on half.
	if float64(matches[best]) >= 0.9*float64(bits) && a.Confidence >= 0.99 {
		a.Recipient = candidates[best]
	}
	return a, nil
}

// fingerKeys derives the keyed pieces of the mark from the secret.
type fingerKeys struct {
	secret []byte
	cols   []uint64
	buf    []byte
	mac    hash.Hash // HMAC-SM3 under the secret, reset per row
	sum    []byte
}

func newFingerKeys(secret []byte, columns []string) *fingerKeys {
	fk := &fingerKeys{secret: secret, mac: hmac.New(sm3.New, secret)}
	for _, c := range columns {
		fk.cols = append(fk.cols, fk.prf("column\x00"+c))
	}
	return fk
}

func (fk *fingerKeys) prf(s string) uint64 {
	m := hmac.New(sm3.New, fk.secret)
	m.Write([]byte(s))
	return binary.BigEndian.Uint64(m.Sum(nil))
}

func (fk *fingerKeys) recipient(id string) uint64 { return fk.prf("recipient\x00" + id) }

// row keys a row by its normalized values in column order, so marking
// (trailing zeros) does not change its key.
func (fk *fingerKeys) row(row []string) uint64 {
	fk.buf = fk.buf[:0]
	for _, v := range row {
		fk.buf = append(fk.buf, normalize(v)...)
		fk.buf = append(fk.buf, 0x1f)
	}
	fk.mac.Reset()
	fk.mac.Write(fk.buf)
	fk.sum = fk.mac.Sum(fk.sum[:0])
	return binary.BigEndian.Uint64(fk.sum)
}

func (fk *fingerKeys) bit(recipient, row uint64, col int) bool {
	return mix64(row^mix64(recipient^fk.cols[col]))&1 == 1
}

// withPlaces writes the decimal v with exactly places fractional digits,
// padding zeros (v has at most places digits after the point).
func withPlaces(v string, places int) string {
	dot := strings.IndexByte(v, '.')
	if dot < 0 {
		v += "."
		dot = len(v) - 1
	}
	have := len(v) - dot - 1
	if have >= places {
		return v
	}
	return v + strings.Repeat("0", places-have)
}

// binomialTail is P(X >= m) for X ~ Binomial(n, 1/2).
func binomialTail(n, m int) float64 {
	if m <= 0 {
		return 1
	}
	ln2 := math.Ln2 * float64(n)
	lgN, _ := math.Lgamma(float64(n + 1))
	p := 0.0
	for k := m; k <= n; k++ {
		a, _ := math.Lgamma(float64(k + 1))
		b, _ := math.Lgamma(float64(n - k + 1))
		p += math.Exp(lgN - a - b - ln2)
	}
	return math.Min(p, 1)
}
