package audit

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"shuyu"
)

// cloneEvents deep-copies evs so a test can tamper with its copy.
func cloneEvents(evs []shuyu.Event) []shuyu.Event {
	out := make([]shuyu.Event, len(evs))
	for i, e := range evs {
		e.PrevHash = bytes.Clone(e.PrevHash)
		e.Hash = bytes.Clone(e.Hash)
		out[i] = e
	}
	return out
}

// reseal recomputes every hash from index i on, as an attacker with write
// access and this source code would.
func reseal(evs []shuyu.Event, i int) {
	var h Hasher
	var prev []byte
	if i > 0 {
		prev = evs[i-1].Hash
	}
	for ; i < len(evs); i++ {
		h.Seal(prev, &evs[i])
		prev = evs[i].Hash
	}
}

// trail is 55 events with signed checkpoints at 10, 20, 30, 40, 50.
func trail(t *testing.T) (*Signer, []shuyu.Event, []shuyu.Checkpoint) {
	s := newTestSigner(t)
	evs := makeEvents(55)
	return s, evs, checkpointsEvery(t, s, evs, 10)
}

// wantTamper asserts that verification fails at seq with kind, and that the
// report says the same as the error.
func wantTamper(t *testing.T, r Report, err error, seq int64, kind string) {
	t.Helper()
	var te *TamperError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TamperError (report %+v)", err, r)
	}
	if te.Seq != seq || te.Kind != kind {
		t.Fatalf("tamper at %d (%s) %q, want seq %d kind %s", te.Seq, te.Kind, te.Message, seq, kind)
	}
	if r.OK || r.FirstBad != seq || r.Kind != kind || r.Problem != te.Message {
		t.Fatalf("report %+v disagrees with error %+v", r, te)
	}
	if !strings.Contains(te.Message, "(") || te.Error() == "" {
		t.Fatalf("message %q lacks the Chinese text with English gloss", te.Message)
	}
}

func TestVerify_R27_1_R28_1_IntactTrailManyCheckpoints(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t)
	evs := makeEvents(5123)
	cps := checkpointsEvery(t, s, evs, 500)
	r, err := verifyAll(s.PublicKey(), cps, evs)
	if err != nil {
		t.Fatalf("intact trail rejected: %v", err)
	}
	if !r.OK || r.Events != 5123 || r.Checkpoints != 10 || r.LastSeq != 5123 ||
		r.LastCheckpoint != 5000 || r.Unanchored != 123 || !bytes.Equal(r.Head, evs[5122].Hash) {
		t.Fatalf("report %+v, want 5123 events, 10 checkpoints, last checkpoint 5000, 123 unanchored", r)
	}
}

func TestVerify_R28_1_EmptyTrail(t *testing.T) {
	t.Parallel()
	r, err := verifyAll(nil, nil, nil)
	if err != nil || !r.OK || r.Events != 0 || r.Head != nil {
		t.Fatalf("empty trail: %+v, %v", r, err)
	}
}

func TestVerify_R27_1_EditedField(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	bad := cloneEvents(evs)
	bad[16].Reason = "无" // event 17
	r, err := verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 17, KindHash)
	if !strings.Contains(r.Problem, "事件 17 的哈希不符") {
		t.Errorf("problem %q does not name event 17", r.Problem)
	}
	if r.Events != 16 {
		t.Errorf("events checked %d, want 16 before the bad one", r.Events)
	}
}

func TestVerify_R27_1_DeletedEvent(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	bad := append(cloneEvents(evs[:40]), cloneEvents(evs[41:])...) // event 41 gone
	r, err := verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 41, KindGap)
	if !strings.Contains(r.Problem, "事件 41 缺失") {
		t.Errorf("problem %q does not name event 41", r.Problem)
	}

	// Deleting and renumbering the rest does not hide it.
	bad = append(cloneEvents(evs[:40]), cloneEvents(evs[41:])...)
	for i := 40; i < len(bad); i++ {
		bad[i].Seq = int64(i + 1)
	}
	r, err = verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 41, KindHash)
}

func TestVerify_R27_1_InsertedEvent(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	forged := shuyu.Event{Seq: 23, Time: evs[22].Time, ActorName: "operator_x", Action: "product.release",
		ObjectType: "product", ObjectID: "P-9", PrevHash: bytes.Clone(evs[21].Hash), Hash: make([]byte, HashSize)}

	// A naive insert (no valid hash) is named at its own seq.
	bad := append(append(cloneEvents(evs[:22]), forged), cloneEvents(evs[22:])...)
	for i := 23; i < len(bad); i++ {
		bad[i].Seq = int64(i + 1)
	}
	r, err := verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 23, KindHash)

	// A sealed insert passes itself; the displaced original is caught next.
	Seal(evs[21].Hash, &bad[22])
	r, err = verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 24, KindHash)

	// An extra row reusing seq 23 is a duplicate.
	dup := append(append(cloneEvents(evs[:23]), bad[22]), cloneEvents(evs[23:])...)
	r, err = verifyAll(s.PublicKey(), cps, dup)
	wantTamper(t, r, err, 23, KindOrder)
}

func TestVerify_R27_1_SwappedEvents(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	// Rows returned in swapped order.
	bad := cloneEvents(evs)
	bad[4], bad[5] = bad[5], bad[4]
	r, err := verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 5, KindGap)

	// Contents swapped between seq 5 and 6, seqs kept.
	bad = cloneEvents(evs)
	bad[4], bad[5] = bad[5], bad[4]
	bad[4].Seq, bad[5].Seq = 5, 6
	r, err = verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 5, KindHash)
}

func TestVerify_R28_1_TailCutBehindCheckpoint(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	r, err := verifyAll(s.PublicKey(), cps, cloneEvents(evs[:45]))
	wantTamper(t, r, err, 46, KindTailCut)
	if !strings.Contains(r.Problem, "tail cut after seq 45") {
		t.Errorf("problem %q does not say where the tail was cut", r.Problem)
	}
	if r.Events != 45 || r.Checkpoints != 4 {
		t.Errorf("report %+v, want 45 events and 4 checkpoints checked", r)
	}
	// Cutting exactly at a checkpoint with the later checkpoint still in
	// the file is caught the same way.
	r, err = verifyAll(s.PublicKey(), cps, cloneEvents(evs[:40]))
	wantTamper(t, r, err, 41, KindTailCut)
}

func TestVerify_R28_1_ChainRewrittenAfterCheckpoint(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	bad := cloneEvents(evs)
	bad[32].Detail = `{"note":"rewritten"}` // event 33
	reseal(bad, 32)
	r, err := verifyAll(s.PublicKey(), cps, bad)
	wantTamper(t, r, err, 40, KindCheckpointHead)
	if r.Events != 40 || r.Checkpoints != 3 {
		t.Errorf("report %+v, want 40 events checked and 3 good checkpoints", r)
	}

	// Honest limit: a rewrite after the last checkpoint is invisible to the
	// chain, and the report says how many events are unanchored.
	bad = cloneEvents(evs)
	bad[52].Detail = "{}"
	reseal(bad, 52)
	r, err = verifyAll(s.PublicKey(), cps, bad)
	if err != nil || r.Unanchored != 5 || r.LastCheckpoint != 50 {
		t.Fatalf("rewrite after last checkpoint: %+v, %v; want OK with 5 unanchored", r, err)
	}
}

func TestVerify_R29_1_ForgedCheckpointOtherKey(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	attacker := newTestSigner(t)
	bad := cloneEvents(evs)
	bad[24].ObjectID = "APP-FORGED"
	reseal(bad, 24)
	forged := append([]shuyu.Checkpoint(nil), cps[:2]...)
	forged = append(forged, checkpointsEvery(t, attacker, bad, 10)[2:]...)
	r, err := verifyAll(s.PublicKey(), forged, bad)
	wantTamper(t, r, err, 30, KindCheckpointKey)

	// Keeping the platform's key but editing the head breaks the signature.
	edited := append([]shuyu.Checkpoint(nil), cps...)
	for i := 2; i < len(edited); i++ {
		edited[i].Head = bad[edited[i].Seq-1].Hash
	}
	r, err = verifyAll(s.PublicKey(), edited, bad)
	wantTamper(t, r, err, 30, KindCheckpointSignature)
}

func TestVerify_R28_1_ConflictingDuplicateCheckpoint(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	// Both copies carry valid signatures, yet they differ: one was replaced.
	other := signRange(t, s, evs, 10, 20)
	other.Time = other.Time.Add(1e9)
	sig, err := s.priv.Sign(rand.Reader, checkpointBytes(nil, &other), sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	other.Signature = sig
	r, err := verifyAll(s.PublicKey(), append(append([]shuyu.Checkpoint(nil), cps...), other), evs)
	wantTamper(t, r, err, 20, KindCheckpointConflict)
}

func TestVerify_R28_1_CheckpointRemoved(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	without := append(append([]shuyu.Checkpoint(nil), cps[:1]...), cps[2:]...) // seq 20 gone
	r, err := verifyAll(s.PublicKey(), without, evs)
	wantTamper(t, r, err, 30, KindCheckpointChain)
}

func TestVerify_R28_1_CheckpointRootMismatch(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	bad := append([]shuyu.Checkpoint(nil), cps...)
	c := &bad[1]
	c.Root = evs[0].Hash // wrong root, yet signed with the platform key
	sig, err := s.priv.Sign(rand.Reader, checkpointBytes(nil, c), sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	c.Signature = sig
	r, err := verifyAll(s.PublicKey(), bad, evs)
	wantTamper(t, r, err, 20, KindCheckpointRoot)
}

func TestVerify_R28_1_FirstFailureIsSticky(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	bad := cloneEvents(evs)
	bad[2].ActorName = "someone_else"
	v := NewVerifier(s.PublicKey(), cps)
	var first error
	for i := range bad {
		if err := v.Add(&bad[i]); err != nil && first == nil {
			first = err
		}
	}
	r, err := v.Finish()
	if first == nil || err != first {
		t.Fatalf("Finish error %v, want the first Add error %v", err, first)
	}
	wantTamper(t, r, err, 3, KindHash)
}

func TestVerify_R28_1_WholeTrailDeletedBehindCheckpoint(t *testing.T) {
	t.Parallel()
	s, _, cps := trail(t)
	r, err := verifyAll(s.PublicKey(), cps, nil)
	wantTamper(t, r, err, 1, KindTailCut)
}

func TestVerify_R28_1_MalformedCheckpoint(t *testing.T) {
	t.Parallel()
	s, evs, cps := trail(t)
	bad := append([]shuyu.Checkpoint(nil), cps...)
	bad = append(bad, shuyu.Checkpoint{Seq: 0, PublicKey: s.PublicKey()})
	r, err := verifyAll(s.PublicKey(), bad, evs)
	wantTamper(t, r, err, 0, KindCheckpointMalformed)
}
