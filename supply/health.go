package supply

import (
	"context"
	"fmt"

	"shuyu/sqlstore"
	"shuyu/vault"
)

// MissingVersions compares what the metadata says is mounted with what the
// domain holds: every version listed is one that pages and queries would
// treat as present but the domain no longer has (a deleted or replaced
// domain.duckdb). Without a domain (a server with --domain=none) there is
// nothing to compare.
func (s *Service) MissingVersions(ctx context.Context) ([]sqlstore.MountedVersion, error) {
	if s.vault == nil {
		return nil, nil
	}
	mounted, err := s.db.MountedVersions(ctx)
	if err != nil {
		return nil, err
	}
	want := make([]vault.Want, len(mounted))
	for i, m := range mounted {
		want[i] = vault.Want{Entry: m.VaultName, N: m.Version}
	}
	miss, err := s.vault.Missing(ctx, want)
	if err != nil {
		return nil, err
	}
	gone := map[vault.Want]bool{}
	for _, w := range miss {
		gone[w] = true
	}
	var out []sqlstore.MountedVersion
	for i, m := range mounted {
		if gone[want[i]] {
			out = append(out, m)
		}
	}
	return out, nil
}

// RecoverLost is `serve --recover`: the missing versions are recorded as
// lost and unmounted, and their departments told to supply again.
func (s *Service) RecoverLost(ctx context.Context) ([]sqlstore.MountedVersion, error) {
	miss, err := s.MissingVersions(ctx)
	if err != nil || len(miss) == 0 {
		return miss, err
	}
	if err := s.db.MarkVersionsLost(ctx, miss, fmt.Sprintf("数据域文件 %s 中缺少该版本 (version missing from the domain file)", s.vault.File())); err != nil {
		return nil, err
	}
	return miss, nil
}
