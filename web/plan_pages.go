package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"shuyu"
)

// Pages of the implementation plan (R12.1, NIMP.2), the channels register
// (R15.1) and the operations reports (R32.1). /plan is public: the plan
// in force with its approval and filing and the channels' counts.
func (s *Server) planPages() {
	s.page("GET /plan", pageOpts{Public: true}, s.uiPlanPublic)
	s.page("GET /plans", pageOpts{Nav: "nav.plans", Group: "nav.group.supervise", Order: 57, Action: shuyu.ActPlanRead,
		Desc: "nav.plans.desc"}, s.uiPlans)
	s.page("POST /plans", pageOpts{Action: shuyu.ActPlanDraft}, s.uiPlanDraft)
	s.page("GET /plans/{id}", pageOpts{Action: shuyu.ActPlanRead}, s.uiPlan)
	s.page("POST /plans/{id}/approve", pageOpts{Action: shuyu.ActPlanApprove}, s.uiPlanStep("approve"))
	s.page("POST /plans/{id}/file", pageOpts{Action: shuyu.ActPlanFile}, s.uiPlanStep("file"))
	s.page("POST /plans/{id}/adopt", pageOpts{Action: shuyu.ActPlanDraft}, s.uiPlanStep("adopt"))

	s.page("GET /channels", pageOpts{Nav: "nav.channels", Group: "nav.group.supervise", Order: 58, Action: shuyu.ActChannelRead,
		Desc: "nav.channels.desc"}, s.uiChannels)
	s.page("POST /channels", pageOpts{Action: shuyu.ActChannelManage}, s.uiChannelRegister)
	s.page("POST /channels/{id}/assess", pageOpts{Action: shuyu.ActChannelManage}, s.uiChannelStep("assess"))
	s.page("POST /channels/{id}/decide", pageOpts{Action: shuyu.ActChannelManage}, s.uiChannelStep("decide"))

	s.page("GET /ops-reports", pageOpts{Nav: "nav.opsreports", Group: "nav.group.supervise", Order: 59, Action: shuyu.ActOpsReportRead,
		Desc: "nav.opsreports.desc"}, s.uiOpsReports)
	s.page("POST /ops-reports", pageOpts{Action: shuyu.ActOpsReportSubmit}, s.uiOpsReportSubmit)
	s.page("GET /ops-reports/{id}", pageOpts{Action: shuyu.ActOpsReportRead}, s.uiOpsReport)
	s.page("POST /ops-reports/{id}/acknowledge", pageOpts{Action: shuyu.ActOpsReportAck}, s.uiOpsReportAck)
}

type planPublicData struct {
	Plan     *shuyu.Plan
	Channels shuyu.ChannelSummary
}

func (s *Server) uiPlanPublic(w http.ResponseWriter, r *http.Request) error {
	d := &planPublicData{}
	p, err := s.db.PlanInForce(r.Context())
	if err != nil && shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		return err
	}
	d.Plan = p
	if d.Channels, err = s.db.ChannelSummary(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, "plan/public.html", d)
}

type plansData struct {
	Items []*shuyu.Plan
	List  *listView
	Form  *uiForm
	Base  *shuyu.Plan // the plan in force: the draft form starts from it
}

func (s *Server) plansData(w http.ResponseWriter, r *http.Request, f *uiForm) (*plansData, bool, error) {
	items, err := s.db.Plans(r.Context(), uiActor(r))
	if err != nil {
		return nil, false, err
	}
	lang := uiLang(r)
	type P = *shuyu.Plan
	page, list, exported, err := runList(w, r, items, listSpec[P]{
		Search: func(p P) string { return p.Title + " " + p.ApprovalDoc + " " + p.FilingNumber }, SearchHint: "plan.search.hint",
		Filters: []listFilter[P]{{Name: "status", Label: "plan.status", Options: listOptions(lang, "plan.status.", shuyu.PlanStatuses...),
			Match: func(p P, v string) bool { return p.Status == v }}},
		Columns: []listCol[P]{
			{"plan.version", func(p P) any { return p.Version }},
			{"plan.title", func(p P) any { return p.Title }},
			{"plan.major", func(p P) any { return T(lang, fmt.Sprintf("plan.major.%t", p.Major)) }},
			{"plan.status", func(p P) any { return T(lang, "plan.status."+p.Status) }},
			{"plan.approval", func(p P) any { return strings.TrimSpace(p.ApprovalDoc + " " + p.ApprovalDate) }},
			{"plan.filing", func(p P) any { return strings.TrimSpace(p.FilingNumber + " " + p.FilingDate) }},
		},
		Name: "nav.plans",
	})
	if exported || err != nil {
		return nil, exported, err
	}
	d := &plansData{Items: page, List: list, Form: f}
	for _, p := range items {
		if p.Status == shuyu.PlanFiled {
			d.Base = p
			break
		}
	}
	return d, false, nil
}

func (s *Server) uiPlans(w http.ResponseWriter, r *http.Request) error {
	d, exported, err := s.plansData(w, r, nil)
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "plan/list.html", d)
}

func (s *Server) uiPlanDraft(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	in := shuyu.PlanInput{Title: f.Get("title"), Major: f.Get("major") == "on", Note: f.Get("note"), Items: shuyu.PlanItems{
		Name: f.Get("name"), Necessity: f.Get("necessity"), OperatorCriteria: f.Get("operator_criteria"), Mode: f.Get("mode"),
		DataScope: f.Get("data_scope"), Term: f.Get("term"), Products: f.Get("products"), Costs: f.Get("costs"),
		Security: f.Get("security"), RightsObligations: f.Get("rights_obligations"), Supervision: f.Get("supervision"), Other: f.Get("other")}}
	p, err := s.db.DraftPlan(r.Context(), uiActor(r), in)
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		d, _, lerr := s.plansData(nil, r, f)
		if lerr != nil {
			return lerr
		}
		return s.renderStatus(w, r, f.Status, "plan/list.html", d)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/plans/%d", p.ID), "ok", T(uiLang(r), "plan.drafted"))
}

func (s *Server) uiPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.Plan(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "plan/detail.html", p)
}

func (s *Server) uiPlanStep(step string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, f, err := s.authorizationForm(r)
		if err != nil {
			return err
		}
		a := uiActor(r)
		switch step {
		case "approve":
			_, err = s.db.ApprovePlan(r.Context(), a, id, shuyu.PlanApproval{Document: f.Get("document"), Date: f.Get("date")})
		case "file":
			_, err = s.db.FilePlan(r.Context(), a, id, shuyu.PlanFiling{Number: f.Get("number"), Date: f.Get("date")})
		default:
			_, err = s.db.AdoptPlan(r.Context(), a, id)
		}
		return s.reviewuiDone(w, r, fmt.Sprintf("/plans/%d", id), "plan.done."+step, err)
	}
}

type channelsData struct {
	Items []*shuyu.Channel
	List  *listView
	Form  *uiForm
}

func (s *Server) channelsData(w http.ResponseWriter, r *http.Request, f *uiForm) (*channelsData, bool, error) {
	items, err := s.db.Channels(r.Context(), uiActor(r))
	if err != nil {
		return nil, false, err
	}
	lang := uiLang(r)
	type C = *shuyu.Channel
	page, list, exported, err := runList(w, r, items, listSpec[C]{
		Search: func(c C) string { return c.Name + " " + c.Holder + " " + c.Description }, SearchHint: "chan.search.hint",
		Filters: []listFilter[C]{{Name: "status", Label: "chan.status", Options: listOptions(lang, "chan.status.", shuyu.ChannelStatuses...),
			Match: func(c C, v string) bool { return c.Status == v }}},
		Columns: []listCol[C]{
			{"chan.name", func(c C) any { return c.Name }},
			{"chan.holder", func(c C) any { return c.Holder }},
			{"chan.description", func(c C) any { return c.Description }},
			{"chan.assessment", func(c C) any { return c.Assessment }},
			{"chan.status", func(c C) any { return T(lang, "chan.status."+c.Status) }},
			{"chan.updated", func(c C) any { return c.UpdatedAt }},
		},
		Name: "nav.channels",
	})
	if exported || err != nil {
		return nil, exported, err
	}
	return &channelsData{Items: page, List: list, Form: f}, false, nil
}

func (s *Server) uiChannels(w http.ResponseWriter, r *http.Request) error {
	d, exported, err := s.channelsData(w, r, nil)
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "plan/channels.html", d)
}

func (s *Server) uiChannelRegister(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.RegisterChannel(r.Context(), uiActor(r), shuyu.ChannelInput{Name: f.Get("name"), Holder: f.Get("holder"), Description: f.Get("description")})
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		d, _, lerr := s.channelsData(nil, r, f)
		if lerr != nil {
			return lerr
		}
		return s.renderStatus(w, r, f.Status, "plan/channels.html", d)
	}
	return s.redirectFlash(w, r, "/channels", "ok", T(uiLang(r), "chan.registered"))
}

func (s *Server) uiChannelStep(step string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, f, err := s.authorizationForm(r)
		if err != nil {
			return err
		}
		if step == "assess" {
			_, err = s.db.AssessChannel(r.Context(), uiActor(r), id, f.Get("assessment"))
		} else {
			_, err = s.db.DecideChannel(r.Context(), uiActor(r), id, f.Get("decision"), f.Get("reason"))
		}
		return s.reviewuiDone(w, r, "/channels", "chan.done."+step, err)
	}
}

type opsReportsData struct {
	Items []*shuyu.OpsReport
	List  *listView
	Form  *uiForm
}

func (s *Server) opsReportsData(w http.ResponseWriter, r *http.Request, f *uiForm) (*opsReportsData, bool, error) {
	items, err := s.db.OpsReports(r.Context(), uiActor(r))
	if err != nil {
		return nil, false, err
	}
	lang := uiLang(r)
	type O = *shuyu.OpsReport
	page, list, exported, err := runList(w, r, items, listSpec[O]{
		Search: func(o O) string { return o.Period + " " + shuyu.OpsPeriodLabel(o.Period) + " " + o.OperatorName }, SearchHint: "ops.search.hint",
		Filters: []listFilter[O]{{Name: "status", Label: "ops.status",
			Options: listOptions(lang, "ops.status.", shuyu.OpsReportSubmitted, shuyu.OpsReportAcknowledged),
			Match:   func(o O, v string) bool { return o.Status == v }}},
		Columns: []listCol[O]{
			{"ops.period", func(o O) any { return opsPeriodText(lang, o.Period) }},
			{"ops.operator", func(o O) any { return o.OperatorName }},
			{"ops.status", func(o O) any { return T(lang, "ops.status."+o.Status) }},
			{"ops.submitted", func(o O) any { return o.SubmittedAt }},
			{"ops.acknowledged", func(o O) any { return o.AcknowledgedAt }},
			{"ops.queries", func(o O) any { return o.Content.Usage.Queries }},
			{"ops.deliveries", func(o O) any { return o.Content.Usage.Deliveries }},
		},
		Name: "nav.opsreports",
	})
	if exported || err != nil {
		return nil, exported, err
	}
	return &opsReportsData{Items: page, List: list, Form: f}, false, nil
}

// opsPeriodText is a period in the reader's language.
func opsPeriodText(lang, p string) string {
	if lang != "en" {
		return shuyu.OpsPeriodLabel(p)
	}
	return p
}

func (s *Server) uiOpsReports(w http.ResponseWriter, r *http.Request) error {
	d, exported, err := s.opsReportsData(w, r, nil)
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "plan/opsreports.html", d)
}

func (s *Server) uiOpsReportSubmit(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	o, err := s.db.SubmitOpsReport(r.Context(), uiActor(r), strings.TrimSpace(f.Get("period")))
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		d, _, lerr := s.opsReportsData(nil, r, f)
		if lerr != nil {
			return lerr
		}
		return s.renderStatus(w, r, f.Status, "plan/opsreports.html", d)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/ops-reports/%d", o.ID), "ok", T(uiLang(r), "ops.submitted.ok"))
}

func (s *Server) uiOpsReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.db.OpsReport(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "plan/opsreport.html", o)
}

func (s *Server) uiOpsReportAck(w http.ResponseWriter, r *http.Request) error {
	id, _, err := s.authorizationForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.AcknowledgeOpsReport(r.Context(), uiActor(r), id)
	return s.reviewuiDone(w, r, fmt.Sprintf("/ops-reports/%d", id), "ops.done.acknowledge", err)
}

// planTemplateFuncs: labels and tones of the plan, channel and report pages.
func planTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"planItems": func(p *shuyu.Plan) []planItemView {
			vals := p.Items.List()
			out := make([]planItemView, len(vals))
			for i, k := range shuyu.PlanItemKeys {
				out[i] = planItemView{Key: k, Value: vals[i], Changed: slices.Contains(p.Changed, k) && p.Version > 1,
					Major: slices.Contains(shuyu.PlanMajorItems, k)}
			}
			return out
		},
		"planItemKeys": func() []string { return shuyu.PlanItemKeys },
		"planItemValue": func(p *shuyu.Plan, key string) string {
			if p == nil {
				return ""
			}
			return p.Items.List()[slices.Index(shuyu.PlanItemKeys, key)]
		},
		"planTone": func(s string) string {
			return map[string]string{shuyu.PlanDraft: "warn", shuyu.PlanApproved: "info", shuyu.PlanFiled: "ok", shuyu.PlanSuperseded: "muted"}[s]
		},
		"chanTone": func(s string) string {
			return map[string]string{shuyu.ChannelOpen: "warn", shuyu.ChannelAssessed: "info", shuyu.ChannelFolded: "ok", shuyu.ChannelClosed: "muted"}[s]
		},
		"opsTone": func(s string) string {
			return map[string]string{shuyu.OpsReportSubmitted: "warn", shuyu.OpsReportAcknowledged: "ok"}[s]
		},
		"opsPeriod": opsPeriodText,
	}
}

// planItemView is one of the 12 items on a page.
type planItemView struct {
	Key, Value     string
	Changed, Major bool
}
