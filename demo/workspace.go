package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
	"shuyu/workspace"
)

// WorkspaceEntries are the demo entries merchant-a's workspace holds: the
// population register and the medical settlements.
var WorkspaceEntries = []string{"ZW-GA-0001", "ZW-YB-0001"}

// Workspace gives merchant-a an active workspace over the demo population
// register and medical settlements (issue 6, item 7), with simulated twins
// ready, so the sandbox can be tried at once. Call it after the catalog and
// the domain data are seeded; it does nothing when merchant-a has a
// workspace already (a restart keeps it). An agreement in force for
// merchant-a is linked. It acts as the system actor, so the trail shows who
// set the demo up. The simulated databases are closed before it returns, so
// the server may open them.
func Workspace(ctx context.Context, db *sqlstore.DB, v *vault.Domain, dataDir string, now func() time.Time) (*shuyu.Workspace, error) {
	if now == nil {
		now = time.Now
	}
	org, err := db.OrgByName(ctx, merchantAOrg())
	if err != nil {
		return nil, fmt.Errorf("demo: workspace: %w", err)
	}
	all, err := db.Workspaces(ctx, shuyu.System)
	if err != nil {
		return nil, fmt.Errorf("demo: workspace: %w", err)
	}
	var ws *shuyu.Workspace
	for _, w := range all {
		if w.OrgID == org.ID && w.Status == shuyu.WorkspaceActive {
			ws = w
			break
		}
	}
	if ws == nil {
		g := shuyu.WorkspaceGrant{OrgID: org.ID, Name: "居民就医与人口结构分析（演示）",
			StartsAt: now().UTC(), EndsAt: now().UTC().AddDate(1, 0, 0)}
		if agrs, err := db.Agreements(ctx, shuyu.System); err == nil {
			for _, a := range agrs {
				if a.MerchantOrgID == org.ID && a.Status == shuyu.AgrEffective {
					g.AgreementID = a.ID
					break
				}
			}
		}
		for _, code := range WorkspaceEntries {
			if _, err := db.DomainEntryByCode(ctx, code); err == nil {
				g.Entries = append(g.Entries, shuyu.GrantEntry{EntryCode: code})
			}
		}
		if len(g.Entries) == 0 {
			return nil, fmt.Errorf("demo: workspace: the catalog has none of %v yet", WorkspaceEntries)
		}
		if ws, err = db.OpenWorkspace(ctx, shuyu.System, g); err != nil {
			return nil, fmt.Errorf("demo: workspace: %w", err)
		}
	}
	if v != nil {
		svc := workspace.New(db, v, dataDir, now)
		defer svc.Close()
		if err := svc.EnsureSimulated(ctx, shuyu.System, ws.ID); err != nil {
			return nil, fmt.Errorf("demo: workspace: %w", err)
		}
	}
	return ws, nil
}

func merchantAOrg() string {
	for _, a := range Accounts {
		if a.Username == "merchant-a" {
			return a.Org
		}
	}
	return ""
}
