package web

import (
	"context"
	"fmt"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// domainColType maps a catalog field's data type to the domain's column
// type. Synthetic datasets also say "datetime" (a timestamp) and "month"
// (YYYY-MM text).
var domainColType = map[string]vault.ColType{
	"string": vault.TypeString, "text": vault.TypeString, "month": vault.TypeString,
	"integer": vault.TypeInteger, "decimal": vault.TypeDecimal, "number": vault.TypeDecimal,
	"date": vault.TypeDate, "timestamp": vault.TypeTimestamp, "datetime": vault.TypeTimestamp,
	"boolean": vault.TypeBoolean,
}

// DomainSpec builds the vault's spec of an entry from its published
// revision's fields, their R2.1 marks and their explicit quality rules
// (R11.1), and the entry's R4.3 / R26.1 marks.
func DomainSpec(e *sqlstore.DomainEntry) (vault.Spec, error) {
	spec := vault.Spec{Entry: e.VaultName, PublicSource: e.PublicSource, NonPublic: e.NonPublic}
	for _, f := range e.Fields {
		t, ok := domainColType[f.DataType]
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

// domainVault returns the sealed domain or a clear error when this server
// runs without one.
func (s *Server) domainVault() (*vault.Domain, error) {
	if s.vault == nil {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "数据域未启用 (data domain not configured)")
	}
	return s.vault, nil
}

// domainSyncVault makes the vault agree with the store's suspensions
// (R27.3): every mounted entry an active suspension covers is suspended in
// the vault, so loads are refused, and its view is dropped, so that no
// query on a locked connection can read it; resumed entries get their
// view back. The store is the record; this runs after each change and can
// be rerun at any time (idempotent).
func (s *Server) domainSyncVault(ctx context.Context) error {
	v, err := s.domainVault()
	if err != nil {
		return nil // nothing to keep in step
	}
	state, err := s.db.DomainVaultState(ctx)
	if err != nil {
		return err
	}
	for name, want := range state {
		have, err := v.Suspended(ctx, name)
		if err != nil {
			return err
		}
		switch {
		case want && !have:
			if err := v.Suspend(ctx, name, "R27.3 暂停提供 (suspended by the authority)"); err != nil {
				return err
			}
		case !want && have:
			if err := v.Resume(ctx, name); err != nil {
				return err
			}
		}
		if err := domainSetView(ctx, v, name, !want); err != nil {
			return err
		}
	}
	return nil
}

// domainSetView drops an entry's view (readable=false) or points it at the
// current version again. Until vault.Suspend does this itself, it is the
// mechanism that stops queries on a suspended entry (R27.3): the view is
// the only name merchants' queries use (vault: v_<entry>_<n> tables hold
// the versions, the view <entry> the current one).
func domainSetView(ctx context.Context, v *vault.Domain, name string, readable bool) error {
	conn, err := v.Locked(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	q := fmt.Sprintf(`DROP VIEW IF EXISTS "%s"`, name)
	if readable {
		cur, err := v.Current(ctx, name)
		if shuyu.ErrorCode(err) == shuyu.ENOTFOUND {
			return nil // nothing mounted yet
		}
		if err != nil {
			return err
		}
		q = fmt.Sprintf(`CREATE OR REPLACE VIEW "%s" AS SELECT * FROM "v_%s_%d"`, name, name, cur.N)
	}
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return vault.SanitizeError(err)
	}
	return nil
}

// DomainStartup readies the domain when the server starts (call it before
// serving): supply jobs a crash left loading are marked failed (vault.Open
// already dropped their half-built tables, so the previous version is
// current), and the vault's suspensions and views are made to agree with
// the store (R10.1, R27.3).
func (s *Server) DomainStartup(ctx context.Context) error {
	n, err := s.db.RecoverSupplyJobs(ctx)
	if err != nil {
		return fmt.Errorf("domain startup: %w", err)
	}
	if n > 0 {
		s.log.Warn("domain: supply jobs interrupted by a restart marked failed", "jobs", n)
	}
	if err := s.domainSyncVault(ctx); err != nil {
		return fmt.Errorf("domain startup: %w", err)
	}
	return nil
}
