package sqlstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// The insider with the database file (or a PostgreSQL dump) finds no
// contact's mobile number, e-mail or name; the reviewer still reads them;
// rows an earlier release wrote in clear are sealed at the next Open
// (PIPL art. 51, 等保 encryption at rest).
func TestPersonal_R29_1_RegistrationContactsSealedAtRest(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db, a := env.DB, env.Actors
		rules, _ := reviewDocs(t, db, a)
		in := reviewRegistration("戊数据服务有限公司", "wu-data", rules.ID)
		in.ContactPhone, in.ContactEmail = "13995512345", "wu.contact@example.cn"
		g, _, err := db.SubmitRegistration(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range []string{"contact_phone", "contact_email", "contact_name", "legal_rep"} {
			var v string
			if err := db.SQL().QueryRow(db.Rebind(`SELECT `+col+` FROM merchant_registrations WHERE id = ?`), g.ID).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(v, "sm4:") || strings.Contains(v, "1399551") || strings.Contains(v, "example.cn") {
				t.Errorf("%s stored as %q", col, v)
			}
		}
		got, err := db.Registrations(ctx, a["operator-reviewer"], "")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range got {
			if r.ID == g.ID {
				found = r.ContactPhone == "13995512345" && r.ContactEmail == "wu.contact@example.cn" && r.ContactName == in.ContactName
			}
		}
		if !found {
			t.Error("the reviewer does not read the contact back")
		}
		// The file itself (SQLite; on PostgreSQL the column check above is
		// what a dump shows).
		if env.Backend == "sqlite" {
			db.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			for _, f := range []string{"shuyu.db", "shuyu.db-wal"} {
				b, _ := os.ReadFile(filepath.Join(db.DataDir(), f))
				if bytes.Contains(b, []byte("13995512345")) || bytes.Contains(b, []byte("wu.contact@example.cn")) {
					t.Errorf("%s holds the phone number or e-mail in clear", f)
				}
			}
		}
	})
}

func TestPersonal_R29_1_LegacyClearRowsSealedAtOpen(t *testing.T) {
	t.Parallel()
	db, _ := sqltest.Open(t, "sqlite")
	a := sqltest.Seed(t, db)
	rules, _ := reviewDocs(t, db, a)
	g, _, err := db.SubmitRegistration(context.Background(), reviewRegistration("己数据服务有限公司", "ji-data", rules.ID))
	if err != nil {
		t.Fatal(err)
	}
	// What an earlier release left: a contact in clear.
	if _, err := db.SQL().Exec(`UPDATE merchant_registrations SET contact_phone = '13800138000' WHERE id = ?`, g.ID); err != nil {
		t.Fatal(err)
	}
	dir := db.DataDir()
	db.Close()
	db2, err := sqlstore.Open(context.Background(), sqlstore.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, f := range []string{"shuyu.db", "shuyu.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte("13800138000")) {
			t.Errorf("%s still holds the legacy phone number in clear", f)
		}
	}
	evs, err := db2.Events(context.Background(), shuyu.System, sqlstore.EventFilter{Action: string(shuyu.AuditPersonalSeal)}, false)
	if err != nil || len(evs) != 1 {
		t.Errorf("seal events %d %v", len(evs), err)
	}
	if rep, err := db2.VerifyAudit(context.Background(), nil, nil); err != nil || !rep.OK {
		t.Errorf("verify: %+v %v", rep, err)
	}
}
