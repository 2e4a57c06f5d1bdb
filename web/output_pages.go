package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/output"
	"shuyu/sqlstore"
)

// outputTones colour the product states.
var outputTones = map[string]string{"draft": "muted", "requested": "info", "checking": "info", "checked": "warn",
	"check_failed": "danger", "under_review": "warn", "approved": "ok", "rejected": "danger", "filed": "ok",
	"released": "ok", "held": "danger", "proposed": "warn", "pass": "ok", "warn": "warn", "fail": "danger"}

// pages registers the output pages: products from request to filing and
// delivery (R17.1, R23.2), the rule sets (R23.1), lineage and attribution
// (R27.1), and the public list of released products.
func (s *Server) outputPages() {
	s.page("GET /output/products", pageOpts{Nav: "nav.output", Group: "nav.group.review", Order: 40,
		Action: shuyu.ActProductRead, Desc: "nav.output.desc",
		Count: func(ctx context.Context, a *shuyu.Actor) (int, error) {
			ps, err := s.db.Products(ctx, a, "")
			n := 0
			for _, p := range ps {
				if outputWaitsFor(a, p) {
					n++
				}
			}
			return n, err
		}, CountLabel: "output.count.todo"}, s.uiOutputList)
	s.page("GET /output/products/new", pageOpts{Action: shuyu.ActProductCreate}, s.uiOutputNew)
	s.page("POST /output/products", pageOpts{Action: shuyu.ActProductCreate}, s.uiOutputCreate)
	s.page("GET /output/products/{id}", pageOpts{Action: shuyu.ActProductRead}, s.uiOutputDetail)
	s.page("POST /output/products/{id}/{step}", pageOpts{Action: shuyu.ActProductRead}, s.uiOutputStep)
	s.page("GET /output/products/{id}/download", pageOpts{Action: shuyu.ActProductRead}, s.uiOutputDownload)
	s.page("GET /output/products/{id}/lineage", pageOpts{Action: shuyu.ActProductLineage}, s.uiOutputLineage)
	s.page("GET /output/products/{id}/progress", pageOpts{Action: shuyu.ActProductRead}, s.uiOutputProgress)
	s.page("GET /output/rules", pageOpts{Nav: "nav.output.rules", Group: "nav.group.review", Order: 41,
		Action: shuyu.ActOutRulesRead}, s.uiOutputRules)
	s.page("POST /output/rules", pageOpts{Action: shuyu.ActOutRulesPropose}, s.uiOutputRulesPropose)
	s.page("POST /output/rules/{version}/approve", pageOpts{Action: shuyu.ActOutRulesApprove}, s.uiOutputRulesApprove)
	s.page("GET /output/released", pageOpts{Public: true}, s.uiOutputReleased)
}

// outputWaitsFor reports whether p waits for the actor's next step.
func outputWaitsFor(a *shuyu.Actor, p *shuyu.Product) bool {
	switch p.Status {
	case shuyu.ProductChecked, shuyu.ProductUnderReview:
		return a.Has(shuyu.RoleOperatorReviewer)
	case shuyu.ProductApproved:
		return a.Has(shuyu.RoleAuthority)
	case shuyu.ProductDraft, shuyu.ProductFiled, shuyu.ProductRejected, shuyu.ProductCheckFailed:
		return a.OrgID == p.OrgID && a.Has(shuyu.RoleMerchant)
	}
	return false
}

func (s *Server) uiOutputList(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	all, err := s.db.Products(r.Context(), a, "")
	if err != nil {
		return err
	}
	items, list, exported, err := productsList(w, r, all)
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "output/list.html", map[string]any{"Items": items, "List": list, "Tone": outputTones,
		"CanCreate": shuyu.Can(a, shuyu.ActProductCreate, shuyu.Resource{Kind: "product"})})
}

func (s *Server) uiOutputNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderOutputNew(w, r, emptyForm())
}

func (s *Server) renderOutputNew(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	ws, err := s.db.Workspaces(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "output/new.html", map[string]any{"Form": f, "Workspaces": ws, "Types": shuyu.ProductTypes})
}

func (s *Server) uiOutputCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	wsID, _ := strconv.ParseInt(f.Get("workspace_id"), 10, 64)
	in := shuyu.ProductInput{WorkspaceID: wsID, Name: f.Get("name"), Description: f.Get("description"), Scenario: f.Get("scenario"),
		Type: f.Get("type"), Recipients: outputSplitList(f.Get("recipients")), Terms: f.Get("terms"), Feedback: f.Get("feedback") == "1"}
	p, err := s.db.CreateProduct(r.Context(), uiActor(r), in)
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderOutputNew(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/output/products/%d", p.ID), "ok", T(uiLang(r), "output.created"))
}

// outputDetail is what the product page shows.
type outputDetail struct {
	P         *shuyu.Product
	H         *sqlstore.ProductHistory
	Reports   []map[string]any // decoded reports, newest last
	Queries   []shuyu.WorkspaceQuery
	Tone      map[string]string
	Own       bool
	CanReview bool
	CanFile   bool
	CanSecond bool
	CanDeliv  bool
	CanLin    bool
	Checklist *sqlstore.ChecklistForm // the output checklist in force and those filled (R17.1)
	Progress  *outputProgressView     // the automatic check, while it runs
}

func (s *Server) uiOutputDetail(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pd, err := s.output.Detail(r.Context(), a, id) // the API's read (GET /api/v1/products/{id})
	if err != nil {
		return err
	}
	p, h := pd.Product, pd.ProductHistory
	d := &outputDetail{P: p, H: h, Tone: outputTones, Own: shuyu.Can(a, shuyu.ActProductCreate, p.Resource()),
		CanReview: shuyu.Can(a, shuyu.ActProductReview, p.Resource()), CanFile: shuyu.Can(a, shuyu.ActProductFile, p.Resource()),
		CanSecond: shuyu.Can(a, shuyu.ActProductSecond, p.Resource()), CanDeliv: shuyu.Can(a, shuyu.ActProductDeliver, p.Resource()),
		CanLin: shuyu.Can(a, shuyu.ActProductLineage, p.Resource())}
	if d.Checklist, err = s.db.ChecklistFormFor(r.Context(), a, shuyu.ChecklistOutput, id); err != nil {
		return err
	}
	if p.StoredStatus == shuyu.ProductChecking {
		d.Progress = s.outputProgress(uiLang(r), p)
	}
	for _, c := range h.Checks {
		var m map[string]any
		if json.Unmarshal(c.Report, &m) == nil {
			d.Reports = append(d.Reports, m)
		}
	}
	if d.Own && p.StoredStatus == shuyu.ProductDraft {
		qs, err := s.db.WorkspaceQueries(r.Context(), a, p.WorkspaceID, 100)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if q.Status == "released" && q.Data == shuyu.DataReal {
				d.Queries = append(d.Queries, q)
			}
		}
	}
	return s.render(w, r, "output/detail.html", d)
}

// uiStep performs one step from the product page and returns to it.
func (s *Server) uiOutputStep(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	back := fmt.Sprintf("/output/products/%d", id)
	msg := "output.done"
	switch r.PathValue("step") {
	case "tables":
		q, _ := strconv.ParseInt(f.Get("query_id"), 10, 64)
		var counts []string
		for _, c := range strings.Split(f.Get("counts"), ",") {
			if c = strings.TrimSpace(c); c != "" {
				counts = append(counts, c)
			}
		}
		_, err = s.output.AddFromQuery(ctx, a, id, output.TableSpec{QueryID: q, Name: f.Get("name"), Aggregate: f.Get("aggregate") == "1", Counts: counts})
	case "request":
		// The checks run in the background; the page shows their progress.
		_, err = s.outputRequest(r, a, id)
		msg = "output.progress.started"
	case "revise":
		_, err = s.db.ReviseProduct(ctx, a, id)
	case "review":
		decision := f.Get("decision")
		answers, failed := checklistFromForm(f)
		if len(answers) > 0 { // R17.1: the checklist decides
			decision = map[bool]string{true: "reject", false: "approve"}[failed]
		}
		_, err = s.db.ReviewProductChecked(ctx, a, id, decision, f.Get("reason"), answers)
	case "second":
		_, err = s.db.RequireSecondReview(ctx, a, id, f.Get("reason"))
	case "filing":
		_, err = s.db.FileProduct(ctx, a, id, f.Get("filing_no"), f.Get("note"))
	case "release":
		_, err = s.db.ReleaseProduct(ctx, a, id)
	default:
		return shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	if err != nil {
		if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
			return err
		}
		return s.redirectFlash(w, r, back, "error", uiMessage(uiLang(r), shuyu.ErrorMessage(err)))
	}
	return s.redirectFlash(w, r, back, "ok", T(uiLang(r), msg))
}

// uiDownload delivers a table from the product page (same rules as the API).
func (s *Server) uiOutputDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.outputDownloadCSV(w, r, uiActor(r), id)
}

func (s *Server) uiOutputLineage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.db.ProductLineage(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "output/lineage.html", map[string]any{"L": l, "Tone": outputTones})
}

func (s *Server) uiOutputRules(w http.ResponseWriter, r *http.Request) error {
	return s.renderOutputRules(w, r, emptyForm())
}

func (s *Server) renderOutputRules(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	a := uiActor(r)
	list, err := s.db.OutputRuleSets(r.Context(), a)
	if err != nil {
		return err
	}
	if f.Get("rules") == "" {
		f.Values.Set("rules", `{"K": 10, "QuasiColumns": {"*": ["gender", "birth_date", "age_band", "county", "township", "ethnicity"]}}`)
	}
	return s.renderStatus(w, r, f.Status, "output/rules.html", map[string]any{"Items": list, "Form": f, "Tone": outputTones,
		"CanPropose": shuyu.Can(a, shuyu.ActOutRulesPropose, shuyu.Resource{Kind: "outrules"}),
		"CanApprove": shuyu.Can(a, shuyu.ActOutRulesApprove, shuyu.Resource{Kind: "outrules"})})
}

func (s *Server) uiOutputRulesPropose(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.output.ProposeRules(r.Context(), uiActor(r), json.RawMessage(f.Get("rules")), f.Get("note")); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderOutputRules(w, r, f)
	}
	return s.redirectFlash(w, r, "/output/rules", "ok", T(uiLang(r), "output.done"))
}

func (s *Server) uiOutputRulesApprove(w http.ResponseWriter, r *http.Request) error {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil {
		return shuyu.Errorf(shuyu.ENOTFOUND, "对象不存在 (not found)")
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.db.ApproveOutputRules(r.Context(), uiActor(r), v, f.Get("reason")); err != nil {
		if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
			return err
		}
		return s.redirectFlash(w, r, "/output/rules", "error", uiMessage(uiLang(r), shuyu.ErrorMessage(err)))
	}
	return s.redirectFlash(w, r, "/output/rules", "ok", T(uiLang(r), "output.done"))
}

func (s *Server) uiOutputReleased(w http.ResponseWriter, r *http.Request) error {
	list, err := s.db.ReleasedProducts(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "output/released.html", map[string]any{"Items": list})
}

// outputSplitList splits a list typed in one field: by line, comma, 、 or
// semicolon, in either width.
func outputSplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("\n\r,，、;；", r) })
}
