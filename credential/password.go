// Package credential stores and checks what proves an account's identity:
// passwords, TOTP second factors and session tokens.
//
// Passwords are hashed with PBKDF2 (RFC 8018) over HMAC-SM3. Why: the
// Cryptography Law and the 密评 assessment of an MLPS level-3 system expect
// commercial cryptography (SM3) for protecting stored credentials, and
// PBKDF2 is the standard construction that takes any HMAC; scrypt or
// Argon2 would be stronger against GPUs but are built on non-SM primitives
// that an assessor would flag. The iteration count is stored with each hash
// so it can be raised later without breaking old hashes.
package credential

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm3"
)

// DefaultIterations makes one hash take roughly 50-100 ms on a server core.
const DefaultIterations = 120_000

const scheme = "pbkdf2-sm3"

// HashPassword returns "pbkdf2-sm3$<iter>$<salt b64>$<key b64>".
func HashPassword(password string, iterations int) (string, error) {
	if iterations < 1 {
		iterations = DefaultIterations
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key, err := pbkdf2.Key(sm3.New, password, salt, iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%s$%d$%s$%s", scheme, iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the stored hash, in
// constant time with respect to the key comparison.
func CheckPassword(stored, password string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != scheme {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sm3.New, password, salt, iter, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

// DummyCheck spends the time of one check so that a login for an unknown
// user takes as long as one for a known user (no account enumeration by
// timing).
func DummyCheck(iterations int, password string) {
	if iterations < 1 {
		iterations = DefaultIterations
	}
	pbkdf2.Key(sm3.New, password, []byte("shuyu-dummy-salt"), iterations, 32) //nolint:errcheck
}
