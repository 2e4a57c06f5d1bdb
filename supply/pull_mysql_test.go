package supply

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// mysqlSourceDB makes a fresh database on the throwaway MariaDB at
// SHUYU_TEST_MYSQL (scripts/mariadb-throwaway), standing in for a
// department's front-end database. Without it the test skips, unless
// SHUYU_REQUIRE_MYSQL is set (.ci/run sets it).
func mysqlSourceDB(t *testing.T) (*sql.DB, sqlstore.PullConfig, string) {
	t.Helper()
	u := os.Getenv("SHUYU_TEST_MYSQL")
	if u == "" {
		if os.Getenv("SHUYU_REQUIRE_MYSQL") != "" {
			t.Fatal("SHUYU_REQUIRE_MYSQL is set but SHUYU_TEST_MYSQL is empty")
		}
		t.Skip("SHUYU_TEST_MYSQL not set: no MariaDB to pull from (scripts/mariadb-throwaway start)")
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := pu.User.Password()
	port, _ := strconv.Atoi(pu.Port())
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = pu.User.Username(), pass, "tcp", pu.Host
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	admin := sql.OpenDB(conn)
	b := make([]byte, 5)
	rand.Read(b)
	name := "shuyu_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE " + name); admin.Close() })
	cfg.DBName = name
	conn, _ = mysql.NewConnector(cfg)
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db, sqlstore.PullConfig{Host: pu.Hostname(), Port: port, Database: name, User: pu.User.Username()}, pass
}

// A MariaDB front-end database: a full snapshot, a snapshot after rows
// were deleted (counted), an incremental pull by an increasing id, a wrong
// password (an authentication failure that keeps the version), and the
// password in no answer and no log line (issue 18; R10.1).
func TestPull_R10_1_MySQLSnapshotIncrementalAuth(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		src, cfg, pass := mysqlSourceDB(t)
		exec := func(q string) {
			t.Helper()
			if _, err := src.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`CREATE TABLE qzk_company (id BIGINT PRIMARY KEY, name VARCHAR(100), capital DECIMAL(18,2),
			active TINYINT(1), updated_at DATETIME)`)
		var vals []string
		for i := 1; i <= 300; i++ {
			vals = append(vals, "("+strconv.Itoa(i)+", '中卫市第"+strconv.Itoa(i)+"商贸有限公司', "+strconv.Itoa(100+i)+".25, "+
				strconv.Itoa(i%2)+", '2026-03-01 08:00:00')")
		}
		exec("INSERT INTO qzk_company VALUES " + strings.Join(vals, ","))
		w, logs := newPullWorld(t, env)
		ctx := context.Background()
		c := cfg
		c.Table, c.Mode, c.Key = "qzk_company", sqlstore.PullSnapshot, []string{"id"}
		in := sqlstore.PullSourceInput{Name: "市场监管前置库", Kind: sqlstore.PullMySQL, Secret: pass, Config: c}
		s, err := w.svc.RegisterPullSource(ctx, w.dept, w.entry, in)
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		run := w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunDone || run.SourceRows != 300 || run.VersionRows != 300 || !run.Reconciled {
			t.Fatalf("snapshot: %+v", run)
		}
		exec(`DELETE FROM qzk_company WHERE id > 290`)
		run = w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunDone || run.DeletedRows != 10 || run.VersionRows != 290 {
			t.Fatalf("snapshot with deletes: %+v", run)
		}
		// Incremental by an increasing id.
		inc := in
		inc.Secret = ""
		inc.Config.Mode, inc.Config.Watermark = sqlstore.PullIncremental, "id"
		if _, err := w.db.UpdatePullSource(ctx, w.dept, s.ID, inc); err != nil {
			t.Fatal(err)
		}
		run = w.pull(t, s.ID) // no watermark yet: everything, merged by key
		if run.Status != sqlstore.PullRunDone || run.PulledRows != 290 || run.VersionRows != 290 || run.WatermarkTo != "290" {
			t.Fatalf("first incremental: %+v", run)
		}
		exec(`INSERT INTO qzk_company VALUES (291, '新设公司', 5, 1, '2026-03-02 09:00:00'), (292, '新设公司二', 6, 0, '2026-03-02 09:00:00')`)
		run = w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunDone || run.PulledRows != 2 || run.VersionRows != 292 || run.WatermarkFrom != "290" ||
			run.WatermarkTo != "292" || !run.Reconciled {
			t.Fatalf("incremental by id: %+v", run)
		}
		before := w.current(t)
		// A wrong password: authentication, the version stays.
		bad := inc
		bad.Secret = "not-the-password"
		if _, err := w.db.UpdatePullSource(ctx, w.dept, s.ID, bad); err != nil {
			t.Fatal(err)
		}
		chk, err := w.svc.TestPullSource(ctx, w.dept, w.entry, s.ID, sqlstore.PullSourceInput{Name: bad.Name, Kind: bad.Kind, Config: bad.Config})
		if err != nil || chk.OK || chk.Kind != sqlstore.PullErrAuth {
			t.Fatalf("test connection with the stored wrong password: %+v %v", chk, err)
		}
		run = w.pull(t, s.ID)
		if run.Status != sqlstore.PullRunFailed || run.ErrorKind != sqlstore.PullErrAuth {
			t.Fatalf("wrong password: %+v", run)
		}
		if after := w.current(t); after.N != before.N {
			t.Fatalf("failed pull switched the version")
		}
		// Another department may not test, run or read the source.
		if _, err := w.svc.TestPullSource(ctx, w.other, w.entry, s.ID, sqlstore.PullSourceInput{}); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("other department tests: %v", err)
		}
		if _, _, err := w.svc.RunPull(ctx, w.other, s.ID, sqlstore.PullByHand); shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
			t.Fatalf("other department runs: %v", err)
		}
		srcs, _ := w.db.PullSources(ctx, w.dept, w.entry)
		runs, _ := w.db.PullRuns(ctx, w.dept, s.ID, 10)
		b, _ := json.Marshal([]any{srcs, runs, chk})
		for _, out := range []string{string(b), logs.String()} {
			if strings.Contains(out, pass) || strings.Contains(out, "not-the-password") {
				t.Fatalf("password leaked: %s", out)
			}
		}
	})
}
