package audit

import (
	"bytes"
	"testing"
	"time"

	"shuyu"
)

// Two events whose field texts concatenate to the same string but are split
// differently must not share a hash, or a row could be edited by moving
// characters between fields.
func TestCanonical_R28_1_UnambiguousFieldBoundaries(t *testing.T) {
	t.Parallel()
	a := shuyu.Event{Seq: 7, Time: t0, ActorName: "zhang", ActorRole: "sanoperator", Action: "user.create", PrevHash: ZeroHash()}
	b := a
	b.ActorName, b.ActorRole = "zhangsan", "operator"
	if a.ActorName+a.ActorRole != b.ActorName+b.ActorRole {
		t.Fatal("test setup: concatenations differ")
	}
	if bytes.Equal(HashEvent(&a), HashEvent(&b)) {
		t.Fatal("events split differently share a hash")
	}
	// Same across the whole run of string fields: shift one byte along.
	c := shuyu.Event{Seq: 7, Time: t0, ObjectType: "org", ObjectID: "1", Reason: "", PrevHash: ZeroHash()}
	d := c
	d.ObjectType, d.ObjectID, d.Reason = "or", "g", "1"
	if bytes.Equal(HashEvent(&c), HashEvent(&d)) {
		t.Fatal("shifted field boundaries share a hash")
	}
}

// Every field but Hash is covered: changing any one changes the hash.
func TestCanonical_R27_1_EveryFieldCovered(t *testing.T) {
	t.Parallel()
	base := makeEvents(2)[1]
	want := HashEvent(&base)
	edits := map[string]func(e *shuyu.Event){
		"Seq":        func(e *shuyu.Event) { e.Seq++ },
		"Time":       func(e *shuyu.Event) { e.Time = e.Time.Add(time.Microsecond) },
		"ActorID":    func(e *shuyu.Event) { e.ActorID++ },
		"ActorName":  func(e *shuyu.Event) { e.ActorName += "x" },
		"ActorRole":  func(e *shuyu.Event) { e.ActorRole = "authority" },
		"ActorOrgID": func(e *shuyu.Event) { e.ActorOrgID = 640522 },
		"Action":     func(e *shuyu.Event) { e.Action = "application.withdraw" },
		"ObjectType": func(e *shuyu.Event) { e.ObjectType = "agreement" },
		"ObjectID":   func(e *shuyu.Event) { e.ObjectID += "0" },
		"Reason":     func(e *shuyu.Event) { e.Reason = "" },
		"Detail":     func(e *shuyu.Event) { e.Detail = "{}" },
		"RequestID":  func(e *shuyu.Event) { e.RequestID = "" },
		"ClientIP":   func(e *shuyu.Event) { e.ClientIP = "10.64.5.22" },
		"PrevHash":   func(e *shuyu.Event) { e.PrevHash = ZeroHash() },
	}
	for name, edit := range edits {
		e := base
		edit(&e)
		if bytes.Equal(HashEvent(&e), want) {
			t.Errorf("changing %s left the hash unchanged", name)
		}
	}
	e := base
	e.Hash = []byte("anything")
	if !bytes.Equal(HashEvent(&e), want) {
		t.Error("Hash itself must not be part of the encoding")
	}
}

// The instant is what counts: the same moment read back in another zone (as
// a database driver may return it) hashes the same.
func TestCanonical_R28_1_TimeZoneIndependent(t *testing.T) {
	t.Parallel()
	e := makeEvents(1)[0]
	f := e
	f.Time = e.Time.In(time.FixedZone("CST", 8*3600))
	if !bytes.Equal(HashEvent(&e), HashEvent(&f)) {
		t.Fatal("same instant in another zone hashed differently")
	}
}

func TestSeal_R27_1_LinksToPrevious(t *testing.T) {
	t.Parallel()
	var first, second shuyu.Event
	first = shuyu.Event{Seq: 1, Time: t0, Action: "user.create"}
	Seal(nil, &first)
	if !bytes.Equal(first.PrevHash, ZeroHash()) {
		t.Fatalf("first PrevHash = %x, want 32 zero bytes", first.PrevHash)
	}
	if len(first.Hash) != HashSize || !bytes.Equal(first.Hash, HashEvent(&first)) {
		t.Fatalf("first Hash = %x, want SM3 of its encoding", first.Hash)
	}
	second = shuyu.Event{Seq: 2, Time: t0, Action: "user.update"}
	Seal(first.Hash, &second)
	if !bytes.Equal(second.PrevHash, first.Hash) {
		t.Fatal("second PrevHash is not the first Hash")
	}
	// Seal copies prev: later changes to the caller's slice do not leak in.
	first.Hash[0] ^= 0xff
	if bytes.Equal(second.PrevHash, first.Hash) {
		t.Fatal("Seal aliased the caller's prev slice")
	}
}

func TestHasher_R28_1_AllocationFree(t *testing.T) { // not parallel: AllocsPerRun refuses
	evs := makeEvents(4)
	var h Hasher
	h.Sum(&evs[0])
	allocs := testing.AllocsPerRun(100, func() { h.Sum(&evs[1]) })
	if allocs != 0 {
		t.Fatalf("Hasher.Sum allocates %v times per event, want 0", allocs)
	}
}
