package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDomainRawNeverLeaks_R4_2_R28_3 loads rows with distinctive values and
// scans every domain answer, page and log line for them: only the owning
// department's preview may carry raw values (invariant 1).
func TestDomainRawNeverLeaks_R4_2_R28_3(t *testing.T) {
	t.Parallel()
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0001", "dept-gongan", true)
	ids := domainIDs(5)
	names := []string{"泄露甲一", "泄露乙二", "泄露丙三", "泄露丁四", "泄露戊五"}
	body := peopleCSV(ids, names)
	// One value that fails a quality rule, one bad row in a refused file.
	bad := ids[4][:17] + map[bool]string{true: "0", false: "1"}[ids[4][17] != '0']
	body = strings.Replace(body, ids[4], bad, 1)
	secrets := append(append([]string{bad, "13951000000", "13951000003"}, ids[:4]...), names...)
	h.uploadOK("dept-gongan", id, "people.csv", body)

	var answers []string
	record := func(who, what string, data []byte) { answers = append(answers, who+" "+what+": "+string(data)) }
	// Refused files whose errors could echo values.
	for name, file := range map[string]string{
		"cast":    "id_no,name,age,county,mobile\n" + ids[0] + ",泄露甲一,秘密年龄值,640502,13951000000\n",
		"quoting": "id_no,name,age,county,mobile\n" + ids[0] + ",\"泄露甲一,1,640502,13951000000\n",
		"header":  "id_no,泄露乙二,age,county,mobile\n" + ids[1] + ",x,1,640502,13951000000\n",
	} {
		_, data := h.upload("dept-gongan", id, name+".csv", []byte(file), "?wait=1")
		record("dept-gongan", "refused "+name, data)
	}
	secrets = append(secrets, "秘密年龄值")
	var jobs struct{ Items []struct{ ID int64 } }
	h.call(h.token("dept-gongan"), "GET", fmt.Sprintf("/api/v1/domain/entries/%d/jobs", id), nil, 200, &jobs)
	var issues struct{ Items []struct{ ID int64 } }
	h.call(h.token("operator-admin"), "GET", "/api/v1/domain/issues", nil, 200, &issues)

	paths := []string{"/api/v1/domain/mounts", "/api/v1/domain/issues", "/api/v1/domain/issue-stats", "/api/v1/domain/suspensions",
		"/api/v1/domain/sources", "/api/v1/domain/settings"}
	for _, p := range []string{"", "/versions", "/quality", "/profile", "/jobs", "/preview"} {
		paths = append(paths, fmt.Sprintf("/api/v1/domain/entries/%d%s", id, p))
	}
	for _, j := range jobs.Items {
		paths = append(paths, fmt.Sprintf("/api/v1/domain/jobs/%d", j.ID))
	}
	for _, q := range issues.Items {
		paths = append(paths, fmt.Sprintf("/api/v1/domain/issues/%d", q.ID))
	}
	users := []string{"dept-gongan", "dept-haiyuan-weijian", "operator-admin", "operator-reviewer", "authority", "county-shapotou",
		"merchant-a", "merchant-b", "expert", "regulator", "provider", "sysadmin", "secadmin", "auditadmin"}
	ownerPreview := fmt.Sprintf("/api/v1/domain/entries/%d/preview", id)
	sawOwnRows := false
	for _, u := range users {
		for _, p := range paths {
			_, data := h.do(h.token(u), "GET", p, nil)
			if u == "dept-gongan" && p == ownerPreview {
				sawOwnRows = strings.Contains(string(data), names[0])
				continue
			}
			record(u, p, data)
		}
		for _, p := range domainPagePaths(id) {
			record(u, p, domainPage(t, h, u, p))
		}
	}
	if !sawOwnRows {
		t.Fatal("the owner's preview does not show its rows: the scan would prove nothing")
	}
	record("server", "log", []byte(h.logs.String()))
	for _, a := range answers {
		for _, s := range secrets {
			if strings.Contains(a, s) {
				t.Errorf("raw value %q leaked in %.200s", s, a)
			}
		}
	}
	var audit string
	rows, _ := h.db.SQL().Query(`SELECT action || ' ' || detail || ' ' || reason FROM audit_events`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		audit += s + "\n"
	}
	rows.Close()
	for _, s := range secrets {
		if strings.Contains(audit, s) {
			t.Errorf("raw value %q in the audit trail", s)
		}
	}
}

// domainPage fetches a page with a cookie session (empty when the UI has no
// such page for the user).
func domainPage(t *testing.T, h *domainHarness, user, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: h.token(user)})
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
