package supply

import (
	"context"
	"encoding/hex"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// Reading supplied data: each read is one function, used by the API and the
// page alike, so that no copy can forget a check (R2.1, R4.2, R27.3).

// readable is the gate every read of supplied data passes: the store
// authorizes action on the entry (another tenant's entry is not found),
// the domain must be there, and the entry's supply must not be suspended
// (R27.3: not even profiles or the owner's preview).
func (s *Service) readable(ctx context.Context, a *shuyu.Actor, action shuyu.Action, entryID int64) (*sqlstore.DomainEntry, error) {
	e, err := s.db.AuthorizeDomain(ctx, a, action, entryID)
	if err != nil {
		return nil, err
	}
	if err := s.Ready(); err != nil {
		return nil, err
	}
	sus, err := s.db.EntrySuspended(ctx, entryID)
	if err != nil {
		return nil, err
	}
	if sus {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "该目录的数据供给已暂停，暂不可读取 (supply suspended, R27.3)")
	}
	return e, nil
}

// ProfileView is an entry's profile: counts, null rates, distinct counts,
// and the current version's quality score.
type ProfileView struct {
	Entry *sqlstore.DomainEntry `json:"-"`
	*vault.Profile
	Quality float64 `json:"quality"`
}

// Profile reads an entry's profile: never values of personal-information
// or trade-secret fields (R2.1, R4.2); only for those the store allows
// ActDomainProfile, only while the entry is readable.
func (s *Service) Profile(ctx context.Context, a *shuyu.Actor, entryID int64) (*ProfileView, error) {
	e, err := s.readable(ctx, a, shuyu.ActDomainProfile, entryID)
	if err != nil {
		return nil, err
	}
	p, err := s.vault.Profile(ctx, e.VaultName)
	if err != nil {
		return nil, err
	}
	cur, err := s.vault.Current(ctx, e.VaultName)
	if err != nil {
		return nil, err
	}
	return &ProfileView{Entry: e, Profile: p, Quality: cur.Quality}, nil
}

// PreviewPage is one page of an entry's raw rows, as text.
type PreviewPage struct {
	Entry   *sqlstore.DomainEntry `json:"-"`
	Columns []string              `json:"columns"`
	Rows    [][]string            `json:"rows"`
	Total   int64                 `json:"total"`
	Offset  int                   `json:"offset"`
	Limit   int                   `json:"limit"`
}

// Preview is the one path by which raw rows leave the vault: only the
// owning department (the store's authorization of ActDomainPreview), only
// while the entry is readable (not suspended), and only after the page
// read is in the audit trail (R4.2, R28.1).
func (s *Service) Preview(ctx context.Context, a *shuyu.Actor, entryID int64, offset, limit int) (*PreviewPage, error) {
	e, err := s.readable(ctx, a, shuyu.ActDomainPreview, entryID)
	if err != nil {
		return nil, err
	}
	if err := s.db.AuditPreview(ctx, a, entryID, offset, limit); err != nil {
		return nil, err
	}
	cols, rows, total, err := s.vault.Preview(ctx, e.VaultName, offset, limit)
	if err != nil {
		return nil, err
	}
	p := &PreviewPage{Entry: e, Columns: cols, Rows: make([][]string, len(rows)), Total: total, Offset: offset, Limit: limit}
	for i, row := range rows {
		p.Rows[i] = make([]string, len(row))
		for j, x := range row {
			p.Rows[i][j] = vault.FormatValue(x)
		}
	}
	return p, nil
}

// Version is a kept version of an entry's data.
type Version struct {
	N            int       `json:"n"`
	Current      bool      `json:"current"`
	Rows         int64     `json:"rows"`
	Bytes        int64     `json:"bytes"`
	LoadedAt     time.Time `json:"loaded_at"`
	Checksum     string    `json:"checksum_sm3"`
	Quality      float64   `json:"quality"`
	PublicSource bool      `json:"public_source"`
	NonPublic    bool      `json:"non_public"`
}

// Versions lists the kept versions of an entry the actor may read (the
// store's DomainEntry), oldest first, marking the current one.
func (s *Service) Versions(ctx context.Context, a *shuyu.Actor, entryID int64) ([]Version, error) {
	e, err := s.db.DomainEntry(ctx, a, entryID)
	if err != nil {
		return nil, err
	}
	if err := s.Ready(); err != nil {
		return nil, err
	}
	vs, err := s.vault.Versions(ctx, e.VaultName)
	if err != nil {
		return nil, err
	}
	cur := 0
	if c, err := s.vault.Current(ctx, e.VaultName); err == nil {
		cur = c.N
	}
	out := make([]Version, 0, len(vs))
	for _, x := range vs {
		out = append(out, Version{N: x.N, Current: x.N == cur, Rows: x.Rows, Bytes: x.Bytes, LoadedAt: x.LoadedAt,
			Checksum: hex.EncodeToString(x.Checksum), Quality: x.Quality, PublicSource: x.PublicSource, NonPublic: x.NonPublic})
	}
	return out, nil
}
