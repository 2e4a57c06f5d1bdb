package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// providerRoutes: third-party service providers acting for merchants
// (R6.3). A merchant delegates tasks for a term and revokes at once; the
// operator confirms real-data access against the merchant's agreement; a
// provider's account acts for a merchant by naming the delegation in the
// X-Acting-For header (API) or by choosing it on the page (a cookie), and
// the store decides everything else (sqlstore/delegation.go).
func (s *Server) providerRoutes() {
	s.handle("GET", "/api/v1/delegations", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Delegation, error) {
		return s.db.Delegations(ctx, a)
	}))
	s.handle("POST", "/api/v1/delegations", create(s.actor, s.db.CreateDelegation))
	s.handle("POST", "/api/v1/delegations/{id}/revoke", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in delegationReason) (*shuyu.Delegation, error) {
		return s.db.RevokeDelegation(ctx, a, id, in.Reason)
	}))
	s.handle("POST", "/api/v1/delegations/{id}/confirm", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in delegationReason) (*shuyu.Delegation, error) {
		return s.db.ConfirmDelegationRealData(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/service-providers", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]sqlstore.ServiceProvider, error) {
		return s.db.ServiceProviders(ctx, a)
	}))

	s.page("GET /providers", pageOpts{Nav: "nav.providers", Group: "nav.group.work", Order: 80,
		Action: shuyu.ActDelegationRead, Desc: "nav.providers.desc"}, s.uiProviders)
	s.page("POST /providers", pageOpts{Action: shuyu.ActDelegationCreate}, s.uiDelegationCreate)
	s.page("POST /providers/{id}/revoke", pageOpts{Action: shuyu.ActDelegationRevoke}, s.uiDelegationRevoke)
	s.page("POST /providers/{id}/confirm", pageOpts{Action: shuyu.ActDelegationConfirm}, s.uiDelegationConfirm)
	s.page("POST /providers/{id}/act", pageOpts{Action: shuyu.ActDelegationRead}, s.uiDelegationAct)
	s.page("POST /providers/stop", pageOpts{Action: shuyu.ActDelegationRead}, s.uiDelegationStop)
	s.auditLink("delegation", "/providers#d%s", shuyu.ActDelegationRead)
	s.providerActivityRoutes()
}

// delegationReason is the body of a revocation (why) or a confirmation
// (the agreement's clause that allows the provider real data).
type delegationReason struct {
	bodyMayBeEmpty
	Reason string `json:"reason"`
}

const (
	actingHeader = "X-Acting-For"
	actingCookie = "shuyu_acting"
)

// actingSession applies a provider's choice to act for a merchant: the
// delegation named by the X-Acting-For header, or by the page's cookie
// (ignored on the providers pages themselves, so the provider can always
// stop, and for accounts that are not providers).
func (s *Server) actingSession(r *http.Request, sess *sqlstore.Session, cookie bool) (*sqlstore.Session, error) {
	v := strings.TrimSpace(r.Header.Get(actingHeader))
	if v == "" && cookie && sess.Actor.Has(shuyu.RoleServiceProvider) && !strings.HasPrefix(r.URL.Path, "/providers") &&
		r.URL.Path != "/logout" && r.URL.Path != "/api/v1/auth/logout" {
		if c, err := r.Cookie(actingCookie); err == nil {
			v = c.Value
		}
	}
	if v == "" {
		return sess, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "X-Acting-For 须为委托编号 (X-Acting-For must be a delegation id)")
	}
	a, err := s.db.ActFor(r.Context(), sess.Actor, id, actingRequest(r))
	if err != nil {
		return nil, err
	}
	cp := *sess
	cp.Actor = a
	return &cp, nil
}

// actingRequest is what the store records of an acting provider's request
// (R6.3): the method, the path with its query, the request id.
func actingRequest(r *http.Request) sqlstore.ActingRequest {
	return sqlstore.ActingRequest{Method: r.Method, Path: r.URL.RequestURI(), RequestID: shuyu.RequestInfoFrom(r.Context()).RequestID}
}

type providersData struct {
	Form        *uiForm
	Delegations []*shuyu.Delegation
	List        *listView
	Providers   []sqlstore.ServiceProvider
	Tasks       []shuyu.DelegationTask
	Acting      int64 // the delegation the provider acts under on the pages, 0 if none
}

func (s *Server) uiProviders(w http.ResponseWriter, r *http.Request) error {
	return s.providersRender(w, r, emptyForm())
}

func (s *Server) providersRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	a := uiActor(r)
	all, err := s.db.Delegations(r.Context(), a)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	ds, list, exported, err := runList(w, r, all, listSpec[*shuyu.Delegation]{
		Search: func(g *shuyu.Delegation) string { return g.MerchantName + " " + g.ProviderName + " " + g.Note }, SearchHint: "providers.search.hint",
		Filters: []listFilter[*shuyu.Delegation]{{Name: "status", Label: "list.status",
			Options: listOptions(lang, "providers.status.", shuyu.DelegationActive, shuyu.DelegationPending, shuyu.DelegationRevoked, shuyu.DelegationExpired),
			Match:   func(g *shuyu.Delegation, v string) bool { return g.Status == v }}},
		Columns: []listCol[*shuyu.Delegation]{
			{"providers.merchant", func(g *shuyu.Delegation) any { return g.MerchantName }},
			{"providers.provider", func(g *shuyu.Delegation) any { return g.ProviderName }},
			{"providers.tasks", func(g *shuyu.Delegation) any { return delegationTaskLabels(lang, g.Tasks) }},
			{"providers.from", func(g *shuyu.Delegation) any { return g.StartsAt }},
			{"providers.to", func(g *shuyu.Delegation) any { return g.EndsAt }},
			{"providers.real_data", func(g *shuyu.Delegation) any { return T(lang, "providers.real_data."+g.RealData) }},
			{"providers.status", func(g *shuyu.Delegation) any { return T(lang, "providers.status."+g.Status) }},
		},
		Name: "nav.providers",
	})
	if exported || err != nil {
		return err
	}
	d := providersData{Form: f, Delegations: ds, List: list, Tasks: shuyu.DelegationTasks}
	if shuyu.Can(a, shuyu.ActDelegationCreate, shuyu.Resource{}) {
		if d.Providers, err = s.db.ServiceProviders(r.Context(), a); err != nil {
			return err
		}
	}
	if c, err := r.Cookie(actingCookie); err == nil {
		d.Acting, _ = strconv.ParseInt(c.Value, 10, 64)
	}
	return s.renderStatus(w, r, f.Status, "providers/list.html", d)
}

func (s *Server) uiDelegationCreate(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	in := shuyu.DelegationInput{From: f.Get("from"), To: f.Get("to"), Note: f.Get("note")}
	in.ProviderOrgID, _ = strconv.ParseInt(f.Get("provider_org_id"), 10, 64)
	in.AgreementID, _ = strconv.ParseInt(f.Get("agreement_id"), 10, 64)
	for _, t := range f.Values["tasks"] {
		in.Tasks = append(in.Tasks, shuyu.DelegationTask(t))
	}
	if _, err := s.db.CreateDelegation(r.Context(), uiActor(r), in); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.providersRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/providers", "ok", T(lang, "providers.created"))
}

func (s *Server) uiDelegationRevoke(w http.ResponseWriter, r *http.Request) error {
	return s.delegationStep(w, r, "providers.revoked", func(a *shuyu.Actor, id int64, f *uiForm) error {
		_, err := s.db.RevokeDelegation(r.Context(), a, id, f.Get("reason"))
		return err
	})
}

func (s *Server) uiDelegationConfirm(w http.ResponseWriter, r *http.Request) error {
	return s.delegationStep(w, r, "providers.confirmed", func(a *shuyu.Actor, id int64, f *uiForm) error {
		_, err := s.db.ConfirmDelegationRealData(r.Context(), a, id, f.Get("reason"))
		return err
	})
}

// uiDelegationAct starts acting for the delegation's merchant on the pages
// (a cookie naming the delegation; the store checks it on every request).
func (s *Server) uiDelegationAct(w http.ResponseWriter, r *http.Request) error {
	return s.delegationStep(w, r, "providers.acting", func(a *shuyu.Actor, id int64, f *uiForm) error {
		if _, err := s.db.ActFor(r.Context(), a, id, actingRequest(r)); err != nil {
			return err
		}
		http.SetCookie(w, &http.Cookie{Name: actingCookie, Value: strconv.FormatInt(id, 10), Path: "/", HttpOnly: true,
			Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
		return nil
	})
}

func (s *Server) uiDelegationStop(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: actingCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
	return s.redirectFlash(w, r, "/providers", "ok", T(uiLang(r), "providers.stopped"))
}

func (s *Server) delegationStep(w http.ResponseWriter, r *http.Request, done string, fn func(a *shuyu.Actor, id int64, f *uiForm) error) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if err := fn(uiActor(r), id, f); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.providersRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/providers", "ok", T(lang, done))
}

func delegationTaskLabels(lang string, ts []shuyu.DelegationTask) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = T(lang, "providers.task."+string(t))
	}
	return strings.Join(out, "、")
}
