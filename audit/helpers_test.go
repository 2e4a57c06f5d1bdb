package audit

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"shuyu"
)

var t0 = time.Date(2025, 3, 3, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// makeEvents builds n sealed events shaped like the platform's real ones
// (about 250 bytes of field text each).
func makeEvents(n int) []shuyu.Event {
	evs := make([]shuyu.Event, n)
	var h Hasher
	var prev []byte
	for i := range evs {
		seq := int64(i + 1)
		evs[i] = shuyu.Event{
			Seq:        seq,
			Time:       t0.Add(time.Duration(i) * 1500 * time.Millisecond).UTC(),
			ActorID:    1000 + seq%37,
			ActorName:  fmt.Sprintf("merchant_%03d", seq%37),
			ActorRole:  "merchant",
			ActorOrgID: 640500 + seq%3,
			Action:     "application.submit",
			ObjectType: "application",
			ObjectID:   fmt.Sprintf("APP-2025-%06d", seq),
			Reason:     "沙坡头区文旅客流分析场景申请",
			Detail:     fmt.Sprintf(`{"catalog_entries":[%d,%d],"fields":7,"term_days":365,"county":"640502"}`, seq%90, seq%90+1),
			RequestID:  fmt.Sprintf("req-%016x", seq*7919),
			ClientIP:   "10.64.5.21",
		}
		h.Seal(prev, &evs[i])
		prev = evs[i].Hash
	}
	return evs
}

func newTestSigner(t testing.TB) *Signer {
	t.Helper()
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkpointsEvery signs a checkpoint after every k events (and none for a
// trailing partial range).
func checkpointsEvery(t testing.TB, s *Signer, evs []shuyu.Event, k int) []shuyu.Checkpoint {
	t.Helper()
	var cps []shuyu.Checkpoint
	var prevSeq int64
	for end := k; end <= len(evs); end += k {
		cps = append(cps, signRange(t, s, evs, prevSeq, int64(end)))
		prevSeq = int64(end)
	}
	return cps
}

func signRange(t testing.TB, s *Signer, evs []shuyu.Event, prevSeq, seq int64) shuyu.Checkpoint {
	t.Helper()
	hashes := make([][]byte, 0, seq-prevSeq)
	for i := prevSeq; i < seq; i++ {
		hashes = append(hashes, evs[i].Hash)
	}
	c, err := s.Checkpoint(prevSeq, hashes, seq, evs[seq-1].Hash, evs[seq-1].Time)
	if err != nil {
		t.Fatal(err)
	}
	return *c
}

// verifyAll streams evs through a Verifier the way the audit command does.
func verifyAll(trusted []byte, cps []shuyu.Checkpoint, evs []shuyu.Event) (Report, error) {
	v := NewVerifier(trusted, cps)
	for i := range evs {
		if err := v.Add(&evs[i]); err != nil {
			break
		}
	}
	return v.Finish()
}
