package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// storedLine is a charge line as the table holds it: what issuing a month
// must leave alone.
func storedLine(t *testing.T, db *sqlstore.DB, id int64) (status, period string) {
	t.Helper()
	if err := db.SQL().QueryRow(db.Rebind(`SELECT status, period FROM money_charges WHERE id = ?`), id).Scan(&status, &period); err != nil {
		t.Fatal(err)
	}
	return status, period
}

// statementEvents lists the object ids of the money.statements audit
// events, oldest first.
func statementEvents(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	rows, err := db.SQL().Query(db.Rebind(`SELECT object_id FROM audit_events WHERE action = ? ORDER BY seq`), string(shuyu.AuditMoneyStatements))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// A line's statement month is fixed when it is charged: issuing a month
// writes statements and never rewrites a line; a use stamped in a month
// already issued goes on the next statement; months are issued in order,
// once, each with its own audit event.
func TestMoney_R14_2_StatementMonthFixedWhenCharged(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		w := newMoneyWorld(t, env)
		db := env.DB
		w.computeItem(t, 2000, 1000)
		w.query(t, w.a, w.wsA, time.Hour, 0) // 2 March: 1000 fen
		if _, err := db.Charge(w.ctx, shuyu.System); err != nil {
			t.Fatal(err)
		}
		open, _ := db.OpenCharges(w.ctx, w.a, w.a.OrgID, 0)
		if len(open) != 1 || open[0].Status != shuyu.ChargeOpen || open[0].StatementID != 0 {
			t.Fatalf("open lines: %+v", open)
		}
		march := open[0].ID
		if st, p := storedLine(t, db, march); st != "open" || p != "2026-03" {
			t.Fatalf("stored line: %s %s", st, p)
		}

		env.Clock.Set(time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC))
		rep, err := db.IssueStatements(w.ctx, w.op, "2026-03")
		if err != nil || rep.Statements != 1 || rep.Lines != 1 || rep.TotalFen != 1000 {
			t.Fatalf("issue March: %+v %v", rep, err)
		}
		billA := onlyBill(t, db, w.a)
		if billA.Period != "2026-03" || len(billA.Charges) != 1 || billA.Charges[0].Status != shuyu.ChargeBilled ||
			billA.Charges[0].StatementID != billA.ID {
			t.Fatalf("March bill: %+v", billA)
		}
		// The line itself was not rewritten: billed follows from the month.
		if st, p := storedLine(t, db, march); st != "open" || p != "2026-03" {
			t.Fatalf("issuing rewrote the line: %s %s", st, p)
		}
		if open, _ := db.OpenCharges(w.ctx, w.a, w.a.OrgID, 0); len(open) != 0 {
			t.Fatalf("billed line still open: %+v", open)
		}

		// A use stamped 31 March (a query that ran across the month's end,
		// metered after March was issued) goes on April's statement.
		env.Clock.Set(time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC))
		w.query(t, w.a, w.wsA, 2*time.Hour, 0)
		env.Clock.Set(time.Date(2026, 4, 2, 1, 0, 0, 0, time.UTC))
		if _, err := db.Charge(w.ctx, shuyu.System); err != nil {
			t.Fatal(err)
		}
		open, _ = db.OpenCharges(w.ctx, w.a, w.a.OrgID, 0)
		if len(open) != 1 || open[0].AmountFen != 2000 || open[0].StatementID != 0 {
			t.Fatalf("late line: %+v", open)
		}
		late := open[0].ID
		// A line not yet on a statement cannot be disputed.
		if err := db.DisputeCharge(w.ctx, w.a, late, "该查询因平台故障重复执行"); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("dispute of an open line: %v", err)
		}
		if _, p := storedLine(t, db, late); p != "2026-04" {
			t.Fatalf("late line's month: %s", p)
		}
		// March again: nothing; March's statement is unchanged.
		if rep, err := db.IssueStatements(w.ctx, w.op, "2026-03"); err != nil || rep.Statements != 0 {
			t.Fatalf("March again: %+v %v", rep, err)
		}
		if b := onlyBill(t, db, w.a); b.TotalFen != 1000 || len(b.Charges) != 1 {
			t.Fatalf("March changed: %+v", b.Statement)
		}

		// merchant-b uses in May; nobody issues April or May until July:
		// issuing June issues April, May and June, in order.
		env.Clock.Set(time.Date(2026, 5, 10, 1, 0, 0, 0, time.UTC))
		w.query(t, w.b, w.wsB, time.Hour, 0)
		env.Clock.Set(time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC))
		rep, err = db.IssueStatements(w.ctx, w.op, "2026-06")
		if err != nil || rep.Statements != 2 || rep.Lines != 2 || rep.TotalFen != 3000 {
			t.Fatalf("issue to June: %+v %v", rep, err)
		}
		bills, _ := db.Bills(w.ctx, w.op, 0)
		if len(bills) != 3 {
			t.Fatalf("bills: %d", len(bills))
		}
		for _, b := range bills {
			want := map[shuyu.Period]int64{"2026-03": 1000, "2026-04": 2000, "2026-05": 1000}[b.Period]
			wantOrg := w.a.OrgID
			if b.Period == "2026-05" {
				wantOrg = w.b.OrgID
			}
			if b.TotalFen != want || b.OrgID != wantOrg {
				t.Fatalf("bill %s of %d: %d fen", b.Period, b.OrgID, b.TotalFen)
			}
		}
		if st, p := storedLine(t, db, late); st != "open" || p != "2026-04" {
			t.Fatalf("late line after April: %s %s", st, p)
		}
		// Each merchant is told of its statement by the statement's month.
		if !inboxHas(t, db, w.b, "bill.issued", "2026-05") || inboxHas(t, db, w.b, "bill.issued", "2026-06") ||
			!inboxHas(t, db, w.a, "bill.issued", "2026-04") {
			t.Fatal("statement notices do not name the statement's month")
		}
		// One audit event per month issued, naming it (June had no lines).
		ev := statementEvents(t, db)
		if want := []string{"2026-03", "2026-04", "2026-05", "2026-06"}; len(ev) != len(want) ||
			ev[0] != want[0] || ev[1] != want[1] || ev[2] != want[2] || ev[3] != want[3] {
			t.Fatalf("statement events: %v", ev)
		}
		// May is issued: a merchant's statement is not issued twice, and
		// the gateway cannot record usage into it.
		if rep, err := db.IssueStatements(w.ctx, w.op, "2026-05"); err != nil || rep.Statements != 0 {
			t.Fatalf("May again: %+v %v", rep, err)
		}
		it, err := db.CreatePriceItem(w.ctx, w.auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "数据核验服务",
			Class: "数据服务", Unit: shuyu.UnitCall, Purpose: shuyu.PurposeIndustry, CapFen: 100})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetPrice(w.ctx, w.op, it.ID, 37, "首次定价"); err != nil {
			t.Fatal(err)
		}
		in := sqlstore.UsageInput{OrgID: w.a.OrgID, ItemID: it.ID, Quantity: 3, At: time.Date(2026, 5, 20, 1, 0, 0, 0, time.UTC), Ref: "GW-0520"}
		if _, err := db.RecordUsage(w.ctx, w.op, in); shuyu.ErrorCode(err) != shuyu.ECONFLICT {
			t.Fatalf("usage into an issued month: %v", err)
		}
		env.Clock.Advance(time.Hour)
		in.At, in.Ref = time.Date(2026, 7, 1, 1, 30, 0, 0, time.UTC), "GW-0701"
		c, err := db.RecordUsage(w.ctx, w.op, in)
		if err != nil || c.AmountFen != 111 || c.Status != shuyu.ChargeOpen {
			t.Fatalf("usage in July: %+v %v", c, err)
		}
		if _, p := storedLine(t, db, c.ID); p != "2026-07" {
			t.Fatalf("July usage's month: %s", p)
		}
	})
}

// Usage recorded while months are being issued, on several connections at
// once: every accepted line ends on exactly one statement (its merchant's,
// of its month), the statements add up to the lines in count and fen, and
// a use refused as late names the issued month. The write transactions
// are serialized (the audit head), so a line is never given a month that
// is being issued.
func TestMoney_R14_2_ConcurrentUsageAndIssueLoseNoLine(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db := env.DB
		ctx := t.Context()
		auth, op := env.Actors["authority"], env.Actors["operator-admin"]
		env.Clock.Set(time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC)) // 1 March, Beijing
		it, err := db.CreatePriceItem(ctx, auth, shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "数据核验服务",
			Class: "数据服务", Unit: shuyu.UnitCall, Purpose: shuyu.PurposeIndustry, CapFen: 100})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetPrice(ctx, op, it.ID, 37, "首次定价"); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC))
		orgs := []int64{env.Actors["merchant-a"].OrgID, env.Actors["merchant-b"].OrgID}
		const uses = 120
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, shuyu.MoneyZone)
		accepted := make(chan int64, uses)
		errs := make(chan error, uses+8)
		done := make(chan struct{})
		for w := 0; w < 2; w++ {
			go func(w int) {
				defer func() { done <- struct{}{} }()
				for i := w; i < uses; i += 2 {
					// Spread over March–August, in order, so issuing overtakes some.
					at := start.Add(time.Duration(i) * (184 * 24 * time.Hour / uses))
					c, err := db.RecordUsage(ctx, op, sqlstore.UsageInput{OrgID: orgs[i%2], ItemID: it.ID, Quantity: int64(i + 1),
						At: at, Ref: fmt.Sprintf("GW-%03d", i)})
					switch {
					case err == nil:
						accepted <- c.AmountFen
					case shuyu.ErrorCode(err) == shuyu.ECONFLICT:
					default:
						errs <- err
					}
				}
			}(w)
		}
		go func() {
			defer func() { done <- struct{}{} }()
			for m := shuyu.Period("2026-03"); m <= "2026-07"; m = m.Next() {
				if _, err := db.IssueStatements(ctx, op, m); err != nil {
					errs <- err
				}
			}
		}()
		for i := 0; i < 3; i++ {
			<-done
		}
		if _, err := db.IssueStatements(ctx, op, "2026-08"); err != nil {
			t.Fatal(err)
		}
		close(accepted)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n, fen := 0, int64(0)
		for a := range accepted {
			n++
			fen += a
		}
		var orphans, lines, stmtLines int
		var lineFen, stmtFen int64
		q := func(sql string, dest ...any) {
			t.Helper()
			if err := db.SQL().QueryRow(sql).Scan(dest...); err != nil {
				t.Fatal(err)
			}
		}
		q(`SELECT count(*) FROM money_charges c WHERE NOT EXISTS
			(SELECT 1 FROM money_statements s WHERE s.org_id = c.org_id AND s.period = c.period)`, &orphans)
		q(`SELECT count(*), coalesce(sum(amount_fen), 0) FROM money_charges`, &lines, &lineFen)
		q(`SELECT coalesce(sum(lines), 0), coalesce(sum(gross_fen), 0) FROM money_statements`, &stmtLines, &stmtFen)
		if n == 0 || orphans != 0 || lines != n || lineFen != fen || stmtLines != n || stmtFen != fen {
			t.Fatalf("accepted %d (%d fen); lines %d (%d fen), %d on no statement; statements %d lines (%d fen)",
				n, fen, lines, lineFen, orphans, stmtLines, stmtFen)
		}
		t.Logf("%s: %d of %d uses accepted, %d refused as late", env.Backend, n, uses, uses-n)
	})
}
