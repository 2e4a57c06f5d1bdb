package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shuyu"
	"shuyu/demo"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
	"shuyu/workspace/wstest"
)

// opsWorld makes a data directory whose metadata says ZW-GA-0001 has
// version 1 mounted and whose domain really holds it: the demo's
// organizations, accounts and catalog, and 50 rows of the population
// dataset supplied into the domain.
func opsWorld(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db.PasswordIterations = 1000
	if _, err := demo.Seed(ctx, db, demo.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	e, err := db.DomainEntryByCode(ctx, "ZW-GA-0001")
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(filepath.Join(dir, "domain"), vault.Options{MemoryLimit: "256MB"})
	if err != nil {
		t.Fatal(err)
	}
	wstest.LoadDataset(t, ctx, v, e.VaultName, "population", 50)
	v.Close()
	// The mount as a finished supply job records it.
	if _, err := db.SQL().Exec(`INSERT INTO domain_mounts (entry_id, vault_name, version, rows_count, quality, loaded_at) VALUES (?, ?, 1, 50, 1, 0)
		ON CONFLICT (entry_id) DO UPDATE SET version = 1, rows_count = 50`, e.ID, e.VaultName); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return dir
}

func opsOpen(ctx context.Context, dir string, ops OpsOptions) (*Main, error) {
	m := &Main{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err := m.Open(ctx, &ServeOptions{Data: dir, Addr: "127.0.0.1:0", PasswordIterations: 1000, Ops: ops})
	return m, err
}

// A deleted domain.duckdb: the server refuses to start, naming what is
// missing and the way out; `--recover` starts, the version recorded as lost
// and unmounted, the owning department notified, each step audited.
func TestServe_DeletedDomainRefusesStartRecoverMarksLost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a domain and boots the server three times")
	}
	ctx := context.Background()
	dir := opsWorld(t)
	m, err := opsOpen(ctx, dir, OpsOptions{})
	if err != nil {
		t.Fatalf("consistent domain: %v", err)
	}
	m.Close()

	if err := os.Remove(filepath.Join(dir, "domain", "domain.duckdb")); err != nil {
		t.Fatal(err)
	}
	m, err = opsOpen(ctx, dir, OpsOptions{})
	if err == nil {
		m.Close()
		t.Fatal("server started on a domain that lost its data")
	}
	for _, want := range []string{"ZW-GA-0001", "zw_ga_0001", "version 1", "50 rows", "--recover"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not say %q: %v", want, err)
		}
	}
	// Through the command line: a non-zero exit with the message.
	var out, errb bytes.Buffer
	if code := Run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "ZW-GA-0001") {
		t.Fatalf("shuyu serve: exit %d, stderr %s", code, errb.String())
	}

	m, err = opsOpen(ctx, dir, OpsOptions{Recover: true})
	if err != nil {
		t.Fatalf("--recover: %v", err)
	}
	defer m.Close()
	e, _ := m.DB.DomainEntryByCode(ctx, "ZW-GA-0001")
	var version int
	var lost int
	m.DB.SQL().QueryRow(`SELECT version FROM domain_mounts WHERE entry_id = ?`, e.ID).Scan(&version)
	m.DB.SQL().QueryRow(`SELECT count(*) FROM domain_lost_versions WHERE entry_id = ? AND version = 1 AND rows_count = 50`, e.ID).Scan(&lost)
	if version != 0 || lost != 1 {
		t.Fatalf("after --recover: mount version %d, lost rows %d", version, lost)
	}
	var events, notices int
	m.DB.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = ? AND object_id = ?`, string(shuyu.AuditDomainVersionLost), fmt.Sprint(e.ID)).Scan(&events)
	m.DB.SQL().QueryRow(`SELECT count(*) FROM notices WHERE kind = 'domain.version_lost' AND org_id = ?`, e.OrgID).Scan(&notices)
	if events != 1 || notices != 1 {
		t.Fatalf("lost version: %d audit events, %d notices to the department", events, notices)
	}
	if miss, err := m.Server.MissingVersions(ctx); err != nil || len(miss) != 0 {
		t.Fatalf("still missing after --recover: %v %v", miss, err)
	}
}

// A damaged SQLite page refuses the start (the integrity check is not "ok").
func TestServe_CorruptedStoreRefusesStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	sqltest.Seed(t, db)
	db.Close()
	path := filepath.Join(dir, "shuyu.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if len(b) < 6*page {
		t.Fatalf("store too small to damage: %d bytes", len(b))
	}
	for i := 4 * page; i < 5*page; i++ { // page 5: a b-tree page
		b[i] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := opsOpen(ctx, dir, OpsOptions{})
	if err == nil {
		m.Close()
		t.Fatal("started on a damaged store")
	}
	if !strings.Contains(err.Error(), "integrity") {
		t.Fatalf("refusal: %v", err)
	}
}

// dirDigest is every file's name and SHA-256 under dir.
func dirDigest(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s %s\n", p, hex.EncodeToString(sum[:]))
		return nil
	})
	return b.String()
}

// The attack of issue 12 item 7, through the command line: the triggers
// dropped, every event after seq 250 deleted, the checkpoint file removed.
// `audit verify` must not exit 0; --strict=false warns and exits 0. It
// reads the copy without writing a byte.
func TestAuditVerify_R28_1_IssueAttackNotExitZero(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	a := sqltest.Seed(t, db)
	for i := 0; i < 260; i++ {
		if err := db.CreateOrg(ctx, a["secadmin"], &shuyu.Org{Kind: shuyu.OrgMerchant, Name: fmt.Sprintf("审计测试公司%03d", i), Region: shuyu.RegionShapotou}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "shuyu.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`,
		`DELETE FROM audit_events WHERE seq > 250`, `DELETE FROM audit_checkpoints WHERE seq > 250`,
		`UPDATE audit_head SET seq = 250, hash = (SELECT hash FROM audit_events WHERE seq = 250)`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	os.Remove(filepath.Join(dir, sqlstore.CheckpointFile))
	os.Chmod(dir, 0o555) // as on read-only media (root ignores it; the digest below does not)
	defer os.Chmod(dir, 0o700)
	before := dirDigest(t, dir)

	code, out, errs := run(t, "audit", "verify", "--data", dir)
	if code == 0 {
		t.Fatalf("verify exited 0 after the attack: %s %s", out, errs)
	}
	if !strings.Contains(errs, "no_checkpoint") || !strings.Contains(errs, "250 events") {
		t.Fatalf("verify does not say why: %s", errs)
	}
	code, _, errs = run(t, "audit", "verify", "--data", dir, "--strict=false")
	if code != 0 || !strings.Contains(errs, "warning") {
		t.Fatalf("--strict=false: exit %d, %s", code, errs)
	}
	if after := dirDigest(t, dir); after != before {
		t.Fatalf("audit verify wrote to the data directory:\nbefore\n%s\nafter\n%s", before, after)
	}
}
