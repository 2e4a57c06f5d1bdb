package audit

import (
	"encoding/binary"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

// HashSize is the size of an SM3 hash: every Event.Hash, PrevHash,
// checkpoint Head and Root has this length.
const HashSize = sm3.Size

// Domain bytes keep the three kinds of SM3 input apart, so that no event
// encoding can be read as a Merkle node or a checkpoint and vice versa.
const (
	leafPrefix   = 0x00 // event encoding = Merkle leaf (RFC 6962)
	nodePrefix   = 0x01 // Merkle inner node
	cpPrefix     = 0x02 // checkpoint, signed with SM2
	recordPrefix = 0x03 // another record (a consent), signed with SM2
)

// eventTag names the encoding version; a future v2 hashes differently.
const eventTag = "shuyu/audit/event/v1"

// ZeroHash returns the PrevHash of the first event: 32 zero bytes.
func ZeroHash() []byte { return make([]byte, HashSize) }

// Canonical appends the canonical encoding of every field of e except Hash
// (PrevHash included) to dst and returns the extended slice. Integers are
// 8 bytes big-endian, Time is UTC unix microseconds, strings and PrevHash are
// prefixed by a 4-byte big-endian length, and fields come in a fixed order,
// so two different events never share an encoding (R28.1).
func Canonical(dst []byte, e *shuyu.Event) []byte {
	dst = append(dst, leafPrefix)
	dst = appendString(dst, eventTag)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Seq))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time.UnixMicro()))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.ActorID))
	dst = appendString(dst, e.ActorName)
	dst = appendString(dst, e.ActorRole)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.ActorOrgID))
	dst = appendString(dst, e.Action)
	dst = appendString(dst, e.ObjectType)
	dst = appendString(dst, e.ObjectID)
	dst = appendString(dst, e.Reason)
	dst = appendString(dst, e.Detail)
	dst = appendString(dst, e.RequestID)
	dst = appendString(dst, e.ClientIP)
	dst = appendBytes(dst, e.PrevHash)
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// HashEvent returns SM3 of the canonical encoding of e: the value that
// belongs in e.Hash.
func HashEvent(e *shuyu.Event) []byte {
	var h Hasher
	sum := h.Sum(e)
	return sum[:]
}

// Seal links e to its predecessor and stamps its hash (R27.1): it sets
// e.PrevHash to a copy of prev (32 zero bytes when prev is empty, for the
// first event) and e.Hash to HashEvent(e). The store calls it inside the
// transaction that writes e.
func Seal(prev []byte, e *shuyu.Event) {
	var h Hasher
	h.Seal(prev, e)
}

// Hasher computes event hashes reusing one encoding buffer, so hashing a
// long trail allocates nothing per event. The zero value is ready to use; a
// Hasher must not be used by two goroutines at once.
type Hasher struct {
	buf []byte
}

// Sum returns the SM3 hash of e's canonical encoding.
func (h *Hasher) Sum(e *shuyu.Event) [HashSize]byte {
	h.buf = Canonical(h.buf[:0], e)
	return sm3.Sum(h.buf)
}

// Seal is the buffer-reusing form of the package function Seal.
func (h *Hasher) Seal(prev []byte, e *shuyu.Event) {
	if len(prev) == 0 {
		e.PrevHash = ZeroHash()
	} else {
		e.PrevHash = append([]byte(nil), prev...)
	}
	sum := h.Sum(e)
	e.Hash = append(e.Hash[:0:0], sum[:]...)
}
