package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"shuyu"
)

// where renders the filter as a WHERE clause (with its leading space) and
// its arguments; empty when nothing is selected. Actor matches the
// username exactly or any part of the display name, so a reader can search
// the trail by the name the pages show.
func (f EventFilter) where() (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	if f.Action != "" && f.ExactAction {
		add(`action = ?`, f.Action)
	} else if f.Action != "" {
		add(`action LIKE ?`, strings.ReplaceAll(f.Action, "%", "")+"%")
	}
	if f.ObjectType != "" {
		add(`object_type = ?`, f.ObjectType)
	}
	if f.ObjectID != "" {
		add(`object_id = ?`, f.ObjectID)
	}
	if f.ActorID != 0 {
		add(`actor_id = ?`, f.ActorID)
	}
	if f.Actor != "" {
		name := "%" + strings.NewReplacer("%", "", "_", "").Replace(f.Actor) + "%"
		add(`(actor_name = ? OR actor_id IN (SELECT id FROM users WHERE display_name LIKE ?))`, f.Actor, name)
	}
	if f.OrgID != 0 {
		add(`actor_org_id = ?`, f.OrgID)
	}
	if !f.From.IsZero() {
		add(`time >= ?`, micros(f.From))
	}
	if !f.To.IsZero() {
		add(`time < ?`, micros(f.To))
	}
	if f.AfterSeq > 0 {
		add(`seq < ?`, f.AfterSeq)
	}
	if len(where) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(where, ` AND `), args
}

// Person is how pages name someone: the display name and the organization
// they belong to, never just the account name.
type Person struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"` // display name; the username when none is set
	OrgID    int64  `json:"org_id"`
	OrgName  string `json:"org_name"`
}

// People names the given user IDs (unknown IDs are left out). It is not
// authorized: callers already hold records that carry these IDs and only
// need to show who they are; it reveals a display name and an
// organization, nothing an account could be reached with.
func (d *DB) People(ctx context.Context, ids []int64) (map[int64]Person, error) {
	out := make(map[int64]Person, len(ids))
	seen := make(map[int64]bool, len(ids))
	var list []any
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			list = append(list, id)
		}
	}
	for len(list) > 0 {
		n := min(len(list), 500)
		batch := list[:n]
		list = list[n:]
		q := `SELECT u.id, u.username, u.display_name, u.org_id, COALESCE(o.name, '') FROM users u
			LEFT JOIN orgs o ON o.id = u.org_id WHERE u.id IN (?` + strings.Repeat(`,?`, len(batch)-1) + `)`
		err := d.view(ctx, func(tx *Tx) error {
			rows, err := tx.query(q, batch...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var p Person
				if err := rows.Scan(&p.ID, &p.Username, &p.Name, &p.OrgID, &p.OrgName); err != nil {
					return err
				}
				if strings.TrimSpace(p.Name) == "" {
					p.Name = p.Username
				}
				out[p.ID] = p
			}
			return rows.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: people: %w", err)
		}
	}
	return out, nil
}

// OrgName is an organization's id and name, for filters and labels.
type OrgName struct {
	ID   int64
	Name string
	Kind shuyu.OrgKind
}

// OrgNames lists every organization's name (the public portal names
// departments and filed products' providers too), by kind then name.
func (d *DB) OrgNames(ctx context.Context) ([]OrgName, error) {
	var out []OrgName
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, name, kind FROM orgs ORDER BY kind, name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o OrgName
			if err := rows.Scan(&o.ID, &o.Name, &o.Kind); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: org names: %w", err)
	}
	return out, nil
}

// PersonByUsername names one account by its username (ok false when there
// is none). Like People it is not authorized: it turns an account name a
// page already shows into the person's name and organization.
func (d *DB) PersonByUsername(ctx context.Context, username string) (Person, bool, error) {
	var p Person
	err := d.db.QueryRowContext(ctx, d.Rebind(`SELECT u.id, u.username, u.display_name, u.org_id, COALESCE(o.name, '') FROM users u
		LEFT JOIN orgs o ON o.id = u.org_id WHERE u.username = ?`), username).Scan(&p.ID, &p.Username, &p.Name, &p.OrgID, &p.OrgName)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("sqlstore: person: %w", err)
	}
	if strings.TrimSpace(p.Name) == "" {
		p.Name = p.Username
	}
	return p, true, nil
}
