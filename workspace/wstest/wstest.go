// Package wstest builds what workspace tests need: a seeded store, a sealed
// domain with synthetic Zhongwei data, published catalog entries over it and
// a workspace for merchant-a. Everything goes through the real APIs (catalog
// flow, vault load, OpenWorkspace); only the data is synthetic.
package wstest

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/synth"
	"shuyu/vault"
)

// Fixture is a store and a domain with two published, mounted entries.
type Fixture struct {
	DB     *sqlstore.DB
	Clock  *sqltest.Clock
	Vault  *vault.Domain
	Dir    string
	Actors map[string]*shuyu.Actor
	// Entries by code: PopulationCode and MedicalCode.
	Entries map[string]int64
	// Raw holds the real rows loaded, by table, header first: what no
	// merchant may ever see.
	Raw map[string][][]string
}

// Entry codes and table names of the fixture.
const (
	PopulationCode  = "ZW-GA-0001"
	PopulationTable = "zw_ga_0001"
	MedicalCode     = "ZW-YB-0001"
	MedicalTable    = "zw_yb_0001"
)

// Now is the fixture's clock start.
var Now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// New builds the fixture on backend with n people and n settlements.
func New(t testing.TB, backend string, n int) *Fixture {
	t.Helper()
	ctx := context.Background()
	db, clock := sqltest.Open(t, backend)
	clock.Set(Now)
	f := &Fixture{DB: db, Clock: clock, Dir: t.TempDir(), Actors: sqltest.Seed(t, db),
		Entries: map[string]int64{}, Raw: map[string][][]string{}}
	v, err := vault.Open(f.Dir+"/domain", vault.Options{Now: clock.Now, MemoryLimit: "512MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	f.Vault = v
	for _, e := range []struct {
		code, table, dataset, name string
		grade                      shuyu.Grade
	}{
		{PopulationCode, PopulationTable, "population", "人口基础信息", shuyu.GradeImportant},
		{MedicalCode, MedicalTable, "medical_settlement", "医保结算明细", shuyu.GradeImportant},
	} {
		f.Entries[e.code] = f.publish(t, ctx, e.code, e.dataset, e.name, e.grade)
		f.load(t, ctx, e.table, e.dataset, n)
	}
	return f
}

func dataset(t testing.TB, name string) synth.DatasetSpec {
	for _, d := range synth.Datasets() {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no dataset %s", name)
	return synth.DatasetSpec{}
}

// publish registers code in the catalog as 中卫市公安局 and takes it through
// the flow to published.
func (f *Fixture) publish(t testing.TB, ctx context.Context, code, ds, name string, grade shuyu.Grade) int64 {
	t.Helper()
	spec := dataset(t, ds)
	rev := shuyu.CatalogRevision{Name: name, Summary: spec.Description, Grade: grade, OpenAttr: shuyu.OpenConditional,
		AuthMode: shuyu.AuthScenario, UpdateFreq: shuyu.FreqMonthly}
	for _, c := range spec.Columns {
		rev.Fields = append(rev.Fields, shuyu.CatalogField{Name: c.Name, Label: c.Label, DataType: shuyu.FieldType(c.Type),
			PI: c.PI, SensitivePI: c.SensitivePI, Grade: grade})
	}
	dept := f.Actors["dept-gongan"]
	e, err := f.DB.CreateCatalogEntry(ctx, dept, sqlstore.NewCatalogEntry{Code: code, Revision: rev})
	if err != nil {
		t.Fatalf("catalog %s: %v", code, err)
	}
	for _, s := range []struct {
		who  string
		step shuyu.CatalogStep
	}{{"dept-gongan", shuyu.StepSubmit}, {"authority", shuyu.StepApproveCity}, {"operator-admin", shuyu.StepPublish}} {
		if _, err := f.DB.CatalogStep(ctx, f.Actors[s.who], e.ID, s.step, ""); err != nil {
			t.Fatalf("catalog %s %s: %v", code, s.step, err)
		}
	}
	return e.ID
}

// load supplies n synthetic rows of dataset ds into the domain as table.
func (f *Fixture) load(t testing.TB, ctx context.Context, table, ds string, n int) {
	t.Helper()
	f.Raw[table] = LoadDataset(t, ctx, f.Vault, table, ds, n)
}

// LoadDataset supplies n rows of the synthetic dataset ds into v as table,
// the way the domain does, and returns the rows loaded, header first.
func LoadDataset(t testing.TB, ctx context.Context, v *vault.Domain, table, ds string, n int) [][]string {
	t.Helper()
	return LoadDatasetSeed(t, ctx, v, table, ds, n, 7)
}

// LoadDatasetSeed is LoadDataset with the generator's seed (the demo's
// datasets use demo.DomainSeed).
func LoadDatasetSeed(t testing.TB, ctx context.Context, v *vault.Domain, table, ds string, n int, seed uint64) [][]string {
	t.Helper()
	spec := dataset(t, ds)
	var buf bytes.Buffer
	if err := synth.WriteCSV(&buf, ds, n, seed, Now); err != nil {
		t.Fatal(err)
	}
	vs := vault.Spec{Entry: table}
	for _, c := range spec.Columns {
		typ := vault.ColType(c.Type)
		switch c.Type {
		case "datetime":
			typ = vault.TypeTimestamp
		case "month":
			typ = vault.TypeString
		}
		vs.Columns = append(vs.Columns, vault.Column{Name: c.Name, Label: c.Label, Type: typ, PI: c.PI, SensitivePI: c.SensitivePI})
	}
	raw := append([]byte(nil), buf.Bytes()...)
	if _, _, err := v.Load(ctx, vs, &buf, vault.FileCSV, vault.LoadOptions{}); err != nil {
		t.Fatalf("load %s: %v", table, err)
	}
	return parseCSV(t, raw)
}

// Open opens a workspace for merchant-a over both entries (all fields) for a
// year, as the operator.
func (f *Fixture) Open(t testing.TB) *shuyu.Workspace {
	t.Helper()
	ws, err := f.DB.OpenWorkspace(context.Background(), f.Actors["operator-admin"], shuyu.WorkspaceGrant{
		OrgID: f.Actors["merchant-a"].OrgID, Name: "居民就医分析", StartsAt: Now, EndsAt: Now.AddDate(1, 0, 0),
		Entries: []shuyu.GrantEntry{{EntryCode: PopulationCode}, {EntryCode: MedicalCode}}})
	if err != nil {
		t.Fatalf("open workspace: %v", err)
	}
	return ws
}

func parseCSV(t testing.TB, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// RawValues returns the distinct non-empty real values of the named columns
// of table: what must never appear in anything a merchant receives.
func (f *Fixture) RawValues(table string, cols ...string) map[string]bool {
	out := map[string]bool{}
	rows := f.Raw[table]
	if len(rows) == 0 {
		return out
	}
	for i, h := range rows[0] {
		for _, c := range cols {
			if h != c {
				continue
			}
			for _, r := range rows[1:] {
				if r[i] != "" {
					out[r[i]] = true
				}
			}
		}
	}
	return out
}
