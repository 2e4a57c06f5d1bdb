package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// reviewPages registers the review chain's pages: the inbox with its
// unread badge, the reviewer's queue, applications (list, new, detail with
// the check and review forms) and the printable agreement. Every deadline
// shows its date and the working days left; overdue ones stand out.
func (s *Server) reviewPages() {
	s.page("GET /inbox", pageOpts{Nav: "nav.review.inbox", Group: "nav.group.work", Order: 1, Desc: "nav.review.inbox.desc",
		Count: s.db.UnreadCount, CountLabel: "review.count.unread"}, s.uiInbox)
	s.page("POST /inbox/read", pageOpts{}, s.uiInboxRead)
	s.page("GET /reviews", pageOpts{Nav: "nav.review.queue", Group: "nav.group.review", Order: 10, Action: shuyu.ActReviewDecide,
		Desc: "nav.review.queue.desc", Count: s.reviewQueueCount, CountLabel: "review.count.open"}, s.uiReviewQueue)
	s.page("GET /applications", pageOpts{Nav: "nav.review.applications", Group: "nav.group.review", Order: 11,
		Action: shuyu.ActApplicationRead, Desc: "nav.review.applications.desc"}, s.uiApplications)
	s.page("GET /applications/new", pageOpts{Action: shuyu.ActApplicationCreate}, s.uiApplicationNew)
	s.page("POST /applications", pageOpts{Action: shuyu.ActApplicationCreate}, s.uiApplicationCreate)
	s.page("GET /applications/{id}", pageOpts{Action: shuyu.ActApplicationRead}, s.uiApplication)
	s.page("POST /applications/{id}/check", pageOpts{Action: shuyu.ActApplicationCheck}, s.uiApplicationCheck)
	s.page("POST /reviews/{id}/decide", pageOpts{Action: shuyu.ActReviewDecide}, s.uiReviewDecide)
	s.page("GET /agreements/{id}", pageOpts{Action: shuyu.ActAgreementRead}, s.uiAgreement)
	s.page("POST /agreements/{id}/sign", pageOpts{Action: shuyu.ActAgreementSign}, s.uiAgreementSign)
	s.reviewuiPages()
}

// reviewTones colour the states of applications, reviews and agreements
// (joined into badgeTones).
var reviewTones = map[string]string{"checking": "warn", "reviewing": "warn", "returned": "danger", "rejected": "danger", "approved": "ok", "open": "warn",
	"deemed_approved": "ok", "closed": "muted", "withdrawn": "muted", "pending_signature": "warn",
	"merchant_signed": "warn", "effective": "ok", "terminated": "muted", "expired": "muted"}

// reviewDeadline pairs the view and a deadline for the "review-deadline"
// partial (templates/partials/review.html).
func reviewDeadline(v any, d shuyu.Deadline) map[string]any { return map[string]any{"V": v, "D": d} }

// reviewTemplateFuncs are the review pages' template helpers
// (templateFuncs joins them).
func reviewTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"reviewDeadline": reviewDeadline,
		"reviewList":     func(s ...string) []string { return s },
	}
}

// Tone is the badge colour of a state.
func (reviewPageData) Tone(s string) string { return badgeTone(s) }

func (s *Server) reviewQueueCount(ctx context.Context, a *shuyu.Actor) (int, error) {
	q, err := s.db.ReviewQueue(ctx, a)
	return len(q), err
}

// reviewPageData carries what the review templates share.
type reviewPageData struct {
	Form      *uiForm
	Notices   []sqlstore.Notice
	Unread    int
	Queue     []sqlstore.ReviewTask
	Apps      []*shuyu.Application
	App       *shuyu.Application
	Entries   []sqlstore.ReviewEntry
	Agreement *shuyu.Agreement
	Verify    *sqlstore.Verification
	CanCheck  bool
	MyReview  *shuyu.Review
	Checklist *sqlstore.ChecklistForm // the compliance checklist in force and those filled (R17.1)
	List      *listView               // the list component (ui_list.go)
	Signed    []agreementSig          // the agreement's signatures with their checks (agreement_print.go)
}

// Label returns the Chinese label of a state, purpose, method or tag.
func (reviewPageData) Label(s string) string {
	for _, m := range []map[string]string{shuyu.PurposeLabels, shuyu.MethodLabels, shuyu.TagLabels, shuyu.FeeLabels} {
		if l, ok := m[s]; ok {
			return l
		}
	}
	return shuyu.StatusLabel(s)
}

func (s *Server) uiInbox(w http.ResponseWriter, r *http.Request) error {
	ns, unread, err := s.db.Inbox(r.Context(), uiActor(r), 1000, false)
	if err != nil {
		return err
	}
	page, list, exported, err := s.inboxList(w, r, ns)
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "review/inbox.html", reviewPageData{Notices: page, Unread: unread, List: list})
}

func (s *Server) uiInboxRead(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	var ids []int64
	if id, err := strconv.ParseInt(f.Get("id"), 10, 64); err == nil {
		ids = append(ids, id)
	}
	if _, err := s.db.MarkRead(r.Context(), uiActor(r), ids); err != nil {
		return err
	}
	if next := f.Get("next"); strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.redirectFlash(w, r, "/inbox", "ok", T(uiLang(r), "review.inbox.marked"))
}

func (s *Server) uiReviewQueue(w http.ResponseWriter, r *http.Request) error {
	q, err := s.db.ReviewQueue(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return s.render(w, r, "review/queue.html", reviewPageData{Queue: q})
}

func (s *Server) uiApplications(w http.ResponseWriter, r *http.Request) error {
	apps, err := s.db.Applications(r.Context(), uiActor(r), "")
	if err != nil {
		return err
	}
	page, list, exported, err := appsList(w, r, apps)
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "review/apps.html", reviewPageData{Apps: page, List: list})
}

func (s *Server) uiApplicationNew(w http.ResponseWriter, r *http.Request) error {
	f := emptyForm()
	if r.URL.Query().Get("all") != "" {
		f.Values.Set("all", "1")
	}
	es, err := s.applyEntries(r, f)
	if err != nil {
		return err
	}
	return s.render(w, r, "review/app_new.html", reviewPageData{Form: f, Entries: es})
}

// applyEntries are the entries the application form offers: the cart's
// (申请清单) when it has any and the form does not ask for all, else every
// published, not prohibited entry. The form carries "all" to keep the choice.
func (s *Server) applyEntries(r *http.Request, f *uiForm) ([]sqlstore.ReviewEntry, error) {
	ids := cartOf(r, uiActor(r))
	if f.Get("all") != "" || len(ids) == 0 {
		f.Values.Set("all", "1")
		return s.db.ReviewApplicableEntries(r.Context())
	}
	return s.db.ReviewApplicableEntries(r.Context(), ids...)
}

// uiApplicationCreate reads the form: a checkbox "f_<entry id>" per field.
func (s *Server) uiApplicationCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	in := shuyu.ApplicationInput{Title: f.Get("title"), Scenario: f.Get("scenario"), Tags: f.Values["tags"],
		Purpose: f.Get("purpose"), Method: f.Get("method"), TermStart: f.Get("term_start"), TermEnd: f.Get("term_end"),
		Security: f.Get("security_measures")}
	for k, vs := range f.Values {
		if id, ok := strings.CutPrefix(k, "f_"); ok {
			if eid, err := strconv.ParseInt(id, 10, 64); err == nil && len(vs) > 0 {
				in.Items = append(in.Items, shuyu.ItemRequest{EntryID: eid, Fields: vs})
			}
		}
	}
	app, err := s.db.SubmitApplication(r.Context(), uiActor(r), in)
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		es, _ := s.applyEntries(r, f)
		return s.renderStatus(w, r, f.Status, "review/app_new.html", reviewPageData{Form: f, Entries: es})
	}
	s.setCart(w, uiActor(r), nil) // applied for: the cart starts again
	return s.redirectFlash(w, r, fmt.Sprintf("/applications/%d", app.ID), "ok", T(uiLang(r), "review.app.submitted"))
}

func (s *Server) uiApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := uiActor(r)
	app, err := s.db.Application(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := reviewPageData{Form: emptyForm(), App: app,
		CanCheck: app.Status == shuyu.AppChecking && shuyu.Can(a, shuyu.ActApplicationCheck, shuyu.Resource{})}
	for i, rv := range app.Reviews {
		if rv.OrgID == a.OrgID && rv.Status == shuyu.ReviewOpen && shuyu.Can(a, shuyu.ActReviewDecide, shuyu.Resource{}) {
			d.MyReview = &app.Reviews[i]
		}
	}
	if d.Checklist, err = s.db.ChecklistFormFor(r.Context(), a, shuyu.ChecklistApplication, id); err != nil {
		return err
	}
	return s.render(w, r, "review/app.html", d)
}

func (s *Server) uiApplicationCheck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	res := shuyu.CheckResult{Pass: f.Get("pass") == "1", Reason: f.Get("reason")}
	if answers, failed := checklistFromForm(f); len(answers) > 0 { // R17.1: the checklist decides
		res.Pass, res.Checklist = !failed, answers
	}
	_, err = s.db.CheckApplication(r.Context(), uiActor(r), id, res)
	return s.reviewDone(w, r, fmt.Sprintf("/applications/%d", id), err)
}

func (s *Server) uiReviewDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	a := uiActor(r)
	var rv *shuyu.Review
	if f.Get("action") == "extend" {
		days, _ := strconv.Atoi(f.Get("days"))
		rv, err = s.db.ExtendReview(r.Context(), a, id, shuyu.Extension{Days: days, Reason: f.Get("reason")})
	} else {
		rv, err = s.db.DecideReview(r.Context(), a, id, shuyu.Decision{Approve: f.Get("action") == "approve", Reason: f.Get("reason")})
	}
	target := "/reviews"
	if rv != nil {
		target = fmt.Sprintf("/applications/%d", rv.ApplicationID)
	} else if app := f.Get("app"); app != "" {
		target = "/applications/" + strconv.Itoa(atoiSafe(app))
	}
	return s.reviewDone(w, r, target, err)
}

func atoiSafe(s string) int { n, _ := strconv.Atoi(s); return n }

// reviewDone redirects with the outcome: a client error is shown as a
// flash message on the page it came from (the input is short).
func (s *Server) reviewDone(w http.ResponseWriter, r *http.Request, target string, err error) error {
	if err != nil {
		if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
			return err
		}
		return s.redirectFlash(w, r, target, "error", uiMessage(uiLang(r), shuyu.ErrorMessage(err)))
	}
	return s.redirectFlash(w, r, target, "ok", T(uiLang(r), "review.saved"))
}

func (s *Server) uiAgreement(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	agr, err := s.db.Agreement(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	v, err := s.db.VerifyAgreement(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "review/agreement.html", reviewPageData{Form: emptyForm(), Agreement: agr, Verify: v, Signed: agreementSigs(agr, v)})
}

func (s *Server) uiAgreementSign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.SignAgreement(r.Context(), uiActor(r), id, f.Values.Get("password"))
	return s.reviewDone(w, r, fmt.Sprintf("/agreements/%d", id), err)
}
