package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"shuyu"
	"shuyu/keys"
)

// Personal columns sealed at rest (docs/operations.md, "Encryption at
// rest"; PIPL art. 51, 等保 level 3). The persons' data the metadata store
// keeps — a registering merchant's legal representative, contact name,
// mobile number and e-mail (merchant_registrations) — is stored as
// "sm4:" + base64 of an SM4-GCM envelope under the key ring's KEK, with the
// key id inside (keys.Ring.Seal) and bound to its column and the company's
// credit code, so a value copied into another row or column does not open.
// They are not searchable: no query filters or sorts on them (reviewers
// find registrations by company, credit code and status, which stay in
// clear). Values written by an earlier release are sealed at Open.

const sealedPrefix = "sm4:"

// personalColumns are the sealed columns of merchant_registrations.
var personalColumns = []string{"legal_rep", "contact_name", "contact_phone", "contact_email"}

func personalAD(column, uscc string) []byte {
	return []byte("shuyu/personal/merchant_registrations/" + column + "/" + uscc)
}

func (d *DB) sealPersonal(column, uscc, v string) (string, error) {
	b, err := d.keys.Seal(keys.KEK, []byte(v), personalAD(column, uscc))
	if err != nil {
		return "", fmt.Errorf("sqlstore: seal %s: %w", column, err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(b), nil
}

func (d *DB) openPersonal(column, uscc, v string) (string, error) {
	if !strings.HasPrefix(v, sealedPrefix) {
		return v, nil // not yet sealed (sealLegacyPersonal runs at Open)
	}
	b, err := base64.StdEncoding.DecodeString(v[len(sealedPrefix):])
	if err == nil {
		b, err = d.keys.Open(keys.KEK, b, personalAD(column, uscc))
	}
	if err != nil {
		return "", fmt.Errorf("sqlstore: open sealed %s: %w", column, err)
	}
	return string(b), nil
}

// sealRegistration seals g's personal fields in place of the clear ones.
func (d *DB) sealRegistration(g *shuyu.Registration) (legal, name, phone, email string, err error) {
	vals := []*string{&legal, &name, &phone, &email}
	for i, v := range []string{g.LegalRep, g.ContactName, g.ContactPhone, g.ContactEmail} {
		if *vals[i], err = d.sealPersonal(personalColumns[i], g.USCC, v); err != nil {
			return
		}
	}
	return
}

// openRegistration replaces g's sealed personal fields by their values.
func (d *DB) openRegistration(g *shuyu.Registration) error {
	for i, f := range []*string{&g.LegalRep, &g.ContactName, &g.ContactPhone, &g.ContactEmail} {
		v, err := d.openPersonal(personalColumns[i], g.USCC, *f)
		if err != nil {
			return err
		}
		*f = v
	}
	return nil
}

// sealLegacyPersonal seals the personal columns of rows an earlier release
// wrote in clear, in one audited transaction, then (SQLite) rewrites the
// file so the clear values do not linger in free pages or the WAL.
func (d *DB) sealLegacyPersonal(ctx context.Context) error {
	var n int
	if err := d.db.QueryRowContext(ctx, d.Rebind(`SELECT count(*) FROM merchant_registrations WHERE contact_phone NOT LIKE ?`),
		sealedPrefix+"%").Scan(&n); err != nil || n == 0 {
		return err
	}
	err := d.update(ctx, shuyu.System, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, uscc, legal_rep, contact_name, contact_phone, contact_email FROM merchant_registrations
			WHERE contact_phone NOT LIKE ?`, sealedPrefix+"%")
		if err != nil {
			return err
		}
		var gs []shuyu.Registration
		for rows.Next() {
			var g shuyu.Registration
			if err := rows.Scan(&g.ID, &g.USCC, &g.LegalRep, &g.ContactName, &g.ContactPhone, &g.ContactEmail); err != nil {
				rows.Close()
				return err
			}
			gs = append(gs, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range gs {
			l, c, p, e, err := d.sealRegistration(&g)
			if err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE merchant_registrations SET legal_rep = ?, contact_name = ?, contact_phone = ?, contact_email = ?
				WHERE id = ?`, l, c, p, e, g.ID); err != nil {
				return err
			}
		}
		return tx.audit(Change{Action: shuyu.AuditPersonalSeal, ObjectType: "registration",
			Detail: map[string]any{"rows": len(gs), "columns": personalColumns}})
	})
	if err != nil {
		return fmt.Errorf("sqlstore: seal personal columns: %w", err)
	}
	if d.dialect == SQLite {
		if _, err := d.db.ExecContext(ctx, `VACUUM`); err != nil {
			return err
		}
		_, err = d.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	return err
}
