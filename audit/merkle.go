package audit

import "github.com/emmansun/gmsm/sm3"

// MerkleRoot returns the SM3 Merkle root over hashes (the event hashes of a
// checkpoint's range, in Seq order). Leaves are the hashes as given (an event
// hash is already an RFC 6962 leaf hash, see the package doc); inner nodes
// are SM3(0x01 ‖ left ‖ right); an odd last node is promoted. The root of an
// empty list is SM3 of the empty string, as in RFC 6962.
func MerkleRoot(hashes [][]byte) []byte {
	var f frontier
	for _, h := range hashes {
		f.add(h)
	}
	r := f.root()
	return r[:]
}

// frontier builds a Merkle root incrementally: it keeps one pending subtree
// root per set bit of the leaf count, so memory is O(log n) while a verifier
// streams events (R28.1 over trails of any length).
type frontier struct {
	n     uint64           // leaves added
	stack [][HashSize]byte // roots of complete subtrees, largest first
	buf   [1 + 2*HashSize]byte
}

func (f *frontier) add(leaf []byte) {
	var h [HashSize]byte
	copy(h[:], leaf)
	// Each trailing one bit of n is a complete subtree of the same size as
	// the one being carried: merge them, like binary addition.
	for n := f.n; n&1 == 1; n >>= 1 {
		top := len(f.stack) - 1
		h = f.node(&f.stack[top], &h)
		f.stack = f.stack[:top]
	}
	f.stack = append(f.stack, h)
	f.n++
}

// root folds the pending subtrees right to left; a smaller right subtree is
// combined as is, which is the "promote the odd node" rule.
func (f *frontier) root() [HashSize]byte {
	if len(f.stack) == 0 {
		return sm3.Sum(nil)
	}
	acc := f.stack[len(f.stack)-1]
	for i := len(f.stack) - 2; i >= 0; i-- {
		acc = f.node(&f.stack[i], &acc)
	}
	return acc
}

func (f *frontier) reset() {
	f.n = 0
	f.stack = f.stack[:0]
}

func (f *frontier) node(l, r *[HashSize]byte) [HashSize]byte {
	f.buf[0] = nodePrefix
	copy(f.buf[1:], l[:])
	copy(f.buf[1+HashSize:], r[:])
	return sm3.Sum(f.buf[:])
}
