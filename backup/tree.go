package backup

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/emmansun/gmsm/sm3"
)

// The tree digest of a version-2 archive (docs/operations.md, "The archive
// format"): the archive's bytes before the trailer are cut into leaves of
// LeafSize bytes (the last one shorter, possibly empty when the body is
// empty), each leaf is digested with SM3 on its own — so the leaves are
// digested in parallel, on every core — and the root is the SM3 of
//
//	"SHUYU-TREE-2\x00" ‖ uint64 LeafSize ‖ uint64 total length ‖ uint64 leaves ‖ d_0 ‖ d_1 ‖ … ‖ d_{n-1}
//
// (big-endian integers, d_i = SM3(leaf i)). Any changed, moved, dropped or
// added byte changes a leaf digest, their order or the length, and so the
// root. The root is the archive's last 32 bytes and the digest `shuyu
// backup` prints and records in the audit trail.

// LeafSize is the tree digest's leaf size (version 2).
const LeafSize = 1 << 20

const treeTag = "SHUYU-TREE-2\x00"

func treeRoot(total int64, leaves [][]byte) []byte {
	h := sm3.New()
	h.Write([]byte(treeTag))
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], LeafSize)
	binary.BigEndian.PutUint64(b[8:], uint64(total))
	binary.BigEndian.PutUint64(b[16:], uint64(len(leaves)))
	h.Write(b[:])
	for _, d := range leaves {
		h.Write(d)
	}
	return h.Sum(nil)
}

func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// treeWriter passes what it is written to w and digests it leaf by leaf,
// each full leaf on its own goroutine (at most workers() at once). Unlike
// an io.Writer it keeps the slices it is given (its callers hand over
// fresh buffers): a leaf is a list of pieces of them, not a copy.
type treeWriter struct {
	w      io.Writer
	pieces [][]byte
	inLeaf int
	total  int64
	sums   [][]byte
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
}

func newTreeWriter(w io.Writer) *treeWriter {
	return &treeWriter{w: w, sem: make(chan struct{}, workers())}
}

func (t *treeWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		return n, err
	}
	t.total += int64(len(p))
	for len(p) > 0 {
		k := min(LeafSize-t.inLeaf, len(p))
		t.pieces = append(t.pieces, p[:k])
		t.inLeaf += k
		p = p[k:]
		if t.inLeaf == LeafSize {
			t.leaf()
		}
	}
	return n, nil
}

// leaf digests the pieces of the current leaf in the background.
func (t *treeWriter) leaf() {
	t.mu.Lock()
	i := len(t.sums)
	t.sums = append(t.sums, nil)
	t.mu.Unlock()
	pieces := t.pieces
	t.pieces, t.inLeaf = nil, 0
	t.sem <- struct{}{}
	t.wg.Add(1)
	go func() {
		defer func() { <-t.sem; t.wg.Done() }()
		h := sm3.New()
		for _, p := range pieces {
			h.Write(p)
		}
		s := h.Sum(nil)
		t.mu.Lock()
		t.sums[i] = s
		t.mu.Unlock()
	}()
}

// Sum digests the last (short) leaf, waits for the others and returns the
// root. Nothing may be written after it.
func (t *treeWriter) Sum() []byte {
	if t.inLeaf > 0 || len(t.sums) == 0 {
		t.leaf()
	}
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	return treeRoot(t.total, t.sums)
}

// treeDigestFile computes the root over the first size bytes of f, reading
// and digesting the leaves on every core. A leaf that cannot be read is an
// error, never a digest.
func treeDigestFile(f *os.File, size int64) ([]byte, error) {
	n := int((size + LeafSize - 1) / LeafSize)
	if n == 0 {
		n = 1
	}
	sums := make([][]byte, n)
	var next int
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < min(workers(), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, LeafSize)
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				off := int64(i) * LeafSize
				l := min(int64(LeafSize), size-off)
				if _, err := f.ReadAt(buf[:l], off); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				s := sm3.Sum(buf[:l])
				sums[i] = s[:]
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return treeRoot(size, sums), nil
}
