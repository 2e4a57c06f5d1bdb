package web

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"shuyu/demo"
	"shuyu/sqlstore/sqltest"
)

// The audit trail for people (R27.1, R30.1): on a seeded platform every
// kind of object the trail names has a label, each event reads as a
// sentence with the person's name and organization (not the account
// name), and the person and organization filters select exactly that
// person's and that organization's events.
func TestUI_R30_1_AuditSentencesAndFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, clock := sqltest.Open(t, "sqlite")
	if _, err := demo.Seed(ctx, db, sqltest.Password); err != nil {
		t.Fatal(err)
	}
	if err := demo.Applications(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := New(Config{DB: db, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, db: db, clock: clock, srv: srv, tokens: map[string]string{}}

	rows, err := db.SQL().Query(`SELECT DISTINCT object_type FROM audit_events WHERE object_type <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	kinds := 0
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kinds++
		if !hasKey("audit.kind." + k) {
			t.Errorf("object kind %q has no label audit.kind.%s", k, k)
		}
	}
	rows.Close()
	if kinds < 5 {
		t.Fatalf("the seeded trail names only %d kinds of object", kinds)
	}

	r := uiAs(t, h, "regulator")
	_, body, _ := r.get("/audit?actor=" + url.QueryEscape("郑浩"))
	text := pageText(body)
	var want int64
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_events e JOIN users u ON u.id = e.actor_id WHERE u.username = 'merchant-a'`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if want == 0 || !strings.Contains(text, "共 "+itoa(want)+" 条") {
		t.Fatalf("person filter: want 共 %d 条: %.500s", want, text)
	}
	events := regexp.MustCompile(`(?s)<li class="audit-event".*?</li>`).FindAllString(body, -1)
	if len(events) == 0 {
		t.Fatal("no events shown")
	}
	for _, e := range events {
		et := pageText(e)
		if !strings.Contains(et, "郑浩（云图数据）") || !strings.Contains(et, "宁夏云图数据科技有限公司") || strings.Contains(et, "merchant-a") {
			t.Fatalf("event not in words with name and organization: %s", et)
		}
	}
	// An application the merchant submitted is named and linked.
	_, body, _ = r.get("/audit?action=application.submit&actor=" + url.QueryEscape("郑浩"))
	events = regexp.MustCompile(`(?s)<li class="audit-event".*?</li>`).FindAllString(body, -1)
	if len(events) == 0 || !regexp.MustCompile(`提交使用申请：\s*使用申请（编号 \d+）`).MatchString(pageText(events[0])) ||
		!regexp.MustCompile(`href="/applications/\d+"`).MatchString(events[0]) {
		t.Fatalf("no linked application in the merchant's events: %v", events)
	}

	// Organization filter: only the operator's people.
	var orgID, orgEvents int64
	db.SQL().QueryRow(`SELECT id FROM orgs WHERE name = '中卫市公共数据运营有限公司'`).Scan(&orgID)
	db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_events WHERE actor_org_id = ?`, orgID).Scan(&orgEvents)
	_, body, _ = r.get("/audit?org=" + itoa(orgID))
	if orgEvents == 0 || !strings.Contains(pageText(body), "共 "+itoa(orgEvents)+" 条") || strings.Contains(pageText(body), "郑浩") {
		t.Fatalf("org filter: want %d events of the operator only: %.500s", orgEvents, pageText(body))
	}
	if st, _, _ := r.get("/audit?org=x"); st != 400 {
		t.Fatalf("bad org: %d", st)
	}
}
