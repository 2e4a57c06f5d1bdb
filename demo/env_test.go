package demo

import (
	"context"
	"path/filepath"
	"testing"

	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
	"shuyu/workspace/wstest"
)

// demoSeeded runs the demo's Seed on env's store (sqltest.EachEmpty's).
func demoSeeded(t *testing.T, env *sqltest.Env) {
	t.Helper()
	if _, err := Seed(context.Background(), env.DB, ""); err != nil {
		t.Fatal(err)
	}
}

// demoWithDomain is demoSeeded at wstest.Now with a domain vault under dir
// holding the two datasets the demo workspace is over.
func demoWithDomain(t *testing.T, env *sqltest.Env) (v *vault.Domain, dir string) {
	t.Helper()
	env.Clock.Set(wstest.Now)
	demoSeeded(t, env)
	dir = t.TempDir()
	v = demoVault(t, dir, env.Clock)
	ctx := context.Background()
	wstest.LoadDataset(t, ctx, v, sqlstore.VaultName("ZW-GA-0001"), "population", 1500)
	wstest.LoadDataset(t, ctx, v, sqlstore.VaultName("ZW-YB-0001"), "medical_settlement", 1500)
	return v, dir
}

// demoVault opens a domain vault under dir on clock's time, closed when
// the test ends.
func demoVault(t *testing.T, dir string, clock *sqltest.Clock) *vault.Domain {
	t.Helper()
	v, err := vault.Open(filepath.Join(dir, "domain"), vault.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}
