package web

// Disclosure attack suite (R4.2, R28.3, R28.5, R14.2; DESIGN invariants 1, 6
// and 8): a hostile merchant plays against the governed query API over
// synthetic, demo-like data and tries to learn one person's values. Every
// attack knows the truth (the fixture's raw rows) and asserts that the secret
// was NOT learned; attacks whose harmless "all" side is not answered are
// reported as inconclusive ("baseline not released"), so that an engine that
// refuses everything does not pass.
//
// The attacks assume nothing about how the engine works, only what it
// promises: every released figure covers at least K persons (counted across
// every person-keyed table of the query), counts, sums and averages carry
// sticky noise and low-effect conditions are neutralized, extremes and order
// statistics are flattened, row-level results are withheld without any
// data-dependent shape, and no outcome (status, reasons, errors, history,
// metering) depends on hidden values.
//
// Classes 1 to 6 are subtests of TestDisclosureAttack_R28_3_R4_2_NIMP_6 over one
// fixture, each attack in a fresh workspace; class 7 has its own test:
//
//  1. outcome_oracle_*: execution-outcome oracles.
//  2. shape_*: sizes, metering, listings and reasons around an answer.
//  3. padding_*: joins that make a one-person group look big.
//  4. differencing_*: all vs all-but-the-victim.
//  5. extreme_*: extremes and order statistics.
//  6. tracker_*, averaging_*: trackers and averaging.
//  7. TestDisclosureAttack_R14_2_Inv6_CostAbuse: heavy joins and quotas.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shuyu/sqlstore/sqltest"
	"shuyu/workspace/wstest"
)

// atkPersons is the fixture size: large enough that townships, hospitals
// and counties hold realistic groups, small enough to load in about a second.
const atkPersons = 30000

// atkPerson is one row of the population table with its settlements: the truth
// the attacker tries to learn.
type atkPerson struct {
	id, gender, ethnicity, birth, countyCode, county, township, phone, household string

	settlements []atkSettlement
	total       float64 // sum of the settlements' total_amount
	unique      bool    // the only person of this birth year, township, gender, ethnicity and household type
}

type atkSettlement struct {
	hospital, visitDate, visitType, diagnosis string
	total, fund, self                         float64
}

// atkWho is what an attacker knows of a victim: quasi-identifiers only. A
// birth date splits persons in conditions by whole years only (disclosure
// rule 3b), so the sharpest description left is the birth year with
// township, gender, ethnicity and household type.
type atkWho struct{ year, township, gender, ethnicity, household string }

func (p *atkPerson) who() atkWho {
	return atkWho{p.birth[:4], p.township, p.gender, p.ethnicity, p.household}
}

func (w atkWho) key() string {
	return strings.Join([]string{w.year, w.township, w.gender, w.ethnicity, w.household}, "|")
}

// nobody is the same description with a birth year no one has.
func (w atkWho) nobody() atkWho { w.year = "1801"; return w }

// atkSpellings is the number of ways pred can single out a person.
const atkSpellings = 7

// pred singles out the person described, spelled one of several ways;
// spelling 3 uses generalizing functions only, so it may stand in GROUP BY.
func (w atkWho) pred(a string, spelling int) string {
	y, _ := strconv.Atoi(w.year)
	t, g, eh, h := w.township, w.gender, w.ethnicity, w.household
	rest := fmt.Sprintf("%s.ethnicity = '%s' AND %s.household_type = '%s'", a, eh, a, h)
	switch spelling % atkSpellings {
	case 0:
		return fmt.Sprintf("year(%s.birth_date) = %d AND %s.township = '%s' AND %s.gender = '%s' AND %s", a, y, a, t, a, g, rest)
	case 1:
		return fmt.Sprintf("%s.birth_date BETWEEN DATE '%04d-01-01' AND DATE '%04d-12-31' AND %s.township IN ('%s') AND %s.gender IN ('%s') AND %s.ethnicity IN ('%s') AND %s.household_type IN ('%s')",
			a, y, y, a, t, a, g, a, eh, a, h)
	case 2:
		return fmt.Sprintf("%s.birth_date >= DATE '%04d-01-01' AND %s.birth_date < DATE '%04d-01-01' AND %s.gender || %s.township = '%s%s' AND %s", a, y, a, y+1, a, a, g, t, rest)
	case 3:
		return fmt.Sprintf("to_year(%s.birth_date) = %d AND %s.township = '%s' AND %s.gender = '%s' AND %s", a, y, a, t, a, g, rest)
	case 4:
		return fmt.Sprintf("extract(year FROM %s.birth_date) = %d AND %s.township = '%s' AND NOT (%s.gender <> '%s') AND %s", a, y, a, t, a, g, rest)
	case 5:
		return fmt.Sprintf("date_part('year', %s.birth_date) + 0 = %d AND lower(%s.township) = '%s' AND %s.gender = '%s' AND %s", a, y, a, t, a, g, rest)
	default:
		return fmt.Sprintf("date_diff('year', DATE '1900-01-01', %s.birth_date) = %d AND %s.township = '%s' AND %s.gender = '%s' AND %s", a, y-1900, a, t, a, g, rest)
	}
}

// notPred is everyone but the person described (within their township),
// spelled with NOT, De Morgan, ranges and arithmetic.
func (w atkWho) notPred(a string, spelling int) string {
	y, _ := strconv.Atoi(w.year)
	t, g, eh, h := w.township, w.gender, w.ethnicity, w.household
	switch spelling % 6 {
	case 0:
		return "NOT (" + w.pred(a, 0) + ")"
	case 1:
		return fmt.Sprintf("(year(%s.birth_date) <> %d OR %s.township <> '%s' OR %s.gender <> '%s' OR %s.ethnicity <> '%s' OR %s.household_type <> '%s')", a, y, a, t, a, g, a, eh, a, h)
	case 2:
		return fmt.Sprintf("(%s.birth_date NOT BETWEEN DATE '%04d-01-01' AND DATE '%04d-12-31' OR %s.gender NOT IN ('%s') OR %s.ethnicity NOT IN ('%s') OR %s.household_type NOT IN ('%s'))", a, y, y, a, g, a, eh, a, h)
	case 3:
		return "NOT (" + w.pred(a, 3) + ")"
	case 4:
		return fmt.Sprintf("(%s.birth_date < DATE '%04d-01-01' OR %s.birth_date > DATE '%04d-12-31' OR %s.gender <> '%s' OR %s.ethnicity <> '%s' OR %s.household_type <> '%s')", a, y, a, y, a, g, a, eh, a, h)
	default:
		return "NOT (" + w.pred(a, 5) + ")"
	}
}

// atkAllPred is a whole township, spelled several ways.
func atkAllPred(a, township string, spelling int) string {
	switch spelling % 4 {
	case 0:
		return fmt.Sprintf("%s.township = '%s'", a, township)
	case 1:
		return fmt.Sprintf("%s.township IN ('%s')", a, township)
	case 2:
		return fmt.Sprintf("lower(%s.township) = '%s'", a, township)
	default:
		return fmt.Sprintf("'%s' = %s.township", township, a)
	}
}

const atkJoin = "zw_ga_0001 p JOIN zw_yb_0001 m ON p.id_number = m.id_number"

// attackEnv is one fixture, one server and the attacker's session.
type attackEnv struct {
	f        *wstest.Fixture
	s        *Server
	srv      *httptest.Server
	token    string
	ws       string // /api/v1/workspaces/{id}
	k        int
	people   []*atkPerson
	townSize map[string]int
	lastHist float64
	sent     int // queries sent, for the report
	tag      int
}

func newAttackEnv(t *testing.T, persons int) *attackEnv {
	t.Helper()
	start := time.Now()
	f := wstest.New(t, "sqlite", persons)
	s := New(Config{DB: f.DB, Vault: f.Vault, Data: f.Dir, Now: f.Clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &attackEnv{f: f, s: s, srv: srv}
	e.login(t)
	e.openWorkspace(t)
	e.parse(t)
	if e.k < 5 {
		t.Fatalf("workspace K is %d", e.k)
	}
	t.Logf("fixture: %d persons, %d settlements, K=%d, ready in %v", len(e.people), len(f.Raw[wstest.MedicalTable])-1, e.k, time.Since(start).Round(time.Millisecond))
	return e
}

func (e *attackEnv) request(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (e *attackEnv) getJSON(t *testing.T, path string, out any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, data, err := e.request(ctx, "GET", path, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if code == 200 && out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, data)
		}
	}
	return code
}

func (e *attackEnv) login(t *testing.T) {
	t.Helper()
	e.token = ""
	code, data, err := e.request(context.Background(), "POST", "/api/v1/auth/login",
		map[string]string{"username": "merchant-a", "password": sqltest.Password})
	var out struct {
		Token string `json:"token"`
	}
	if err != nil || code != 200 || json.Unmarshal(data, &out) != nil || out.Token == "" {
		t.Fatalf("login: %d %v %s", code, err, data)
	}
	e.token = out.Token
}

func (e *attackEnv) openWorkspace(t *testing.T) {
	t.Helper()
	ws := e.f.Open(t)
	e.ws = fmt.Sprintf("/api/v1/workspaces/%d", ws.ID)
	e.lastHist = 0
	var d struct {
		K int `json:"k"`
	}
	if code := e.getJSON(t, e.ws, &d); code != 200 {
		t.Fatalf("GET %s: %d", e.ws, code)
	}
	e.k = d.K
}

// freshWorkspace opens a new workspace a day later, so that one attack's
// history, release record or daily quota does not blur the next one's.
func (e *attackEnv) freshWorkspace(t *testing.T) {
	t.Helper()
	e.f.Clock.Advance(25 * time.Hour)
	e.login(t)
	e.openWorkspace(t)
}

func (e *attackEnv) parse(t *testing.T) {
	t.Helper()
	index := func(h []string) map[string]int {
		m := map[string]int{}
		for i, c := range h {
			m[c] = i
		}
		return m
	}
	pop := e.f.Raw[wstest.PopulationTable]
	pc := index(pop[0])
	byID := map[string]*atkPerson{}
	for _, r := range pop[1:] {
		p := &atkPerson{id: r[pc["id_number"]], gender: r[pc["gender"]], ethnicity: r[pc["ethnicity"]], birth: r[pc["birth_date"]],
			countyCode: r[pc["county_code"]], county: r[pc["county"]], township: r[pc["township"]], phone: r[pc["phone"]],
			household: r[pc["household_type"]]}
		e.people = append(e.people, p)
		byID[p.id] = p
	}
	med := e.f.Raw[wstest.MedicalTable]
	mc := index(med[0])
	num := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("amount %q: %v", s, err)
		}
		return f
	}
	for _, r := range med[1:] {
		p := byID[r[mc["id_number"]]]
		if p == nil {
			continue
		}
		s := atkSettlement{hospital: r[mc["hospital"]], visitDate: r[mc["visit_date"]], visitType: r[mc["visit_type"]],
			diagnosis: r[mc["diagnosis_category"]], total: num(r[mc["total_amount"]]), fund: num(r[mc["fund_paid"]]), self: num(r[mc["self_paid"]])}
		p.settlements = append(p.settlements, s)
		p.total += s.total
	}
	seen := map[string]int{}
	e.townSize = map[string]int{}
	for _, p := range e.people {
		if len(p.birth) == 10 {
			seen[p.who().key()]++
		}
		e.townSize[p.township]++
	}
	for _, p := range e.people {
		p.unique = len(p.birth) == 10 && seen[p.who().key()] == 1
	}
}

// victims picks n persons an attacker can single out by birth year,
// township, gender, ethnicity and household type, living in townships of
// at least 300 persons.
func (e *attackEnv) victims(t *testing.T, n int, ok func(*atkPerson) bool) []*atkPerson {
	t.Helper()
	var out []*atkPerson
	for _, p := range e.people {
		if p.unique && e.townSize[p.township] >= 300 && ok(p) {
			out = append(out, p)
			if len(out) == n {
				return out
			}
		}
	}
	t.Fatalf("only %d victims of %d found", len(out), n)
	return nil
}

// commonDiagnosis is the diagnosis category the most persons have.
func (e *attackEnv) commonDiagnosis() string {
	n := map[string]int{}
	for _, p := range e.people {
		seen := map[string]bool{}
		for _, s := range p.settlements {
			if !seen[s.diagnosis] {
				seen[s.diagnosis] = true
				n[s.diagnosis]++
			}
		}
	}
	best := ""
	for d, c := range n {
		if best == "" || c > n[best] || c == n[best] && d < best {
			best = d
		}
	}
	return best
}

func (p *atkPerson) has(diagnosis string) bool {
	for _, s := range p.settlements {
		if s.diagnosis == diagnosis {
			return true
		}
	}
	return false
}

// balancedVictims picks n patients, half with the diagnosis and half
// without, alternating, so that guessing the majority class scores 50%.
func (e *attackEnv) balancedVictims(t *testing.T, n int, diagnosis string) []*atkPerson {
	t.Helper()
	with := e.victims(t, n/2, func(p *atkPerson) bool { return p.has(diagnosis) })
	without := e.victims(t, n/2, func(p *atkPerson) bool { return len(p.settlements) > 0 && !p.has(diagnosis) })
	var out []*atkPerson
	for i := range with {
		out = append(out, with[i], without[i])
	}
	return out
}

func (e *attackEnv) newTag() string {
	e.tag++
	return fmt.Sprintf("q%d", e.tag)
}

// atkAnswer is the response to one governed query.
type atkAnswer struct {
	HTTP    int    `json:"-"`
	Body    []byte `json:"-"`
	ID      int64  `json:"id"`
	Status  string `json:"status"`
	Reasons []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"reasons"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	Table   string   `json:"table"`
	CPU     int64    `json:"cpu_us"`
	Scanned int64    `json:"rows_scanned"`
}

func (a atkAnswer) released() bool { return a.HTTP == 200 && a.Status == "released" }

// num reads a released cell as a number.
func (a atkAnswer) num(r, c int) (float64, bool) {
	if !a.released() || r >= len(a.Rows) || c < 0 || c >= len(a.Rows[r]) {
		return 0, false
	}
	switch v := a.Rows[r][c].(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

// cell reads a released cell of the row whose first column is key.
func (a atkAnswer) cell(key string, c int) (float64, bool) {
	for i, r := range a.Rows {
		if len(r) > 0 && fmt.Sprint(r[0]) == key {
			return a.num(i, c)
		}
	}
	return 0, false
}

// brief is a one-line summary of an answer for failure messages.
func (a atkAnswer) brief() string {
	var codes []string
	for _, r := range a.Reasons {
		codes = append(codes, r.Code)
	}
	s := fmt.Sprintf("%d %s %v", a.HTTP, a.Status, codes)
	if a.HTTP != 200 {
		s += " " + string(a.Body)
	} else if len(a.Rows) > 0 {
		s += fmt.Sprintf(" %d rows, first %v", len(a.Rows), a.Rows[0])
	}
	if len(s) > 240 {
		s = s[:240] + "…"
	}
	return s
}

// ask sends one governed query over real data.
func (e *attackEnv) ask(t *testing.T, sqlText string) atkAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e.sent++
	code, data, err := e.request(ctx, "POST", e.ws+"/queries", map[string]string{"sql": sqlText, "data": "real"})
	if err != nil {
		t.Fatalf("query %q: %v", sqlText, err)
	}
	a := atkAnswer{HTTP: code, Body: data}
	if code == 200 {
		if err := json.Unmarshal(data, &a); err != nil {
			t.Fatalf("query %q: %v: %s", sqlText, err, data)
		}
	}
	if code >= 500 {
		t.Errorf("query %q: server error %d %s", sqlText, code, data)
	}
	e.lastHist = math.Max(e.lastHist, float64(a.ID))
	return a
}

// newHistory returns the history entries recorded after entry id after.
func (e *attackEnv) newHistory(t *testing.T, after float64) []any {
	t.Helper()
	var h struct {
		Items []map[string]any `json:"items"`
	}
	if code := e.getJSON(t, e.ws+"/queries?limit=5", &h); code != 200 {
		t.Fatalf("history: %d", code)
	}
	var out []any
	for _, it := range h.Items {
		id, _ := it["id"].(float64)
		if id > after {
			out = append(out, it)
			e.lastHist = math.Max(e.lastHist, id)
		}
	}
	return out
}

var atkResultName = regexp.MustCompile(`result_\d+`)

// atkNormalize drops what legitimately differs between two queries (their
// ids, SQL text and hash, timestamps, wall time, the name of a withheld
// table) and keeps everything else, CPU metering reduced to whether it was
// metered at all (its amount is timing, not tested here).
func atkNormalize(v any, table string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			switch {
			case k == "id" || strings.HasSuffix(k, "_id") || k == "sql" || k == "wall_us" || strings.HasSuffix(k, "_at") || strings.Contains(k, "hash"):
				continue
			case k == "cpu_us":
				f, _ := val.(float64)
				out["cpu_metered"] = f > 0
				continue
			}
			out[k] = atkNormalize(val, table)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = atkNormalize(x[i], table)
		}
		return out
	case string:
		if table != "" {
			x = strings.ReplaceAll(x, table, "<table>")
		}
		return atkResultName.ReplaceAllString(x, "result_#")
	}
	return v
}

func atkCanonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// outcome runs a query and returns everything the merchant can observe of
// it (answer and history entry), normalized.
func (e *attackEnv) outcome(t *testing.T, sqlText string) (string, atkAnswer) {
	t.Helper()
	prev := e.lastHist
	a := e.ask(t, sqlText)
	var body any
	if err := json.Unmarshal(a.Body, &body); err != nil {
		body = string(a.Body)
	}
	sig := map[string]any{"http": a.HTTP, "answer": atkNormalize(body, a.Table), "history": atkNormalize(e.newHistory(t, prev), a.Table)}
	return atkCanonical(sig), a
}

// detail reads the workspace as the merchant sees it.
func (e *attackEnv) detail(t *testing.T) map[string]any {
	t.Helper()
	var d map[string]any
	if code := e.getJSON(t, e.ws, &d); code != 200 {
		t.Fatalf("detail: %d", code)
	}
	return d
}

// shapeOutcome is outcome plus the workspace's observable state around it:
// the change in usage and the table listing, and with followups the
// governed queries, samples and downloads of the withheld table.
func (e *attackEnv) shapeOutcome(t *testing.T, sqlText string, followups bool) (string, atkAnswer) {
	t.Helper()
	before := e.detail(t)
	q, a := e.outcome(t, sqlText)
	after := e.detail(t)
	sig := map[string]any{"query": json.RawMessage(q)}
	ub, _ := before["usage"].(map[string]any)
	ua, _ := after["usage"].(map[string]any)
	delta := map[string]any{}
	for k, v := range ua {
		f, _ := v.(float64)
		g, _ := ub[k].(float64)
		if k == "cpu_us" {
			delta["cpu_metered"] = f > g
			continue
		}
		delta[k] = f - g
	}
	sig["usage_delta"] = delta
	old := map[string]bool{}
	tb, _ := before["tables"].([]any)
	for _, x := range tb {
		m, _ := x.(map[string]any)
		old[fmt.Sprint(m["name"])] = true
	}
	var added []any
	ta, _ := after["tables"].([]any)
	for _, x := range ta {
		m, _ := x.(map[string]any)
		if !old[fmt.Sprint(m["name"])] {
			added = append(added, atkNormalize(m, a.Table))
		}
	}
	sig["new_tables"] = added
	if followups && a.Table != "" {
		var fs []any
		for _, f := range []string{
			"SELECT r.gender, count(*) AS n FROM %s r GROUP BY r.gender",
		} {
			s, _ := e.outcome(t, fmt.Sprintf(f, a.Table))
			fs = append(fs, json.RawMessage(s))
		}
		sig["followups"] = fs
		var sample struct {
			Columns []string `json:"columns"`
			Rows    [][]any  `json:"rows"`
		}
		code := e.getJSON(t, e.ws+"/tables/"+a.Table+"/sample?limit=1000", &sample)
		sig["sample"] = []any{code, sample.Columns, len(sample.Rows)}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		code, data, err := e.request(ctx, "GET", e.ws+"/tables/"+a.Table+"/simulated.csv", nil)
		cancel()
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		lines := bytes.Count(data, []byte("\n"))
		if code != 200 {
			lines = -1
		}
		sig["download"] = []any{code, lines}
	}
	return atkCanonical(sig), a
}

// atkSigDiff lists the observable fields where two outcomes differ.
func atkSigDiff(a, b string) string {
	flat := func(s string) map[string]string {
		var v any
		_ = json.Unmarshal([]byte(s), &v)
		out := map[string]string{}
		var walk func(string, any)
		walk = func(p string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, c := range x {
					walk(p+"."+k, c)
				}
			case []any:
				if len(x) == 0 {
					out[p] = "[]"
				}
				for i, c := range x {
					walk(fmt.Sprintf("%s[%d]", p, i), c)
				}
			default:
				out[p] = atkCanonical(x)
			}
		}
		walk("", v)
		return out
	}
	fa, fb := flat(a), flat(b)
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		if fa[k] != fb[k] {
			va, vb := fa[k], fb[k]
			if va == "" {
				va = "∅"
			}
			if vb == "" {
				vb = "∅"
			}
			if len(va) > 90 {
				va = va[:90] + "…"
			}
			if len(vb) > 90 {
				vb = vb[:90] + "…"
			}
			diffs = append(diffs, fmt.Sprintf("%s: %s ≠ %s", k, va, vb))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 6 {
		diffs = append(diffs[:6], fmt.Sprintf("… %d more", len(diffs)-6))
	}
	return strings.Join(diffs, "; ")
}

// atkNear reports whether an estimate is within 1 yuan or 1% of the truth.
func atkNear(est, truth float64) bool {
	return math.Abs(est-truth) <= math.Max(1, 0.01*math.Abs(truth))
}

// atkFirstN joins the first n lines of a report.
func atkFirstN(lines []string, n int) string {
	if len(lines) > n {
		return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n… and %d more", len(lines)-n)
	}
	return strings.Join(lines, "\n")
}

// atkScoreGuesses fails when yes/no guesses about victims beat chance: the
// victims are balanced, so always guessing one class scores 50%. Guesses
// that are almost always wrong fail too: the attacker just inverts them.
func atkScoreGuesses(t *testing.T, what string, guesses, truth []bool, answered int) {
	t.Helper()
	right := 0
	for i := range guesses {
		if guesses[i] == truth[i] {
			right++
		}
	}
	acc := float64(right) / float64(len(guesses))
	t.Logf("%s: %d/%d guesses right (chance 50%%), %d answered", what, right, len(guesses), answered)
	if acc > 0.75 || acc < 0.25 {
		t.Errorf("LEAK %s: the attacker's oracle was right for %d of %d balanced victims (%.0f%%; chance is 50%%, and an oracle that is always wrong is inverted)", what, right, len(guesses), 100*acc)
	}
}

// atkScoreEstimates fails when more than a quarter of the victims' secret
// amounts were estimated within 1 yuan or 1%.
func atkScoreEstimates(t *testing.T, what string, hits, total, answered int, shown []string) {
	t.Helper()
	t.Logf("%s: %d/%d victims estimated within 1 yuan or 1%%, %d answered", what, hits, total, answered)
	if hits*4 > total {
		t.Errorf("LEAK %s: %d of %d victims' values estimated within 1 yuan or 1%%:\n%s", what, hits, total, atkFirstN(shown, 4))
	}
}

// TestDisclosureAttack_R28_3_R4_2_NIMP_6 plays a hostile merchant against the
// governed query API, attack classes 1 to 6 over one fixture, each attack in
// a fresh workspace (R4.2 usable but invisible, R28.3, R28.5, R14.2 metering,
// invariant 8). Run one class with -run 'TestDisclosureAttack_R28_3_R4_2_NIMP_6/<prefix>',
// prefixes outcome_oracle, shape, padding, differencing, extreme, tracker and
// averaging.
func TestDisclosureAttack_R28_3_R4_2_NIMP_6(t *testing.T) {
	if testing.Short() {
		t.Skip("attack campaign (30,000-person fixture, hundreds of queries) skipped under -short; sandbox's own attack tests still run")
	}
	t.Parallel() // its own world; its subtests run in order
	e := newAttackEnv(t, atkPersons)
	e.outcomeOracles(t)
	e.shapeOracles(t)
	e.padding(t)
	e.differencing(t)
	e.extremes(t)
	e.trackersAveraging(t)
}

// ----------------------------------------------------------------------
// Class 1: execution-outcome oracles.

// atkPosition places an expression where a data-dependent error could
// surface: the select list, WHERE, FILTER, HAVING, ORDER BY, GROUP BY or a
// join's ON of aggregate and row-level queries. Row-level queries stay in
// the victim's township to keep withheld tables small.
type atkPosition struct {
	name     string
	spelling int // how the victim predicate is spelled here
	sql      func(w atkWho, x string) string
}

func atkPositions() []atkPosition {
	return []atkPosition{
		{"agg_where", 0, func(w atkWho, x string) string {
			return "SELECT count(*) AS n FROM zw_ga_0001 p WHERE (" + x + ") IS NOT NULL"
		}},
		{"agg_filter", 1, func(w atkWho, x string) string {
			return "SELECT p.county, count(*) FILTER (WHERE (" + x + ") IS NOT NULL) AS n FROM zw_ga_0001 p GROUP BY p.county"
		}},
		{"agg_having", 2, func(w atkWho, x string) string {
			return "SELECT p.county, count(*) AS n FROM zw_ga_0001 p GROUP BY p.county HAVING count(*) FILTER (WHERE (" + x + ") IS NOT NULL) > 0"
		}},
		{"agg_order_by", 4, func(w atkWho, x string) string {
			return "SELECT p.county, count(*) AS n FROM zw_ga_0001 p GROUP BY p.county ORDER BY count(*) FILTER (WHERE (" + x + ") IS NOT NULL), p.county"
		}},
		{"agg_group_by", 3, func(w atkWho, x string) string {
			return "SELECT p.county, count(*) AS n FROM zw_ga_0001 p GROUP BY p.county, (" + x + ") IS NOT NULL"
		}},
		{"agg_select_sum", 5, func(w atkWho, x string) string {
			return "SELECT p.county, sum(" + x + ") AS s FROM zw_ga_0001 p GROUP BY p.county"
		}},
		{"agg_join_on", 6, func(w atkWho, x string) string {
			return "SELECT count(*) AS n FROM " + atkJoin + " AND (" + x + ") IS NOT NULL"
		}},
		{"row_select", 0, func(w atkWho, x string) string {
			return "SELECT p.gender, " + x + " AS x FROM zw_ga_0001 p WHERE p.township = '" + w.township + "'"
		}},
		{"row_where", 1, func(w atkWho, x string) string {
			return "SELECT p.gender FROM zw_ga_0001 p WHERE p.township = '" + w.township + "' AND (" + x + ") IS NOT NULL"
		}},
		{"row_order_by", 5, func(w atkWho, x string) string {
			return "SELECT p.gender FROM zw_ga_0001 p WHERE p.township = '" + w.township + "' ORDER BY " + x
		}},
		{"row_join_on", 6, func(w atkWho, x string) string {
			return "SELECT p.gender, m.hospital FROM " + atkJoin + " AND (" + x + ") IS NOT NULL WHERE p.township = '" + w.township + "'"
		}},
	}
}

// atkPoison is an expression that fails (or turns NULL) exactly when its
// predicate {P} holds for some row.
type atkPoison struct{ name, expr string }

func (z atkPoison) with(pred string) string { return strings.ReplaceAll(z.expr, "{P}", pred) }

var atkPoisons = []atkPoison{
	{"cast", "CASE WHEN {P} THEN CAST('x' AS INTEGER) ELSE 1 END"},
	{"overflow_bigint", "CASE WHEN {P} THEN CAST(9223372036854775807 AS BIGINT) + 1 ELSE 1 END"},
	{"division_by_zero", "CASE WHEN {P} THEN 1 / 0 ELSE 1 END"},
	{"modulo_by_zero", "CASE WHEN {P} THEN 7 % 0 ELSE 1 END"},
	{"ln_negative", "CASE WHEN {P} THEN ln(-1) ELSE 1 END"},
	{"make_date", "CASE WHEN {P} THEN year(make_date(2020, 13, 1)) ELSE 1 END"},
	{"date_parse", "CASE WHEN {P} THEN year(CAST('2020-13-45' AS DATE)) ELSE 1 END"},
	{"date_part_unit", "CASE WHEN {P} THEN date_diff('fortnight', DATE '2020-01-01', DATE '2020-02-01') ELSE 1 END"},
	{"regexp_pattern", "CASE WHEN regexp_matches('a', CASE WHEN {P} THEN '(' ELSE 'a' END) THEN 1 ELSE 2 END"},
	{"strftime_format", "length(strftime(DATE '2020-01-01', CASE WHEN {P} THEN '%Q' ELSE '%Y' END))"},
	{"list_index", "CASE WHEN {P} THEN [1, 2, 3][10] ELSE 1 END"},
}

// atkBenign is the poison's harmless twin.
var atkBenign = atkPoison{"benign", "CASE WHEN {P} THEN 0 ELSE 1 END"}

func atkIDSeq(p *atkPerson) int64 {
	n, err := strconv.ParseInt(p.id[14:17], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// search binary-searches the largest mid in [lo, hi] for which q(mid)'s
// outcome differs from refQuery's (a predicate true for nobody): the
// attacker's reading of a 1-bit oracle. A patient attacker moves to a fresh
// workspace (a day later) every searchBatch questions, so that quotas on
// withheld results do not blur the oracle.
func (e *attackEnv) search(t *testing.T, lo, hi int64, refQuery string, q func(mid int64) string) (int64, int) {
	t.Helper()
	const searchBatch = 12
	n := 0
	var ref string
	for lo < hi {
		if n%searchBatch == 0 {
			e.freshWorkspace(t)
			ref, _ = e.outcome(t, refQuery)
		}
		mid := lo + (hi-lo+1)/2
		s, _ := e.outcome(t, q(mid))
		n++
		if s != ref {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, n
}

// outcomeOracles plays execution-outcome oracles: an expression that fails
// only when a predicate about the victim holds, placed everywhere an
// expression may stand. Invariant 8: no outcome (status, reasons, errors,
// history, metering) may depend on hidden values, so the outcome of a
// victim-true predicate must equal that of a predicate true for nobody, and
// binary searches must not recover the victim's values.
func (e *attackEnv) outcomeOracles(t *testing.T) {
	sent := e.sent
	vs := e.victims(t, 4, func(p *atkPerson) bool {
		return len(p.settlements) == 1 && p.total >= 50 && atkIDSeq(p) > 0 && len(p.phone) == 11
	})
	positions := atkPositions()
	t.Run("outcome_oracle_baseline", func(t *testing.T) {
		e.freshWorkspace(t)
		w := vs[0].who()
		var answered []string
		agg, row := false, false
		for _, pos := range positions {
			a := e.ask(t, pos.sql(w, atkBenign.with(w.pred("p", pos.spelling))))
			switch {
			case a.released():
				answered = append(answered, pos.name)
				agg = agg || strings.HasPrefix(pos.name, "agg_")
			case a.HTTP == 200 && a.Status == "withheld":
				answered = append(answered, pos.name)
				row = row || strings.HasPrefix(pos.name, "row_")
			default:
				t.Logf("harmless twin not answered at %s: %s", pos.name, a.brief())
			}
		}
		t.Logf("harmless twins answered at %d/%d positions: %v", len(answered), len(positions), answered)
		if !agg || !row || 2*len(answered) < len(positions) {
			t.Errorf("baseline not released: harmless twins of the oracle queries are answered only at %v; the oracle attacks are inconclusive", answered)
		}
	})
	for i, z := range atkPoisons {
		t.Run("outcome_oracle_"+z.name, func(t *testing.T) {
			e.freshWorkspace(t)
			w := vs[i%len(vs)].who()
			var leaks []string
			static := 0
			for _, pos := range positions {
				ts, ta := e.outcome(t, pos.sql(w, z.with(w.pred("p", pos.spelling))))
				fs, fa := e.outcome(t, pos.sql(w, z.with(w.nobody().pred("p", pos.spelling))))
				if ts != fs {
					leaks = append(leaks, fmt.Sprintf("  %s: victim-true %s | nobody %s | differs in %s", pos.name, ta.brief(), fa.brief(), atkSigDiff(ts, fs)))
				} else if ta.Status == "rejected" || ta.HTTP != 200 {
					static++
				}
			}
			t.Logf("%d positions, %d refused alike for both predicates", len(positions), static)
			if len(leaks) > 0 {
				t.Errorf("LEAK %d of %d positions are 1-bit oracles: whether the query fails tells whether a predicate holds for the victim:\n%s",
					len(leaks), len(positions), atkFirstN(leaks, 4))
			}
		})
	}
	pos := map[string]atkPosition{}
	for _, p := range positions {
		pos[p.name] = p
	}
	byName := map[string]atkPoison{}
	for _, z := range atkPoisons {
		byName[z.name] = z
	}
	castP, overflow, dateP, makeDate := byName["cast"], byName["overflow_bigint"], byName["date_parse"], byName["make_date"]
	t.Run("outcome_oracle_search_id_number", func(t *testing.T) {
		learned, queries := 0, 0
		for _, v := range vs[:2] {
			w := v.who()
			q := func(w atkWho) func(int64) string {
				return func(mid int64) string {
					return pos["row_select"].sql(w, castP.with(fmt.Sprintf("%s AND CAST(substr(p.id_number, 15, 3) AS INTEGER) >= %d", w.pred("p", 0), mid)))
				}
			}
			got, n := e.search(t, 0, 999, q(w.nobody())(0), q(w))
			queries += n
			if got == atkIDSeq(v) {
				learned++
			}
			t.Logf("victim born %s: recovered sequence %03d of the id_number, truth %03d", v.birth, got, atkIDSeq(v))
		}
		if learned > 0 {
			t.Errorf("LEAK recovered the id_number sequence digits of %d/2 victims with %d queries (row-level select list, cast error); with the county code and birth date that is the whole id_number", learned, queries)
		}
	})
	t.Run("outcome_oracle_search_phone", func(t *testing.T) {
		v := vs[3]
		w := v.who()
		q := func(w atkWho) func(int64) string {
			return func(mid int64) string {
				return pos["row_order_by"].sql(w, overflow.with(fmt.Sprintf("%s AND CAST(p.phone AS BIGINT) >= %d", w.pred("p", 5), mid)))
			}
		}
		got, n := e.search(t, 10_000_000_000, 19_999_999_999, q(w.nobody())(0), q(w))
		truth, _ := strconv.ParseInt(v.phone, 10, 64)
		t.Logf("recovered phone %d after %d queries (truth %d)", got, n, truth)
		if got == truth {
			t.Errorf("LEAK recovered the victim's phone number with %d queries (row-level ORDER BY, integer overflow)", n)
		}
	})
	t.Run("outcome_oracle_search_birth_date", func(t *testing.T) {
		base := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
		learned := 0
		for _, v := range vs[2:3] {
			w := v.who()
			q := func(phone string) func(int64) string {
				return func(mid int64) string {
					d := base.AddDate(0, 0, int(mid)).Format(time.DateOnly)
					return pos["row_select"].sql(w, dateP.with(fmt.Sprintf("p.phone = '%s' AND p.birth_date >= DATE '%s'", phone, d)))
				}
			}
			got, n := e.search(t, 0, 46000, q("00000000000")(0), q(v.phone))
			d := base.AddDate(0, 0, int(got)).Format(time.DateOnly)
			t.Logf("knowing a phone number: recovered birth date %s after %d queries (truth %s)", d, n, v.birth)
			if d == v.birth {
				learned++
			}
		}
		if learned > 0 {
			t.Errorf("LEAK recovered the victim's birth date from their phone number (row-level select list, date parse error)")
		}
	})
	t.Run("outcome_oracle_search_settlement_amount", func(t *testing.T) {
		learned := 0
		for _, v := range vs[1:2] {
			w := v.who()
			q := func(w atkWho) func(int64) string {
				return func(mid int64) string {
					return pos["agg_join_on"].sql(w, makeDate.with(fmt.Sprintf("%s AND m.total_amount >= %d", w.pred("p", 6), mid)))
				}
			}
			got, n := e.search(t, 0, 1<<20, q(w.nobody())(0), q(w))
			t.Logf("recovered settlement total ≥ %d yuan after %d queries (truth %.2f)", got, n, v.total)
			if got == int64(math.Floor(v.total)) {
				learned++
			}
		}
		if learned > 0 {
			t.Errorf("LEAK recovered the victim's settlement amount to the yuan (aggregate join ON, make_date error)")
		}
	})
	t.Logf("class 1 (execution-outcome oracles): %d queries", e.sent-sent)
}

// ----------------------------------------------------------------------
// Class 2: shape oracles.

// shapeOracles reads what surrounds an answer: the size of a withheld result
// in the answer, the history, the metering and the workspace's table listing,
// the metering and samples of queries over the withheld table, and
// suppression reasons. Each form is checked strictly (victim-true vs nobody)
// and used to guess whether each of 16 balanced victims has the commonest
// diagnosis.
func (e *attackEnv) shapeOracles(t *testing.T) {
	sent := e.sent
	x := e.commonDiagnosis()
	vs := e.balancedVictims(t, 16, x)
	forms := []struct {
		name      string
		followups bool
		sql       func(cond string) string
	}{
		{"shape_withheld_answer_history_listing", false, func(c string) string {
			return "SELECT p.gender FROM " + atkJoin + " WHERE " + c
		}},
		{"shape_withheld_followup_metering_sample", true, func(c string) string {
			return "SELECT p.gender, m.hospital FROM " + atkJoin + " WHERE " + c
		}},
		{"shape_suppressed_group_reasons", false, func(c string) string {
			return "SELECT p.ethnicity, count(*) AS n FROM " + atkJoin + " WHERE " + c + " GROUP BY p.ethnicity"
		}},
		{"shape_zero_vs_one_person", false, func(c string) string {
			return "SELECT count(DISTINCT p.id_number) AS n FROM " + atkJoin + " WHERE " + c
		}},
	}
	for _, fm := range forms {
		t.Run(fm.name, func(t *testing.T) {
			e.freshWorkspace(t)
			w := vs[0].who()
			base := e.ask(t, fm.sql(atkAllPred("p", w.township, 0)))
			if base.HTTP != 200 || base.Status == "rejected" {
				t.Errorf("baseline not released: %s", base.brief())
			}
			ts, ta := e.shapeOutcome(t, fm.sql(w.pred("p", 0)), fm.followups)
			fs, _ := e.shapeOutcome(t, fm.sql(w.nobody().pred("p", 0)), fm.followups)
			if ts != fs {
				t.Errorf("LEAK whether one person matches shows in what surrounds the answer (%s): %s", ta.brief(), atkSigDiff(ts, fs))
			}
			// Six victims per workspace (a day apart), so that a quota on
			// withheld results does not blur the oracle.
			var refs map[int]string
			var guesses, truth []bool
			for i, v := range vs {
				if i%6 == 0 {
					e.freshWorkspace(t)
					refs = map[int]string{}
				}
				sp := (i / 2) % 2 // both classes of victims see both spellings
				cond := func(w atkWho) string { return w.pred("p", sp) + " AND m.diagnosis_category = '" + x + "'" }
				if _, ok := refs[sp]; !ok {
					refs[sp], _ = e.shapeOutcome(t, fm.sql(cond(v.who().nobody())), fm.followups)
				}
				s, _ := e.shapeOutcome(t, fm.sql(cond(v.who())), fm.followups)
				guesses = append(guesses, s != refs[sp])
				truth = append(truth, v.has(x))
			}
			atkScoreGuesses(t, fm.name+": has diagnosis "+x, guesses, truth, len(vs))
		})
	}
	t.Run("shape_reason_counts_hidden_groups", func(t *testing.T) {
		e.freshWorkspace(t)
		// Hidden groups per county for a fine grouping, from the truth.
		hidden := map[string]int{}
		sizes := map[string]int{}
		for _, p := range e.people {
			sizes[p.county+"|"+p.township+"|"+p.ethnicity+"|"+p.household]++
		}
		for g, n := range sizes {
			if n < e.k {
				hidden[strings.Split(g, "|")[0]]++
			}
		}
		var counties []string
		for c := range hidden {
			counties = append(counties, c)
		}
		sort.Slice(counties, func(i, j int) bool {
			return hidden[counties[i]] > hidden[counties[j]] || hidden[counties[i]] == hidden[counties[j]] && counties[i] < counties[j]
		})
		if len(counties) < 2 || hidden[counties[0]] == hidden[counties[len(counties)-1]] {
			t.Fatalf("need two counties with different numbers of small groups: %v", hidden)
		}
		counties = []string{counties[0], counties[len(counties)-1]}
		var sigs []string
		for _, c := range counties[:2] {
			prev := e.lastHist
			a := e.ask(t, "SELECT p.township, p.ethnicity, p.household_type, count(*) AS n FROM zw_ga_0001 p WHERE p.county = '"+c+"' GROUP BY p.township, p.ethnicity, p.household_type")
			if !a.released() || len(a.Rows) == 0 {
				t.Errorf("baseline not released: %s", a.brief())
			}
			h := e.newHistory(t, prev)
			var hs []any
			for _, it := range h {
				m, _ := it.(map[string]any)
				shape, _ := m["shape"].(map[string]any)
				hs = append(hs, []any{m["reasons"], m["rules"], shape["suppressed"]})
			}
			sigs = append(sigs, atkCanonical([]any{a.Reasons, hs}))
		}
		t.Logf("small groups from the truth: %s %d, %s %d", counties[0], hidden[counties[0]], counties[1], hidden[counties[1]])
		if sigs[0] != sigs[1] {
			t.Errorf("LEAK suppression reasons or history count the hidden groups (%d vs %d from the truth): %s",
				hidden[counties[0]], hidden[counties[1]], atkSigDiff(sigs[0], sigs[1]))
		}
	})
	t.Logf("class 2 (shape oracles): %d queries", e.sent-sent)
}

// ----------------------------------------------------------------------
// Class 3: padding.

// padding makes a one-person group look big by joining it with an unrelated
// population, a self-join, the settlements table, or a withheld table:
// privacy units must be counted across every person-keyed table (invariant
// 8), so no figure about the victim's own settlements may be released.
func (e *attackEnv) padding(t *testing.T) {
	sent := e.sent
	vs := e.victims(t, 12, func(p *atkPerson) bool { return len(p.settlements) > 0 && p.total >= 50 })
	// The baseline pads the group of the first victim's township, gender
	// and household type: put first the victim whose group is largest, so
	// that the harmless side is a crowd.
	cell := map[string]int{}
	for _, p := range e.people {
		cell[p.township+"|"+p.gender+"|"+p.household]++
	}
	big := 0
	for i, p := range vs {
		if cell[p.township+"|"+p.gender+"|"+p.household] > cell[vs[big].township+"|"+vs[big].gender+"|"+vs[big].household] {
			big = i
		}
	}
	vs[0], vs[big] = vs[big], vs[0]
	// Padding of about a hundred persons (the women of a small township)
	// or settlements (a small hospital): many times K, cheap to join.
	padTown, padHosp := "", ""
	for town, n := range e.townSize {
		if n >= 4*e.k && (padTown == "" || atkAbs(n-200) < atkAbs(e.townSize[padTown]-200) || n == e.townSize[padTown] && town < padTown) {
			padTown = town
		}
	}
	pad := "pad.township = '" + padTown + "' AND pad.gender = '女'"
	hosp := map[string]int{}
	for _, p := range e.people {
		for _, s := range p.settlements {
			hosp[s.hospital]++
		}
	}
	for h, n := range hosp {
		if n >= 4*e.k && (padHosp == "" || atkAbs(n-100) < atkAbs(hosp[padHosp]-100) || n == hosp[padHosp] && h < padHosp) {
			padHosp = h
		}
	}
	ratio := func(a atkAnswer) (float64, bool) {
		s, ok1 := a.num(0, 0)
		k, ok2 := a.num(0, 1)
		if !ok1 || !ok2 || k <= 0 {
			return 0, false
		}
		return s / k, true
	}
	forms := []struct {
		name  string
		sql   func(t *testing.T, cond string) string // may withhold first
		est   func(atkAnswer) (float64, bool)
		truth func(*atkPerson) float64
	}{
		{"padding_cross_join_population", func(t *testing.T, c string) string {
			return "SELECT sum(m.total_amount) AS s, count(DISTINCT pad.id_number) AS k FROM zw_ga_0001 pad, " + atkJoin +
				" WHERE " + pad + " AND " + c
		}, ratio, func(p *atkPerson) float64 { return p.total }},
		{"padding_self_join", func(t *testing.T, c string) string {
			return "SELECT sum(m.total_amount) AS s, count(DISTINCT q.id_number) AS k FROM zw_ga_0001 q JOIN zw_ga_0001 p" +
				" ON q.township = p.township AND q.gender = p.gender AND q.household_type = p.household_type JOIN zw_yb_0001 m ON p.id_number = m.id_number WHERE " + c
		}, ratio, func(p *atkPerson) float64 { return p.total }},
		{"padding_settlements", func(t *testing.T, c string) string {
			return "SELECT sum(m.total_amount) AS s, count(DISTINCT pad.settlement_id) AS k FROM zw_yb_0001 pad, " + atkJoin +
				" WHERE pad.hospital = '" + padHosp + "' AND " + c
		}, ratio, func(p *atkPerson) float64 { return p.total }},
		{"padding_withheld_table", func(t *testing.T, c string) string {
			w := e.ask(t, "SELECT m.total_amount FROM "+atkJoin+" WHERE "+c)
			if w.Table == "" {
				return "SELECT sum(m.total_amount) AS s, count(DISTINCT pad.id_number) AS k FROM zw_ga_0001 pad, " + atkJoin +
					" WHERE " + pad + " AND " + c
			}
			return "SELECT sum(r.total_amount) AS s, count(DISTINCT pad.id_number) AS k FROM zw_ga_0001 pad, " + w.Table +
				" r WHERE " + pad
		}, ratio, func(p *atkPerson) float64 { return p.total }},
		{"padding_average", func(t *testing.T, c string) string {
			return "SELECT avg(m.total_amount) AS a, count(*) AS n FROM zw_ga_0001 pad, " + atkJoin +
				" WHERE " + pad + " AND " + c
		}, func(a atkAnswer) (float64, bool) { return a.num(0, 0) }, func(p *atkPerson) float64 { return p.total / float64(len(p.settlements)) }},
	}
	for _, fm := range forms {
		t.Run(fm.name, func(t *testing.T) {
			e.freshWorkspace(t)
			// The same padded query over a group of many persons.
			v := vs[0]
			many := fmt.Sprintf("%s AND p.gender = '%s' AND p.household_type = '%s'", atkAllPred("p", v.township, 0), v.gender, v.household)
			base := e.ask(t, fm.sql(t, many))
			if base.Status == "rejected" && strings.Contains(base.brief(), "cross_product") {
				// Relations of people must be joined by equalities: the
				// padding cannot even be written.
				t.Logf("%s: refused as a cross product, the padding cannot be written", fm.name)
				return
			}
			// Released is enough: padding may make a figure's noise as large
			// as the figure (each padded person touches the whole group).
			if !base.released() || len(base.Rows) == 0 {
				t.Errorf("baseline not released: the padded query over the %s %s persons of %s: %s", v.household, v.gender, v.township, base.brief())
			}
			hits, answered := 0, 0
			var shown []string
			for i, v := range vs {
				a := e.ask(t, fm.sql(t, v.who().pred("p", i)))
				est, ok := fm.est(a)
				if !ok {
					continue
				}
				answered++
				if atkNear(est, fm.truth(v)) {
					hits++
					shown = append(shown, fmt.Sprintf("  victim born %s in %s: estimate %.2f, truth %.2f", v.birth, v.township, est, fm.truth(v)))
				}
			}
			atkScoreEstimates(t, fm.name, hits, len(vs), answered, shown)
		})
	}
	t.Logf("class 3 (padding): %d queries", e.sent-sent)
}

func atkAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// ----------------------------------------------------------------------
// Class 4: differencing.

// differencing asks about a whole township and about the township without the
// victim (singled out by birth date and gender), in one query with FILTER or
// in two, with cosmetic changes (constant columns, aliases, ORDER BY, other
// groupings) and rephrased predicates (NOT, De Morgan, BETWEEN, IN, x+0).
// Low-effect conditions must be neutralized (invariant 8): the difference
// must not estimate the victim's settlement total, visit count or diagnosis.
func (e *attackEnv) differencing(t *testing.T) {
	sent := e.sent
	vs := e.victims(t, 12, func(p *atkPerson) bool { return len(p.settlements) > 0 && p.total >= 50 })
	x := e.commonDiagnosis()
	balanced := e.balancedVictims(t, 16, x)
	// estimate is one differencing attempt: base says the "all" side was
	// released, answered that both sides were.
	type estimate struct {
		est            float64
		base, answered bool
	}
	// run asks the pair for each victim and scores the estimates.
	run := func(t *testing.T, what string, victims []*atkPerson, truth func(*atkPerson) float64, pair func(v *atkPerson, i int) estimate) {
		t.Helper()
		hits, answered, base := 0, 0, 0
		var shown []string
		for i, v := range victims {
			r := pair(v, i)
			if r.base {
				base++
			}
			if !r.answered {
				continue
			}
			answered++
			if atkNear(r.est, truth(v)) {
				hits++
				shown = append(shown, fmt.Sprintf("  victim born %s in %s: estimate %.2f, truth %.2f", v.birth, v.township, r.est, truth(v)))
			}
		}
		if 2*base < len(victims) {
			t.Errorf("baseline not released: the \"all\" side of only %d/%d differencing pairs was released", base, len(victims))
		}
		atkScoreEstimates(t, what, hits, len(victims), answered, shown)
	}
	total := func(p *atkPerson) float64 { return p.total }
	filterPair := func(t *testing.T, agg string) func(v *atkPerson, i int) estimate {
		return func(v *atkPerson, i int) estimate {
			// A fresh constant column per query: a cosmetic that defeats
			// any history keyed by the result's shape.
			a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, %s AS all_of_them, %s FILTER (WHERE %s) AS all_but_one FROM %s WHERE %s",
				e.newTag(), agg, agg, v.who().notPred("p", i), atkJoin, atkAllPred("p", v.township, i)))
			all, ok1 := a.num(0, 1)
			but, ok2 := a.num(0, 2)
			return estimate{all - but, ok1, ok1 && ok2}
		}
	}
	t.Run("differencing_filter_same_query", func(t *testing.T) {
		e.freshWorkspace(t)
		run(t, "settlement total by FILTER", vs, total, filterPair(t, "sum(m.total_amount)"))
	})
	t.Run("differencing_tagged_pair", func(t *testing.T) {
		e.freshWorkspace(t)
		run(t, "settlement total by two tagged queries", vs[:8], total, func(v *atkPerson, i int) estimate {
			a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, sum(m.total_amount) AS s FROM %s WHERE %s", e.newTag(), atkJoin, atkAllPred("p", v.township, 0)))
			b := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, sum(m.total_amount) AS s FROM %s WHERE %s AND %s", e.newTag(), atkJoin, atkAllPred("p", v.township, 0), v.who().notPred("p", 0)))
			all, ok1 := a.num(0, 1)
			but, ok2 := b.num(0, 1)
			return estimate{all - but, ok1, ok1 && ok2}
		})
	})
	t.Run("differencing_predicate_algebra", func(t *testing.T) {
		e.freshWorkspace(t)
		// Six rephrasings per victim, each with its own cosmetic dress; the
		// attacker averages whatever is answered.
		perSpelling := make([]int, 6)
		run(t, "settlement total averaged over six rephrasings", vs[:4], total, func(v *atkPerson, i int) estimate {
			var sum float64
			n, bases := 0, 0
			for s := 0; s < 6; s++ {
				a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag_%d, sum(m.total_amount) AS total FROM %s WHERE %s ORDER BY 1",
					e.newTag(), s, atkJoin, atkAllPred("p", v.township, s)))
				b := e.ask(t, fmt.Sprintf("SELECT sum(m.total_amount + 0) AS t%d, '%s' AS label FROM zw_yb_0001 m JOIN zw_ga_0001 p ON m.id_number = p.id_number WHERE %s AND %s",
					s, e.newTag(), v.who().notPred("p", s), atkAllPred("p", v.township, s+1)))
				all, ok1 := a.num(0, 1)
				but, ok2 := b.num(0, 0)
				if ok1 {
					bases++
				}
				if ok1 && ok2 {
					sum += all - but
					n++
					if atkNear(all-but, v.total) {
						perSpelling[s]++
					}
				}
			}
			if n == 0 {
				return estimate{base: bases > 0}
			}
			return estimate{sum / float64(n), bases > 0, true}
		})
		t.Logf("exact differences per rephrasing (NOT, De Morgan, NOT BETWEEN, NOT generalized, ranges, x+0): %v", perSpelling)
	})
	t.Run("differencing_group_by_cosmetics", func(t *testing.T) {
		e.freshWorkspace(t)
		run(t, "settlement total by two groupings", vs[:8], total, func(v *atkPerson, i int) estimate {
			a := e.ask(t, fmt.Sprintf("SELECT p.township, sum(m.total_amount) AS s, '%s' AS tag FROM %s WHERE p.county = '%s' GROUP BY p.township", e.newTag(), atkJoin, v.county))
			b := e.ask(t, fmt.Sprintf("SELECT p.township AS town, p.county, sum(m.total_amount) AS total, '%s' AS note FROM %s WHERE p.county = '%s' AND %s GROUP BY p.township, p.county ORDER BY 1",
				e.newTag(), atkJoin, v.county, v.who().notPred("p", i)))
			all, ok1 := a.cell(v.township, 1)
			but, ok2 := b.cell(v.township, 2)
			return estimate{all - but, ok1, ok1 && ok2}
		})
	})
	t.Run("differencing_visit_count", func(t *testing.T) {
		e.freshWorkspace(t)
		visits := func(p *atkPerson) float64 { return float64(len(p.settlements)) }
		hits, base := 0, 0
		for i, v := range vs {
			r := filterPair(t, "count(*)")(v, i)
			if r.base {
				base++
			}
			if r.answered && math.Round(r.est) == visits(v) {
				hits++
			}
		}
		if 2*base < len(vs) {
			t.Errorf("baseline not released: the \"all\" side of only %d/%d pairs was released", base, len(vs))
		}
		t.Logf("visit counts: %d/%d exact", hits, len(vs))
		if hits*4 > len(vs) {
			t.Errorf("LEAK learned the exact number of hospital visits of %d/%d victims by differencing", hits, len(vs))
		}
	})
	for _, form := range []string{"filter", "pair"} {
		t.Run("differencing_has_diagnosis_"+form, func(t *testing.T) {
			e.freshWorkspace(t)
			var guesses, truth []bool
			answered, base := 0, 0
			for j, v := range balanced {
				i := j / 2 // both classes of victims see every spelling
				var all, but float64
				var ok1, ok2 bool
				if form == "filter" {
					a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, count(*) FILTER (WHERE m.diagnosis_category = '%s') AS n_all, count(*) FILTER (WHERE m.diagnosis_category = '%s' AND %s) AS n_but FROM %s WHERE %s",
						e.newTag(), x, x, v.who().notPred("p", i), atkJoin, atkAllPred("p", v.township, i)))
					all, ok1 = a.num(0, 1)
					but, ok2 = a.num(0, 2)
				} else {
					a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, count(*) AS n FROM %s WHERE m.diagnosis_category = '%s' AND %s", e.newTag(), atkJoin, x, atkAllPred("p", v.township, i)))
					b := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, count(*) AS n FROM %s WHERE m.diagnosis_category = '%s' AND %s AND %s", e.newTag(), atkJoin, x, atkAllPred("p", v.township, i), v.who().notPred("p", i)))
					all, ok1 = a.num(0, 1)
					but, ok2 = b.num(0, 1)
				}
				if ok1 {
					base++
				}
				if ok1 && ok2 {
					answered++
				}
				guesses = append(guesses, ok1 && ok2 && all-but >= 0.5)
				truth = append(truth, v.has(x))
			}
			if 2*base < len(balanced) {
				t.Errorf("baseline not released: the \"all\" side of only %d/%d pairs was released", base, len(balanced))
			}
			atkScoreGuesses(t, "has diagnosis "+x+" by differencing ("+form+")", guesses, truth, answered)
		})
	}
	t.Logf("class 4 (differencing): %d queries", e.sent-sent)
}

// ----------------------------------------------------------------------
// Class 5: extremes and order statistics.

// atkGroupValues maps a group key to the values of its settlements.
type atkGroupValues map[string][]float64

func (e *attackEnv) groupSettlements(key func(*atkPerson, *atkSettlement) string, val func(*atkSettlement) float64) atkGroupValues {
	g := atkGroupValues{}
	for _, p := range e.people {
		for i := range p.settlements {
			s := &p.settlements[i]
			k := key(p, s)
			g[k] = append(g[k], val(s))
		}
	}
	for _, v := range g {
		sort.Float64s(v)
	}
	return g
}

// atkDistinctTop returns the largest (or smallest) value of vs when it is held
// by one settlement and stands clearly apart from the next.
func atkDistinctTop(vs []float64, largest bool) (float64, bool) {
	if len(vs) < 2 {
		return 0, false
	}
	a, b := vs[len(vs)-1], vs[len(vs)-2]
	if !largest {
		a, b = vs[0], vs[1]
	}
	gap := math.Abs(a - b)
	return a, gap >= math.Max(0.01, 0.005*math.Abs(a))
}

// extremes asks for extremes and order statistics in every spelling (max/min,
// quantile_disc at 0 and 1, quantile_cont, arg_max, max_by, negated
// quantiles, extrapolation from two high quantiles, medians of small groups,
// ORDER BY … LIMIT over withheld tables): none may release one person's value
// (invariant 8: flattened extremes).
func (e *attackEnv) extremes(t *testing.T) {
	sent := e.sent
	type grouping struct {
		name, sql string
		key       func(*atkPerson, *atkSettlement) string
	}
	groupings := []grouping{
		{"township", "p.township", func(p *atkPerson, s *atkSettlement) string { return p.township }},
		{"hospital", "m.hospital", func(p *atkPerson, s *atkSettlement) string { return s.hospital }},
	}
	columns := []struct {
		sql string
		val func(*atkSettlement) float64
	}{
		{"m.total_amount", func(s *atkSettlement) float64 { return s.total }},
		{"m.self_paid", func(s *atkSettlement) float64 { return s.self }},
	}
	maxLike := []string{"quantile_disc(%s, 1.0)", "quantile_disc(%s, 1)", "quantile(%s, 1.0)", "quantile_cont(%s, 1.0)",
		"max(%s)", "arg_max(%s, %s)", "max_by(%s, %s)", "-quantile_disc(-%s, 0.0)", "quantile_disc(%s + 0, 1.0)", "quantile_disc(%s, 0.99999)"}
	minLike := []string{"quantile_disc(%s, 0.0)", "quantile_cont(%s, 0)", "min(%s)", "arg_min(%s, %s)", "-quantile_disc(-%s, 1.0)"}
	spell := func(f, col string) string { return strings.ReplaceAll(f, "%s", col) }
	// baseline: an average over the same groups must be released, or the
	// extremes attacks prove nothing.
	baseline := func(t *testing.T, sqlText string) {
		t.Helper()
		if a := e.ask(t, sqlText); !a.released() || len(a.Rows) == 0 {
			t.Errorf("baseline not released: %s: %s", sqlText, a.brief())
		}
	}
	perTownship := fmt.Sprintf("SELECT p.township AS g, avg(m.total_amount) AS v FROM %s GROUP BY p.township", atkJoin)
	t.Run("extreme_max_min_quantiles", func(t *testing.T) {
		e.freshWorkspace(t)
		baseline(t, perTownship)
		var leaks []string
		released, compared := 0, 0
		for _, g := range groupings {
			for ci, c := range columns {
				truth := e.groupSettlements(g.key, c.val)
				type variant struct {
					agg     string
					largest bool
				}
				var vars []variant
				for j, f := range maxLike {
					if ci == 0 || j < 3 {
						vars = append(vars, variant{spell(f, c.sql), true})
					}
				}
				if ci == 0 {
					for _, f := range minLike {
						vars = append(vars, variant{spell(f, c.sql), false})
					}
				}
				for _, vr := range vars {
					a := e.ask(t, fmt.Sprintf("SELECT %s AS g, %s AS v FROM %s GROUP BY %s", g.sql, vr.agg, atkJoin, g.sql))
					if a.released() && len(a.Rows) > 0 {
						released++
					}
					for i, r := range a.Rows {
						v, ok := a.num(i, 1)
						top, distinct := atkDistinctTop(truth[fmt.Sprint(r[0])], vr.largest)
						if !ok || !distinct {
							continue
						}
						compared++
						if math.Abs(v-top) <= 0.005 {
							leaks = append(leaks, fmt.Sprintf("  %s by %s, group %v: released %.2f = one settlement's value", vr.agg, g.name, r[0], v))
						}
					}
				}
			}
		}
		t.Logf("%d queries answered with rows, %d released cells compared with a distinctive extreme", released, compared)
		if len(leaks) > 0 {
			t.Errorf("LEAK %d released cells equal one person's distinctive extreme value:\n%s", len(leaks), atkFirstN(leaks, 5))
		}
	})
	t.Run("extreme_quantile_extrapolation", func(t *testing.T) {
		e.freshWorkspace(t)
		baseline(t, perTownship)
		var leaks []string
		compared := 0
		for _, g := range groupings {
			for _, c := range columns {
				truth := e.groupSettlements(g.key, c.val)
				a := e.ask(t, fmt.Sprintf("SELECT %s AS g, quantile_cont(%s, 0.9999) AS a, quantile_cont(%s, 0.9998) AS b FROM %s GROUP BY %s",
					g.sql, c.sql, c.sql, atkJoin, g.sql))
				for i, r := range a.Rows {
					q1, ok1 := a.num(i, 1)
					q2, ok2 := a.num(i, 2)
					vals := truth[fmt.Sprint(r[0])]
					top, distinct := atkDistinctTop(vals, true)
					if !ok1 || !ok2 || !distinct || len(vals) > 5000 {
						continue // both quantiles must fall between the top two values
					}
					compared++
					if est := 2*q1 - q2; math.Abs(est-top) <= math.Max(0.05, 0.001*top) {
						leaks = append(leaks, fmt.Sprintf("  %s by %s, group %v: extrapolated %.2f, largest settlement %.2f", c.sql, g.name, r[0], est, top))
					}
				}
			}
		}
		t.Logf("%d groups compared", compared)
		if len(leaks) > 0 {
			t.Errorf("LEAK linear extrapolation of quantile_cont(x, 0.9999) and (x, 0.9998) recovers the largest settlement of %d groups:\n%s", len(leaks), atkFirstN(leaks, 4))
		}
	})
	t.Run("extreme_birth_dates", func(t *testing.T) {
		e.freshWorkspace(t)
		baseline(t, "SELECT p.township AS g, count(*) AS n FROM zw_ga_0001 p GROUP BY p.township")
		by := map[string]map[string]map[string]int{"p.township": {}, "p.county": {}}
		for _, p := range e.people {
			for k, g := range map[string]string{"p.township": p.township, "p.county": p.county} {
				if by[k][g] == nil {
					by[k][g] = map[string]int{}
				}
				by[k][g][p.birth]++
			}
		}
		extreme := func(dates map[string]int, oldest bool) (string, bool) {
			var ds []string
			for d := range dates {
				ds = append(ds, d)
			}
			sort.Strings(ds)
			d := ds[len(ds)-1]
			if oldest {
				d = ds[0]
			}
			return d, dates[d] == 1
		}
		var leaks []string
		compared := 0
		for _, key := range []string{"p.township", "p.county"} {
			for _, agg := range []struct {
				sql    string
				oldest bool
			}{{"quantile_disc(p.birth_date, 0.0)", true}, {"quantile_disc(p.birth_date, 1.0)", false}, {"min(p.birth_date)", true},
				{"max(p.birth_date)", false}, {"quantile_disc(p.birth_date, 0.00001)", true}} {
				a := e.ask(t, fmt.Sprintf("SELECT %s AS g, %s AS d FROM zw_ga_0001 p GROUP BY %s", key, agg.sql, key))
				if !a.released() {
					continue
				}
				for _, r := range a.Rows {
					if len(r) < 2 || r[1] == nil {
						continue
					}
					d, unique := extreme(by[key][fmt.Sprint(r[0])], agg.oldest)
					if !unique {
						continue
					}
					compared++
					if got := fmt.Sprint(r[1]); len(got) >= 10 && got[:10] == d {
						leaks = append(leaks, fmt.Sprintf("  %s by %s, group %v: %s is one person's birth date", agg.sql, key, r[0], d))
					}
				}
			}
		}
		t.Logf("%d cells compared with a unique oldest or youngest birth date", compared)
		if len(leaks) > 0 {
			t.Errorf("LEAK %d released birth dates belong to exactly one person of the group (with the group, that singles them out):\n%s", len(leaks), atkFirstN(leaks, 4))
		}
	})
	t.Run("extreme_median_small_groups", func(t *testing.T) {
		e.freshWorkspace(t)
		baseline(t, fmt.Sprintf("SELECT p.township, p.gender, p.household_type, avg(m.total_amount) AS v FROM %s GROUP BY p.township, p.gender, p.household_type", atkJoin))
		key := func(p *atkPerson, s *atkSettlement) string { return p.township + "|" + p.gender + "|" + p.household }
		truth := e.groupSettlements(key, func(s *atkSettlement) float64 { return s.total })
		hits, compared := 0, 0
		var shown []string
		for _, agg := range []string{"median(m.total_amount)", "quantile_disc(m.total_amount, 0.5)", "quantile_disc(m.total_amount, 0.25)", "quantile_cont(m.total_amount, 0.75)"} {
			a := e.ask(t, fmt.Sprintf("SELECT p.township, p.gender, p.household_type, %s AS v FROM %s GROUP BY p.township, p.gender, p.household_type", agg, atkJoin))
			for i, r := range a.Rows {
				v, ok := a.num(i, 3)
				vals := truth[fmt.Sprintf("%v|%v|%v", r[0], r[1], r[2])]
				if !ok || len(vals) == 0 || len(vals) > 120 {
					continue
				}
				compared++
				j := sort.SearchFloat64s(vals, v-0.005)
				if j < len(vals) && math.Abs(vals[j]-v) <= 0.005 {
					hits++
					if len(shown) < 4 {
						shown = append(shown, fmt.Sprintf("  %s, group %v/%v/%v of %d settlements: %.2f is one settlement's value", agg, r[0], r[1], r[2], len(vals), v))
					}
				}
			}
		}
		t.Logf("%d small-group order statistics compared, %d equal one settlement's value", compared, hits)
		if hits > max(2, compared/10) {
			t.Errorf("LEAK %d of %d order statistics over groups of at most 120 settlements equal one person's value:\n%s", hits, compared, strings.Join(shown, "\n"))
		}
	})
	t.Run("extreme_top_n_withheld_limit", func(t *testing.T) {
		e.freshWorkspace(t)
		var all []float64
		for _, p := range e.people {
			for _, s := range p.settlements {
				all = append(all, s.total)
			}
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(all)))
		limitRefused := false
		sumOf := func(limit string) (float64, bool) {
			w := e.ask(t, "SELECT m.total_amount FROM zw_yb_0001 m ORDER BY m.total_amount DESC "+limit)
			if w.Table == "" {
				if w.Status == "rejected" {
					limitRefused = true
				}
				return 0, false
			}
			a := e.ask(t, "SELECT sum(r.total_amount) AS s FROM "+w.Table+" r")
			return a.num(0, 0)
		}
		if _, ok := sumOf("LIMIT 1000"); !ok && !limitRefused {
			t.Errorf("baseline not released: the sum of the 1000 largest settlements")
		} else if limitRefused {
			// A row-level LIMIT is refused outright: there is no top-N to subtract.
			t.Logf("row-level LIMIT refused: the top-N differencing attack has nothing to work with")
		}
		var leaks []string
		sums := map[int]float64{}
		oks := map[int]bool{}
		released := 0
		for n := e.k; n <= e.k+6; n++ {
			sums[n], oks[n] = sumOf(fmt.Sprintf("LIMIT %d", n))
			if oks[n] {
				released++
			}
		}
		t.Logf("sums over the top %d..%d settlements released: %d of 7", e.k, e.k+6, released)
		for n := e.k; n < e.k+6; n++ {
			if oks[n] && oks[n+1] && math.Abs(sums[n+1]-sums[n]-all[n]) <= 0.005 {
				leaks = append(leaks, fmt.Sprintf("  LIMIT %d minus LIMIT %d = %.2f, the %d-th largest settlement", n+1, n, all[n], n+1))
			}
		}
		if off, ok := sumOf(fmt.Sprintf("LIMIT %d OFFSET 1", e.k)); ok && oks[e.k+1] && math.Abs(sums[e.k+1]-off-all[0]) <= 0.005 {
			leaks = append(leaks, fmt.Sprintf("  LIMIT %d minus LIMIT %d OFFSET 1 = %.2f, the largest settlement", e.k+1, e.k, all[0]))
		}
		a := e.ask(t, fmt.Sprintf("SELECT p.township AS g, quantile_disc(m.total_amount, 1.0) AS v FROM %s GROUP BY p.township ORDER BY v DESC LIMIT 1", atkJoin))
		if v, ok := a.num(0, 1); ok && math.Abs(v-all[0]) <= 0.005 && all[0]-all[1] >= 0.01 {
			leaks = append(leaks, fmt.Sprintf("  ORDER BY quantile_disc(…, 1.0) DESC LIMIT 1 = %.2f, the largest settlement", v))
		}
		if len(leaks) > 0 {
			t.Errorf("LEAK top-N of personal values by ORDER BY … LIMIT:\n%s", atkFirstN(leaks, 5))
		}
	})
	t.Logf("class 5 (extremes): %d queries", e.sent-sent)
}

// ----------------------------------------------------------------------
// Class 6: trackers and averaging.

// trackersAveraging plays Denning's general tracker q(C∨T) + q(C∨¬T) −
// q(T∨¬T) = q(C), where C singles out the victim and T is half the city, and
// averaging: the same question asked many ways must give the same answer
// (sticky noise), so repeating a differencing pair cannot average the noise
// away (invariant 8).
func (e *attackEnv) trackersAveraging(t *testing.T) {
	sent := e.sent
	vs := e.victims(t, 12, func(p *atkPerson) bool { return len(p.settlements) > 0 && p.total >= 50 })
	x := e.commonDiagnosis()
	balanced := e.balancedVictims(t, 16, x)
	tracker := "p.county = '沙坡头区'"
	t.Run("tracker_general_sum", func(t *testing.T) {
		e.freshWorkspace(t)
		q := func(where string) (float64, bool) {
			a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, sum(m.total_amount) AS s FROM %s WHERE %s", e.newTag(), atkJoin, where))
			return a.num(0, 1)
		}
		everyone, ok := q(tracker + " OR NOT (" + tracker + ")")
		if !ok {
			t.Errorf("baseline not released: q(T OR NOT T)")
		}
		hits, answered := 0, 0
		var shown []string
		for i, v := range vs[:8] {
			c := v.who().pred("p", i)
			a, ok1 := q("(" + c + ") OR " + tracker)
			b, ok2 := q("(" + c + ") OR NOT (" + tracker + ")")
			if !ok || !ok1 || !ok2 {
				continue
			}
			answered++
			if est := a + b - everyone; atkNear(est, v.total) {
				hits++
				shown = append(shown, fmt.Sprintf("  victim born %s in %s: tracker estimate %.2f, truth %.2f", v.birth, v.township, est, v.total))
			}
		}
		atkScoreEstimates(t, "settlement total by general tracker", hits, 8, answered, shown)
	})
	t.Run("tracker_has_diagnosis", func(t *testing.T) {
		e.freshWorkspace(t)
		q := func(where string) (float64, bool) {
			a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, count(*) AS n FROM %s WHERE m.diagnosis_category = '%s' AND (%s)", e.newTag(), atkJoin, x, where))
			return a.num(0, 1)
		}
		everyone, ok := q(tracker + " OR NOT (" + tracker + ")")
		if !ok {
			t.Errorf("baseline not released: q(T OR NOT T)")
		}
		var guesses, truth []bool
		answered := 0
		for j, v := range balanced {
			c := v.who().pred("p", j/2)
			a, ok1 := q("(" + c + ") OR " + tracker)
			b, ok2 := q("(" + c + ") OR NOT (" + tracker + ")")
			good := ok && ok1 && ok2
			if good {
				answered++
			}
			guesses = append(guesses, good && a+b-everyone >= 0.5)
			truth = append(truth, v.has(x))
		}
		atkScoreGuesses(t, "has diagnosis "+x+" by general tracker", guesses, truth, answered)
	})
	t.Run("averaging_sticky_across_spellings", func(t *testing.T) {
		e.freshWorkspace(t)
		v := vs[0]
		T, C := v.township, v.county
		equivalents := []struct {
			sql string
			col int
		}{
			{"SELECT sum(m.total_amount) AS s FROM " + atkJoin + " WHERE p.township = '" + T + "'", 0},
			{"SELECT sum(m.total_amount) AS total FROM zw_yb_0001 m JOIN zw_ga_0001 p ON m.id_number = p.id_number WHERE p.township = '" + T + "'", 0},
			{"SELECT sum(m.total_amount) AS s FROM " + atkJoin + " WHERE p.township IN ('" + T + "')", 0},
			{"SELECT sum(m.total_amount) AS s FROM " + atkJoin + " WHERE '" + T + "' = p.township", 0},
			{"SELECT sum(m.total_amount) AS s FROM " + atkJoin + " WHERE p.township = '" + T + "' AND 1 = 1", 0},
			{"SELECT sum(m.total_amount) AS s FROM " + atkJoin + " WHERE p.township = '" + T + "' AND p.county = '" + C + "'", 0},
			{"SELECT sum(m.total_amount + 0) AS s FROM " + atkJoin + " WHERE p.township = '" + T + "'", 0},
			{"SELECT 'again' AS tag, sum(m.total_amount) AS s FROM " + atkJoin + " WHERE p.township = '" + T + "'", 1},
			{"SELECT p.township, sum(m.total_amount) AS s FROM " + atkJoin + " WHERE p.township = '" + T + "' GROUP BY p.township", 1},
			{"/* once more */ SELECT sum(m.total_amount) AS s FROM " + atkJoin + "  WHERE  p.township = '" + T + "'", 0},
			{"SELECT sum(m.total_amount) AS s FROM " + atkJoin + " WHERE lower(p.township) = '" + T + "'", 0},
			{"SELECT sum(m.total_amount) AS s FROM " + atkJoin + " WHERE p.township = '" + T + "' ORDER BY 1", 0},
		}
		var vals []float64
		for rep := 0; rep < 2; rep++ {
			for _, s := range equivalents {
				a := e.ask(t, s.sql)
				if v, ok := a.num(0, s.col); ok {
					vals = append(vals, v)
				}
			}
		}
		if len(vals) < len(equivalents) {
			t.Errorf("baseline not released: %d of %d equivalent queries answered", len(vals), 2*len(equivalents))
		}
		distinct := map[float64]bool{}
		for _, v := range vals {
			distinct[v] = true
		}
		t.Logf("%d answers to one question, %d distinct values", len(vals), len(distinct))
		if len(distinct) > 1 {
			t.Errorf("LEAK the same question asked %d ways gets %d different answers: noise that is not sticky averages away (%v…)", len(vals), len(distinct), vals[:min(len(vals), 6)])
		}
	})
	t.Run("averaging_repeated_differencing", func(t *testing.T) {
		e.freshWorkspace(t)
		hits, answered, base := 0, 0, 0
		var shown []string
		for _, v := range vs[:6] {
			var sum float64
			n := 0
			tag := e.newTag()
			for rep := 0; rep < 5; rep++ {
				a := e.ask(t, fmt.Sprintf("SELECT '%s' AS tag, sum(m.total_amount) AS a%d, sum(m.total_amount) FILTER (WHERE %s) AS b%d FROM %s WHERE %s",
					tag, rep, v.who().notPred("p", rep), rep, atkJoin, atkAllPred("p", v.township, rep)))
				all, ok1 := a.num(0, 1)
				but, ok2 := a.num(0, 2)
				if ok1 && rep == 0 {
					base++
				}
				if ok1 && ok2 {
					sum += all - but
					n++
				}
			}
			if n == 0 {
				continue
			}
			answered++
			if est := sum / float64(n); atkNear(est, v.total) {
				hits++
				shown = append(shown, fmt.Sprintf("  victim born %s: average of %d differences %.2f, truth %.2f", v.birth, n, est, v.total))
			}
		}
		if 2*base < 6 {
			t.Errorf("baseline not released: the \"all\" side was released for only %d/6 victims", base)
		}
		atkScoreEstimates(t, "settlement total averaged over 5 repetitions", hits, 6, answered, shown)
	})
	// Range creep: two ranges of birth years that each hold many people of
	// the victim's township, gender, ethnicity and household type but
	// differ by the victim's year (the victim is the only one of that
	// year); no condition singles anyone out, so only the release memory
	// stands between the attacker and the victim's diagnosis (equal
	// answers, or the average of the differences over several lower
	// bounds).
	t.Run("averaging_range_creep", func(t *testing.T) {
		e.freshWorkspace(t)
		var guesses, truth []bool
		answered := 0
		for _, v := range balanced {
			y, err := strconv.Atoi(v.birth[:4])
			if err != nil {
				t.Fatal(err)
			}
			q := func(lo, hi int) (float64, bool) {
				a := e.ask(t, fmt.Sprintf("SELECT count(DISTINCT p.id_number) AS n FROM %s WHERE m.diagnosis_category = '%s' AND p.township = '%s' AND p.gender = '%s' AND p.ethnicity = '%s' AND p.household_type = '%s' AND year(p.birth_date) BETWEEN %d AND %d",
					atkJoin, x, v.township, v.gender, v.ethnicity, v.household, lo, hi))
				return a.num(0, 0)
			}
			var sum float64
			pairs := 0
			for i := 0; i < 6; i++ {
				lo := y - 50 - 2*i
				a, ok1 := q(lo, y)
				b, ok2 := q(lo, y-1)
				if ok1 && ok2 {
					sum += a - b
					pairs++
				}
			}
			if pairs == 0 {
				continue
			}
			answered++
			guesses = append(guesses, sum/float64(pairs) >= 0.5)
			truth = append(truth, v.has(x))
		}
		// A victim unique on five quasi-identifiers lives in a small group:
		// for about half of them even decades of birth years with the
		// diagnosis hold fewer than K people, and nothing is released.
		if answered < 6 {
			t.Errorf("baseline not released: ranges answered for %d of %d victims", answered, len(balanced))
		}
		atkScoreGuesses(t, "has diagnosis "+x+" by range creep", guesses, truth, answered)
	})
	t.Logf("class 6 (trackers and averaging): %d queries", e.sent-sent)
}

// ----------------------------------------------------------------------
// Class 7: cost abuse.

// TestDisclosureAttack_R14_2_Inv6_CostAbuse checks resource limits
// (invariant 6, R14.2): heavy cross joins must not make a cheap count wait
// much longer than one query's timeout, and row-level results, each a table
// kept in the domain, must run into a quota.
func TestDisclosureAttack_R14_2_Inv6_CostAbuse(t *testing.T) {
	// Realistic groups do not matter here: a smaller city loads faster and
	// its triple cross joins are still far beyond any timeout.
	e := newAttackEnv(t, 10000)
	t.Run("cost_heavy_cross_joins", func(t *testing.T) {
		e.freshWorkspace(t)
		const timeout = 3 * time.Second
		e.s.ws.Timeout = timeout
		heavy := []string{
			// Joins on a column with three values: quadratic and cubic row counts
			// (cross products of people are refused outright).
			"SELECT count(*) AS n FROM zw_ga_0001 a JOIN zw_ga_0001 b ON a.county = b.county JOIN zw_yb_0001 c ON b.id_number = c.id_number",
			"SELECT a.county, count(*) AS n FROM zw_ga_0001 a JOIN zw_ga_0001 b ON a.county = b.county JOIN zw_ga_0001 c ON b.county = c.county GROUP BY a.county",
			"SELECT count(DISTINCT a.id_number) AS n FROM zw_yb_0001 a JOIN zw_yb_0001 b ON a.hospital = b.hospital JOIN zw_ga_0001 c ON b.id_number = c.id_number WHERE a.visit_type <> b.visit_type",
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*timeout)
		var wg sync.WaitGroup
		for _, q := range heavy {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _ = e.request(ctx, "POST", e.ws+"/queries", map[string]string{"sql": q, "data": "real"})
			}()
		}
		time.Sleep(300 * time.Millisecond)
		limit := timeout + 2*time.Second
		cctx, ccancel := context.WithTimeout(context.Background(), limit)
		start := time.Now()
		code, data, err := e.request(cctx, "POST", e.ws+"/queries", map[string]string{"sql": "SELECT p.county, count(*) AS n FROM zw_ga_0001 p GROUP BY p.county", "data": "real"})
		took := time.Since(start)
		ccancel()
		cancel()
		wg.Wait()
		e.sent += len(heavy) + 1
		switch {
		case err != nil:
			t.Errorf("LEAK (cost) a cheap count did not answer within %v (one query's timeout %v + 2s) while %d heavy cross joins ran: %v", limit, timeout, len(heavy), err)
		case code != 200:
			t.Errorf("cheap count: %d %s", code, data)
		default:
			t.Logf("cheap count answered in %v beside %d heavy cross joins", took.Round(time.Millisecond), len(heavy))
		}
	})
	t.Run("cost_row_level_quota", func(t *testing.T) {
		e.freshWorkspace(t)
		small := ""
		for town, n := range e.townSize {
			if small == "" || n < e.townSize[small] || n == e.townSize[small] && town < small {
				small = town
			}
		}
		const tries = 100
		accepted := 0
		var refusal string
		for i := 0; i < tries && refusal == ""; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			code, data, err := e.request(ctx, "POST", e.ws+"/queries",
				map[string]string{"sql": fmt.Sprintf("SELECT p.gender, %d AS run FROM zw_ga_0001 p WHERE p.township = '%s'", i, small), "data": "real"})
			cancel()
			e.sent++
			if err != nil {
				t.Fatalf("row-level query %d: %v", i, err)
			}
			var a atkAnswer
			_ = json.Unmarshal(data, &a)
			switch {
			case code >= 500:
				t.Fatalf("row-level query %d: server error %d %s", i, code, data)
			case code >= 400:
				refusal = fmt.Sprintf("%d %s", code, data)
			case a.Status == "withheld":
				accepted++
			default:
				refusal = string(data)
			}
		}
		if refusal == "" {
			t.Errorf("LEAK (cost) no quota on row-level results: %d withheld tables were created in the domain without refusal", accepted)
			return
		}
		// The limit is read from the refusal, not hard-coded.
		var limits []int
		for _, m := range regexp.MustCompile(`\d+`).FindAllString(refusal, -1) {
			if n, err := strconv.Atoi(m); err == nil && n > 0 {
				limits = append(limits, n)
			}
		}
		ok := len(limits) == 0
		for _, n := range limits {
			ok = ok || accepted <= n
		}
		t.Logf("refused after %d row-level results: %s", accepted, refusal)
		if !ok {
			t.Errorf("%d row-level results were accepted, more than any limit the refusal states: %s", accepted, refusal)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		code, data, err := e.request(ctx, "POST", e.ws+"/queries",
			map[string]string{"sql": "SELECT p.gender FROM zw_ga_0001 p WHERE p.township = '" + small + "'", "data": "real"})
		e.sent++
		var a atkAnswer
		_ = json.Unmarshal(data, &a)
		if err != nil || code == 200 && a.Status == "withheld" {
			t.Errorf("the quota did not hold for the next row-level query: %d %s %v", code, data, err)
		}
	})
	t.Logf("class 7 (cost abuse): %d queries", e.sent)
}
