package web

import (
	"strings"
	"testing"

	"shuyu"
	"shuyu/internal/browsertest"
	"shuyu/sqlstore/sqltest"
)

// In a real browser, a department's user, a county reviewer and the
// authority take an entry from draft to published (R8.1, R8.4-R8.6): the
// department registers it with its information items (adding a row with
// the page's script), submits it; the county authority returns it with a
// reason, which the department reads, fixes and submits again; the county
// and the city approve; the authority, seeing its consent recorded,
// publishes it; an anonymous visitor finds it by a Chinese substring on
// the portal. Screenshots go to /tmp/shuyu-shots/catalog-*.png.
func TestCatalogBrowser_R8_4_DraftToPublished(t *testing.T) {
	b := browsertest.Start(t)
	h := newHarness(t, "sqlite")
	base := h.srv.URL
	// Some published entries, so that the portal has company.
	for i, name := range []string{"中卫市户籍人口信息", "中卫市机动车登记信息", "中卫市公交卡刷卡记录"} {
		rev := catalogAPISample(name)
		rev.Summary = name + "（全市）"
		catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-000"+string(rune('1'+i)), rev, catalogPagesPublish...)
	}
	login := func(user string) {
		t.Helper()
		if b.HasText("退出") {
			b.ClickNav("#logout")
		}
		b.Login(base, user, sqltest.Password)
		b.WaitText("您好")
	}

	// The department registers a draft.
	login("dept-haiyuan-weijian")
	b.Navigate(base + "/catalog/mine")
	b.WaitText("本部门目录")
	b.ClickNav("#new-entry")
	b.WaitText("登记目录")
	b.Fill("#code", "HY-WJ-0101")
	b.Fill("#name", "海原县门诊就诊记录")
	// Fill cannot clear an empty <textarea> (chromedp needs a text node in
	// it); Select sets a control's value and fires "change", as typing ends.
	b.Select("#summary", "海原县各乡镇卫生院门诊就诊记录，含就诊时间、科室与诊断")
	b.Select("#grade", string(shuyu.GradeImportant))
	b.Select("#update_freq", string(shuyu.FreqMonthly))
	b.Fill("#time_span", "2020年至今")
	b.Fill("#volume", "约30万条")
	b.Fill(`input[name="fields[0].label"]`, "就诊流水号")
	b.Fill(`input[name="fields[0].name"]`, "visit_id")
	b.Click("#field-add") // the script adds a second row
	b.Fill(`input[name="fields[1].label"]`, "公民身份号码")
	b.Fill(`input[name="fields[1].name"]`, "id_number")
	b.Select(`select[name="fields[1].grade"]`, "important")
	b.Click(`input[name="fields[1].sensitive_pi"]`)
	b.Screenshot("catalog-edit.png")
	b.ClickNav("#entry-save")
	b.WaitText("HY-WJ-0101 已登记")
	if !b.HasText("敏感个人信息") || !b.HasText("草稿") {
		t.Fatalf("draft page: %q", b.Text("main"))
	}
	loc := b.Location()
	work := loc[strings.Index(loc, "/catalog/"):]
	b.ClickNav("#entry-submit")
	b.WaitText("已提交审核")
	b.WaitText("县(区)审核中")

	// The county authority returns it with a reason.
	login("county-haiyuan")
	b.Navigate(base + "/catalog/reviews")
	b.WaitText("海原县门诊就诊记录")
	b.Screenshot("catalog-reviews.png")
	b.Navigate(base + work)
	b.WaitText("县(区)数据局审核")
	b.Select("#reason", "请补充就诊科室信息项")
	b.ClickNav("#entry-return")
	b.WaitText("已退回数源部门")

	// The department reads the reason, adds the item and submits again.
	login("dept-haiyuan-weijian")
	b.Navigate(base + "/catalog/mine?tab=returned")
	b.WaitText("请补充就诊科室信息项")
	b.Screenshot("catalog-mine-returned.png")
	b.Navigate(base + work)
	b.WaitText("退回理由")
	b.ClickNav("#entry-edit")
	b.WaitText("修改目录 HY-WJ-0101")
	b.Click("#field-add")
	b.Fill(`input[name="fields[2].label"]`, "就诊科室")
	b.Fill(`input[name="fields[2].name"]`, "dept_name")
	b.ClickNav("#entry-save")
	b.WaitText("已保存")
	b.WaitText("就诊科室")
	b.ClickNav("#entry-submit")
	b.WaitText("已提交审核")

	// The county approves; the city authority approves (its consent) and publishes.
	login("county-haiyuan")
	b.Navigate(base + work)
	b.ClickNav("#entry-approve")
	b.WaitText("报送市数据局")
	login("authority")
	b.Navigate(base + "/catalog/reviews")
	b.WaitText("海原县门诊就诊记录")
	b.Navigate(base + work)
	b.WaitText("市数据局审核")
	b.Screenshot("catalog-work-city.png")
	b.ClickNav("#entry-approve")
	b.WaitText("待运营机构发布")
	b.Navigate(base + "/catalog/publish")
	b.WaitText("海原县门诊就诊记录")
	if got := b.Text("#catalog-queue"); !strings.Contains(got, "authority") {
		t.Fatalf("publish queue lacks the consent: %q", got)
	}
	b.Screenshot("catalog-publish-queue.png")
	b.Navigate(base + work)
	b.WaitText("市数据局同意发布")
	b.ClickNav("#entry-publish")
	b.WaitText("目录“海原县门诊就诊记录”已发布")
	if !b.HasText("就诊科室") || !b.HasText("第 1 版") {
		t.Fatalf("published entry page: %q", b.Text("main"))
	}
	b.Navigate(base + work)
	b.WaitText("县(区)退回")
	b.Screenshot("catalog-history.png")

	// Anyone finds it on the portal by a Chinese substring.
	b.ClickNav("#logout")
	b.Navigate(base + "/catalog")
	b.WaitText("共 4 条目录")
	b.Screenshot("catalog-portal.png")
	b.Fill("#q", "门诊")
	b.ClickNav("#search-submit")
	b.WaitText("共 1 条目录")
	if !b.HasText("海原县门诊就诊记录") || b.HasText("机动车") {
		t.Fatalf("search 门诊: %q", b.Text("main"))
	}
	b.ClickNav(".catalog-hit-name")
	b.WaitText("信息资源提供方")
	if !b.HasText("海原县卫生健康局") || !b.HasText("敏感个人信息") || b.HasText("办理") {
		t.Fatalf("public entry page: %q", b.Text("main"))
	}
	b.Screenshot("catalog-entry.png")
}

// The other catalog pages in a browser, for their layout: a revision's
// field-by-field diff (R9.1), a merchant filing a demand (R9.1), the
// authority's category tree (R8.3), and the portal in English.
func TestCatalogBrowser_R9_1_DiffDemandsCategories(t *testing.T) {
	b := browsertest.Start(t)
	h := newHarness(t, "sqlite")
	base := h.srv.URL
	id := catalogPagesEntry(t, h, "dept-gongan", "ZW-GA-0001", catalogAPISample("中卫市户籍人口信息"), catalogPagesPublish...)
	rev := catalogAPISample("中卫市户籍人口信息")
	rev.UpdateFreq = shuyu.FreqWeekly
	rev.Fields[0].Label = "居民身份证号码"
	rev.Fields = append(rev.Fields, shuyu.CatalogField{Name: "birth_date", Label: "出生日期", DataType: "date", PI: true, Grade: shuyu.GradeGeneral})
	h.call(h.token("dept-gongan"), "PUT", "/api/v1/catalog/"+catalogID(id), rev, 200, nil)

	b.Login(base, "dept-gongan", sqltest.Password)
	b.WaitText("您好")
	b.Navigate(base + "/catalog/" + catalogID(id) + "/work")
	b.ClickNav("#work-diff")
	b.WaitText("第 1 版与第 2 版的差异")
	if got := b.Text("#catalog-diff"); !strings.Contains(got, "居民身份证号码") || !strings.Contains(got, "每周") || !strings.Contains(got, "新增信息项") {
		t.Fatalf("diff: %q", got)
	}
	b.Screenshot("catalog-diff.png")
	b.ClickNav("#logout")

	b.Login(base, "merchant-a", sqltest.Password)
	b.WaitText("您好")
	b.Navigate(base + "/demands")
	b.Click("#demand-new summary")
	b.Fill("#title", "新能源汽车充电桩数据")
	b.Select("#description", "全市公共充电桩位置、功率与使用率")
	b.Fill("#scenario", "充电桩选址")
	b.ClickNav("#demand-create")
	b.WaitText("需求“新能源汽车充电桩数据”已提交")
	b.WaitText("待转办")
	b.Screenshot("catalog-demand.png")
	b.ClickNav("#logout")

	b.Login(base, "authority", sqltest.Password)
	b.WaitText("您好")
	b.Navigate(base + "/catalog/categories")
	b.Fill("#code", "0602")
	b.Select("#parent_id", "")
	b.Fill("#name", "出租汽车")
	b.ClickNav("#category-create")
	b.WaitText("分类“出租汽车”已新增")
	b.Screenshot("catalog-categories.png")
	b.ClickNav("#logout")

	b.Navigate(base + "/catalog?lang=en")
	b.WaitText("1 entries")
	if !b.HasText("Department") || !b.HasText("Important") || b.HasText("提供部门") {
		t.Fatalf("English portal: %q", b.Text("main"))
	}
	b.Screenshot("catalog-portal-en.png")
	b.Navigate(base + "/catalog?lang=zh")
}
