package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"shuyu"
	"shuyu/credential"
)

// Session is a logged-in session as the API sees it.
type Session struct {
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"` // when it ends if idle from now on
	User      *shuyu.User  `json:"user"`
	Actor     *shuyu.Actor `json:"-"`
	// Restricted sessions may only enroll a second factor: the security
	// policy requires one for this role and the user has none yet.
	Restricted bool `json:"restricted"`
}

// LoginRequest is what a user submits.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	OTP      string `json:"otp"`
}

var errBadCredentials = shuyu.Errorf(shuyu.EUNAUTHORIZED, "用户名或密码错误 (wrong username or password)")

type loginRow struct {
	user     *shuyu.User
	hash     string
	secret   string
	lastStep int64
}

// Login checks credentials with the MLPS level-3 controls (R29.1): five
// failures of one username from one source lock that username for that
// source for thirty minutes (ELOCKED, HTTP 423, even with the right
// password); the same account still logs in from any other source, so an
// anonymous client cannot lock a named account out (sqlstore/login_limits.go).
// Unknown usernames are counted and locked the same way and cost the same
// password hash as known ones: neither the answer nor its timing says
// whether an account exists. The hash is computed outside any transaction,
// so slow hashing never holds the write lock. An enrolled TOTP factor is
// required and a code cannot be replayed. Every attempt, good or bad, is in
// the audit trail. (Per-source throttling across usernames happens before
// Login is called: web/login_throttle.go.)
func (d *DB) Login(ctx context.Context, req LoginRequest) (*Session, error) {
	req.Username = strings.TrimSpace(req.Username)
	name := truncate(req.Username, 64)
	src := shuyu.LoginSource(shuyu.RequestInfoFrom(ctx).ClientIP)

	// 1. Read what the attempt is checked against; no write lock is held.
	var lr *loginRow
	var lockedUntil *time.Time
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		lr, err = tx.loginRow(req.Username)
		if isNoRows(err) {
			lr, err = nil, nil
		}
		if err != nil {
			return err
		}
		if lr != nil && lr.user.Status != "active" {
			lr = nil // a disabled account looks exactly like an unknown one
		}
		lockedUntil, err = tx.sourceLock(name, src)
		return err
	})
	if err != nil {
		return nil, shuyu.Wrap("login", err)
	}
	if lockedUntil != nil && d.now().Before(*lockedUntil) {
		// Refused without a hash: the lock is this source's alone.
		err := d.update(ctx, nil, func(tx *Tx) error {
			if err := tx.loginActor(lr); err != nil {
				return err
			}
			return tx.audit(Change{Action: shuyu.AuditAuthLoginRefusedLocked, ObjectType: "user", ObjectID: loginObject(lr, name),
				Detail: map[string]any{"source": src}})
		})
		if err != nil {
			return nil, shuyu.Wrap("login", err)
		}
		return nil, lockedError(*lockedUntil)
	}

	// 2. The password hash, outside any transaction; an unknown name costs
	// the same.
	passwordOK := false
	if lr != nil {
		passwordOK = credential.CheckPassword(lr.hash, req.Password)
	} else {
		credential.DummyCheck(d.PasswordIterations, req.Password)
	}

	// 3. Record the outcome.
	var sess *Session
	var outcome error
	err = d.update(ctx, nil, func(tx *Tx) error {
		if lr == nil {
			tx.actor = &shuyu.Actor{Username: "anonymous"}
			return tx.loginFailed(nil, name, src, "unknown_or_disabled", &outcome)
		}
		cur, err := tx.loginRow(req.Username)
		if err != nil {
			return err
		}
		if cur.hash != lr.hash || cur.user.Status != "active" {
			passwordOK = false // changed while we hashed: check again next time
		}
		u := cur.user
		if err := tx.loginActor(cur); err != nil {
			return err
		}
		now := tx.now
		why := ""
		var step int64
		switch {
		case !passwordOK:
			why = "password"
		case u.TOTPEnabled && strings.TrimSpace(req.OTP) == "":
			outcome = shuyu.Errorf(shuyu.EOTPREQUIRED, "请输入动态口令 (one-time code required)")
			return tx.audit(Change{Action: shuyu.AuditAuthOTPRequested, ObjectType: "user", ObjectID: u.ID})
		case u.TOTPEnabled:
			var ok bool
			step, ok = credential.CheckTOTP(cur.secret, req.OTP, now)
			if !ok || step <= cur.lastStep {
				why = "otp"
			}
		}
		if why != "" {
			return tx.loginFailed(cur, name, src, why, &outcome)
		}
		restricted, err := tx.otpMissing(u)
		if err != nil {
			return err
		}
		token, digest, err := credential.NewToken()
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE users SET failed_logins = 0, last_login_at = ?, totp_last_step = ? WHERE id = ?`,
			micros(now), max(step, cur.lastStep), u.ID); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM login_failures WHERE username = ? AND source = ?`, name, src); err != nil {
			return err
		}
		ip := shuyu.RequestInfoFrom(ctx).ClientIP
		if _, err := tx.exec(`INSERT INTO sessions (digest, user_id, created_at, last_seen, client_ip, restricted) VALUES (?, ?, ?, ?, ?, ?)`,
			digest, u.ID, micros(now), micros(now), ip, restricted); err != nil {
			return err
		}
		u.FailedLogins, u.LastLoginAt = 0, &now
		sess = &Session{Token: token, ExpiresAt: now.Add(shuyu.SessionIdle), User: u, Actor: tx.actor, Restricted: restricted}
		return tx.audit(Change{Action: shuyu.AuditAuthLogin, ObjectType: "user", ObjectID: u.ID,
			Detail: map[string]any{"totp": u.TOTPEnabled, "restricted": restricted}})
	})
	if err != nil {
		return nil, shuyu.Wrap("login", err)
	}
	if outcome != nil {
		return nil, outcome
	}
	return sess, nil
}

func lockedError(until time.Time) error {
	return shuyu.Errorf(shuyu.ELOCKED, "账号因连续登录失败已锁定，请于 %s 后再试或联系安全管理员 (account locked)",
		until.In(shanghai).Format("2006-01-02 15:04"))
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func (tx *Tx) loginRow(username string) (*loginRow, error) {
	var lr loginRow
	var id int64
	err := tx.queryRow(`SELECT id, password_hash, totp_secret, totp_last_step FROM users WHERE username = ?`, username).
		Scan(&id, &lr.hash, &lr.secret, &lr.lastStep)
	if err != nil {
		return nil, err
	}
	lr.user, err = tx.user(id)
	return &lr, err
}

func (tx *Tx) actorFor(u *shuyu.User) (*shuyu.Actor, error) {
	o, err := tx.org(u.OrgID)
	if err != nil {
		return nil, err
	}
	return &shuyu.Actor{UserID: u.ID, Username: u.Username, Roles: u.Roles, OrgID: o.ID, OrgKind: o.Kind, Region: o.Region}, nil
}

// otpMissing: the policy requires a second factor for one of u's roles and
// u has not enrolled one.
func (tx *Tx) otpMissing(u *shuyu.User) (bool, error) {
	if u.TOTPEnabled {
		return false, nil
	}
	req, err := tx.totpRequiredRoles()
	if err != nil {
		return false, err
	}
	for _, r := range u.Roles {
		if slices.Contains(req, r) {
			return true, nil
		}
	}
	return false, nil
}

// Authenticate turns a bearer token into a session. A session idle for
// longer than shuyu.SessionIdle (30 minutes) or older than SessionMaxAge
// has ended; its next use is refused and recorded (MLPS level 3).
func (d *DB) Authenticate(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	digest := credential.TokenDigest(token)
	now := d.now()
	var userID, created, lastSeen int64
	var ended sql.NullInt64
	var restricted bool
	err := d.db.QueryRowContext(ctx, d.Rebind(`SELECT user_id, created_at, last_seen, ended_at, restricted FROM sessions WHERE digest = ?`), digest).
		Scan(&userID, &created, &lastSeen, &ended, &restricted)
	if isNoRows(err) || (err == nil && ended.Valid) {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "会话无效或已结束，请重新登录 (session ended)")
	}
	if err != nil {
		return nil, shuyu.Wrap("authenticate", err)
	}
	idle := now.Sub(fromMicros(lastSeen)) > shuyu.SessionIdle
	if idle || now.Sub(fromMicros(created)) > shuyu.SessionMaxAge {
		why := "idle"
		if !idle {
			why = "max_age"
		}
		err := d.update(ctx, shuyu.System, func(tx *Tx) error {
			res, err := tx.exec(`UPDATE sessions SET ended_at = ? WHERE digest = ? AND ended_at IS NULL`, micros(now), digest)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errNoChange
			}
			return tx.audit(Change{Action: shuyu.AuditAuthSessionExpired, ObjectType: "user", ObjectID: userID, Detail: map[string]any{"why": why}})
		})
		if err != nil && err != errNoChange {
			return nil, shuyu.Wrap("authenticate", err)
		}
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "会话已超时，请重新登录 (session timed out)")
	}
	var sess *Session
	err = d.view(ctx, func(tx *Tx) error {
		u, err := tx.user(userID)
		if err != nil {
			return err
		}
		if u.Status != "active" {
			return shuyu.Errorf(shuyu.EUNAUTHORIZED, "账号已停用 (account disabled)")
		}
		a, err := tx.actorFor(u)
		if err != nil {
			return err
		}
		sess = &Session{User: u, Actor: a, Restricted: restricted, ExpiresAt: now.Add(shuyu.SessionIdle)}
		return nil
	})
	if err != nil {
		return nil, shuyu.Wrap("authenticate", err)
	}
	// Activity keeps the session alive. Writing last_seen at most once a
	// minute keeps reads cheap; it is bookkeeping, not a state change of
	// the platform, so it carries no audit event.
	if now.Sub(fromMicros(lastSeen)) > time.Minute {
		done, err := d.writeTurn(ctx)
		if err != nil {
			return nil, shuyu.Wrap("authenticate", err)
		}
		_, err = d.db.ExecContext(ctx, d.Rebind(`UPDATE sessions SET last_seen = ? WHERE digest = ?`), micros(now), digest)
		done()
		if err != nil {
			return nil, shuyu.Wrap("authenticate", err)
		}
	}
	return sess, nil
}

// Logout ends the session of token.
func (d *DB) Logout(ctx context.Context, actor *shuyu.Actor, token string) error {
	return d.update(ctx, actor, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE sessions SET ended_at = ? WHERE digest = ? AND ended_at IS NULL`,
			micros(tx.now), credential.TokenDigest(token)); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditAuthLogout, ObjectType: "user", ObjectID: actor.UserID})
	})
}
