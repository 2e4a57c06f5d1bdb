package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/supply"
	"shuyu/synth"
	"shuyu/vault"
)

// DomainSeed is the fixed seed of the demo datasets: the demo is the same
// every time, and entirely synthetic (no real person).
const DomainSeed = 640500

// domainFormats are the explicit value formats of the synthetic columns'
// kinds (R11.1): never guessed from a name.
var domainFormats = map[string]string{"id_number": "citizen_id", "uscc": "uscc", "phone": "mobile"}

// domainKeys are the columns that identify a row of their dataset.
var domainKeys = map[string]string{"population": "id_number", "enterprise": "uscc", "medical_settlement": "settlement_id"}

// DomainLoad reports one dataset the demo loaded.
type DomainLoad struct {
	Dataset string
	Entry   string
	Rows    int64
	Took    time.Duration
	Skipped bool // a version was already there
}

// SeedDomain loads the synthetic Zhongwei datasets (population ~200,000
// people, enterprises, social insurance, medical settlements, bus rides)
// into the sealed domain, mounted to their demo catalog entries, each as a
// recorded supply job by the system (issue 5 item 8). Rows stream from
// synth through a pipe as CSV into vault.Load: nothing is held in memory. It
// is idempotent: an entry that already has a version is skipped, and so is
// a dataset whose entry is missing or unpublished.
func SeedDomain(ctx context.Context, db *sqlstore.DB, v *vault.Domain) ([]DomainLoad, error) {
	return seedDomain(ctx, db, v, 0)
}

// SeedDomainRows is SeedDomain with rows rows per dataset instead of each
// dataset's full demo size: for tests that need every demo stage (a
// workspace, products, services) but not a realistic volume.
func SeedDomainRows(ctx context.Context, db *sqlstore.DB, v *vault.Domain, rows int) ([]DomainLoad, error) {
	if rows <= 0 {
		return nil, fmt.Errorf("demo: SeedDomainRows needs a positive row count, got %d", rows)
	}
	return seedDomain(ctx, db, v, rows)
}

// seedDomain loads rows rows of each dataset (0: each dataset's DemoRows).
func seedDomain(ctx context.Context, db *sqlstore.DB, v *vault.Domain, rows int) ([]DomainLoad, error) {
	var out []DomainLoad
	now := db.Now()
	for _, ds := range synth.Datasets() {
		code := DatasetEntryCodes[ds.Name]
		e, err := db.DomainEntryByCode(ctx, code)
		if shuyu.ErrorCode(err) == shuyu.ENOTFOUND || (err == nil && !e.Published) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("demo: domain %s: %w", code, err)
		}
		if _, err := v.Current(ctx, e.VaultName); err == nil {
			out = append(out, DomainLoad{Dataset: ds.Name, Entry: code, Skipped: true})
			continue
		}
		start := time.Now()
		if rows > 0 {
			ds.DemoRows = rows
		}
		n, err := seedDataset(ctx, db, v, ds, e, now)
		if err != nil {
			return out, fmt.Errorf("demo: domain %s: %w", code, err)
		}
		out = append(out, DomainLoad{Dataset: ds.Name, Entry: code, Rows: n, Took: time.Since(start)})
	}
	return out, nil
}

func seedDataset(ctx context.Context, db *sqlstore.DB, v *vault.Domain, ds synth.DatasetSpec, e *sqlstore.DomainEntry, now time.Time) (int64, error) {
	var rules []sqlstore.FieldRule
	for _, c := range ds.Columns {
		r := sqlstore.FieldRule{Field: c.Name, Format: domainFormats[c.Kind]}
		if domainKeys[ds.Name] == c.Name {
			r.Required, r.Unique = true, true
		}
		if r.Format != "" || r.Required {
			rules = append(rules, r)
		}
	}
	if err := db.SetFieldRules(ctx, shuyu.System, e.ID, rules, "演示数据的质量规则 (demo rules)"); err != nil {
		return 0, err
	}
	e, job, err := db.StartSupply(ctx, shuyu.System, shuyu.ActDomainSupply, e.ID,
		sqlstore.SupplyInput{Source: "demo", FileName: ds.Name + ".csv"})
	if err != nil {
		return 0, err
	}
	spec, err := supply.Spec(e)
	if err != nil {
		db.FailSupply(ctx, shuyu.System, job.ID, err)
		return 0, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(synth.WriteCSV(pw, ds.Name, ds.DemoRows, DomainSeed, now)) }()
	ver, rep, err := v.Load(ctx, spec, pr, vault.FileCSV, vault.LoadOptions{})
	pr.CloseWithError(io.ErrClosedPipe) // stop the writer if the load ended early
	if err != nil {
		db.FailSupply(ctx, shuyu.System, job.ID, err)
		return 0, err
	}
	if _, err := db.FinishSupply(ctx, shuyu.System, job.ID, supply.Result(ver, rep)); err != nil {
		return 0, err
	}
	return ver.Rows, nil
}
