package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// TestCatalogSynonymsAPI_R8_5_AbbreviationsFind: over HTTP, anonymously,
// 社保, 社保缴费 and 身份证号 find the entries that say 社会保险缴费 and
// 公民身份号码 (the seeded synonyms), on both backends; the authority adds
// one on the page and the next search uses it; a merchant may not; bad
// input is a 400 that changes nothing.
func TestCatalogSynonymsAPI_R8_5_AbbreviationsFind(t *testing.T) {
	t.Parallel()
	for _, backend := range sqltest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, backend)
			pay := catalogAPISample("城乡居民社会保险缴费信息")
			pay.Fields = []shuyu.CatalogField{{Name: "amount", Label: "缴费金额", DataType: "decimal", Grade: shuyu.GradeGeneral}}
			social := catalogPublishAPI(h, "HY-WJ-0201", pay)
			people := catalogPublishAPI(h, "HY-WJ-0202", catalogAPISample("出生医学证明信息")) // lists 公民身份号码
			search := func(q string) []int64 {
				t.Helper()
				var p sqlstore.CatalogPage
				h.call("", "GET", "/api/v1/catalog?q="+url.QueryEscape(q), nil, 200, &p)
				var ids []int64
				for _, e := range p.Items {
					ids = append(ids, e.ID)
				}
				return ids
			}
			for _, c := range []struct {
				q    string
				want []int64
			}{
				{"社保", []int64{social.ID}}, {"社保缴费", []int64{social.ID}}, {"身份证号", []int64{people.ID}},
				{"身份证", []int64{people.ID}}, {"公积金", nil},
			} {
				if got := search(c.q); fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Errorf("q=%s: %v, want %v", c.q, got, c.want)
				}
			}
			// The portal page finds them too.
			if _, page := h.do("", "GET", "/catalog?q="+url.QueryEscape("社保缴费"), nil); !strings.Contains(string(page), "城乡居民社会保险缴费信息") {
				t.Fatalf("portal search 社保缴费: %s", pageText(string(page)))
			}

			// The authority adds a synonym on the page; the next search uses it.
			if got := search("出生证明"); len(got) != 0 {
				t.Fatalf("出生证明 before: %v", got)
			}
			auth := uiAs(t, h, "authority")
			if st, body, _ := auth.get("/catalog/synonyms"); st != 200 || !strings.Contains(body, "社会保险") {
				t.Fatalf("synonyms page %d", st)
			}
			st, body := auth.follow("/catalog/synonyms", url.Values{"term": {"出生证明"}, "expansion": {"出生医学证明"}})
			if st != 200 || !strings.Contains(body, "已添加同义词") {
				t.Fatalf("add on the page %d: %s", st, pageText(body))
			}
			if got := search("出生证明"); fmt.Sprint(got) != fmt.Sprint([]int64{people.ID}) {
				t.Fatalf("出生证明 after: %v", got)
			}
			st, body, _ = auth.post("/catalog/synonyms", url.Values{"term": {"出生证明"}, "expansion": {""}})
			if st != 400 || !strings.Contains(body, "请填写同义词") {
				t.Fatalf("empty expansion on the page %d: %s", st, pageText(body))
			}

			// Nobody else may change it; bad input is 400 and changes nothing.
			var list, again struct{ Items []shuyu.CatalogSynonym }
			h.call("", "GET", "/api/v1/catalog/synonyms", nil, 200, &list)
			h.call(h.token("merchant-a"), "POST", "/api/v1/catalog/synonyms", map[string]string{"term": "车管", "expansion": "机动车"}, 403, nil)
			h.call("", "POST", "/api/v1/catalog/synonyms", map[string]string{"term": "车管", "expansion": "机动车"}, 401, nil)
			h.call(h.token("authority"), "POST", "/api/v1/catalog/synonyms", map[string]string{"term": "车 管", "expansion": "机动车"}, 400, nil)
			h.call(h.token("authority"), "POST", "/api/v1/catalog/synonyms", map[string]any{"term": "车管", "bogus": 1}, 400, nil)
			h.call(h.token("merchant-a"), "DELETE", fmt.Sprintf("/api/v1/catalog/synonyms/%d", list.Items[0].ID), nil, 403, nil)
			if st, _, _ := uiAs(t, h, "merchant-a").get("/catalog/synonyms"); st != 403 {
				t.Fatalf("merchant opens the synonyms page: %d", st)
			}
			h.call("", "GET", "/api/v1/catalog/synonyms", nil, 200, &again)
			if len(again.Items) != len(list.Items) {
				t.Fatalf("refused changes changed the list: %d, was %d", len(again.Items), len(list.Items))
			}
			var added shuyu.CatalogSynonym
			for _, s := range again.Items {
				if s.Term == "出生证明" {
					added = s
				}
			}
			h.call(h.token("authority"), "DELETE", fmt.Sprintf("/api/v1/catalog/synonyms/%d", added.ID), nil, 204, nil)
			if got := search("出生证明"); len(got) != 0 {
				t.Fatalf("出生证明 after removal: %v", got)
			}
			h.call(h.token("authority"), "DELETE", fmt.Sprintf("/api/v1/catalog/synonyms/%d", added.ID), nil, 404, nil)
		})
	}
}
