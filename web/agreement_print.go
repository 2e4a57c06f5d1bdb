package web

import (
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// agreementSig is one signature of an agreement with the result of checking
// it, for the agreement page and its printed form: who signed for which
// party and when, whether the SM2 signature over the text's SM3 digest
// verifies, and whether it was made with the key the organization
// registered (R19.1).
type agreementSig struct {
	Party, Username      string
	SignedAt             time.Time
	PublicKey, Signature string // hex
	Checked              bool   // a check result exists for it
	Valid                bool
	KeyOK                bool
}

// agreementSigs pairs the signatures with VerifyAgreement's results (in
// the same order).
func agreementSigs(a *shuyu.Agreement, v *sqlstore.Verification) []agreementSig {
	out := make([]agreementSig, len(a.Signatures))
	for i, s := range a.Signatures {
		out[i] = agreementSig{Party: s.Party, Username: s.Username, SignedAt: s.SignedAt, PublicKey: s.PublicKey, Signature: s.Signature}
		if v != nil && i < len(v.Signatures) && v.Signatures[i].Party == s.Party {
			r := v.Signatures[i]
			out[i].Checked, out[i].Valid, out[i].KeyOK = true, r.Valid, r.KeyOK
		}
	}
	return out
}
