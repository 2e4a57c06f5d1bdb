package audit

import (
	"bytes"
	"sort"

	"shuyu"
)

// Report summarises a verification. When OK is false, FirstBad, Kind and
// Problem name the first failure in Seq order.
type Report struct {
	OK          bool   `json:"ok"`
	Events      int64  `json:"events"`      // events whose hash and link were checked
	Checkpoints int    `json:"checkpoints"` // signed checkpoints matched against the chain
	LastSeq     int64  `json:"last_seq"`
	Head        []byte `json:"head,omitempty"` // hash of event LastSeq
	// LastCheckpoint is the Seq of the last checkpoint that verified;
	// events after it (Unanchored) are protected by the hash chain only.
	LastCheckpoint int64  `json:"last_checkpoint"`
	Unanchored     int64  `json:"unanchored"`
	FirstBad       int64  `json:"first_bad,omitempty"`
	Kind           string `json:"kind,omitempty"`
	Problem        string `json:"problem,omitempty"`
}

// pendingCheckpoint is a checkpoint waiting for the stream to reach its Seq.
type pendingCheckpoint struct {
	c        shuyu.Checkpoint
	conflict bool // another, different checkpoint claims the same Seq
}

// Verifier checks an audit trail streamed in Seq order against its signed
// checkpoints (R28.1, R30.1). It holds the previous hash and an O(log n)
// Merkle frontier, never the events. The first failure is sticky: every
// later Add and Finish return it.
type Verifier struct {
	trusted [][]byte            // nil: each checkpoint's own key
	cps     []pendingCheckpoint // sorted by Seq, one per Seq
	next    int                 // index into cps of the next checkpoint to meet

	h        Hasher
	prev     [HashSize]byte
	lastSeq  int64
	events   int64
	checked  int
	lastCP   int64 // Seq of the last verified checkpoint
	frontier frontier
	err      *TamperError
}

// NewVerifier prepares a verification against checkpoints, typically those
// from the database and from the checkpoint file together: copies of the
// same checkpoint are merged, and two different checkpoints for one Seq are
// reported as tampering when the stream reaches that Seq. trusted is the
// platform's pinned SM2 public key; nil accepts each checkpoint's own key.
func NewVerifier(trusted []byte, checkpoints []shuyu.Checkpoint) *Verifier {
	if trusted == nil {
		return NewVerifierTrusting(nil, checkpoints)
	}
	return NewVerifierTrusting([][]byte{trusted}, checkpoints)
}

// NewVerifierTrusting is NewVerifier with several trusted keys: every
// generation of a rotated signing key (keys.Ring.All), or the keys of
// several servers. A checkpoint signed by a key outside the list is forged;
// nil accepts each checkpoint's own key.
func NewVerifierTrusting(trusted [][]byte, checkpoints []shuyu.Checkpoint) *Verifier {
	sorted := make([]shuyu.Checkpoint, len(checkpoints))
	copy(sorted, checkpoints)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Seq < sorted[j].Seq })
	v := &Verifier{}
	for _, k := range trusted {
		v.trusted = append(v.trusted, bytes.Clone(k))
	}
	if trusted != nil && v.trusted == nil {
		v.trusted = [][]byte{} // an empty list trusts nothing
	}
	for _, c := range sorted {
		if n := len(v.cps); n > 0 && v.cps[n-1].c.Seq == c.Seq {
			if !sameCheckpoint(&v.cps[n-1].c, &c) {
				v.cps[n-1].conflict = true
			}
			continue
		}
		v.cps = append(v.cps, pendingCheckpoint{c: c})
	}
	return v
}

func sameCheckpoint(a, b *shuyu.Checkpoint) bool {
	return bytes.Equal(checkpointBytes(nil, a), checkpointBytes(nil, b)) &&
		bytes.Equal(a.Signature, b.Signature)
}

// Add checks the next event. Events must come in the order the caller read
// them (ORDER BY seq); Add does not keep e.
func (v *Verifier) Add(e *shuyu.Event) error {
	if v.err != nil {
		return v.err
	}
	// A checkpoint with an impossible Seq would otherwise never be met.
	if v.next < len(v.cps) && v.cps[v.next].c.Seq <= v.lastSeq {
		return v.fail(v.checkpoint(&v.cps[v.next]))
	}
	if err := v.order(e.Seq); err != nil {
		return err
	}
	sum := v.h.Sum(e)
	return v.link(e.Seq, &sum, e.Hash, e.PrevHash)
}

// order checks that seq is the next event's.
func (v *Verifier) order(seq int64) error {
	want := v.lastSeq + 1
	switch {
	case seq > want:
		return v.fail(tamper(want, KindGap,
			"事件 %d 缺失 (event %d missing: deleted, or rows out of order; next seen is %d)", want, want, seq))
	case seq < want:
		return v.fail(tamper(seq, KindOrder,
			"事件 %d 重复或顺序错乱，应为事件 %d (event %d duplicated or out of order, expected %d)", seq, want, seq, want))
	}
	return nil
}

// link checks event seq, whose recomputed hash is sum, against its stored
// hash and prev-hash, and meets the checkpoint at seq if there is one.
func (v *Verifier) link(seq int64, sum *[HashSize]byte, hash, prevHash []byte) error {
	// R27.1: the row's own hash first, so an edited row is named as edited.
	if !bytes.Equal(sum[:], hash) {
		return v.fail(tamper(seq, KindHash,
			"事件 %d 的哈希不符 (event %d hash mismatch: row edited)", seq, seq))
	}
	if !bytes.Equal(prevHash, v.prev[:]) {
		return v.fail(tamper(seq, KindLink,
			"事件 %d 与上一事件的哈希链断裂 (event %d prev-hash link broken: a row before it was inserted, deleted or replaced)", seq, seq))
	}
	v.prev = *sum
	v.lastSeq = seq
	v.events++
	v.frontier.add(sum[:])
	if v.next < len(v.cps) && v.cps[v.next].c.Seq == seq {
		if err := v.checkpoint(&v.cps[v.next]); err != nil {
			return v.fail(err)
		}
	}
	return nil
}

// checkpoint matches the checkpoint the stream has just reached.
func (v *Verifier) checkpoint(p *pendingCheckpoint) *TamperError {
	c := &p.c
	if p.conflict {
		return tamper(c.Seq, KindCheckpointConflict,
			"检查点 %d 存在两个内容不同的版本 (two different checkpoints for seq %d)", c.Seq, c.Seq)
	}
	if c.Seq < 1 || c.PrevSeq < 0 || c.PrevSeq >= c.Seq || len(c.Head) != HashSize || len(c.Root) != HashSize {
		return tamper(c.Seq, KindCheckpointMalformed,
			"检查点 %d 格式无效 (checkpoint %d malformed)", c.Seq, c.Seq)
	}
	if err := VerifyCheckpointTrusting(c, v.trusted); err != nil {
		return err.(*TamperError)
	}
	if c.PrevSeq != v.lastCP {
		return tamper(c.Seq, KindCheckpointChain,
			"检查点 %d 声明上一检查点为 %d，实际为 %d (checkpoint chain broken: a checkpoint was removed or added)", c.Seq, c.PrevSeq, v.lastCP)
	}
	// R28.1: a chain recomputed after tampering cannot match a signed head.
	if !bytes.Equal(c.Head, v.prev[:]) {
		return tamper(c.Seq, KindCheckpointHead,
			"检查点 %d 的头哈希与事件链不符 (checkpoint %d head mismatch: chain rewritten)", c.Seq, c.Seq)
	}
	root := v.frontier.root()
	if !bytes.Equal(c.Root, root[:]) {
		return tamper(c.Seq, KindCheckpointRoot,
			"检查点 %d 的默克尔根不符 (checkpoint %d Merkle root mismatch)", c.Seq, c.Seq)
	}
	v.frontier.reset()
	v.lastCP = c.Seq
	v.checked++
	v.next++
	return nil
}

func (v *Verifier) fail(err *TamperError) *TamperError {
	v.err = err
	return err
}

// Finish ends the stream: any checkpoint beyond the last event means the
// tail was cut (after its signature is checked, so a forged checkpoint is
// not mistaken for a cut). The error, if any, is the *TamperError also
// described in the Report.
func (v *Verifier) Finish() (Report, error) {
	if v.err == nil && v.next < len(v.cps) {
		p := &v.cps[v.next]
		c := &p.c
		switch {
		case c.Seq <= v.lastSeq:
			v.fail(v.checkpoint(p))
		case p.conflict:
			v.fail(tamper(c.Seq, KindCheckpointConflict,
				"检查点 %d 存在两个内容不同的版本 (two different checkpoints for seq %d)", c.Seq, c.Seq))
		default:
			if err := VerifyCheckpointTrusting(c, v.trusted); err != nil {
				v.fail(err.(*TamperError))
			} else {
				v.fail(tamper(v.lastSeq+1, KindTailCut,
					"事件 %d 之后的记录被截断，检查点 %d 记录的事件缺失 (tail cut after seq %d: checkpoint %d is beyond the last event)",
					v.lastSeq, c.Seq, v.lastSeq, c.Seq))
			}
		}
	}
	r := Report{
		OK:             v.err == nil,
		Events:         v.events,
		Checkpoints:    v.checked,
		LastSeq:        v.lastSeq,
		LastCheckpoint: v.lastCP,
		Unanchored:     v.lastSeq - v.lastCP,
	}
	if v.events > 0 {
		r.Head = bytes.Clone(v.prev[:])
	}
	if v.err != nil {
		r.FirstBad, r.Kind, r.Problem = v.err.Seq, v.err.Kind, v.err.Message
		return r, v.err
	}
	return r, nil
}
