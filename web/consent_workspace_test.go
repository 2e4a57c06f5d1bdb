package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/workspace/wstest"
)

// Over HTTP (R28.5): the operator opens a workspace by consent, a person
// grants merchant-a the use of its record there and confirms with its code,
// the merchant's queries count the use, the workbench says the workspace is
// by consent, and the person's public page lists the workspace's queries.
func TestConsentWorkspacePages_R28_5_SubjectSeesQueryUses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a domain and a server")
	}
	e := newServicesEnv(t)
	var ws shuyu.Workspace
	e.call(e.token("operator-admin"), "POST", "/api/v1/workspaces", map[string]any{"org_id": e.actors["merchant-a"].OrgID,
		"name": "养老需求分析（按授权）", "starts_at": wstest.Now, "ends_at": wstest.Now.Add(365 * 24 * time.Hour),
		"entries": []map[string]string{{"entry_code": wstest.PopulationCode}}, "by_consent": true}, 201, &ws)
	if !ws.ByConsent {
		t.Fatalf("opened without by_consent: %+v", ws)
	}
	rows := e.f.Raw[wstest.PopulationTable]
	id, name := "", ""
	for i, h := range rows[0] {
		switch h {
		case "id_number":
			id = rows[1][i]
		case "name":
			name = rows[1][i]
		}
	}
	var c shuyu.Consent
	e.call(e.token("merchant-a"), "POST", "/api/v1/consents", map[string]any{"subject_kind": "person", "subject_id": id, "name": name,
		"mobile": "13995512345", "workspace_id": ws.ID, "purpose": "养老服务需求统计", "fields": []string{"性别", "出生日期"}, "days": 90}, 201, &c)
	e.call("", "POST", fmt.Sprintf("/api/v1/public/consents/%d/confirm", c.ID), map[string]string{"code": e.ver.Last("confirm")}, 200, &c)
	if c.Status != shuyu.ConsentLive || c.WorkspaceID != ws.ID {
		t.Fatalf("grant: %+v", c)
	}
	e.call(e.token("merchant-a"), "POST", fmt.Sprintf("/api/v1/workspaces/%d/queries", ws.ID),
		map[string]string{"sql": "SELECT count(*) AS n FROM " + wstest.PopulationTable, "data": "real"}, 200, nil)
	if st, body, _ := uiAs(t, e.harness, "merchant-a").get(fmt.Sprintf("/workspaces/%d", ws.ID)); st != 200 || !strings.Contains(body, `id="by-consent"`) {
		t.Fatalf("workbench: %d", st)
	}
	subject := newUIClient(t, e.harness)
	st, body, _ := subject.post("/consent/lookup", url.Values{"subject_kind": {"person"}, "subject_id": {id}, "name": {name}, "mobile": {"13995512345"}})
	if st != 200 || !strings.Contains(body, `name="challenge"`) {
		t.Fatalf("lookup: %d %s", st, pageText(body))
	}
	ch := body[strings.Index(body, `name="challenge" value="`)+len(`name="challenge" value="`):]
	ch = ch[:strings.Index(ch, `"`)]
	st, body = subject.follow("/consent/verify", url.Values{"challenge": {ch}, "code": {e.ver.Last("lookup")}})
	if st != 200 || !strings.Contains(body, "统计查询使用了您的数据") || !strings.Contains(body, "工作区：养老需求分析（按授权）") {
		t.Fatalf("the subject's page: %d %s", st, pageText(body))
	}
}
