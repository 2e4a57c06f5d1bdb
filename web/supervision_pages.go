package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/workday"
)

// supervisionPages: the pages of supervision on live data (issue 16, first
// half). Each calls the same store method as its API route.
func (s *Server) supervisionPages() {
	s.page("GET /supervision", pageOpts{Nav: "nav.supervision", Group: "nav.group.supervise", Order: 1,
		Action: shuyu.ActSupervisionRead, Desc: "nav.supervision.desc"}, s.uiSupervision)
	s.page("GET /supervision/notices", pageOpts{Nav: "nav.sup.notices", Group: "nav.group.supervise", Order: 2,
		Action: shuyu.ActNoticeRead, Desc: "nav.sup.notices.desc"}, s.uiNotices)
	s.page("POST /supervision/notices", pageOpts{Action: shuyu.ActNoticeManage}, s.uiNoticeDraft)
	s.page("GET /supervision/notices/{id}", pageOpts{Public: true}, s.uiNotice)
	s.page("GET /supervision/notices/{id}/xlsx", pageOpts{Public: true}, s.uiNoticeXLSX)
	s.page("POST /supervision/notices/{id}/edit", pageOpts{Action: shuyu.ActNoticeManage}, s.uiNoticeEdit)
	s.page("POST /supervision/notices/{id}/recompute", pageOpts{Action: shuyu.ActNoticeManage}, s.uiNoticeStep("recompute"))
	s.page("POST /supervision/notices/{id}/publish", pageOpts{Action: shuyu.ActNoticeManage}, s.uiNoticeStep("publish"))
	s.page("POST /supervision/notices/{id}/withdraw", pageOpts{Action: shuyu.ActNoticeManage}, s.uiNoticeStep("withdraw"))
	s.page("GET /supervision/figures", pageOpts{Nav: "nav.sup.figures", Group: "nav.group.supervise", Order: 3,
		Action: shuyu.ActDeptFiguresRead, Desc: "nav.sup.figures.desc"}, s.uiDeptFigures)

	s.page("GET /scenarios", pageOpts{Nav: "nav.scenarios", Group: "nav.group.supervise", Order: 4,
		Action: shuyu.ActScenarioRead, Desc: "nav.scenarios.desc"}, s.uiScenarios)
	s.page("POST /scenarios", pageOpts{Action: shuyu.ActScenarioCreate}, s.uiScenarioCreate)
	s.page("GET /scenarios/reports", pageOpts{AnyOf: []shuyu.Action{shuyu.ActScenarioReport, shuyu.ActSupervisionRead}}, s.uiScenarioReports)
	s.page("POST /scenarios/reports", pageOpts{Action: shuyu.ActScenarioReport}, s.uiScenarioReportFile)
	s.page("GET /scenarios/{id}", pageOpts{Action: shuyu.ActScenarioRead}, s.uiScenario)
	s.page("POST /scenarios/{id}/status", pageOpts{Action: shuyu.ActScenarioManage}, s.uiScenarioCmd("status"))
	s.page("POST /scenarios/{id}/showcase", pageOpts{Action: shuyu.ActScenarioManage}, s.uiScenarioCmd("showcase"))
	s.page("POST /scenarios/{id}/require", pageOpts{Action: shuyu.ActScenarioRequire}, s.uiScenarioCmd("require"))
	s.page("POST /scenarios/{id}/link", pageOpts{Action: shuyu.ActScenarioManage}, s.uiScenarioCmd("link"))
	s.page("POST /scenarios/{id}/unlink", pageOpts{Action: shuyu.ActScenarioManage}, s.uiScenarioCmd("unlink"))
	s.page("GET /showcase", pageOpts{Public: true}, s.uiShowcase)

	evalAny := []shuyu.Action{shuyu.ActEvaluationRead, shuyu.ActEvaluationRate}
	s.page("GET /evaluations", pageOpts{Nav: "nav.evaluations", Group: "nav.group.supervise", Order: 5, AnyOf: evalAny,
		Desc: "nav.evaluations.desc"}, s.uiEvaluations)
	s.page("POST /evaluations", pageOpts{Action: shuyu.ActEvaluationManage}, s.uiEvaluationCreate)
	s.page("GET /evaluations/{id}", pageOpts{AnyOf: evalAny}, s.uiEvaluation)
	for _, step := range []string{"prefill", "open", "rate", "score", "publish"} {
		act := shuyu.ActEvaluationManage
		if step == "rate" {
			act = shuyu.ActEvaluationRate
		}
		s.page("POST /evaluations/{id}/"+step, pageOpts{Action: act}, s.uiEvaluationStep(step))
	}
	s.page("POST /rectifications/{id}/submit", pageOpts{Action: shuyu.ActRectifyRespond}, s.uiRectify("submit"))
	s.page("POST /rectifications/{id}/close", pageOpts{Action: shuyu.ActEvaluationManage}, s.uiRectify("close"))
}

// supLabel is a label helper for the supervision templates.
type supPage struct {
	Lang string
	Form *uiForm
}

func (p supPage) Tag(t string) string               { return T(p.Lang, "scenario.tag."+t) }
func (p supPage) Domain(d string) string            { return T(p.Lang, "scenario.domain."+d) }
func (p supPage) Status(s string) string            { return T(p.Lang, "sup.status."+s) }
func (p supPage) Grade(g string) string             { return T(p.Lang, "sup.grade."+g) }
func (p supPage) Rule(r string) string              { return T(p.Lang, "sup.rule."+r) }
func (p supPage) Metric(m string) string            { return T(p.Lang, "sup.metric."+m) }
func (p supPage) LinkKind(k string) string          { return T(p.Lang, "scenario.link."+k) }
func (p supPage) Period(n *shuyu.DeptNotice) string { return sqlstore.PeriodLabel(n.From, n.To) }
func (p supPage) Tags() []string                    { return shuyu.ScenarioTags }
func (p supPage) Domains() []string                 { return shuyu.ScenarioDomains }
func (p supPage) Rules() []string {
	return []string{shuyu.RuleRatio, shuyu.RulePenalty, shuyu.RuleManual}
}
func (p supPage) Metrics() []string { return shuyu.EvalMetricNames() }
func (p supPage) Score(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func (s *Server) uiSupervision(w http.ResponseWriter, r *http.Request) error {
	d, err := s.supervisionDashboard(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return s.render(w, r, "supervision/dashboard.html", map[string]any{"Dash": d, "P": supPage{Lang: uiLang(r)}})
}

// Notices.

func (s *Server) uiNotices(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotices(w, r, emptyForm())
}

func (s *Server) renderNotices(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.DeptNotices(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	list, lv, exported, err := noticesList(w, r, all)
	if exported || err != nil {
		return err
	}
	if len(f.Values) == 0 {
		// The default period: last month.
		from, _ := monthOf(s.cfg.Now())
		from = from.AddDate(0, -1, 0)
		f.Values.Set("from", from.Format(time.DateOnly))
		f.Values.Set("to", from.AddDate(0, 1, -1).Format(time.DateOnly))
		f.Values.Set("title", fmt.Sprintf("%d年%d月数源部门工作情况通报", from.Year(), from.Month()))
		f.Values.Set("visibility", shuyu.NoticePublic)
	}
	return s.renderStatus(w, r, f.Status, "supervision/notices.html", map[string]any{"Notices": list, "List": lv, "Form": f, "P": supPage{Lang: uiLang(r), Form: f}})
}

func noticeInput(f *uiForm) shuyu.NoticeInput {
	return shuyu.NoticeInput{Title: f.Get("title"), From: f.Get("from"), To: f.Get("to"), Body: f.Get("body"), Visibility: f.Get("visibility")}
}

func (s *Server) uiNoticeDraft(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	n, err := s.db.DraftNotice(r.Context(), uiActor(r), noticeInput(f))
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderNotices(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/supervision/notices/%d", n.ID), "ok", T(uiLang(r), "sup.notice.drafted"))
}

func (s *Server) uiNotice(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotice(w, r, nil)
}

func (s *Server) renderNotice(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := s.db.DeptNotice(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	if f == nil {
		f = emptyForm()
		f.Values.Set("title", n.Title)
		f.Values.Set("body", n.Body)
		f.Values.Set("visibility", n.Visibility)
	}
	lang := uiLang(r)
	chart := supChart{ID: "notice-chart", Title: "sup.chart.depts", Kind: "hbar",
		Cols: []string{"sup.col.dept", "sup.col.complete", "sup.col.mounted", "sup.col.issues_timely", "sup.col.reviews_timely"}}
	for _, x := range n.Figures {
		chart.Rows = append(chart.Rows, supRow{Label: x.OrgName, Vals: []int{x.CompletePct(), x.MountedPct(), x.IssuesTimelyPct(), x.ReviewsTimelyPct()}})
	}
	manage := shuyu.Can(uiActor(r), shuyu.ActNoticeManage, shuyu.Resource{})
	return s.renderStatus(w, r, f.Status, "supervision/notice.html", map[string]any{"N": n, "Form": f, "Chart": chart, "Manage": manage,
		"P": supPage{Lang: lang, Form: f}})
}

func (s *Server) uiNoticeXLSX(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := s.db.DeptNotice(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return writeNoticeXLSX(w, n)
}

func (s *Server) uiNoticeEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.db.UpdateNotice(r.Context(), uiActor(r), id, noticeInput(f)); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderNotice(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/supervision/notices/%d", id), "ok", T(uiLang(r), "sup.saved"))
}

func (s *Server) uiNoticeStep(step string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		f, err := newForm(r)
		if err != nil {
			return err
		}
		a := uiActor(r)
		switch step {
		case "recompute":
			_, err = s.db.RecomputeNotice(r.Context(), a, id)
		case "publish":
			_, err = s.db.PublishNotice(r.Context(), a, id)
		case "withdraw":
			err = s.db.WithdrawNotice(r.Context(), a, id, f.Get("reason"))
		}
		if err != nil {
			if ferr := f.fail(uiLang(r), err); ferr != nil {
				return ferr
			}
			return s.renderNotice(w, r, f)
		}
		return s.redirectFlash(w, r, fmt.Sprintf("/supervision/notices/%d", id), "ok", T(uiLang(r), "sup.notice.done."+step))
	}
}

// uiDeptFigures: a department's own live figures and trend; the authority
// and a county authority choose the department (?org=).
func (s *Server) uiDeptFigures(w http.ResponseWriter, r *http.Request) error {
	ctx, a := r.Context(), uiActor(r)
	q := r.URL.Query()
	from, to, err := supervisionPeriod(q, s.cfg.Now())
	if err != nil {
		return err
	}
	all, err := s.db.DeptFiguresAll(ctx, a, from, to)
	if err != nil {
		return err
	}
	org := a.OrgID
	if v := q.Get("org"); v != "" {
		if org, err = strconv.ParseInt(v, 10, 64); err != nil {
			return shuyu.Errorf(shuyu.EINVALID, "部门编号不正确 (invalid org)")
		}
	} else if a.OrgKind != shuyu.OrgSourceDept && len(all) > 0 {
		org = all[0].OrgID
	}
	data := map[string]any{"All": all, "Org": org, "From": from.Format(time.DateOnly),
		"To": to.AddDate(0, 0, -1).In(workday.Zone).Format(time.DateOnly), "P": supPage{Lang: uiLang(r)}}
	if len(all) > 0 {
		v, err := s.db.DeptFigures(ctx, a, org, from, to)
		if err != nil {
			return err
		}
		data["V"] = v
		trend := supChart{ID: "trend-chart", Title: "sup.chart.trend", Kind: "line",
			Cols: []string{"sup.col.period", "sup.col.complete", "sup.col.mounted", "sup.col.issues_timely", "sup.col.reviews_timely"}}
		points := append(v.Trend, sqlstore.DeptTrendPoint{Label: T(uiLang(r), "sup.live"), Figures: v.Live})
		for _, p := range points {
			f := p.Figures
			trend.Rows = append(trend.Rows, supRow{Label: p.Label, Vals: []int{f.CompletePct(), f.MountedPct(), f.IssuesTimelyPct(), f.ReviewsTimelyPct()}})
		}
		data["Trend"] = trend
	}
	return s.render(w, r, "supervision/figures.html", data)
}

// Scenarios.

func (s *Server) uiScenarios(w http.ResponseWriter, r *http.Request) error {
	return s.renderScenarios(w, r, emptyForm())
}

func (s *Server) renderScenarios(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	q := r.URL.Query()
	all, err := s.db.Scenarios(r.Context(), uiActor(r), sqlstore.ScenarioFilter{Status: q.Get("status"), Tag: q.Get("tag")})
	if err != nil {
		return err
	}
	list, lv, exported, err := scenariosList(w, r, all)
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "supervision/scenarios.html", map[string]any{"Items": list, "List": lv, "Form": f,
		"Status": q.Get("status"), "Tag": q.Get("tag"), "Statuses": shuyu.ScenarioStatuses, "P": supPage{Lang: uiLang(r), Form: f}})
}

func (s *Server) uiScenarioCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	sc, err := s.db.CreateScenario(r.Context(), uiActor(r), shuyu.ScenarioInput{Title: f.Get("title"), Domain: f.Get("domain"),
		Tags: f.Values["tags"], DataNeeded: f.Get("data_needed"), Description: f.Get("description")})
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderScenarios(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/scenarios/%d", sc.ID), "ok", T(uiLang(r), "scenario.created"))
}

func (s *Server) uiScenario(w http.ResponseWriter, r *http.Request) error {
	return s.renderScenario(w, r, emptyForm())
}

func (s *Server) renderScenario(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := uiActor(r)
	sc, err := s.db.Scenario(r.Context(), a, id)
	if err != nil {
		return err
	}
	var next []string
	for _, to := range shuyu.ScenarioStatuses {
		if shuyu.ScenarioMoveAllowed(sc.Status, to) {
			next = append(next, to)
		}
	}
	return s.renderStatus(w, r, f.Status, "supervision/scenario.html", map[string]any{"S": sc, "Form": f, "Next": next,
		"Manage": shuyu.Can(a, shuyu.ActScenarioManage, sc.Resource()), "Require": shuyu.Can(a, shuyu.ActScenarioRequire, sc.Resource()),
		"P": supPage{Lang: uiLang(r), Form: f}})
}

func (s *Server) uiScenarioCmd(cmd string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		f, err := newForm(r)
		if err != nil {
			return err
		}
		ctx, a := r.Context(), uiActor(r)
		switch cmd {
		case "status":
			_, err = s.db.SetScenarioStatus(ctx, a, id, f.Get("status"), f.Get("note"))
		case "showcase":
			_, err = s.db.SetScenarioShowcase(ctx, a, id, f.Get("on") == "1")
		case "require":
			_, err = s.db.RequireOneApplication(ctx, a, id, f.Get("on") == "1")
		case "link", "unlink":
			obj, perr := strconv.ParseInt(f.Get("object_id"), 10, 64)
			if perr != nil {
				err = shuyu.Errorf(shuyu.EINVALID, "请填写编号 (object id required)").
					WithDetails([]shuyu.FieldError{{Field: "object_id", Message: "应为数字"}})
				break
			}
			in := sqlstore.ScenarioLinkInput{Kind: f.Get("kind"), ObjectID: obj}
			if cmd == "link" {
				_, err = s.db.LinkScenario(ctx, a, id, in)
			} else {
				_, err = s.db.UnlinkScenario(ctx, a, id, in)
			}
		}
		if err != nil {
			if ferr := f.fail(uiLang(r), err); ferr != nil {
				return ferr
			}
			return s.renderScenario(w, r, f)
		}
		return s.redirectFlash(w, r, fmt.Sprintf("/scenarios/%d", id), "ok", T(uiLang(r), "sup.saved"))
	}
}

func (s *Server) uiShowcase(w http.ResponseWriter, r *http.Request) error {
	list, err := s.db.ShowcaseScenarios(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "supervision/showcase.html", map[string]any{"List": list, "P": supPage{Lang: uiLang(r)}})
}

func (s *Server) uiScenarioReports(w http.ResponseWriter, r *http.Request) error {
	return s.renderScenarioReports(w, r, emptyForm())
}

func (s *Server) renderScenarioReports(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	ctx, a := r.Context(), uiActor(r)
	list, err := s.db.ScenarioReports(ctx, a)
	if err != nil {
		return err
	}
	if f.Get("from") == "" {
		from, _ := monthOf(s.cfg.Now())
		from = from.AddDate(0, -3, 0)
		f.Values.Set("from", from.Format(time.DateOnly))
		f.Values.Set("to", s.cfg.Now().In(workday.Zone).Format(time.DateOnly))
	}
	in := shuyu.NoticeInput{From: f.Get("from"), To: f.Get("to")}
	data := map[string]any{"Reports": list, "Form": f, "P": supPage{Lang: uiLang(r), Form: f},
		"CanFile": shuyu.Can(a, shuyu.ActScenarioReport, shuyu.Resource{})}
	if from, to, err := in.Period(workday.Zone); err == nil {
		if data["Preview"], err = s.db.ScenarioReportFor(ctx, a, from, to); err != nil {
			return err
		}
	}
	return s.renderStatus(w, r, f.Status, "supervision/scenario_reports.html", data)
}

func (s *Server) uiScenarioReportFile(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	from, to, err := (&shuyu.NoticeInput{From: f.Get("from"), To: f.Get("to")}).Period(workday.Zone)
	if err == nil {
		_, err = s.db.FileScenarioReport(r.Context(), uiActor(r), from, to)
	}
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderScenarioReports(w, r, f)
	}
	return s.redirectFlash(w, r, "/scenarios/reports", "ok", T(uiLang(r), "scenario.report.filed"))
}

// Evaluations.

// evalDefaults is the indicator set the create form proposes.
var evalDefaults = []shuyu.IndicatorInput{
	{Name: "入驻登记按期办结率", Weight: 15, Rule: shuyu.RuleRatio, Metric: "onboarding_sla", Evidence: "入驻登记台账"},
	{Name: "申请合规核查按期率", Weight: 15, Rule: shuyu.RuleRatio, Metric: "compliance_sla", Evidence: "核查记录"},
	{Name: "审核按期完成率", Weight: 20, Rule: shuyu.RuleRatio, Metric: "review_sla", Evidence: "审核记录"},
	{Name: "出域核查问题", Weight: 15, Rule: shuyu.RulePenalty, Metric: "output_findings", Points: 5, Evidence: "出域核查报告"},
	{Name: "数据商反馈问题", Weight: 10, Rule: shuyu.RulePenalty, Metric: "merchant_issues", Points: 5, Evidence: "问题处理台账"},
	{Name: "投诉处理", Weight: 5, Rule: shuyu.RulePenalty, Metric: "complaints", Points: 5, Evidence: "收费异议和登记公示异议记录"},
	{Name: "服务满意度", Weight: 20, Rule: shuyu.RuleManual, Evidence: "满意度调查与专家意见"},
}

func (s *Server) uiEvaluations(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvaluations(w, r, emptyForm())
}

func (s *Server) renderEvaluations(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.Evaluations(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	list, lv, exported, err := evaluationsList(w, r, all)
	if exported || err != nil {
		return err
	}
	if f.Get("year") == "" {
		f.Values.Set("year", strconv.Itoa(s.cfg.Now().In(workday.Zone).Year()))
		for i, ind := range evalDefaults {
			p := "ind" + strconv.Itoa(i) + "_"
			f.Values.Set(p+"name", ind.Name)
			f.Values.Set(p+"weight", strconv.Itoa(ind.Weight))
			f.Values.Set(p+"rule", ind.Rule)
			f.Values.Set(p+"metric", ind.Metric)
			f.Values.Set(p+"points", strconv.Itoa(ind.Points))
			f.Values.Set(p+"evidence", ind.Evidence)
		}
	}
	rows := make([]string, 8)
	for i := range rows {
		rows[i] = "ind" + strconv.Itoa(i) + "_"
	}
	return s.renderStatus(w, r, f.Status, "supervision/evaluations.html", map[string]any{"Items": list, "List": lv, "Form": f, "Rows": rows,
		"Manage": shuyu.Can(uiActor(r), shuyu.ActEvaluationManage, shuyu.Resource{}), "P": supPage{Lang: uiLang(r), Form: f}})
}

func (s *Server) uiEvaluationCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	year, _ := strconv.Atoi(f.Get("year"))
	in := shuyu.EvaluationInput{Year: year}
	for i := 0; i < 8; i++ {
		p := "ind" + strconv.Itoa(i) + "_"
		if f.Get(p+"name") == "" {
			continue
		}
		w, _ := strconv.Atoi(f.Get(p + "weight"))
		pts, _ := strconv.Atoi(f.Get(p + "points"))
		in.Indicators = append(in.Indicators, shuyu.IndicatorInput{Name: f.Get(p + "name"), Weight: w, Rule: f.Get(p + "rule"),
			Metric: f.Get(p + "metric"), Points: pts, Evidence: f.Get(p + "evidence")})
	}
	e, err := s.db.CreateEvaluation(r.Context(), uiActor(r), in)
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderEvaluations(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/evaluations/%d", e.ID), "ok", T(uiLang(r), "sup.eval.created"))
}

func (s *Server) uiEvaluation(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvaluation(w, r, emptyForm())
}

func (s *Server) renderEvaluation(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := uiActor(r)
	e, err := s.db.Evaluation(r.Context(), a, id)
	if err != nil {
		return err
	}
	total, complete := e.Total()
	chart := supChart{ID: "eval-chart", Title: "sup.chart.indicators", Kind: "hbar", Cols: []string{"sup.col.indicator", "sup.col.score", "sup.col.weight"}}
	for _, ind := range e.Indicators {
		v := 0
		if ind.Score != nil {
			v = int(*ind.Score + 0.5)
		}
		chart.Rows = append(chart.Rows, supRow{Label: ind.Name, Vals: []int{v, ind.Weight}})
	}
	return s.renderStatus(w, r, f.Status, "supervision/evaluation.html", map[string]any{"E": e, "Form": f, "Chart": chart,
		"Total": total, "Complete": complete, "Grade": shuyu.EvalGrade(total),
		"Manage":  shuyu.Can(a, shuyu.ActEvaluationManage, e.Resource()),
		"Rate":    shuyu.Can(a, shuyu.ActEvaluationRate, e.Resource()) && e.Status == shuyu.EvalOpen,
		"Respond": shuyu.Can(a, shuyu.ActRectifyRespond, e.Resource()),
		"P":       supPage{Lang: uiLang(r), Form: f}})
}

func (s *Server) uiEvaluationStep(step string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		f, err := newForm(r)
		if err != nil {
			return err
		}
		ctx, a := r.Context(), uiActor(r)
		ind, _ := strconv.ParseInt(f.Get("indicator_id"), 10, 64)
		switch step {
		case "prefill":
			_, err = s.db.PrefillEvaluation(ctx, a, id)
		case "open":
			_, err = s.db.OpenEvaluation(ctx, a, id)
		case "rate":
			sc, perr := strconv.ParseFloat(f.Get("score"), 64)
			if perr != nil {
				sc = -1
			}
			_, err = s.db.RateEvaluation(ctx, a, id, sqlstore.RateInput{IndicatorID: ind, Score: sc, Comment: f.Get("comment")})
		case "score":
			in := sqlstore.ScoreInput{IndicatorID: ind, Note: f.Get("note")}
			if v := f.Get("score"); v != "" {
				sc, perr := strconv.ParseFloat(v, 64)
				if perr != nil {
					sc = -1
				}
				in.Score = &sc
			}
			_, err = s.db.ScoreIndicator(ctx, a, id, in)
		case "publish":
			wd, _ := strconv.Atoi(f.Get("workdays"))
			_, err = s.db.PublishEvaluation(ctx, a, id, sqlstore.PublishInput{Summary: f.Get("summary"), Requirement: f.Get("requirement"), Workdays: wd})
		}
		if err != nil {
			if ferr := f.fail(uiLang(r), err); ferr != nil {
				return ferr
			}
			return s.renderEvaluation(w, r, f)
		}
		return s.redirectFlash(w, r, fmt.Sprintf("/evaluations/%d", id), "ok", T(uiLang(r), "sup.saved"))
	}
}

func (s *Server) uiRectify(step string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		f, err := newForm(r)
		if err != nil {
			return err
		}
		in := sqlstore.RectifyInput{Text: f.Get("text"), Accept: f.Get("accept") == "1"}
		var rect *shuyu.Rectification
		if step == "submit" {
			rect, err = s.db.SubmitRectification(r.Context(), uiActor(r), id, in)
		} else {
			rect, err = s.db.CloseRectification(r.Context(), uiActor(r), id, in)
		}
		if err != nil {
			return err
		}
		return s.redirectFlash(w, r, fmt.Sprintf("/evaluations/%d", rect.EvaluationID), "ok", T(uiLang(r), "sup.saved"))
	}
}
