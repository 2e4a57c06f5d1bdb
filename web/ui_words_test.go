package web

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"shuyu"
	"shuyu/demo"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
	"shuyu/vault"
)

// zhAllowedLatin are the Latin words a Chinese page may contain: product
// and format names, units, algorithm names and protocol names. Everything
// else Latin inside Chinese text is an English fragment to translate.
var zhAllowedLatin = map[string]bool{
	"Excel": true, "xlsx": true, "CSV": true, "JSON": true, "JSONL": true, "Lines": true, "Parquet": true, "PDF": true,
	"PNG": true, "JPEG": true, "UTF": true, "GBK": true, "SQL": true, "CPU": true, "MB": true, "KB": true, "GB": true,
	"SM": true, "TOTP": true, "FreeOTP": true, "Google": true, "Microsoft": true, "Authenticator": true, "otpauth": true,
	"API": true, "ECharts": true, "HTTPS": true, "URL": true, "DuckDB": true, "ID": true, "IC": true,
	"HTTP": true, "TLS": true, "csv": true,
	// Database products a department's source may run on.
	"MySQL": true, "MariaDB": true, "TiDB": true, "OceanBase": true, "PostgreSQL": true, "openGauss": true,
}

var (
	// Requirement IDs of the measures and the national rules (R18.2,
	// NIMP.4, NREG-6 …): code comments, tests and docs only.
	reqIDPattern = regexp.MustCompile(`\b(R\d{1,2}\.\d+|N(REG|IMP|PRC|DIS)[.\-]?\d+)\b`)
	// Text that is code, not prose: never scanned.
	codeBlock = regexp.MustCompile(`(?is)<(script|style|code|pre|textarea|kbd|samp)\b.*?</(script|style|code|pre|textarea|kbd|samp)>`)
	tagOrText = regexp.MustCompile(`(?s)<[^>]*>`)
	// Attributes a visitor reads.
	readAttr  = regexp.MustCompile(`\b(?:title|placeholder|data-confirm|aria-label|alt)="([^"]*)"`)
	latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_./\-]*`)
	hrefAttr  = regexp.MustCompile(`href="(/[^"#]*)"`)
	// Placeholders of agreement templates ({{purpose}}): codes, filled in
	// when an agreement is made.
	placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

// zhTextProblems lists the requirement IDs and the Latin words that are
// not allowed in the Chinese text of an HTML page (allow: extra words such
// as usernames and the codes users typed).
func zhTextProblems(page string, allow map[string]bool) []string {
	var out []string
	var segs []string
	for _, m := range readAttr.FindAllStringSubmatch(page, -1) {
		segs = append(segs, html.UnescapeString(m[1]))
	}
	body := codeBlock.ReplaceAllString(page, "\n")
	for _, s := range tagOrText.Split(body, -1) {
		segs = append(segs, html.UnescapeString(s))
	}
	for _, s := range segs {
		s = strings.TrimSpace(placeholder.ReplaceAllString(s, "…"))
		if s == "" {
			continue
		}
		for _, id := range reqIDPattern.FindAllString(s, -1) {
			out = append(out, fmt.Sprintf("requirement ID %q in %q", id, s))
		}
		if !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			continue // not Chinese text (a code, a number, a name in a cell of its own)
		}
		for _, w := range latinWord.FindAllString(s, -1) {
			// Codes (letters with digits or separators: ZW-GA-0001,
			// id_number, merchant-a, GB/T, UTF-8), single letters (K) and
			// the allowed words pass.
			if len(w) < 2 || strings.ContainsAny(w, "0123456789_./-") || zhAllowedLatin[w] || allow[w] {
				continue
			}
			out = append(out, fmt.Sprintf("English %q in %q", w, s))
		}
	}
	return out
}

// scanIDs fills the {id} of detail routes from the demo data of each kind:
// the path prefix before "{id}" → a query listing that kind's ids. Links
// the walk finds come first; these ids reach the pages no link leads to (an
// agreement only linked from an e-mail-like notice, a job, a download). A
// new detail route whose ids no link shows needs a line here, or the
// completeness check below fails and names it.
var scanIDs = map[string]string{
	"/admin/users/":          `SELECT id FROM users ORDER BY id`,
	"/agreements/":           `SELECT id FROM agreements ORDER BY id`,
	"/applications/":         `SELECT id FROM applications ORDER BY id`,
	"/authorizations/":       `SELECT id FROM operator_authorizations ORDER BY id`,
	"/bills/":                `SELECT id FROM money_statements ORDER BY id`,
	"/catalog/":              `SELECT id FROM catalog_entries ORDER BY id`,
	"/demands/":              `SELECT id FROM catalog_demands ORDER BY id`,
	"/domain/entries/":       `SELECT entry_id FROM domain_mounts UNION SELECT id FROM catalog_entries ORDER BY 1`,
	"/domain/issues/":        `SELECT id FROM domain_issues ORDER BY id`,
	"/domain/jobs/":          `SELECT id FROM domain_jobs ORDER BY id`,
	"/domain/pull-sources/":  `SELECT id FROM pull_sources ORDER BY id`,
	"/evaluations/":          `SELECT id FROM evaluations ORDER BY id`,
	"/emergency/incidents/":  `SELECT id FROM incidents ORDER BY id`,
	"/expert/referrals/":     `SELECT id FROM expert_referrals ORDER BY id`,
	"/market/products/":      `SELECT id FROM products ORDER BY id`,
	"/output/products/":      `SELECT id FROM products ORDER BY id`,
	"/policies/":             `SELECT id FROM review_documents ORDER BY id`,
	"/posts/":                `SELECT id FROM portal_posts ORDER BY id`,
	"/register/":             `SELECT id FROM merchant_registrations ORDER BY id DESC`, // the applicant's own, with its tracking code
	"/registry/":             `SELECT id FROM registry_records ORDER BY id`,
	"/review/documents/":     `SELECT id FROM review_documents ORDER BY id`,
	"/review/registrations/": `SELECT id FROM merchant_registrations ORDER BY id`,
	"/review/reports/":       `SELECT id FROM merchant_reports ORDER BY id`,
	"/scenarios/":            `SELECT id FROM scenarios ORDER BY id`,
	"/supervision/notices/":  `SELECT id FROM dept_notices ORDER BY id`,
	"/workspaces/":           `SELECT id FROM workspaces ORDER BY id`,
}

// listExempt are menu pages whose tables are not lists of objects but
// figures, settings or calendars: they need no list bar.
var listExempt = map[string]bool{
	"GET /{$}": true, "GET /portal": true, "GET /supervision": true, "GET /supervision/figures": true, // dashboards
	"GET /system": true, "GET /money": true, "GET /review/calendar": true, // status, a year's figures, a calendar
	"GET /catalog/categories": true, "GET /output/rules": true, "GET /oversight/checklists": true, // settings edited in place
	"GET /services":         true, // a card per service, its tables the service's parameters and outputs
	"GET /review/documents": true, // the version histories of the two documents, each a few rows
}

// listNotYet are list pages still to move to the list component: the
// check below fails once one of them has it, so the list only shrinks.
var listNotYet = map[string]bool{}

var (
	listTotal  = regexp.MustCompile(`id="list-total">[^<\d]*(\d+)`)
	listExport = regexp.MustCompile(`id="list-export" href="([^"]+)"`)
)

// scanWorld is the whole demo on one server: the catalog, the reviews,
// a sealed domain with small datasets, a pulled source, merchant-a's
// workspace and products at every stage, the API services and consents,
// a priced year, supervision and the registry — every kind of object a
// page shows.
func scanWorld(t *testing.T) (*Server, *harness, map[string]*shuyu.Actor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, clock := sqltest.Open(t, "sqlite")
	data := t.TempDir()
	v, err := vault.Open(filepath.Join(data, "domain"), vault.Options{Now: clock.Now, MemoryLimit: "512MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	os.MkdirAll(filepath.Join(data, "drop"), 0o700)
	s := New(Config{DB: db, Vault: v, Data: data, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Demo: true})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, db: db, clock: clock, srv: srv, tokens: map[string]string{}}
	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("demo %s: %v", name, err)
		}
	}
	_, err = demo.Seed(ctx, db, sqltest.Password)
	step("seed", err)
	_, err = demo.SeedDomainRows(ctx, db, v, 1500)
	step("domain", err)
	url, err := demo.SharingPlatform(ctx, clock.Now())
	step("sharing platform", err)
	step("pull source", demo.PullSource(ctx, db, s.Supply(), url))
	step("applications", demo.Applications(ctx, db))
	_, err = demo.Workspace(ctx, db, v, data, clock.Now)
	step("workspace", err)
	step("products", demo.Output(ctx, db, v, data, clock.Now))
	step("services", demo.Services(ctx, db, v, data, clock.Now, s.DemoVerifier()))
	step("money", demo.Money(ctx, db))
	step("supervision", demo.Supervision(ctx, db))
	step("registry", demo.Records(ctx, db))
	step("risks and incidents", demo.Riskops(ctx, db, sqltest.Password))

	// What the demo leaves to its users: the departments approve the
	// checked application (its agreement is made), merchant-a raises a
	// quality issue, the operator files its merchant report.
	actors := map[string]*shuyu.Actor{}
	for _, a := range demo.Accounts {
		sess, err := db.Authenticate(ctx, h.token(a.Username))
		step("login "+a.Username, err)
		actors[a.Username] = sess.Actor
	}
	apps, err := db.Applications(ctx, actors["operator-admin"], shuyu.AppReviewing)
	step("applications under review", err)
	if len(apps) == 0 {
		t.Fatal("the demo has no application under review")
	}
	app, err := db.Application(ctx, actors["operator-admin"], apps[0].ID)
	step("application", err)
	for _, r := range app.Reviews {
		for _, a := range actors {
			if a.OrgID == r.OrgID && shuyu.Can(a, shuyu.ActReviewDecide, shuyu.Resource{}) {
				_, err := db.DecideReview(ctx, a, r.ID, shuyu.Decision{Approve: true, Reason: "同意在开发利用环境内使用"})
				step("review", err)
				break
			}
		}
	}
	entry, err := db.DomainEntryByCode(ctx, "ZW-GA-0001")
	step("entry", err)
	_, err = db.RaiseIssue(ctx, actors["merchant-a"], entry.ID, sqlstore.IssueInput{Description: "部分记录的出生日期晚于登记日期，请核实。"})
	step("issue", err)
	now := clock.Now()
	_, err = db.FileMerchantReport(ctx, actors["operator-admin"], now.AddDate(0, -3, 0), now)
	step("merchant report", err)
	return s, h, actors
}

// TestUI_ZhPagesPlainChinese opens every GET page route of the platform in
// Chinese, as the anonymous visitor and as every demo account that may
// open it, and fails on a requirement ID or an English word inside Chinese
// text. It first follows links from the home page and the menu (a few
// instances of each route, with their tabs and filters), then visits each
// route the walk missed for each role that may open it, its {id} filled
// from the demo data of that kind (scanIDs). Every page route must answer
// 200 to someone: the number of routes visited equals the number of page
// routes in the router, so a new page cannot escape the scan. Usernames and
// the field codes departments typed are allowed; code blocks (SQL) are not
// scanned; no page may answer 5xx.
func TestUI_ZhPagesPlainChinese(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the whole demo into a sealed domain: not in -short")
	}
	t.Parallel()
	ctx := context.Background()
	s, h, actors := scanWorld(t)
	db := h.db

	allow := map[string]bool{}
	for _, a := range demo.Accounts {
		allow[a.Username] = true
	}
	rows, err := db.SQL().Query(`SELECT DISTINCT name FROM catalog_fields`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		allow[n] = true
	}
	rows.Close()

	// The page route table: which pattern a path belongs to.
	routes := http.NewServeMux()
	var patterns []string
	opts := map[string]pageOpts{}
	for _, p := range s.ui.pages {
		if p.method == "GET" {
			pat := "GET " + p.path
			routes.HandleFunc(pat, func(http.ResponseWriter, *http.Request) {})
			patterns = append(patterns, pat)
			opts[pat] = p.opts
		}
	}
	patternOf := func(path string) string {
		req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
		_, pat := routes.Handler(req)
		return pat
	}
	skip := func(p string) bool {
		return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/static/") || p == "/logout" || strings.Contains(p, "lang=")
	}
	isFile := func(body string) bool { return !strings.Contains(body, "<html") }

	idsOf := map[string][]string{}    // scanIDs' prefix → ids of that kind
	visited := map[string]bool{}      // pattern → answered 200 to someone
	found := map[string][]string{}    // pattern → concrete paths links led to
	problems := map[string][]string{} // problem → pages
	var failures []string
	noListBar := map[string]string{} // menu pattern → a visitor's path showing a table without the list bar
	type listSeen struct {
		who, path, export string
		total             int
		get               func(string) (int, string)
	}
	listBar := map[string]*listSeen{} // menu pattern → where its list bar was seen
	scan := func(who, p string, st int, body string, get func(string) (int, string)) bool {
		if st >= 500 {
			failures = append(failures, fmt.Sprintf("%s %s: status %d", who, p, st))
		}
		if st != 200 {
			return false
		}
		pat := patternOf(p)
		visited[pat] = true
		if isFile(body) {
			return true
		}
		if opts[pat].Nav != "" {
			if m := listTotal.FindStringSubmatch(body); m != nil {
				if listBar[pat] == nil {
					n, _ := strconv.Atoi(m[1])
					var export string
					if e := listExport.FindStringSubmatch(body); e != nil {
						export = html.UnescapeString(e[1])
					}
					listBar[pat] = &listSeen{who: who, path: p, export: export, total: n, get: get}
				}
			} else if strings.Contains(body, `<table class="grid`) && !listExempt[pat] {
				noListBar[pat] = who + " " + p
			}
		}
		for _, pr := range zhTextProblems(body, allow) {
			problems[pr] = append(problems[pr], who+" "+p)
		}
		return true
	}
	type visitor struct {
		who   string
		actor *shuyu.Actor // nil: anonymous
		get   func(path string) (int, string)
	}
	walk := func(v visitor, reached map[string]bool) {
		seen := map[string]bool{}
		perRoute := map[string]int{}
		queue := []string{"/", "/catalog", "/login"}
		for n := 0; len(queue) > 0 && n < 400; n++ {
			p := queue[0]
			queue = queue[1:]
			if seen[p] || skip(p) {
				continue
			}
			seen[p] = true
			pat := patternOf(p)
			if pat == "" || perRoute[pat] >= 2 {
				continue
			}
			perRoute[pat]++
			st, body := v.get(p)
			if !scan(v.who, p, st, body, v.get) {
				continue
			}
			reached[pat] = true
			if isFile(body) {
				continue
			}
			for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
				link := html.UnescapeString(m[1])
				queue = append(queue, link)
				if lp := patternOf(link); lp != "" && !skip(link) && !slices.Contains(found[lp], link) {
					found[lp] = append(found[lp], link)
				}
			}
		}
	}
	// complete visits, for v, each route v may open that no link took it
	// to: {id} from links any visitor found, then from the demo data.
	complete := func(v visitor, reached map[string]bool) {
		for _, pat := range patterns {
			o := opts[pat]
			if reached[pat] || !(o.Public || v.actor != nil && pageAllowed(v.actor, o)) {
				continue
			}
			path := strings.TrimPrefix(pat, "GET ")
			path = strings.TrimSuffix(path, "{$}")
			// Links first (with the parameters a page needs, ?kind=…),
			// then the path itself or its {id} filled from the demo data.
			tries := slices.Clone(found[pat])
			prefix, _, hasID := strings.Cut(path, "{id}")
			if hasID {
				for _, id := range idsOf[prefix] {
					tries = append(tries, strings.Replace(path, "{id}", id, 1))
				}
			} else {
				tries = append(tries, path)
			}
			for i, p := range tries {
				if i >= 80 {
					break
				}
				st, body := v.get(p)
				if scan(v.who, p, st, body, v.get) {
					reached[pat] = true
					break
				}
				if !hasID && p == path && (st < 300 || st >= 400) {
					t.Logf("%s may open %s but got %d: %.200s", v.who, p, st, pageText(body))
				}
			}
		}
	}

	var visitors []visitor
	anon := newUIClient(t, h)
	// The applicant's own status page needs the tracking code it was given.
	rules, err := db.CurrentDocument(ctx, shuyu.DocOnboardingRules)
	if err != nil {
		t.Fatal(err)
	}
	g, tok, err := db.SubmitRegistration(ctx, sqlstore.RegistrationInput{Registration: shuyu.Registration{
		Company: "中卫市丁数据服务有限公司", USCC: ident18(t), LegalRep: "丁一", ContactName: "丁二", ContactPhone: "13800138000",
		BusinessScope: "数据处理服务", SecurityStatement: "已建立数据安全管理制度，设专职数据安全负责人。", Username: "merchant-d",
		RulesDocID: rules.ID}, Password: "Merchant-pass-2026"})
	if err != nil {
		t.Fatal(err)
	}
	if st, body, _ := anon.post("/register/status", url.Values{"id": {strconv.FormatInt(g.ID, 10)}, "token": {tok}}); st != http.StatusSeeOther {
		t.Fatalf("registration lookup: %d %.300s", st, body)
	}
	visitors = append(visitors, visitor{who: "anonymous", get: func(p string) (int, string) {
		st, body, _ := anon.get(p)
		return st, body
	}})
	for _, a := range demo.Accounts {
		u := uiAs(t, h, a.Username)
		visitors = append(visitors, visitor{who: a.Username, actor: actors[a.Username], get: func(p string) (int, string) {
			st, body, _ := u.get(p)
			return st, body
		}})
	}
	// ids of each kind, for the routes no link reached.
	for prefix, q := range scanIDs {
		rows, err := db.SQL().Query(q)
		if err != nil {
			t.Fatalf("ids for %s: %v", prefix, err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			idsOf[prefix] = append(idsOf[prefix], strconv.FormatInt(id, 10))
		}
		rows.Close()
		if len(idsOf[prefix]) == 0 {
			t.Errorf("the demo has no %s… objects: the scan cannot open that page", prefix)
		}
	}

	reachedBy := make([]map[string]bool, len(visitors))
	for i, v := range visitors {
		reachedBy[i] = map[string]bool{}
		walk(v, reachedBy[i])
	}
	for i, v := range visitors {
		complete(v, reachedBy[i])
	}

	var keys []string
	for k := range problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pages := problems[k]
		t.Errorf("%s (%d pages, e.g. %s)", k, len(pages), pages[0])
	}
	for _, f := range failures {
		t.Errorf("server error: %s", f)
	}
	// A label looked up at run time (a list filter's, a status's) that no
	// i18n file defines shows as its key on the page.
	for _, k := range missedKeys() {
		t.Errorf("a page asked for the message %q, which no i18n file defines", k)
	}
	// Every list exports what it shows: a workbook with a header and one
	// row per selected item.
	for pat, where := range noListBar {
		if listBar[pat] == nil && !listNotYet[pat] {
			t.Errorf("list page %s shows a table without the list component's total, filters and export (%s)", pat, where)
		}
	}
	for pat, l := range listBar {
		if listNotYet[pat] {
			t.Errorf("%s now has the list bar: take it off listNotYet", pat)
		}
		if l.export == "" {
			t.Errorf("list page %s has no export (%s %s)", pat, l.who, l.path)
			continue
		}
		// Again now: a growing list (the audit trail) has grown since.
		_, body := l.get(l.path)
		if m := listTotal.FindStringSubmatch(body); m != nil {
			l.total, _ = strconv.Atoi(m[1])
		}
		st, xl := l.get(l.export)
		if st != 200 {
			t.Errorf("export of %s (%s): status %d", pat, l.who, st)
			continue
		}
		// The audit trail records the reading of it: one more event by
		// the time of the export.
		grew := 0
		if pat == "GET /audit" {
			grew = 1
		}
		if rows := xlsxRows(t, []byte(xl)); len(rows) < l.total+1 || len(rows) > l.total+1+grew {
			t.Errorf("export of %s (%s): %d rows, the page says %d (+ header)", pat, l.who, len(rows), l.total)
		}
	}
	var missed []string
	for _, p := range patterns {
		if !visited[p] {
			missed = append(missed, p)
		}
	}
	slices.Sort(missed)
	t.Logf("visited %d of %d page routes", len(visited), len(patterns))
	if len(visited) != len(patterns) {
		t.Errorf("visited %d of %d page routes; no visitor got a page from %v (a detail route needs its ids in scanIDs)",
			len(visited), len(patterns), missed)
	}
}
