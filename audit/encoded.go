package audit

import (
	"encoding/binary"

	"github.com/emmansun/gmsm/sm3"
)

// CanonicalHeader returns the bytes every canonical encoding starts with:
// the leaf prefix and the length-prefixed version tag. A store that builds
// encodings in SQL (sqlstore, to read one value per row instead of fifteen)
// starts each one with these bytes.
func CanonicalHeader() []byte {
	return appendString([]byte{leafPrefix}, eventTag)
}

// canonicalLayout lists the fields after the header in Canonical's order:
// 8 is a fixed 8-byte integer, 0 a 4-byte length and that many bytes.
var canonicalLayout = [...]uint8{8, 8, 8, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0}

// splitCanonical returns the Seq and the PrevHash held in a canonical
// encoding, and whether enc is well formed: the header, every field of the
// layout and nothing after the last one.
func splitCanonical(enc []byte) (seq int64, prev []byte, ok bool) {
	hdr := 1 + 4 + len(eventTag)
	if len(enc) < hdr+8 || enc[0] != leafPrefix ||
		binary.BigEndian.Uint32(enc[1:]) != uint32(len(eventTag)) || string(enc[5:hdr]) != eventTag {
		return 0, nil, false
	}
	seq = int64(binary.BigEndian.Uint64(enc[hdr:]))
	p := hdr
	for _, f := range canonicalLayout {
		if f == 0 {
			if len(enc)-p < 4 {
				return 0, nil, false
			}
			n := int(binary.BigEndian.Uint32(enc[p:]))
			p += 4
			if n < 0 || n > len(enc)-p {
				return 0, nil, false
			}
			prev = enc[p : p+n]
			p += n
			continue
		}
		if len(enc)-p < int(f) {
			return 0, nil, false
		}
		p += int(f)
	}
	return seq, prev, p == len(enc)
}

// AddCanonical is Add for an event given as its canonical encoding enc
// (exactly what Canonical returns for it) and its stored hash. Seq and
// PrevHash are read from enc, and enc is hashed as is, with no decoding
// into an Event. A store uses it when it builds enc straight from the
// stored columns; enc must then come from those columns and nothing else,
// so that an edited column still changes what is hashed (R27.1). An
// encoding that is not well formed counts as an edited row.
func (v *Verifier) AddCanonical(enc, hash []byte) error {
	sum := sm3.Sum(enc)
	return v.AddCanonicalSum(enc, hash, &sum)
}

// AddCanonicalSum is AddCanonical with sum = SM3(enc) computed by the
// caller, typically on other goroutines while the verifier, which must see
// events in order, checks the previous ones. Hashing is most of the work
// and each event's hash depends on its own bytes only.
func (v *Verifier) AddCanonicalSum(enc, hash []byte, sum *[HashSize]byte) error {
	if v.err != nil {
		return v.err
	}
	if v.next < len(v.cps) && v.cps[v.next].c.Seq <= v.lastSeq {
		return v.fail(v.checkpoint(&v.cps[v.next]))
	}
	seq, prev, ok := splitCanonical(enc)
	if !ok {
		want := v.lastSeq + 1
		return v.fail(tamper(want, KindHash,
			"事件 %d 的规范编码格式无效 (event %d canonical encoding malformed)", want, want))
	}
	if err := v.order(seq); err != nil {
		return err
	}
	return v.link(seq, sum, hash, prev)
}
