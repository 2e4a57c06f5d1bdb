package web

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// loginThrottle limits login attempts per source across usernames (R29.1):
// a token bucket of shuyu.LoginBurst attempts per source (the client
// address, or its /64 for IPv6: shuyu.LoginSource), refilled at one per
// shuyu.LoginRefill. Every attempt takes a token before the password is
// hashed, and a successful one gives it back, so a flood of wrong or
// unknown usernames from one source costs at most LoginBurst hashes and
// then one per LoginRefill; the rest are answered 429 at once. The buckets
// live in this server's memory, in front of the budget every server on the
// store shares (sqlstore.DB.TakeLoginAttempt): a flood is refused here
// without a write, and spreading attempts over several servers gains
// nothing, because what passes here still spends the shared budget.
type loginThrottle struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*loginBucket
}

type loginBucket struct {
	tokens   float64
	at       time.Time
	refused  int  // attempts refused in this episode
	reported bool // the episode is in the audit trail
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, buckets: map[string]*loginBucket{}}
}

// maxBuckets bounds the memory a spray from many sources can take: beyond
// it, full (idle) buckets are forgotten, which changes nothing for them.
const maxBuckets = 100_000

// take reserves an attempt for src. When the bucket is empty it answers how
// long until the next one, and whether this refusal starts an episode that
// the audit trail has not seen yet.
func (t *loginThrottle) take(src string) (ok bool, wait time.Duration, report bool, refused int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.buckets[src]
	if b == nil {
		if len(t.buckets) >= maxBuckets {
			t.prune(now)
		}
		b = &loginBucket{tokens: shuyu.LoginBurst, at: now}
		t.buckets[src] = b
	}
	t.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, false, 0
	}
	b.refused++
	wait = time.Duration((1 - b.tokens) * float64(shuyu.LoginRefill))
	report = !b.reported
	b.reported = true
	return false, wait, report, b.refused
}

// refuse counts an attempt the shared budget refused as part of src's
// episode, and reports whether the audit trail has not seen the episode.
func (t *loginThrottle) refuse(src string) (report bool, refused int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[src]
	if b == nil {
		return false, 0
	}
	b.refused++
	report = !b.reported
	b.reported = true
	return report, b.refused
}

// refund gives back the token of an attempt that proved the password.
func (t *loginThrottle) refund(src string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b := t.buckets[src]; b != nil {
		b.tokens = math.Min(shuyu.LoginBurst, b.tokens+1)
	}
}

func (t *loginThrottle) refill(b *loginBucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(shuyu.LoginBurst, b.tokens+float64(el)/float64(shuyu.LoginRefill))
		b.at = now
	}
	if b.tokens >= shuyu.LoginBurst {
		b.refused, b.reported = 0, false // the episode is over
	}
}

func (t *loginThrottle) prune(now time.Time) {
	for k, b := range t.buckets {
		t.refill(b, now)
		if b.tokens >= shuyu.LoginBurst {
			delete(t.buckets, k)
		}
	}
}

// login is the one login path of the API and the page: the source's
// throttle first — this server's bucket, then the budget shared by all
// servers — (no hash for a throttled attempt), then the store's checks
// (sqlstore.DB.Login).
func (s *Server) login(ctx context.Context, w http.ResponseWriter, req sqlstore.LoginRequest) (*sqlstore.Session, error) {
	src := shuyu.LoginSource(shuyu.RequestInfoFrom(ctx).ClientIP)
	ok, wait, report, refused := s.logins.take(src)
	if ok {
		shared, swait, err := s.db.TakeLoginAttempt(ctx, src)
		if err != nil {
			return nil, err
		}
		if !shared {
			ok, wait = false, swait
			report, refused = s.logins.refuse(src)
		}
	}
	if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		if report {
			// Once per episode, so the trail shows the flood without an
			// event (and a write) per refused attempt.
			if err := s.db.LoginThrottled(ctx, src, refused); err != nil {
				s.log.ErrorContext(ctx, "login throttle: audit", "err", err)
			}
		}
		return nil, shuyu.Errorf(shuyu.ETHROTTLED, "登录尝试过于频繁，请 %d 秒后再试 (too many login attempts; retry in %d s)", secs, secs)
	}
	sess, err := s.db.Login(ctx, req)
	if err == nil || shuyu.ErrorCode(err) == shuyu.EOTPREQUIRED {
		s.logins.refund(src)
		if rerr := s.db.RefundLoginAttempt(ctx, src); rerr != nil {
			s.log.ErrorContext(ctx, "login throttle: refund", "err", rerr)
		}
	}
	return sess, err
}
