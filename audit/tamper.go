package audit

import "fmt"

// Kinds of tampering a verification can find; TamperError.Kind and
// Report.Kind hold one of these.
const (
	KindHash                = "hash_mismatch"        // a row's content no longer matches its hash: edited
	KindLink                = "link_broken"          // PrevHash is not the previous row's hash: inserted or deleted before it
	KindGap                 = "seq_gap"              // a Seq is missing: deleted (or rows out of order)
	KindOrder               = "seq_order"            // a Seq repeats or goes backwards: duplicated or reordered
	KindTailCut             = "tail_cut"             // a signed checkpoint lies beyond the last event
	KindCheckpointHead      = "checkpoint_head"      // chain head differs from the signed head: rewritten
	KindCheckpointRoot      = "checkpoint_root"      // Merkle root over the range differs from the signed root
	KindCheckpointSignature = "checkpoint_signature" // SM2 signature invalid: forged or altered checkpoint
	KindCheckpointKey       = "checkpoint_key"       // signed by a key other than the trusted one
	KindCheckpointConflict  = "checkpoint_conflict"  // two different checkpoints for one Seq
	KindCheckpointChain     = "checkpoint_chain"     // PrevSeq does not name the previous checkpoint: one was removed
	KindCheckpointMalformed = "checkpoint_malformed" // Seq, PrevSeq or hash lengths impossible
)

// TamperError reports the first place where the audit trail is not what was
// written (R27.1, R28.1). Seq is the first bad event, or the checkpoint's Seq
// for a problem with a checkpoint itself.
type TamperError struct {
	Seq     int64
	Kind    string
	Message string // Chinese, with an English gloss
}

func (e *TamperError) Error() string { return "audit: " + e.Message }

func tamper(seq int64, kind, format string, args ...any) *TamperError {
	return &TamperError{Seq: seq, Kind: kind, Message: fmt.Sprintf(format, args...)}
}
