package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// person is one synthetic resident; nothing here is real.
type person struct {
	ID, Name, County, Gender string
	Birth                    time.Time
	Income                   float64
}

type settlement struct {
	ID     string
	Amount float64
}

var counties = []string{"640502", "640521", "640522"}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
var given = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂")

// refDate is the engine's injected "today" for age_band.
var refDate = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)

// tycoonID is a resident whose income dwarfs the rest of 640522.
const tycoonID = "640522195001010019"

func generate(n int, seed uint64) ([]person, []settlement) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	people := make([]person, 0, n+1)
	seen := map[string]bool{}
	for len(people) < n {
		c := counties[r.IntN(3)]
		birth := time.Date(1940+r.IntN(66), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		g := "男"
		if r.IntN(2) == 0 {
			g = "女"
		}
		id := fmt.Sprintf("%s%s%03d%d", c, birth.Format("20060102"), r.IntN(1000), r.IntN(10))
		if seen[id] || id == tycoonID {
			continue
		}
		seen[id] = true
		name := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))]) + string(given[r.IntN(len(given))])
		people = append(people, person{id, name, c, g, birth, float64(20000 + r.IntN(80000))})
	}
	people = append(people, person{tycoonID, "钱多多", "640522", "男", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), 5e8})
	var st []settlement
	for _, p := range people {
		for j := r.IntN(3); j > 0; j-- {
			st = append(st, settlement{p.ID, float64(100 + r.IntN(5000))})
		}
	}
	return people, st
}

// fixture is an in-memory locked domain with two granted tables.
type fixture struct {
	ctx     context.Context
	conn    *sql.Conn
	eng     *Engine
	ws      *Workspace
	people  []person
	settles []settlement
}

func peopleTable() Table {
	return Table{Name: "people", Source: "src_people", PersonKey: "id", OnePerPerson: true, Columns: []Column{
		{Name: "id", Type: "VARCHAR", Policy: Identifier},
		{Name: "name", Type: "VARCHAR", Policy: Identifier},
		{Name: "county", Type: "VARCHAR", Policy: Quasi},
		{Name: "gender", Type: "VARCHAR", Policy: Quasi},
		{Name: "birth_date", Type: "DATE", Policy: Quasi},
		{Name: "income", Type: "DOUBLE", Policy: Sensitive},
	}}
}

func settlementsTable() Table {
	return Table{Name: "settlements", Source: "src_settlements", PersonKey: "id", Columns: []Column{
		{Name: "id", Type: "VARCHAR", Policy: Identifier},
		{Name: "amount", Type: "DOUBLE", Policy: Sensitive},
	}}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	people, st := generate(5000, 42)
	mustExec(t, conn, "CREATE TABLE src_people (id VARCHAR, name VARCHAR, county VARCHAR, gender VARCHAR, birth_date DATE, income DOUBLE)")
	mustExec(t, conn, "CREATE TABLE src_settlements (id VARCHAR, amount DOUBLE)")
	insertBatches(t, conn, "src_people", len(people), 6, func(i int) []any {
		p := people[i]
		return []any{p.ID, p.Name, p.County, p.Gender, p.Birth.Format("2006-01-02"), p.Income}
	})
	insertBatches(t, conn, "src_settlements", len(st), 2, func(i int) []any { return []any{st[i].ID, st[i].Amount} })
	if err := Lockdown(ctx, conn); err != nil {
		t.Fatal(err)
	}
	ws := &Workspace{ID: "w1", K: 10, Secret: []byte("0123456789abcdef-secret"),
		Tables: []Table{peopleTable(), settlementsTable()}}
	return &fixture{ctx, conn, NewEngine(func() time.Time { return refDate }), ws, people, st}
}

func mustExec(t testing.TB, conn *sql.Conn, q string, args ...any) {
	t.Helper()
	if _, err := conn.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func insertBatches(t testing.TB, conn *sql.Conn, table string, n, width int, row func(int) []any) {
	t.Helper()
	const batch = 500
	ph := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
	for s := 0; s < n; s += batch {
		e := min(s+batch, n)
		var args []any
		var parts []string
		for i := s; i < e; i++ {
			args = append(args, row(i)...)
			parts = append(parts, ph)
		}
		mustExec(t, conn, "INSERT INTO "+table+" VALUES "+strings.Join(parts, ","), args...)
	}
}

func (f *fixture) run(t *testing.T, q string) *Result {
	t.Helper()
	res, err := f.eng.Run(f.ctx, f.conn, f.ws, q)
	if err != nil {
		t.Fatalf("Run(%q): %v", q, err)
	}
	return res
}

// ageBand mirrors age_band independently of SQL: full years at refDate.
func ageBand(birth time.Time, width int) string {
	age := refDate.Year() - birth.Year()
	if refDate.Month() < birth.Month() || (refDate.Month() == birth.Month() && refDate.Day() < birth.Day()) {
		age--
	}
	lo := age / width * width
	return fmt.Sprintf("%d-%d", lo, lo+width-1)
}
