package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shuyu"
	"shuyu/credential"
)

const userCols = `id, org_id, username, display_name, roles, status, failed_logins, locked_until,
	totp_enabled, last_login_at, created_at`

func scanUser(r interface{ Scan(...any) error }) (*shuyu.User, error) {
	var u shuyu.User
	var roles string
	var locked, last sql.NullInt64
	var created int64
	if err := r.Scan(&u.ID, &u.OrgID, &u.Username, &u.DisplayName, &roles, &u.Status, &u.FailedLogins,
		&locked, &u.TOTPEnabled, &last, &created); err != nil {
		return nil, err
	}
	u.Roles = parseRoles(roles)
	u.LockedUntil = fromNullMicros(locked)
	u.LastLoginAt = fromNullMicros(last)
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

func parseRoles(s string) []shuyu.Role {
	var out []shuyu.Role
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, shuyu.Role(r))
		}
	}
	return out
}

func joinRoles(rs []shuyu.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func (tx *Tx) user(id int64) (*shuyu.User, error) {
	u, err := scanUser(tx.queryRow(`SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("用户")
	}
	return u, err
}

func (tx *Tx) userResource(u *shuyu.User) (shuyu.Resource, error) {
	o, err := tx.org(u.OrgID)
	if err != nil {
		return shuyu.Resource{}, err
	}
	return shuyu.Resource{Kind: "user", OrgID: u.OrgID, Region: o.Region, OwnerID: u.ID, Exists: true}, nil
}

// NewUser is what the security administrator fills in to create an account.
type NewUser struct {
	OrgID       int64        `json:"org_id"`
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Roles       []shuyu.Role `json:"roles"`
	Password    string       `json:"password"`
}

// CreateUser creates an account after checking the username, the password
// policy and the separation of duties (R29.1).
func (d *DB) CreateUser(ctx context.Context, actor *shuyu.Actor, nu NewUser) (*shuyu.User, error) {
	if err := shuyu.Authorize(actor, shuyu.ActUserCreate, shuyu.Resource{Kind: "user"}); err != nil {
		return nil, err
	}
	nu.Username = strings.TrimSpace(nu.Username)
	nu.DisplayName = strings.TrimSpace(nu.DisplayName)
	if !shuyu.ValidUsername(nu.Username) {
		return nil, shuyu.Errorf(shuyu.EINVALID, "用户名须为 3 至 64 位字母、数字、“-”“_”“.” (invalid username)")
	}
	if nu.DisplayName == "" || len([]rune(nu.DisplayName)) > 50 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "姓名须为 1 至 50 个字符 (display name)")
	}
	if err := shuyu.PasswordPolicy(nu.Username, nu.Password); err != nil {
		return nil, err
	}
	hash, err := credential.HashPassword(nu.Password, d.PasswordIterations)
	if err != nil {
		return nil, err
	}
	var u *shuyu.User
	err = d.update(ctx, actor, func(tx *Tx) error {
		o, err := tx.org(nu.OrgID)
		if err != nil {
			return err
		}
		if err := shuyu.ValidateRoles(o.Kind, nu.Roles); err != nil {
			return err
		}
		id, err := tx.insert(`INSERT INTO users (org_id, username, display_name, roles, password_hash, password_changed_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, nu.OrgID, nu.Username, nu.DisplayName, joinRoles(nu.Roles), hash, micros(tx.now), micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "用户名“%s”已被使用 (username taken)", nu.Username)
		}
		if err != nil {
			return err
		}
		if u, err = tx.user(id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditUserCreate, ObjectType: "user", ObjectID: id,
			Detail: map[string]any{"username": u.Username, "org_id": u.OrgID, "roles": u.Roles}})
	})
	if err != nil {
		return nil, shuyu.Wrap("create user", err)
	}
	return u, nil
}

// User returns one account the actor may see.
func (d *DB) User(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.User, error) {
	var u *shuyu.User
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		if u, err = tx.user(id); err != nil {
			return err
		}
		res, err := tx.userResource(u)
		if err != nil {
			return err
		}
		return shuyu.Authorize(actor, shuyu.ActUserRead, res)
	})
	return u, err
}

// Users lists the accounts the actor may see, optionally of one organization.
func (d *DB) Users(ctx context.Context, actor *shuyu.Actor, orgID int64) ([]*shuyu.User, error) {
	if err := shuyu.Authorize(actor, shuyu.ActUserRead, shuyu.Resource{Kind: "user"}); err != nil {
		return nil, err
	}
	var out []*shuyu.User
	err := d.view(ctx, func(tx *Tx) error {
		q, args := `SELECT `+userCols+` FROM users`, []any{}
		if orgID != 0 {
			q += ` WHERE org_id = ?`
			args = append(args, orgID)
		}
		rows, err := tx.query(q+` ORDER BY id`, args...)
		if err != nil {
			return err
		}
		var all []*shuyu.User
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return err
			}
			all = append(all, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, u := range all {
			res, err := tx.userResource(u)
			if err != nil {
				return err
			}
			if shuyu.Can(actor, shuyu.ActUserRead, res) {
				out = append(out, u)
			}
		}
		return nil
	})
	return out, err
}

// UserUpdate changes an account's roles, status or display name; nil fields
// stay as they are.
type UserUpdate struct {
	DisplayName *string       `json:"display_name"`
	Roles       *[]shuyu.Role `json:"roles"`
	Status      *string       `json:"status"`
	Reason      string        `json:"reason"`
}

// UpdateUser applies an UserUpdate (security administrator). A disabled
// account's sessions end at once.
func (d *DB) UpdateUser(ctx context.Context, actor *shuyu.Actor, id int64, up UserUpdate) (*shuyu.User, error) {
	var u *shuyu.User
	err := d.update(ctx, actor, func(tx *Tx) error {
		cur, err := d.authorizeUser(tx, actor, shuyu.ActUserUpdate, id)
		if err != nil {
			return err
		}
		o, err := tx.org(cur.OrgID)
		if err != nil {
			return err
		}
		detail := map[string]any{}
		if up.DisplayName != nil {
			n := strings.TrimSpace(*up.DisplayName)
			if n == "" || len([]rune(n)) > 50 {
				return shuyu.Errorf(shuyu.EINVALID, "姓名须为 1 至 50 个字符 (display name)")
			}
			if _, err := tx.exec(`UPDATE users SET display_name = ? WHERE id = ?`, n, id); err != nil {
				return err
			}
			detail["display_name"] = n
		}
		if up.Roles != nil {
			if err := shuyu.ValidateRoles(o.Kind, *up.Roles); err != nil {
				return err
			}
			if actor.UserID == id {
				return shuyu.Errorf(shuyu.EFORBIDDEN, "不能修改自己的角色 (cannot change own roles)")
			}
			if _, err := tx.exec(`UPDATE users SET roles = ? WHERE id = ?`, joinRoles(*up.Roles), id); err != nil {
				return err
			}
			detail["roles"] = map[string]any{"from": cur.Roles, "to": *up.Roles}
		}
		if up.Status != nil {
			s := *up.Status
			if s != "active" && s != "disabled" {
				return shuyu.Errorf(shuyu.EINVALID, "状态须为 active 或 disabled")
			}
			if actor.UserID == id && s == "disabled" {
				return shuyu.Errorf(shuyu.EFORBIDDEN, "不能停用自己的账号 (cannot disable own account)")
			}
			if _, err := tx.exec(`UPDATE users SET status = ? WHERE id = ?`, s, id); err != nil {
				return err
			}
			if s == "disabled" {
				if _, err := tx.exec(`UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL`, micros(tx.now), id); err != nil {
					return err
				}
			}
			detail["status"] = map[string]any{"from": cur.Status, "to": s}
		}
		if len(detail) == 0 {
			return shuyu.Errorf(shuyu.EINVALID, "没有要修改的内容 (nothing to change)")
		}
		if u, err = tx.user(id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditUserUpdate, ObjectType: "user", ObjectID: id, Reason: up.Reason, Detail: detail})
	})
	if err != nil {
		return nil, shuyu.Wrap("update user", err)
	}
	return u, nil
}

func (d *DB) authorizeUser(tx *Tx, actor *shuyu.Actor, act shuyu.Action, id int64) (*shuyu.User, error) {
	u, err := tx.user(id)
	if err != nil {
		return nil, err
	}
	res, err := tx.userResource(u)
	if err != nil {
		return nil, err
	}
	if err := shuyu.Authorize(actor, act, res); err != nil {
		return nil, err
	}
	return u, nil
}

// UnlockUser lifts a lockout before it expires (security administrator).
func (d *DB) UnlockUser(ctx context.Context, actor *shuyu.Actor, id int64, reason string) error {
	return d.update(ctx, actor, func(tx *Tx) error {
		if _, err := d.authorizeUser(tx, actor, shuyu.ActUserUnlock, id); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?`, id); err != nil {
			return err
		}
		// Every source's lock of this account ends (R29.1, login_limits.go).
		if _, err := tx.exec(`DELETE FROM login_failures WHERE username = (SELECT username FROM users WHERE id = ?)`, id); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditUserUnlock, ObjectType: "user", ObjectID: id, Reason: reason})
	})
}

// ResetPassword sets a new password for another account (security
// administrator) and ends its sessions.
func (d *DB) ResetPassword(ctx context.Context, actor *shuyu.Actor, id int64, password, reason string) error {
	return d.update(ctx, actor, func(tx *Tx) error {
		u, err := d.authorizeUser(tx, actor, shuyu.ActUserResetPass, id)
		if err != nil {
			return err
		}
		return d.setPassword(tx, u, password, shuyu.AuditUserResetPassword, reason)
	})
}

// ChangePassword lets a user change their own password, given the old one.
func (d *DB) ChangePassword(ctx context.Context, actor *shuyu.Actor, oldPassword, newPassword string) error {
	return d.update(ctx, actor, func(tx *Tx) error {
		var hash string
		if err := tx.queryRow(`SELECT password_hash FROM users WHERE id = ?`, actor.UserID).Scan(&hash); err != nil {
			return shuyu.Wrap("change password", err)
		}
		if !credential.CheckPassword(hash, oldPassword) {
			return shuyu.Errorf(shuyu.EINVALID, "原密码不正确 (old password is wrong)")
		}
		u, err := tx.user(actor.UserID)
		if err != nil {
			return err
		}
		return d.setPassword(tx, u, newPassword, shuyu.AuditUserChangePassword, "")
	})
}

func (d *DB) setPassword(tx *Tx, u *shuyu.User, password string, action shuyu.AuditAction, reason string) error {
	if err := shuyu.PasswordPolicy(u.Username, password); err != nil {
		return err
	}
	hash, err := credential.HashPassword(password, d.PasswordIterations)
	if err != nil {
		return err
	}
	if _, err := tx.exec(`UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`, hash, micros(tx.now), u.ID); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if _, err := tx.exec(`UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL`, micros(tx.now), u.ID); err != nil {
		return err
	}
	return tx.audit(Change{Action: action, ObjectType: "user", ObjectID: u.ID, Reason: reason})
}
