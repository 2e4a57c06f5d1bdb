package sqlstore_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// The streamed metadata copy (what `shuyu backup` now archives without a
// scratch file) is a sound SQLite database holding every event committed
// before it began, while writers keep committing; PostgreSQL refuses it
// (pg_dump's job).
func TestStreamSnapshot_R28_1_ConsistentWhileWriting(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		if env.Backend != "sqlite" {
			err := env.DB.StreamSnapshot(ctx, func(io.Reader, int64) error { return nil })
			if shuyu.ErrorCode(err) != string(shuyu.EINVALID) {
				t.Fatalf("postgres: %v, want EINVALID", err)
			}
			return
		}
		record := func() error {
			return env.DB.RecordOperation(ctx, shuyu.System, shuyu.AuditBackupCreate, map[string]any{"test": true})
		}
		for i := 0; i < 50; i++ {
			if err := record(); err != nil {
				t.Fatal(err)
			}
		}
		var stop atomic.Bool
		done := make(chan error, 1)
		go func() {
			for !stop.Load() {
				if err := record(); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		before := countEvents(t, env.DB.SQL())
		out := filepath.Join(t.TempDir(), "copy.db")
		var size, written int64
		err := env.DB.StreamSnapshot(ctx, func(r io.Reader, n int64) error {
			size = n
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			defer f.Close()
			written, err = io.Copy(f, r)
			return err
		})
		stop.Store(true)
		if werr := <-done; werr != nil {
			t.Fatal(werr)
		}
		if err != nil {
			t.Fatal(err)
		}
		after := countEvents(t, env.DB.SQL())
		if written != size || size == 0 {
			t.Fatalf("read %d bytes, announced %d", written, size)
		}
		c, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var ok string
		if err := c.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
			t.Fatalf("integrity of the copy: %q %v", ok, err)
		}
		got := countEvents(t, c)
		if got < before || got > after {
			t.Fatalf("copy holds %d events; %d were committed before it began, %d after it ended", got, before, after)
		}
	})
}

func countEvents(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM audit_events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
