package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"shuyu/demo"
	"shuyu/sqlstore"
)

// BenchmarkBackupWhileServing: a backup of the demo instance (its ~1M-row
// domain loaded) taken from the running server, against a plain copy of
// the same files (shuyu.db and domain.duckdb with their WALs, the
// checkpoint file) in the same run. The server keeps answering the demo's background work meanwhile.
// The ratio (copy ns/op ÷ backup ns/op) is in docs/performance.md; the
// interleaved run alternates the two so both meet the same load.
//
//	go test -run '^$' -bench BackupWhileServing -benchtime 3x ./cmd/shuyu
func BenchmarkBackupWhileServing(b *testing.B) {
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &Main{Log: discardLog()}
	if err := m.Open(ctx, &ServeOptions{Data: dir, Addr: "127.0.0.1:0", Demo: true, DemoPassword: demo.DefaultPassword, PasswordIterations: 1000}); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	defer func() { cancel(); <-done; m.Close() }()
	<-m.DemoReady()
	out := b.TempDir()
	var size int64
	// The same data as the archive: the two databases with their WALs
	// (committed data the backup folds in) and the checkpoint file — what
	// `cp -a DATA` would copy of them. (Until December 2026 the WALs were
	// left out: the copy then moved about a third less than the backup.)
	files := []string{filepath.Join(dir, "shuyu.db"), filepath.Join(dir, "shuyu.db-wal"),
		filepath.Join(dir, "domain", "domain.duckdb"), filepath.Join(dir, "domain", "domain.duckdb.wal"),
		filepath.Join(dir, sqlstore.CheckpointFile)}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			size += fi.Size()
		}
	}
	b.Logf("instance files: %.1f MB", float64(size)/1e6)
	b.Run("plain-copy", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			for _, f := range files {
				if err := copyFile(f, filepath.Join(out, filepath.Base(f))); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("backup", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			res, err := m.Backup(ctx, BackupOptions{Out: filepath.Join(out, "b.sbk")})
			if err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				b.Logf("archive: %.1f MB", float64(res.Bytes)/1e6)
			}
		}
	})
	b.Run("interleaved", func(b *testing.B) { interleaved(b, m, files, out, size) })
}

// interleaved runs one plain copy and one backup per iteration, so both
// see the same load on a shared machine, and reports the ratio of their
// summed times (copy/backup: 1 would be a backup as fast as a copy).
func interleaved(b *testing.B, m *Main, files []string, out string, size int64) {
	var tc, tb time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for _, f := range files {
			if err := copyFile(f, filepath.Join(out, filepath.Base(f))); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if _, err := m.Backup(context.Background(), BackupOptions{Out: filepath.Join(out, "i.sbk")}); err != nil {
			b.Fatal(err)
		}
		tc += t1.Sub(t0)
		tb += time.Since(t1)
	}
	b.ReportMetric(float64(tc)/float64(tb), "copy/backup")
	b.ReportMetric(float64(size)*float64(b.N)/tb.Seconds()/1e6, "backup-MB/s")
	b.ReportMetric(float64(size)*float64(b.N)/tc.Seconds()/1e6, "copy-MB/s")
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
