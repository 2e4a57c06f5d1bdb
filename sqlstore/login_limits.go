package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"shuyu"
)

// Login failures per (username, source) (R29.1; see Login). The table
// login_failures holds one row per pair that failed recently; a success
// from the source deletes its row, and rows untouched for a day are
// dropped as new ones are written.

// sourceLock returns until when name is locked for src (nil: not locked).
func (tx *Tx) sourceLock(name, src string) (*time.Time, error) {
	var until sql.NullInt64
	err := tx.queryRow(`SELECT locked_until FROM login_failures WHERE username = ? AND source = ?`, name, src).Scan(&until)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return fromNullMicros(until), nil
}

// loginActor makes the attempt's actor: the account, or anonymous.
func (tx *Tx) loginActor(lr *loginRow) error {
	if lr == nil {
		tx.actor = &shuyu.Actor{Username: "anonymous"}
		return nil
	}
	a, err := tx.actorFor(lr.user)
	if err != nil {
		return err
	}
	tx.actor = a
	return nil
}

// loginObject is the audit object of an attempt: the account's id, or the
// name that was tried.
func loginObject(lr *loginRow, name string) any {
	if lr == nil {
		return name
	}
	return lr.user.ID
}

// loginFailed counts a failure of name from src and answers the attempt:
// *answer is set to wrong credentials, or, at the MaxFailedLogins-th failure in a row, the
// lock of name for src. lr is the account (nil for an unknown or disabled
// name, which is counted the same). A lock of a real account puts a notice
// in the inbox of its owner and of every security administrator (at most
// one per account per shuyu.LoginNotice).
func (tx *Tx) loginFailed(lr *loginRow, name, src, why string, answer *error) error {
	now := tx.now
	var failed int
	var until sql.NullInt64
	err := tx.queryRow(`SELECT failed, locked_until FROM login_failures WHERE username = ? AND source = ?`, name, src).Scan(&failed, &until)
	switch {
	case isNoRows(err):
		// Rows nobody touched for a day are garbage (the lock is 30 minutes).
		if _, err := tx.exec(`DELETE FROM login_failures WHERE last_at < ?`, micros(now.Add(-24*time.Hour))); err != nil {
			return err
		}
	case err != nil:
		return err
	case until.Valid:
		failed = 0 // the lock expired: count afresh
	}
	failed++
	var lockedUntil any
	action := shuyu.AuditAuthLoginFailed
	var outcome error = errBadCredentials
	if why == "otp" {
		outcome = shuyu.Errorf(shuyu.EUNAUTHORIZED, "动态口令错误 (wrong one-time code)")
	}
	locked := failed >= shuyu.MaxFailedLogins
	if locked {
		t := now.Add(shuyu.LockoutDuration)
		lockedUntil = micros(t)
		action = shuyu.AuditAuthAccountLocked
		outcome = lockedError(t)
	}
	if _, err := tx.exec(`INSERT INTO login_failures (username, source, failed, locked_until, last_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (username, source) DO UPDATE SET failed = excluded.failed, locked_until = excluded.locked_until, last_at = excluded.last_at`,
		name, src, failed, lockedUntil, micros(now)); err != nil {
		return err
	}
	detail := map[string]any{"why": why, "failed_logins": failed, "source": src}
	if lr == nil {
		detail["username"] = name
		*answer = outcome
		return tx.audit(Change{Action: action, ObjectType: "user", ObjectID: name, Detail: detail})
	}
	u := lr.user
	// users.failed_logins counts failures from every source since the last
	// success; users.locked_until shows the latest source lock (for the
	// security administrator's list; Login does not consult it).
	if locked {
		_, err = tx.exec(`UPDATE users SET failed_logins = failed_logins + 1, locked_until = ? WHERE id = ?`, lockedUntil, u.ID)
	} else {
		_, err = tx.exec(`UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?`, u.ID)
	}
	if err != nil {
		return err
	}
	if err := tx.audit(Change{Action: action, ObjectType: "user", ObjectID: u.ID, Detail: detail}); err != nil {
		return err
	}
	if locked {
		if err := tx.notifyLoginFailures(u, src); err != nil {
			return err
		}
	}
	*answer = outcome
	return nil
}

const noticeLoginFailures = "security.login_failures"

// notifyLoginFailures tells the account's owner and every security
// administrator that the account was locked for a source, unless they were
// told about this account within shuyu.LoginNotice (a spray from many
// sources makes one message, not hundreds). The notices are written in the
// transaction whose audit event records the lock.
func (tx *Tx) notifyLoginFailures(u *shuyu.User, src string) error {
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM notices WHERE kind = ? AND object_type = 'user' AND object_id = ? AND created_at > ?`,
		noticeLoginFailures, fmt.Sprint(u.ID), micros(tx.now.Add(-shuyu.LoginNotice))).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	rows, err := tx.query(`SELECT id, roles FROM users WHERE status = 'active' AND roles LIKE ?`, "%"+string(shuyu.RoleSecAdmin)+"%")
	if err != nil {
		return err
	}
	var admins []int64
	for rows.Next() {
		var id int64
		var roles string
		if err := rows.Scan(&id, &roles); err != nil {
			rows.Close()
			return err
		}
		if slices.Contains(parseRoles(roles), shuyu.RoleSecAdmin) && id != u.ID {
			admins = append(admins, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	when := tx.now.In(shanghai).Format("2006-01-02 15:04")
	own := Notice{UserID: u.ID, Kind: noticeLoginFailures, ObjectType: "user", ObjectID: fmt.Sprint(u.ID), Link: "/me",
		Title: "您的账号连续登录失败，已对来源地址暂时锁定",
		Body: fmt.Sprintf("%s 起，来自 %s 的登录连续失败 %d 次，该地址已被锁定 %d 分钟；从其他地址仍可正常登录。如非本人操作，请修改密码并联系安全管理员。",
			when, src, shuyu.MaxFailedLogins, int(shuyu.LockoutDuration.Minutes()))}
	if err := tx.notify(own); err != nil {
		return err
	}
	for _, id := range admins {
		n := Notice{UserID: id, Kind: noticeLoginFailures, ObjectType: "user", ObjectID: fmt.Sprint(u.ID), Link: fmt.Sprintf("/admin/users/%d", u.ID),
			Title: fmt.Sprintf("账号 %s 连续登录失败，已对来源地址暂时锁定", u.Username),
			Body: fmt.Sprintf("%s 起，来自 %s 的登录连续失败 %d 次，该地址已被锁定 %d 分钟。请核查是否为撞库或暴力破解。",
				when, src, shuyu.MaxFailedLogins, int(shuyu.LockoutDuration.Minutes()))}
		if err := tx.notify(n); err != nil {
			return err
		}
	}
	return nil
}

// LoginThrottled records that a source ran out of login attempts (R29.1):
// once per throttling episode, with the attempts refused so far, so a flood
// is visible in the trail without writing an event per refused attempt.
func (d *DB) LoginThrottled(ctx context.Context, source string, refused int) error {
	return d.update(ctx, &shuyu.Actor{Username: "anonymous"}, func(tx *Tx) error {
		return tx.audit(Change{Action: shuyu.AuditAuthLoginThrottled, ObjectType: "source", ObjectID: source,
			Detail: map[string]any{"refused": refused, "burst": shuyu.LoginBurst, "refill_seconds": shuyu.LoginRefill.Seconds()}})
	})
}

// TakeLoginAttempt admits one login attempt from source against the budget
// that every server on this store shares (R29.1): LoginBurst attempts at
// once, then one per LoginRefill. It answers false and how long to wait
// when the budget is spent. It runs before any password is hashed; each
// server keeps a bucket of its own in front of it (web), so a flood costs
// this store at most a burst of writes per server.
func (d *DB) TakeLoginAttempt(ctx context.Context, source string) (ok bool, wait time.Duration, err error) {
	now := micros(d.now())
	step := shuyu.LoginRefill.Microseconds()
	limit := int64(shuyu.LoginBurst) * step
	done, err := d.writeTurn(ctx)
	if err != nil {
		return false, 0, err
	}
	defer done()
	d.pruneLoginSources(ctx, now)
	// next = max(tat, now) + step; admitted when next - now <= limit.
	var tat int64
	err = d.db.QueryRowContext(ctx, d.Rebind(`INSERT INTO login_sources (source, tat) VALUES (?, ?)
		ON CONFLICT (source) DO UPDATE
		SET tat = (CASE WHEN login_sources.tat > ? THEN login_sources.tat ELSE ? END) + ?
		WHERE (CASE WHEN login_sources.tat > ? THEN login_sources.tat ELSE ? END) + ? <= ?
		RETURNING tat`), source, now+step, now, now, step, now, now, step, now+limit).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("sqlstore: login budget: %w", err)
	}
	if err := d.db.QueryRowContext(ctx, d.Rebind(`SELECT tat FROM login_sources WHERE source = ?`), source).Scan(&tat); err != nil {
		return false, 0, fmt.Errorf("sqlstore: login budget: %w", err)
	}
	return false, time.Duration(tat+step-now-limit) * time.Microsecond, nil
}

// RefundLoginAttempt gives back the attempt of a login that proved the
// password: the owner logging in does not spend the source's budget.
func (d *DB) RefundLoginAttempt(ctx context.Context, source string) error {
	done, err := d.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer done()
	_, err = d.db.ExecContext(ctx, d.Rebind(`UPDATE login_sources SET tat = tat - ? WHERE source = ?`),
		shuyu.LoginRefill.Microseconds(), source)
	return err
}

// pruneLoginSources forgets, at most once a minute, the sources whose
// budget is whole again (tat in the past): they behave as if absent.
func (d *DB) pruneLoginSources(ctx context.Context, now int64) {
	last := d.loginPruned.Load()
	if now-last < time.Minute.Microseconds() || !d.loginPruned.CompareAndSwap(last, now) {
		return
	}
	d.db.ExecContext(ctx, d.Rebind(`DELETE FROM login_sources WHERE tat < ?`), now)
}
