package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shuyu"
	"shuyu/credential"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// The store suite runs every test on every configured backend (SQLite
// always; PostgreSQL when SHUYU_TEST_POSTGRES is set, required in CI)
// through sqltest.Each, in parallel.

func code(err error) string { return shuyu.ErrorCode(err) }

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

var ctx = context.Background()

func TestStore_MigrationsIdempotent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		db, err := sqlstore.Open(ctx, sqlstore.Options{DataDir: dir})
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		db.Close()
	}
}

func TestStore_Orgs(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		sec := a["secadmin"]
		err := db.CreateOrg(ctx, sec, &shuyu.Org{Kind: shuyu.OrgCountyAuthority, Name: "某县数据局", Region: "640500"})
		wantCode(t, err, shuyu.EINVALID) // a county authority needs a county code
		err = db.CreateOrg(ctx, sec, &shuyu.Org{Kind: shuyu.OrgSourceDept, Name: "中卫市公安局", Region: "640500"})
		wantCode(t, err, shuyu.ECONFLICT)
		err = db.CreateOrg(ctx, a["merchant-a"], &shuyu.Org{Kind: shuyu.OrgMerchant, Name: "丁公司", Region: "640500"})
		wantCode(t, err, shuyu.EFORBIDDEN)
		o := &shuyu.Org{Kind: shuyu.OrgSourceDept, Name: "中宁县医疗保障局", Region: shuyu.RegionZhongning}
		if err := db.CreateOrg(ctx, sec, o); err != nil {
			t.Fatal(err)
		}
		// A county authority sees its county's departments, not another county's.
		if _, err := db.Org(ctx, a["county-shapotou"], o.ID); code(err) != shuyu.ENOTFOUND {
			t.Fatalf("Shapotou sees a Zhongning department: %v", err)
		}
		got, err := db.Org(ctx, a["authority"], o.ID)
		if err != nil || got.Name != o.Name {
			t.Fatalf("authority cannot read a county department: %v", err)
		}
		// Merchants see only their own organization.
		list, err := db.Orgs(ctx, a["merchant-a"], "")
		if err != nil || len(list) != 1 || list[0].ID != a["merchant-a"].OrgID {
			t.Fatalf("merchant sees %d orgs (%v), want only its own", len(list), err)
		}
	})
}

func TestStore_Users_R29_1_SeparationOfDuties(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		sec := a["secadmin"]
		op := a["operator-admin"].OrgID
		mk := func(name string, roles ...shuyu.Role) error {
			_, err := db.CreateUser(ctx, sec, sqlstore.NewUser{OrgID: op, Username: name, DisplayName: name, Roles: roles, Password: "Another-pass-9"})
			return err
		}
		wantCode(t, mk("x1", shuyu.RoleSecAdmin, shuyu.RoleAuditAdmin), shuyu.EINVALID)
		wantCode(t, mk("x2", shuyu.RoleSysAdmin, shuyu.RoleOperatorReviewer), shuyu.EINVALID)
		wantCode(t, mk("x3", shuyu.RoleMerchant), shuyu.EINVALID) // wrong organization kind
		if err := mk("reviewer-3", shuyu.RoleOperatorAdmin, shuyu.RoleOperatorReviewer); err != nil {
			t.Fatalf("two business roles of one org refused: %v", err)
		}
		wantCode(t, mk("reviewer-3", shuyu.RoleOperatorReviewer), shuyu.ECONFLICT)
		// Password policy.
		_, err := db.CreateUser(ctx, sec, sqlstore.NewUser{OrgID: op, Username: "weak", DisplayName: "w", Roles: []shuyu.Role{shuyu.RoleOperatorReviewer}, Password: "password"})
		wantCode(t, err, shuyu.EPASSWORDPOLICY)
		// Only the security administrator manages accounts; the other two
		// administrators cannot, and the security administrator cannot read
		// the trail.
		for _, who := range []string{"sysadmin", "auditadmin", "operator-admin", "authority"} {
			_, err := db.CreateUser(ctx, a[who], sqlstore.NewUser{OrgID: op, Username: "by-" + who, DisplayName: "x", Roles: []shuyu.Role{shuyu.RoleOperatorReviewer}, Password: "Another-pass-9"})
			wantCode(t, err, shuyu.EFORBIDDEN)
		}
		_, err = db.Events(ctx, sec, sqlstore.EventFilter{}, false)
		wantCode(t, err, shuyu.EFORBIDDEN)
		if _, err := db.Checkpoint(ctx, sec); code(err) != shuyu.EFORBIDDEN {
			t.Fatalf("security administrator made a checkpoint: %v", err)
		}
		// Changing an account to an admin role plus business is refused too.
		roles := []shuyu.Role{shuyu.RoleSecAdmin, shuyu.RoleOperatorAdmin}
		_, err = db.UpdateUser(ctx, sec, a["operator-admin"].UserID, sqlstore.UserUpdate{Roles: &roles})
		wantCode(t, err, shuyu.EINVALID)
	})
}

func TestStore_Login_LockoutAfterFiveFailures(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, clock := env.DB, env.Clock
		login := func(pw string) error {
			_, err := db.Login(ctx, sqlstore.LoginRequest{Username: "merchant-a", Password: pw})
			return err
		}
		if err := login(sqltest.Password); err != nil {
			t.Fatalf("good login: %v", err)
		}
		for i := 1; i <= 4; i++ {
			wantCode(t, login("wrong-"+sqltest.Password), shuyu.EUNAUTHORIZED)
		}
		wantCode(t, login("wrong-"+sqltest.Password), shuyu.ELOCKED) // the fifth failure locks
		wantCode(t, login(sqltest.Password), shuyu.ELOCKED)          // even the right password
		clock.Advance(29 * time.Minute)
		wantCode(t, login(sqltest.Password), shuyu.ELOCKED)
		clock.Advance(time.Minute + time.Second)
		if err := login(sqltest.Password); err != nil {
			t.Fatalf("login after the lock expired: %v", err)
		}
		// Unknown users get the same answer as wrong passwords.
		_, err := db.Login(ctx, sqlstore.LoginRequest{Username: "nobody", Password: "x"})
		wantCode(t, err, shuyu.EUNAUTHORIZED)
	})
}

func TestStore_Session_IdleTimeout(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, clock := env.DB, env.Clock
		s, err := db.Login(ctx, sqlstore.LoginRequest{Username: "authority", Password: sqltest.Password})
		if err != nil {
			t.Fatal(err)
		}
		// Activity every 20 minutes keeps the session for hours.
		for i := 0; i < 6; i++ {
			clock.Advance(20 * time.Minute)
			if _, err := db.Authenticate(ctx, s.Token); err != nil {
				t.Fatalf("active session ended after %d×20 min: %v", i+1, err)
			}
		}
		clock.Advance(30*time.Minute + time.Second)
		_, err = db.Authenticate(ctx, s.Token)
		wantCode(t, err, shuyu.EUNAUTHORIZED)
		clock.Advance(-time.Hour) // ended stays ended even if the clock went back
		_, err = db.Authenticate(ctx, s.Token)
		wantCode(t, err, shuyu.EUNAUTHORIZED)
		// Logout ends a session at once.
		s2, _ := db.Login(ctx, sqlstore.LoginRequest{Username: "authority", Password: sqltest.Password})
		if err := db.Logout(ctx, s2.Actor, s2.Token); err != nil {
			t.Fatal(err)
		}
		_, err = db.Authenticate(ctx, s2.Token)
		wantCode(t, err, shuyu.EUNAUTHORIZED)
	})
}

func TestStore_TOTP_RequiredForReviewers(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, clock, a := env.DB, env.Clock, env.Actors
		if err := db.RequireTOTP(ctx, a["secadmin"], []shuyu.Role{shuyu.RoleOperatorReviewer, shuyu.RoleSecAdmin}); err != nil {
			t.Fatal(err)
		}
		s, err := db.Login(ctx, sqlstore.LoginRequest{Username: "operator-reviewer", Password: sqltest.Password})
		if err != nil {
			t.Fatal(err)
		}
		if !s.Restricted {
			t.Fatal("reviewer without a second factor got an unrestricted session")
		}
		enr, err := db.BeginTOTP(ctx, s.Actor)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.ConfirmTOTP(ctx, s.Actor, s.Token, "000000"), shuyu.EINVALID)
		c, _ := credential.TOTPCode(enr.Secret, clock.Now())
		if err := db.ConfirmTOTP(ctx, s.Actor, s.Token, c); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Authenticate(ctx, s.Token); got.Restricted {
			t.Fatal("session still restricted after enrolment")
		}
		_, err = db.Login(ctx, sqlstore.LoginRequest{Username: "operator-reviewer", Password: sqltest.Password})
		wantCode(t, err, shuyu.EOTPREQUIRED)
		clock.Advance(time.Minute)
		c, _ = credential.TOTPCode(enr.Secret, clock.Now())
		if _, err := db.Login(ctx, sqlstore.LoginRequest{Username: "operator-reviewer", Password: sqltest.Password, OTP: c}); err != nil {
			t.Fatalf("login with code: %v", err)
		}
		// The same code cannot be used twice (replay).
		_, err = db.Login(ctx, sqlstore.LoginRequest{Username: "operator-reviewer", Password: sqltest.Password, OTP: c})
		wantCode(t, err, shuyu.EUNAUTHORIZED)
		// Merchants are not required.
		m, err := db.Login(ctx, sqlstore.LoginRequest{Username: "merchant-a", Password: sqltest.Password})
		if err != nil || m.Restricted {
			t.Fatalf("merchant login: %v restricted=%v", err, m != nil && m.Restricted)
		}
	})
}

func TestStore_R27_1_EveryChangeAudited(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		before, _ := db.LastSeq(ctx)
		ri := shuyu.RequestInfo{RequestID: "req-42", ClientIP: "127.0.0.9"}
		c := shuyu.WithRequestInfo(ctx, ri)
		u, err := db.CreateUser(c, a["secadmin"], sqlstore.NewUser{OrgID: a["merchant-a"].OrgID, Username: "merchant-a2",
			DisplayName: "王五", Roles: []shuyu.Role{shuyu.RoleMerchant}, Password: "Another-pass-9"})
		if err != nil {
			t.Fatal(err)
		}
		// A refused change writes nothing.
		_, err = db.CreateUser(c, a["secadmin"], sqlstore.NewUser{OrgID: a["merchant-a"].OrgID, Username: "merchant-a2",
			DisplayName: "王五", Roles: []shuyu.Role{shuyu.RoleMerchant}, Password: "Another-pass-9"})
		wantCode(t, err, shuyu.ECONFLICT)
		after, _ := db.LastSeq(ctx)
		if after != before+1 {
			t.Fatalf("one change wrote %d events", after-before)
		}
		evs, err := db.Events(ctx, a["auditadmin"], sqlstore.EventFilter{ObjectType: "user", ObjectID: itoa(u.ID)}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Fatalf("events for the new user: %d", len(evs))
		}
		e := evs[0]
		if e.Action != "user.create" || e.ActorName != "secadmin" || e.ActorRole != "secadmin" ||
			e.ActorOrgID != a["secadmin"].OrgID || e.RequestID != "req-42" || e.ClientIP != "127.0.0.9" || e.Seq != after {
			t.Fatalf("event does not say who/what/where: %+v", e)
		}
		// The read itself is in the trail, attributed to the audit administrator.
		last, _ := db.LastSeq(ctx)
		reads, err := db.Events(ctx, a["regulator"], sqlstore.EventFilter{Action: "audit.read"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(reads) == 0 || reads[len(reads)-1].Seq != last || reads[len(reads)-1].ActorName != "auditadmin" {
			t.Fatalf("audit read was not audited: %+v", reads)
		}
		// Business roles cannot read the trail.
		_, err = db.Events(ctx, a["merchant-a"], sqlstore.EventFilter{}, false)
		wantCode(t, err, shuyu.EFORBIDDEN)
	})
}

func itoa(n int64) string { return fmtInt(n) }

func TestStore_AuditTrailIsAppendOnly(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		for _, q := range []string{`UPDATE audit_events SET reason = 'x' WHERE seq = 1`, `DELETE FROM audit_events WHERE seq = 1`} {
			if _, err := db.SQL().Exec(q); err == nil {
				t.Fatalf("%s succeeded", q)
			}
		}
	})
}

var _ = errors.New
