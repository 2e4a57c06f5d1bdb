package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// More list pages on the list component (ui_list.go): what each searches,
// filters and exports. Each page hands all the rows its reader may see to
// runList; filters keep the query parameter names the pages had, so old
// links still select the same rows.

// listNameOptions are the distinct non-empty names of a list, sorted, as
// filter options whose value is the name itself (departments, merchants).
func listNameOptions[E any](items []E, name func(E) string) []listOption {
	seen := map[string]bool{}
	var out []listOption
	for _, it := range items {
		if n := name(it); n != "" && !seen[n] {
			seen[n] = true
			out = append(out, listOption{Value: n, Label: n})
		}
	}
	slices.SortFunc(out, func(a, b listOption) int { return strings.Compare(a.Label, b.Label) })
	return out
}

// issuesList: the quality issues (R11.1): search in the entry, department,
// field and problem; filter by state, department and origin.
func issuesList(w http.ResponseWriter, r *http.Request, issues []*sqlstore.QualityIssue) ([]*sqlstore.QualityIssue, *listView, bool, error) {
	lang := uiLang(r)
	type Q = *sqlstore.QualityIssue
	return runList(w, r, issues, listSpec[Q]{
		Search:     func(q Q) string { return q.EntryCode + " " + q.OrgName + " " + q.Field + " " + q.Description },
		SearchHint: "list.issues.hint",
		Filters: []listFilter[Q]{
			{Name: "status", Label: "domain.status", Options: listOptions(lang, "domain.status.", "open", "answered", "fixed", "closed"),
				Match: func(q Q, v string) bool { return q.Status == v }},
			{Name: "dept", Label: "domain.dept", Options: listNameOptions(issues, func(q Q) string { return q.OrgName }),
				Match: func(q Q, v string) bool { return q.OrgName == v }},
			{Name: "origin", Label: "domain.origin", Options: listOptions(lang, "domain.origin.", "auto", "merchant", "operator"),
				Match: func(q Q, v string) bool { return q.Origin == v }},
		},
		Columns: []listCol[Q]{
			{"list.number", func(q Q) any { return q.ID }},
			{"domain.code", func(q Q) any { return q.EntryCode }},
			{"domain.dept", func(q Q) any { return q.OrgName }},
			{"domain.field", func(q Q) any { return q.Field }},
			{"domain.problem", func(q Q) any { return q.Description }},
			{"domain.origin", func(q Q) any { return T(lang, "domain.origin."+q.Origin) }},
			{"domain.status", func(q Q) any { return T(lang, "domain.status."+q.Status) }},
			{"list.raised", func(q Q) any { return q.CreatedAt }},
			{"domain.due", func(q Q) any { return q.DueAt }},
		},
		Name: "nav.domain.issues",
	})
}

// catalogWorkList: a department's entries and the review and publication
// queues: search in code, name and department; filter by status and
// department; the page's own tab is kept.
func catalogWorkList(w http.ResponseWriter, r *http.Request, rows []catalogWorkRow, name string) ([]catalogWorkRow, *listView, bool, error) {
	lang := uiLang(r)
	type C = catalogWorkRow
	var states []string
	seen := map[string]bool{}
	for _, st := range shuyu.RevisionStatuses {
		for _, row := range rows {
			if string(row.Rev.Status) == string(st) && !seen[string(st)] {
				seen[string(st)] = true
				states = append(states, string(st))
			}
		}
	}
	return runList(w, r, rows, listSpec[C]{
		Search:     func(c C) string { return c.Entry.Code + " " + c.Rev.Name + " " + c.Entry.OrgName },
		SearchHint: "list.catalog.hint",
		Filters: []listFilter[C]{
			{Name: "state", Label: "catalog.status", Options: listOptions(lang, "catalog.status.", states...),
				Match: func(c C, v string) bool { return string(c.Rev.Status) == v }},
			{Name: "dept", Label: "catalog.provider", Options: listNameOptions(rows, func(c C) string { return c.Entry.OrgName }),
				Match: func(c C, v string) bool { return c.Entry.OrgName == v }},
		},
		Columns: []listCol[C]{
			{"catalog.code", func(c C) any { return c.Entry.Code }},
			{"catalog.name", func(c C) any { return c.Rev.Name }},
			{"catalog.provider", func(c C) any { return c.Entry.OrgName }},
			{"catalog.region", func(c C) any { return catalogLabelLang(lang, "region", c.Entry.Region) }},
			{"catalog.version", func(c C) any { return c.Rev.Version }},
			{"catalog.status", func(c C) any { return TOr(lang, "catalog.status."+string(c.Rev.Status), string(c.Rev.Status)) }},
			{"catalog.updated_at", func(c C) any { return c.Rev.UpdatedAt }},
		},
		Name: name,
		Keep: []string{"tab"},
	})
}

// demandsList: the data demands of the current tab (the store filters by
// status): search in title, requester and description; filter by the
// requester and the department it was routed to.
func demandsList(w http.ResponseWriter, r *http.Request, ds []*shuyu.CatalogDemand) ([]*shuyu.CatalogDemand, *listView, bool, error) {
	lang := uiLang(r)
	type D = *shuyu.CatalogDemand
	return runList(w, r, ds, listSpec[D]{
		Search: func(d D) string { return d.Title + " " + d.RequesterName + " " + d.RoutedName + " " + d.Description },
		Filters: []listFilter[D]{
			{Name: "requester", Label: "catalog.demand.requester", Options: listNameOptions(ds, func(d D) string { return d.RequesterName }),
				Match: func(d D, v string) bool { return d.RequesterName == v }},
			{Name: "routed", Label: "catalog.demand.routed", Options: listNameOptions(ds, func(d D) string { return d.RoutedName }),
				Match: func(d D, v string) bool { return d.RoutedName == v }},
		},
		Columns: []listCol[D]{
			{"list.number", func(d D) any { return d.ID }},
			{"catalog.demand.title", func(d D) any { return d.Title }},
			{"catalog.demand.description", func(d D) any { return d.Description }},
			{"catalog.demand.requester", func(d D) any { return d.RequesterName }},
			{"catalog.demand.routed", func(d D) any { return d.RoutedName }},
			{"catalog.status", func(d D) any { return TOr(lang, "catalog.status."+string(d.Status), string(d.Status)) }},
			{"list.submitted", func(d D) any { return d.CreatedAt }},
		},
		Name: "nav.catalog.demands",
		Keep: []string{"status"},
	})
}

// mountsList: the data domain's entries: search in code, name and
// department; filter by mounted, overdue or suspended and by department.
func mountsList(w http.ResponseWriter, r *http.Request, ms []*sqlstore.MountStatus) ([]*sqlstore.MountStatus, *listView, bool, error) {
	lang := uiLang(r)
	type M = *sqlstore.MountStatus
	state := func(m M) string {
		switch {
		case m.Suspended:
			return "suspended"
		case m.Overdue:
			return "overdue"
		case m.Mounted:
			return "mounted"
		}
		return "unmounted"
	}
	return runList(w, r, ms, listSpec[M]{
		Search:     func(m M) string { return m.Code + " " + m.Name + " " + m.OrgName },
		SearchHint: "list.catalog.hint",
		Filters: []listFilter[M]{
			{Name: "state", Label: "domain.mounted", Options: listOptions(lang, "domain.status.", "mounted", "unmounted", "overdue", "suspended"),
				Match: func(m M, v string) bool {
					return map[string]bool{"mounted": m.Mounted, "unmounted": !m.Mounted, "overdue": m.Overdue, "suspended": m.Suspended}[v]
				}},
			{Name: "dept", Label: "domain.dept", Options: listNameOptions(ms, func(m M) string { return m.OrgName }),
				Match: func(m M, v string) bool { return m.OrgName == v }},
		},
		Columns: []listCol[M]{
			{"domain.code", func(m M) any { return m.Code }},
			{"domain.name", func(m M) any { return m.Name }},
			{"domain.dept", func(m M) any { return m.OrgName }},
			{"domain.freq", func(m M) any { return T(lang, "domain.freq."+m.UpdateFreq) }},
			{"domain.mounted", func(m M) any { return T(lang, "domain.status."+state(m)) }},
			{"domain.version", func(m M) any { return m.Version }},
			{"domain.rows", func(m M) any { return m.Rows }},
			{"domain.loaded_at", func(m M) any { return m.LoadedAt }},
			{"domain.quality", func(m M) any { return m.Quality }},
			{"domain.open_issues", func(m M) any { return m.OpenIssues }},
		},
		Name: "nav.domain",
	})
}

// registrationsList: merchant registrations (the queue, or one state the
// store selected) and the registered merchants: search in the company,
// its credit code, legal representative and contact; the export has each
// registration's facts.
func registrationsList(w http.ResponseWriter, r *http.Request, regs []*shuyu.Registration, name string, filters []listFilter[*shuyu.Registration], keep ...string) ([]*shuyu.Registration, *listView, bool, error) {
	lang := uiLang(r)
	type G = *shuyu.Registration
	return runList(w, r, regs, listSpec[G]{
		Search: func(g G) string {
			return g.Company + " " + g.USCC + " " + g.LegalRep + " " + g.ContactName + " " + g.Username
		},
		SearchHint: "list.reg.hint",
		Filters:    filters,
		Columns: []listCol[G]{
			{"list.number", func(g G) any { return g.ID }},
			{"reviewui.reg.company", func(g G) any { return g.Company }},
			{"reviewui.reg.uscc", func(g G) any { return g.USCC }},
			{"list.legal_rep", func(g G) any { return g.LegalRep }},
			{"list.contact", func(g G) any { return g.ContactName + " " + g.ContactPhone }},
			{"reviewui.reg.username", func(g G) any { return g.Username }},
			{"review.status", func(g G) any { return T(lang, "reviewui.st."+g.Status) }},
			{"reviewui.reg.submitted_at", func(g G) any { return g.SubmittedAt }},
			{"list.decided", func(g G) any { return g.DecidedAt }},
		},
		Name: name,
		Keep: keep,
	})
}

// productsList: products and their output check: search in name,
// merchant, scenario and filing number; filter by state, type and merchant.
func productsList(w http.ResponseWriter, r *http.Request, ps []*shuyu.Product) ([]*shuyu.Product, *listView, bool, error) {
	lang := uiLang(r)
	type P = *shuyu.Product
	var states []string
	for _, st := range []string{shuyu.ProductDraft, shuyu.ProductRequested, shuyu.ProductChecking, shuyu.ProductChecked, shuyu.ProductCheckFailed,
		shuyu.ProductUnderReview, shuyu.ProductApproved, shuyu.ProductRejected, shuyu.ProductFiled, shuyu.ProductReleased, shuyu.ProductHeld} {
		if slices.ContainsFunc(ps, func(p P) bool { return p.Status == st }) {
			states = append(states, st)
		}
	}
	return runList(w, r, ps, listSpec[P]{
		Search:     func(p P) string { return p.Name + " " + p.OrgName + " " + p.Scenario + " " + p.FilingNo },
		SearchHint: "list.products.hint",
		Filters: []listFilter[P]{
			{Name: "status", Label: "output.status", Options: listOptions(lang, "output.st.", states...),
				Match: func(p P, v string) bool { return p.Status == v }},
			{Name: "type", Label: "output.type", Options: listOptions(lang, "output.type.", shuyu.ProductTypes...),
				Match: func(p P, v string) bool { return p.Type == v }},
			{Name: "merchant", Label: "output.merchant", Options: listNameOptions(ps, func(p P) string { return p.OrgName }),
				Match: func(p P, v string) bool { return p.OrgName == v }},
		},
		Columns: []listCol[P]{
			{"list.number", func(p P) any { return p.ID }},
			{"output.name", func(p P) any { return p.Name }},
			{"output.merchant", func(p P) any { return p.OrgName }},
			{"output.type", func(p P) any { return T(lang, "output.type."+p.Type) }},
			{"output.status", func(p P) any { return T(lang, "output.st."+p.Status) }},
			{"output.filing_no", func(p P) any { return p.FilingNo }},
			{"output.updated", func(p P) any { return p.UpdatedAt }},
		},
		Name: "nav.output",
	})
}

// workspacesList: the development workspaces: search in name, merchant
// and granted entries; filter by state and merchant.
func workspacesList(w http.ResponseWriter, r *http.Request, ws []*shuyu.Workspace) ([]*shuyu.Workspace, *listView, bool, error) {
	lang := uiLang(r)
	type W = *shuyu.Workspace
	grants := func(x W) string {
		names := make([]string, len(x.Grants))
		for i, g := range x.Grants {
			names[i] = g.EntryName
		}
		return strings.Join(names, "、")
	}
	var states []string
	for _, x := range ws {
		if !slices.Contains(states, x.Status) {
			states = append(states, x.Status)
		}
	}
	slices.Sort(states)
	return runList(w, r, ws, listSpec[W]{
		Search: func(x W) string { return x.Name + " " + x.OrgName + " " + grants(x) },
		Filters: []listFilter[W]{
			{Name: "status", Label: "sandbox.status", Options: listOptions(lang, "sandbox.ws.", states...),
				Match: func(x W, v string) bool { return x.Status == v }},
			{Name: "merchant", Label: "sandbox.merchant", Options: listNameOptions(ws, func(x W) string { return x.OrgName }),
				Match: func(x W, v string) bool { return x.OrgName == v }},
		},
		Columns: []listCol[W]{
			{"list.number", func(x W) any { return x.ID }},
			{"sandbox.name", func(x W) any { return x.Name }},
			{"sandbox.merchant", func(x W) any { return x.OrgName }},
			{"sandbox.status", func(x W) any { return T(lang, "sandbox.ws."+x.Status) }},
			{"list.starts", func(x W) any { return x.StartsAt }},
			{"list.ends", func(x W) any { return x.EndsAt }},
			{"sandbox.tables", func(x W) any { return grants(x) }},
			{"list.k", func(x W) any { return x.K }},
		},
		Name: "nav.sandbox",
	})
}

// billsList: monthly statements: search in merchant and period; filter by
// merchant and by open disputes; amounts exported in yuan.
func billsList(w http.ResponseWriter, r *http.Request, bills []*shuyu.Statement) ([]*shuyu.Statement, *listView, bool, error) {
	lang := uiLang(r)
	type B = *shuyu.Statement
	return runList(w, r, bills, listSpec[B]{
		Search: func(b B) string { return b.OrgName + " " + string(b.Period) },
		Filters: []listFilter[B]{
			{Name: "merchant", Label: "money.col.merchant", Options: listNameOptions(bills, func(b B) string { return b.OrgName }),
				Match: func(b B, v string) bool { return b.OrgName == v }},
			{Name: "disputes", Label: "money.col.disputes", Options: []listOption{{"open", T(lang, "list.disputes.open")}, {"none", T(lang, "list.disputes.none")}},
				Match: func(b B, v string) bool { return (b.Disputes > 0) == (v == "open") }},
		},
		Columns: []listCol[B]{
			{"money.col.period", func(b B) any { return string(b.Period) }},
			{"money.col.merchant", func(b B) any { return b.OrgName }},
			{"money.col.lines", func(b B) any { return b.Lines }},
			{"money.col.gross", func(b B) any { return shuyu.FormatFen(b.GrossFen) }},
			{"money.col.deduction", func(b B) any { return shuyu.FormatFen(b.DeductionFen) }},
			{"money.col.payable", func(b B) any { return shuyu.FormatFen(b.TotalFen) }},
			{"money.col.disputes", func(b B) any { return b.Disputes }},
			{"list.issued", func(b B) any { return b.IssuedAt }},
		},
		Name: "nav.bills",
	})
}

// listStates are the distinct values of a field of a list, in first-seen
// order, for a state filter that offers only what occurs.
func listStates[E any](items []E, state func(E) string) []string {
	var out []string
	for _, it := range items {
		if s := state(it); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// registryList: registered data resources and products (NREG): search in
// name, subject and code; filter by kind, type and state.
func registryListView(w http.ResponseWriter, r *http.Request, items []*shuyu.RegistryRecord) ([]*shuyu.RegistryRecord, *listView, bool, error) {
	lang := uiLang(r)
	type G = *shuyu.RegistryRecord
	return runList(w, r, items, listSpec[G]{
		Search: func(g G) string { return g.Name + " " + g.SubjectName + " " + g.Code + " " + g.Summary },
		Filters: []listFilter[G]{
			{Name: "kind", Label: "rgy.kind", Options: listOptions(lang, "rgy.kind.", listStates(items, func(g G) string { return g.Kind })...),
				Match: func(g G, v string) bool { return g.Kind == v }},
			{Name: "type", Label: "rgy.type", Options: listOptions(lang, "rgy.type.", listStates(items, func(g G) string { return g.Type })...),
				Match: func(g G, v string) bool { return g.Type == v }},
			{Name: "state", Label: "rgy.status", Options: listOptions(lang, "rgy.status.", listStates(items, func(g G) string { return g.Status })...),
				Match: func(g G, v string) bool { return g.Status == v }},
		},
		Columns: []listCol[G]{
			{"rgy.name", func(g G) any { return g.Name }},
			{"rgy.kind", func(g G) any { return T(lang, "rgy.kind."+g.Kind) }},
			{"rgy.type", func(g G) any { return T(lang, "rgy.type."+g.Type) }},
			{"rgy.subject", func(g G) any { return g.SubjectName }},
			{"rgy.code", func(g G) any { return g.Code }},
			{"rgy.valid_until", func(g G) any { return g.ValidUntil }},
			{"rgy.status", func(g G) any { return T(lang, "rgy.status."+g.Status) }},
			{"list.submitted", func(g G) any { return g.SubmittedAt }},
		},
		Name: "nav.registry",
		Keep: []string{"status"},
	})
}

// authorizationsList: the operator authorizations: search in number,
// title and operator; filter by mode and state.
func authorizationsList(w http.ResponseWriter, r *http.Request, items []*shuyu.Authorization) ([]*shuyu.Authorization, *listView, bool, error) {
	lang := uiLang(r)
	type A = *shuyu.Authorization
	return runList(w, r, items, listSpec[A]{
		Search: func(a A) string { return a.Number + " " + a.Title + " " + a.OperatorName + " " + a.FilingNumber },
		Filters: []listFilter[A]{
			{Name: "mode", Label: "authz.mode", Options: listOptions(lang, "authz.mode.", listStates(items, func(a A) string { return string(a.Mode) })...),
				Match: func(a A, v string) bool { return string(a.Mode) == v }},
			{Name: "state", Label: "list.state", Options: listOptions(lang, "authz.status.", listStates(items, func(a A) string { return a.Status })...),
				Match: func(a A, v string) bool { return a.Status == v }},
		},
		Columns: []listCol[A]{
			{"list.number", func(a A) any { return a.Number }},
			{"authz.title", func(a A) any { return a.Title }},
			{"authz.operator", func(a A) any { return a.OperatorName }},
			{"authz.mode", func(a A) any { return T(lang, "authz.mode."+string(a.Mode)) }},
			{"authz.term_start", func(a A) any { return a.TermStart }},
			{"authz.term_end", func(a A) any { return a.LastDay() }},
			{"list.filing", func(a A) any { return a.FilingNumber }},
			{"list.state", func(a A) any { return T(lang, "authz.status."+a.Status) }},
		},
		Name: "nav.authorizations",
	})
}

// noticesList: the departments' work notices: search in title and text;
// filter by visibility and state.
func noticesList(w http.ResponseWriter, r *http.Request, ns []*shuyu.DeptNotice) ([]*shuyu.DeptNotice, *listView, bool, error) {
	lang := uiLang(r)
	p := supPage{Lang: lang}
	type N = *shuyu.DeptNotice
	return runList(w, r, ns, listSpec[N]{
		Search: func(n N) string { return n.Title + " " + n.Body },
		Filters: []listFilter[N]{
			{Name: "visibility", Label: "sup.notice.visibility", Options: listOptions(lang, "sup.visibility.", listStates(ns, func(n N) string { return n.Visibility })...),
				Match: func(n N, v string) bool { return n.Visibility == v }},
			{Name: "state", Label: "sup.col.status", Options: listOptions(lang, "sup.status.", listStates(ns, func(n N) string { return n.Status })...),
				Match: func(n N, v string) bool { return n.Status == v }},
		},
		Columns: []listCol[N]{
			{"sup.notice.title", func(n N) any { return n.Title }},
			{"sup.period", func(n N) any { return p.Period(n) }},
			{"sup.notice.visibility", func(n N) any { return T(lang, "sup.visibility."+n.Visibility) }},
			{"sup.col.status", func(n N) any { return p.Status(n.Status) }},
			{"portal.published_at", func(n N) any { return n.PublishedAt }},
		},
		Name: "nav.sup.notices",
	})
}

// evaluationsList: the operator's evaluations: search in operator and
// summary; filter by year and state.
func evaluationsList(w http.ResponseWriter, r *http.Request, es []*shuyu.Evaluation) ([]*shuyu.Evaluation, *listView, bool, error) {
	lang := uiLang(r)
	p := supPage{Lang: lang}
	type E = *shuyu.Evaluation
	year := func(e E) string { return strconv.Itoa(e.Year) }
	var years []listOption
	for _, y := range listStates(es, year) {
		years = append(years, listOption{Value: y, Label: y})
	}
	return runList(w, r, es, listSpec[E]{
		Search: func(e E) string { return e.OrgName + " " + e.Summary + " " + year(e) },
		Filters: []listFilter[E]{
			{Name: "year", Label: "sup.col.year", Options: years, Match: func(e E, v string) bool { return year(e) == v }},
			{Name: "state", Label: "sup.col.status", Options: listOptions(lang, "sup.status.", listStates(es, func(e E) string { return e.Status })...),
				Match: func(e E, v string) bool { return e.Status == v }},
		},
		Columns: []listCol[E]{
			{"sup.col.year", func(e E) any { return e.Year }},
			{"sup.eval.operator", func(e E) any { return e.OrgName }},
			{"sup.col.status", func(e E) any { return p.Status(e.Status) }},
			{"sup.col.score", func(e E) any { return p.Score(e.Score) }},
			{"sup.eval.grade", func(e E) any {
				if e.Grade == "" {
					return ""
				}
				return p.Grade(e.Grade)
			}},
			{"portal.published_at", func(e E) any { return e.PublishedAt }},
		},
		Name: "nav.evaluations",
	})
}

// scenariosList: application scenarios (the store filters by state and
// tag): search in title, description and proposer; filter by domain.
func scenariosList(w http.ResponseWriter, r *http.Request, ss []*shuyu.Scenario) ([]*shuyu.Scenario, *listView, bool, error) {
	lang := uiLang(r)
	p := supPage{Lang: lang}
	type S = *shuyu.Scenario
	tags := func(s S) string {
		out := make([]string, len(s.Tags))
		for i, t := range s.Tags {
			out[i] = p.Tag(t)
		}
		return strings.Join(out, "、")
	}
	return runList(w, r, ss, listSpec[S]{
		Search: func(s S) string { return s.Title + " " + s.Description + " " + s.DataNeeded + " " + s.OrgName },
		Filters: []listFilter[S]{
			{Name: "domain", Label: "scenario.domain", Options: listOptions(lang, "scenario.domain.", listStates(ss, func(s S) string { return s.Domain })...),
				Match: func(s S, v string) bool { return s.Domain == v }},
		},
		Columns: []listCol[S]{
			{"list.number", func(s S) any { return s.ID }},
			{"scenario.title", func(s S) any { return s.Title }},
			{"scenario.domain", func(s S) any { return p.Domain(s.Domain) }},
			{"scenario.tags", func(s S) any { return tags(s) }},
			{"scenario.proposer", func(s S) any { return s.OrgName }},
			{"sup.col.status", func(s S) any { return p.Status(s.Status) }},
			{"scenario.created_at", func(s S) any { return s.CreatedAt }},
		},
		Name: "nav.scenarios",
		Keep: []string{"status", "tag"},
	})
}

// referralsList: expert referrals (the store filters by case): search in
// title, case and experts; filter by the kind of case and state.
func referralsList(w http.ResponseWriter, r *http.Request, rs []*shuyu.ExpertReferral) ([]*shuyu.ExpertReferral, *listView, bool, error) {
	lang := uiLang(r)
	type X = *shuyu.ExpertReferral
	experts := func(x X) string {
		names := make([]string, len(x.Experts))
		for i, e := range x.Experts {
			names[i] = e.Name
		}
		return strings.Join(names, "、")
	}
	return runList(w, r, rs, listSpec[X]{
		Search: func(x X) string { return x.Title + " " + x.CaseTitle + " " + x.Questions + " " + experts(x) },
		Filters: []listFilter[X]{
			{Name: "kind", Label: "expert.case", Options: listOptions(lang, "expert.case.", listStates(rs, func(x X) string { return x.CaseKind })...),
				Match: func(x X, v string) bool { return x.CaseKind == v }},
			{Name: "state", Label: "expert.status", Options: listOptions(lang, "expert.status.", listStates(rs, func(x X) string { return x.Status })...),
				Match: func(x X, v string) bool { return x.Status == v }},
		},
		Columns: []listCol[X]{
			{"list.number", func(x X) any { return x.ID }},
			{"expert.title", func(x X) any { return x.Title }},
			{"expert.case", func(x X) any {
				return T(lang, "expert.case."+x.CaseKind) + " " + strconv.FormatInt(x.CaseID, 10) + "：" + x.CaseTitle
			}},
			{"expert.experts", func(x X) any { return experts(x) }},
			{"expert.opinions", func(x X) any { return strconv.Itoa(len(x.Opinions)) + "/" + strconv.Itoa(len(x.Experts)) }},
			{"expert.created_at", func(x X) any { return x.CreatedAt }},
			{"expert.status", func(x X) any { return T(lang, "expert.status."+x.Status) }},
		},
		Name: "nav.expert.referrals",
		Keep: []string{"case_kind", "case_id"},
	})
}

// postsList: the portal's notices and cases: search in title and text;
// filter by kind and publisher.
func postsList(w http.ResponseWriter, r *http.Request, ps []*shuyu.PortalPost) ([]*shuyu.PortalPost, *listView, bool, error) {
	lang := uiLang(r)
	type P = *shuyu.PortalPost
	kind := func(p P) string {
		if p.Kind == "case" {
			return T(lang, "portal.cases")
		}
		return T(lang, "portal.notices")
	}
	return runList(w, r, ps, listSpec[P]{
		Search: func(p P) string { return p.Title + " " + p.Body + " " + p.OrgName },
		Filters: []listFilter[P]{
			{Name: "kind", Label: "list.kind", Options: []listOption{{"notice", T(lang, "portal.notices")}, {"case", T(lang, "portal.cases")}},
				Match: func(p P, v string) bool { return p.Kind == v }},
			{Name: "org", Label: "list.publisher", Options: listNameOptions(ps, func(p P) string { return p.OrgName }),
				Match: func(p P, v string) bool { return p.OrgName == v }},
		},
		Columns: []listCol[P]{
			{"portal.post.title", func(p P) any { return p.Title }},
			{"list.kind", func(p P) any { return kind(p) }},
			{"list.publisher", func(p P) any { return p.OrgName }},
			{"portal.published_at", func(p P) any { return p.PublishedAt }},
			{"list.body", func(p P) any { return p.Body }},
		},
		Name: "nav.portal.posts",
	})
}

// synonymsList: the catalog search's synonyms: search in both words.
func synonymsList(w http.ResponseWriter, r *http.Request, ss []shuyu.CatalogSynonym) ([]shuyu.CatalogSynonym, *listView, bool, error) {
	lang := uiLang(r)
	type S = shuyu.CatalogSynonym
	return runList(w, r, ss, listSpec[S]{
		Search: func(s S) string { return s.Term + " " + s.Expansion },
		Filters: []listFilter[S]{
			{Name: "origin", Label: "list.origin", Options: []listOption{{"seeded", T(lang, "catalog.synonym.seeded")}, {"added", T(lang, "list.added")}},
				Match: func(s S, v string) bool { return (s.CreatedBy == 0) == (v == "seeded") }},
		},
		Columns: []listCol[S]{
			{"catalog.synonym.term", func(s S) any { return s.Term }},
			{"catalog.synonym.expansion", func(s S) any { return s.Expansion }},
			{"list.added_at", func(s S) any {
				if s.CreatedBy == 0 {
					return T(lang, "catalog.synonym.seeded")
				}
				return s.CreatedAt
			}},
		},
		Name: "nav.catalog.synonyms",
	})
}

// pricesList: the price catalogue (NPRC): search in item, class and
// product; filter by service, purpose and whether a price is set.
func pricesList(w http.ResponseWriter, r *http.Request, items []*shuyu.PriceItem) ([]*shuyu.PriceItem, *listView, bool, error) {
	lang := uiLang(r)
	type P = *shuyu.PriceItem
	return runList(w, r, items, listSpec[P]{
		Search: func(p P) string { return p.Name + " " + p.Class + " " + p.ProductName },
		Filters: []listFilter[P]{
			{Name: "service", Label: "money.col.service", Options: listOptions(lang, "money.service.", listStates(items, func(p P) string { return p.Service })...),
				Match: func(p P, v string) bool { return p.Service == v }},
			{Name: "purpose", Label: "money.col.purpose", Options: listOptions(lang, "money.purpose.", listStates(items, func(p P) string { return p.Purpose })...),
				Match: func(p P, v string) bool { return p.Purpose == v }},
			{Name: "priced", Label: "list.priced", Options: []listOption{{"set", T(lang, "list.priced.set")}, {"unset", T(lang, "money.price.unset")}},
				Match: func(p P, v string) bool { return p.PriceSet == (v == "set") }},
		},
		Columns: []listCol[P]{
			{"money.col.item", func(p P) any { return p.Name }},
			{"money.col.class", func(p P) any { return p.Class }},
			{"money.col.product", func(p P) any { return p.ProductName }},
			{"money.col.service", func(p P) any { return T(lang, "money.service."+p.Service) }},
			{"money.col.purpose", func(p P) any { return T(lang, "money.purpose."+p.Purpose) }},
			{"money.col.unit", func(p P) any { return T(lang, "money.unit."+p.Unit) }},
			{"money.col.cap", func(p P) any { return shuyu.FormatFen(p.CapFen) }},
			{"money.col.price", func(p P) any {
				if !p.PriceSet {
					return T(lang, "money.price.unset")
				}
				return shuyu.FormatFen(p.PriceFen)
			}},
		},
		Name: "nav.money.prices",
	})
}

// secretsList: the secrecy marks: search in entry, field and basis;
// filter by class and whether the mark is in force.
func secretsList(w http.ResponseWriter, r *http.Request, ms []*shuyu.SecretMark) ([]*shuyu.SecretMark, *listView, bool, error) {
	lang := uiLang(r)
	type M = *shuyu.SecretMark
	return runList(w, r, ms, listSpec[M]{
		Search: func(m M) string { return m.EntryCode + " " + m.EntryName + " " + m.Field + " " + m.Basis },
		Filters: []listFilter[M]{
			{Name: "class", Label: "oversight.secret.class", Options: listOptions(lang, "oversight.secret.class.", listStates(ms, func(m M) string { return string(m.Class) })...),
				Match: func(m M, v string) bool { return string(m.Class) == v }},
			{Name: "active", Label: "oversight.secret.status", Options: []listOption{{"active", T(lang, "oversight.secret.active")}, {"lifted", T(lang, "oversight.secret.lifted_badge")}},
				Match: func(m M, v string) bool { return m.Active() == (v == "active") }},
		},
		Columns: []listCol[M]{
			{"list.number", func(m M) any { return m.ID }},
			{"oversight.secret.entry", func(m M) any { return m.EntryCode + " " + m.EntryName }},
			{"oversight.secret.field", func(m M) any { return m.Field }},
			{"oversight.secret.class", func(m M) any { return T(lang, "oversight.secret.class."+string(m.Class)) }},
			{"oversight.secret.basis", func(m M) any { return m.Basis }},
			{"oversight.secret.marked_at", func(m M) any { return m.MarkedAt }},
			{"oversight.secret.status", func(m M) any {
				if m.Active() {
					return T(lang, "oversight.secret.active")
				}
				return T(lang, "oversight.secret.lifted_badge")
			}},
		},
		Name: "nav.oversight.secrets",
	})
}

// callsList: the latest API service calls (the store keeps the newest
// 500 for this page): search in service and consumer; filter by service,
// consumer and outcome.
func callsList(w http.ResponseWriter, r *http.Request, cs []shuyu.ServiceCall) ([]shuyu.ServiceCall, *listView, bool, error) {
	lang := uiLang(r)
	type C = shuyu.ServiceCall
	return runList(w, r, cs, listSpec[C]{
		Search: func(c C) string { return c.Service + " " + c.OrgName },
		Filters: []listFilter[C]{
			{Name: "service", Label: "services.key.service", Options: listNameOptions(cs, func(c C) string { return c.Service }),
				Match: func(c C, v string) bool { return c.Service == v }},
			{Name: "consumer", Label: "services.consumer", Options: listNameOptions(cs, func(c C) string { return c.OrgName }),
				Match: func(c C, v string) bool { return c.OrgName == v }},
			{Name: "outcome", Label: "services.outcome", Options: listOptions(lang, "services.outcome.", listStates(cs, func(c C) string { return c.Outcome })...),
				Match: func(c C, v string) bool { return c.Outcome == v }},
		},
		Columns: []listCol[C]{
			{"services.time", func(c C) any { return c.At }},
			{"services.key.service", func(c C) any { return c.Service }},
			{"services.consumer", func(c C) any { return c.OrgName }},
			{"services.outcome", func(c C) any { return T(lang, "services.outcome."+c.Outcome) }},
			{"services.shape", func(c C) any { return strings.Join(c.Shape, "、") }},
		},
		Name: "services.recent",
	})
}

// merchantReportsList: the filed merchant reports: filter by year; the
// page's own period (from, to) is kept.
func merchantReportsList(w http.ResponseWriter, r *http.Request, rs []*shuyu.MerchantReport) ([]*shuyu.MerchantReport, *listView, bool, error) {
	type M = *shuyu.MerchantReport
	day := func(t time.Time) string { return t.In(shanghai).Format(time.DateOnly) }
	period := func(m M) string { return day(m.From) + " — " + day(m.To.AddDate(0, 0, -1)) }
	year := func(m M) string { return strconv.Itoa(m.From.In(shanghai).Year()) }
	var years []listOption
	for _, y := range listStates(rs, year) {
		years = append(years, listOption{Value: y, Label: y})
	}
	return runList(w, r, rs, listSpec[M]{
		Filters: []listFilter[M]{{Name: "year", Label: "sup.col.year", Options: years, Match: func(m M, v string) bool { return year(m) == v }}},
		Columns: []listCol[M]{
			{"list.number", func(m M) any { return m.ID }},
			{"reviewui.report.period", func(m M) any { return period(m) }},
			{"reviewui.report.registered", func(m M) any { return m.Registered }},
			{"reviewui.report.suspended", func(m M) any { return m.Suspended }},
			{"reviewui.report.changes", func(m M) any { return len(m.Rows) }},
			{"reviewui.report.filed_at", func(m M) any { return m.CreatedAt }},
		},
		Name: "reviewui.report.filed_list",
		Keep: []string{"from", "to"},
	})
}
