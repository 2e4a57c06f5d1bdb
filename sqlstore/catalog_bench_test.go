package sqlstore_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

var benchTopics = []string{"人口", "企业", "社保", "医保", "公交", "不动产", "婚姻", "低保", "学籍", "枸杞", "气象", "交通事故",
	"行政处罚", "食品许可", "特种设备", "医疗机构", "药品", "土地", "地质灾害", "养老", "教师", "农机", "卫生院", "健康档案", "出租车"}

var benchLabels = []string{"公民身份号码", "姓名", "性别", "民族", "出生日期", "住址", "手机号码", "统一社会信用代码", "企业名称", "法定代表人",
	"行业门类", "注册资本", "成立日期", "县区代码", "乡镇", "登记状态", "缴费月份", "缴费基数", "定点医疗机构", "就诊日期", "诊断类别",
	"医疗总费用", "卡号", "线路", "上车站点", "刷卡时间", "票价", "坐落", "面积", "权利类型", "登记日期", "经度", "纬度", "证书编号"}

// catalogBenchSeed writes n published entries of f fields each straight
// into the tables (the flow would take minutes); the search text is built
// as the store builds it on publication.
func catalogBenchSeed(b *testing.B, db *sqlstore.DB, orgs []int64, n, f int) {
	ctx := context.Background()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	batch := func(table, cols string, width int, rows [][]any) {
		for start := 0; start < len(rows); start += 400 {
			end := min(start+400, len(rows))
			ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
			var args []any
			var vals []string
			for _, r := range rows[start:end] {
				vals = append(vals, ph)
				args = append(args, r...)
			}
			if _, err := tx.Exec(db.Rebind(`INSERT INTO `+table+` (`+cols+`) VALUES `+strings.Join(vals, ", ")), args...); err != nil {
				b.Fatal(err)
			}
		}
	}
	var entries, revs, fields, search [][]any
	for i := 1; i <= n; i++ {
		topic := benchTopics[i%len(benchTopics)]
		name := fmt.Sprintf("%s数据集%05d", topic, i)
		summary := fmt.Sprintf("%s相关的业务数据，第%d批次登记。", topic, i/100)
		code := fmt.Sprintf("BN-%05d", i)
		org := orgs[i%len(orgs)]
		entries = append(entries, []any{i, code, org, []string{"640500", "640502", "640521", "640522"}[i%4], i, 0})
		revs = append(revs, []any{i, i, 1, "published", name, summary, []string{"core", "important", "general"}[i%3],
			[]string{"unconditional", "conditional"}[i%2], "scenario", []string{"daily", "monthly", "yearly"}[i%3], 1, 0, 0})
		var labels []string
		for k := 0; k < f; k++ {
			l := benchLabels[(i+k)%len(benchLabels)]
			labels = append(labels, l)
			fields = append(fields, []any{i, k + 1, fmt.Sprintf("f%02d", k), l, "string", "general"})
		}
		search = append(search, []any{i, name + "\n" + summary + "\n部门\n" + code + "\n" + strings.Join(labels, " ")})
	}
	batch("catalog_entries", "id, code, org_id, region, published_rev_id, created_at", 6, entries)
	batch("catalog_revisions", "id, entry_id, version, status, name, summary, grade, open_attr, auth_mode, update_freq, created_by, created_at, updated_at", 13, revs)
	batch("catalog_fields", "revision_id, position, name, label, data_type, grade", 6, fields)
	key := "entry_id"
	if db.Dialect() == sqlstore.SQLite {
		key = "rowid"
	}
	batch("catalog_search", key+", body", 2, search)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if db.Dialect() == sqlstore.Postgres {
		db.SQL().Exec(`SELECT setval('catalog_entries_id_seq', 100000); SELECT setval('catalog_revisions_id_seq', 100000); ANALYZE`)
	}
}

// BenchmarkCatalogSearch measures the public search over 10,000 published
// entries of 30 fields each, against a bare indexed lookup in the same run
// (the baseline). Each query mix reports its p95 in milliseconds.
func BenchmarkCatalogSearch(b *testing.B) {
	// Not sqltest.Each: a benchmark is a *testing.B, and its backends run
	// one after the other so that neither times the other's load.
	for _, backend := range sqltest.Backends(b) {
		b.Run(backend, func(b *testing.B) {
			db, _ := sqltest.Open(b, backend)
			a := sqltest.Seed(b, db)
			catalogBenchSeed(b, db, []int64{a["dept-gongan"].OrgID, a["dept-haiyuan-weijian"].OrgID}, 10_000, 30)
			ctx := context.Background()
			queries := []sqlstore.CatalogFilter{
				{Q: "人口"},                   // two characters: LIKE fallback
				{Q: "公民身份号码"},               // field label, trigram index
				{Q: "交通事故数据集"},              // name, trigram index
				{},                          // browse everything, all facets
				{Q: "医保", Grade: "general"}, // query plus a facet
				{Region: shuyu.RegionHaiyuan, UpdateFreq: shuyu.FreqDaily},
			}
			run := func(b *testing.B, fn func(i int)) {
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					fn(i)
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(lat[(len(lat)*95)/100].Microseconds())/1000, "p95_ms")
			}
			b.Run("baseline_indexed_lookup", func(b *testing.B) {
				run(b, func(i int) {
					var id int64
					if err := db.SQL().QueryRow(db.Rebind(`SELECT id FROM catalog_entries WHERE code = ?`), fmt.Sprintf("BN-%05d", i%10_000+1)).Scan(&id); err != nil {
						b.Fatal(err)
					}
				})
			})
			for k, q := range queries {
				b.Run(fmt.Sprintf("query%d", k), func(b *testing.B) {
					run(b, func(i int) {
						if _, err := db.PublishedEntries(ctx, nil, q); err != nil {
							b.Fatal(err)
						}
					})
				})
			}
			b.Run("search", func(b *testing.B) {
				run(b, func(i int) {
					if _, err := db.PublishedEntries(ctx, nil, queries[i%len(queries)]); err != nil {
						b.Fatal(err)
					}
				})
			})
		})
	}
}
