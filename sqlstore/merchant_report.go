package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"shuyu"
	"shuyu/workday"
)

// MerchantReportFor compiles the R18.3 report over [from, to): every
// onboarding decision and status change in the period, and the number of
// merchants registered and suspended at its end.
func (d *DB) MerchantReportFor(ctx context.Context, actor *shuyu.Actor, from, to time.Time) (*shuyu.MerchantReport, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMerchantReportRead, shuyu.Resource{Kind: "merchant_report"}); err != nil {
		return nil, err
	}
	if !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		return nil, shuyu.Errorf(shuyu.EINVALID, "报告期须为一年以内且结束晚于开始 (period up to one year)")
	}
	var rep *shuyu.MerchantReport
	err := d.view(ctx, func(tx *Tx) error {
		var err error
		rep, err = tx.merchantReport(from, to)
		return err
	})
	return rep, err
}

func (tx *Tx) merchantReport(from, to time.Time) (*shuyu.MerchantReport, error) {
	rep := &shuyu.MerchantReport{From: from, To: to, CreatedAt: tx.now, Rows: []shuyu.MerchantEventRow{}}
	rows, err := tx.query(`SELECT e.time, g.company, g.uscc, e.event, e.reason FROM merchant_events e
		JOIN merchant_registrations g ON g.id = e.registration_id WHERE e.time >= ? AND e.time < ? ORDER BY e.time, e.id`,
		micros(from), micros(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r shuyu.MerchantEventRow
		var at int64
		if err := rows.Scan(&at, &r.Company, &r.USCC, &r.Event, &r.Reason); err != nil {
			return nil, err
		}
		r.Time = fromMicros(at)
		rep.Rows = append(rep.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Status at the end of the period: the last event of each registration before it.
	err = tx.queryRow(`SELECT COUNT(CASE WHEN e.event = ? THEN 1 END), COUNT(CASE WHEN e.event = ? THEN 1 END)
		FROM merchant_events e WHERE e.id = (SELECT MAX(x.id) FROM merchant_events x
		WHERE x.registration_id = e.registration_id AND x.time < ?)`,
		shuyu.RegRegistered, shuyu.RegSuspended, micros(to)).Scan(&rep.Registered, &rep.Suspended)
	return rep, err
}

// FileMerchantReport stores the report and sends it to the authority (R18.3).
func (d *DB) FileMerchantReport(ctx context.Context, actor *shuyu.Actor, from, to time.Time) (*shuyu.MerchantReport, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMerchantReport, shuyu.Resource{Kind: "merchant_report"}); err != nil {
		return nil, err
	}
	if !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		return nil, shuyu.Errorf(shuyu.EINVALID, "报告期须为一年以内且结束晚于开始 (period up to one year)")
	}
	var rep *shuyu.MerchantReport
	err := d.update(ctx, actor, func(tx *Tx) error {
		var err error
		if rep, err = tx.merchantReport(from, to); err != nil {
			return err
		}
		rep.CreatedBy = actor.UserID
		body, _ := json.Marshal(rep)
		if rep.ID, err = tx.insert(`INSERT INTO merchant_reports (period_from, period_to, body, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			micros(from), micros(to), string(body), actor.UserID, micros(tx.now)); err != nil {
			return err
		}
		auth, err := tx.orgsOfKind(shuyu.OrgAuthority)
		if err != nil {
			return err
		}
		period := from.In(workday.Zone).Format(time.DateOnly) + " 至 " + to.In(workday.Zone).Format(time.DateOnly)
		if err := tx.notifyOrgs(auth, Notice{Kind: "merchant_report.filed", Title: "运营机构报送数据商管理情况：" + period,
			Body:       fmt.Sprintf("在册 %d 家，暂停 %d 家，本期变动 %d 项", rep.Registered, rep.Suspended, len(rep.Rows)),
			ObjectType: "merchant_report", ObjectID: fmt.Sprint(rep.ID), Link: fmt.Sprintf("/review/reports/%d", rep.ID)}); err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditMerchantReportFile, ObjectType: "merchant_report", ObjectID: rep.ID,
			Detail: map[string]any{"from": from, "to": to, "rows": len(rep.Rows), "rule": "R18.3"}})
	})
	return rep, err
}

// MerchantReports lists filed reports, newest first.
func (d *DB) MerchantReports(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.MerchantReport, error) {
	if err := shuyu.Authorize(actor, shuyu.ActMerchantReportRead, shuyu.Resource{Kind: "merchant_report"}); err != nil {
		return nil, err
	}
	var out []*shuyu.MerchantReport
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT id, body FROM merchant_reports ORDER BY id DESC LIMIT 200`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var body string
			if err := rows.Scan(&id, &body); err != nil {
				return err
			}
			var r shuyu.MerchantReport
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				return err
			}
			r.ID = id
			out = append(out, &r)
		}
		return rows.Err()
	})
	return out, err
}

// MerchantReportXLSX renders a report as an .xlsx workbook (Chinese
// government reports travel as spreadsheets).
func MerchantReportXLSX(r *shuyu.MerchantReport) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "数据商管理情况"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	day := func(t time.Time) string { return t.In(workday.Zone).Format(time.DateOnly) }
	rows := [][]any{
		{"数据商日常管理、拒绝入驻及退出情况报告 (R18.3)"},
		{"报告期", day(r.From) + " 至 " + day(r.To)},
		{"期末在册数据商", r.Registered, "期末暂停", r.Suspended},
		{},
		{"时间", "企业名称", "统一社会信用代码", "事项", "理由"},
	}
	for _, e := range r.Rows {
		rows = append(rows, []any{e.Time.In(workday.Zone).Format("2006-01-02 15:04"), e.Company, e.USCC, shuyu.StatusLabel(e.Event), e.Reason})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetColWidth(sheet, "A", "A", 18)
	_ = f.SetColWidth(sheet, "B", "B", 30)
	_ = f.SetColWidth(sheet, "C", "C", 22)
	_ = f.SetColWidth(sheet, "E", "E", 40)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
