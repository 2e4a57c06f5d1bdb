package supply

import (
	"context"
	"fmt"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// Suspend records a suspension of supply (R27.3) and makes the vault agree
// at once: no query reads the data from this answer on.
func (s *Service) Suspend(ctx context.Context, a *shuyu.Actor, in sqlstore.SuspendInput) (*sqlstore.Suspension, error) {
	sus, err := s.db.Suspend(ctx, a, in)
	if err != nil {
		return nil, err
	}
	return sus, s.SyncVault(ctx)
}

// Resume ends a suspension and gives the vault its views back (R27.3).
func (s *Service) Resume(ctx context.Context, a *shuyu.Actor, id int64, reason string) (*sqlstore.Suspension, error) {
	sus, err := s.db.Resume(ctx, a, id, reason)
	if err != nil {
		return nil, err
	}
	return sus, s.SyncVault(ctx)
}

// SyncVault makes the vault agree with the store's suspensions (R27.3):
// every mounted entry an active suspension covers is suspended in the
// vault, so loads are refused, and its view is dropped, so that no query on
// a locked connection can read it; resumed entries get their view back.
// The store is the record; this runs after each change and can be rerun at
// any time (idempotent). Without a data domain there is nothing to do.
func (s *Service) SyncVault(ctx context.Context) error {
	if s.vault == nil {
		return nil
	}
	state, err := s.db.DomainVaultState(ctx)
	if err != nil {
		return err
	}
	v := s.vault
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
		if err := setView(ctx, v, name, !want); err != nil {
			return err
		}
	}
	return nil
}

// setView drops an entry's view (readable=false) or points it at the
// current version again. Until vault.Suspend does this itself, it is the
// mechanism that stops queries on a suspended entry (R27.3): the view is
// the only name merchants' queries use (vault: v_<entry>_<n> tables hold
// the versions, the view <entry> the current one).
func setView(ctx context.Context, v *vault.Domain, name string, readable bool) error {
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

// Startup readies the domain when the server starts (call it before
// serving): supply jobs a crash left loading are marked failed (vault.Open
// already dropped their half-built tables, so the previous version is
// current), and the vault's suspensions and views are made to agree with
// the store (R10.1, R27.3).
func (s *Service) Startup(ctx context.Context) error {
	if n, err := s.db.RecoverPulls(ctx); err != nil {
		return fmt.Errorf("domain startup: %w", err)
	} else if n > 0 {
		s.log.Warn("domain: pulls interrupted by a restart marked failed", "pulls", n)
	}
	n, err := s.db.RecoverSupplyJobs(ctx)
	if err != nil {
		return fmt.Errorf("domain startup: %w", err)
	}
	if n > 0 {
		s.log.Warn("domain: supply jobs interrupted by a restart marked failed", "jobs", n)
	}
	if err := s.SyncVault(ctx); err != nil {
		return fmt.Errorf("domain startup: %w", err)
	}
	return nil
}
