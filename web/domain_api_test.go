package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"shuyu/sqlstore/sqltest"
)

func TestDomainUpload_R10_1_R10_2_R11_1_JobVersionsReportAndMount(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := domainHarnessOn(t, env)
		id := h.entry("ZW-GA-0001", "dept-gongan", true)
		ids := domainIDs(6)
		bad := ids[5][:17] + map[bool]string{true: "0", false: "1"}[ids[5][17] != '0'] // wrong check digit
		body := peopleCSV(append(ids[:5:5], bad), []string{"甲", "乙", "丙", "丁", "戊", "己"})

		// Without wait: 202 and a job to poll (the browser's progress bar).
		resp, data := h.upload("dept-gongan", id, "人口2026.csv", []byte(body), "")
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("upload: %d %s", resp.StatusCode, data)
		}
		var j struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Format string `json:"format"`
		}
		json.Unmarshal(data, &j)
		if j.Format != "csv" || (j.Status != "loading" && j.Status != "done") {
			t.Fatalf("job = %s", data)
		}
		done := h.waitJob("dept-gongan", j.ID)
		if done["status"] != "done" || done["version"].(float64) != 1 || done["rows"].(float64) != 6 {
			t.Fatalf("finished job = %v", done)
		}
		// The quality report: the bad check digit is counted, not refused.
		var rep struct {
			Quality float64 `json:"quality"`
			Report  struct {
				Rows  int64 `json:"rows"`
				Rules []struct {
					Column, Rule string
					Failed       int64
				} `json:"rules"`
			} `json:"report"`
		}
		h.call(h.token("operator-reviewer"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/quality", id), nil, 200, &rep)
		failed := map[string]int64{}
		for _, r := range rep.Report.Rules {
			failed[r.Column+"/"+r.Rule] = r.Failed
		}
		if rep.Report.Rows != 6 || failed["id_no/citizen_id"] != 1 || failed["id_no/unique"] != 0 || rep.Quality >= 100 {
			t.Fatalf("report = %+v", rep)
		}
		// R11.1: the failure became an issue for the department.
		var issues struct{ Items []map[string]any }
		h.call(h.token("dept-gongan"), "GET", "/api/v1/domain/issues?status=open", nil, 200, &issues)
		if len(issues.Items) != 1 || issues.Items[0]["origin"] != "auto" || issues.Items[0]["rule"] != "citizen_id" {
			t.Fatalf("issues = %v", issues.Items)
		}
		// A second version becomes current; both are kept (R10.1).
		h.uploadOK("dept-gongan", id, "人口2026b.csv", peopleCSV(ids[:3], []string{"甲", "乙", "丙"}))
		var vs struct {
			Items []struct {
				N       int   `json:"n"`
				Current bool  `json:"current"`
				Rows    int64 `json:"rows"`
			}
		}
		h.call(h.token("authority"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/versions", id), nil, 200, &vs)
		if len(vs.Items) != 2 || vs.Items[0].Current || !vs.Items[1].Current || vs.Items[1].Rows != 3 {
			t.Fatalf("versions = %+v", vs.Items)
		}
		var mounts struct {
			Items []struct {
				Code    string `json:"code"`
				Mounted bool   `json:"mounted"`
				Version int    `json:"version"`
				Rows    int64  `json:"rows"`
			}
		}
		h.call(h.token("regulator"), "GET", "/api/v1/domain/mounts", nil, 200, &mounts)
		if len(mounts.Items) != 1 || !mounts.Items[0].Mounted || mounts.Items[0].Version != 2 || mounts.Items[0].Rows != 3 {
			t.Fatalf("mounts = %+v", mounts.Items)
		}
		// Merchants see nothing of the domain; another department neither.
		h.call(h.token("merchant-a"), "GET", "/api/v1/domain/mounts", nil, 403, nil)
		h.call(h.token("merchant-a"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/versions", id), nil, 404, nil)
		h.call(h.token("dept-haiyuan-weijian"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d", id), nil, 404, nil)
		h.call(h.token("dept-haiyuan-weijian"), "GET", fmt.Sprintf("/api/v1/domain/jobs/%d", j.ID), nil, 404, nil)
	})
}

func TestDomainProfilePreview_R2_1_R4_2_WhoSeesWhat(t *testing.T) {
	t.Parallel()
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0001", "dept-gongan", true)
	h.uploadOK("dept-gongan", id, "p.csv", peopleCSV(domainIDs(4), []string{"张甲", "李乙", "王丙", "赵丁"}))
	var p struct {
		Rows    int64 `json:"rows"`
		Columns []struct {
			Name     string            `json:"name"`
			Count    int64             `json:"count"`
			Distinct int64             `json:"distinct"`
			Min      *string           `json:"min"`
			Top      []json.RawMessage `json:"top"`
		} `json:"columns"`
		Quality float64 `json:"quality"`
	}
	h.call(h.token("operator-admin"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/profile", id), nil, 200, &p)
	if p.Rows != 4 || len(p.Columns) != 5 || p.Quality != 100 {
		t.Fatalf("profile = %+v", p)
	}
	for _, c := range p.Columns {
		pi := c.Name == "id_no" || c.Name == "name" || c.Name == "mobile"
		if pi && (c.Min != nil || len(c.Top) > 0) {
			t.Errorf("profile shows values of PI column %s", c.Name)
		}
		if c.Count != 4 {
			t.Errorf("count of %s = %d", c.Name, c.Count)
		}
	}
	// Only the owning department previews raw rows, paged and audited.
	var pv struct {
		Columns []string   `json:"columns"`
		Rows    [][]string `json:"rows"`
		Total   int64      `json:"total"`
	}
	h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/preview?offset=1&limit=2", id), nil, 200, &pv)
	if pv.Total != 4 || len(pv.Rows) != 2 || pv.Rows[0][1] != "李乙" {
		t.Fatalf("preview = %+v", pv)
	}
	for user, want := range map[string]int{"operator-admin": 403, "authority": 403, "regulator": 403, "merchant-a": 404, "dept-haiyuan-weijian": 404} {
		h.call(h.token(user), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/preview", id), nil, want, nil)
	}
	h.call(h.token("merchant-a"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/profile", id), nil, 404, nil)
	h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/preview?limit=5000", id), nil, 400, nil)
	var n int
	h.db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'domain.preview'`).Scan(&n)
	if n != 1 {
		t.Fatalf("preview audit events = %d, want 1", n)
	}
}

func TestDomainIssues_R11_1_APIFlow(t *testing.T) {
	t.Parallel()
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0001", "dept-gongan", true)
	var q struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Origin string `json:"origin"`
	}
	h.call(h.token("merchant-a"), "POST", fmt.Sprintf("/api/v1/domain/entries/%d/issues", id),
		map[string]string{"field": "age", "description": "年龄分布异常"}, 201, &q)
	if q.Origin != "merchant" || q.Status != "open" {
		t.Fatalf("raised = %+v", q)
	}
	path := fmt.Sprintf("/api/v1/domain/issues/%d", q.ID)
	h.call(h.token("merchant-b"), "GET", path, nil, 404, nil)
	h.call(h.token("merchant-a"), "POST", path+"/answer", map[string]string{"text": "x"}, 403, nil)
	h.call(h.token("dept-gongan"), "POST", path+"/answer", map[string]string{"text": ""}, 400, nil)
	h.call(h.token("dept-gongan"), "POST", path+"/answer", map[string]string{"text": "已核实"}, 200, &q)
	h.call(h.token("dept-gongan"), "POST", path+"/fix", map[string]string{"text": "已更正"}, 200, &q)
	h.call(h.token("merchant-a"), "POST", path+"/close", map[string]string{"text": "确认"}, 200, &q)
	if q.Status != "closed" {
		t.Fatalf("status = %s", q.Status)
	}
	h.call(h.token("dept-gongan"), "POST", path+"/fix", map[string]string{"text": "again"}, 409, nil)
	data := h.call(h.token("authority"), "GET", "/api/v1/domain/issue-stats", nil, 200, nil)
	if !strings.Contains(string(data), `"on_time":1`) || !strings.Contains(string(data), `"closed":1`) {
		t.Fatalf("stats = %s", data)
	}
	h.call(h.token("dept-gongan"), "PUT", "/api/v1/domain/settings", map[string]int{"issue_workdays": 3}, 403, nil)
	h.call(h.token("authority"), "PUT", "/api/v1/domain/settings", map[string]int{"issue_workdays": 3}, 200, nil)
	var set domainSettings
	h.call(h.token("dept-gongan"), "GET", "/api/v1/domain/settings", nil, 200, &set)
	if set.IssueWorkdays != 3 {
		t.Fatalf("settings = %+v", set)
	}
}

func TestDomainSources_R26_1_R4_3_MarksTravelWithTheData(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := domainHarnessOn(t, env)
		np := h.entry("ZW-GA-0001", "dept-gongan", true)
		pub := h.entry("ZW-GA-0002", "dept-gongan", true)
		if _, err := h.db.SQL().Exec(h.db.Rebind(`UPDATE catalog_revisions SET public_source = ? WHERE entry_id = ?`), true, pub); err != nil {
			t.Fatal(err)
		}
		src := map[string]any{"name": "某运营商信令统计", "provider": "中国移动宁夏公司", "legal_basis": "数据采购合同 2026-018", "entry_id": np}
		h.call(h.token("dept-gongan"), "POST", "/api/v1/domain/sources", src, 403, nil)
		h.call(h.token("operator-admin"), "POST", "/api/v1/domain/sources", map[string]any{"name": "", "entry_id": np}, 400, nil)
		h.call(h.token("operator-admin"), "POST", "/api/v1/domain/sources", src, 201, nil)
		h.call(h.token("operator-admin"), "POST", "/api/v1/domain/sources",
			map[string]any{"name": "x", "provider": "y", "legal_basis": "z", "entry_id": pub}, 409, nil)
		var list struct{ Items []map[string]any }
		h.call(h.token("regulator"), "GET", "/api/v1/domain/sources", nil, 200, &list)
		if len(list.Items) != 1 {
			t.Fatalf("sources = %v", list.Items)
		}
		ids := domainIDs(2)
		h.uploadOK("dept-gongan", np, "np.csv", peopleCSV(ids, []string{"甲", "乙"}))
		h.uploadOK("dept-gongan", pub, "pub.csv", peopleCSV(ids, []string{"甲", "乙"}))
		var vs struct {
			Items []struct {
				NonPublic    bool `json:"non_public"`
				PublicSource bool `json:"public_source"`
			}
		}
		h.call(h.token("operator-admin"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/versions", np), nil, 200, &vs)
		if len(vs.Items) != 1 || !vs.Items[0].NonPublic || vs.Items[0].PublicSource {
			t.Fatalf("non-public version marks = %+v", vs.Items)
		}
		h.call(h.token("operator-admin"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/versions", pub), nil, 200, &vs)
		if len(vs.Items) != 1 || vs.Items[0].NonPublic || !vs.Items[0].PublicSource {
			t.Fatalf("public-source version marks = %+v", vs.Items)
		}
		var mounts struct {
			Items []struct {
				Code         string `json:"code"`
				NonPublic    bool   `json:"non_public"`
				PublicSource bool   `json:"public_source"`
			}
		}
		h.call(h.token("authority"), "GET", "/api/v1/domain/mounts", nil, 200, &mounts)
		if !mounts.Items[0].NonPublic || !mounts.Items[1].PublicSource {
			t.Fatalf("mount marks = %+v", mounts.Items)
		}
	})
}
