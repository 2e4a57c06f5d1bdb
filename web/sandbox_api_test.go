package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"shuyu/sqlstore/sqltest"
	"shuyu/workspace/wstest"
)

// newSandboxHarness is newHarness with a sealed domain holding synthetic
// population and medical data, published in the catalog, and a workspace
// for merchant-a over both.
func newSandboxHarness(t *testing.T, backend string) (*harness, *wstest.Fixture, *Server, int64) {
	t.Helper()
	f := wstest.New(t, backend, 1500)
	ws := f.Open(t)
	s := New(Config{DB: f.DB, Vault: f.Vault, Data: f.Dir, Now: f.Clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, db: f.DB, clock: f.Clock, srv: srv, actors: f.Actors, tokens: map[string]string{}}, f, s, ws.ID
}

type sandboxResult struct {
	ID      int64 `json:"id"`
	Status  string
	Reasons []struct{ Code, Message string }
	Columns []string
	Rows    [][]any
	Table   string
}

func TestSandboxAPI_R14_1_R4_2_WorkspacesAndQueries(t *testing.T) {
	t.Parallel()
	sqltest.EachBackend(t, func(t *testing.T, b string) {
		h, _, _, id := newSandboxHarness(t, b)
		a, bTok := h.token("merchant-a"), h.token("merchant-b")
		var list struct {
			Items []struct {
				ID     int64
				Status string
			}
		}
		h.call(a, "GET", "/api/v1/workspaces", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != id || list.Items[0].Status != "active" {
			t.Fatalf("merchant-a list %+v", list)
		}
		h.call(bTok, "GET", "/api/v1/workspaces", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Errorf("merchant-b sees %+v", list)
		}
		ws := fmt.Sprintf("/api/v1/workspaces/%d", id)
		// Another tenant's workspace answers 404 on every route (invariant 3).
		for _, r := range []struct{ m, p string }{{"GET", ws}, {"GET", ws + "/queries"}, {"POST", ws + "/queries"},
			{"GET", ws + "/tables/zw_ga_0001/sample"}, {"GET", ws + "/tables/zw_ga_0001/simulated.csv"}} {
			resp, data := h.do(bTok, r.m, r.p, map[string]string{"sql": "SELECT count(*) AS n FROM zw_ga_0001", "data": "real"})
			if resp.StatusCode != 404 {
				t.Errorf("merchant-b %s %s: %d %s", r.m, r.p, resp.StatusCode, data)
			}
		}
		var d struct {
			K      int
			Tables []struct {
				Name    string
				Columns []struct{ Name, Type, Policy, Explanation string }
			}
		}
		h.call(a, "GET", ws, nil, 200, &d)
		if len(d.Tables) != 2 || d.K != 15 {
			t.Fatalf("detail %+v", d)
		}
		pol := map[string]string{}
		for _, tb := range d.Tables {
			for _, c := range tb.Columns {
				pol[tb.Name+"."+c.Name] = c.Policy
				if c.Type == "" || c.Explanation == "" {
					t.Errorf("column %s.%s lacks type or explanation", tb.Name, c.Name)
				}
			}
		}
		if pol["zw_ga_0001.id_number"] != "identifier" || pol["zw_yb_0001.total_amount"] != "sensitive" || pol["zw_ga_0001.gender"] != "quasi" {
			t.Errorf("policies %v", pol)
		}
		var res sandboxResult
		h.call(a, "POST", ws+"/queries", map[string]string{"sql": "SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county", "data": "real"}, 200, &res)
		if res.Status != "released" || len(res.Rows) != 3 || res.ID == 0 {
			t.Errorf("released %+v", res)
		}
		h.call(a, "POST", ws+"/queries", map[string]string{"sql": "SELECT gender, birth_date FROM zw_ga_0001", "data": "real"}, 200, &res)
		if res.Status != "withheld" || len(res.Rows) != 0 || res.Table == "" || len(res.Reasons) == 0 {
			t.Errorf("withheld %+v", res)
		}
		h.call(a, "POST", ws+"/queries", map[string]string{"sql": "SELECT name FROM zw_ga_0001 GROUP BY name", "data": "real"}, 200, &res)
		if res.Status != "rejected" || len(res.Reasons) == 0 {
			t.Errorf("rejected %+v", res)
		}
		h.call(a, "POST", ws+"/queries", map[string]string{"sql": "SELECT name, county FROM zw_ga_0001 LIMIT 3", "data": "simulated"}, 200, &res)
		if res.Status != "released" || len(res.Rows) != 3 {
			t.Errorf("simulated %+v", res)
		}
		// Bad input: a clear 4xx, nothing recorded.
		for _, body := range []any{map[string]string{"sql": "", "data": "real"}, map[string]string{"sql": "SELECT 1", "data": "raw"},
			`{"sql": 1}`, `{"sql":"SELECT 1","extra":true}`, map[string]string{"sql": strings.Repeat("x", 30000)}} {
			resp, data := h.do(a, "POST", ws+"/queries", body)
			if resp.StatusCode != 400 {
				t.Errorf("bad body %v: %d %s", body, resp.StatusCode, data)
			}
		}
		var hist struct {
			Items []struct {
				Status string
				Data   string
				CPU    int64 `json:"cpu_us"`
			}
		}
		h.call(a, "GET", ws+"/queries", nil, 200, &hist)
		if len(hist.Items) != 4 || hist.Items[0].Data != "simulated" || hist.Items[3].Status != "released" {
			t.Errorf("history %+v", hist)
		}
		resp, data := h.do(a, "GET", ws+"/tables/zw_yb_0001/simulated.csv", nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || strings.Count(string(data), "\n") != 2001 {
			t.Errorf("csv: %d %s %d lines", resp.StatusCode, resp.Header.Get("Content-Type"), strings.Count(string(data), "\n"))
		}
		// Freezing is the operator's; a frozen workspace refuses with a reason.
		resp, _ = h.do(a, "POST", ws+"/status", map[string]string{"action": "freeze", "reason": "我自己冻结"})
		if resp.StatusCode != 403 {
			t.Errorf("merchant freeze: %d", resp.StatusCode)
		}
		h.call(h.token("operator-admin"), "POST", ws+"/status", map[string]string{"action": "freeze", "reason": "配合安全检查"}, 200, nil)
		resp, data = h.do(a, "POST", ws+"/queries", map[string]string{"sql": "SELECT count(*) AS n FROM zw_ga_0001", "data": "real"})
		if resp.StatusCode != 409 || !strings.Contains(string(data), "冻结") {
			t.Errorf("frozen: %d %s", resp.StatusCode, data)
		}
	})
}

// R4.2, R28.3, invariant 1: no route gives merchant-a a raw value of the
// domain. Every API route is called (path values filled with the workspace,
// its tables, another id) and hostile queries are sent; every response body is
// scanned for the real identifier values.
func TestSandboxAPI_R4_2_R28_3_NIMP_4_NoRawValueThroughAnyRoute(t *testing.T) {
	t.Parallel()
	h, f, s, id := newSandboxHarness(t, "sqlite")
	a := h.token("merchant-a")
	raw := f.RawValues(wstest.PopulationTable, "id_number", "name", "phone", "address")
	for v := range f.RawValues(wstest.MedicalTable, "settlement_id", "id_number") {
		raw[v] = true
	}
	check := func(what string, body []byte) {
		t.Helper()
		text := string(body)
		for v := range raw {
			hit := strings.Contains(text, v)
			if len([]rune(v)) < 5 {
				// Short values (names) match whole: a simulated 杨永红 is not the real 杨永.
				hit = false
				for _, w := range []string{`"` + v + `"`, "'" + v + "'", "," + v + ",", "," + v + "\n", "\n" + v + ","} {
					hit = hit || strings.Contains(text, w)
				}
			}
			if hit {
				t.Fatalf("%s: response carries the real value %q", what, v)
			}
		}
	}
	ws := fmt.Sprintf("/api/v1/workspaces/%d", id)
	attacks := []string{
		"SELECT id_number, name, phone, address FROM zw_ga_0001",
		"SELECT name, count(*) AS n FROM zw_ga_0001 GROUP BY name",
		"SELECT substr(id_number, 1, 18) AS x, count(*) AS n FROM zw_ga_0001 GROUP BY x",
		"SELECT CASE WHEN count(*) > 0 THEN max(name) END AS x FROM zw_ga_0001",
		"SELECT county, count(*) AS n FROM zw_ga_0001 GROUP BY county ORDER BY min(id_number) LIMIT 1",
		"SELECT mask_partial(phone, 11, 0) AS p, count(*) AS n FROM zw_ga_0001 GROUP BY p",
		"SELECT CAST(name AS INTEGER) AS x, count(*) AS n FROM zw_ga_0001 GROUP BY x",
		"SELECT sum(CAST(address AS INTEGER)) AS x FROM zw_ga_0001",
		"SELECT p.county, count(*) AS n FROM zw_ga_0001 p JOIN zw_yb_0001 m ON p.id_number = m.id_number WHERE m.settlement_id = p.name GROUP BY p.county",
		"SELECT string_agg(name, ',') AS x FROM zw_ga_0001",
		"SELECT list(id_number) AS x FROM zw_ga_0001",
		"SELECT * FROM v_zw_ga_0001_1",
		"SELECT * FROM read_csv('" + f.Dir + "/domain/domain.duckdb')",
		"COPY zw_ga_0001 TO '/tmp/x.csv'",
		"ATTACH '" + f.Dir + "/domain/domain.duckdb' AS d",
		"SELECT name FROM zw_ga_0001 WHERE id_number = (SELECT min(id_number) FROM zw_ga_0001)",
	}
	for _, q := range attacks {
		for _, data := range []string{"real", "simulated"} {
			resp, body := h.do(a, "POST", ws+"/queries", map[string]string{"sql": q, "data": data})
			if resp.StatusCode >= 500 {
				t.Errorf("%s (%s): status %d", q, data, resp.StatusCode)
			}
			check(q+" "+data, body)
		}
	}
	// A withheld result's table: aggregates only, its rows never come back.
	var res sandboxResult
	h.call(a, "POST", ws+"/queries", map[string]string{"sql": "SELECT id_number, name FROM zw_ga_0001", "data": "real"}, 200, &res)
	if res.Status != "withheld" {
		t.Fatalf("withheld %+v", res)
	}
	for _, q := range []string{"SELECT name FROM " + res.Table, "SELECT name, count(*) AS n FROM " + res.Table + " GROUP BY name"} {
		_, body := h.do(a, "POST", ws+"/queries", map[string]string{"sql": q, "data": "real"})
		check(q, body)
	}
	tables := []string{wstest.PopulationTable, wstest.MedicalTable, res.Table}
	for _, rt := range s.routes {
		if !rt.api || rt.method != "GET" {
			continue
		}
		for _, idv := range []string{fmt.Sprint(id), "2"} {
			tbs := tables
			if !strings.Contains(rt.pattern, "{table}") {
				tbs = tables[:1]
			}
			for _, tb := range tbs {
				p := strings.ReplaceAll(rt.pattern, "{id}", idv)
				p = strings.ReplaceAll(p, "{table}", tb)
				p = pathParam.ReplaceAllString(p, idv)
				resp, body := h.do(a, "GET", p, nil)
				if resp.StatusCode >= 500 {
					t.Errorf("GET %s: %d", p, resp.StatusCode)
				}
				check("GET "+p, body)
			}
		}
	}
}

// R14.1: the order in which the workspace routes refuse stays as the API
// promises: a caller who may not open a workspace is refused (403) before
// its body is read; a bad limit or a malformed table name is a clear 4xx.
func TestSandboxAPI_R14_1_RefusalsBeforeBadInput(t *testing.T) {
	t.Parallel()
	h, _, _, id := newSandboxHarness(t, "sqlite")
	a, op := h.token("merchant-a"), h.token("operator-admin")
	bad := map[string]any{"no_such_field": 1}
	h.call(a, "POST", "/api/v1/workspaces", bad, 403, nil)
	h.call(op, "POST", "/api/v1/workspaces", bad, 400, nil)
	h.call("", "POST", "/api/v1/workspaces", bad, 401, nil)
	ws := fmt.Sprintf("/api/v1/workspaces/%d", id)
	for _, c := range []struct {
		path string
		want int
	}{
		{ws + "/queries?limit=0", 400}, {ws + "/queries?limit=501", 400}, {ws + "/queries?limit=x", 400},
		{ws + "/queries?limit=500", 200},
		{ws + "/tables/zw_ga_0001/sample?limit=1001", 400}, {ws + "/tables/zw_ga_0001/sample?limit=2", 200},
		{ws + "/tables/no-such;table/sample", 404}, {ws + "/tables/no-such;table/simulated.csv", 404},
		{"/api/v1/workspaces/x/queries", 404},
	} {
		h.call(a, "GET", c.path, nil, c.want, nil)
	}
	var sample struct {
		Table, Data string
		Rows        [][]any
	}
	h.call(a, "GET", ws+"/tables/zw_ga_0001/sample?limit=2", nil, 200, &sample)
	if sample.Table != "zw_ga_0001" || sample.Data != "simulated" || len(sample.Rows) != 2 {
		t.Errorf("sample %+v", sample)
	}
}

// The workbench in English explains its rules and column policies in
// English (the API keeps the Chinese text; the page follows the language).
func TestSandboxPage_R14_1_WorkbenchRulesInEnglish(t *testing.T) {
	t.Parallel()
	h, _, _, id := newSandboxHarness(t, "sqlite")
	m := uiAs(t, h, "merchant-a")
	st, en, _ := m.get(fmt.Sprintf("/workspaces/%d?lang=en", id))
	if st != 200 {
		t.Fatalf("english workbench: %d", st)
	}
	rules := pageText(en[strings.Index(en, `id="rules"`):strings.Index(en, `id="schema"`)])
	if !strings.Contains(rules, "whole years") || !strings.Contains(rules, "round numbers") || regexp.MustCompile(`\p{Han}`).MatchString(rules) {
		t.Errorf("english rules: %s", rules)
	}
	if !strings.Contains(pageText(en), "Quasi-identifier") {
		t.Error("english policy labels missing")
	}
	_, zh, _ := m.get(fmt.Sprintf("/workspaces/%d?lang=zh", id))
	if !strings.Contains(pageText(zh), "整年") || !strings.Contains(pageText(zh), "准标识符") {
		t.Error("chinese workbench lost its rules")
	}
}
