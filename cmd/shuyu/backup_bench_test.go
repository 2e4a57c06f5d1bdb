package main

import (
	"context"
	"crypto/cipher"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"

	"shuyu/demo"
	"shuyu/sqlstore"
)

// BenchmarkBackupWhileServing: a backup of the demo instance (its ~1M-row
// domain loaded) taken from the running server, against a plain copy of
// the same files (shuyu.db and domain.duckdb with their WALs, the
// checkpoint file) in the same run. The server keeps answering the demo's
// background work meanwhile. Measured in the same run (docs/performance.md
// §7): plain-copy (io.Copy of the files + fsync: not consistent, not
// encrypted); backup-scratch (the way before December 2026: consistent
// copies into scratch files, then the archive); backup (the consistent
// copies streamed straight into the archive); sm3-bare and sm4gcm-bare (the
// least crypto any archive of these bytes must do: SM3 of them in 1 MiB
// leaves and SM4-GCM of them in 1 MiB chunks, each on every core, from
// memory — no I/O, no tar, no copy); interleaved (one of each per
// iteration, so all meet the same load, reporting the median over the
// iterations of each ratio to the copy).
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
	// The same data as the archive: the two databases with their WALs
	// (committed data the backup folds in) and the checkpoint file — what
	// `cp -a DATA` would copy of them.
	files := []string{filepath.Join(dir, "shuyu.db"), filepath.Join(dir, "shuyu.db-wal"),
		filepath.Join(dir, "domain", "domain.duckdb"), filepath.Join(dir, "domain", "domain.duckdb.wal"),
		filepath.Join(dir, sqlstore.CheckpointFile)}
	size := filesSize(files)
	b.Logf("instance files: %.1f MB", float64(size)/1e6)
	plain := func() {
		for _, f := range files {
			if err := copyFile(f, filepath.Join(out, filepath.Base(f))); err != nil {
				b.Fatal(err)
			}
		}
	}
	backupOnce := func(scratch bool) BackupResult {
		res, err := m.Backup(ctx, BackupOptions{Out: filepath.Join(out, "b.sbk"), scratch: scratch})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	var bytesNow []byte
	load := func() { bytesNow = readAll(b, files) } // the same bytes, for the crypto floor
	b.Run("plain-copy", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			plain()
		}
	})
	b.Run("backup-scratch", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			backupOnce(true)
		}
	})
	b.Run("backup", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			backupOnce(false)
		}
	})
	load()
	b.Run("sm3-bare", func(b *testing.B) {
		b.SetBytes(int64(len(bytesNow)))
		for i := 0; i < b.N; i++ {
			bareSM3(bytesNow)
		}
	})
	b.Run("sm4gcm-bare", func(b *testing.B) {
		b.SetBytes(int64(len(bytesNow)))
		for i := 0; i < b.N; i++ {
			bareSM4GCM(bytesNow)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		var copyR, scratchR, streamR, floorR []float64
		phases := map[string]time.Duration{}
		var names []string
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			plain()
			tc := time.Since(t0)
			t0 = time.Now()
			backupOnce(true)
			ts := time.Since(t0)
			t0 = time.Now()
			res := backupOnce(false)
			tb := time.Since(t0)
			for _, p := range res.Phases {
				if _, ok := phases[p.Name]; !ok {
					names = append(names, p.Name)
				}
				phases[p.Name] += p.Took
			}
			load()
			t0 = time.Now()
			bareSM3(bytesNow)
			t3 := time.Since(t0)
			t0 = time.Now()
			bareSM4GCM(bytesNow)
			t4 := time.Since(t0)
			copyR = append(copyR, float64(tc.Microseconds())/1000)
			scratchR = append(scratchR, float64(tc)/float64(ts))
			streamR = append(streamR, float64(tc)/float64(tb))
			floorR = append(floorR, float64(tc)/float64(t3+t4))
			b.Logf("iteration %d: copy %v, backup-scratch %v, backup %v, sm3 %v + sm4-gcm %v; load %s",
				i, tc.Round(time.Millisecond), ts.Round(time.Millisecond), tb.Round(time.Millisecond),
				t3.Round(time.Millisecond), t4.Round(time.Millisecond), loadAvg())
		}
		b.ReportMetric(median(copyR), "copy-ms")
		b.ReportMetric(median(scratchR), "copy/backup-scratch")
		b.ReportMetric(median(streamR), "copy/backup")
		b.ReportMetric(median(floorR), "copy/(sm3+sm4gcm)")
		for _, n := range names {
			b.Logf("backup phase %-60s %6.1f ms", n, float64(phases[n].Microseconds())/1000/float64(b.N))
		}
	})
}

func filesSize(files []string) int64 {
	var size int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			size += fi.Size()
		}
	}
	return size
}

func readAll(b *testing.B, files []string) []byte {
	var all []byte
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
		all = append(all, d...)
	}
	return all
}

// onEveryCore runs fn over the 1 MiB pieces of data, on every core (out is
// the worker's own buffer).
func onEveryCore(data []byte, fn func(piece, out []byte)) {
	const piece = 1 << 20
	next := make(chan []byte)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]byte, 0, 1<<20+64)
			for p := range next {
				fn(p, out)
			}
		}()
	}
	for len(data) > 0 {
		k := min(piece, len(data))
		next <- data[:k]
		data = data[k:]
	}
	close(next)
	wg.Wait()
}

func bareSM3(data []byte) {
	onEveryCore(data, func(p, _ []byte) { sm3.Sum(p) })
}

func bareSM4GCM(data []byte) {
	key := make([]byte, 16)
	onEveryCore(data, func(p, out []byte) {
		blk, _ := sm4.NewCipher(key)
		aead, _ := cipher.NewGCM(blk)
		aead.Seal(out[:0], make([]byte, 12), p, nil)
	})
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	var l1 float64
	fmt.Sscan(string(b), &l1)
	return fmt.Sprintf("%.1f", l1)
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
