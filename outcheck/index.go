package outcheck

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"strings"

	"github.com/emmansun/gmsm/sm3"

	"shuyu/ident"
)

// RawColumn describes one column of a raw domain table covered by an index.
type RawColumn struct {
	Table      string `json:"table"`
	Name       string `json:"name"`
	Identifier bool   `json:"identifier"` // identifies a person or entity (declared or detected)
	Numeric    bool   `json:"numeric"`    // every non-empty value is a number
	Distinct   int64  `json:"distinct"`   // estimated distinct values
	Rows       int64  `json:"rows"`       // rows of its table
}

// ColSet names a set of raw columns; 0 is the empty set.
type ColSet uint32

// RawIndex answers the questions the output check asks about the domain's
// raw data without handing raw values to the engine: which raw columns hold
// a value, whether a row equals a raw row, whether bytes are an unkeyed
// digest of a raw value. Public-source tables are never in it (R4.3). Scan
// streams a projection of a raw table for the linkage checks; it runs
// inside the domain and its rows never leave the engine.
type RawIndex interface {
	Columns() []RawColumn
	// Lookup normalises v and returns the index's keyed hash of it and the
	// raw columns holding it.
	Lookup(v string) (h uint64, set ColSet)
	ColSet(set ColSet) []int
	// ContainsRow reports whether some raw row has exactly the multiset of
	// values whose Lookup hashes are hs.
	ContainsRow(hs []uint64) bool
	// MatchDigest reports whether d is an MD5, SHA-1, SHA-256 or SM3 digest
	// of a raw identifier or category value.
	MatchDigest(d []byte) bool
	Scan(ctx context.Context, table string, cols []string, fn func(row []string) error) error
}

// RawTable is a raw table offered to an IndexBuilder.
type RawTable struct {
	Name        string
	Columns     []string
	Identifiers []string // declared identifier columns (spec: PI with a format, R2.1)
	Public      bool     // R4.3: from public channels; left out of the index
	// Rows streams every row; the builder calls it twice.
	Rows func(ctx context.Context, yield func(row []string) bool) error
}

// IndexBuilder builds a MemIndex from raw tables.
type IndexBuilder struct {
	seed    maphash.Seed
	cols    []RawColumn
	vals    u64map // value hash -> ColSet
	rows    u64map // row multiset hash -> 1
	digests u64map // first 8 bytes of a digest -> 1
	sets    [][]int
	memo    map[[2]int]ColSet
	tables  map[string]RawTable
}

// NewIndexBuilder returns a builder with a fresh random hash key: the index
// holds keyed 64-bit hashes only, useless outside this process.
func NewIndexBuilder() *IndexBuilder {
	return &IndexBuilder{seed: maphash.MakeSeed(), sets: [][]int{nil}, memo: map[[2]int]ColSet{},
		tables: map[string]RawTable{}}
}

// Add indexes one raw table: its values, its rows, and digests of its
// identifier values and of the values of small-domain columns (categories
// are small enough to hash exhaustively, so their hashes are reversible too).
func (b *IndexBuilder) Add(ctx context.Context, t RawTable) error {
	if t.Public {
		return nil // R4.3: public-source data may leave; nothing to protect
	}
	b.tables[t.Name] = t
	base := len(b.cols)
	n := len(t.Columns)
	sketches := make([]distinct, n)
	small := make([]map[string]bool, n)
	numeric, measure := make([]bool, n), make([]bool, n)
	for i := range small {
		small[i], numeric[i], measure[i] = map[string]bool{}, true, true
	}
	var rows int64
	err := t.Rows(ctx, func(row []string) bool {
		rows++
		var sum uint64
		for i, v := range row {
			nv := normalize(v)
			h := maphash.String(b.seed, nv)
			sum += mix64(h)
			if nv == "" {
				continue
			}
			sketches[i].add(h)
			if numeric[i] && !isNumber(nv) {
				numeric[i] = false
			}
			if measure[i] && !isNumber(nv) && !isTemporal(nv) {
				measure[i] = false
			}
			col := base + i
			b.vals.put(h, func(old uint32, ok bool) uint32 { return uint32(b.union(ColSet(old), col)) })
			if small[i] != nil {
				small[i][nv] = true
				if len(small[i]) > smallDomain {
					small[i] = nil
				}
			}
		}
		b.rows.put(sum, func(uint32, bool) uint32 { return 1 })
		return true
	})
	if err != nil {
		return err
	}
	declared := map[string]bool{}
	for _, c := range t.Identifiers {
		declared[c] = true
	}
	var ids []int
	for i, name := range t.Columns {
		d := int64(sketches[i].estimate() + 0.5)
		rc := RawColumn{Table: t.Name, Name: name, Numeric: numeric[i], Distinct: d, Rows: rows}
		// Detected identifiers: nearly one value per row and not a plain
		// measure: amounts and dates are nearly unique in small tables too,
		// but they are quasi-identifiers at most, judged by k-anonymity.
		rc.Identifier = declared[name] || (rows >= 20 && float64(d) >= 0.9*float64(rows) && !measure[i])
		b.cols = append(b.cols, rc)
		if rc.Identifier {
			ids = append(ids, i)
		}
		for v := range small[i] {
			b.addDigests(v)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return t.Rows(ctx, func(row []string) bool {
		for _, i := range ids {
			if nv := normalize(row[i]); nv != "" {
				b.addDigests(nv)
				if nv != row[i] {
					b.addDigests(row[i])
				}
			}
		}
		return true
	})
}

// smallDomain is the largest distinct count whose values are digested as
// a brute-forceable domain.
const smallDomain = 256

func (b *IndexBuilder) addDigests(v string) {
	set := func(d []byte) { b.digests.put(binary.BigEndian.Uint64(d), func(uint32, bool) uint32 { return 1 }) }
	m := md5.Sum([]byte(v))
	set(m[:])
	s1 := sha1.Sum([]byte(v))
	set(s1[:])
	s2 := sha256.Sum256([]byte(v))
	set(s2[:])
	s3 := sm3.Sum([]byte(v))
	set(s3[:])
}

func (b *IndexBuilder) union(s ColSet, col int) ColSet {
	if s != 0 {
		for _, c := range b.sets[s] {
			if c == col {
				return s
			}
		}
	}
	key := [2]int{int(s), col}
	if u, ok := b.memo[key]; ok {
		return u
	}
	u := ColSet(len(b.sets))
	b.sets = append(b.sets, append(append([]int(nil), b.sets[s]...), col))
	b.memo[key] = u
	return u
}

// Build returns the index. scan, when not nil, serves Scan (e.g. a
// projection query inside DuckDB); otherwise the tables' Rows are projected.
func (b *IndexBuilder) Build(scan func(ctx context.Context, table string, cols []string, fn func([]string) error) error) *MemIndex {
	return &MemIndex{b: b, scan: scan}
}

// MemIndex is a RawIndex held in memory as keyed hashes.
type MemIndex struct {
	b    *IndexBuilder
	scan func(ctx context.Context, table string, cols []string, fn func([]string) error) error
}

// Columns implements RawIndex.
func (x *MemIndex) Columns() []RawColumn { return x.b.cols }

// Lookup implements RawIndex.
func (x *MemIndex) Lookup(v string) (uint64, ColSet) {
	h := maphash.String(x.b.seed, normalize(v))
	s, _ := x.b.vals.get(h)
	return h, ColSet(s)
}

// ColSet implements RawIndex.
func (x *MemIndex) ColSet(s ColSet) []int { return x.b.sets[s] }

// ContainsRow implements RawIndex.
func (x *MemIndex) ContainsRow(hs []uint64) bool {
	var sum uint64
	for _, h := range hs {
		sum += mix64(h)
	}
	_, ok := x.b.rows.get(sum)
	return ok
}

// MatchDigest implements RawIndex.
func (x *MemIndex) MatchDigest(d []byte) bool {
	if len(d) < 16 {
		return false
	}
	_, ok := x.b.digests.get(binary.BigEndian.Uint64(d))
	return ok
}

// Scan implements RawIndex.
func (x *MemIndex) Scan(ctx context.Context, table string, cols []string, fn func([]string) error) error {
	if x.scan != nil {
		return x.scan(ctx, table, cols, fn)
	}
	t, ok := x.b.tables[table]
	if !ok {
		return nil
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		for j, tc := range t.Columns {
			if tc == c {
				idx[i] = j
			}
		}
	}
	out := make([]string, len(cols))
	var ferr error
	err := t.Rows(ctx, func(row []string) bool {
		for i, j := range idx {
			out[i] = ""
			if j >= 0 {
				out[i] = row[j]
			}
		}
		ferr = fn(out)
		return ferr == nil
	})
	if err != nil {
		return err
	}
	return ferr
}

// normalize maps the spellings of one value onto one form, so that a copy
// cannot dodge the overlap check by reformatting: surrounding spaces, a
// lower-case x in an ID number, trailing zeros of a decimal ("5.50" is
// "5.5", "5.000000" from DECIMAL(18,6) is "5"), decorated mobile numbers.
func normalize(v string) string {
	v = trimASCII(v)
	n := len(v)
	if n == 0 {
		return v
	}
	if n == 18 && v[17] == 'x' {
		return ident.NormalizeCitizenID(v)
	}
	if dot := strings.IndexByte(v, '.'); dot > 0 && isNumber(v) {
		j := n
		for j > dot+1 && v[j-1] == '0' {
			j--
		}
		if j == dot+1 {
			j = dot
		}
		return v[:j]
	}
	if n > 11 && n <= 20 && (v[0] == '+' || isDigit(v[0])) && strings.ContainsAny(v, "+- ") {
		if m, ok := ident.NormalizeMobile(v); ok {
			return m
		}
	}
	return v
}

// trimASCII trims ASCII white space; unlike strings.TrimSpace it stays on
// the fast path for values that begin with Chinese characters.
func trimASCII(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t' || s[j-1] == '\r' || s[j-1] == '\n') {
		j--
	}
	return s[i:j]
}

// isTemporal: a date or time as DuckDB and CSV files write them
// (2024-05-01, 2024/05/01 08:30:00, 2024-05-01T08:30:00+08:00).
func isTemporal(s string) bool {
	if len(s) < 8 || !isDigit(s[0]) {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == '-' || c == '/' || c == ':' || c == ' ' || c == 'T' || c == '.' || c == '+' || c == 'Z':
		default:
			return false
		}
	}
	return digits >= 6
}

// isNumber: an optional sign, digits, an optional fraction.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
