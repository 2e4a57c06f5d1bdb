package sqlstore_test

import (
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// rgyToNotice submits, accepts and passes a first registration of entry on
// 2026-09-30: its public notice ends with 2026-10-20 (NREG.6).
func rgyToNotice(t *testing.T, db *sqlstore.DB, clock *sqltest.Clock, dept, registry *shuyu.Actor, entry int64) *shuyu.RegistryRecord {
	t.Helper()
	clock.Set(time.Date(2026, 9, 30, 9, 0, 0, 0, cst))
	g, err := db.SubmitRegistry(ctx, dept, registryInput(entry))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"accept", "pass"} {
		if g, err = db.DecideRegistry(ctx, registry, g.ID, step, ""); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// TestRegistryNationalCode_NREG_7_NREG_8_RecordAndRevoke: the code the
// national registry returns is recorded only after the notice and only
// when its structure, MOD 11,10 check digit, type digit and subject are
// right — a bad one is a 400 that changes nothing; it also replaces a code
// assigned here. The registry revokes a registration for false materials
// with a reason: the code shows as revoked on the public board and the
// first-registration duty is back. The applicant can do neither.
func TestRegistryNationalCode_NREG_7_NREG_8_RecordAndRevoke(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a, clock := env.DB, env.Actors, env.Clock
		dept, registry := a["dept-gongan"], a["authority"]
		var uscc, region string
		if err := db.SQL().QueryRow(db.Rebind(`SELECT code, region FROM orgs WHERE id = ?`), dept.OrgID).Scan(&uscc, &region); err != nil {
			t.Fatal(err)
		}
		national := func(kind byte, serial int64) string {
			c, err := ident.RegistryCode(kind, uscc, (region + "0000")[:4], serial)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		good := national(ident.RegistryResource, 4711)
		entry := domainInsertEntry(t, db, "ZW-GA-0201", dept, true, "daily", domainPeopleFields)
		clock.Set(time.Date(2026, 9, 22, 10, 0, 0, 0, cst))
		supplyVersion(t, db, dept, entry, 1, 100)
		g := rgyToNotice(t, db, clock, dept, registry, entry)
		if _, err := db.RecordNationalCode(ctx, registry, g.ID, good); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("during the notice: %v", err)
		}
		clock.Set(time.Date(2026, 10, 21, 9, 0, 0, 0, cst)) // the notice has ended; no sweep has run
		audits := func() int {
			var n int
			if err := db.SQL().QueryRow(`SELECT count(*) FROM audit_events`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := audits()
		flipped := good[:len(good)-1] + string("0123456789X"[(1+len(good))%10])
		if flipped == good {
			flipped = good[:len(good)-1] + "9"
		}
		for name, code := range map[string]string{"check digit": flipped, "product type digit": national(ident.RegistryProduct, 4711),
			"short": good[:30], "other subject": "7" + "91640500MA76XXXXXX"[:18] + good[19:]} {
			if ident.ValidRegistryCode(code) && name != "product type digit" && name != "other subject" {
				t.Fatalf("%s: %s is valid", name, code)
			}
			if _, err := db.RecordNationalCode(ctx, registry, g.ID, code); shuyu.ErrorCode(err) != shuyu.EINVALID {
				t.Fatalf("%s %q: %v, want a 400", name, code, err)
			}
		}
		if _, err := db.RecordNationalCode(ctx, dept, g.ID, good); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("the applicant records its own code: %v", err)
		}
		if g2, _ := db.Registry(ctx, dept, g.ID); g2.Status != shuyu.RgyNotice || g2.Code != "" || audits() != before {
			t.Fatalf("a refused code changed something: %s %q, %d audit events (was %d)", g2.Status, g2.Code, audits(), before)
		}
		g, err := db.RecordNationalCode(ctx, registry, g.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if g.Status != shuyu.RgyRegistered || g.Code != good || g.ValidUntil != "2029-10-20" {
			t.Fatalf("recorded: %s %q until %s", g.Status, g.Code, g.ValidUntil)
		}
		var n int
		if err := db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM audit_events WHERE action = ? AND object_id = ?`),
			shuyu.AuditRegistryNationalCode, itoa(g.ID)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audited %d %v", n, err)
		}
		// A code assigned here is replaced by the national one.
		other := domainInsertEntry(t, db, "ZW-GA-0202", dept, true, "daily", domainPeopleFields)
		h := rgyToNotice(t, db, clock, dept, registry, other)
		clock.Set(time.Date(2026, 10, 21, 9, 0, 0, 0, cst))
		if _, err := db.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if h, _ = db.Registry(ctx, dept, h.ID); h.Status != shuyu.RgyRegistered || h.Code == "" {
			t.Fatalf("swept: %s %q", h.Status, h.Code)
		}
		if _, err := db.RecordNationalCode(ctx, registry, h.ID, good); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("a code in use: %v", err)
		}
		repl := national(ident.RegistryResource, 4712)
		if h, err = db.RecordNationalCode(ctx, registry, h.ID, repl); err != nil || h.Code != repl {
			t.Fatalf("replace: %v", err)
		}

		// Revocation for false materials (NREG.8).
		if _, err := db.RevokeRegistry(ctx, dept, g.ID, "材料虚假，撤销"); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
			t.Fatalf("the applicant revokes: %v", err)
		}
		if _, err := db.RevokeRegistry(ctx, registry, g.ID, "假"); shuyu.ErrorCode(err) != shuyu.EINVALID {
			t.Fatalf("without a reason: %v", err)
		}
		if g, err = db.RevokeRegistry(ctx, registry, g.ID, "数据来源合法性证明系伪造"); err != nil {
			t.Fatal(err)
		}
		if g.Status != shuyu.RgyRevoked || g.Code != good || g.Reason != "数据来源合法性证明系伪造" {
			t.Fatalf("revoked: %s %q %q", g.Status, g.Code, g.Reason)
		}
		if _, err := db.RevokeRegistry(ctx, registry, g.ID, "再次撤销一次"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("revoked twice: %v", err)
		}
		pub, err := db.PublicRegistry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		shown := false
		for _, p := range pub {
			if p.Code == good {
				shown = p.Status == shuyu.RgyRevoked
			}
		}
		if !shown {
			t.Fatalf("the public board does not show %s revoked: %+v", good, pub)
		}
		if list, _ := db.RegistryObligations(ctx, dept); len(list) != 1 || list[0].EntryID != entry {
			t.Fatalf("after revocation the duty is back: %+v", list)
		}
		if err := db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM audit_events WHERE action = ? AND object_id = ?`),
			shuyu.AuditRegistryRevoke, itoa(g.ID)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("revocation audited %d %v", n, err)
		}
	})
}
