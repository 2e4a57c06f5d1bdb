package sandbox

import (
	"testing"
	"time"
)

func schemaExists(t *testing.T, f *fixture, schema string) bool {
	t.Helper()
	var n int
	if err := f.conn.QueryRowContext(f.ctx, "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// Withheld results live in the workspace's own schema, are numbered without
// reuse (also across an engine restart), cannot be reached from another
// workspace, and are dropped when the workspace closes (R4.2).
func TestWithheldTablesPerWorkspace_R4_2(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r1 := f.run(t, "SELECT county, income FROM people")
	r2 := f.run(t, "SELECT gender, income FROM people")
	if r1.Status != Withheld || r1.Shape.Table != "result_1" || r2.Shape.Table != "result_2" {
		t.Fatalf("names %q %q (%s)", r1.Shape.Table, r2.Shape.Table, r1.Status)
	}
	if !schemaExists(t, f, "ws_w1") {
		t.Fatal("no workspace schema")
	}
	restarted := NewEngine(func() time.Time { return refDate })
	r3, err := restarted.Run(f.ctx, f.conn, f.ws, "SELECT county FROM people")
	if err != nil || r3.Shape.Table != "result_3" {
		t.Fatalf("after restart: %v %q", err, r3.Shape.Table)
	}
	res := f.run(t, "SELECT county, count(*) AS n, avg(income) AS a FROM result_1 GROUP BY county")
	if res.Status != Released || len(res.Rows) != 3 {
		t.Fatalf("aggregate over result_1: %s %v", res.Status, res.Reasons)
	}

	// Workspace w2 has its own results and cannot name w1's.
	w2 := &Workspace{ID: "w2", Secret: f.ws.Secret, Tables: []Table{peopleTable()}}
	for _, q := range []string{
		"SELECT county, count(*) FROM result_1 GROUP BY county",
		"SELECT county, count(*) FROM ws_w1.result_1 GROUP BY county",
		"SELECT county, count(*) FROM \"ws_w1\".\"result_1\" GROUP BY county",
	} {
		res, err := f.eng.Run(f.ctx, f.conn, w2, q)
		if err != nil || res.Status != Rejected {
			t.Errorf("%q from w2: %v %v", q, err, res)
		}
	}
	r, err := f.eng.Run(f.ctx, f.conn, w2, "SELECT county FROM people")
	if err != nil || r.Shape.Table != "result_1" {
		t.Fatalf("w2 first result: %v %+v", err, r)
	}

	// Closing w1 drops its results and nothing of w2's.
	if err := f.eng.DropWorkspace(f.ctx, f.conn, "w1"); err != nil {
		t.Fatal(err)
	}
	if schemaExists(t, f, "ws_w1") || !schemaExists(t, f, "ws_w2") {
		t.Fatal("DropWorkspace dropped the wrong schema")
	}
	if err := f.eng.DropWorkspace(f.ctx, f.conn, "w1; DROP TABLE src_people"); err == nil {
		t.Error("DropWorkspace accepted a malformed ID")
	}

	// The periodic cleanup drops every workspace no longer open.
	w3 := &Workspace{ID: "w3", Secret: f.ws.Secret, Tables: []Table{peopleTable()}}
	if _, err := f.eng.Run(f.ctx, f.conn, w3, "SELECT county FROM people"); err != nil {
		t.Fatal(err)
	}
	dropped, err := f.eng.DropClosed(f.ctx, f.conn, func(id string) bool { return id == "w3" })
	if err != nil || len(dropped) != 1 || dropped[0] != "w2" {
		t.Fatalf("DropClosed: %v %v", dropped, err)
	}
	if schemaExists(t, f, "ws_w2") || !schemaExists(t, f, "ws_w3") {
		t.Fatal("DropClosed dropped the wrong schema")
	}
	var n int
	if err := f.conn.QueryRowContext(f.ctx, "SELECT count(*) FROM src_people").Scan(&n); err != nil || n != len(f.people) {
		t.Fatalf("source table touched: %v %d", err, n)
	}
}
