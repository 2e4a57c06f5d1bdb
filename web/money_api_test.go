package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// moneyList is a collection answer.
type moneyList[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// TestMoneyAPI_R14_2_NPRC_3_PricesBillsAndTenancy walks the money API as
// its users do: the authority caps a service, the operator prices it (over
// the cap is a 400 that changes nothing), usage is recorded for two
// merchants, statements are issued; the price list is public, a merchant
// sees only its own statements (another's is a 404 by id and absent from
// the list), downloads its .xlsx, and disputes a line the operator upholds.
func TestMoneyAPI_R14_2_NPRC_3_PricesBillsAndTenancy(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC))
		h := harnessOn(t, env)
		auth, op, a := h.token("authority"), h.token("operator-admin"), h.token("merchant-a")
		var it shuyu.PriceItem
		h.call(auth, "POST", "/api/v1/money/prices", shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "数据合规咨询",
			Class: "专业服务", Unit: shuyu.UnitMonth, Purpose: shuyu.PurposeIndustry, CapFen: 50000, TrialUntil: "2026-12-31"}, 201, &it)
		// Only the authority caps.
		resp, data := h.do(op, "POST", "/api/v1/money/prices", shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "另一项",
			Class: "专业服务", Unit: shuyu.UnitMonth, Purpose: shuyu.PurposeIndustry, CapFen: 1})
		if resp.StatusCode != 403 {
			t.Fatalf("operator creates an item: %d %s", resp.StatusCode, data)
		}
		// Over the cap: 400 naming the field, nothing changed.
		resp, data = h.do(op, "POST", fmt.Sprintf("/api/v1/money/prices/%d/price", it.ID), map[string]any{"price_fen": 50001})
		if resp.StatusCode != 400 || errCode(t, data) != shuyu.EINVALID || !strings.Contains(string(data), "price_fen") {
			t.Fatalf("price over cap: %d %s", resp.StatusCode, data)
		}
		var pubList moneyList[shuyu.PriceItem]
		h.call("", "GET", "/api/v1/prices", nil, 200, &pubList)
		pub := pubList.Items
		if len(pub) != 1 || pub[0].PriceSet || !pub[0].Trial {
			t.Fatalf("public list after a refused price: %+v", pub)
		}
		h.call(op, "POST", fmt.Sprintf("/api/v1/money/prices/%d/price", it.ID), map[string]any{"price_fen": 45000, "reason": "试行价"}, 200, &it)
		// Usage before the price existed is not charged.
		resp, data = h.do(op, "POST", "/api/v1/money/usage", sqlstore.UsageInput{OrgID: h.actors["merchant-a"].OrgID,
			Service: shuyu.ServiceOther, ItemID: it.ID, Quantity: 1, At: env.Clock.Now().Add(-time.Hour), Ref: "GW-early"})
		if resp.StatusCode != 409 {
			t.Fatalf("usage before the price: %d %s", resp.StatusCode, data)
		}
		env.Clock.Advance(10 * time.Minute)
		// Usage for both merchants, recorded by the operator (the gateway's counts).
		for i, m := range []string{"merchant-a", "merchant-a", "merchant-b"} {
			h.call(op, "POST", "/api/v1/money/usage", sqlstore.UsageInput{OrgID: h.actors[m].OrgID, Service: shuyu.ServiceOther, ItemID: it.ID,
				Quantity: 1, At: env.Clock.Now().Add(-time.Minute), Ref: fmt.Sprintf("GW-%d", i)}, 201, nil)
		}
		resp, data = h.do(op, "POST", "/api/v1/money/usage", sqlstore.UsageInput{OrgID: h.actors["merchant-a"].OrgID,
			Service: shuyu.ServiceOther, ItemID: it.ID, Quantity: 1, At: env.Clock.Now().Add(-time.Minute), Ref: "GW-0"})
		if resp.StatusCode != 409 {
			t.Fatalf("same batch twice: %d %s", resp.StatusCode, data)
		}
		resp, _ = h.do(a, "POST", "/api/v1/money/usage", sqlstore.UsageInput{OrgID: h.actors["merchant-a"].OrgID, ItemID: it.ID,
			Quantity: 1, At: env.Clock.Now(), Ref: "self"})
		if resp.StatusCode != 403 {
			t.Fatalf("merchant records usage: %d", resp.StatusCode)
		}
		env.Clock.Set(time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC))
		h.tokens = map[string]string{} // the sessions timed out over the month
		op, a, b := h.token("operator-admin"), h.token("merchant-a"), h.token("merchant-b")
		var rep sqlstore.IssueReport
		h.call(op, "POST", "/api/v1/money/statements", map[string]string{"period": "2026-03"}, 200, &rep)
		if rep.Statements != 2 || rep.TotalFen != 135000 {
			t.Fatalf("issue: %+v", rep)
		}
		var la, lb, lall moneyList[shuyu.Statement]
		h.call(a, "GET", "/api/v1/bills", nil, 200, &la)
		h.call(b, "GET", fmt.Sprintf("/api/v1/bills?org_id=%d", h.actors["merchant-a"].OrgID), nil, 200, &lb)
		h.call(op, "GET", "/api/v1/bills", nil, 200, &lall)
		billsA, billsB, all := la.Items, lb.Items, lall.Items
		if len(billsA) != 1 || billsA[0].TotalFen != 90000 || len(all) != 2 {
			t.Fatalf("A's bills %+v, all %d", billsA, len(all))
		}
		if len(billsB) != 1 || billsB[0].OrgID != h.actors["merchant-b"].OrgID {
			t.Fatalf("merchant-b asked for A's and got %+v", billsB)
		}
		for _, path := range []string{"/api/v1/bills/%d", "/api/v1/bills/%d/xlsx"} {
			if resp, _ := h.do(b, "GET", fmt.Sprintf(path, billsA[0].ID), nil); resp.StatusCode != 404 {
				t.Fatalf("B reads A's statement at %s: %d", path, resp.StatusCode)
			}
		}
		if resp, _ := h.do("", "GET", "/api/v1/bills", nil); resp.StatusCode != 401 {
			t.Fatalf("anonymous bills: %d", resp.StatusCode)
		}
		// The .xlsx carries the statement's total and every line.
		resp, data = h.do(a, "GET", fmt.Sprintf("/api/v1/bills/%d/xlsx", billsA[0].ID), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("xlsx: %d", resp.StatusCode)
		}
		x, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("对账单")
		if len(rows) != 9 || rows[3][3] != "900.00" || rows[7][6] != "450.00" {
			t.Fatalf("xlsx rows: %q", rows)
		}
		var detail shuyu.StatementDetail
		h.call(a, "GET", fmt.Sprintf("/api/v1/bills/%d", billsA[0].ID), nil, 200, &detail)
		line := detail.Charges[0].ID
		if resp, _ := h.do(b, "POST", fmt.Sprintf("/api/v1/bills/charges/%d/dispute", line), map[string]string{"reason": "并非本公司用量"}); resp.StatusCode != 404 {
			t.Fatalf("B disputes A's line: %d", resp.StatusCode)
		}
		h.call(a, "POST", fmt.Sprintf("/api/v1/bills/charges/%d/dispute", line), map[string]string{"reason": "该月未使用咨询服务"}, 204, nil)
		var ld moneyList[sqlstore.Dispute]
		h.call(op, "GET", "/api/v1/money/disputes", nil, 200, &ld)
		ds := ld.Items
		if len(ds) != 1 {
			t.Fatalf("disputes: %+v", ds)
		}
		h.call(op, "POST", fmt.Sprintf("/api/v1/money/disputes/%d/resolve", ds[0].ID), map[string]string{"outcome": "uphold",
			"resolution": "核实后予以减免"}, 204, nil)
		h.call(a, "GET", fmt.Sprintf("/api/v1/bills/%d", billsA[0].ID), nil, 200, &detail)
		if detail.TotalFen != 45000 || detail.WaivedFen != 45000 {
			t.Fatalf("after uphold: %+v", detail.Statement)
		}
	})
}

// TestMoneyPages_R14_2_MerchantAndPublic: the public price page needs no
// login; merchant-a's statement page, its printable view and the spend
// chart's table show its figures; the operator's price form refuses a
// price over the cap with the message on the page.
func TestMoneyPages_R14_2_MerchantAndPublic(t *testing.T) {
	env := sqltest.Seeded(t, "sqlite")
	env.Clock.Set(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC))
	h := harnessOn(t, env)
	ctx := t.Context()
	it, err := env.DB.CreatePriceItem(ctx, h.actors["authority"], shuyu.PriceItemInput{Service: shuyu.ServiceOther, Name: "数据合规咨询",
		Class: "专业服务", Unit: shuyu.UnitMonth, Purpose: shuyu.PurposeIndustry, CapFen: 50000})
	if err != nil {
		t.Fatal(err)
	}
	op := uiAs(t, h, "operator-admin")
	st, body, _ := op.post(fmt.Sprintf("/money/prices/%d/price", it.ID), url.Values{"price": {"600"}, "reason": {"x"}})
	if st != 400 || !strings.Contains(pageText(body), "不得高于上限收费标准 500.00 元") {
		t.Fatalf("over-cap form: %d %s", st, pageText(body))
	}
	if st, _ := op.follow(fmt.Sprintf("/money/prices/%d/price", it.ID), url.Values{"price": {"450.5"}, "reason": {"x"}}); st != 200 {
		t.Fatalf("price form: %d", st)
	}
	if _, err := env.DB.RecordUsage(ctx, h.actors["operator-admin"], sqlstore.UsageInput{OrgID: h.actors["merchant-a"].OrgID,
		ItemID: it.ID, Quantity: 2, At: env.Clock.Now(), Ref: "GW-1"}); err != nil {
		t.Fatal(err)
	}
	env.Clock.Set(time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC))
	if _, err := env.DB.IssueStatements(ctx, shuyu.System, "2026-03"); err != nil {
		t.Fatal(err)
	}
	anon := newUIClient(t, h)
	if st, body, _ := anon.get("/prices"); st != 200 || !strings.Contains(pageText(body), "450.50") {
		t.Fatalf("public prices: %d %s", st, pageText(body))
	}
	m := uiAs(t, h, "merchant-a")
	st, body, _ = m.get("/bills")
	if st != 200 || !strings.Contains(body, `id="chart-spend"`) || !strings.Contains(pageText(body), "901.00") {
		t.Fatalf("bills page: %d %s", st, pageText(body))
	}
	bills, _ := env.DB.Bills(ctx, h.actors["merchant-a"], 0)
	for _, p := range []string{"/bills/%d", "/bills/%d/print"} {
		if st, body, _ := m.get(fmt.Sprintf(p, bills[0].ID)); st != 200 || !strings.Contains(pageText(body), "901.00") {
			t.Fatalf("%s: %d", p, st)
		}
	}
	if st, _, _ := uiAs(t, h, "merchant-b").get(fmt.Sprintf("/bills/%d", bills[0].ID)); st != http.StatusNotFound {
		t.Fatalf("merchant-b opens A's statement page: %d", st)
	}
	if st, body, _ := uiAs(t, h, "authority").get("/money"); st != 200 || !strings.Contains(body, `id="chart-cap"`) {
		t.Fatalf("account page: %d", st)
	}
}
