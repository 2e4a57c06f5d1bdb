package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/workday"
)

// The operator's periodic report to the authority on merchants' daily
// management, refusals and exits (R18.3): a preview for any period up to a
// year, its .xlsx export, filing it (the authority is notified), and the
// filed reports.

// reviewuiPeriod reads from/to (YYYY-MM-DD, "to" inclusive); the default
// is the current month up to today, on the store's clock.
func (s *Server) reviewuiPeriod(q url.Values) (from, to time.Time, fromS, toS string, err error) {
	now := s.cfg.Now().In(workday.Zone)
	fromS, toS = q.Get("from"), q.Get("to")
	if fromS == "" {
		fromS = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, workday.Zone).Format(time.DateOnly)
	}
	if toS == "" {
		toS = now.Format(time.DateOnly)
	}
	from, e1 := time.ParseInLocation(time.DateOnly, fromS, workday.Zone)
	to, e2 := time.ParseInLocation(time.DateOnly, toS, workday.Zone)
	if e1 != nil || e2 != nil {
		return from, to, fromS, toS, shuyu.Errorf(shuyu.EINVALID, "报告期须为 YYYY-MM-DD 格式的日期 (bad period)")
	}
	return from, to.AddDate(0, 0, 1), fromS, toS, nil
}

func (s *Server) reviewuiReports(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	from, to, fromS, toS, err := s.reviewuiPeriod(r.URL.Query())
	d := reviewuiData{Form: emptyForm(), From: fromS, To: toS, CanFile: shuyu.Can(a, shuyu.ActMerchantReport, shuyu.Resource{})}
	if err == nil {
		d.Report, err = s.db.MerchantReportFor(r.Context(), a, from, to)
	}
	status := http.StatusOK
	if err != nil {
		if ferr := d.Form.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		status, d.Report = d.Form.Status, nil
	}
	d.ExportURL = "/review/reports/export?" + url.Values{"from": {fromS}, "to": {toS}}.Encode()
	all, err := s.db.MerchantReports(r.Context(), a)
	if err != nil {
		return err
	}
	var exported bool
	if d.Reports, d.List, exported, err = merchantReportsList(w, r, all); exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, status, "review/reports.html", d)
}

// reviewuiFileReport files the period's report with the authority.
func (s *Server) reviewuiFileReport(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	back := "/review/reports?" + url.Values{"from": {f.Get("from")}, "to": {f.Get("to")}}.Encode()
	from, to, _, _, err := s.reviewuiPeriod(f.Values)
	if err != nil {
		return s.reviewuiDone(w, r, back, "", err)
	}
	rep, err := s.db.FileMerchantReport(r.Context(), uiActor(r), from, to)
	if err != nil {
		return s.reviewuiDone(w, r, back, "", err)
	}
	return s.reviewuiDone(w, r, fmt.Sprintf("/review/reports/%d", rep.ID), "reviewui.report.filed", nil)
}

func (s *Server) reviewuiReportExport(w http.ResponseWriter, r *http.Request) error {
	from, to, _, _, err := s.reviewuiPeriod(r.URL.Query())
	if err != nil {
		return err
	}
	rep, err := s.db.MerchantReportFor(r.Context(), uiActor(r), from, to)
	if err != nil {
		return err
	}
	return reviewuiWriteXLSX(w, rep)
}

// reviewuiFiled finds a filed report by id.
func (s *Server) reviewuiFiled(r *http.Request) (*shuyu.MerchantReport, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	reps, err := s.db.MerchantReports(r.Context(), uiActor(r))
	if err != nil {
		return nil, err
	}
	for _, rep := range reps {
		if rep.ID == id {
			return rep, nil
		}
	}
	return nil, shuyu.Errorf(shuyu.ENOTFOUND, "报告不存在 (report not found)")
}

func (s *Server) reviewuiReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.reviewuiFiled(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "review/report.html", reviewuiData{Report: rep})
}

func (s *Server) reviewuiReportXLSX(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.reviewuiFiled(r)
	if err != nil {
		return err
	}
	return reviewuiWriteXLSX(w, rep)
}

func reviewuiWriteXLSX(w http.ResponseWriter, rep *shuyu.MerchantReport) error {
	b, err := sqlstore.MerchantReportXLSX(rep)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("数据商管理情况报告_%s_%s.xlsx", rep.From.In(workday.Zone).Format("20060102"),
		rep.To.In(workday.Zone).AddDate(0, 0, -1).Format("20060102"))
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="merchant-report.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}
