// Package supply is the data domain's supply as a service: source
// departments' files are loaded into the sealed domain (package vault) as
// jobs that run in the background with live progress, their outcome
// recorded in the store (R10.1, R11.1); the vault's suspensions follow the
// store's (R27.3); and what was supplied is read back (versions, profiles,
// the owner's preview) with the store's authorization and the suspension
// check in one place for the API and the pages alike (R2.1, R4.2, R28.1).
// It knows nothing of HTTP: package web adapts it.
package supply

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// DefaultMaxBytes caps one supplied file unless Service.MaxBytes says
// otherwise (R10.1).
const DefaultMaxBytes int64 = 2 << 30

// Service runs supply jobs and reads supplied data. One per server: it
// holds the progress of the jobs it runs.
type Service struct {
	db    *sqlstore.DB
	vault *vault.Domain // nil: the server runs without a data domain
	log   *slog.Logger
	drop  string // the drop directory <data>/drop; "" without a data directory

	// MaxBytes caps one supplied file (R10.1); set it before serving (tests
	// lower it).
	MaxBytes int64

	running sync.Map // job id → *Progress, while the job runs
	queue   *fairQueue
}

// New returns the service; it does no I/O. dataDir is the platform's data
// directory (its drop/ subdirectory is where the exchange platform writes
// files, R10.1); log receives the failures no caller waits for.
func New(db *sqlstore.DB, v *vault.Domain, dataDir string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: db, vault: v, log: log, MaxBytes: DefaultMaxBytes, queue: newFairQueue()}
	if dataDir != "" {
		s.drop = filepath.Join(dataDir, "drop")
	}
	return s
}

// Ready refuses when the server runs without a data domain.
func (s *Service) Ready() error {
	if s.vault == nil {
		return shuyu.Errorf(shuyu.ECONFLICT, "数据域未启用 (data domain not configured)")
	}
	return nil
}

// colType maps a catalog field's data type to the domain's column type.
// Synthetic datasets also say "datetime" (a timestamp) and "month"
// (YYYY-MM text).
var colType = map[string]vault.ColType{
	"string": vault.TypeString, "text": vault.TypeString, "month": vault.TypeString,
	"integer": vault.TypeInteger, "decimal": vault.TypeDecimal, "number": vault.TypeDecimal,
	"date": vault.TypeDate, "timestamp": vault.TypeTimestamp, "datetime": vault.TypeTimestamp,
	"boolean": vault.TypeBoolean,
}

// Spec builds the vault's spec of an entry from its published revision's
// fields, their R2.1 marks and their explicit quality rules (R11.1), and
// the entry's R4.3 / R26.1 marks.
func Spec(e *sqlstore.DomainEntry) (vault.Spec, error) {
	spec := vault.Spec{Entry: e.VaultName, PublicSource: e.PublicSource, NonPublic: e.NonPublic}
	for _, f := range e.Fields {
		t, ok := colType[f.DataType]
		if !ok {
			return spec, shuyu.Errorf(shuyu.ECONFLICT, "目录信息项 %s 的类型 %q 不受数据域支持 (unsupported field type)", f.Name, f.DataType)
		}
		spec.Columns = append(spec.Columns, vault.Column{
			Name: f.Name, Label: f.Label, Type: t,
			Required: f.Required, Unique: f.Unique, Enum: f.Enum, Min: f.Min, Max: f.Max,
			Format: vault.Format(f.Format),
			PI:     f.PI, SensitivePI: f.SensitivePI, TradeSecret: f.TradeSecret, Grade: f.Grade,
		})
	}
	if err := spec.Validate(); err != nil {
		return spec, fmt.Errorf("domain spec %s: %w", e.Code, err)
	}
	return spec, nil
}

// Result is what the store records of a finished load: the version, its
// size, the quality score and report, and the rules that failed (R11.1).
func Result(v *vault.Version, rep *vault.QualityReport) sqlstore.SupplyResult {
	res := sqlstore.SupplyResult{Version: v.N, Rows: v.Rows, Bytes: v.Bytes, Quality: rep.Score, Report: rep,
		PublicSource: v.PublicSource, NonPublic: v.NonPublic}
	for _, r := range rep.Rules {
		res.Failed = append(res.Failed, sqlstore.QualityFailure{Field: r.Column, Rule: r.Rule, Message: r.Message, Failed: r.Failed})
	}
	return res
}
