package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// BenchmarkLogin_R29_1 compares what one login attempt costs the server
// with the production password cost (PBKDF2-HMAC-SM3, 120,000 iterations):
// an unknown username from a source that is not throttled (one dummy hash,
// one audited write) against an attempt from a throttled source (429, no
// hash, no store). docs/performance.md section 4 has the numbers.
//
//	go test ./web -run '^$' -bench BenchmarkLogin_R29_1 -benchtime 20x
func BenchmarkLogin_R29_1(b *testing.B) {
	db, clock := sqltest.Open(b, "sqlite")
	db.PasswordIterations = 0 // the production default
	s := New(Config{DB: db, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	attempt := func(src, user string) error {
		ctx := shuyu.WithRequestInfo(context.Background(), shuyu.RequestInfo{ClientIP: src})
		_, err := s.login(ctx, httptest.NewRecorder(), sqlstore.LoginRequest{Username: user, Password: "wrong-password"})
		return err
	}
	b.Run("unknown-username", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			// A fresh source each time: never throttled, never locked.
			if err := attempt(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "nobody"); shuyu.ErrorCode(err) != shuyu.EUNAUTHORIZED {
				b.Fatal(err)
			}
		}
	})
	b.Run("throttled", func(b *testing.B) {
		for i := 0; i < shuyu.LoginBurst; i++ {
			attempt("192.0.2.1", fmt.Sprintf("nobody-%d", i))
		}
		for b.Loop() {
			if err := attempt("192.0.2.1", "nobody"); shuyu.ErrorCode(err) != shuyu.ETHROTTLED {
				b.Fatal(err)
			}
		}
	})
}
