package wstest

import (
	"context"
	"testing"

	"shuyu"
)

// Entry codes and tables of the optional entries (AddEntry).
const (
	EnterpriseCode  = "ZW-SC-0001"
	EnterpriseTable = "zw_sc_0001"
	InsuranceCode   = "ZW-RS-0001"
	InsuranceTable  = "zw_rs_0001"
)

// AddEntry publishes one more synthetic dataset (e.g. "enterprise",
// "social_insurance") as code and supplies n rows of it as table, through
// the same catalog flow and vault load as the fixture's own entries.
func (f *Fixture) AddEntry(t testing.TB, code, table, dataset, name string, grade shuyu.Grade, n int) int64 {
	t.Helper()
	ctx := context.Background()
	f.Entries[code] = f.publish(t, ctx, code, dataset, name, grade)
	f.load(t, ctx, table, dataset, n)
	return f.Entries[code]
}
