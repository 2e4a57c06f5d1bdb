package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// The list component (ui_list.go) on the platform's list pages: what each
// list searches, filters and exports. Capabilities wire their own lists in
// their own files the same way.

// inboxList: search in the title and text, unread or read, the kind of
// message; the export lists every selected message. A message that names
// an object but carries no link gets the object's page (the audit
// sentences' links, audit_sentences.go), so every item leads somewhere.
func (s *Server) inboxList(w http.ResponseWriter, r *http.Request, ns []sqlstore.Notice) ([]sqlstore.Notice, *listView, bool, error) {
	lang := uiLang(r)
	for i := range ns {
		if n := &ns[i]; n.Link == "" && n.ObjectType != "" {
			if l, ok := s.auditLinks[n.ObjectType]; ok && auditNumeric(n.ObjectID) {
				n.Link = fmt.Sprintf(l.path, n.ObjectID)
			}
		}
	}
	kinds := map[string]bool{}
	var kindOpts []listOption
	for _, n := range ns {
		if n.ObjectType != "" && !kinds[n.ObjectType] {
			kinds[n.ObjectType] = true
			kindOpts = append(kindOpts, listOption{Value: n.ObjectType, Label: TOr(lang, "audit.kind."+n.ObjectType, T(lang, "audit.unknown_kind"))})
		}
	}
	readLabel := func(n sqlstore.Notice) string {
		if n.Read {
			return T(lang, "list.read")
		}
		return T(lang, "list.unread")
	}
	return runList(w, r, ns, listSpec[sqlstore.Notice]{
		Search: func(n sqlstore.Notice) string { return n.Title + " " + n.Body },
		Filters: []listFilter[sqlstore.Notice]{
			{Name: "state", Label: "list.state", Options: []listOption{{"unread", T(lang, "list.unread")}, {"read", T(lang, "list.read")}},
				Match: func(n sqlstore.Notice, v string) bool { return n.Read == (v == "read") }},
			{Name: "kind", Label: "audit.filter.kind", Options: kindOpts,
				Match: func(n sqlstore.Notice, v string) bool { return n.ObjectType == v }},
		},
		Columns: []listCol[sqlstore.Notice]{
			{"review.time", func(n sqlstore.Notice) any { return n.CreatedAt }},
			{"review.message", func(n sqlstore.Notice) any { return n.Title }},
			{"list.body", func(n sqlstore.Notice) any { return n.Body }},
			{"list.state", func(n sqlstore.Notice) any { return readLabel(n) }},
			{"list.link", func(n sqlstore.Notice) any { return n.Link }},
		},
		Name: "nav.review.inbox",
	})
}

// appsList: search in title, merchant and purpose; filter by state and by
// merchant; the export has the deadline-free facts of each application.
func appsList(w http.ResponseWriter, r *http.Request, apps []*shuyu.Application) ([]*shuyu.Application, *listView, bool, error) {
	lang := uiLang(r)
	label := reviewPageData{}.Label
	states := []string{shuyu.AppChecking, shuyu.AppReturned, shuyu.AppReviewing, shuyu.AppApproved, shuyu.AppRejected, shuyu.AppWithdrawn}
	stateOpts := make([]listOption, len(states))
	for i, st := range states {
		stateOpts[i] = listOption{Value: st, Label: label(st)}
	}
	if lang == langEN {
		stateOpts = listOptions(lang, "status.", states...)
	}
	var merchants []listOption
	seen := map[string]bool{}
	for _, a := range apps {
		if a.MerchantName != "" && !seen[a.MerchantName] {
			seen[a.MerchantName] = true
			merchants = append(merchants, listOption{Value: a.MerchantName, Label: a.MerchantName})
		}
	}
	slices.SortFunc(merchants, func(a, b listOption) int { return strings.Compare(a.Label, b.Label) })
	return runList(w, r, apps, listSpec[*shuyu.Application]{
		Search:     func(a *shuyu.Application) string { return a.Title + " " + a.MerchantName + " " + a.Purpose },
		SearchHint: "list.apps.hint",
		Filters: []listFilter[*shuyu.Application]{
			{Name: "status", Label: "review.status", Options: stateOpts,
				Match: func(a *shuyu.Application, v string) bool { return a.Status == v }},
			{Name: "merchant", Label: "review.merchant", Options: merchants,
				Match: func(a *shuyu.Application, v string) bool { return a.MerchantName == v }},
		},
		Columns: []listCol[*shuyu.Application]{
			{"list.number", func(a *shuyu.Application) any { return a.ID }},
			{"review.app.title", func(a *shuyu.Application) any { return a.Title }},
			{"review.merchant", func(a *shuyu.Application) any { return a.MerchantName }},
			{"review.round", func(a *shuyu.Application) any { return a.Round }},
			{"review.status", func(a *shuyu.Application) any { return TOr(lang, "status."+a.Status, label(a.Status)) }},
			{"list.submitted", func(a *shuyu.Application) any { return a.SubmittedAt }},
		},
		Name: "nav.review.applications",
	})
}

// orgsList: search in names and codes; filter by kind and state.
func orgsList(w http.ResponseWriter, r *http.Request, orgs []*shuyu.Org) ([]*shuyu.Org, *listView, bool, error) {
	lang := uiLang(r)
	kinds := make([]string, len(shuyu.OrgKinds))
	for i, k := range shuyu.OrgKinds {
		kinds[i] = string(k)
	}
	return runList(w, r, orgs, listSpec[*shuyu.Org]{
		Search: func(o *shuyu.Org) string { return o.Name + " " + o.NameEN + " " + o.Code },
		Filters: []listFilter[*shuyu.Org]{
			{Name: "kind", Label: "orgs.kind", Options: listOptions(lang, "orgkind.", kinds...),
				Match: func(o *shuyu.Org, v string) bool { return string(o.Kind) == v }},
			{Name: "status", Label: "user.status", Options: listOptions(lang, "status.", "active", "disabled"),
				Match: func(o *shuyu.Org, v string) bool { return o.Status == v }},
		},
		Columns: []listCol[*shuyu.Org]{
			{"orgs.name", func(o *shuyu.Org) any { return o.Name }},
			{"orgs.kind", func(o *shuyu.Org) any { return T(lang, "orgkind."+string(o.Kind)) }},
			{"orgs.region", func(o *shuyu.Org) any { return TOr(lang, "region."+o.Region, o.Region) }},
			{"orgs.code", func(o *shuyu.Org) any { return o.Code }},
			{"user.status", func(o *shuyu.Org) any { return TOr(lang, "status."+o.Status, o.Status) }},
			{"user.created_at", func(o *shuyu.Org) any { return o.CreatedAt }},
		},
		Name: "nav.orgs",
	})
}
