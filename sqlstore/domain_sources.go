package sqlstore

import (
	"context"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Source is lawfully obtained non-public data the operator connects to the
// platform (R26.1). Its entry's data is marked non-public in the domain:
// every version, the mount and every answer about it carry the mark.
type Source struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Provider   string    `json:"provider"`
	LegalBasis string    `json:"legal_basis"` // contract, authorization or law it was obtained under
	EntryID    *int64    `json:"entry_id,omitempty"`
	CreatedBy  int64     `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// SourceInput is what the operator submits.
type SourceInput struct {
	Name       string `json:"name"`
	Provider   string `json:"provider"`
	LegalBasis string `json:"legal_basis"`
	EntryID    int64  `json:"entry_id"`
}

// ConnectSource records a non-public source and marks its entry (R26.1).
// Data marked as publicly sourced (R4.3) cannot also be non-public.
func (d *DB) ConnectSource(ctx context.Context, actor *shuyu.Actor, in SourceInput) (*Source, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSourceCreate, shuyu.Resource{Kind: "domain_source"}); err != nil {
		return nil, err
	}
	var fe []shuyu.FieldError
	for f, v := range map[string]string{"name": in.Name, "provider": in.Provider, "legal_basis": in.LegalBasis} {
		if n := utf8.RuneCountInString(v); n == 0 || n > 500 {
			fe = append(fe, shuyu.FieldError{Field: f, Message: "须填写，不超过500字 (required, at most 500 characters)"})
		}
	}
	if len(fe) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "非公共数据来源信息不完整 (incomplete source)").WithDetails(fe)
	}
	var out *Source
	err := d.update(ctx, actor, func(tx *Tx) error {
		e, err := tx.domainEntry(in.EntryID)
		if err != nil {
			return err
		}
		if e.PublicSource {
			return shuyu.Errorf(shuyu.ECONFLICT, "公开来源数据不能标记为非公共数据 (public-source data cannot be non-public)")
		}
		if e.NonPublic {
			return shuyu.Errorf(shuyu.ECONFLICT, "该目录已接入非公共数据 (already connected)")
		}
		id, err := tx.insert(`INSERT INTO domain_sources (name, provider, legal_basis, entry_id, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, in.Name, in.Provider, in.LegalBasis, e.ID, actor.UserID, micros(tx.now))
		if isUnique(err) {
			return shuyu.Errorf(shuyu.ECONFLICT, "名称已存在 (name exists)")
		}
		if err != nil {
			return err
		}
		eid := e.ID
		out = &Source{ID: id, Name: in.Name, Provider: in.Provider, LegalBasis: in.LegalBasis, EntryID: &eid, CreatedBy: actor.UserID, CreatedAt: tx.now}
		return tx.audit(Change{Action: shuyu.AuditDomainSourceConnect, ObjectType: "domain_source", ObjectID: id,
			Detail: map[string]any{"entry_id": e.ID, "provider": in.Provider}})
	})
	return out, err
}

// Sources lists the connected non-public sources.
func (d *DB) Sources(ctx context.Context, actor *shuyu.Actor) ([]*Source, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSourceRead, shuyu.Resource{Kind: "domain_source"}); err != nil {
		return nil, err
	}
	out := []*Source{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, name, provider, legal_basis, entry_id, created_by, created_at FROM domain_sources ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s Source
			var at int64
			if err := rows.Scan(&s.ID, &s.Name, &s.Provider, &s.LegalBasis, &s.EntryID, &s.CreatedBy, &at); err != nil {
				return err
			}
			s.CreatedAt = fromMicros(at)
			out = append(out, &s)
		}
		return rows.Err()
	})
	return out, err
}
