package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/workday"
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

// The same flow on the pages only (R28.5, R14.1): the operator opens a
// workspace by consent from the list page's form (a refused form changes
// nothing and says why), the merchant sees no live grant and asks a person
// for one from the workbench, the person confirms with the code on the
// public confirmation page, the workbench counts the live grant, a real
// query run from the editor counts a use, and the person's page lists it.
// Another merchant cannot ask for grants in the workspace.
func TestConsentWorkspaceForms_R28_5_OpenAskConfirmQueryOnPages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a domain and a server")
	}
	e := newServicesEnv(t)
	op := uiAs(t, e.harness, "operator-admin")
	st, body, _ := op.get("/workspaces")
	if st != 200 || !strings.Contains(body, `id="open-workspace-form"`) || !strings.Contains(body, `value="`+wstest.PopulationCode+`"`) {
		t.Fatalf("the operator's list has no opening form with the population entry: %d %s", st, pageText(body))
	}
	if _, body, _ := uiAs(t, e.harness, "merchant-a").get("/workspaces"); strings.Contains(body, `id="open-workspace-form"`) {
		t.Fatal("a merchant is offered the opening form")
	}
	count := func() int {
		var all struct {
			Total int `json:"total"`
		}
		e.call(e.token("operator-admin"), "GET", "/api/v1/workspaces", nil, 200, &all)
		return all.Total
	}
	before := count()
	day := wstest.Now.In(workday.Zone).Format(time.DateOnly)
	end := wstest.Now.In(workday.Zone).AddDate(1, 0, 0).Format(time.DateOnly)
	form := url.Values{"org_id": {fmt.Sprint(e.actors["merchant-a"].OrgID)}, "name": {"养老需求分析（页面开通）"},
		"starts_at": {day}, "ends_at": {end}, "by_consent": {"1"}}
	// No entry chosen: refused with the reason, the input kept, nothing opened.
	st, body, _ = op.post("/workspaces", form)
	if st != 400 || !strings.Contains(body, "须授权 1 至 50 个目录") || !strings.Contains(body, "养老需求分析（页面开通）") {
		t.Fatalf("opening without entries: %d %s", st, pageText(body))
	}
	// A term ending before it starts: refused on the page too.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("ends_at", wstest.Now.In(workday.Zone).AddDate(0, 0, -3).Format(time.DateOnly))
	bad["entries"] = []string{wstest.PopulationCode}
	if st, body, _ = op.post("/workspaces", bad); st != 400 || !strings.Contains(body, "结束时间须晚于开始时间") {
		t.Fatalf("a reversed term: %d %s", st, pageText(body))
	}
	noStart := url.Values{}
	for k, v := range bad {
		noStart[k] = v
	}
	noStart.Del("starts_at")
	if st, body, _ = op.post("/workspaces", noStart); st != 400 || !strings.Contains(body, `<div class="span field-error">请填写开始日期</div>`) {
		t.Fatalf("no start date: %d %s", st, pageText(body))
	}
	if n := count(); n != before {
		t.Fatalf("refused forms opened workspaces: %d → %d", before, n)
	}
	form["entries"] = []string{wstest.PopulationCode}
	st, _, loc := op.post("/workspaces", form)
	if st != 303 || !strings.HasPrefix(loc, "/workspaces/") {
		t.Fatalf("opening: %d %q", st, loc)
	}
	var ws shuyu.Workspace
	e.call(e.token("operator-admin"), "GET", "/api/v1"+loc, nil, 200, &ws)
	if !ws.ByConsent || ws.OrgID != e.actors["merchant-a"].OrgID || len(ws.Grants) != 1 ||
		ws.StartsAt.In(workday.Zone).Format(time.DateOnly) != day || ws.EndsAt.In(workday.Zone).Format(time.DateOnly) != end {
		t.Fatalf("opened: %+v", ws)
	}

	m := uiAs(t, e.harness, "merchant-a")
	st, body, _ = m.get(loc)
	if st != 200 || !strings.Contains(body, `id="by-consent"`) || !strings.Contains(body, "当前有效授权 0 份") || !strings.Contains(body, `id="ask-consent-form"`) {
		t.Fatalf("the merchant's workbench: %d %s", st, pageText(body))
	}
	if st, body, _ := uiAs(t, e.harness, "merchant-b").post(loc+"/consents", url.Values{}); st != 404 && st != 403 {
		t.Fatalf("another merchant asked for a grant in merchant-a's workspace: %d %s", st, pageText(body))
	}
	rows := e.f.Raw[wstest.PopulationTable]
	id, name := "", ""
	for i, h := range rows[0] {
		switch h {
		case "id_number":
			id = rows[2][i]
		case "name":
			name = rows[2][i]
		}
	}
	ask := url.Values{"subject_kind": {"person"}, "subject_id": {id[:17] + "X"}, "name": {name}, "mobile": {"13995512346"},
		"purpose": {"养老服务需求统计"}, "fields": {"性别、出生日期"}, "days": {"90"}}
	if id[17] == 'X' {
		ask.Set("subject_id", id[:17]+"0")
	}
	// A wrong check digit: refused before anything is sent.
	sent := e.ver.Last("confirm")
	st, body, _ = m.post(loc+"/consents", ask)
	if st != 400 || !strings.Contains(body, `id="consent-error"`) || e.ver.Last("confirm") != sent {
		t.Fatalf("a bad ID number: %d %s", st, pageText(body))
	}
	ask.Set("subject_id", id)
	st, body = m.follow(loc+"/consents", ask)
	if st != 200 || !strings.Contains(body, "已向本人发送确认码") {
		t.Fatalf("asking: %d %s", st, pageText(body))
	}
	var grants struct {
		Items []*shuyu.Consent `json:"items"`
	}
	e.call(e.token("merchant-a"), "GET", "/api/v1/consents", nil, 200, &grants)
	var c *shuyu.Consent
	for _, g := range grants.Items {
		if g.WorkspaceID == ws.ID {
			c = g
		}
	}
	if c == nil || c.Status != shuyu.ConsentPending || !strings.Contains(body, fmt.Sprintf("授权编号 %d", c.ID)) {
		t.Fatalf("the pending grant: %+v", grants)
	}

	subject := newUIClient(t, e.harness)
	st, body, _ = subject.post("/consent/confirm", url.Values{"consent": {fmt.Sprint(c.ID)}, "code": {e.ver.Last("confirm")}})
	if st != 200 || !strings.Contains(body, `id="consent-confirmed"`) {
		t.Fatalf("confirming: %d %s", st, pageText(body))
	}
	st, body, _ = m.get(loc)
	if st != 200 || !strings.Contains(body, "当前有效授权 1 份") {
		t.Fatalf("the workbench after the grant: %d %s", st, pageText(body))
	}
	st, body, _ = m.post(loc+"/query", url.Values{"sql": {"SELECT count(*) AS n FROM " + wstest.PopulationTable}, "data": {"real"}})
	if st != 200 || strings.Contains(body, `id="query-error"`) {
		t.Fatalf("a real query from the editor: %d %s", st, pageText(body))
	}
	st, body, _ = subject.post("/consent/lookup", url.Values{"subject_kind": {"person"}, "subject_id": {id}, "name": {name}, "mobile": {"13995512346"}})
	if st != 200 || !strings.Contains(body, `name="challenge"`) {
		t.Fatalf("lookup: %d %s", st, pageText(body))
	}
	ch := body[strings.Index(body, `name="challenge" value="`)+len(`name="challenge" value="`):]
	ch = ch[:strings.Index(ch, `"`)]
	st, body = subject.follow("/consent/verify", url.Values{"challenge": {ch}, "code": {e.ver.Last("lookup")}})
	if st != 200 || !strings.Contains(body, "统计查询使用了您的数据") || !strings.Contains(body, "工作区：养老需求分析（页面开通）") {
		t.Fatalf("the subject's page: %d %s", st, pageText(body))
	}
}
