package dataservice

import (
	"fmt"
	"testing"

	"shuyu"
	"shuyu/sqlstore/sqltest"
	"shuyu/workspace"
	"shuyu/workspace/wstest"
)

// A workspace opened by consent (R28.5): its governed queries read only the
// rows of subjects with a live grant to its merchant, enforced in the domain
// (the engine reads consent views); a revocation stops the next query; the
// subject sees every query that used its rows. Checked against the domain
// itself, as an insider with the test's access would.
func TestConsentWorkspace_R28_5_OnlyLiveGrantsRowsRevocationStopsNextQuery(t *testing.T) {
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		f := wstest.New(t, b, 300)
		merchant := f.Actors["merchant-a"]
		ws, err := f.DB.OpenWorkspace(ctx, f.Actors["operator-admin"], shuyu.WorkspaceGrant{
			OrgID: merchant.OrgID, Name: "按授权使用的人口分析", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
			Entries: []shuyu.GrantEntry{{EntryCode: wstest.PopulationCode}}, ByConsent: true})
		if err != nil {
			t.Fatal(err)
		}
		if !ws.ByConsent {
			t.Fatal("workspace not marked by consent")
		}
		wsvc := workspace.New(f.DB, f.Vault, "", f.Clock.Now)
		ver := &DemoVerifier{Now: f.Clock.Now}
		svc := New(f.DB, f.Vault, wsvc, ver, f.Clock.Now)
		w := &world{f: f}
		ids, names := w.column(t, wstest.PopulationTable, "id_number"), w.column(t, wstest.PopulationTable, "name")
		query := func(sqlText string) *workspace.Result {
			t.Helper()
			r, err := wsvc.Query(ctx, merchant, ws.ID, sqlText, shuyu.DataReal)
			if err != nil {
				t.Fatalf("%s: %v", sqlText, err)
			}
			return r
		}
		count := func() int {
			t.Helper()
			r := query(`SELECT count(*) AS n FROM ` + wstest.PopulationTable)
			if r.Status != "released" || len(r.Rows) == 0 {
				return 0 // fewer than K persons: nothing released
			}
			n, _ := r.Rows[0][0].(int64)
			if n == 0 {
				fmt.Sscan(fmt.Sprint(r.Rows[0][0]), &n)
			}
			return int(n)
		}
		// held is what the saved result of a row-level query holds: the
		// subject IDs of its hidden unit column (the insider's check), read
		// through the consent view the engine reads it by once a later query
		// made it, else from the result table just saved.
		held := func(r *workspace.Result) map[string]bool {
			t.Helper()
			if r.Status != "withheld" || r.Table == "" {
				t.Fatalf("detail query: %s %+v", r.Status, r.Reasons)
			}
			conn, err := f.Vault.Locked(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			schema, name := fmt.Sprintf("ws_w%d", ws.ID), "consent_"+r.Table
			var views int
			if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?`, schema, name).
				Scan(&views); err != nil {
				t.Fatal(err)
			}
			if views == 0 {
				name = r.Table
			}
			view := schema + "." + name
			var unit string
			if err := conn.QueryRowContext(ctx, `SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?
				AND column_name NOT IN ('gender', 'birth_date')`, schema, name).Scan(&unit); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT CAST(%q AS VARCHAR) FROM %s`, unit, view))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]bool{}
			for rows.Next() {
				var id string
				rows.Scan(&id)
				out[id] = true
			}
			return out
		}
		// viewed: the engine reads r through its consent view.
		viewed := func(r *workspace.Result) bool {
			conn, err := f.Vault.Locked(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var n int
			conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?`,
				fmt.Sprintf("ws_w%d", ws.ID), "consent_"+r.Table).Scan(&n)
			return n == 1
		}
		detail := func() *workspace.Result {
			return query(`SELECT gender, birth_date FROM ` + wstest.PopulationTable)
		}

		// No grant yet: an aggregate over the whole table releases nothing,
		// a detail query about anyone holds no row.
		if n := count(); n != 0 {
			t.Fatalf("count without any grant = %d", n)
		}
		if h := held(detail()); len(h) != 0 {
			t.Fatalf("row-level result without any grant holds %d subjects", len(h))
		}

		// 20 subjects grant merchant-a the use of their rows in this workspace.
		const granted = 20
		var consents []*shuyu.Consent
		var subjects []Subject
		for i := 1; i <= granted; i++ {
			sub := Subject{Kind: shuyu.SubjectPerson, ID: ids[i], Name: names[i], Mobile: fmt.Sprintf("139955%05d", i)}
			c, err := svc.RequestConsent(ctx, merchant, ConsentAsk{Subject: sub, WorkspaceID: ws.ID, Purpose: "社区养老服务需求统计分析",
				Fields: []string{"性别", "出生日期", "区县"}, Days: 180})
			if err != nil {
				t.Fatal(err)
			}
			if c, err = f.DB.ConfirmConsent(ctx, c.ID, ver.Last("confirm")); err != nil {
				t.Fatal(err)
			}
			consents, subjects = append(consents, c), append(subjects, sub)
		}
		// The aggregate now counts the consenting subjects only, not the 300.
		if n := count(); n < granted-5 || n > granted+5 {
			t.Fatalf("count with %d grants = %d (table has %d rows)", granted, n, len(ids))
		}
		// Exactly the consenting subjects' rows: subject 0 never granted.
		saved := detail()
		h := held(saved)
		if len(h) != granted || h[ids[0]] || !h[ids[1]] {
			t.Fatalf("row-level result holds %d subjects (victim %v, subject 1 %v), want the %d granted", len(h), h[ids[0]], h[ids[1]], granted)
		}
		// A grant for a service or for another merchant opens nothing here.
		other := Subject{Kind: shuyu.SubjectPerson, ID: ids[0], Name: names[0], Mobile: "13995599999"}
		c0, err := svc.RequestConsent(ctx, f.Actors["merchant-b"], ConsentAsk{Subject: other, Purpose: "其他商户的授权",
			Fields: []string{"姓名"}, Days: 30})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.DB.ConfirmConsent(ctx, c0.ID, ver.Last("confirm")); err != nil {
			t.Fatal(err)
		}
		if h := held(detail()); h[ids[0]] || len(h) != granted {
			t.Fatalf("another merchant's grant opened the rows: %d subjects, victim %v", len(h), h[ids[0]])
		}
		// A service defined in the workspace must itself be consent-gated:
		// its template reads the tables whole, per call.
		in := enterpriseService(ws.ID)
		in.Template.Outputs = []shuyu.ServiceOutput{{Name: "name_match", Kind: shuyu.OutputMatch, Table: wstest.PopulationTable, Column: "name", Param: "name"}}
		in.Template.Params = []shuyu.ServiceParam{{Name: "id_number", Kind: shuyu.ParamCitizenID}, {Name: "name", Kind: shuyu.ParamPersonName}}
		in.Template.Subject = "id_number"
		if _, err := svc.Define(ctx, merchant, in); code(err) != shuyu.EINVALID {
			t.Fatalf("service without consent in a consent-gated workspace: %v", err)
		}
		// A merchant cannot ask for a grant on a workspace not its own.
		if _, err := svc.RequestConsent(ctx, f.Actors["merchant-b"], ConsentAsk{Subject: other, WorkspaceID: ws.ID, Purpose: "冒用他人工作区",
			Fields: []string{"姓名"}, Days: 30}); code(err) != shuyu.EINVALID {
			t.Fatalf("grant on another merchant's workspace: %v", err)
		}

		// Subject 1 revokes: the next query does not see its row, and the
		// result saved while the grant was live no longer holds it.
		ch, err := svc.StartLookup(ctx, subjects[0])
		if err != nil {
			t.Fatal(err)
		}
		token, err := svc.VerifyLookup(ctx, ch, ver.Last("lookup"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.DB.RevokeConsent(ctx, token, consents[0].ID); err != nil {
			t.Fatal(err)
		}
		if h := held(detail()); h[ids[1]] || len(h) != granted-1 {
			t.Fatalf("revoked subject still visible to the next query: %v (%d subjects)", h[ids[1]], len(h))
		}
		if h := held(saved); h[ids[1]] || len(h) != granted-1 || !viewed(saved) {
			t.Fatalf("revoked subject still in a saved result: %v (%d subjects)", h[ids[1]], len(h))
		}

		// The subject sees every query that used its rows while the grant
		// was live: three queries named the table while it was live.
		v, err := f.DB.SubjectConsents(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Consents) != 1 || v.Consents[0].WorkspaceID != ws.ID || v.Consents[0].Status != shuyu.ConsentRevoked {
			t.Fatalf("subject's grants: %+v", v.Consents)
		}
		if v.Consents[0].Uses != 3 || v.Total != 3 {
			t.Fatalf("uses: grant %d total %d, want 3 (every query naming the table while the grant was live)", v.Consents[0].Uses, v.Total)
		}
		if len(v.Uses) != 1 || v.Uses[0].Kind != "query" || v.Uses[0].Count != 3 || v.Uses[0].Service != ws.Name {
			t.Fatalf("subject's uses: %+v", v.Uses)
		}
		// Subject 2, still live, counts every query that named the table since its grant: four.
		ch, _ = svc.StartLookup(ctx, subjects[1])
		tok2, err := svc.VerifyLookup(ctx, ch, ver.Last("lookup"))
		if err != nil {
			t.Fatal(err)
		}
		if v, err := f.DB.SubjectConsents(ctx, tok2); err != nil || v.Total != 4 {
			t.Fatalf("subject 2 uses: %+v %v", v, err)
		}

		// A second Service over the same domain (the demo's, a future
		// worker) rebuilds the views for a new grant; once that grant is
		// revoked, the first Service's next query must not see it, although
		// the grants are again those it last built for.
		other2 := workspace.New(f.DB, f.Vault, "", f.Clock.Now)
		count() // the first Service builds for the current grants (an aggregate: no new result table)
		inKeys := func(id string) int {
			t.Helper()
			conn, err := f.Vault.Locked(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var n int
			if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM _ck_w%d WHERE k = ?`, ws.ID), id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		late := Subject{Kind: shuyu.SubjectPerson, ID: ids[granted+1], Name: names[granted+1], Mobile: "13995588888"}
		cl, err := svc.RequestConsent(ctx, merchant, ConsentAsk{Subject: late, WorkspaceID: ws.ID, Purpose: "社区养老服务需求统计分析",
			Fields: []string{"性别"}, Days: 30})
		if err != nil {
			t.Fatal(err)
		}
		if cl, err = f.DB.ConfirmConsent(ctx, cl.ID, ver.Last("confirm")); err != nil {
			t.Fatal(err)
		}
		if _, err := other2.Query(ctx, merchant, ws.ID, `SELECT count(*) AS n FROM `+wstest.PopulationTable, shuyu.DataReal); err != nil {
			t.Fatal(err)
		}
		if n := inKeys(late.ID); n != 1 {
			t.Fatalf("the second Service's rebuild does not hold the new grant: %d", n)
		}
		ch, _ = svc.StartLookup(ctx, late)
		tok3, err := svc.VerifyLookup(ctx, ch, ver.Last("lookup"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.DB.RevokeConsent(ctx, tok3, cl.ID); err != nil {
			t.Fatal(err)
		}
		count()
		if n := inKeys(late.ID); n != 0 {
			t.Fatal("revoked grant still read by the first Service's next query after another Service's rebuild")
		}
		if h := held(detail()); h[late.ID] || len(h) != granted-1 {
			t.Fatalf("revoked grant visible through a rebuild by another Service: %v (%d subjects)", h[late.ID], len(h))
		}
	})
}
