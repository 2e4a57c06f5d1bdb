package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"shuyu"
	"shuyu/ident"
)

// RegistrySweep is what one registry sweep did.
type RegistrySweep struct {
	Registered int `json:"registered"` // notices ended without an open objection: code assigned
	Lapsed     int `json:"lapsed"`     // validity ended without renewal (NREG.8)
	Reminded   int `json:"reminded"`   // renewal windows opened (60 days before expiry)
	// FirstReminded: first registrations not applied for within 20
	// working days of supply or delivery, reminded (NREG.4; its own
	// transaction, sweepRegistryDue).
	FirstReminded int `json:"first_reminded"`
}

// sweepRegistry: what the clock decides for registrations — the code at
// the end of the public notice (NREG.3, NREG.7), the renewal reminder when
// the window opens and the lapse at the end of validity (NREG.8). Each row
// moves with a conditional UPDATE, so two sweepers do it once.
func (d *DB) sweepRegistry(ctx context.Context) (RegistrySweep, error) {
	var rep RegistrySweep
	err := d.update(ctx, shuyu.System, func(tx *Tx) error {
		rep = RegistrySweep{}
		today := beijingDay(tx.now)
		due, err := tx.rgyIDs(`SELECT id FROM registry_records WHERE status = ? AND notice_due < ? ORDER BY notice_due, id LIMIT ?`,
			shuyu.RgyNotice, micros(tx.now), sweepBatch)
		if err != nil {
			return err
		}
		for _, id := range due {
			if err := tx.rgyAssign(id, ""); err != nil {
				return err
			}
			rep.Registered++
		}
		lapsed, err := tx.rgyIDs(`SELECT id FROM registry_records WHERE status = ? AND valid_until <> '' AND valid_until < ? ORDER BY id LIMIT ?`,
			shuyu.RgyRegistered, today, sweepBatch)
		if err != nil {
			return err
		}
		for _, id := range lapsed {
			g, err := tx.registry(id)
			if err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE registry_records SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
				shuyu.RgyLapsed, micros(tx.now), id, shuyu.RgyRegistered); err != nil {
				return err
			}
			if err := tx.audit(Change{Action: shuyu.AuditRegistryLapse, ObjectType: "registry", ObjectID: id,
				Detail: map[string]any{"valid_until": g.ValidUntil, "code": g.Code, "rule": "NREG.8"}}); err != nil {
				return err
			}
			if err := tx.notify(Notice{OrgID: g.SubjectOrgID, Kind: "registry.lapsed", Title: fmt.Sprintf("登记“%s”（%s）有效期已届满，未续期", g.Name, g.Code),
				ObjectType: "registry", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/registry/%d", id)}); err != nil {
				return err
			}
			rep.Lapsed++
		}
		from, err := parseDay(today)
		if err != nil {
			return err
		}
		edge := from.AddDate(0, 0, shuyu.RgyRenewalWindow).Format(time.DateOnly)
		remind, err := tx.rgyIDs(`SELECT id FROM registry_records WHERE status = ? AND valid_until <> '' AND valid_until <= ? AND reminded = '' ORDER BY id LIMIT ?`,
			shuyu.RgyRegistered, edge, sweepBatch)
		if err != nil {
			return err
		}
		for _, id := range remind {
			g, err := tx.registry(id)
			if err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE registry_records SET reminded = 'renewal', updated_at = ? WHERE id = ? AND reminded = ''`, micros(tx.now), id); err != nil {
				return err
			}
			if err := tx.audit(Change{Action: shuyu.AuditRegistryRemind, ObjectType: "registry", ObjectID: id,
				Detail: map[string]any{"valid_until": g.ValidUntil, "rule": "NREG.8"}}); err != nil {
				return err
			}
			if err := tx.notify(Notice{OrgID: g.SubjectOrgID, Kind: "registry.renewal", Title: fmt.Sprintf("登记“%s”将于 %s 到期，请在到期前申请续期", g.Name, g.ValidUntil),
				ObjectType: "registry", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/registry/%d", id)}); err != nil {
				return err
			}
			rep.Reminded++
		}
		if rep == (RegistrySweep{}) {
			return errSweepNothing
		}
		return nil
	})
	if errors.Is(err, errSweepNothing) {
		err = nil
	}
	return rep, err
}

func (tx *Tx) rgyIDs(q string, args ...any) ([]int64, error) {
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// rgyAssign registers an application whose notice ended: a first
// registration gets a new code (NREG.7, the draft structure, ident.
// RegistryCode) and 3 years of validity, shortened to the operator's
// authorization when that ends earlier (NREG.8); a change or correction
// takes over the parent's code and validity; a renewal the code and 3
// more years. The parent is superseded. received is a code received from
// the national registry (RecordNationalCode, already checked): it is
// recorded instead of a code assigned here.
func (tx *Tx) rgyAssign(id int64, received string) error {
	g, err := tx.registry(id)
	if err != nil {
		return err
	}
	today := beijingDay(tx.now)
	code, from, until := "", today, ""
	var parent *shuyu.RegistryRecord
	if g.ParentID != 0 {
		if parent, err = tx.registry(g.ParentID); err != nil {
			return err
		}
		code, from, until = parent.Code, parent.ValidFrom, parent.ValidUntil
	}
	threeYears := func(start string) (string, error) {
		t, err := parseDay(start)
		if err != nil {
			return "", err
		}
		end := t.AddDate(shuyu.RgyValidityYears, 0, -1).Format(time.DateOnly)
		if last, err := tx.authorizationLastDay(today); err != nil {
			return "", err
		} else if last != "" && last < end {
			end = last
		}
		return end, nil
	}
	switch g.Type {
	case shuyu.RgyFirst:
		org, err := tx.org(g.SubjectOrgID)
		if err != nil {
			return err
		}
		kind := byte(ident.RegistryResource)
		if g.Kind == shuyu.RgyProduct {
			kind = ident.RegistryProduct
		}
		region := (org.Region + "0000")[:4]
		prefix := fmt.Sprintf("%c%s%s", kind, org.Code, region)
		if received != "" {
			code = received
		} else {
			serial, err := tx.rgyNextSerial(prefix)
			if err != nil {
				return err
			}
			if code, err = ident.RegistryCode(kind, org.Code, region, serial); err != nil {
				return err
			}
		}
		if until, err = threeYears(today); err != nil {
			return err
		}
	case shuyu.RgyRenewal:
		end, err := parseDay(parent.ValidUntil)
		if err != nil {
			return err
		}
		from = end.AddDate(0, 0, 1).Format(time.DateOnly)
		if until, err = threeYears(from); err != nil {
			return err
		}
		from = parent.ValidFrom
	}
	res, err := tx.exec(`UPDATE registry_records SET status = ?, code = ?, registered_at = ?, valid_from = ?, valid_until = ?, updated_at = ?
		WHERE id = ? AND status = ?`, shuyu.RgyRegistered, code, micros(tx.now), from, until, micros(tx.now), id, shuyu.RgyNotice)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if received != "" {
			return shuyu.Errorf(shuyu.ECONFLICT, "登记状态已变化，请刷新 (state changed)")
		}
		return nil
	}
	if parent != nil {
		if _, err := tx.exec(`UPDATE registry_records SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			shuyu.RgySuperseded, micros(tx.now), parent.ID, shuyu.RgyRegistered); err != nil {
			return err
		}
	}
	act, detail := shuyu.AuditRegistryRegister, map[string]any{"code": code, "valid_from": from, "valid_until": until, "type": g.Type, "parent_id": g.ParentID, "rule": "NREG.7"}
	if received != "" {
		act, detail["source"] = shuyu.AuditRegistryNationalCode, "national"
	}
	if err := tx.audit(Change{Action: act, ObjectType: "registry", ObjectID: id, Detail: detail}); err != nil {
		return err
	}
	return tx.notify(Notice{OrgID: g.SubjectOrgID, Kind: "registry.registered", Title: fmt.Sprintf("登记“%s”已赋码：%s，有效期至 %s", g.Name, code, until),
		ObjectType: "registry", ObjectID: fmt.Sprint(id), Link: fmt.Sprintf("/registry/%d", id)})
}

// rgyNextSerial takes the next serial number of a code prefix.
func (tx *Tx) rgyNextSerial(prefix string) (int64, error) {
	var last int64
	err := tx.queryRow(`SELECT last_serial FROM registry_serials WHERE prefix = ?`, prefix).Scan(&last)
	switch {
	case isNoRows(err):
		_, err = tx.exec(`INSERT INTO registry_serials (prefix, last_serial) VALUES (?, 1)`, prefix)
		return 1, err
	case err != nil:
		return 0, err
	}
	_, err = tx.exec(`UPDATE registry_serials SET last_serial = ? WHERE prefix = ?`, last+1, prefix)
	return last + 1, err
}

// authorizationLastDay is the last day of the operator's authorization in
// force on day, or "" when none is.
func (tx *Tx) authorizationLastDay(day string) (string, error) {
	all, err := tx.authorizations(`WHERE a.status IN (?, ?) AND a.term_start <= ? ORDER BY a.id DESC`, shuyu.AuthzEffective, shuyu.AuthzEnded, day)
	if err != nil {
		return "", err
	}
	last := ""
	for _, a := range all {
		if a.InForce(day) && a.LastDay() > last {
			last = a.LastDay()
		}
	}
	return last, nil
}
