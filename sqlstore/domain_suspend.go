package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"shuyu"
)

// Suspension scopes (R27.3).
const (
	SuspendEntry    = "entry"    // one catalog entry
	SuspendDept     = "dept"     // every entry of one source department
	SuspendPlatform = "platform" // the whole platform
)

// Suspension is one suspension of supply by the authority (R27.3).
type Suspension struct {
	ID           int64      `json:"id"`
	Scope        string     `json:"scope"`
	EntryID      *int64     `json:"entry_id,omitempty"`
	EntryCode    string     `json:"entry_code,omitempty"`
	OrgID        *int64     `json:"org_id,omitempty"`
	OrgName      string     `json:"org_name,omitempty"`
	Reason       string     `json:"reason"`
	SuspendedBy  int64      `json:"suspended_by"`
	CreatedAt    time.Time  `json:"created_at"`
	ResumedBy    *int64     `json:"resumed_by,omitempty"`
	ResumedAt    *time.Time `json:"resumed_at,omitempty"`
	ResumeReason string     `json:"resume_reason,omitempty"`
	Active       bool       `json:"active"`
}

// SuspendInput is what the authority submits.
type SuspendInput struct {
	Scope   string `json:"scope"`
	EntryID int64  `json:"entry_id,omitempty"`
	OrgID   int64  `json:"org_id,omitempty"`
	Reason  string `json:"reason"`
}

const suspensionCols = `s.id, s.scope, s.entry_id, coalesce(e.code, ''), s.org_id, coalesce(o.name, ''), s.reason,
	s.suspended_by, s.created_at, s.resumed_by, s.resumed_at, s.resume_reason`

const suspensionFrom = ` FROM domain_suspensions s LEFT JOIN catalog_entries e ON e.id = s.entry_id
	LEFT JOIN orgs o ON o.id = s.org_id`

func scanSuspension(r interface{ Scan(...any) error }) (*Suspension, error) {
	var s Suspension
	var created int64
	var resumed sql.NullInt64
	if err := r.Scan(&s.ID, &s.Scope, &s.EntryID, &s.EntryCode, &s.OrgID, &s.OrgName, &s.Reason,
		&s.SuspendedBy, &created, &s.ResumedBy, &resumed, &s.ResumeReason); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ResumedAt, s.Active = fromMicros(created), fromNullMicros(resumed), !resumed.Valid
	return &s, nil
}

func domainReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", shuyu.Errorf(shuyu.EINVALID, "须说明理由 (reason required)").
			WithDetails([]shuyu.FieldError{{Field: "reason", Message: "不能为空 (required)"}})
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return "", shuyu.Errorf(shuyu.EINVALID, "理由过长，上限2000字 (reason too long)").
			WithDetails([]shuyu.FieldError{{Field: "reason", Message: "过长 (too long)"}})
	}
	return reason, nil
}

// Suspend stops supply of public data for one entry, one department or the
// whole platform (R27.3). From the commit on, domainSuspended answers true
// for every affected entry: loads are refused, new applications for it are
// refused by the review chain, and the web layer suspends the entry in the
// vault so no query may read it. Every affected party is notified.
func (d *DB) Suspend(ctx context.Context, actor *shuyu.Actor, in SuspendInput) (*Suspension, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSuspensionCreate, shuyu.Resource{Kind: "domain_suspension"}); err != nil {
		return nil, err
	}
	reason, err := domainReason(in.Reason)
	if err != nil {
		return nil, err
	}
	var out *Suspension
	err = d.update(ctx, actor, func(tx *Tx) error {
		var entryID, orgID any
		switch in.Scope {
		case SuspendEntry:
			e, err := tx.domainEntry(in.EntryID)
			if err != nil {
				return err
			}
			entryID = e.ID
		case SuspendDept:
			o, err := tx.org(in.OrgID)
			if err != nil {
				return err
			}
			if o.Kind != shuyu.OrgSourceDept {
				return shuyu.Errorf(shuyu.EINVALID, "只能按数源部门暂停 (org must be a source department)")
			}
			orgID = o.ID
		case SuspendPlatform:
		default:
			return shuyu.Errorf(shuyu.EINVALID, "暂停范围须为 entry、dept 或 platform (bad scope)").
				WithDetails([]shuyu.FieldError{{Field: "scope", Message: "取值无效 (invalid)"}})
		}
		var dup int
		if err := tx.queryRow(`SELECT count(*) FROM domain_suspensions WHERE resumed_at IS NULL AND scope = ?
			AND coalesce(entry_id, 0) = ? AND coalesce(org_id, 0) = ?`, in.Scope, in.EntryID*boolInt(entryID != nil),
			in.OrgID*boolInt(orgID != nil)).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return shuyu.Errorf(shuyu.ECONFLICT, "同一范围已有生效的暂停 (already suspended)")
		}
		id, err := tx.insert(`INSERT INTO domain_suspensions (scope, entry_id, org_id, reason, suspended_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, in.Scope, entryID, orgID, reason, actor.UserID, micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: suspend: %w", err)
		}
		if out, err = scanSuspension(tx.queryRow(`SELECT `+suspensionCols+suspensionFrom+` WHERE s.id = ?`, id)); err != nil {
			return err
		}
		affected, err := tx.suspensionAffected(out)
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditDomainSuspend, ObjectType: "domain_suspension", ObjectID: id, Reason: reason,
			Detail: map[string]any{"scope": in.Scope, "entry_id": entryID, "org_id": orgID, "entries": len(affected.entries)}}); err != nil {
			return err
		}
		return tx.domainNotify(domainNotice{Orgs: affected.orgs, Kind: "domain.suspended", Object: "domain_suspension", ID: id, Link: "/domain/suspensions",
			Subject: "公共数据供给已暂停：" + reason})
	})
	return out, err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Resume lifts a suspension after rectification (R27.3). An entry stays
// suspended while another active suspension still covers it.
func (d *DB) Resume(ctx context.Context, actor *shuyu.Actor, id int64, reason string) (*Suspension, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSuspensionResume, shuyu.Resource{Kind: "domain_suspension"}); err != nil {
		return nil, err
	}
	reason, err := domainReason(reason)
	if err != nil {
		return nil, err
	}
	var out *Suspension
	err = d.update(ctx, actor, func(tx *Tx) error {
		s, err := scanSuspension(tx.queryRow(`SELECT `+suspensionCols+suspensionFrom+` WHERE s.id = ?`, id))
		if isNoRows(err) {
			return notFound("暂停记录")
		}
		if err != nil {
			return err
		}
		if !s.Active {
			return shuyu.Errorf(shuyu.ECONFLICT, "该暂停已经恢复 (already resumed)")
		}
		if _, err := tx.exec(`UPDATE domain_suspensions SET resumed_by = ?, resumed_at = ?, resume_reason = ? WHERE id = ?`,
			actor.UserID, micros(tx.now), reason, id); err != nil {
			return err
		}
		uid, now := actor.UserID, tx.now
		s.ResumedBy, s.ResumedAt, s.ResumeReason, s.Active = &uid, &now, reason, false
		out = s
		affected, err := tx.suspensionAffected(s)
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditDomainResume, ObjectType: "domain_suspension", ObjectID: id, Reason: reason,
			Detail: map[string]any{"scope": s.Scope, "entries": len(affected.entries)}}); err != nil {
			return err
		}
		return tx.domainNotify(domainNotice{Orgs: affected.orgs, Kind: "domain.resumed", Object: "domain_suspension", ID: id, Link: "/domain/suspensions",
			Subject: "公共数据供给已恢复：" + reason})
	})
	return out, err
}

type suspensionScope struct {
	entries []int64
	orgs    []int64 // parties to notify
}

// suspensionAffected lists the entries a suspension covers and the parties
// to tell: their source departments and county authorities, the operator and
// the authority. Merchants using the data are told by the review chain's
// hook once applications exist (see the domain report).
func (tx *Tx) suspensionAffected(s *Suspension) (*suspensionScope, error) {
	q := `SELECT e.id, e.org_id, e.region FROM catalog_entries e`
	var args []any
	switch s.Scope {
	case SuspendEntry:
		q += ` WHERE e.id = ?`
		args = append(args, *s.EntryID)
	case SuspendDept:
		q += ` WHERE e.org_id = ?`
		args = append(args, *s.OrgID)
	}
	rows, err := tx.query(q+` ORDER BY e.id`, args...)
	if err != nil {
		return nil, err
	}
	out := &suspensionScope{}
	regions := map[string]bool{}
	for rows.Next() {
		var id, org int64
		var region string
		if err := rows.Scan(&id, &org, &region); err != nil {
			rows.Close()
			return nil, err
		}
		out.entries = append(out.entries, id)
		out.orgs = append(out.orgs, org)
		regions[region] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.OrgID != nil {
		out.orgs = append(out.orgs, *s.OrgID)
	}
	if s.Scope == SuspendPlatform {
		depts, err := tx.domainOrgsOfKind(string(shuyu.OrgSourceDept))
		if err != nil {
			return nil, err
		}
		out.orgs = append(out.orgs, depts...)
	}
	more, err := tx.domainOrgsOfKind(string(shuyu.OrgOperator), string(shuyu.OrgAuthority))
	if err != nil {
		return nil, err
	}
	out.orgs = append(out.orgs, more...)
	for r := range regions {
		if shuyu.IsCounty(r) {
			var cid int64
			err := tx.queryRow(`SELECT id FROM orgs WHERE kind = ? AND region = ? ORDER BY id LIMIT 1`,
				string(shuyu.OrgCountyAuthority), r).Scan(&cid)
			if err == nil {
				out.orgs = append(out.orgs, cid)
			} else if !isNoRows(err) {
				return nil, err
			}
		}
	}
	return out, nil
}

// domainSuspended reports whether supply of entry is suspended by any active
// suspension covering it (R27.3). The review chain refuses new applications
// for a suspended entry with it, in its own transaction.
func (tx *Tx) domainSuspended(entryID int64) (bool, error) {
	var n int
	err := tx.queryRow(`SELECT count(*) FROM domain_suspensions s WHERE s.resumed_at IS NULL AND (s.scope = 'platform'
		OR (s.scope = 'entry' AND s.entry_id = ?)
		OR (s.scope = 'dept' AND s.org_id = (SELECT org_id FROM catalog_entries WHERE id = ?)))`, entryID, entryID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlstore: domain suspended: %w", err)
	}
	return n > 0, nil
}

// EntrySuspended reports whether supply of entry is suspended (R27.3).
func (d *DB) EntrySuspended(ctx context.Context, entryID int64) (bool, error) {
	var s bool
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		s, err = tx.domainSuspended(entryID)
		return err
	})
	return s, err
}

// Suspensions lists suspensions, newest first; activeOnly hides resumed ones.
// Departments and county authorities see those covering their entries.
func (d *DB) Suspensions(ctx context.Context, actor *shuyu.Actor, activeOnly bool) ([]*Suspension, error) {
	if err := shuyu.Authorize(actor, shuyu.ActSuspensionRead, shuyu.Resource{Kind: "domain_suspension"}); err != nil {
		return nil, err
	}
	var out []*Suspension
	err := d.view(ctx, func(tx *Tx) error {
		q := `SELECT ` + suspensionCols + `, coalesce(e.org_id, s.org_id, 0), coalesce(e.region, o.region, '')` + suspensionFrom
		if activeOnly {
			q += ` WHERE s.resumed_at IS NULL`
		}
		rows, err := tx.query(q + ` ORDER BY s.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var owner int64
			var region string
			var s Suspension
			var created int64
			var resumed sql.NullInt64
			if err := rows.Scan(&s.ID, &s.Scope, &s.EntryID, &s.EntryCode, &s.OrgID, &s.OrgName, &s.Reason,
				&s.SuspendedBy, &created, &s.ResumedBy, &resumed, &s.ResumeReason, &owner, &region); err != nil {
				return err
			}
			s.CreatedAt, s.ResumedAt, s.Active = fromMicros(created), fromNullMicros(resumed), !resumed.Valid
			res := shuyu.Resource{Kind: "domain_suspension", OrgID: owner, Region: region, Exists: s.Scope != SuspendPlatform}
			if shuyu.Can(actor, shuyu.ActSuspensionRead, res) {
				out = append(out, &s)
			}
		}
		return rows.Err()
	})
	return out, err
}

// DomainVaultState lists every mounted entry's name in the vault and whether
// an active suspension covers it; the web layer makes the vault agree
// (vault.Suspend / Resume) after each change and at start-up.
func (d *DB) DomainVaultState(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT m.entry_id, m.vault_name FROM domain_mounts m ORDER BY m.entry_id`)
		if err != nil {
			return err
		}
		type mount struct {
			id   int64
			name string
		}
		var ms []mount
		for rows.Next() {
			var m mount
			if err := rows.Scan(&m.id, &m.name); err != nil {
				rows.Close()
				return err
			}
			ms = append(ms, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range ms {
			s, err := tx.domainSuspended(m.id)
			if err != nil {
				return err
			}
			out[m.name] = s
		}
		return nil
	})
	return out, err
}
