package sqlstore_test

import (
	"strconv"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestRegistryDue_NREG_4_FirstRegistrationReminderAcrossNationalDay: data
// first mounted on Tuesday 2026-09-22 must be registered within 20 working
// days — the Mid-Autumn Festival (25 September) and the National Day
// holiday (October 1–7) do not count, the make-up Saturday 2026-10-10 does —
// so by 2026-10-27. The department is reminded once when 5 working days or
// fewer are left (from 2026-10-20) and once when overdue (2026-10-28), each
// audited; an entry already applied for is
// not reminded; another department and a merchant see nothing of it.
func TestRegistryDue_NREG_4_FirstRegistrationReminderAcrossNationalDay(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a, clock := env.DB, env.Actors, env.Clock
		dept := a["dept-gongan"]
		late := domainInsertEntry(t, db, "ZW-GA-0101", dept, true, "daily", domainPeopleFields)
		applied := domainInsertEntry(t, db, "ZW-GA-0102", dept, true, "daily", domainPeopleFields)
		domainInsertEntry(t, db, "ZW-GA-0103", dept, true, "daily", domainPeopleFields) // never mounted: no duty yet
		clock.Set(time.Date(2026, 9, 22, 10, 0, 0, 0, cst))
		supplyVersion(t, db, dept, late, 1, 100)
		supplyVersion(t, db, dept, applied, 1, 100)
		if _, err := db.SubmitRegistry(ctx, dept, registryInput(applied)); err != nil {
			t.Fatal(err)
		}
		list, err := db.RegistryObligations(ctx, dept)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].EntryID != late || list[0].Due.In(cst).Format(time.DateOnly) != "2026-10-27" || list[0].Overdue {
			t.Fatalf("obligations %+v, want only entry %d due 2026-10-27", list, late)
		}
		if all, err := db.RegistryObligations(ctx, a["authority"]); err != nil || len(all) != 1 {
			t.Fatalf("the registry sees %v %v", all, err)
		}
		if other, err := db.RegistryObligations(ctx, a["dept-haiyuan-weijian"]); err != nil || len(other) != 0 {
			t.Fatalf("another department sees %v %v", other, err)
		}
		if _, err := db.RegistryObligations(ctx, a["merchant-a"]); err == nil {
			t.Fatal("a merchant reads the registration duties")
		}
		reminders := func() (soon, overdue, audited int) {
			t.Helper()
			q := db.Rebind(`SELECT count(*) FROM notices WHERE kind = ? AND object_type = 'catalog_entry' AND object_id = ? AND org_id = ?`)
			for kind, n := range map[string]*int{"registry.first_soon": &soon, "registry.first_overdue": &overdue} {
				if err := db.SQL().QueryRow(q, kind, strconv.FormatInt(late, 10), dept.OrgID).Scan(n); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.SQL().QueryRow(db.Rebind(`SELECT count(*) FROM audit_events WHERE action = ?`), shuyu.AuditRegistryFirstRemind).Scan(&audited); err != nil {
				t.Fatal(err)
			}
			return
		}
		sweep := func(at time.Time) sqlstore.SweepReport {
			t.Helper()
			clock.Set(at)
			rep, err := db.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		// 2026-10-19: 6 working days left (20–23, 26, 27 October).
		sweep(time.Date(2026, 10, 19, 9, 0, 0, 0, cst))
		if s, o, n := reminders(); s+o+n != 0 {
			t.Fatalf("reminded with 6 working days left: %d %d %d", s, o, n)
		}
		if rep := sweep(time.Date(2026, 10, 20, 9, 0, 0, 0, cst)); rep.Registry.FirstReminded != 1 {
			t.Fatalf("first sweep with 5 days left reminded %d", rep.Registry.FirstReminded)
		}
		sweep(time.Date(2026, 10, 20, 9, 1, 0, 0, cst))
		sweep(time.Date(2026, 10, 27, 23, 0, 0, 0, cst)) // the last day: not overdue yet
		if s, o, n := reminders(); s != 1 || o != 0 || n != 1 {
			t.Fatalf("due soon: soon %d overdue %d audited %d, want 1 0 1", s, o, n)
		}
		sweep(time.Date(2026, 10, 28, 0, 5, 0, 0, cst))
		sweep(time.Date(2026, 10, 29, 9, 0, 0, 0, cst))
		if s, o, n := reminders(); s != 1 || o != 1 || n != 2 {
			t.Fatalf("overdue: soon %d overdue %d audited %d, want 1 1 2", s, o, n)
		}
		if list, _ := db.RegistryObligations(ctx, dept); len(list) != 1 || !list[0].Overdue {
			t.Fatalf("after the due day: %+v", list)
		}
		// Applying ends the duty.
		if _, err := db.SubmitRegistry(ctx, dept, registryInput(late)); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.RegistryObligations(ctx, dept); len(list) != 0 {
			t.Fatalf("after applying: %+v", list)
		}
	})
}
