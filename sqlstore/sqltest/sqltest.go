// Package sqltest opens real stores for tests: SQLite in a temporary
// directory always, and PostgreSQL when SHUYU_TEST_POSTGRES names a server
// (a fresh database per test, dropped afterwards). CI sets
// SHUYU_REQUIRE_POSTGRES=1 so that a missing server fails instead of
// skipping.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
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
func Open(t testing.TB, backend string) (*sqlstore.DB, *Clock) {
	t.Helper()
	clock := NewClock(Start)
	opt := sqlstore.Options{DataDir: t.TempDir(), Now: clock.Now}
	if backend == "postgres" {
		opt.URL = FreshPostgres(t)
	}
	db, err := sqlstore.Open(context.Background(), opt)
	if err != nil {
		t.Fatalf("open %s store: %v", backend, err)
	}
	db.PasswordIterations = 1000
	t.Cleanup(func() { db.Close() })
	return db, clock
}

// FreshPostgres creates a throwaway database on the SHUYU_TEST_POSTGRES
// server, dropped when the test ends, and returns its URL (for tests that
// open a second handle on the same database).
func FreshPostgres(t testing.TB) string {
	base := os.Getenv("SHUYU_TEST_POSTGRES")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "shuyu_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
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
		{Kind: shuyu.OrgSourceDept, Name: "中卫市公安局", Region: shuyu.RegionZhongwei},
		{Kind: shuyu.OrgSourceDept, Name: "海原县卫生健康局", Region: shuyu.RegionHaiyuan},
		{Kind: shuyu.OrgOperator, Name: "中卫市数据运营有限公司", Region: shuyu.RegionZhongwei},
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
	return actors
}

// Password is the seeded accounts' password.
const Password = "Test-pass-2026"
