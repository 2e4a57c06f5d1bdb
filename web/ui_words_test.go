package web

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"shuyu/demo"
	"shuyu/sqlstore/sqltest"
)

// zhAllowedLatin are the Latin words a Chinese page may contain: product
// and format names, units, algorithm names and protocol names. Everything
// else Latin inside Chinese text is an English fragment to translate.
var zhAllowedLatin = map[string]bool{
	"Excel": true, "xlsx": true, "CSV": true, "JSON": true, "JSONL": true, "Lines": true, "Parquet": true, "PDF": true,
	"PNG": true, "JPEG": true, "UTF": true, "GBK": true, "SQL": true, "CPU": true, "MB": true, "KB": true, "GB": true,
	"SM": true, "TOTP": true, "FreeOTP": true, "Google": true, "Microsoft": true, "Authenticator": true, "otpauth": true,
	"API": true, "ECharts": true, "HTTPS": true, "URL": true, "DuckDB": true, "ID": true, "IC": true,
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

// TestUI_ZhPagesPlainChinese walks every page of the demo platform in
// Chinese, as the anonymous visitor and as every demo account: from the
// home page and the menu it follows every link to a page the route table
// knows (a few instances of each route), and fails on a requirement ID or
// on an English word inside Chinese text. Usernames and the field codes
// the departments typed are allowed; code blocks (SQL) are not scanned.
// Routes no account reached are listed, so the walk's reach is visible.
func TestUI_ZhPagesPlainChinese(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, clock := sqltest.Open(t, "sqlite")
	if _, err := demo.Seed(ctx, db, sqltest.Password); err != nil {
		t.Fatal(err)
	}
	if err := demo.Applications(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := New(Config{DB: db, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Demo: true})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, db: db, clock: clock, srv: srv, tokens: map[string]string{}}

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
	for _, p := range s.ui.pages {
		if p.method == "GET" {
			pat := "GET " + p.path
			routes.HandleFunc(pat, func(http.ResponseWriter, *http.Request) {})
			patterns = append(patterns, pat)
		}
	}
	patternOf := func(path string) string {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		_, pat := routes.Handler(req)
		return pat
	}
	skip := func(p string) bool {
		for _, ext := range []string{".xlsx", ".csv", ".json", ".jsonl", ".jsonld", ".pdf", ".png", ".parquet", ".zip", ".pem", ".txt"} {
			if strings.Contains(strings.SplitN(p, "?", 2)[0], ext) {
				return true
			}
		}
		return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/static/") || p == "/logout" ||
			strings.Contains(p, "lang=") || strings.Contains(p, "/download")
	}

	reached := map[string]bool{}
	problems := map[string][]string{} // problem → pages
	walk := func(who string, get func(path string) (int, string)) {
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
			st, body := get(p)
			if st != 200 || !strings.Contains(body, "<html") {
				continue
			}
			reached[pat] = true
			for _, pr := range zhTextProblems(body, allow) {
				problems[pr] = append(problems[pr], who+" "+p)
			}
			for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
				queue = append(queue, html.UnescapeString(m[1]))
			}
		}
	}
	walk("anonymous", func(p string) (int, string) {
		resp, body := h.do("", "GET", p, nil)
		return resp.StatusCode, string(body)
	})
	for _, a := range demo.Accounts {
		u := uiAs(t, h, a.Username)
		walk(a.Username, func(p string) (int, string) {
			st, body, _ := u.get(p)
			return st, body
		})
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
	var missed []string
	for _, p := range patterns {
		if !reached[p] {
			missed = append(missed, p)
		}
	}
	slices.Sort(missed)
	t.Logf("reached %d of %d page routes; not reached by any link: %v", len(reached), len(patterns), missed)
	if len(reached) < len(patterns)/2 {
		t.Errorf("the walk reached only %d of %d page routes", len(reached), len(patterns))
	}
}
