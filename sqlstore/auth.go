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

// Login checks credentials with the MLPS level-3 controls: five failures
// lock the account for thirty minutes, and a locked account is refused
// (ELOCKED, HTTP 423) even with the right password; an enrolled TOTP factor
// is required and a code cannot be replayed. Every attempt, good or bad, is
// in the audit trail.
func (d *DB) Login(ctx context.Context, req LoginRequest) (*Session, error) {
	var sess *Session
	var outcome error
	req.Username = strings.TrimSpace(req.Username)
	err := d.update(ctx, nil, func(tx *Tx) error {
		lr, err := tx.loginRow(req.Username)
		if isNoRows(err) || (err == nil && lr.user.Status != "active") {
			credential.DummyCheck(d.PasswordIterations, req.Password)
			tx.actor = &shuyu.Actor{Username: "anonymous"}
			outcome = errBadCredentials
			detail := map[string]any{"username": truncate(req.Username, 64), "why": "unknown_or_disabled"}
			return tx.audit(Change{Action: shuyu.AuditAuthLoginFailed, ObjectType: "user", ObjectID: truncate(req.Username, 64), Detail: detail})
		}
		if err != nil {
			return err
		}
		u := lr.user
		tx.actor, err = tx.actorFor(u)
		if err != nil {
			return err
		}
		now := tx.now
		if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
			outcome = lockedError(*u.LockedUntil)
			return tx.audit(Change{Action: shuyu.AuditAuthLoginRefusedLocked, ObjectType: "user", ObjectID: u.ID})
		}
		if u.LockedUntil != nil { // lock expired: start counting afresh
			u.FailedLogins = 0
		}
		why := ""
		var step int64
		switch {
		case !credential.CheckPassword(lr.hash, req.Password):
			why = "password"
		case u.TOTPEnabled && strings.TrimSpace(req.OTP) == "":
			outcome = shuyu.Errorf(shuyu.EOTPREQUIRED, "请输入动态口令 (one-time code required)")
			return tx.audit(Change{Action: shuyu.AuditAuthOTPRequested, ObjectType: "user", ObjectID: u.ID})
		case u.TOTPEnabled:
			var ok bool
			step, ok = credential.CheckTOTP(lr.secret, req.OTP, now)
			if !ok || step <= lr.lastStep {
				why = "otp"
			}
		}
		if why != "" {
			failed := u.FailedLogins + 1
			var lockedUntil any
			action := shuyu.AuditAuthLoginFailed
			outcome = errBadCredentials
			if why == "otp" {
				outcome = shuyu.Errorf(shuyu.EUNAUTHORIZED, "动态口令错误 (wrong one-time code)")
			}
			if failed >= shuyu.MaxFailedLogins {
				until := now.Add(shuyu.LockoutDuration)
				lockedUntil = micros(until)
				action = shuyu.AuditAuthAccountLocked
				outcome = lockedError(until)
			}
			if _, err := tx.exec(`UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?`, failed, lockedUntil, u.ID); err != nil {
				return err
			}
			return tx.audit(Change{Action: action, ObjectType: "user", ObjectID: u.ID,
				Detail: map[string]any{"why": why, "failed_logins": failed}})
		}
		restricted, err := tx.otpMissing(u)
		if err != nil {
			return err
		}
		token, digest, err := credential.NewToken()
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ?, totp_last_step = ? WHERE id = ?`,
			micros(now), max(step, lr.lastStep), u.ID); err != nil {
			return err
		}
		ip := shuyu.RequestInfoFrom(ctx).ClientIP
		if _, err := tx.exec(`INSERT INTO sessions (digest, user_id, created_at, last_seen, client_ip, restricted) VALUES (?, ?, ?, ?, ?, ?)`,
			digest, u.ID, micros(now), micros(now), ip, restricted); err != nil {
			return err
		}
		u.FailedLogins, u.LockedUntil, u.LastLoginAt = 0, nil, &now
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
		if _, err := d.db.ExecContext(ctx, d.Rebind(`UPDATE sessions SET last_seen = ? WHERE digest = ?`), micros(now), digest); err != nil {
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
