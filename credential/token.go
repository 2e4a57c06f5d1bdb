package credential

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/emmansun/gmsm/sm3"
)

// NewToken returns a random session token for the client and the SM3 digest
// under which the store keeps it: a stolen database does not yield usable
// tokens.
func NewToken() (token, digest string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenDigest(token), nil
}

// TokenDigest is the stored form of a token.
func TokenDigest(token string) string {
	s := sm3.Sum([]byte(token))
	return hex.EncodeToString(s[:])
}
