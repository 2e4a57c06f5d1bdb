// Package synth generates realistic but entirely synthetic Zhongwei (中卫市)
// datasets for the demo and tests, and the simulated twin (仿真数据, R6.1) of
// a real table that merchants develop against without seeing real data.
// Everything is deterministic given a seed and a date: no real person, no
// global random source, no clock.
package synth

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"time"

	"shuyu"
)

// Column describes one column of a generated dataset.
type Column struct {
	Name        string // machine name, the CSV header
	Label       string // Chinese label (信息项名称)
	Type        string // string, integer, decimal, date, datetime, month
	Kind        string // twin kind: id_number, name, phone, address, uscc, category, number, date, text
	PI          bool   // personal information (个人信息)
	SensitivePI bool   // sensitive personal information (敏感个人信息, PIPL Art. 28)
	Identifier  bool   // directly identifies a person or entity; twins never reuse real values
}

// DatasetSpec is a generated dataset's schema.
type DatasetSpec struct {
	Name        string
	Label       string
	Description string
	DemoRows    int // rows the demo loads
	Columns     []Column
}

// ColumnNames returns the header row.
func (d DatasetSpec) ColumnNames() []string {
	s := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		s[i] = c.Name
	}
	return s
}

func col(name, label, typ, kind string, flags string) Column {
	c := Column{Name: name, Label: label, Type: typ, Kind: kind}
	for _, f := range flags {
		switch f {
		case 'p':
			c.PI = true
		case 's':
			c.PI, c.SensitivePI = true, true
		case 'i':
			c.Identifier = true
		}
	}
	return c
}

type generator func(seed uint64, n int, now time.Time) iter.Seq[[]string]

type dataset struct {
	spec DatasetSpec
	gen  generator
	max  int
}

var datasets = []dataset{
	{DatasetSpec{"population", "人口基础信息", "户籍人口基础信息（合成）", 200_000, []Column{
		col("id_number", "公民身份号码", "string", "id_number", "si"),
		col("name", "姓名", "string", "name", "p"),
		col("gender", "性别", "string", "category", "p"),
		col("ethnicity", "民族", "string", "category", "p"),
		col("birth_date", "出生日期", "date", "date", "p"),
		col("county_code", "县区代码", "string", "category", ""),
		col("county", "县区", "string", "category", ""),
		col("township", "乡镇", "string", "category", ""),
		col("address", "住址", "string", "address", "pi"),
		col("phone", "手机号码", "string", "phone", "pi"),
		col("household_type", "户口性质", "string", "category", ""),
	}}, populationRows, MaxPopulation},
	{DatasetSpec{"enterprise", "企业登记信息", "市场主体登记信息（合成）", 20_000, []Column{
		col("uscc", "统一社会信用代码", "string", "uscc", "i"),
		col("name", "企业名称", "string", "text", ""),
		col("legal_rep", "法定代表人", "string", "name", "p"),
		col("industry_code", "行业门类代码", "string", "category", ""),
		col("industry", "行业门类", "string", "category", ""),
		col("registered_capital", "注册资本（万元）", "decimal", "number", ""),
		col("established_date", "成立日期", "date", "date", ""),
		col("county_code", "县区代码", "string", "category", ""),
		col("address", "住所", "string", "address", ""),
		col("status", "登记状态", "string", "category", ""),
		col("employees", "从业人数", "integer", "number", ""),
	}}, enterpriseRows, MaxEnterprises},
	{DatasetSpec{"social_insurance", "社会保险缴费", "社会保险缴费明细（合成）", 200_000, []Column{
		col("id_number", "公民身份号码", "string", "id_number", "si"),
		col("month", "缴费月份", "month", "date", ""),
		col("category", "参保类别", "string", "category", ""),
		col("insurance_type", "险种", "string", "category", ""),
		col("base", "缴费基数（元）", "decimal", "number", "s"),
		col("personal", "个人缴费（元）", "decimal", "number", "s"),
		col("employer", "单位缴费（元）", "decimal", "number", ""),
		col("employer_uscc", "单位统一社会信用代码", "string", "uscc", "i"),
	}}, insuranceRows, MaxPopulation},
	{DatasetSpec{"medical_settlement", "医保结算", "医疗保障基金结算明细（合成）", 200_000, []Column{
		col("settlement_id", "结算流水号", "string", "text", "i"),
		col("id_number", "公民身份号码", "string", "id_number", "si"),
		col("hospital", "定点医疗机构", "string", "category", ""),
		col("visit_date", "就诊日期", "date", "date", "s"),
		col("visit_type", "就诊类型", "string", "category", "s"),
		col("diagnosis_category", "诊断类别（ICD-10章）", "string", "category", "s"),
		col("total_amount", "医疗总费用（元）", "decimal", "number", "s"),
		col("fund_paid", "基金支付（元）", "decimal", "number", "s"),
		col("self_paid", "个人自付（元）", "decimal", "number", "s"),
	}}, medicalRows, MaxPopulation},
	{DatasetSpec{"bus_rides", "公交刷卡", "城市公交刷卡记录（合成）", 300_000, []Column{
		col("card_id", "卡号", "string", "text", "pi"),
		col("line", "线路", "string", "category", ""),
		col("board_stop", "上车站点", "string", "category", ""),
		col("ride_time", "刷卡时间", "datetime", "date", "s"),
		col("fare", "票价（元）", "decimal", "number", ""),
		col("card_type", "卡类型", "string", "category", ""),
	}}, busRows, MaxPopulation * 30},
}

// Datasets returns the specs of every generated dataset.
func Datasets() []DatasetSpec {
	out := make([]DatasetSpec, len(datasets))
	for i, d := range datasets {
		out[i] = d.spec
		out[i].Columns = append([]Column(nil), d.spec.Columns...)
	}
	return out
}

func lookup(op, name string, n int) (dataset, error) {
	for _, d := range datasets {
		if d.spec.Name == name {
			if n < 0 || n > d.max {
				return d, fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.EINVALID,
					"行数须在0到%d之间 (row count out of range)", d.max))
			}
			return d, nil
		}
	}
	return dataset{}, fmt.Errorf("%s: %w", op, shuyu.Errorf(shuyu.ENOTFOUND, "没有名为%q的合成数据集 (no such dataset)", name))
}

// Rows returns the n data rows (no header) of dataset name for the seed, as
// of now. The yielded slice is reused between rows: copy it to keep it.
func Rows(name string, n int, seed uint64, now time.Time) (iter.Seq[[]string], error) {
	d, err := lookup("synth.Rows", name, n)
	if err != nil {
		return nil, err
	}
	return d.gen(seed, n, now), nil
}

// WriteCSV writes dataset name as CSV: a header row of column names, then n
// rows generated from seed as of now.
func WriteCSV(w io.Writer, name string, n int, seed uint64, now time.Time) error {
	d, err := lookup("synth.WriteCSV", name, n)
	if err != nil {
		return err
	}
	return writeCSV("synth.WriteCSV", w, d.spec.ColumnNames(), d.gen(seed, n, now))
}

func writeCSV(op string, w io.Writer, header []string, rows iter.Seq[[]string]) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for row := range rows {
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

func populationRows(seed uint64, n int, now time.Time) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		row := make([]string, 0, 11)
		for i := 0; i < n; i++ {
			if !yield(populationRow(PersonAt(seed, i, now), row)) {
				return
			}
		}
	}
}

func enterpriseRows(seed uint64, n int, now time.Time) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		row := make([]string, 0, 11)
		for i := 0; i < n; i++ {
			if !yield(enterpriseRow(EnterpriseAt(seed, i, now), row)) {
				return
			}
		}
	}
}
