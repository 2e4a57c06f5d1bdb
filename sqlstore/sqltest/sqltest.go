// Package sqltest opens real stores for tests: SQLite in a temporary
// directory always, and PostgreSQL when SHUYU_TEST_POSTGRES names a server
// (a fresh database per test, copied from a template migrated once per test
// binary, dropped afterwards). CI sets SHUYU_REQUIRE_POSTGRES=1 so that a
// missing server fails instead of skipping. Each runs a test once per
// backend, in parallel, with a seeded store.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// Clock is a settable clock for injecting time (invariant 4).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Backends returns the backends to test: "sqlite" always, "postgres" when
// configured. It fails the test when PostgreSQL is required but absent.
func Backends(t testing.TB) []string {
	b := []string{"sqlite"}
	if os.Getenv("SHUYU_TEST_POSTGRES") != "" {
		b = append(b, "postgres")
	} else if os.Getenv("SHUYU_REQUIRE_POSTGRES") != "" {
		t.Fatal("SHUYU_REQUIRE_POSTGRES is set but SHUYU_TEST_POSTGRES is empty: start one with scripts/pg-throwaway")
	} else {
		t.Log("PostgreSQL backend skipped: SHUYU_TEST_POSTGRES is not set (scripts/pg-throwaway start prints a URL)")
	}
	return b
}

// Start is the default test clock start: a Wednesday morning in Shanghai.
var Start = time.Date(2026, 11, 25, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Open opens a fresh, migrated store of the backend with a settable clock.
// Password hashing is cheap in tests (the cost is a parameter, not a rule).
// On PostgreSQL the database is a copy of a migrated template (see
// freshDatabase), so migrations run once per test binary, not per test.
func Open(t testing.TB, backend string) (*sqlstore.DB, *Clock) {
	t.Helper()
	clock := NewClock(Start)
	opt := sqlstore.Options{DataDir: t.TempDir(), Now: clock.Now}
	if backend == "postgres" {
		opt.URL = freshDatabase(t, true)
	}
	db, err := sqlstore.Open(context.Background(), opt)
	if err != nil {
		t.Fatalf("open %s store: %v", backend, err)
	}
	db.PasswordIterations = 1000
	t.Cleanup(func() { db.Close() })
	return db, clock
}

// Env is one backend's world for a store test: a fresh migrated store, its
// clock (starting at Start) and, for Each, the accounts Seed creates.
type Env struct {
	Backend string // "sqlite" or "postgres"
	DB      *sqlstore.DB
	Clock   *Clock
	Actors  map[string]*shuyu.Actor // Seed's accounts by username; nil under EachEmpty
}

// Each runs fn once per backend (see Backends) as a subtest named after the
// backend, each with its own fresh store, seeded with Seed. The subtests
// run in parallel, with each other and with the package's other parallel
// tests, so fn must leave package-level state alone; and since a parallel
// subtest runs after its parent's function has returned, anything the
// caller sets up for fn must be undone with t.Cleanup, not defer.
func Each(t *testing.T, fn func(t *testing.T, env *Env)) {
	t.Helper()
	each(t, true, fn)
}

// EachEmpty is Each without Seed: the store holds only what the migrations
// put in it (for tests that count every event or build their own world).
func EachEmpty(t *testing.T, fn func(t *testing.T, env *Env)) {
	t.Helper()
	each(t, false, fn)
}

// EachBackend runs fn once per backend as a parallel subtest, like Each,
// for tests that build their own world for the backend (wstest, two
// handles on one database).
func EachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	eachBackend(t, true, fn)
}

// EachBackendInTurn is EachBackend with the backends one after the other:
// for a test whose work loads every core for seconds while it times what
// runs beside it (a heavy query and the cheap ones it must not block), so
// that the two backends' heavy work does not overlap.
func EachBackendInTurn(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	eachBackend(t, false, fn)
}

func eachBackend(t *testing.T, parallel bool, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			pgSlot(t, b)
			fn(t, b)
		})
	}
}

func each(t *testing.T, seed bool, fn func(t *testing.T, env *Env)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			pgSlot(t, b)
			if seed {
				fn(t, Seeded(t, b))
				return
			}
			db, clock := Open(t, b)
			fn(t, &Env{Backend: b, DB: db, Clock: clock})
		})
	}
}

// Seeded is Each's world for one backend, outside Each: a fresh store,
// its clock and Seed's accounts (for a test that runs on one backend, or a
// helper that takes a backend).
func Seeded(t testing.TB, backend string) *Env {
	t.Helper()
	db, clock := Open(t, backend)
	return &Env{Backend: backend, DB: db, Clock: clock, Actors: Seed(t, db)}
}

// pgSlots bounds the PostgreSQL subtests of Each and EachBackend that run
// at once in one test binary. go test runs up to -parallel (GOMAXPROCS)
// tests per binary and up to -p (GOMAXPROCS) binaries at once, and a
// store's pool may grow to 20 connections (the concurrency tests hold 8 at
// once), so on a machine with many cores the throwaway server's
// max_connections (200, scripts/pg-throwaway) could otherwise be reached.
// The per-backend tests all run through Each, EachEmpty or EachBackend
// (none loops over Backends by hand), so their PostgreSQL stores hold a slot.
var pgSlots = make(chan struct{}, 4)

// pgSlot holds one of pgSlots until the test ends, on PostgreSQL.
func pgSlot(t *testing.T, backend string) {
	if backend != "postgres" {
		return
	}
	pgSlots <- struct{}{}
	t.Cleanup(func() { <-pgSlots })
}

// FreshPostgres creates an empty throwaway database on the
// SHUYU_TEST_POSTGRES server, dropped when the test ends, and returns its
// URL (for tests that open two handles on one database and so run the
// migrations themselves, concurrently).
func FreshPostgres(t testing.TB) string {
	t.Helper()
	return freshDatabase(t, false)
}

// freshDatabase creates a database dropped when the test ends: a copy of
// the migrated template when fromTemplate is set and the template could be
// built, else an empty one (sqlstore.Open then migrates it).
func freshDatabase(t testing.TB, fromTemplate bool) string {
	t.Helper()
	base := os.Getenv("SHUYU_TEST_POSTGRES")
	admin, err := adminDB(base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "shuyu_test_" + hex.EncodeToString(b)
	plain := `CREATE DATABASE ` + name
	tmpl := ""
	if fromTemplate {
		tmpl = pgTemplate(t, admin, base)
	}
	if tmpl == "" {
		_, err = admin.Exec(plain)
	} else if err = pgRetryInUse(func() error { _, err := admin.Exec(plain + ` TEMPLATE ` + tmpl); return err }); err != nil {
		// The template went away (a binary with other migrations dropped
		// it): this database is migrated by sqlstore.Open instead.
		t.Logf("copy of the migrated template %s failed, migrating instead: %v", tmpl, err)
		_, err = admin.Exec(plain)
	}
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	return databaseURL(t, base, name)
}

func databaseURL(t testing.TB, base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// pgAdmin is the process's one connection pool to the server's maintenance
// database (creating and dropping test databases), never closed.
var pgAdmin struct {
	mu   sync.Mutex
	base string
	db   *sql.DB
}

func adminDB(base string) (*sql.DB, error) {
	pgAdmin.mu.Lock()
	defer pgAdmin.mu.Unlock()
	if pgAdmin.db != nil && pgAdmin.base == base {
		return pgAdmin.db, nil
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	pgAdmin.base, pgAdmin.db = base, db
	return db, nil
}

// pgTmpl is the migrated template database of this process ("" when it
// could not be built: each database is then migrated on its own).
var pgTmpl struct {
	mu   sync.Mutex
	done bool
	name string
}

// pgTemplate returns the name of a database holding exactly the current
// migrations and nothing else, building it on first use. Its name carries
// sqlstore.MigrationsDigest, so a changed migration gets a new template;
// an advisory lock lets one of the test binaries that start together build
// it while the others wait. Templates of other migration sets are dropped
// when no one is copying them.
func pgTemplate(t testing.TB, db *sql.DB, base string) string {
	pgTmpl.mu.Lock()
	defer pgTmpl.mu.Unlock()
	if !pgTmpl.done {
		pgTmpl.done = true
		name, err := buildTemplate(t, db, base)
		if err != nil {
			t.Logf("PostgreSQL: no migrated template (%v); each test database is migrated on its own", err)
		}
		pgTmpl.name = name
	}
	return pgTmpl.name
}

func buildTemplate(t testing.TB, db *sql.DB, base string) (string, error) {
	digest, err := sqlstore.MigrationsDigest(sqlstore.Postgres)
	if err != nil {
		return "", err
	}
	name := "shuyu_tmpl_" + digest[:20]
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7466338)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7466338)`)
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return "", err
	}
	if n == 1 {
		return name, nil
	}
	build := name + "_build"
	for _, q := range []string{`DROP DATABASE IF EXISTS ` + build + ` WITH (FORCE)`, `CREATE DATABASE ` + build} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return "", err
		}
	}
	dir, err := os.MkdirTemp("", "shuyu-pg-template-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	store, err := sqlstore.Open(ctx, sqlstore.Options{URL: databaseURL(t, base, build), DataDir: dir, Now: NewClock(Start).Now})
	if err != nil {
		return "", err
	}
	store.Close()
	if err := pgRetryInUse(func() error {
		_, err := conn.ExecContext(ctx, `ALTER DATABASE `+build+` RENAME TO `+name)
		return err
	}); err != nil {
		return "", err
	}
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'shuyu\_tmpl\_%' AND datname <> $1`, name)
	if err != nil {
		return name, nil
	}
	var stale []string
	for rows.Next() {
		var s string
		if rows.Scan(&s) == nil {
			stale = append(stale, s)
		}
	}
	rows.Close()
	for _, s := range stale {
		conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+s) // fails, harmlessly, while in use
	}
	return name, nil
}

// pgRetryInUse runs f again while PostgreSQL answers that a database is
// being accessed by other users (SQLSTATE 55006): a closed pool's backends
// take a moment to exit.
func pgRetryInUse(f func() error) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = f(); err == nil || !strings.Contains(err.Error(), "55006") && !strings.Contains(err.Error(), "being accessed by other users") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Seed creates the organizations and accounts most tests need, one of each
// role, using the system actor. It returns actors by username.
func Seed(t testing.TB, db *sqlstore.DB) map[string]*shuyu.Actor {
	t.Helper()
	ctx := context.Background()
	sec := shuyu.System
	orgs := map[string]*shuyu.Org{}
	for _, o := range []shuyu.Org{
		{Kind: shuyu.OrgAuthority, Name: "中卫市数据局", Region: shuyu.RegionZhongwei},
		{Kind: shuyu.OrgCountyAuthority, Name: "沙坡头区数据局", Region: shuyu.RegionShapotou},
		{Kind: shuyu.OrgCountyAuthority, Name: "海原县数据局", Region: shuyu.RegionHaiyuan},
		// USCCs: the subjects of registrations (NREG.5) need one.
		{Kind: shuyu.OrgSourceDept, Name: "中卫市公安局", Region: shuyu.RegionZhongwei, Code: "11640500PKQQ71FD99"},
		{Kind: shuyu.OrgSourceDept, Name: "海原县卫生健康局", Region: shuyu.RegionHaiyuan, Code: "1164052245LDX3CQ52"},
		{Kind: shuyu.OrgOperator, Name: "中卫市数据运营有限公司", Region: shuyu.RegionZhongwei, Code: "91640500UWEJWQG058"},
		{Kind: shuyu.OrgMerchant, Name: "甲数据科技有限公司", Region: shuyu.RegionShapotou},
		{Kind: shuyu.OrgMerchant, Name: "乙信息技术有限公司", Region: shuyu.RegionZhongning},
		{Kind: shuyu.OrgExpertCommittee, Name: "中卫市公共数据专家委员会", Region: shuyu.RegionZhongwei},
		{Kind: shuyu.OrgRegulator, Name: "中卫市委网信办", Region: shuyu.RegionZhongwei},
		{Kind: shuyu.OrgServiceProvider, Name: "丙合规咨询有限公司", Region: shuyu.RegionZhongwei},
	} {
		o := o
		if err := db.CreateOrg(ctx, sec, &o); err != nil {
			t.Fatalf("seed org %s: %v", o.Name, err)
		}
		orgs[o.Name] = &o
	}
	actors := map[string]*shuyu.Actor{}
	for _, u := range []struct {
		name, org string
		role      shuyu.Role
	}{
		{"authority", "中卫市数据局", shuyu.RoleAuthority},
		{"county-shapotou", "沙坡头区数据局", shuyu.RoleCountyAuthority},
		{"county-haiyuan", "海原县数据局", shuyu.RoleCountyAuthority},
		{"dept-gongan", "中卫市公安局", shuyu.RoleDept},
		{"dept-haiyuan-weijian", "海原县卫生健康局", shuyu.RoleDept},
		{"operator-admin", "中卫市数据运营有限公司", shuyu.RoleOperatorAdmin},
		{"operator-reviewer", "中卫市数据运营有限公司", shuyu.RoleOperatorReviewer},
		{"merchant-a", "甲数据科技有限公司", shuyu.RoleMerchant},
		{"merchant-b", "乙信息技术有限公司", shuyu.RoleMerchant},
		{"expert", "中卫市公共数据专家委员会", shuyu.RoleExpert},
		{"regulator", "中卫市委网信办", shuyu.RoleRegulator},
		{"provider", "丙合规咨询有限公司", shuyu.RoleServiceProvider},
		{"sysadmin", "中卫市数据运营有限公司", shuyu.RoleSysAdmin},
		{"secadmin", "中卫市数据运营有限公司", shuyu.RoleSecAdmin},
		{"auditadmin", "中卫市数据运营有限公司", shuyu.RoleAuditAdmin},
	} {
		o := orgs[u.org]
		usr, err := db.CreateUser(ctx, sec, sqlstore.NewUser{OrgID: o.ID, Username: u.name, DisplayName: u.name,
			Roles: []shuyu.Role{u.role}, Password: Password})
		if err != nil {
			t.Fatalf("seed user %s: %v", u.name, err)
		}
		actors[u.name] = &shuyu.Actor{UserID: usr.ID, Username: usr.Username, Roles: usr.Roles, OrgID: o.ID, OrgKind: o.Kind, Region: o.Region}
	}
	AuthorizeOperator(t, db, actors, shuyu.AuthorizationScope{}, shuyu.AuthWhole, AuthorizationStart, AuthorizationEnd)
	return actors
}

// The seeded operator authorization's term: 5 years around Start.
const (
	AuthorizationStart = "2025-01-01"
	AuthorizationEnd   = "2029-12-31"
)

// AuthorizeOperator drafts, signs (authority, then operator) and files an
// operator authorization (R13.1) with the given mode, scope and term, as
// the seeded "authority" and "operator-admin", and returns it.
func AuthorizeOperator(t testing.TB, db *sqlstore.DB, a map[string]*shuyu.Actor, scope shuyu.AuthorizationScope,
	mode shuyu.AuthMode, start, end string) *shuyu.Authorization {
	t.Helper()
	ctx := context.Background()
	in := AuthorizationInput(a["operator-admin"].OrgID, mode, scope, start, end)
	z, err := db.DraftAuthorization(ctx, a["authority"], in)
	if err != nil {
		t.Fatalf("seed authorization: %v", err)
	}
	if _, err := db.SignAuthorization(ctx, a["authority"], z.ID, Password); err != nil {
		t.Fatalf("seed authorization: authority signs: %v", err)
	}
	if _, err := db.SignAuthorization(ctx, a["operator-admin"], z.ID, Password); err != nil {
		t.Fatalf("seed authorization: operator signs: %v", err)
	}
	if z, err = db.FileAuthorization(ctx, a["authority"], z.ID, fmt.Sprintf("宁数备〔2026〕%d号", z.ID)); err != nil {
		t.Fatalf("seed authorization: file: %v", err)
	}
	return z
}

// AuthorizationInput is a complete draft with the 13 items filled in.
func AuthorizationInput(operator int64, mode shuyu.AuthMode, scope shuyu.AuthorizationScope, start, end string) shuyu.AuthorizationInput {
	return shuyu.AuthorizationInput{OperatorOrgID: operator, Title: "中卫市公共数据授权运营协议", Mode: mode, Scope: scope,
		TermStart: start, TermEnd: end, Items: shuyu.AuthorizationItems{
			Object: "中卫市数据运营有限公司", Content: "在授权范围内开展公共数据加工处理并提供产品和服务",
			ScopeNote: "以协议所列授权范围为准", ModeNote: "按协议所列授权方式", TermNote: "期满前六个月评估续约",
			Selection: "经公开竞争性遴选确定（遴选公告及评审记录存档）", Products: "公共治理、公益事业类与产业发展、行业发展类",
			Security: "原始数据不出域，数据可用不可见", Pricing: "按政府指导价收取公共数据运营服务费",
			Duties: "不得直接或间接参与已交付产品的再开发", Disclosure: "每年3月底前公开上一年度授权运营情况",
			Supervision: "接受数据主管部门监督，违约依协议承担责任", Exit: "期满或终止后移交数据资产并删除留存数据"}}
}

// Password is the seeded accounts' password.
const Password = "Test-pass-2026"
