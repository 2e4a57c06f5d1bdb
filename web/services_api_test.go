package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/workspace/wstest"
)

// servicesEnv is a domain with enterprise data, a workspace for merchant-a
// and a server logging into a buffer.
type servicesEnv struct {
	*harness
	f    *wstest.Fixture
	logs *domainLogBuf
	ws   int64
	ver  *dataservice.DemoVerifier
}

func newServicesEnv(t *testing.T) *servicesEnv {
	t.Helper()
	f := wstest.New(t, "sqlite", 100)
	f.AddEntry(t, wstest.EnterpriseCode, wstest.EnterpriseTable, "enterprise", "企业登记信息", shuyu.GradeGeneral, 100)
	ws, err := f.DB.OpenWorkspace(t.Context(), f.Actors["operator-admin"], shuyu.WorkspaceGrant{
		OrgID: f.Actors["merchant-a"].OrgID, Name: "企业核验", StartsAt: wstest.Now, EndsAt: wstest.Now.AddDate(1, 0, 0),
		Entries: []shuyu.GrantEntry{{EntryCode: wstest.EnterpriseCode}}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &domainLogBuf{}
	ver := &dataservice.DemoVerifier{}
	s := New(Config{DB: f.DB, Vault: f.Vault, Data: f.Dir, Now: f.Clock.Now, Verifier: ver,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	srv := httptest.NewServer(conformingAnswers(t, s))
	t.Cleanup(srv.Close)
	h := &harness{t: t, db: f.DB, clock: f.Clock, srv: srv, actors: f.Actors, tokens: map[string]string{}}
	return &servicesEnv{harness: h, f: f, logs: logs, ws: ws.ID, ver: ver}
}

func (e *servicesEnv) column(col string) []string {
	rows := e.f.Raw[wstest.EnterpriseTable]
	for i, h := range rows[0] {
		if h == col {
			var out []string
			for _, r := range rows[1:] {
				out = append(out, r[i])
			}
			return out
		}
	}
	e.t.Fatalf("no column %s", col)
	return nil
}

// A merchant defines a service over HTTP, the check and the authority's
// filing make it public, a consumer takes a key and calls it: bad
// parameters are 400, no key 401, over quota 429; neither the key nor the
// parameters reach the log or the database files.
func TestServicesAPI_R28_4_DefineFileCallQuotaNoSecretsInLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a domain and a server")
	}
	e := newServicesEnv(t)
	def := map[string]any{"workspace_id": e.ws, "name": "企业信息核验", "description": "核验企业名称与信用代码是否一致及登记状态",
		"scenario": "供应链准入", "quota_day": 3, "subject_day": 5,
		"template": map[string]any{"subject": "uscc",
			"params": []map[string]string{{"name": "uscc", "kind": "uscc"}, {"name": "name", "kind": "org_name"}},
			"outputs": []map[string]any{
				{"name": "name_match", "kind": "match", "table": wstest.EnterpriseTable, "column": "name", "param": "name"},
				{"name": "status_band", "kind": "category", "table": wstest.EnterpriseTable, "column": "status",
					"groups": []map[string]any{{"label": "正常", "values": []string{"存续"}}, {"label": "异常", "values": []string{"注销", "吊销"}}}},
			}}}
	var svc shuyu.APIService
	e.call(e.token("merchant-a"), "POST", "/api/v1/services", def, 201, &svc)
	// Another merchant cannot check it, a merchant cannot file it.
	e.call(e.token("merchant-b"), "POST", fmt.Sprintf("/api/v1/services/%d/request", svc.ID), nil, 404, nil)
	e.call(e.token("merchant-a"), "POST", fmt.Sprintf("/api/v1/services/%d/request", svc.ID), nil, 200, &svc)
	if svc.Status != shuyu.ServiceChecked {
		t.Fatalf("check: %s %s", svc.Status, svc.CheckReport)
	}
	e.call(e.token("merchant-a"), "POST", fmt.Sprintf("/api/v1/services/%d/filing", svc.ID), nil, 403, nil)
	e.call(e.token("authority"), "POST", fmt.Sprintf("/api/v1/services/%d/filing", svc.ID), map[string]string{"filing_no": "ZWAPI-2026-0001"}, 200, &svc)
	var list struct {
		Items []publicService `json:"items"`
	}
	e.call("", "GET", "/api/v1/services", nil, 200, &list)
	if pub := list.Items; len(pub) != 1 || pub[0].FilingNo != "ZWAPI-2026-0001" || len(pub[0].Outputs) != 2 {
		t.Fatalf("public list: %+v", list)
	}
	var key struct {
		Secret string `json:"secret"`
	}
	e.call(e.token("merchant-b"), "POST", fmt.Sprintf("/api/v1/services/%d/keys", svc.ID), map[string]string{"label": "准入核验"}, 201, &key)
	usccs, names := e.column("uscc"), e.column("name")
	path := fmt.Sprintf("/api/v1/services/%d/call", svc.ID)
	bad := usccs[0][:17] + map[bool]string{true: "1", false: "0"}[usccs[0][17] == '0']
	resp, data := e.do(key.Secret, "POST", path, map[string]any{"params": map[string]string{"uscc": bad, "name": names[0]}})
	if resp.StatusCode != 400 || errCode(t, data) != shuyu.EINVALID || bytes.Contains(data, []byte(bad)) {
		t.Fatalf("bad check character: %d %s", resp.StatusCode, data)
	}
	if resp, _ := e.do("", "POST", path, map[string]any{"params": map[string]string{"uscc": usccs[0], "name": names[0]}}); resp.StatusCode != 401 {
		t.Fatalf("no key: %d", resp.StatusCode)
	}
	for i := range 3 {
		var ans dataservice.Answer
		e.call(key.Secret, "POST", path, map[string]any{"params": map[string]string{"uscc": usccs[i], "name": names[i]}}, 200, &ans)
		if len(ans.Answer) != 2 || ans.Answer["name_match"] != true {
			t.Fatalf("answer %d: %+v", i, ans)
		}
	}
	resp, data = e.do(key.Secret, "POST", path, map[string]any{"params": map[string]string{"uscc": usccs[3], "name": names[3]}})
	if resp.StatusCode != 429 {
		t.Fatalf("over quota: %d %s", resp.StatusCode, data)
	}
	// The consumer sees its usage; the provider too; nobody sees the secret.
	var keys struct {
		Items []shuyu.ServiceKey `json:"items"`
	}
	e.call(e.token("merchant-b"), "GET", "/api/v1/service-keys", nil, 200, &keys)
	if len(keys.Items) != 1 || keys.Items[0].CallsToday != 3 {
		t.Fatalf("keys: %+v", keys)
	}
	var usage struct {
		Items []shuyu.ServiceUsage `json:"items"`
	}
	e.call(e.token("merchant-a"), "GET", "/api/v1/service-usage", nil, 200, &usage)
	if len(usage.Items) != 1 || usage.Items[0].Calls != 3 {
		t.Fatalf("provider usage: %+v", usage)
	}
	secret := key.Secret[strings.LastIndex(key.Secret, "_")+1:]
	var files []byte
	paths, _ := filepath.Glob(filepath.Join(e.f.DB.DataDir(), "*"))
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		files = append(files, b...)
	}
	for what, hay := range map[string][]byte{"log": []byte(e.logs.String()), "database files": files} {
		for _, needle := range []string{secret, usccs[1], names[1]} {
			if bytes.Contains(hay, []byte(needle)) {
				t.Fatalf("the %s holds %q in clear", what, needle)
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("no database files read")
	}
	var calls struct {
		Items []shuyu.ServiceCall `json:"items"`
	}
	e.call(e.token("merchant-b"), "GET", "/api/v1/service-calls", nil, 200, &calls)
	js, _ := json.Marshal(calls)
	if len(calls.Items) != 3 || bytes.Contains(js, []byte(usccs[0])) {
		t.Fatalf("calls: %s", js)
	}
}

// The pages: the market lists the filed service, the consumer's work page
// its key and usage, the operator's monitor page opens; a company proves
// itself with a code on the public consent page and sees every call made
// about it.
func TestServicesPages_R28_4_R28_5_MarketWorkAndSubjectSeesUses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a domain and a server")
	}
	e := newServicesEnv(t)
	in := map[string]any{"workspace_id": e.ws, "name": "企业信息核验", "description": "核验企业名称与信用代码是否一致",
		"scenario": "供应链准入", "template": map[string]any{"subject": "uscc",
			"params":  []map[string]string{{"name": "uscc", "kind": "uscc"}, {"name": "name", "kind": "org_name"}},
			"outputs": []map[string]any{{"name": "name_match", "kind": "match", "table": wstest.EnterpriseTable, "column": "name", "param": "name"}}}}
	var svc shuyu.APIService
	e.call(e.token("merchant-a"), "POST", "/api/v1/services", in, 201, &svc)
	merchantA := uiAs(t, e.harness, "merchant-a")
	if st, _ := merchantA.follow(fmt.Sprintf("/services/%d/request", svc.ID), url.Values{}); st != 200 {
		t.Fatalf("request check page: %d", st)
	}
	if st, _ := uiAs(t, e.harness, "authority").follow(fmt.Sprintf("/services/%d/filing", svc.ID), url.Values{}); st != 200 {
		t.Fatalf("filing page: %d", st)
	}
	anon := newUIClient(t, e.harness)
	if st, body, _ := anon.get("/services"); st != 200 || !strings.Contains(body, "企业信息核验") {
		t.Fatalf("market: %d %s", st, e.logs.String())
	}
	bank := uiAs(t, e.harness, "merchant-b")
	st, body, _ := bank.post(fmt.Sprintf("/services/%d/keys", svc.ID), url.Values{"label": {"准入"}})
	i := strings.Index(body, `id="key-secret">`)
	if st != 200 || i < 0 {
		t.Fatalf("key page: %d", st)
	}
	key := body[i+len(`id="key-secret">`):]
	key = key[:strings.Index(key, "<")]
	usccs, names := e.column("uscc"), e.column("name")
	for range 2 {
		e.call(key, "POST", fmt.Sprintf("/api/v1/services/%d/call", svc.ID), map[string]any{"params": map[string]string{"uscc": usccs[0], "name": names[0]}}, 200, nil)
	}
	if st, body, _ := bank.get("/services/work"); st != 200 || !strings.Contains(body, "准入") && !strings.Contains(body, key[3:19]) {
		t.Fatalf("work page: %d", st)
	}
	if st, _, _ := uiAs(t, e.harness, "operator-admin").get("/services/flags"); st != 200 {
		t.Fatalf("flags page: %d", st)
	}
	// The company behind usccs[0] looks itself up.
	subject := newUIClient(t, e.harness)
	st, body, _ = subject.post("/consent/lookup", url.Values{"subject_kind": {"company"}, "subject_id": {usccs[0]}, "name": {"王建国"}, "mobile": {"13995512345"}})
	if st != 200 || !strings.Contains(body, `name="challenge"`) {
		t.Fatalf("lookup: %d %s", st, pageText(body))
	}
	ch := body[strings.Index(body, `name="challenge" value="`)+len(`name="challenge" value="`):]
	ch = ch[:strings.Index(ch, `"`)]
	if st, body, _ := subject.post("/consent/verify", url.Values{"challenge": {ch}, "code": {"000000"}}); st != 400 || !strings.Contains(body, "验证码错误") {
		t.Fatalf("wrong code: %d", st)
	}
	st, body = subject.follow("/consent/verify", url.Values{"challenge": {ch}, "code": {e.ver.Last("lookup")}})
	if st != 200 || strings.Count(body, "已应答") != 2 || !strings.Contains(body, "乙信息技术有限公司") {
		t.Fatalf("the subject's page: %d %s", st, pageText(body))
	}
	// Another visitor without the code sees only the form.
	if _, body, _ := anon.get("/consent"); strings.Contains(body, "已应答") {
		t.Fatal("the uses are shown without the code")
	}
	if st, body, _ := anon.get("/demo/outbox"); st != 200 || !strings.Contains(body, e.ver.Last("lookup")) {
		t.Fatalf("demo outbox: %d", st)
	}
}

// A consumer asks a company for its grant from the services page (R28.5):
// the consent-gated service is offered in the form, a refused form says why
// and sends nothing, the company confirms with its code on the public page,
// and the grant is then listed as live and opens the service to the caller.
func TestServicesPages_R28_5_ConsumerAsksForAGrantOnThePage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a domain and a server")
	}
	e := newServicesEnv(t)
	in := map[string]any{"workspace_id": e.ws, "name": "企业授权核验", "description": "经企业授权，核验企业名称与信用代码是否一致",
		"scenario": "供应链准入", "consent": true, "template": map[string]any{"subject": "uscc",
			"params":  []map[string]string{{"name": "uscc", "kind": "uscc"}, {"name": "name", "kind": "org_name"}},
			"outputs": []map[string]any{{"name": "name_match", "kind": "match", "table": wstest.EnterpriseTable, "column": "name", "param": "name"}}}}
	var svc shuyu.APIService
	e.call(e.token("merchant-a"), "POST", "/api/v1/services", in, 201, &svc)
	e.call(e.token("merchant-a"), "POST", fmt.Sprintf("/api/v1/services/%d/request", svc.ID), nil, 200, &svc)
	e.call(e.token("authority"), "POST", fmt.Sprintf("/api/v1/services/%d/filing", svc.ID), map[string]string{}, 200, &svc)
	if !svc.Consent || svc.Status != shuyu.ServiceFiled {
		t.Fatalf("service: %+v", svc)
	}
	bank := uiAs(t, e.harness, "merchant-b")
	st, body, _ := bank.post(fmt.Sprintf("/services/%d/keys", svc.ID), url.Values{"label": {"准入"}})
	i := strings.Index(body, `id="key-secret">`)
	if st != 200 || i < 0 {
		t.Fatalf("key page: %d", st)
	}
	key := body[i+len(`id="key-secret">`):]
	key = key[:strings.Index(key, "<")]
	usccs, names := e.column("uscc"), e.column("name")
	call := map[string]any{"params": map[string]string{"uscc": usccs[1], "name": names[1]}}
	e.call(key, "POST", fmt.Sprintf("/api/v1/services/%d/call", svc.ID), call, 403, nil)

	st, body, _ = bank.get("/services/work")
	if st != 200 || !strings.Contains(body, `id="ask-service-consent-form"`) || !strings.Contains(body, fmt.Sprintf(`<option value="%d"`, svc.ID)) {
		t.Fatalf("the work page has no request form for the service: %d %s", st, pageText(body))
	}
	ask := url.Values{"service_id": {fmt.Sprint(svc.ID)}, "subject_kind": {"company"}, "subject_id": {usccs[1]}, "name": {"王建国"},
		"mobile": {"13995512348"}, "purpose": {""}, "fields": {"企业名称"}, "days": {"30"}}
	sent := e.ver.Last("confirm")
	if st, body, _ = bank.post("/services/consents", ask); st != 400 || !strings.Contains(body, `id="consent-error"`) || e.ver.Last("confirm") != sent {
		t.Fatalf("no purpose: %d %s", st, pageText(body))
	}
	ask.Set("purpose", "供应商准入核验")
	st, body = bank.follow("/services/consents", ask)
	if st != 200 || !strings.Contains(body, "已向本人发送确认码") {
		t.Fatalf("asking: %d %s", st, pageText(body))
	}
	var grants struct {
		Items []*shuyu.Consent `json:"items"`
	}
	e.call(e.token("merchant-b"), "GET", "/api/v1/consents", nil, 200, &grants)
	if len(grants.Items) != 1 || grants.Items[0].ServiceID != svc.ID || grants.Items[0].Status != shuyu.ConsentPending {
		t.Fatalf("grants: %+v", grants.Items)
	}
	subject := newUIClient(t, e.harness)
	if st, body, _ := subject.post("/consent/confirm", url.Values{"consent": {fmt.Sprint(grants.Items[0].ID)}, "code": {e.ver.Last("confirm")}}); st != 200 || !strings.Contains(body, `id="consent-confirmed"`) {
		t.Fatalf("confirming: %d %s", st, pageText(body))
	}
	e.call(key, "POST", fmt.Sprintf("/api/v1/services/%d/call", svc.ID), call, 200, nil)
	if _, body, _ := bank.get("/services/work"); !strings.Contains(body, "供应商准入核验") {
		t.Fatalf("the grant is not listed: %s", pageText(body))
	}
	// The operator blocks the key from the key list (R28.4 reconstruction
	// control); the consumer cannot; the next call is refused.
	var keys struct {
		Items []*shuyu.ServiceKey `json:"items"`
	}
	e.call(e.token("merchant-b"), "GET", "/api/v1/service-keys", nil, 200, &keys)
	if len(keys.Items) != 1 {
		t.Fatalf("keys: %+v", keys.Items)
	}
	block := fmt.Sprintf("/services/keys/%d/block", keys.Items[0].ID)
	if st, _, _ := bank.post(block, url.Values{"reason": {"自行停用"}}); st != 403 {
		t.Fatalf("the consumer blocked a key on the operator's form: %d", st)
	}
	op := uiAs(t, e.harness, "operator-admin")
	if _, body, _ := op.get("/services/work"); !strings.Contains(body, `action="`+block+`"`) {
		t.Fatalf("no block form on the operator's key list: %s", pageText(body))
	}
	if st, body := op.follow(block, url.Values{"reason": {"疑似枚举查询"}}); st != 200 || !strings.Contains(body, "密钥已停用") {
		t.Fatalf("blocking: %d %s", st, pageText(body))
	}
	e.call(key, "POST", fmt.Sprintf("/api/v1/services/%d/call", svc.ID), call, 403, nil)
}

// The merchant defines a service from its workbench (R28.4): the form
// offers a template built from the workspace's table, a template that is
// not JSON or reads a column the workspace lacks is refused with the
// reason and saves nothing, and the example saves a draft the services
// page lists for its output check.
func TestServicesPages_R28_4_DefineFromTheWorkbench(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a domain and a server")
	}
	e := newServicesEnv(t)
	m := uiAs(t, e.harness, "merchant-a")
	wb := fmt.Sprintf("/workspaces/%d", e.ws)
	st, body, _ := m.get(wb)
	if st != 200 || !strings.Contains(body, `id="define-service-form"`) {
		t.Fatalf("workbench: %d %s", st, pageText(body))
	}
	ta := body[strings.Index(body, `id="ds-template"`):]
	ta = html.UnescapeString(ta[strings.Index(ta, ">")+1 : strings.Index(ta, "</textarea>")])
	if !strings.Contains(ta, `"subject": "uscc"`) || !strings.Contains(ta, `"kind": "match"`) {
		t.Fatalf("example template: %s", ta)
	}
	if _, body, _ := uiAs(t, e.harness, "merchant-b").get(wb); strings.Contains(body, `id="define-service-form"`) {
		t.Fatal("another merchant is offered the form")
	}
	mine := func() int {
		var l struct {
			Total int `json:"total"`
		}
		e.call(e.token("merchant-a"), "GET", "/api/v1/services/mine", nil, 200, &l)
		return l.Total
	}
	before := mine()
	form := url.Values{"name": {"企业名称核验"}, "scenario": {"供应链准入"}, "description": {"核验企业名称与信用代码是否一致"},
		"quota_day": {"1000"}, "subject_day": {"5"}, "template": {"{not json"}}
	if st, body, _ = m.post(wb+"/services", form); st != 400 || !strings.Contains(body, `id="service-error"`) || !strings.Contains(body, "企业名称核验") {
		t.Fatalf("not JSON: %d %s", st, pageText(body))
	}
	form.Set("template", strings.Replace(ta, `"column": "name"`, `"column": "no_such_column"`, 1))
	if st, body, _ = m.post(wb+"/services", form); st != 400 || !strings.Contains(body, `id="service-error"`) {
		t.Fatalf("unknown column: %d %s", st, pageText(body))
	}
	if n := mine(); n != before {
		t.Fatalf("refused forms saved services: %d → %d", before, n)
	}
	form.Set("template", ta)
	st, body = m.follow(wb+"/services", form)
	if st != 200 || !strings.Contains(body, "服务已保存为草稿") || !strings.Contains(body, "企业名称核验") {
		t.Fatalf("saving: %d %s", st, pageText(body))
	}
	if n := mine(); n != before+1 {
		t.Fatalf("services: %d → %d", before, n)
	}
}
