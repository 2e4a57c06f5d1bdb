package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"shuyu/sqlstore"
)

// domainPagePaths are the domain's pages for entry id.
func domainPagePaths(id int64) []string {
	return []string{"/domain", fmt.Sprintf("/domain/entries/%d", id), fmt.Sprintf("/domain/entries/%d/profile", id),
		"/domain/issues", "/domain/issues/1", "/domain/suspensions", "/domain/jobs/1"}
}

func sqlstoreSupply(name string) sqlstore.SupplyInput {
	return sqlstore.SupplyInput{Source: "upload", FileName: name}
}

func sqlstoreSuspend(entry int64) sqlstore.SuspendInput {
	return sqlstore.SuspendInput{Scope: "entry", EntryID: entry, Reason: "安全风险排查"}
}

// The domain's pages by role: the department sees its mounting, uploads,
// answers issues; the operator profiles but gets no preview; the authority
// suspends and resumes through the form; merchants see none of it (R4.2,
// R10.2, R11.1, R27.3).
func TestDomainPages_R10_2_R11_1_R27_3_ByRole(t *testing.T) {
	t.Parallel()
	h := newDomainHarness(t, "sqlite")
	id := h.entry("ZW-GA-0001", "dept-gongan", true)
	h.uploadOK("dept-gongan", id, "v1.csv", peopleCSV(domainIDs(3), []string{"页面甲", "页面乙", "页面丙"}))
	entry := fmt.Sprintf("/domain/entries/%d", id)
	dept := uiAs(t, h.harness, "dept-gongan")
	for _, p := range []string{"/domain", entry, entry + "/profile", entry + "/preview", "/domain/issues", "/domain/suspensions", "/domain/jobs/1"} {
		if st, body, _ := dept.get(p); st != 200 {
			t.Errorf("dept %s: %d %s", p, st, pageText(body))
		}
	}
	if _, body, _ := dept.get(entry); !strings.Contains(body, `id="upload-form"`) || !strings.Contains(body, "domain.js") || !strings.Contains(body, `id="quality-report"`) {
		t.Fatalf("entry page lacks the upload form, its script or the report: %s", pageText(body))
	}
	if _, body, _ := dept.get(entry + "/preview"); !strings.Contains(body, "页面甲") {
		t.Fatalf("owner preview lacks its rows: %s", pageText(body))
	}
	op := uiAs(t, h.harness, "operator-admin")
	if st, body, _ := op.get(entry + "/profile"); st != 200 || strings.Contains(body, "页面甲") {
		t.Fatalf("operator profile: %d %s", st, pageText(body))
	}
	if st, _, _ := op.get(entry + "/preview"); st != 403 {
		t.Fatalf("operator preview: %d", st)
	}
	m := uiAs(t, h.harness, "merchant-a")
	for p, want := range map[string]int{"/domain": 403, entry: 403, "/domain/suspensions": 403} {
		if st, _, _ := m.get(p); st != want {
			t.Errorf("merchant %s: %d, want %d", p, st, want)
		}
	}
	// A quality issue the operator raised, answered through the form.
	var q struct{ ID int64 }
	h.call(h.token("operator-reviewer"), "POST", fmt.Sprintf("/api/v1/domain/entries/%d/issues", id), map[string]string{"description": "县区代码缺失"}, 201, &q)
	st, body := dept.follow(fmt.Sprintf("/domain/issues/%d/answer", q.ID), url.Values{"text": {"已补充"}})
	if st != 200 || !strings.Contains(pageText(body), "已答复") {
		t.Fatalf("answer via page: %d %s", st, pageText(body))
	}
	if st, body, _ := dept.post(fmt.Sprintf("/domain/issues/%d/answer", q.ID), url.Values{"text": {""}}); st != 400 || !strings.Contains(body, "form-error") {
		t.Fatalf("empty answer via page: %d %s", st, pageText(body))
	}
	// The authority suspends and resumes through the form.
	auth := uiAs(t, h.harness, "authority")
	if st, body, _ := auth.post("/domain/suspensions", url.Values{"scope": {"entry"}, "entry_id": {fmt.Sprint(id)}, "reason": {""}}); st != 400 {
		t.Fatalf("suspend without reason: %d %s", st, pageText(body))
	}
	st, body = auth.follow("/domain/suspensions", url.Values{"scope": {"entry"}, "entry_id": {fmt.Sprint(id)}, "reason": {"风险排查"}})
	if st != 200 || !strings.Contains(pageText(body), "已暂停") {
		t.Fatalf("suspend via page: %d %s", st, pageText(body))
	}
	if _, err := h.domainCountRows("zw_ga_0001"); err == nil {
		t.Fatal("suspension through the page did not stop queries")
	}
	var list struct{ Items []struct{ ID int64 } }
	h.call(h.token("authority"), "GET", "/api/v1/domain/suspensions", nil, 200, &list)
	st, body = auth.follow(fmt.Sprintf("/domain/suspensions/%d/resume", list.Items[0].ID), url.Values{"reason": {"已整改"}})
	if st != 200 || !strings.Contains(pageText(body), "已恢复") {
		t.Fatalf("resume via page: %d %s", st, pageText(body))
	}
	if n, err := h.domainCountRows("zw_ga_0001"); err != nil || n != 3 {
		t.Fatalf("after resume via page: %d %v", n, err)
	}
}
