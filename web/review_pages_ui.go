package web

import (
	"context"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// reviewuiPages registers the review chain's onboarding and authority
// pages: public merchant registration and its status page (R18.1, R18.2),
// the operator's registration queue and merchants list, the periodic
// merchant report (R18.3), the approval of onboarding rules and agreement
// templates (R18.1, R19.1), the operator's authorization term (R13.1) and
// the working-day calendar. It is called from reviewPages.
func (s *Server) reviewuiPages() {
	s.page("GET /register", pageOpts{Public: true}, s.reviewuiRegisterForm)
	s.page("POST /register", pageOpts{Public: true}, s.reviewuiRegister)
	s.page("GET /register/status", pageOpts{Public: true}, s.reviewuiLookupForm)
	s.page("POST /register/status", pageOpts{Public: true}, s.reviewuiLookup)
	s.page("GET /register/{id}", pageOpts{Public: true}, s.reviewuiRegStatus)
	s.page("POST /register/{id}/supplement", pageOpts{Public: true}, s.reviewuiSupplement)

	s.page("GET /review/registrations", pageOpts{Nav: "nav.reviewui.registrations", Group: "nav.group.review", Order: 20,
		Action: shuyu.ActRegistrationRead, Desc: "nav.reviewui.registrations.desc",
		Count: s.reviewuiPendingCount, CountLabel: "reviewui.count.pending"}, s.reviewuiRegistrations)
	s.page("GET /review/registrations/{id}", pageOpts{Action: shuyu.ActRegistrationRead}, s.reviewuiRegistration)
	s.page("POST /review/registrations/{id}/accept", pageOpts{Action: shuyu.ActRegistrationHandle}, s.reviewuiRegAccept)
	s.page("POST /review/registrations/{id}/request-material", pageOpts{Action: shuyu.ActRegistrationHandle}, s.reviewuiRegMaterial)
	s.page("POST /review/registrations/{id}/decide", pageOpts{Action: shuyu.ActRegistrationHandle}, s.reviewuiRegDecide)
	s.page("POST /review/registrations/{id}/status", pageOpts{AnyOf: []shuyu.Action{shuyu.ActMerchantManage, shuyu.ActMerchantExit}},
		s.reviewuiRegStatusChange)
	s.page("GET /review/merchants", pageOpts{Nav: "nav.reviewui.merchants", Group: "nav.group.review", Order: 21,
		Action: shuyu.ActRegistrationRead, Desc: "nav.reviewui.merchants.desc"}, s.reviewuiMerchants)

	s.page("GET /review/reports", pageOpts{Nav: "nav.reviewui.reports", Group: "nav.group.supervise", Order: 30,
		Action: shuyu.ActMerchantReportRead, Desc: "nav.reviewui.reports.desc"}, s.reviewuiReports)
	s.page("POST /review/reports", pageOpts{Action: shuyu.ActMerchantReport}, s.reviewuiFileReport)
	s.page("GET /review/reports/export", pageOpts{Action: shuyu.ActMerchantReportRead}, s.reviewuiReportExport)
	s.page("GET /review/reports/{id}", pageOpts{Action: shuyu.ActMerchantReportRead}, s.reviewuiReport)
	s.page("GET /review/reports/{id}/xlsx", pageOpts{Action: shuyu.ActMerchantReportRead}, s.reviewuiReportXLSX)

	s.page("GET /review/documents", pageOpts{Nav: "nav.reviewui.documents", Group: "nav.group.review", Order: 30,
		Action: shuyu.ActDocumentRead, Desc: "nav.reviewui.documents.desc",
		Count: s.reviewuiDraftCount, CountLabel: "reviewui.count.drafts"}, s.reviewuiDocuments)
	s.page("GET /review/documents/new", pageOpts{Action: shuyu.ActDocumentCreate}, s.reviewuiDocumentNew)
	s.page("POST /review/documents", pageOpts{Action: shuyu.ActDocumentCreate}, s.reviewuiDocumentCreate)
	s.page("GET /review/documents/{id}", pageOpts{Action: shuyu.ActDocumentRead}, s.reviewuiDocument)
	s.page("POST /review/documents/{id}/approve", pageOpts{Action: shuyu.ActDocumentApprove}, s.reviewuiDocumentApprove)
	s.page("POST /review/authorization-term", pageOpts{Action: shuyu.ActAuthorizationTerm}, s.reviewuiAuthorizationTerm)

	s.page("GET /review/calendar", pageOpts{Nav: "nav.reviewui.calendar", Group: "nav.group.work", Order: 40,
		AnyOf: reviewuiCalendarReaders, Desc: "nav.reviewui.calendar.desc"}, s.reviewuiCalendar)
	s.page("POST /review/calendar", pageOpts{Action: shuyu.ActCalendarUpdate}, s.reviewuiCalendarAdd)
	s.page("POST /review/calendar/remove", pageOpts{Action: shuyu.ActCalendarUpdate}, s.reviewuiCalendarRemove)
}

// reviewuiCalendarReaders see the calendar in the menu: whoever keeps or
// works to working-day deadlines.
var reviewuiCalendarReaders = []shuyu.Action{shuyu.ActCalendarUpdate, shuyu.ActRegistrationHandle,
	shuyu.ActApplicationCheck, shuyu.ActReviewDecide, shuyu.ActApplicationCreate}

// reviewuiTemplateFuncs are the onboarding, document and report pages'
// template helpers (templateFuncs joins them).
func reviewuiTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		// reviewuiLines splits a text into its non-empty lines, for paragraphs
		// (the CSP forbids inline styles such as white-space: pre-wrap).
		"reviewuiLines": func(s string) []string {
			var out []string
			for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, l)
				}
			}
			return out
		},
		"reviewuiDocLists": func(a, b []*shuyu.Document) [][]*shuyu.Document { return [][]*shuyu.Document{a, b} },
		// A report's period ends before To (exclusive); people read the last day.
		"reviewuiDayBefore": func(t time.Time) time.Time { return t.AddDate(0, 0, -1) },
	}
}

// reviewuiTones colour registration, document and merchant-event states
// (joined into badgeTones).
var reviewuiTones = map[string]string{"more_material": "warn", "registered": "ok", "not_registered": "danger",
	"suspended": "danger", "exited": "muted", "draft": "warn", "retired": "muted", "accepted": "warn", "submitted": "info"}

// reviewuiData is what the pages of this file family render.
type reviewuiData struct {
	Form    *uiForm
	List    *listView       // the list component's bar
	Rules   *shuyu.Document // onboarding rules in force (R18.1)
	Reg     *shuyu.Registration
	Regs    []*shuyu.Registration
	Filter  string
	Overdue int
	Token   string
	// Checklist is the onboarding checklist in force and those filled (R17.1).
	Checklist *sqlstore.ChecklistForm

	Report    *shuyu.MerchantReport
	Reports   []*shuyu.MerchantReport
	From, To  string
	CanFile   bool
	ExportURL string

	Docs      []*shuyu.Document
	Templates []*shuyu.Document
	Doc       *shuyu.Document
	Kind      string
	Clauses   []shuyu.Clause

	Cal *reviewuiCal
}

// Badge shows a registration, document or merchant-event state in the
// page's language.
func (reviewuiData) Badge(v *view, s string) template.HTML {
	label := TOr(v.Lang, "reviewui.st."+s, shuyu.StatusLabel(s))
	return template.HTML(`<span class="badge badge-` + badgeTone(s) + `">` + template.HTMLEscapeString(label) + `</span>`)
}

// CanOn reports whether the view's actor may do action on an object of org.
func (reviewuiData) CanOn(v *view, action string, org int64) bool {
	return shuyu.Can(v.Actor, shuyu.Action(action), shuyu.Resource{OrgID: org, Exists: true})
}

// reviewuiPending are the states the operator still has to act on.
var reviewuiPending = map[string]bool{shuyu.RegSubmitted: true, shuyu.RegAccepted: true, shuyu.RegMoreMaterial: true}

func (s *Server) reviewuiPendingCount(ctx context.Context, a *shuyu.Actor) (int, error) {
	regs, err := s.db.Registrations(ctx, a, "")
	n := 0
	for _, g := range regs {
		if g.Status == shuyu.RegSubmitted || g.Status == shuyu.RegAccepted {
			n++
		}
	}
	return n, err
}

func (s *Server) reviewuiDraftCount(ctx context.Context, a *shuyu.Actor) (int, error) {
	if !shuyu.Can(a, shuyu.ActDocumentApprove, shuyu.Resource{}) {
		return 0, nil // only the approver has something to do about drafts
	}
	n := 0
	for _, kind := range []string{shuyu.DocOnboardingRules, shuyu.DocAgreementTemplate} {
		docs, err := s.db.Documents(ctx, a, kind)
		if err != nil {
			return 0, err
		}
		for _, d := range docs {
			if d.Status == shuyu.DocDraft {
				n++
			}
		}
	}
	return n, nil
}

// reviewuiSortQueue puts what the operator must act on first, the nearest
// deadline (overdue ones) at the top, and counts the overdue (R18.2).
func reviewuiSortQueue(regs []*shuyu.Registration) int {
	rank := func(g *shuyu.Registration) int {
		switch g.Status {
		case shuyu.RegAccepted:
			return 0
		case shuyu.RegSubmitted:
			return 1
		case shuyu.RegMoreMaterial:
			return 2
		}
		return 3
	}
	sort.SliceStable(regs, func(i, j int) bool {
		a, b := regs[i], regs[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Deadline != nil && b.Deadline != nil {
			return a.Deadline.Due.Before(b.Deadline.Due)
		}
		return false
	})
	n := 0
	for _, g := range regs {
		if g.Deadline != nil && g.Deadline.Overdue {
			n++
		}
	}
	return n
}

// reviewuiDone redirects back with the outcome as a flash message; a
// client error is shown on the page it came from (the forms are short).
func (s *Server) reviewuiDone(w http.ResponseWriter, r *http.Request, target, okKey string, err error) error {
	if err != nil {
		if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
			return err
		}
		return s.redirectFlash(w, r, target, "error", uiMessage(uiLang(r), shuyu.ErrorMessage(err)))
	}
	return s.redirectFlash(w, r, target, "ok", T(uiLang(r), okKey))
}
