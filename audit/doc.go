// Package audit makes the platform's audit trail tamper-evident (R27.1
// behaviour logged and responsibility attributable, R28.1 recordable,
// auditable, traceable) with national cryptography (R29.1: SM3 and SM2 from
// github.com/emmansun/gmsm), and verifies it for the platform's own
// auditors and for regulators (R30.1).
//
// Three layers, each catching what the one before cannot:
//
//  1. SM3 hash chain. Every shuyu.Event is encoded canonically (Canonical:
//     fixed field order, every variable field length-prefixed, time as UTC
//     unix microseconds) together with the previous event's hash, and its
//     Hash is SM3 of that encoding. Editing, deleting, inserting or
//     reordering a row breaks either the row's own hash or the link to it.
//     A chain alone cannot detect an attacker with write access who cuts
//     the tail, or who rewrites everything after some point and recomputes
//     every hash: SM3 has no secret.
//
//  2. Merkle checkpoints. Periodically the platform records a
//     shuyu.Checkpoint: the head hash at Seq and the Merkle root (SM3,
//     RFC 6962 shape) over the hashes of the events since the previous
//     checkpoint. The root lets a single event later be proved part of a
//     checkpointed range without replaying the chain; the verifier
//     recomputes it so a wrong root is caught too.
//
//  3. SM2 signature. Each checkpoint is signed with the platform's SM2 key
//     (default user ID 1234567812345678, GB/T 32918.2 / GM/T 0009) and is
//     kept both in the database and in a JSON-lines file that can live
//     outside it. A rewritten chain no longer matches a signed head; a cut
//     tail leaves a signed checkpoint pointing beyond the last event; a
//     forged or altered checkpoint fails the signature or names a key other
//     than the trusted one. Events after the last checkpoint are protected
//     by the chain only, which is why Report tells how many there are.
//
// Merkle tree shape: leaves are the event hashes themselves. An event hash
// is SM3(0x00 ‖ body) because Canonical starts with the byte 0x00, so it is
// exactly an RFC 6962 leaf hash; inner nodes are SM3(0x01 ‖ left ‖ right).
// An odd node at the end of a level is promoted unchanged to the next level
// (not duplicated), which gives the RFC 6962 tree and keeps distinct leaf
// lists from sharing a root.
//
// Verification streams: Verifier.Add takes events in Seq order and keeps
// only the previous hash and an O(log n) Merkle frontier, so a trail of any
// length verifies in constant memory.
package audit
