package credential

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash_R29_1_PBKDF2SM3(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("Shuyu-demo-2026", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "pbkdf2-sm3$1000$") {
		t.Fatalf("hash %q does not record scheme and iterations", h)
	}
	if strings.Contains(h, "Shuyu") {
		t.Fatal("hash contains the password")
	}
	if !CheckPassword(h, "Shuyu-demo-2026") {
		t.Fatal("right password refused")
	}
	for _, bad := range []string{"", "shuyu-demo-2026", "Shuyu-demo-2027", "Shuyu-demo-2026 "} {
		if CheckPassword(h, bad) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	h2, _ := HashPassword("Shuyu-demo-2026", 1000)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	for _, broken := range []string{"", "x", "pbkdf2-sm3$0$AA$AA", "pbkdf2-sha1$1000$AA$AA", "pbkdf2-sm3$1000$!!$AA"} {
		if CheckPassword(broken, "Shuyu-demo-2026") {
			t.Fatalf("malformed stored hash %q accepted", broken)
		}
	}
}

// RFC 6238 appendix B test vectors (SHA1, secret "12345678901234567890").
func TestTOTP_RFC6238Vectors(t *testing.T) {
	t.Parallel()
	secret := b32.EncodeToString([]byte("12345678901234567890"))
	for _, c := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		got, err := TOTPCode(secret, time.Unix(c.unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("TOTP at %d = %s, want %s", c.unix, got, c.want)
		}
	}
}

func TestTOTP_DriftWindow(t *testing.T) {
	t.Parallel()
	secret, err := NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	code, _ := TOTPCode(secret, now)
	for _, d := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
		if _, ok := CheckTOTP(secret, code, now.Add(d)); !ok {
			t.Errorf("code refused at drift %v", d)
		}
	}
	if _, ok := CheckTOTP(secret, code, now.Add(2*time.Minute)); ok {
		t.Error("stale code accepted two minutes later")
	}
	if _, ok := CheckTOTP(secret, "12345", now); ok {
		t.Error("5-digit code accepted")
	}
	if !strings.HasPrefix(TOTPURI("数域", "alice", secret), "otpauth://totp/") {
		t.Error("bad otpauth URI")
	}
}

func TestToken_DigestDiffers(t *testing.T) {
	t.Parallel()
	tok, dig, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if tok == dig || TokenDigest(tok) != dig || len(dig) != 64 {
		t.Fatalf("token %q digest %q", tok, dig)
	}
}
