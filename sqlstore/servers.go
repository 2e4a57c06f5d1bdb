package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"shuyu"
)

// Domain roles of a server (docs/operations.md, "Several servers on one
// PostgreSQL"): exactly one live server owns the data domain.
const (
	DomainOwner = "owner"
	DomainNone  = "none"
)

// ServerLive is how long a server's heartbeat counts as alive. Servers
// write it every minute (and on each /healthz).
const ServerLive = 3 * time.Minute

// Server is one row of the servers list.
type Server struct {
	ID         string    `json:"id"`
	DataDir    string    `json:"data_dir"`
	Addr       string    `json:"addr"`
	DomainRole string    `json:"domain_role"`
	KeyID      string    `json:"key_id"`
	StartedAt  time.Time `json:"started_at"`
	SeenAt     time.Time `json:"seen_at"`
}

// RegisterServer records that this data directory's server starts with the
// given domain role and address (audited). An owner is refused while
// another server's row claims the domain and its heartbeat is fresh: two
// owners would each keep their own domain file (R4.2: one domain).
func (d *DB) RegisterServer(ctx context.Context, role, addr string) (*Server, error) {
	if role != DomainOwner && role != DomainNone {
		return nil, shuyu.Errorf(shuyu.EINVALID, "数据域角色须为 owner 或 none (domain role must be owner or none)")
	}
	id, err := d.ServerID()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: server id: %w", err)
	}
	abs, err := filepath.Abs(d.dataDir)
	if err != nil {
		return nil, err
	}
	_, keyID, err := d.currentSigner()
	if err != nil {
		return nil, err
	}
	var srv *Server
	err = d.update(ctx, shuyu.System, func(tx *Tx) error {
		if role == DomainOwner && !tx.holdsLease(id) {
			other, err := tx.liveOwner(id)
			if err != nil {
				return err
			}
			if other != nil {
				return shuyu.Errorf(shuyu.ECONFLICT,
					"数据域已由服务器 %s（%s，数据目录 %s）持有，最近心跳 %s；同一数据库上只能有一个 --domain=owner。请以 --domain=none 启动本服务器，或先停止该服务器并等待 %s (the data domain is owned by server %s at %s, data %s, last seen %s: start this one with --domain=none, or stop that one and wait %s)",
					other.ID, other.Addr, other.DataDir, other.SeenAt.Format(time.RFC3339), ServerLive,
					other.ID, other.Addr, other.DataDir, other.SeenAt.Format(time.RFC3339), ServerLive)
			}
		}
		n := micros(tx.now)
		if _, err := tx.exec(`DELETE FROM servers WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO servers (id, data_dir, addr, domain_role, key_id, started_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, abs, addr, role, keyID, n, n); err != nil {
			return err
		}
		srv = &Server{ID: id, DataDir: abs, Addr: addr, DomainRole: role, KeyID: keyID, StartedAt: tx.now, SeenAt: tx.now}
		return tx.audit(Change{Action: shuyu.AuditServerStart, ObjectType: "server", ObjectID: id,
			Detail: map[string]any{"domain_role": role, "addr": addr, "data_dir": abs, "key_id": keyID}})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: register server: %w", err)
	}
	return srv, nil
}

// holdsLease: server id holds the domain lease (it took it just before
// registering, so the lease, not the other rows' heartbeats, decides).
func (tx *Tx) holdsLease(id string) bool {
	var owner string
	err := tx.queryRow(`SELECT owner FROM domain_lease WHERE id = 1`).Scan(&owner)
	return err == nil && owner == id
}

// liveOwner is another server that owns the domain and was seen recently.
func (tx *Tx) liveOwner(self string) (*Server, error) {
	q := `SELECT id, data_dir, addr, domain_role, key_id, started_at, seen_at FROM servers
		WHERE domain_role = 'owner' AND id <> ? AND seen_at > ? ORDER BY seen_at DESC`
	if tx.d.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.query(q, self, micros(tx.now.Add(-ServerLive)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	s, err := scanServer(rows)
	return &s, err
}

func scanServer(rows interface{ Scan(...any) error }) (Server, error) {
	var s Server
	var st, seen int64
	err := rows.Scan(&s.ID, &s.DataDir, &s.Addr, &s.DomainRole, &s.KeyID, &st, &seen)
	s.StartedAt, s.SeenAt = fromMicros(st), fromMicros(seen)
	return s, err
}

// Servers lists the servers registered on this store, newest heartbeat
// first.
func (d *DB) Servers(ctx context.Context) ([]Server, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, data_dir, addr, domain_role, key_id, started_at, seen_at FROM servers ORDER BY seen_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: servers: %w", err)
	}
	defer rows.Close()
	var out []Server
	for rows.Next() {
		s, err := scanServer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DomainOwnerServer is the live server that owns the domain, or nil.
func (d *DB) DomainOwnerServer(ctx context.Context) (*Server, error) {
	rows, err := d.db.QueryContext(ctx, d.Rebind(`SELECT id, data_dir, addr, domain_role, key_id, started_at, seen_at FROM servers
		WHERE domain_role = 'owner' AND seen_at > ? ORDER BY seen_at DESC`), micros(d.now().Add(-ServerLive)))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: domain owner: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	s, err := scanServer(rows)
	return &s, err
}

// Heartbeat is the store's write probe (/healthz, and every minute): it
// commits one row update in a real write transaction, so a full disk, a
// read-only file system, a lost PostgreSQL primary or a locked database
// shows here. It is not an audited state change (invariant 2 covers what
// people and the platform decide; a heartbeat decides nothing), so it does
// not grow the trail. It answers false when this server has no row yet.
func (d *DB) Heartbeat(ctx context.Context) (bool, error) {
	id, err := d.ServerID()
	if err != nil {
		return false, err
	}
	done, err := d.writeTurn(ctx)
	if err != nil {
		return false, fmt.Errorf("sqlstore: write probe: %w", err)
	}
	res, err := d.db.ExecContext(ctx, d.Rebind(`UPDATE servers SET seen_at = ? WHERE id = ?`), micros(d.now()), id)
	done()
	if err != nil {
		return false, fmt.Errorf("sqlstore: write probe: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// IntegrityCheck runs SQLite's PRAGMA quick_check (every page of the file
// is read: seconds for a large store, so at start-up and on a schedule,
// not per request), or a round trip on PostgreSQL. A corrupted page is an
// error naming what SQLite found.
func (d *DB) IntegrityCheck(ctx context.Context) error {
	if d.dialect == Postgres {
		var one int
		if err := d.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
			return fmt.Errorf("sqlstore: integrity: PostgreSQL unreachable: %w", err)
		}
		return nil
	}
	rows, err := d.db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return fmt.Errorf("sqlstore: integrity: quick_check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return fmt.Errorf("sqlstore: integrity: quick_check: %w", err)
		}
		if m != "ok" && len(msgs) < 5 {
			msgs = append(msgs, m)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: integrity: quick_check: %w", err)
	}
	if len(msgs) > 0 {
		return fmt.Errorf("sqlstore: integrity: SQLite quick_check found damage: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// MountedVersion is a version the metadata says is current for an entry.
type MountedVersion struct {
	EntryID   int64  `json:"entry_id"`
	Code      string `json:"code"`
	OrgID     int64  `json:"org_id"`
	VaultName string `json:"vault_name"`
	Version   int    `json:"version"`
	Rows      int64  `json:"rows"`
}

// MountedVersions lists every entry the metadata says has data mounted
// (domain_mounts.version > 0): what the domain must hold.
func (d *DB) MountedVersions(ctx context.Context) ([]MountedVersion, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT m.entry_id, e.code, e.org_id, m.vault_name, m.version, m.rows_count
		FROM domain_mounts m JOIN catalog_entries e ON e.id = m.entry_id WHERE m.version > 0 ORDER BY m.entry_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: mounted versions: %w", err)
	}
	defer rows.Close()
	var out []MountedVersion
	for rows.Next() {
		var m MountedVersion
		if err := rows.Scan(&m.EntryID, &m.Code, &m.OrgID, &m.VaultName, &m.Version, &m.Rows); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkVersionsLost is `serve --recover`: the versions the domain no longer
// holds are recorded as lost, their entries unmounted (so no page shows
// rows that are not there and no query is answered "not granted" for data
// that is gone), the owning departments and the operator are notified to
// supply again, and each is an audited event (R10.2, R28.1).
func (d *DB) MarkVersionsLost(ctx context.Context, lost []MountedVersion, reason string) error {
	if len(lost) == 0 {
		return nil
	}
	err := d.update(ctx, shuyu.System, func(tx *Tx) error {
		ops, err := tx.domainOrgsOfKind(string(shuyu.OrgOperator))
		if err != nil {
			return err
		}
		marked := 0
		for _, m := range lost {
			res, err := tx.exec(`UPDATE domain_mounts SET version = 0, rows_count = 0, quality = 0, loaded_at = NULL
				WHERE entry_id = ? AND version = ?`, m.EntryID, m.Version)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // changed meanwhile
			}
			if _, err := tx.exec(`INSERT INTO domain_lost_versions (entry_id, version, rows_count, reason, recorded_at) VALUES (?, ?, ?, ?, ?)`,
				m.EntryID, m.Version, m.Rows, reason, micros(tx.now)); err != nil {
				return err
			}
			if err := tx.audit(Change{Action: shuyu.AuditDomainVersionLost, ObjectType: "catalog_entry", ObjectID: m.EntryID, Reason: reason,
				Detail: map[string]any{"code": m.Code, "vault_name": m.VaultName, "version": m.Version, "rows": m.Rows}}); err != nil {
				return err
			}
			if err := tx.domainNotify(domainNotice{Orgs: append([]int64{m.OrgID}, ops...), Kind: "domain.version_lost",
				Subject: fmt.Sprintf("资源 %s 的第 %d 版数据在数据域中丢失，已标记为未挂接，请重新提供数据 (version %d of %s was lost from the domain and is unmounted: please supply it again)", m.Code, m.Version, m.Version, m.Code),
				Object:  "catalog_entry", ID: m.EntryID, Link: fmt.Sprintf("/domain/entries/%d", m.EntryID)}); err != nil {
				return err
			}
			marked++
		}
		if marked == 0 {
			return errNoChange
		}
		return nil
	})
	if err != nil && err != errNoChange {
		return fmt.Errorf("sqlstore: mark versions lost: %w", err)
	}
	return nil
}
