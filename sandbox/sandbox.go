// Package sandbox runs merchants' SQL over the sealed data domain and decides
// what may be shown: data is usable but invisible (可用不可见, R4.2). Queries
// are parsed by DuckDB's own parser, checked against column policies, re-made
// from the checked syntax tree, and released only when every output row hides
// at least K persons (R28.3, R28.5); row-level results stay inside the domain.
package sandbox

import (
	"github.com/duckdb/duckdb-go/v2"
	"sync"
	"time"
	"weak"

	"github.com/google/differential-privacy/go/v3/noise"
)

// Policy is how a column may be used in a governed query (R2.1: personal
// information is marked and handled more strictly).
type Policy string

const (
	// Identifier columns (ID numbers, names, phones, addresses) never reach
	// released output; they may join and be counted inside the domain.
	Identifier Policy = "identifier"
	// Quasi columns (birth date, gender, county, postcode) appear only as
	// group keys, generalized where needed, or inside aggregates.
	Quasi Policy = "quasi"
	// Sensitive columns (income, diagnosis, amounts) appear only inside aggregates.
	Sensitive Policy = "sensitive"
	// Open columns are non-personal attributes.
	Open Policy = "open"
)

// rank orders policies from least to most restrictive.
func (p Policy) rank() int {
	switch p {
	case Open:
		return 0
	case Quasi:
		return 1
	case Sensitive:
		return 2
	default: // Identifier and anything unknown: default deny.
		return 3
	}
}

// Column is one column a merchant may use.
type Column struct {
	Name   string
	Type   string // DuckDB type name, e.g. VARCHAR, DATE, DECIMAL(12,2)
	Policy Policy
	// Generalize demands a generalizing function (age_band, to_month,
	// to_year, date_trunc…) before a Quasi column may be a group key. Date and
	// timestamp Quasi columns need it whether or not this is set.
	Generalize bool
	// Bounds are the declared range of a numeric column. Differential-privacy
	// mode clamps values into it before summing (contribution bounding) and
	// refuses sums over columns without it.
	Bounds *Bounds
	// Derived marks a subquery's column computed with constants
	// (floor(sum(x) / 500), sign(date_diff('day', DATE '…', d))): a group
	// key or a condition further out, never an aggregate's argument, where
	// it would be an indicator no low-effect test sees (linear.go).
	Derived bool
}

// Bounds is a closed numeric range.
type Bounds struct{ Lower, Upper float64 }

// Table is one table granted to a workspace.
type Table struct {
	Name      string // the name merchants use
	Source    string // the physical table or view
	PersonKey string // column identifying the person or company counted for K
	// OnePerPerson says each row is a different person, so a single-table
	// count(*) is the distinct person count and no count DISTINCT is needed.
	OnePerPerson bool
	// Version names the table's content when it never changes (a domain
	// version). The engine then checks once whether PersonKey is unique in
	// it and, if so, treats each row as its own unit: the same answers,
	// without grouping rows per person.
	Version string
	Columns []Column
}

func (t *Table) column(name string) (*Column, bool) {
	for i := range t.Columns {
		if equalFold(t.Columns[i].Name, name) {
			return &t.Columns[i], true
		}
	}
	return nil, false
}

// Workspace is a merchant's development environment (开发利用环境).
type Workspace struct {
	ID     string
	Tables []Table
	K      int // minimum distinct persons per released row; default 10, never below 5
	Secret []byte
	// Epsilon is the differential-privacy budget; 0 disables DP mode. In DP
	// mode aggregates are released with Laplace noise and each release
	// spends DP.QueryEpsilon of it.
	Epsilon float64
	DP      DPSettings
}

// MinK is the floor under any workspace's K.
const MinK = 5

func (ws *Workspace) k() int {
	switch {
	case ws.K == 0:
		return 10
	case ws.K < MinK:
		return MinK
	}
	return ws.K
}

func (ws *Workspace) table(name string) (*Table, bool) {
	for i := range ws.Tables {
		if equalFold(ws.Tables[i].Name, name) {
			return &ws.Tables[i], true
		}
	}
	return nil, false
}

// Status is the outcome of a governed query.
type Status string

const (
	Released Status = "released" // shown to the merchant
	Withheld Status = "withheld" // kept inside the domain as a workspace table
	Rejected Status = "rejected" // broke a rule; not run
)

// Reason explains an outcome in plain Chinese; Code is for machines.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Metering is what a query cost (R14.2).
type Metering struct {
	Wall         time.Duration // wall time of parse, check and execution
	CPU          time.Duration // process CPU time (user+sys) during execution; other work in the process inflates it
	RowsScanned  int64         // best effort: estimated rows of the source tables read
	RowsReturned int64
}

// ShapeColumn names and types one output column; never values.
type ShapeColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Shape describes a result for the audit trail (R27.1) without its values.
type Shape struct {
	Columns    []ShapeColumn `json:"columns"`
	Rows       int           `json:"rows"`
	Suppressed int           `json:"suppressed"`
	Table      string        `json:"table,omitempty"` // the workspace table of a withheld result
	SQLHash    string        `json:"sql_hash"`        // SM3 of the SQL that ran
}

// Result is the answer to a governed query.
type Result struct {
	Status   Status
	Reasons  []Reason
	Columns  []string
	Rows     [][]any
	Metering Metering
	Shape    Shape
}

// Engine runs governed queries. One Engine serves many workspaces; their
// release records live in Releases.
type Engine struct {
	// Now gives the reference date for age_band and stamps release records;
	// injected for tests.
	Now func() time.Time
	// Timeout bounds one query's execution (Invariant 6); 0 means 60s.
	Timeout time.Duration
	// Releases records released results per workspace for the differencing
	// check and the differential-privacy budget (R28.3).
	Releases ReleaseLog
	// Noise draws differential-privacy noise; nil means Laplace noise from
	// Google's library. Tests may inject a fixed source.
	Noise noise.Noise

	// NoiseKey seeds every noise draw and noisy threshold (at least 16
	// bytes; docs/disclosure.md). Nil falls back to each workspace's secret.
	NoiseKey []byte

	// failHook sees the cause of an execution failure; tests only (the
	// cause may quote data values, so production never keeps it).
	failHook func(error)

	prepareMu sync.Mutex // serializes registering functions on connections
	mu        sync.Mutex
	locks     map[string]*sync.Mutex // per-workspace release lock
	prepared  map[weak.Pointer[duckdb.Conn]]bool
	seq       map[string]int // last withheld result number per workspace
	keys      keyring
	scans     scanCache
	unique    map[string]bool // by Table.Version: is the person key unique
}

// NewEngine returns an Engine using now as its clock and an in-memory
// release log.
func NewEngine(now func() time.Time) *Engine {
	return &Engine{Now: now, Releases: NewMemoryReleaseLog()}
}

// releaseLog is Releases, or an in-memory log for an Engine built without one.
func (e *Engine) releaseLog() ReleaseLog {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Releases == nil {
		e.Releases = NewMemoryReleaseLog()
	}
	return e.Releases
}

// lockWorkspace serializes the release step of one workspace: load the
// record, decide, append. Queries themselves run concurrently.
func (e *Engine) lockWorkspace(id string) func() {
	e.mu.Lock()
	if e.locks == nil {
		e.locks = map[string]*sync.Mutex{}
	}
	m := e.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		e.locks[id] = m
	}
	e.mu.Unlock()
	m.Lock()
	return m.Unlock
}
