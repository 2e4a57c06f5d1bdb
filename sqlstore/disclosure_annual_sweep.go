package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"shuyu"
	"shuyu/workday"
)

// disclosureDueAt is the end of the due day of the year's disclosure
// (31 March of the next year, Beijing), an inclusive bound.
func disclosureDueAt(year int) time.Time {
	return time.Date(year+1, shuyu.DisclosureDueMonth, shuyu.DisclosureDueDay, 23, 59, 59, 999_999_999, workday.Zone)
}

// Disclosure reminder stages, each sent once per year (NDIS.1).
var disclosureStages = []struct {
	kind, title string
	due         func(tx *Tx, year int) (bool, error)
}{
	// From 1 January: the previous year is to be disclosed by 31 March.
	{"disclosure.remind", "请于 %s 前发布 %d 年度授权运营信息披露", func(*Tx, int) (bool, error) { return true, nil }},
	// When 10 working days or fewer are left.
	{"disclosure.soon", "距 %[2]d 年度信息披露截止（%[1]s）不足 10 个工作日", func(tx *Tx, year int) (bool, error) {
		cal, err := tx.calendar()
		if err != nil {
			return false, err
		}
		return cal.WorkdaysLeft(tx.now, disclosureDueAt(year)) <= shuyu.DisclosureSoonWorkdays, nil
	}},
	// After the due day.
	{"disclosure.overdue", "%[2]d 年度授权运营信息披露已超过截止日期（%[1]s）", func(tx *Tx, year int) (bool, error) {
		return workday.Overdue(disclosureDueAt(year), tx.now), nil
	}},
}

// sweepDisclosure reminds the authority and the operator of the previous
// year's disclosure until it is published: from January, when 10 working
// days are left, and when it is overdue (NDIS.1). Each stage is sent once;
// the notices themselves are the record that it was sent, read in the same
// transaction that writes them, so two sweepers send it once.
func (d *DB) sweepDisclosure(ctx context.Context) (int, error) {
	sent := 0
	err := d.update(ctx, shuyu.System, func(tx *Tx) error {
		sent = 0
		year := tx.now.In(workday.Zone).Year() - 1
		var status string
		err := tx.queryRow(`SELECT status FROM disclosures WHERE year = ?`, year).Scan(&status)
		if err != nil && !isNoRows(err) {
			return err
		}
		if status == shuyu.DisclosurePublished {
			return errSweepNothing
		}
		orgs, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		ops, err := tx.orgsOfKind(shuyu.OrgOperator)
		if err != nil {
			return err
		}
		orgs = append(orgs, ops...)
		if len(orgs) == 0 {
			return errSweepNothing
		}
		id := strconv.Itoa(year)
		for _, st := range disclosureStages {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM notices WHERE kind = ? AND object_type = 'disclosure' AND object_id = ?`,
				st.kind, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			due, err := st.due(tx, year)
			if err != nil {
				return err
			}
			if !due {
				continue
			}
			if err := tx.notifyOrgs(orgs, Notice{Kind: st.kind, Title: fmt.Sprintf(st.title, shuyu.DisclosureDue(year), year),
				ObjectType: "disclosure", ObjectID: id, Link: "/disclosures"}); err != nil {
				return err
			}
			if err := tx.audit(Change{Action: shuyu.AuditDisclosureRemind, ObjectType: "disclosure", ObjectID: year,
				Detail: map[string]any{"stage": st.kind, "due": shuyu.DisclosureDue(year), "rule": "NDIS.1"}}); err != nil {
				return err
			}
			sent++
		}
		if sent == 0 {
			return errSweepNothing
		}
		return nil
	})
	if errors.Is(err, errSweepNothing) {
		err = nil
	}
	return sent, err
}
