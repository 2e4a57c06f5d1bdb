package web

import (
	"context"
	"net/http"
	"net/url"

	"shuyu"
	"shuyu/sqlstore"
)

// providerActivityRoutes: what acting service providers asked for on a
// merchant's behalf (R6.3). The records are made by the store when it makes
// the acting actor (DB.ActFor, from actingSession for every request), not by
// any handler; these routes only list them, under delegation.read: the
// merchant its own, the provider its own accounts', the operator, the
// authority and the regulators all.
func (s *Server) providerActivityRoutes() {
	s.handle("GET", "/api/v1/provider-activity", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*sqlstore.ProviderRead, error) {
		id, err := queryInt(q, "delegation")
		if err != nil {
			return nil, err
		}
		limit, err := queryInt(q, "limit")
		if err != nil {
			return nil, err
		}
		return s.db.ProviderActivity(ctx, a, id, int(limit))
	}))
	s.page("GET /providers/activity", pageOpts{Nav: "nav.providers.activity", Group: "nav.group.work", Order: 81,
		Action: shuyu.ActDelegationRead, Desc: "nav.providers.activity.desc"}, s.uiProviderActivity)
}

type providerActivityData struct {
	Rows []*sqlstore.ProviderRead
	List *listView
}

func (s *Server) uiProviderActivity(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	delegation, err := queryInt(r.URL.Query(), "delegation")
	if err != nil {
		return err
	}
	all, err := s.db.ProviderActivity(r.Context(), a, delegation, 0)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	kind := func(x *sqlstore.ProviderRead) string {
		if x.Write() {
			return "write"
		}
		return "read"
	}
	rows, list, exported, err := runList(w, r, all, listSpec[*sqlstore.ProviderRead]{
		Search: func(x *sqlstore.ProviderRead) string {
			return x.ProviderName + " " + x.MerchantName + " " + x.User + " " + x.Path
		},
		SearchHint: "providers.activity.search.hint",
		Filters: []listFilter[*sqlstore.ProviderRead]{{Name: "kind", Label: "providers.activity.kind",
			Options: listOptions(lang, "providers.activity.kind.", "read", "write"),
			Match:   func(x *sqlstore.ProviderRead, v string) bool { return kind(x) == v }}},
		Columns: []listCol[*sqlstore.ProviderRead]{
			{"providers.activity.at", func(x *sqlstore.ProviderRead) any { return x.At }},
			{"providers.merchant", func(x *sqlstore.ProviderRead) any { return x.MerchantName }},
			{"providers.provider", func(x *sqlstore.ProviderRead) any { return x.ProviderName }},
			{"providers.activity.user", func(x *sqlstore.ProviderRead) any { return x.User }},
			{"providers.activity.delegation", func(x *sqlstore.ProviderRead) any { return x.DelegationID }},
			{"providers.activity.kind", func(x *sqlstore.ProviderRead) any { return T(lang, "providers.activity.kind."+kind(x)) }},
			{"providers.activity.path", func(x *sqlstore.ProviderRead) any { return x.Path }},
		},
		Name: "nav.providers.activity",
	})
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "providers/activity.html", providerActivityData{Rows: rows, List: list})
}
