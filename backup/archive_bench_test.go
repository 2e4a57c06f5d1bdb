package backup

import (
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// BenchmarkWrite: the archive writer over a 32 MB file against, in the same
// run, the least work of each format done one step after the other on one
// core: version 1 (SM3 of the bytes for the manifest, SM4-GCM sealing, SM3
// of the sealed bytes for the digest) and version 2 (SM4-GCM sealing, SM3 of
// the sealed bytes). A ratio floor/archive above 1 means the work is spread
// over the cores (docs/performance.md §7).
//
//	go test -run '^$' -bench 'BenchmarkWrite' -benchtime 5x ./backup
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 32<<20)
	rand.Read(data)
	src := filepath.Join(dir, "domain.duckdb")
	os.WriteFile(src, data, 0o600)
	h := NewHeader("kek", "kek-test", "sqlite", time.Now())
	key := KeyFromKEK(make([]byte, 16), h.Salt)
	floor := func(b *testing.B, chunk int, fileHash bool) {
		aead, _ := newAEAD(key)
		nonce := make([]byte, 12)
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			fh, dg := sm3.New(), sm3.New()
			out := make([]byte, 0, chunk+aead.Overhead())
			for p := data; len(p) > 0; {
				k := min(chunk, len(p))
				if fileHash {
					fh.Write(p[:k])
				}
				out = aead.Seal(out[:0], nonce, p[:k], nil)
				dg.Write(out)
				p = p[k:]
			}
			fh.Sum(nil)
			dg.Sum(nil)
		}
	}
	b.Run("floor-v1-sequential", func(b *testing.B) { defer cpuPerOp(b)(); floor(b, chunkSizeV1, true) })
	b.Run("floor-v2-sequential", func(b *testing.B) { defer cpuPerOp(b)(); floor(b, ChunkSize, false) })
	b.Run("archive", func(b *testing.B) {
		defer cpuPerOp(b)()
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			if _, err := Write(io.Discard, h, key, []Source{{Name: "domain/domain.duckdb", Path: src}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cpuPerOp reports the process's CPU time (user + system) per operation: on
// a shared machine the wall time depends on the other processes, the CPU
// time much less (the wall time on two idle cores is at least CPU/2).
func cpuPerOp(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}
