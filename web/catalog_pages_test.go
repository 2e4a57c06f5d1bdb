package web

import (
	"net/url"
	"strings"
	"testing"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// catalogPagesEntry registers an entry through the API as dept and takes
// it through the given steps (each by the right account).
func catalogPagesEntry(t *testing.T, h *harness, dept, code string, rev shuyu.CatalogRevision, steps ...string) int64 {
	t.Helper()
	var e shuyu.CatalogEntry
	h.call(h.token(dept), "POST", "/api/v1/catalog", sqlstore.NewCatalogEntry{Code: code, Revision: rev}, 201, &e)
	who := map[string]string{"submit": dept, "approve_city": "authority", "publish": "operator-admin"}
	for _, s := range steps {
		u := who[s]
		if s == "approve_county" || s == "return_county" {
			u = "county-haiyuan"
		}
		h.call(h.token(u), "POST", "/api/v1/catalog/"+catalogID(e.ID)+"/steps", map[string]string{"step": s}, 200, &e)
	}
	return e.ID
}

var catalogPagesPublish = []string{"submit", "approve_city", "publish"}
var catalogPagesPublishCounty = []string{"submit", "approve_county", "approve_city", "publish"}

func catalogPagesBusRev() shuyu.CatalogRevision {
	return shuyu.CatalogRevision{Name: "公交卡刷卡记录", Summary: "市区公交线路刷卡乘车记录", Grade: shuyu.GradeGeneral, GradeLevel: 2,
		OpenAttr: shuyu.OpenUnconditional, AuthMode: shuyu.AuthDomain, UpdateFreq: shuyu.FreqDaily,
		Fields: []shuyu.CatalogField{{Name: "line_no", Label: "线路编号", DataType: "string", Grade: shuyu.GradeGeneral}}}
}

// The public portal works without login: it lists published entries,
// a Chinese substring narrows them, facets narrow and count, an entry page
// lists its fields with grade and PI flags (never data), and entries not
// yet published are absent (R8.5).
func TestCatalogPages_R8_5_AnonymousPortalSearchAndEntry(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		pop := catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-0001", catalogAPISample("中卫市户籍人口信息"), catalogPagesPublish...)
		bus := catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-0002", catalogPagesBusRev(), catalogPagesPublish...)
		hyRev := catalogAPISample("海原县居民健康档案")
		hyRev.Summary = "海原县居民电子健康档案"
		hy := catalogPagesEntry(t, h, "dept-haiyuan-weijian", "HY-WJ-0001", hyRev, catalogPagesPublishCounty...)
		draft := catalogPagesEntry(t, h, "dept-haiyuan-weijian", "HY-WJ-0002", catalogAPISample("海原县疫苗接种记录"))
		anon := newUIClient(t, h)

		st, body, _ := anon.get("/catalog")
		text := pageText(body)
		if st != 200 || !strings.Contains(text, "共 3 条目录") || !strings.Contains(text, "公交卡刷卡记录") || strings.Contains(text, "疫苗接种") {
			t.Fatalf("portal: %d %s", st, text)
		}
		for _, want := range []string{"提供部门", "中卫市公安局 2", "海原县卫生健康局 1", "行政区划", "海原县 1", "分级", "一般 1", "重要 2",
			"更新频率", "开放属性", "/api/v1/catalog/export.xlsx", "/api/v1/catalog/export.jsonld", "/api/v1/catalog/export.json"} {
			if !strings.Contains(text, want) && !strings.Contains(body, want) {
				t.Errorf("portal lacks %q: %s", want, text)
			}
		}
		// A two-character Chinese query narrows to the one entry.
		_, body, _ = anon.get("/catalog?q=" + url.QueryEscape("户籍"))
		if text = pageText(body); !strings.Contains(text, "共 1 条目录") || !strings.Contains(text, "中卫市户籍人口信息") || strings.Contains(text, "公交卡") {
			t.Fatalf("search 户籍: %s", text)
		}
		// A facet narrows; searching again keeps the chosen facet.
		_, body, _ = anon.get("/catalog?region=640522")
		if text = pageText(body); !strings.Contains(text, "共 1 条目录") || !strings.Contains(text, "海原县居民健康档案") {
			t.Fatalf("region facet: %s", text)
		}
		if !strings.Contains(body, `<input type="hidden" name="region" value="640522">`) {
			t.Errorf("the search form drops the chosen facet")
		}
		_, body, _ = anon.get("/catalog?region=640522&q=" + url.QueryEscape("公交"))
		if text = pageText(body); !strings.Contains(text, "共 0 条目录") || !strings.Contains(text, "没有符合条件的目录") {
			t.Fatalf("facet and query: %s", text)
		}
		// An entry: the R8.2 items, fields with grade and flags, versions.
		st, body, _ = anon.get("/catalog/" + catalogID(pop))
		text = pageText(body)
		for _, want := range []string{"中卫市户籍人口信息", "ZW-GA-0001", "中卫市公安局", "全市户籍人口基础信息", "每日", "重要", "有条件开放",
			"依场景授权", "公民身份号码", "id_number", "敏感个人信息", "第 1 版", "已发布", "未挂接"} {
			if !strings.Contains(text, want) {
				t.Errorf("entry page lacks %q: %s", want, text)
			}
		}
		if st != 200 || strings.Contains(body, `href="/catalog/`+catalogID(pop)+`/work"`) {
			t.Errorf("anonymous entry page: %d, or it links to the work page", st)
		}
		_, body, _ = anon.get("/catalog/" + catalogID(bus))
		if text = pageText(body); !strings.Contains(text, "一般 · 2级") || !strings.Contains(text, "分领域授权") {
			t.Errorf("grade level / auth mode: %s", text)
		}
		if st, _, _ = anon.get("/catalog/" + catalogID(hy)); st != 200 {
			t.Errorf("county entry: %d", st)
		}
		// Not published: absent, for the public and for another department.
		if st, body, _ = anon.get("/catalog/" + catalogID(draft)); st != 404 || !strings.Contains(body, "不存在") {
			t.Errorf("draft, anonymous: %d", st)
		}
		if st, _, _ = uiAs(t, h, "dept-gongan").get("/catalog/" + catalogID(draft)); st != 404 {
			t.Errorf("draft, other department: %d", st)
		}
		// Its own department is sent to the work page.
		if st, _, loc := uiAs(t, h, "dept-haiyuan-weijian").get("/catalog/" + catalogID(draft)); st != 302 || loc != "/catalog/"+catalogID(draft)+"/work" {
			t.Errorf("draft, own department: %d → %s", st, loc)
		}
		// Bad parameters are a 400 page, never a 500.
		for _, p := range []string{"/catalog?grade=secret", "/catalog?org_id=x", "/catalog?offset=-3", "/catalog/abc", "/catalog/99999/diff"} {
			if st, body, _ := anon.get(p); st < 400 || st >= 500 || !strings.Contains(body, "<html") {
				t.Errorf("%s: %d", p, st)
			}
		}
	})
}

// Work pages open for the roles the policy grants and answer 403 to the
// others; anonymous visitors go to the login page; another county's or
// department's entry is absent, not forbidden (invariant 3, R8.4).
func TestCatalogPages_R8_4_PagesByRole(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		id := catalogPagesEntry(t, h, "dept-haiyuan-weijian", "HY-WJ-0001", catalogAPISample("海原县居民健康档案"), "submit")
		work := "/catalog/" + catalogID(id) + "/work"
		depts := []string{"dept-gongan", "dept-haiyuan-weijian"}
		pages := []struct {
			path    string
			allowed []string
		}{
			{"/catalog/mine", depts},
			{"/catalog/new", depts},
			{"/catalog/reviews", []string{"county-shapotou", "county-haiyuan", "authority"}},
			{"/catalog/publish", []string{"operator-admin", "authority"}},
			{"/catalog/import", []string{"dept-gongan", "dept-haiyuan-weijian", "authority", "operator-admin"}},
			{"/catalog/categories", []string{"authority"}},
			{"/demands", []string{"authority", "county-shapotou", "county-haiyuan", "dept-gongan", "dept-haiyuan-weijian",
				"operator-admin", "operator-reviewer", "merchant-a", "merchant-b", "regulator", "provider"}},
		}
		anon := newUIClient(t, h)
		for _, p := range append(pages, struct {
			path    string
			allowed []string
		}{work, nil}) {
			if st, _, loc := anon.get(p.path); st != 303 || !strings.HasPrefix(loc, "/login?next=") {
				t.Errorf("anonymous %s: %d → %s", p.path, st, loc)
			}
		}
		for _, user := range seeded {
			u := uiAs(t, h, user)
			for _, p := range pages {
				want := 403
				if contains(p.allowed, user) {
					want = 200
				}
				if st, body, _ := u.get(p.path); st != want {
					t.Errorf("%s GET %s: %d, want %d: %.200s", user, p.path, st, want, pageText(body))
				}
			}
			// The entry's work page: its department, its county, the
			// city, the operator and the regulator; others' 404/403.
			want := map[string]int{"dept-haiyuan-weijian": 200, "county-haiyuan": 200, "authority": 200, "operator-admin": 200,
				"regulator": 200, "dept-gongan": 404, "county-shapotou": 404}[user]
			if want == 0 {
				want = 403
			}
			if st, body, _ := u.get(work); st != want {
				t.Errorf("%s GET %s: %d, want %d: %.200s", user, work, st, want, pageText(body))
			}
		}
		// Home cards count pending work.
		if _, body, _ := uiAs(t, h, "county-haiyuan").get("/"); !strings.Contains(pageText(body), "待审核 1") {
			t.Errorf("county home lacks its review count: %s", pageText(body))
		}
		if _, body, _ := uiAs(t, h, "county-shapotou").get("/"); strings.Contains(pageText(body), "待审核 1") {
			t.Errorf("another county counts this entry: %s", pageText(body))
		}
	})
}

// A form post as the edit page sends it.
func catalogPagesForm(code, name string, fields ...[3]string) url.Values {
	v := url.Values{"code": {code}, "name": {name}, "summary": {"海原县各乡镇卫生院门诊就诊记录"}, "grade": {"important"},
		"open_attr": {"conditional"}, "auth_mode": {"scenario"}, "update_freq": {"monthly"}, "time_span": {"2020年至今"}, "volume": {"约30万条"}}
	for i, f := range fields {
		p := "fields[" + string(rune('0'+i)) + "]."
		v.Set(p+"name", f[0])
		v.Set(p+"label", f[1])
		v.Set(p+"data_type", "string")
		v.Set(p+"grade", f[2])
		if f[0] == "id_number" {
			v.Set(p+"sensitive_pi", "1")
		}
	}
	return v
}

// The whole flow through the forms: a refused form keeps the input and
// shows the messages; a return needs a reason, which the department sees;
// the operator's queue shows the authority's consent; the history names
// every step with who and why (R8.4-R8.6, invariant 5).
func TestCatalogPages_R8_4_FormsDraftToPublished(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		dept := uiAs(t, h, "dept-haiyuan-weijian")
		// Bad input: a bad code, a field without a label; nothing is saved.
		bad := catalogPagesForm("hy wj", "海原县门诊就诊记录", [3]string{"visit_id", "", "general"}, [3]string{"id_number", "身份证号", "important"})
		st, body, _ := dept.post("/catalog", bad)
		text := pageText(body)
		if st != 400 || !strings.Contains(text, "资源代码格式有误") || !strings.Contains(text, "信息项名称须为 1 至 100 个字符") {
			t.Fatalf("bad form: %d %s", st, text)
		}
		for _, kept := range []string{`value="hy wj"`, `value="海原县门诊就诊记录"`, `value="visit_id"`, `value="身份证号"`, `2020年至今`} {
			if !strings.Contains(body, kept) {
				t.Errorf("refused form lost %s", kept)
			}
		}
		if _, body, _ := dept.get("/catalog/mine"); strings.Contains(body, "海原县门诊就诊记录") {
			t.Fatalf("a refused form saved something")
		}
		good := catalogPagesForm("HY-WJ-0101", "海原县门诊就诊记录", [3]string{"visit_id", "就诊流水号", "general"}, [3]string{"id_number", "身份证号", "important"})
		good.Set("fields[5].name", "") // the blank spare row is ignored
		st, body = dept.follow("/catalog", good)
		if st != 200 || !strings.Contains(pageText(body), "HY-WJ-0101 已登记") || !strings.Contains(pageText(body), "草稿") {
			t.Fatalf("create: %d %s", st, pageText(body))
		}
		var id int64
		var list struct{ Items []shuyu.CatalogEntry }
		h.call(h.token("dept-haiyuan-weijian"), "GET", "/api/v1/catalog/work", nil, 200, &list)
		for _, e := range list.Items {
			if e.Code == "HY-WJ-0101" {
				id = e.ID
				if n := len(e.Working.Fields); n != 2 || !e.Working.Fields[1].SensitivePI || !e.Working.Fields[1].PI {
					t.Fatalf("saved fields: %+v", e.Working.Fields)
				}
			}
		}
		base := "/catalog/" + catalogID(id)
		st, body = dept.follow(base+"/step", url.Values{"step": {"submit"}})
		if st != 200 || !strings.Contains(pageText(body), "已提交审核") || !strings.Contains(pageText(body), "县(区)审核中") {
			t.Fatalf("submit: %s", pageText(body))
		}
		// The county returns: a reason is required.
		county := uiAs(t, h, "county-haiyuan")
		if _, body, _ := county.get("/catalog/reviews"); !strings.Contains(body, "海原县门诊就诊记录") {
			t.Fatalf("county queue lacks the entry: %s", pageText(body))
		}
		st, body, _ = county.post(base+"/step", url.Values{"step": {"return_county"}, "reason": {"  "}})
		if st != 400 || !strings.Contains(pageText(body), "退回须写明理由") {
			t.Fatalf("return without reason: %d %s", st, pageText(body))
		}
		county.follow(base+"/step", url.Values{"step": {"return_county"}, "reason": {"请补充就诊科室信息项"}})
		_, body, _ = dept.get("/catalog/mine?tab=returned")
		if text := pageText(body); !strings.Contains(text, "海原县门诊就诊记录") || !strings.Contains(text, "请补充就诊科室信息项") {
			t.Fatalf("department does not see the reason: %s", text)
		}
		// Fixed and sent again, up to the city and out.
		good.Set("fields[2].name", "dept_name")
		good.Set("fields[2].label", "就诊科室")
		good.Set("fields[2].data_type", "string")
		good.Set("fields[2].grade", "general")
		if st, body := dept.follow(base+"/edit", good); !strings.Contains(pageText(body), "就诊科室") {
			t.Fatalf("edit: %d %s", st, pageText(body))
		}
		dept.follow(base+"/step", url.Values{"step": {"submit"}})
		county.follow(base+"/step", url.Values{"step": {"approve_county"}})
		if st, _, _ := dept.post(base+"/step", url.Values{"step": {"approve_city"}}); st != 403 {
			t.Errorf("department approving itself: %d", st)
		}
		uiAs(t, h, "authority").follow(base+"/step", url.Values{"step": {"approve_city"}})
		op := uiAs(t, h, "operator-admin")
		_, body, _ = op.get("/catalog/publish")
		if text := pageText(body); !strings.Contains(text, "海原县门诊就诊记录") || !strings.Contains(text, "authority") {
			t.Fatalf("publish queue lacks the entry or the consent: %s", text)
		}
		st, body = op.follow(base+"/step", url.Values{"step": {"publish"}, "from": {"queue"}})
		if !strings.Contains(pageText(body), "已发布") || strings.Contains(body, `data-code="HY-WJ-0101"`) {
			t.Fatalf("publish: %d %s", st, pageText(body))
		}
		if st, body, _ := newUIClient(t, h).get(base); st != 200 || !strings.Contains(pageText(body), "就诊科室") {
			t.Fatalf("public page after publishing: %d", st)
		}
		_, body, _ = dept.get(base + "/work")
		text = pageText(body)
		for _, want := range []string{"登记", "县(区)退回", "请补充就诊科室信息项", "county-haiyuan", "县(区)审核通过", "市级审核通过", "authority", "发布", "operator-admin"} {
			if !strings.Contains(text, want) {
				t.Errorf("history lacks %q: %s", want, text)
			}
		}
	})
}

// A published entry is revised as a new version: the public keeps the
// published one, the department sees a field-by-field diff, and the
// public cannot see the draft version (R9.1). A prohibited entry cannot be
// submitted (R4.5).
func TestCatalogPages_R9_1_ReviseAndDiff(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		h := harnessOn(t, env)
		id := catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-0001", catalogAPISample("中卫市户籍人口信息"), catalogPagesPublish...)
		base := "/catalog/" + catalogID(id)
		dept := uiAs(t, h, "dept-gongan")
		_, body, _ := dept.get(base + "/edit")
		if !strings.Contains(pageText(body), "修订目录 ZW-GA-0001") || !strings.Contains(body, `value="公民身份号码"`) {
			t.Fatalf("revise form: %s", pageText(body))
		}
		v := catalogPagesForm("", "中卫市户籍人口信息", [3]string{"id_number", "居民身份证号码", "important"}, [3]string{"birth_date", "出生日期", "general"})
		v.Set("summary", "全市户籍人口基础信息")
		v.Set("update_freq", "weekly")
		dept.follow(base+"/edit", v)
		anon := newUIClient(t, h)
		_, body, _ = anon.get(base)
		if text := pageText(body); !strings.Contains(text, "公民身份号码") || strings.Contains(text, "出生日期") {
			t.Fatalf("public sees the draft version: %s", text)
		}
		_, body, _ = dept.get(base + "/diff?from=1&to=2")
		text := pageText(body)
		for _, want := range []string{"第 1 版与第 2 版的差异", "信息项名称", "公民身份号码", "居民身份证号码", "新增信息项", "birth_date", "出生日期", "更新频率", "每日", "每周"} {
			if !strings.Contains(text, want) {
				t.Errorf("diff lacks %q: %s", want, text)
			}
		}
		if st, _, _ := anon.get(base + "/diff?from=1&to=2"); st != 404 {
			t.Errorf("public diff against a draft: %d", st)
		}
		// R4.5: a prohibited draft is refused at submission, with the rule.
		p := catalogAPISample("中卫市涉密人员信息")
		p.OpenAttr = shuyu.OpenProhibited
		pid := catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-0009", p)
		st, body, _ := dept.post("/catalog/"+catalogID(pid)+"/step", url.Values{"step": {"submit"}})
		if st != 400 || !strings.Contains(pageText(body), "禁止开放") {
			t.Fatalf("prohibited submit: %d %s", st, pageText(body))
		}
	})
}
