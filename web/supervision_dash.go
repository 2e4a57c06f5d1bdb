package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/workday"
)

// The authority's supervision dashboard (issue 16): one page made of
// sections, each with its figures, a chart and the items due. A section
// is a function in supervisionSources; a capability adds its section by
// adding its function there (risks, emergencies and delegations are in
// supervision_risk.go; the expert committee belongs to the other half of
// issue 16). A section that fails
// is logged and left out; the rest of the page still shows.

// supervisionDashboard is the whole page (and GET /api/v1/supervision/dashboard).
type supervisionDashboard struct {
	Sections []supervisionSection `json:"sections"`
}

// supervisionSection is one block of the dashboard.
type supervisionSection struct {
	ID      string      `json:"id"`
	Title   string      `json:"title"` // i18n key
	Link    string      `json:"link"`
	Figures []supFigure `json:"figures"`
	Charts  []supChart  `json:"charts"`
	Due     []supDue    `json:"due"`
}

// supFigure is one headline number.
type supFigure struct {
	Label string `json:"label"` // i18n key
	Value string `json:"value"`
	Warn  bool   `json:"warn,omitempty"`
}

// supChart is a chart portal.js draws from its table.
type supChart struct {
	ID    string   `json:"id"`
	Title string   `json:"title"` // i18n key
	Kind  string   `json:"kind"`  // bar, hbar, pie, line
	Cols  []string `json:"cols"`  // i18n keys of the columns (the first names the rows)
	Rows  []supRow `json:"rows"`
	// LabelKeys: the row labels are i18n keys (statuses, tags), not names.
	LabelKeys bool `json:"label_keys,omitempty"`
}

type supRow struct {
	Label string `json:"label"`
	Vals  []int  `json:"vals"`
}

// supDue is one thing waiting, with its deadline when it has one.
type supDue struct {
	Kind    string     `json:"kind"` // i18n key
	Title   string     `json:"title"`
	Link    string     `json:"link"`
	Due     *time.Time `json:"due,omitempty"`
	Overdue bool       `json:"overdue,omitempty"`
}

type supervisionSource func(ctx context.Context, a *shuyu.Actor) (*supervisionSection, error)

// supervisionSources lists the dashboard's sections in page order.
func (s *Server) supervisionSources() []supervisionSource {
	return []supervisionSource{s.supNoticeSection, s.supEvaluationSection, s.supScenarioSection, s.supRiskSection, s.supChecklistSection}
}

func (s *Server) supervisionDashboard(ctx context.Context, a *shuyu.Actor) (*supervisionDashboard, error) {
	if err := shuyu.Authorize(a, shuyu.ActSupervisionRead, shuyu.Resource{Kind: "supervision"}); err != nil {
		return nil, err
	}
	d := &supervisionDashboard{Sections: []supervisionSection{}}
	for _, src := range s.supervisionSources() {
		sec, err := src(ctx, a)
		if err != nil {
			s.log.WarnContext(ctx, "supervision dashboard", slog.Any("err", err))
			continue
		}
		if sec != nil {
			d.Sections = append(d.Sections, *sec)
		}
	}
	return d, nil
}

func monthOf(now time.Time) (time.Time, time.Time) {
	n := now.In(workday.Zone)
	from := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, workday.Zone)
	return from, from.AddDate(0, 1, 0)
}

// supNoticeSection: this month's live figures of the departments (R31.1)
// and the notices still in draft.
func (s *Server) supNoticeSection(ctx context.Context, a *shuyu.Actor) (*supervisionSection, error) {
	if !shuyu.Can(a, shuyu.ActDeptFiguresRead, shuyu.Resource{}) {
		return nil, nil
	}
	from, to := monthOf(s.cfg.Now())
	figs, err := s.db.DeptFiguresAll(ctx, a, from, to)
	if err != nil {
		return nil, err
	}
	sec := &supervisionSection{ID: "sup-notices", Title: "sup.section.notices", Link: "/supervision/notices", Figures: []supFigure{}, Due: []supDue{}}
	var tot shuyu.DeptFigures
	chart := supChart{ID: "sup-chart-depts", Title: "sup.chart.depts", Kind: "hbar",
		Cols: []string{"sup.col.dept", "sup.col.complete", "sup.col.mounted", "sup.col.issues_timely", "sup.col.reviews_timely"}}
	for _, f := range figs {
		tot.Entries += f.Entries
		tot.Published += f.Published
		tot.Mounted += f.Mounted
		tot.OverdueSupply += f.OverdueSupply
		tot.IssuesOverdue += f.IssuesOverdue
		tot.ReviewsDeemed += f.ReviewsDeemed
		tot.ReviewsOpenOverdue += f.ReviewsOpenOverdue
		chart.Rows = append(chart.Rows, supRow{Label: f.OrgName, Vals: []int{f.CompletePct(), f.MountedPct(), f.IssuesTimelyPct(), f.ReviewsTimelyPct()}})
	}
	sec.Figures = append(sec.Figures,
		supFigure{Label: "sup.fig.depts", Value: fmt.Sprint(len(figs))},
		supFigure{Label: "sup.fig.mounted", Value: fmt.Sprintf("%d%%", tot.MountedPct())},
		supFigure{Label: "sup.fig.overdue_supply", Value: fmt.Sprint(tot.OverdueSupply), Warn: tot.OverdueSupply > 0},
		supFigure{Label: "sup.fig.issues_overdue", Value: fmt.Sprint(tot.IssuesOverdue), Warn: tot.IssuesOverdue > 0},
		supFigure{Label: "sup.fig.deemed", Value: fmt.Sprint(tot.ReviewsDeemed), Warn: tot.ReviewsDeemed > 0},
	)
	if len(chart.Rows) > 0 {
		sec.Charts = append(sec.Charts, chart)
	}
	for _, f := range figs {
		if f.ReviewsOpenOverdue > 0 {
			sec.Due = append(sec.Due, supDue{Kind: "sup.due.reviews", Title: fmt.Sprintf("%s：%d", f.OrgName, f.ReviewsOpenOverdue),
				Link: fmt.Sprintf("/supervision/figures?org=%d", f.OrgID), Overdue: true})
		}
	}
	if shuyu.Can(a, shuyu.ActNoticeManage, shuyu.Resource{}) {
		ns, err := s.db.DeptNotices(ctx, a)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			if n.Status == shuyu.NoticeDraft {
				sec.Due = append(sec.Due, supDue{Kind: "sup.due.notice_draft", Title: n.Title, Link: fmt.Sprintf("/supervision/notices/%d", n.ID)})
			}
		}
	}
	return sec, nil
}

// supEvaluationSection: the current evaluation and the rectifications due (R33.1).
func (s *Server) supEvaluationSection(ctx context.Context, a *shuyu.Actor) (*supervisionSection, error) {
	if !shuyu.Can(a, shuyu.ActEvaluationRead, shuyu.Resource{}) {
		return nil, nil
	}
	evs, err := s.db.Evaluations(ctx, a)
	if err != nil {
		return nil, err
	}
	sec := &supervisionSection{ID: "sup-evaluation", Title: "sup.section.evaluation", Link: "/evaluations", Figures: []supFigure{}, Due: []supDue{}}
	chart := supChart{ID: "sup-chart-eval", Title: "sup.chart.eval", Kind: "bar", Cols: []string{"sup.col.year", "sup.col.score"}}
	for i := len(evs) - 1; i >= 0; i-- {
		if e := evs[i]; e.Score != nil {
			chart.Rows = append(chart.Rows, supRow{Label: fmt.Sprint(e.Year), Vals: []int{int(*e.Score + 0.5)}})
		}
	}
	if len(evs) > 0 {
		e := evs[0]
		v := shuyu.EvalStatusLabel(e.Status)
		if e.Score != nil {
			v = fmt.Sprintf("%.1f · %s", *e.Score, shuyu.EvalGradeLabel(e.Grade))
		}
		sec.Figures = append(sec.Figures, supFigure{Label: "sup.fig.eval_year", Value: fmt.Sprint(e.Year)},
			supFigure{Label: "sup.fig.eval_result", Value: v, Warn: e.Grade == shuyu.GradePoor})
		if e.Status == shuyu.EvalOpen {
			sec.Due = append(sec.Due, supDue{Kind: "sup.due.eval_open", Title: fmt.Sprintf("%d", e.Year), Link: fmt.Sprintf("/evaluations/%d", e.ID)})
		}
	}
	rects, err := s.db.OpenRectifications(ctx, a)
	if err != nil {
		return nil, err
	}
	sec.Figures = append(sec.Figures, supFigure{Label: "sup.fig.rect_open", Value: fmt.Sprint(len(rects)), Warn: len(rects) > 0})
	for _, r := range rects {
		due := r.Deadline.Due
		sec.Due = append(sec.Due, supDue{Kind: "sup.due.rectification", Title: r.OrgName + "：" + portalExcerpt(r.Requirement, 40),
			Link: fmt.Sprintf("/evaluations/%d", r.EvaluationID), Due: &due, Overdue: r.Deadline.Overdue})
	}
	if len(chart.Rows) > 0 {
		sec.Charts = append(sec.Charts, chart)
	}
	return sec, nil
}

// supScenarioSection: the register by status and tag (R16.1, R4.4) and the
// proposals waiting for a decision.
func (s *Server) supScenarioSection(ctx context.Context, a *shuyu.Actor) (*supervisionSection, error) {
	if !shuyu.Can(a, shuyu.ActScenarioRead, shuyu.Resource{}) {
		return nil, nil
	}
	list, err := s.db.Scenarios(ctx, a, sqlstore.ScenarioFilter{})
	if err != nil {
		return nil, err
	}
	sec := &supervisionSection{ID: "sup-scenarios", Title: "sup.section.scenarios", Link: "/scenarios", Figures: []supFigure{}, Due: []supDue{}}
	status, tags := map[string]int{}, map[string]int{}
	show := 0
	for _, sc := range list {
		status[sc.Status]++
		for _, t := range sc.Tags {
			tags[t]++
		}
		if sc.Showcase {
			show++
		}
		if sc.Status == shuyu.ScenarioProposed {
			sec.Due = append(sec.Due, supDue{Kind: "sup.due.scenario", Title: sc.Title + " · " + sc.OrgName, Link: fmt.Sprintf("/scenarios/%d", sc.ID)})
		}
	}
	sec.Figures = append(sec.Figures, supFigure{Label: "sup.fig.scenarios", Value: fmt.Sprint(len(list))},
		supFigure{Label: "sup.fig.landed", Value: fmt.Sprint(status[shuyu.ScenarioLanded])},
		supFigure{Label: "sup.fig.showcase", Value: fmt.Sprint(show)})
	st := supChart{ID: "sup-chart-status", Title: "sup.chart.status", Kind: "pie", Cols: []string{"sup.col.status", "sup.col.count"}, LabelKeys: true}
	for _, k := range shuyu.ScenarioStatuses {
		st.Rows = append(st.Rows, supRow{Label: "scenario.status." + k, Vals: []int{status[k]}})
	}
	tg := supChart{ID: "sup-chart-tags", Title: "sup.chart.tags", Kind: "bar", Cols: []string{"sup.col.tag", "sup.col.count"}, LabelKeys: true}
	for _, k := range shuyu.ScenarioTags {
		tg.Rows = append(tg.Rows, supRow{Label: "scenario.tag." + k, Vals: []int{tags[k]}})
	}
	if len(list) > 0 {
		sec.Charts = append(sec.Charts, st, tg)
	}
	return sec, nil
}

// supChartView pairs a chart with the page's view, for the "sup-chart" partial.
type supChartView struct {
	V *view
	C supChart
}

// supervisionTemplateFuncs: supWith $ chart → what "sup-chart" draws.
func supervisionTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"supWith": func(v *view, c supChart) supChartView { return supChartView{V: v, C: c} },
	}
}
