package sqlstore

import (
	"fmt"
	"strings"
	"time"

	"shuyu"
)

var beijing = time.FixedZone("CST", 8*3600)

// workspaceForAgreement opens the merchant's workspace when an agreement
// takes effect (both parties signed, R19.1), in the signing transaction
// (signAgreement calls it), holding exactly the entries and fields of the
// approved application round, for the agreement's term (R14.1, R34.1).
func (tx *Tx) workspaceForAgreement(a *shuyu.Agreement) (*shuyu.Workspace, error) {
	g := shuyu.WorkspaceGrant{OrgID: a.MerchantOrgID, AgreementID: a.ID, Name: a.Title}
	if len([]rune(g.Name)) > 100 {
		g.Name = string([]rune(g.Name)[:100])
	}
	start, err1 := time.ParseInLocation(time.DateOnly, a.TermStart, beijing)
	end, err2 := time.ParseInLocation(time.DateOnly, a.TermEnd, beijing)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("sqlstore: workspace for agreement %d: term %q to %q", a.ID, a.TermStart, a.TermEnd)
	}
	// R2.1: data marked secret since the approval does not enter the
	// workspace; the agreement cannot take effect over it.
	if err := tx.roundSecretRefuse(a.ApplicationID, a.Round, "进入开发利用环境"); err != nil {
		return nil, err
	}
	// The term runs to the end of its last day, Beijing time.
	g.StartsAt, g.EndsAt = start, end.AddDate(0, 0, 1)
	rows, err := tx.query(`SELECT entry_id, fields FROM application_items WHERE application_id = ? AND round = ? ORDER BY id`,
		a.ApplicationID, a.Round)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: workspace for agreement: %w", err)
	}
	for rows.Next() {
		var e shuyu.GrantEntry
		var fields string
		if err := rows.Scan(&e.EntryID, &fields); err != nil {
			rows.Close()
			return nil, err
		}
		for _, f := range strings.Split(fields, ",") {
			if f = strings.TrimSpace(f); f != "" {
				e.Fields = append(e.Fields, f)
			}
		}
		g.Entries = append(g.Entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return tx.workspaceOpen(g)
}
