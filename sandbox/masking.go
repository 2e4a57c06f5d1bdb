package sandbox

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/emmansun/gmsm/sm3"
)

// Masking functions (脱敏, R28.5) that merchants may call. Each is rewritten in
// the checked syntax tree to an internal name the merchant cannot call
// directly, so the internal helpers stay out of the whitelist.
var maskingRewrites = map[string]string{
	"mask_hash":    "shuyu_hmac_sm3",
	"mask_partial": "shuyu_mask_partial",
	"age_band":     "shuyu_age_band",
	"to_month":     "shuyu_to_month",
	"to_year":      "shuyu_to_year",
	"county_of":    "shuyu_county_of",
	"suppress":     "shuyu_suppress",
	// PostgreSQL's width_bucket, which DuckDB lacks: a binning function.
	"width_bucket": "shuyu_width_bucket",
}

// maskingArity is the number of arguments a merchant passes.
var maskingArity = map[string]int{
	"mask_hash": 1, "mask_partial": 3, "age_band": 2, "to_month": 1,
	"to_year": 1, "county_of": 1, "suppress": 1, "width_bucket": 4,
}

// macros are per-connection (TEMP) so they need no catalog rights and vanish
// with the connection. age_band takes the reference date the engine injects.
var macros = []string{
	`CREATE OR REPLACE TEMP MACRO shuyu_mask_partial(x, l, r) AS
	  CASE WHEN x IS NULL THEN NULL
	       WHEN length(CAST(x AS VARCHAR)) <= l + r THEN repeat('*', length(CAST(x AS VARCHAR)))
	       ELSE left(CAST(x AS VARCHAR), l) || repeat('*', length(CAST(x AS VARCHAR)) - l - r) || right(CAST(x AS VARCHAR), r) END`,
	`CREATE OR REPLACE TEMP MACRO shuyu_age_band(d, w, ref) AS
	  CAST(floor(date_sub('year', CAST(d AS DATE), CAST(ref AS DATE)) / w) * w AS INTEGER)::VARCHAR || '-' ||
	  CAST(floor(date_sub('year', CAST(d AS DATE), CAST(ref AS DATE)) / w) * w + w - 1 AS INTEGER)::VARCHAR`,
	`CREATE OR REPLACE TEMP MACRO shuyu_to_month(d) AS strftime(CAST(d AS DATE), '%Y-%m')`,
	`CREATE OR REPLACE TEMP MACRO shuyu_to_year(d) AS year(CAST(d AS DATE))`,
	`CREATE OR REPLACE TEMP MACRO shuyu_county_of(c) AS left(CAST(c AS VARCHAR), 6)`,
	`CREATE OR REPLACE TEMP MACRO shuyu_suppress(x) AS CAST(NULL AS VARCHAR)`,
	// PostgreSQL semantics: 0 below lo, n+1 at or above hi, else 1..n.
	// Its bounds and count are constants (transform.go), so each bucket is
	// a fixed interval of values, like floor(x / w) * w.
	`CREATE OR REPLACE TEMP MACRO shuyu_width_bucket(x, lo, hi, n) AS
	  CASE WHEN x IS NULL THEN NULL
	       WHEN x < lo THEN 0
	       WHEN x >= hi THEN CAST(n AS BIGINT) + 1
	       ELSE least(CAST(floor((x - lo) * n / (hi - lo)) AS BIGINT) + 1, CAST(n AS BIGINT)) END`,
}

// keyring maps a workspace ID to its masking secret for the HMAC UDF, so that
// secrets never appear in SQL text (nor in an engine error message).
type keyring struct {
	mu   sync.RWMutex
	keys map[string][]byte
}

func (k *keyring) set(id string, secret []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string][]byte{}
	}
	k.keys[id] = append([]byte(nil), secret...)
}

func (k *keyring) remove(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, id)
}

func (k *keyring) get(id string) ([]byte, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	s, ok := k.keys[id]
	return s, ok
}

// MaskHash is the keyed hash behind mask_hash: HMAC-SM3 of x under secret, hex.
func MaskHash(secret []byte, x string) string {
	m := hmac.New(sm3.New, secret)
	m.Write([]byte(x))
	return hex.EncodeToString(m.Sum(nil))
}

// hmacUDF is shuyu_hmac_sm3(workspace_id, value).
type hmacUDF struct{ ring *keyring }

func (u hmacUDF) Config() duckdb.ScalarFuncConfig {
	vt, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{vt, vt}, ResultTypeInfo: vt}
}

func (u hmacUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(v []driver.Value) (any, error) {
		id, _ := v[0].(string)
		x, _ := v[1].(string)
		secret, ok := u.ring.get(id)
		if !ok || len(secret) == 0 {
			return nil, fmt.Errorf("no masking key")
		}
		return MaskHash(secret, x), nil
	}}
}

// prepare registers the masking UDF and macros on conn. It is idempotent and
// works on a locked connection (neither is a configuration change).
// Each connection is prepared once: registering costs milliseconds, a
// visible share of a governed query's overhead (issue 6 benchmark). The
// record is keyed by a weak pointer, so a closed and collected connection
// drops out and a new one at the same address is prepared afresh.
func (e *Engine) prepare(ctx context.Context, conn *sql.Conn) error {
	// The functions live on the pooled DuckDB connection, which outlives
	// the *sql.Conn handed out for one query: key by the driver's.
	var dc *duckdb.Conn
	if err := conn.Raw(func(c any) error {
		dc, _ = c.(*duckdb.Conn)
		return nil
	}); err != nil {
		return err
	}
	if dc == nil {
		return fmt.Errorf("register masking functions: not a DuckDB connection")
	}
	wp := weak.Make(dc)
	e.mu.Lock()
	done := e.prepared[wp]
	e.mu.Unlock()
	if done {
		return nil
	}
	// Registering functions on connections of one database at the same time
	// fails in DuckDB ("could not create scalar UDF"): one at a time.
	e.prepareMu.Lock()
	defer e.prepareMu.Unlock()
	e.mu.Lock()
	done = e.prepared[wp]
	e.mu.Unlock()
	if done {
		return nil
	}
	if err := duckdb.RegisterScalarUDF(conn, "shuyu_hmac_sm3", hmacUDF{ring: &e.keys}); err != nil {
		return fmt.Errorf("register mask_hash: %w", err)
	}
	for _, m := range macros {
		if _, err := conn.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("create masking macro: %w", err)
		}
	}
	e.mu.Lock()
	if e.prepared == nil {
		e.prepared = map[weak.Pointer[duckdb.Conn]]bool{}
	}
	e.prepared[wp] = true
	e.mu.Unlock()
	runtime.AddCleanup(dc, func(wp weak.Pointer[duckdb.Conn]) {
		e.mu.Lock()
		delete(e.prepared, wp)
		e.mu.Unlock()
	}, wp)
	return nil
}
