package audit

import (
	"fmt"

	"github.com/emmansun/gmsm/sm2"
)

// SignRecord signs a record digest that is not an audit event — a data
// subject's consent record (R28.5) — with the platform's SM2 key. tag names
// the kind of record, so a signature over one kind cannot stand for another.
func (s *Signer) SignRecord(tag string, digest []byte) ([]byte, error) {
	msg := appendBytes(appendString([]byte{recordPrefix}, tag), digest)
	sig, err := s.priv.Sign(s.rand, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, fmt.Errorf("audit.SignRecord: %w", err)
	}
	return sig, nil
}

// VerifyRecord checks a signature of SignRecord under the public key pub
// (an uncompressed SM2 point).
func VerifyRecord(pub []byte, tag string, digest, sig []byte) error {
	key, err := sm2.NewPublicKey(pub)
	if err != nil {
		return fmt.Errorf("audit.VerifyRecord: public key: %w", err)
	}
	msg := appendBytes(appendString([]byte{recordPrefix}, tag), digest)
	if !sm2.VerifyASN1WithSM2(key, nil, msg, sig) {
		return &TamperError{Kind: "signature", Message: "记录签名无效 (record signature invalid)"}
	}
	return nil
}
