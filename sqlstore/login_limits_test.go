package sqlstore_test

import (
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
)

// R29.1: the login budget of a source is shared through the store. A burst
// of LoginBurst attempts is admitted, the next is refused with the wait
// until the next one, after that wait exactly one more is admitted, a
// refund (a login that proved its password) gives one back, and another
// source has its own budget. Two handles on one store share it.
func TestLoginBudget_R29_1_SharedThroughTheStore(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		take := func(src string) (bool, int64) {
			t.Helper()
			ok, wait, err := db.TakeLoginAttempt(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			return ok, wait.Microseconds()
		}
		for i := 0; i < shuyu.LoginBurst; i++ {
			if ok, _ := take("192.0.2.1"); !ok {
				t.Fatalf("attempt %d of the burst refused", i+1)
			}
		}
		ok, wait := take("192.0.2.1")
		if ok || wait != shuyu.LoginRefill.Microseconds() {
			t.Fatalf("attempt after the burst: admitted %v, wait %d µs (want %d)", ok, wait, shuyu.LoginRefill.Microseconds())
		}
		if ok, _ := take("192.0.2.2"); !ok {
			t.Fatal("another source was refused")
		}
		env.Clock.Advance(shuyu.LoginRefill)
		if ok, _ := take("192.0.2.1"); !ok {
			t.Fatal("refused after the wait")
		}
		if ok, _ := take("192.0.2.1"); ok {
			t.Fatal("two attempts admitted for one refill interval")
		}
		if err := db.RefundLoginAttempt(ctx, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := take("192.0.2.1"); !ok {
			t.Fatal("a refunded attempt was not given back")
		}
	})
}
