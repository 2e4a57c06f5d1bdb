package shuyu

import "time"

// Event is one entry of the audit trail (R27.1, R28.1): who did what to which
// object, when and why. Events are written in the same transaction as the
// change they record and chained with SM3 (package audit); they are never
// updated or deleted.
type Event struct {
	Seq        int64     `json:"seq"`
	Time       time.Time `json:"time"`       // UTC, microsecond precision
	ActorID    int64     `json:"actor_id"`   // 0 is the system actor
	ActorName  string    `json:"actor_name"` // username, or "system"
	ActorRole  string    `json:"actor_role"` // the role the actor acted in
	ActorOrgID int64     `json:"actor_org_id"`
	Action     string    `json:"action"`      // e.g. "user.create", "auth.login_failed"
	ObjectType string    `json:"object_type"` // e.g. "user", "org"
	ObjectID   string    `json:"object_id"`
	Reason     string    `json:"reason,omitempty"`
	Detail     string    `json:"detail,omitempty"` // JSON; shapes and counts, never raw data values
	RequestID  string    `json:"request_id,omitempty"`
	ClientIP   string    `json:"client_ip,omitempty"`
	PrevHash   []byte    `json:"prev_hash"` // 32 bytes; zeros for the first event
	Hash       []byte    `json:"hash"`      // SM3 over PrevHash and the canonical encoding
}

// Checkpoint is an SM2-signed statement that the trail up to Seq had head
// hash Head. Checkpoints are stored in the database and also appended to a
// file that can be kept elsewhere, so that cutting the tail or rewriting the
// whole chain is detected.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Head      []byte    `json:"head"`       // Hash of event Seq
	Root      []byte    `json:"root"`       // Merkle root (SM3) of the hashes of events PrevSeq+1..Seq
	PrevSeq   int64     `json:"prev_seq"`   // Seq of the previous checkpoint, 0 for the first
	PublicKey []byte    `json:"public_key"` // uncompressed SM2 public key of the signer
	Signature []byte    `json:"signature"`  // SM2 signature (ASN.1) over the canonical checkpoint bytes
	// KeyID names the signing key in the store's trusted list (audit_keys).
	// It is a label, not signed: trust is decided by PublicKey.
	KeyID string `json:"key_id,omitempty"`
}
