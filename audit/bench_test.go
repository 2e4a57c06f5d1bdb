package audit

import (
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

// The goal (R28.1 at platform scale): verifying the audit trail runs at no
// less than 0.6 of the speed of bare SM3 over the same canonical bytes.
// Run: go test -run '^$' -bench 'Verify|BareSM3' -benchmem ./audit/

const (
	benchEvents   = 10000
	benchInterval = 1000
)

type benchTrail struct {
	evs   []shuyu.Event
	cps   []shuyu.Checkpoint
	enc   [][]byte // canonical bytes of each event
	bytes int64
	pub   []byte
}

func newBenchTrail(b *testing.B) *benchTrail {
	b.Helper()
	s := newTestSigner(b)
	t := &benchTrail{evs: makeEvents(benchEvents), pub: s.PublicKey()}
	t.cps = checkpointsEvery(b, s, t.evs, benchInterval)
	for i := range t.evs {
		enc := Canonical(nil, &t.evs[i])
		t.enc = append(t.enc, enc)
		t.bytes += int64(len(enc))
	}
	return t
}

func (t *benchTrail) verify(b *testing.B) {
	v := NewVerifier(t.pub, t.cps)
	for i := range t.evs {
		if err := v.Add(&t.evs[i]); err != nil {
			b.Fatal(err)
		}
	}
	if r, err := v.Finish(); err != nil || r.Checkpoints != benchEvents/benchInterval {
		b.Fatalf("verify: %+v, %v", r, err)
	}
}

var sink [HashSize]byte

func (t *benchTrail) bare() {
	for _, enc := range t.enc {
		sink = sm3.Sum(enc)
	}
}

func (t *benchTrail) report(b *testing.B) {
	b.SetBytes(t.bytes)
	b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkVerify streams 10,000 events (~250 bytes of fields each) with a
// signed checkpoint every 1,000 through a Verifier: chain, Merkle roots and
// SM2 signatures.
func BenchmarkVerify(b *testing.B) {
	t := newBenchTrail(b)
	b.ResetTimer()
	for b.Loop() {
		t.verify(b)
	}
	t.report(b)
}

// BenchmarkBareSM3 is the baseline: SM3 alone over exactly the canonical
// bytes that BenchmarkVerify hashes.
func BenchmarkBareSM3(b *testing.B) {
	t := newBenchTrail(b)
	b.ResetTimer()
	for b.Loop() {
		t.bare()
	}
	t.report(b)
}

// BenchmarkVerifyRatio alternates the baseline and the verification in each
// iteration, so both see the same machine load, and reports
// verify speed / bare SM3 speed as "ratio" (goal >= 0.6).
func BenchmarkVerifyRatio(b *testing.B) {
	t := newBenchTrail(b)
	var bare, verify time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		t.bare()
		mid := time.Now()
		t.verify(b)
		verify += time.Since(mid)
		bare += mid.Sub(start)
	}
	b.ReportMetric(bare.Seconds()/verify.Seconds(), "ratio")
}
