package demo

import (
	"context"
	"fmt"
	"time"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/sqlstore"
	"shuyu/synth"
	"shuyu/vault"
	"shuyu/workspace"
)

// ConsentWorkspaceName is merchant-a's demo workspace opened by consent.
const ConsentWorkspaceName = "居家养老服务需求分析（按授权使用，演示）"

// ConsentWorkspacePeople is how many synthetic people grant merchant-a the
// use of their population records in that workspace: more than its K (15),
// so a count over them is released.
const ConsentWorkspacePeople = 24

// ConsentWorkspace gives the demo a consent-gated workspace (R28.5, issue
// 17): merchant-a's workspace over the population register, opened by
// consent; synthetic people (the 11th to the 34th of the register) grant
// merchant-a the use of their records for it, confirmed with their codes;
// one governed count is run, so each of them sees a use on the public
// consent page (/consent). Idempotent. Call after SeedDomain.
func ConsentWorkspace(ctx context.Context, db *sqlstore.DB, v *vault.Domain, dataDir string, now func() time.Time, ver *dataservice.DemoVerifier) error {
	if v == nil || ver == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	m, err := demoActor(ctx, db, "merchant-a")
	if err != nil {
		return fmt.Errorf("demo: consent workspace: %w", err)
	}
	all, err := db.Workspaces(ctx, m)
	if err != nil {
		return fmt.Errorf("demo: consent workspace: %w", err)
	}
	for _, w := range all {
		if w.Name == ConsentWorkspaceName {
			return nil
		}
	}
	ws, err := db.OpenWorkspace(ctx, shuyu.System, shuyu.WorkspaceGrant{OrgID: m.OrgID, Name: ConsentWorkspaceName,
		StartsAt: now().UTC(), EndsAt: now().UTC().AddDate(1, 0, 0), ByConsent: true,
		Entries: []shuyu.GrantEntry{{EntryCode: "ZW-GA-0001"}}})
	if err != nil {
		return fmt.Errorf("demo: consent workspace: %w", err)
	}
	wsSvc := workspace.New(db, v, dataDir, now)
	defer wsSvc.Close()
	svc := dataservice.New(db, v, wsSvc, ver, now)
	for i := 10; i < 10+ConsentWorkspacePeople; i++ {
		p := synth.PersonAt(DomainSeed, i, now())
		mobile := p.Phone
		if mobile == "" {
			mobile = fmt.Sprintf("1399552%04d", i)
		}
		c, err := svc.RequestConsent(ctx, m, dataservice.ConsentAsk{
			Subject:     dataservice.Subject{Kind: shuyu.SubjectPerson, ID: p.IDNumber, Name: p.Name, Mobile: mobile},
			WorkspaceID: ws.ID, Purpose: "社区居家养老服务需求统计（演示）", Fields: []string{"性别", "出生日期", "户籍所在区县"}, Days: 365})
		if err != nil {
			return fmt.Errorf("demo: consent workspace: %w", err)
		}
		if _, err := db.ConfirmConsent(ctx, c.ID, ver.Last("confirm")); err != nil {
			return fmt.Errorf("demo: consent workspace: %w", err)
		}
	}
	table := ws.Grants[0].Table
	if _, err := wsSvc.Query(ctx, m, ws.ID, "SELECT count(*) AS 已授权人数 FROM "+table, shuyu.DataReal); err != nil {
		return fmt.Errorf("demo: consent workspace: %w", err)
	}
	return nil
}
