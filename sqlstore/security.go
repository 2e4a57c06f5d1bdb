package sqlstore

import (
	"context"
	"slices"
	"strings"

	"shuyu"
	"shuyu/credential"
)

const keyTOTPRequired = "security.totp_required_roles"

// SecuritySettings is the security policy the security administrator sets.
type SecuritySettings struct {
	// TOTPRequiredRoles: accounts holding any of these roles must use a
	// second factor; without one they can only enroll it.
	TOTPRequiredRoles []shuyu.Role `json:"totp_required_roles"`
	MaxFailedLogins   int          `json:"max_failed_logins"`
	LockoutMinutes    int          `json:"lockout_minutes"`
	SessionIdleMinute int          `json:"session_idle_minutes"`
}

func (tx *Tx) totpRequiredRoles() ([]shuyu.Role, error) {
	var v string
	err := tx.queryRow(`SELECT value FROM settings WHERE key = ?`, keyTOTPRequired).Scan(&v)
	if isNoRows(err) {
		return nil, nil
	}
	return parseRoles(v), err
}

// Security returns the security policy.
func (d *DB) Security(ctx context.Context, actor *shuyu.Actor) (*SecuritySettings, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSecurityRead, shuyu.Resource{}); err != nil {
		return nil, err
	}
	s := &SecuritySettings{MaxFailedLogins: shuyu.MaxFailedLogins, LockoutMinutes: int(shuyu.LockoutDuration.Minutes()),
		SessionIdleMinute: int(shuyu.SessionIdle.Minutes())}
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		s.TOTPRequiredRoles, err = tx.totpRequiredRoles()
		return err
	})
	return s, err
}

// RequireTOTP sets the roles that must use a second factor.
func (d *DB) RequireTOTP(ctx context.Context, actor *shuyu.Actor, roles []shuyu.Role) error {
	if err := shuyu.Authorize(actor, shuyu.ActSecurityWrite, shuyu.Resource{}); err != nil {
		return err
	}
	for _, r := range roles {
		if !r.Valid() {
			return shuyu.Errorf(shuyu.EINVALID, "未知角色 %q (unknown role)", r)
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	return d.update(ctx, actor, func(tx *Tx) error {
		old, err := tx.totpRequiredRoles()
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM settings WHERE key = ?`, keyTOTPRequired); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO settings (key, value) VALUES (?, ?)`, keyTOTPRequired, joinRoles(roles)); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditSecurityTOTPRequired, ObjectType: "settings", ObjectID: keyTOTPRequired,
			Detail: map[string]any{"from": old, "to": roles}})
	})
}

// TOTPEnrollment is a pending second factor shown once to its user.
type TOTPEnrollment struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
}

// BeginTOTP stores a fresh secret for the actor's own account (not yet
// enabled) and returns it for the authenticator app.
func (d *DB) BeginTOTP(ctx context.Context, actor *shuyu.Actor) (*TOTPEnrollment, error) {
	if actor == nil || actor.UserID == 0 {
		return nil, shuyu.Errorf(shuyu.EUNAUTHORIZED, "请先登录 (login required)")
	}
	secret, err := credential.NewTOTPSecret()
	if err != nil {
		return nil, err
	}
	err = d.update(ctx, actor, func(tx *Tx) error {
		var enabled bool
		if err := tx.queryRow(`SELECT totp_enabled FROM users WHERE id = ?`, actor.UserID).Scan(&enabled); err != nil {
			return err
		}
		if enabled {
			return shuyu.Errorf(shuyu.ECONFLICT, "已启用动态口令 (second factor already enabled)")
		}
		if _, err := tx.exec(`UPDATE users SET totp_secret = ? WHERE id = ?`, secret, actor.UserID); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditUserTOTPBegin, ObjectType: "user", ObjectID: actor.UserID})
	})
	if err != nil {
		return nil, shuyu.Wrap("begin totp", err)
	}
	return &TOTPEnrollment{Secret: secret, URI: credential.TOTPURI("数域 shuyu", actor.Username, secret)}, nil
}

// ConfirmTOTP enables the pending secret once the user proves it with a
// code, and lifts the session restriction of a restricted session.
func (d *DB) ConfirmTOTP(ctx context.Context, actor *shuyu.Actor, token, code string) error {
	return d.update(ctx, actor, func(tx *Tx) error {
		var secret string
		var enabled bool
		if err := tx.queryRow(`SELECT totp_secret, totp_enabled FROM users WHERE id = ?`, actor.UserID).Scan(&secret, &enabled); err != nil {
			return err
		}
		if enabled || secret == "" {
			return shuyu.Errorf(shuyu.ECONFLICT, "没有待确认的动态口令 (no pending enrollment)")
		}
		step, ok := credential.CheckTOTP(secret, code, tx.now)
		if !ok {
			return shuyu.Errorf(shuyu.EINVALID, "动态口令错误 (wrong one-time code)")
		}
		if _, err := tx.exec(`UPDATE users SET totp_enabled = ?, totp_last_step = ? WHERE id = ?`, true, step, actor.UserID); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE sessions SET restricted = ? WHERE digest = ?`, false, credential.TokenDigest(token)); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditUserTOTPEnabled, ObjectType: "user", ObjectID: actor.UserID})
	})
}

// ResetTOTP removes a user's second factor (lost phone), so that they enroll
// again at next login (security administrator).
func (d *DB) ResetTOTP(ctx context.Context, actor *shuyu.Actor, id int64, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return shuyu.Errorf(shuyu.EINVALID, "须填写原因 (reason required)")
	}
	return d.update(ctx, actor, func(tx *Tx) error {
		if _, err := d.authorizeUser(tx, actor, shuyu.ActUserUpdate, id); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE users SET totp_enabled = ?, totp_secret = '' WHERE id = ?`, false, id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditUserTOTPReset, ObjectType: "user", ObjectID: id, Reason: reason})
	})
}
