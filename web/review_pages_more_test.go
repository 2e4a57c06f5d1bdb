package web

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/workday"
)

// reviewuiMount registers the pages of review_pages_*.go on a built server
// unless reviewPages already did (it should call s.reviewuiPages()).
func reviewuiMount(s *Server) {
	for _, p := range uiOf(s).pages {
		if p.path == "/register" {
			return
		}
	}
	n := len(s.routes)
	s.reviewuiPages()
	for _, rt := range s.routes[n:] {
		s.mux.Handle(rt.method+" "+rt.pattern, s.adapt(rt))
	}
}

// reviewuiHarness is newHarness with these pages mounted.
func reviewuiHarness(t *testing.T, env *sqltest.Env) *harness {
	t.Helper()
	s := New(Config{DB: env.DB, Now: env.Clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	reviewuiMount(s)
	return serveHarness(t, env, s)
}

// reviewuiPNG and reviewuiPDF are the smallest files their types sniff as.
var (
	reviewuiPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	reviewuiPDF = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
)

// multipart posts a multipart form with files ("files" parts) as the
// page would; cross sends it without an Origin (a cross-site post).
func (u *uiClient) multipart(path string, form url.Values, files map[string][]byte, cross bool) (int, string, string) {
	u.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", u.h.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if !cross {
		req.Header.Set("Origin", u.h.srv.URL)
	}
	return u.do(req)
}

// reviewuiDocsOnPages has the operator draft the onboarding rules and the
// agreement template on the documents pages and the authority approve
// them there (R18.1, R19.1).
func reviewuiDocsOnPages(t *testing.T, h *harness) {
	t.Helper()
	op, auth := uiAs(t, h, "operator-admin"), uiAs(t, h, "authority")
	st, page, _ := op.get("/review/documents/new?kind=agreement_template")
	if st != 200 || !strings.Contains(page, "进场交易条件") || !strings.Contains(page, "违约责任") {
		t.Fatalf("template form %d lacks the ten clauses: %s", st, pageText(page))
	}
	form := url.Values{"kind": {shuyu.DocAgreementTemplate}, "title": {"公共数据开发利用格式协议"}}
	for _, k := range shuyu.ClauseKeys {
		form.Set("clause_"+k, "双方就"+shuyu.ClauseTitles[k]+"约定：{{scenario}}；{{data_scope}}；{{term}}")
	}
	form.Set("clause_liability", "")
	if st, page, _ := op.post("/review/documents", form); st != 400 || !strings.Contains(page, "条款正文须为 4 至 10000 字") ||
		!strings.Contains(page, "双方就进场交易条件约定") {
		t.Fatalf("a missing clause: %d %s", st, pageText(page))
	}
	form.Set("clause_liability", "违约方依法承担赔偿责任。")
	if st, page := op.follow("/review/documents", form); st != 200 || !strings.Contains(page, "草稿已保存") || !strings.Contains(page, "违约方依法承担赔偿责任") {
		t.Fatalf("template draft: %d %s", st, pageText(page))
	}
	rules := url.Values{"kind": {shuyu.DocOnboardingRules}, "title": {"数据商入驻规则（试行）"},
		"body": {"一、数据商应为依法设立的企业法人。\n二、数据商应具备数据安全保护能力。"}}
	if st, _ := op.follow("/review/documents", rules); st != 200 {
		t.Fatalf("rules draft: %d", st)
	}
	// The operator cannot approve; the authority sees both drafts with a button.
	_, page, _ = auth.get("/review/documents")
	for _, kind := range []string{shuyu.DocOnboardingRules, shuyu.DocAgreementTemplate} {
		ds, err := h.db.Documents(t.Context(), h.actors["authority"], kind)
		if err != nil || len(ds) != 1 || ds[0].Status != shuyu.DocDraft {
			t.Fatalf("%s drafts %v %v", kind, ds, err)
		}
		if !strings.Contains(page, fmt.Sprintf(`id="approve-%d"`, ds[0].ID)) {
			t.Fatalf("authority lacks the approve button for %s: %s", kind, pageText(page))
		}
		if st, _, _ := op.post(fmt.Sprintf("/review/documents/%d/approve", ds[0].ID), nil); st != 403 {
			t.Fatalf("operator approves its own draft: %d", st)
		}
		if st, page := auth.follow(fmt.Sprintf("/review/documents/%d/approve", ds[0].ID), nil); st != 200 || !strings.Contains(page, "已审定，该版本现行有效") {
			t.Fatalf("approve %s: %d %s", kind, st, pageText(page))
		}
	}
}

// reviewuiRegForm is a complete registration for the page.
func reviewuiRegForm(h *harness, uscc, username string) url.Values {
	rules, err := h.db.CurrentDocument(h.t.Context(), shuyu.DocOnboardingRules)
	if err != nil {
		h.t.Fatal(err)
	}
	return url.Values{"company": {"丙智能数据服务有限公司"}, "uscc": {uscc}, "legal_rep": {"赵六"}, "contact_name": {"钱七"},
		"contact_phone": {"13995512345"}, "contact_email": {"qian@example.com"}, "business_scope": {"数据处理和存储支持服务"},
		"security_statement": {"已建立数据安全管理制度，通过网络安全等级保护三级测评，设专职数据安全负责人。"},
		"username":           {username}, "password": {sqltest.Password}, "password2": {sqltest.Password}, "agree": {"1"},
		"rules_doc_id": {fmt.Sprint(rules.ID)}}
}

func reviewuiRegCount(t *testing.T, h *harness) int {
	t.Helper()
	regs, err := h.db.Registrations(t.Context(), h.actors["operator-admin"], "")
	if err != nil {
		t.Fatal(err)
	}
	return len(regs)
}

// A company registers on the public page with its licence; bad input is
// refused with the reason and creates nothing; the operator accepts (the
// page shows the 5-working-day deadline with the days left), asks for
// more material, the applicant adds it on its status page (the clock
// restarts), the deadline passes and the queue shows it overdue, and the
// operator registers the company, whose account then logs in (R18.1, R18.2).
func TestReviewUI_R18_1_R18_2_RegisterOnThePage(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := reviewuiHarness(t, env)
		anon := newUIClient(t, h)
		if st, page, _ := anon.get("/register"); st != 200 || !strings.Contains(page, "尚未审定数据商入驻规则") || strings.Contains(page, `id="reg-form"`) {
			t.Fatalf("register without rules: %d %s", st, pageText(page))
		}
		reviewuiDocsOnPages(t, h)
		st, page, _ := anon.get("/register")
		if st != 200 || !strings.Contains(page, "数据商应具备数据安全保护能力") || !strings.Contains(page, "第 1 版") {
			t.Fatalf("register page lacks the rules in force: %s", pageText(page))
		}

		good := ident18(t)
		form := reviewuiRegForm(h, good, "bing-data")
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("uscc", good[:17]+map[bool]string{true: "1", false: "2"}[good[17] != '1'])
		for _, c := range []struct {
			name   string
			form   url.Values
			files  map[string][]byte
			cross  bool
			status int
			want   string
		}{
			{"bad credit code", bad, map[string][]byte{"执照.png": reviewuiPNG}, false, 400, "统一社会信用代码无效"},
			{"text file", form, map[string][]byte{"执照.txt": []byte("not a licence")}, false, 400, "须为 PDF、PNG 或 JPEG"},
			{"no licence", form, nil, false, 400, "请上传营业执照等证照"},
			{"cross-site", form, map[string][]byte{"执照.png": reviewuiPNG}, true, 403, "跨站请求被拒绝"},
		} {
			st, page, _ := anon.multipart("/register", c.form, c.files, c.cross)
			if st != c.status || !strings.Contains(page, c.want) {
				t.Fatalf("%s: %d %s", c.name, st, pageText(page))
			}
			if c.status == 400 && (!strings.Contains(page, `value="丙智能数据服务有限公司"`) || strings.Contains(page, sqltest.Password)) {
				t.Fatalf("%s: the refused form lost the input or echoed the password", c.name)
			}
			if n := reviewuiRegCount(t, h); n != 0 {
				t.Fatalf("%s: %d registrations stored", c.name, n)
			}
		}
		st, _, loc := anon.multipart("/register", form, map[string][]byte{"营业执照.png": reviewuiPNG}, false)
		if st != 303 || !strings.HasPrefix(loc, "/register/") {
			t.Fatalf("register: %d %s", st, loc)
		}
		_, page, _ = anon.get(loc)
		if !strings.Contains(page, "查询码：") || !strings.Contains(page, "已提交") || !strings.Contains(page, "营业执照.png") {
			t.Fatalf("status page: %s", pageText(page))
		}
		regs, _ := h.db.Registrations(t.Context(), h.actors["operator-admin"], "")
		id := regs[0].ID
		if _, page, _ = anon.get(loc); strings.Contains(page, "查询码：") {
			t.Fatal("the tracking code is shown more than once")
		}

		// The operator accepts: the deadline is 5 working days on (R18.2).
		op := uiAs(t, h, "operator-reviewer")
		_, page, _ = op.get("/review/registrations")
		if !strings.Contains(page, "丙智能数据服务有限公司") || !strings.Contains(page, "待受理") {
			t.Fatalf("queue: %s", pageText(page))
		}
		regPath := fmt.Sprintf("/review/registrations/%d", id)
		st, page = op.follow(regPath+"/accept", nil)
		cal, _ := workday.New()
		due, _ := cal.Due(h.clock.Now(), shuyu.OnboardingDays)
		left := "剩余 5 个工作日" // the day the clock starts: the five working days after it (R18.2)
		if st != 200 || !strings.Contains(page, due.Format(time.DateOnly)) || !strings.Contains(page, left) {
			t.Fatalf("accepted (due %s): %s", due.Format(time.DateOnly), pageText(page))
		}
		if _, page := op.follow(regPath+"/request-material", url.Values{"reason": {""}}); !strings.Contains(page, "须说明需补充的材料") {
			t.Fatalf("material without saying what: %s", pageText(page))
		}
		if _, page := op.follow(regPath+"/request-material", url.Values{"reason": {"请补充等保测评报告"}}); !strings.Contains(page, "待补充材料") {
			t.Fatalf("material: %s", pageText(page))
		}
		// The applicant adds the report; the clock restarts two days later.
		h.clock.Advance(48 * time.Hour)
		_, page, _ = anon.get(loc)
		if !strings.Contains(page, "请补充等保测评报告") || !strings.Contains(page, `id="supplement-form"`) {
			t.Fatalf("applicant does not see the request: %s", pageText(page))
		}
		if st, page, _ := anon.multipart(loc+"/supplement", url.Values{"note": {"已补充"}}, map[string][]byte{"测评.txt": []byte("x")}, false); st != 303 ||
			reviewuiRegStatus(t, h, id) != shuyu.RegMoreMaterial {
			t.Fatalf("bad supplement: %d %s", st, pageText(page))
		}
		st, _, _ = anon.multipart(loc+"/supplement", url.Values{"note": {"已补充测评报告"}}, map[string][]byte{"等保测评.pdf": reviewuiPDF}, false)
		due, _ = cal.Due(h.clock.Now(), shuyu.OnboardingDays)
		if _, page, _ = anon.get(loc); st != 303 || !strings.Contains(page, "已受理") || !strings.Contains(page, due.Format(time.DateOnly)) ||
			!strings.Contains(page, "等保测评.pdf") {
			t.Fatalf("supplemented (due %s): %d %s", due.Format(time.DateOnly), st, pageText(page))
		}

		// Past the deadline the queue shows it overdue.
		h.clock.Set(due.Add(time.Minute))
		op = uiAs(t, h, "operator-admin")
		_, page, _ = op.get("/review/registrations")
		if !strings.Contains(page, "deadline-overdue") || !strings.Contains(page, `id="reg-overdue"`) {
			t.Fatalf("overdue not shown: %s", pageText(page))
		}
		if _, page := op.follow(regPath+"/decide", url.Values{"decision": {"refuse"}, "reason": {""}}); !strings.Contains(page, "不予入驻须说明理由") {
			t.Fatalf("refusal without reasons: %s", pageText(page))
		}
		if _, page := op.follow(regPath+"/decide", url.Values{"decision": {"register"}, "reason": {"材料齐全"}}); !strings.Contains(page, "已入驻") {
			t.Fatalf("register: %s", pageText(page))
		}
		if _, page, _ = anon.get(loc); !strings.Contains(page, "bing-data") || !strings.Contains(page, "已准予入驻") {
			t.Fatalf("applicant does not see the decision: %s", pageText(page))
		}
		if _, page, _ := uiAs(t, h, "bing-data").get("/applications"); !strings.Contains(page, "使用申请") {
			t.Fatalf("the new merchant cannot work: %s", pageText(page))
		}

		// Another browser follows it with the number and the code only.
		other := newUIClient(t, h)
		if st, _, loc := other.get(loc); st != 303 || !strings.Contains(loc, "/register/status") {
			t.Fatalf("status page without the code: %d %s", st, loc)
		}
		if st, page, _ := other.post("/register/status", url.Values{"id": {fmt.Sprint(id)}, "token": {"wrong"}}); st != 404 ||
			!strings.Contains(page, "申请编号或查询码不正确") {
			t.Fatalf("wrong code: %d %s", st, pageText(page))
		}
	})
}

var reviewuiSeq atomic.Uint64

// ident18 is a valid unified social credit code (GB 32100).
func ident18(t *testing.T) string {
	t.Helper()
	return ident.GenUSCC(rand.New(rand.NewPCG(reviewuiSeq.Add(1), 18)), "640502")
}

func reviewuiRegStatus(t *testing.T, h *harness, id int64) string {
	t.Helper()
	g, err := h.db.Registration(t.Context(), h.actors["operator-admin"], id)
	if err != nil {
		t.Fatal(err)
	}
	return g.Status
}

// reviewuiDocs approves the onboarding rules and the agreement template
// through the store (operator drafts, authority approves).
func reviewuiDocs(t *testing.T, h *harness) *shuyu.Document {
	t.Helper()
	rules := &shuyu.Document{Kind: shuyu.DocOnboardingRules, Title: "数据商入驻规则", Body: "数据商应具备数据安全保护能力，遵守管理办法。"}
	var cs []shuyu.Clause
	for _, k := range shuyu.ClauseKeys {
		cs = append(cs, shuyu.Clause{Key: k, Title: shuyu.ClauseTitles[k], Text: "双方约定：{{scenario}}；{{data_scope}}；{{term}}"})
	}
	tpl := &shuyu.Document{Kind: shuyu.DocAgreementTemplate, Title: "公共数据开发利用格式协议", Clauses: cs}
	for _, d := range []*shuyu.Document{rules, tpl} {
		if err := h.db.CreateDocument(t.Context(), h.actors["operator-admin"], d); err != nil {
			t.Fatal(err)
		}
		if _, err := h.db.ApproveDocument(t.Context(), h.actors["authority"], d.ID); err != nil {
			t.Fatal(err)
		}
	}
	return rules
}

// reviewuiRegister registers a seeded merchant organization through the
// store (submit, accept, register) and returns its registration id.
func reviewuiRegister(t *testing.T, h *harness, rules *shuyu.Document, company, username string) int64 {
	t.Helper()
	in := sqlstore.RegistrationInput{Registration: shuyu.Registration{Company: company, USCC: ident18(t), LegalRep: "张三",
		ContactName: "李四", ContactPhone: "13800138000", BusinessScope: "数据处理服务",
		SecurityStatement: "已建立数据安全管理制度并通过等保三级测评，设专职数据安全负责人。", Username: username,
		RulesDocID: rules.ID}, Password: "Merchant-pass-2026"}
	g, _, err := h.db.SubmitRegistration(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	op := h.actors["operator-admin"]
	if _, err := h.db.AcceptRegistration(t.Context(), op, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.DecideRegistration(t.Context(), op, g.ID, true, "材料齐全"); err != nil {
		t.Fatal(err)
	}
	return g.ID
}

// The operator suspends, resumes and ends merchants on the merchants page
// (a reason is required), the period report lists every change with the
// counts at its end, exports as .xlsx and is filed with the authority,
// who opens it from its inbox (R18.3); others get 403.
func TestReviewUI_R18_3_MerchantsAndReport(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := reviewuiHarness(t, env)
		rules := reviewuiDocs(t, h)
		a := reviewuiRegister(t, h, rules, "甲数据科技有限公司", "merchant-a")
		b := reviewuiRegister(t, h, rules, "乙信息技术有限公司", "merchant-b")
		op := uiAs(t, h, "operator-admin")
		_, page, _ := op.get("/review/merchants")
		if !strings.Contains(page, "甲数据科技有限公司") || !strings.Contains(page, "乙信息技术有限公司") {
			t.Fatalf("merchants: %s", pageText(page))
		}
		pa, pb := fmt.Sprintf("/review/registrations/%d", a), fmt.Sprintf("/review/registrations/%d", b)
		if _, page := op.follow(pa+"/status", url.Values{"event": {"suspend"}}); !strings.Contains(page, "须填写原因") ||
			reviewuiRegStatus(t, h, a) != shuyu.RegRegistered {
			t.Fatalf("suspend without reason: %s", pageText(page))
		}
		h.clock.Advance(time.Minute)
		if _, page := op.follow(pa+"/status", url.Values{"event": {"suspend"}, "reason": {"数据安全整改"}}); !strings.Contains(page, `id="merchant-resume"`) {
			t.Fatalf("suspended: %s", pageText(page))
		}
		h.clock.Advance(time.Minute)
		op.follow(pb+"/status", url.Values{"event": {"exit"}, "reason": {"主动申请退出"}})
		if _, page, _ = op.get("/review/merchants?status=suspended"); !strings.Contains(page, "甲数据科技有限公司") || strings.Contains(page, "乙信息技术有限公司") {
			t.Fatalf("filter: %s", pageText(page))
		}
		// merchant-b may not suspend merchant-a (the store refuses it).
		if st, _, _ := uiAs(t, h, "merchant-b").post(pa+"/status", url.Values{"event": {"resume"}, "reason": {"恢复"}}); st != 303 ||
			reviewuiRegStatus(t, h, a) != shuyu.RegSuspended {
			t.Fatalf("merchant-b changed merchant-a: %d", st)
		}

		_, page, _ = op.get("/review/reports?from=2026-11-01&to=2026-11-30")
		for _, want := range []string{"甲数据科技有限公司", "数据安全整改", "主动申请退出", "已暂停", "已退出", `id="report-file"`} {
			if !strings.Contains(page, want) {
				t.Fatalf("report lacks %q: %s", want, pageText(page))
			}
		}
		if !strings.Contains(page, `<dd id="report-registered">0</dd>`) || !strings.Contains(page, `<dd id="report-suspended">1</dd>`) {
			t.Fatalf("report counts: %s", pageText(page))
		}
		req, _ := http.NewRequest("GET", h.srv.URL+"/review/reports/export?from=2026-11-01&to=2026-11-30", nil)
		resp, err := op.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		xlsx, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") || !bytes.HasPrefix(xlsx, []byte("PK")) {
			t.Fatalf("xlsx: %d %s %.20q", resp.StatusCode, resp.Header.Get("Content-Type"), xlsx)
		}
		if st, page, _ := op.get("/review/reports?from=2026-13-01&to=x"); st != 400 || !strings.Contains(page, "报告期须为") {
			t.Fatalf("bad period: %d %s", st, pageText(page))
		}
		st, page := op.follow("/review/reports", url.Values{"from": {"2026-11-01"}, "to": {"2026-11-30"}})
		if st != 200 || !strings.Contains(page, "报告已报送主管部门") || !strings.Contains(page, "主动申请退出") {
			t.Fatalf("file: %d %s", st, pageText(page))
		}
		ns, _, err := h.db.Inbox(t.Context(), h.actors["authority"], 10, false)
		if err != nil || len(ns) == 0 || !strings.HasPrefix(ns[0].Link, "/review/reports/") {
			t.Fatalf("authority inbox %+v %v", ns, err)
		}
		if st, page, _ := uiAs(t, h, "authority").get(ns[0].Link); st != 200 || !strings.Contains(page, "数据安全整改") || strings.Contains(page, `id="report-file"`) {
			t.Fatalf("authority opens the filed report: %d %s", st, pageText(page))
		}
		for _, who := range []string{"merchant-a", "dept-gongan"} {
			if st, _, _ := uiAs(t, h, who).get("/review/reports"); st != 403 {
				t.Fatalf("%s opens the report page: %d", who, st)
			}
		}
		if st, _, _ := uiAs(t, h, "authority").post("/review/reports", url.Values{"from": {"2026-11-01"}, "to": {"2026-11-30"}}); st != 403 {
			t.Fatalf("authority files the operator's report: %d", st)
		}
	})
}
