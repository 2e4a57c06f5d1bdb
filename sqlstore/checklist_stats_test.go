package sqlstore_test

import (
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestChecklistStats_R17_1_CountsEqualRecords: the dashboard's checklist
// figure counts the filled checklists per kind as recorded — results written
// into checklist_results, the expectation computed from that list alone —
// shows the version in force (0 before an approval), and is refused to a
// merchant and to the operator (it is the authority's and the regulators').
func TestChecklistStats_R17_1_CountsEqualRecords(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		db, a := env.DB, env.Actors
		st, err := db.ChecklistStatistics(ctx, a["authority"])
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range st.Kinds {
			if k.Passed+k.Failed != 0 || k.Version != 0 {
				t.Fatalf("empty store: %+v", k)
			}
		}
		var ruleset int64
		for _, kind := range shuyu.ChecklistKinds {
			rs, err := db.ProposeChecklist(ctx, a["operator-admin"], sqlstore.ChecklistProposal{Kind: kind, Items: shuyu.DefaultChecklist(kind)})
			if err != nil {
				t.Fatal(err)
			}
			if kind != shuyu.ChecklistOnboarding { // onboarding stays unapproved
				if rs, err = db.ApproveChecklist(ctx, a["authority"], rs.ID, "", "同意"); err != nil {
					t.Fatal(err)
				}
			}
			ruleset = rs.ID
		}
		results := []struct {
			kind   shuyu.ChecklistKind
			passed bool
		}{
			{shuyu.ChecklistApplication, true}, {shuyu.ChecklistApplication, true}, {shuyu.ChecklistApplication, false},
			{shuyu.ChecklistOutput, true}, {shuyu.ChecklistOutput, false}, {shuyu.ChecklistOutput, false},
			{shuyu.ChecklistOnboarding, true},
		}
		want := map[shuyu.ChecklistKind][2]int{}
		for i, r := range results {
			if _, err := db.SQL().Exec(db.Rebind(`INSERT INTO checklist_results (kind, object_id, round, ruleset_id, reviewer_id, reviewer_name,
				answers_json, passed, created_at) VALUES (?, ?, 1, ?, ?, 'operator-reviewer', '[]', ?, 0)`),
				r.kind, i+1, ruleset, a["operator-reviewer"].UserID, r.passed); err != nil {
				t.Fatal(err)
			}
			w := want[r.kind]
			if r.passed {
				w[0]++
			} else {
				w[1]++
			}
			want[r.kind] = w
		}
		for _, who := range []string{"authority", "regulator"} {
			st, err := db.ChecklistStatistics(ctx, a[who])
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Kinds) != len(shuyu.ChecklistKinds) {
				t.Fatalf("%d kinds", len(st.Kinds))
			}
			for _, k := range st.Kinds {
				if w := want[k.Kind]; k.Passed != w[0] || k.Failed != w[1] {
					t.Fatalf("%s: %s passed %d failed %d, want %v", who, k.Kind, k.Passed, k.Failed, w)
				}
				if (k.Version == 1) != (k.Kind != shuyu.ChecklistOnboarding) {
					t.Fatalf("%s: version in force %d", k.Kind, k.Version)
				}
			}
		}
		for _, who := range []string{"merchant-a", "operator-admin"} {
			if _, err := db.ChecklistStatistics(ctx, a[who]); shuyu.ErrorCode(err) != shuyu.EFORBIDDEN {
				t.Fatalf("%s reads the dashboard figure: %v", who, err)
			}
		}
	})
}
