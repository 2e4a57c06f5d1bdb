package web

import (
	"context"
	"net/http"
	"strconv"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/sqlstore"
)

// verifier is the configured identity service, the demo's outbox in demo
// mode, or one that refuses (no codes can be sent without a real service).
func (s *Server) verifier() dataservice.Verifier {
	if s.cfg.Verifier != nil {
		if d, ok := s.cfg.Verifier.(*dataservice.DemoVerifier); ok {
			s.outbox = d
		}
		return s.cfg.Verifier
	}
	if s.cfg.Demo {
		s.outbox = &dataservice.DemoVerifier{Now: s.cfg.Now}
		return s.outbox
	}
	return noVerifier{}
}

// noVerifier refuses: a platform without an identity service cannot take
// consents.
type noVerifier struct{}

func (noVerifier) Check(context.Context, dataservice.Subject) error {
	return shuyu.Errorf(shuyu.EUNAVAILABLE, "未配置身份核验服务，暂不能办理授权 (no identity service configured)")
}

func (noVerifier) Deliver(context.Context, dataservice.Subject, string, string, int64) error {
	return shuyu.Errorf(shuyu.EUNAVAILABLE, "未配置身份核验服务，暂不能办理授权 (no identity service configured)")
}

// servicesPages: the service market (public), the work page of providers,
// consumers, the operator and the authority, the operator's anomaly flags,
// the data subject's public consent pages, and the demo outbox.
func (s *Server) servicesPages() {
	s.page("GET /services", pageOpts{Public: true, Nav: "nav.services", Group: "nav.group.data", Order: 60}, s.uiServices)
	s.page("POST /services/{id}/keys", pageOpts{Action: shuyu.ActServiceKey}, s.uiServiceKey)
	s.page("GET /services/work", pageOpts{Nav: "nav.services.work", Group: "nav.group.dev", Order: 60, Action: shuyu.ActServiceUsage,
		Desc: "nav.services.work.desc"}, s.uiServiceWork)
	s.page("POST /services/{id}/request", pageOpts{Action: shuyu.ActServiceRequest}, s.uiServiceRequest)
	s.page("POST /services/consents", pageOpts{Action: shuyu.ActConsentRequest}, s.uiServiceConsent)
	s.page("POST /services/{id}/filing", pageOpts{Action: shuyu.ActServiceFile}, s.uiServiceFile)
	s.page("GET /services/flags", pageOpts{Nav: "nav.services.flags", Group: "nav.group.supervise", Order: 60, Action: shuyu.ActServiceMonitor},
		s.uiServiceFlags)
	s.page("POST /services/flags/{id}/decision", pageOpts{Action: shuyu.ActServiceMonitor}, s.uiServiceFlagDecide)
	s.page("POST /services/keys/{id}/block", pageOpts{Action: shuyu.ActServiceMonitor}, s.uiServiceKeyBlock)
	s.page("GET /consent", pageOpts{Public: true}, s.uiConsent)
	s.page("POST /consent/lookup", pageOpts{Public: true}, s.uiConsentLookup)
	s.page("POST /consent/verify", pageOpts{Public: true}, s.uiConsentVerify)
	s.page("POST /consent/{id}/revoke", pageOpts{Public: true}, s.uiConsentRevoke)
	s.page("GET /consent/confirm", pageOpts{Public: true}, s.uiConsentConfirm)
	s.page("POST /consent/confirm", pageOpts{Public: true}, s.uiConsentConfirm)
	if s.outbox != nil {
		s.page("GET /demo/outbox", pageOpts{Public: true}, s.uiDemoOutbox)
	}
}

type servicesData struct {
	Services []publicService
	Key      *sqlstore.IssuedKey
	Form     *uiForm
}

func (s *Server) uiServices(w http.ResponseWriter, r *http.Request) error {
	list, err := s.db.PublicServices(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "services/market.html", servicesData{Services: publicServices(list)})
}

// uiServiceKey issues a key and shows it once.
func (s *Server) uiServiceKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	k, err := s.db.IssueServiceKey(r.Context(), uiActor(r), id, f.Get("label"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "services/key.html", servicesData{Key: k})
}

type serviceWorkData struct {
	List     *listView // the list component's bar, over the calls
	Mine     []*shuyu.APIService
	Keys     []*shuyu.ServiceKey
	Usage    []shuyu.ServiceUsage
	Calls    []shuyu.ServiceCall
	Consents []*shuyu.Consent
	// Gated are the filed services that answer only with a subject's grant
	// (R28.5): a merchant asks a subject for one (ConsentForm).
	Gated       []*shuyu.APIService
	ConsentForm *uiForm
}

func (s *Server) uiServiceWork(w http.ResponseWriter, r *http.Request) error {
	return s.renderServiceWork(w, r, emptyForm())
}

// uiServiceConsent asks a subject for a grant to call a consent-gated
// service (R28.5), as POST /api/v1/consents does: the code goes to the
// subject, the merchant is told the grant's number.
func (s *Server) uiServiceConsent(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	ask := consentAskForm(f)
	ask.ServiceID, _ = strconv.ParseInt(f.Get("service_id"), 10, 64)
	c, err := s.svc.RequestConsent(r.Context(), uiActor(r), ask)
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.renderServiceWork(w, r, f)
	}
	return s.redirectFlash(w, r, "/services/work#services-consents", "ok", Tf(lang, "sandbox.consents.asked", c.ID))
}

func (s *Server) renderServiceWork(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	ctx, a := r.Context(), uiActor(r)
	d := serviceWorkData{ConsentForm: f}
	var err error
	if shuyu.Can(a, shuyu.ActServiceRead, shuyu.Resource{}) {
		if d.Mine, err = s.db.Services(ctx, a); err != nil {
			return err
		}
	}
	if d.Keys, err = s.db.ServiceKeys(ctx, a); err != nil {
		return err
	}
	if d.Usage, err = s.db.ServiceUsage(ctx, a); err != nil {
		return err
	}
	calls, err := s.db.ServiceCalls(ctx, a, 500)
	if err != nil {
		return err
	}
	var exported bool
	if d.Calls, d.List, exported, err = callsList(w, r, calls); exported || err != nil {
		return err
	}
	if shuyu.Can(a, shuyu.ActConsentRead, shuyu.Resource{}) {
		if d.Consents, err = s.db.Consents(ctx, a); err != nil {
			return err
		}
	}
	if shuyu.Can(a, shuyu.ActConsentRequest, shuyu.Resource{}) {
		filed, err := s.db.PublicServices(ctx)
		if err != nil {
			return err
		}
		for _, sv := range filed {
			if sv.Consent {
				d.Gated = append(d.Gated, sv)
			}
		}
	}
	return s.renderStatus(w, r, f.Status, "services/work.html", d)
}

func (s *Server) uiServiceRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sv, err := s.svc.Request(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/services/work", "ok", T(uiLang(r), "services.checked."+sv.Status))
}

func (s *Server) uiServiceFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.db.FileService(r.Context(), uiActor(r), id, f.Get("filing_no")); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/services/work", "ok", T(uiLang(r), "services.filed"))
}

func (s *Server) uiServiceFlags(w http.ResponseWriter, r *http.Request) error {
	flags, err := s.db.ServiceFlags(r.Context(), uiActor(r))
	if err != nil {
		return err
	}
	return s.render(w, r, "services/flags.html", flags)
}

func (s *Server) uiServiceFlagDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.db.DecideServiceFlag(r.Context(), uiActor(r), id, f.Get("decision"), f.Get("reason")); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/services/flags", "ok", T(uiLang(r), "services.flag.decided"))
}

// uiServiceKeyBlock: the operator or the authority blocks a key from the
// key list, flagged or not, with a reason (as POST
// /api/v1/service-keys/{id}/block); the next call with it is refused.
func (s *Server) uiServiceKeyBlock(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.db.BlockServiceKey(r.Context(), uiActor(r), id, f.Get("reason")); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/services/work#services-keys", "ok", T(uiLang(r), "services.key.blocked.done"))
}

type consentPageData struct {
	Form      *uiForm
	Challenge int64
	View      *sqlstore.SubjectView
	Confirmed *shuyu.Consent
	Demo      bool
}

// uiConsent is the subject's page: the lookup form, or its grants and the
// uses of its data once it proved itself with a code.
func (s *Server) uiConsent(w http.ResponseWriter, r *http.Request) error {
	d := consentPageData{Form: emptyForm(), Demo: s.outbox != nil}
	if tok := subjectToken(r); tok != "" {
		v, err := s.db.SubjectConsents(r.Context(), tok)
		if err == nil {
			d.View = v
		} else if shuyu.ErrorCode(err) != shuyu.EUNAUTHORIZED {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "services/consent.html", d)
}

func (s *Server) uiConsentLookup(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	d := consentPageData{Form: f, Demo: s.outbox != nil}
	id, err := s.svc.StartLookup(r.Context(), dataservice.Subject{Kind: f.Get("subject_kind"), ID: f.Get("subject_id"),
		Name: f.Get("name"), Mobile: f.Get("mobile")})
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderStatus(w, r, f.Status, "services/consent.html", d)
	}
	d.Challenge = id
	return s.render(w, r, "services/consent.html", d)
}

func (s *Server) uiConsentVerify(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	ch, _ := strconv.ParseInt(f.Get("challenge"), 10, 64)
	tok, err := s.svc.VerifyLookup(r.Context(), ch, f.Get("code"))
	if err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderStatus(w, r, f.Status, "services/consent.html", consentPageData{Form: f, Challenge: ch, Demo: s.outbox != nil})
	}
	http.SetCookie(w, &http.Cookie{Name: subjectCookie, Value: tok, Path: "/consent", MaxAge: int(sqlstore.ConsentSessionTTL.Seconds()),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/consent", http.StatusSeeOther)
	return nil
}

func (s *Server) uiConsentRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.db.RevokeConsent(r.Context(), subjectToken(r), id); err != nil {
		return err
	}
	return s.redirectFlash(w, r, "/consent", "ok", T(uiLang(r), "consent.revoked"))
}

// uiConsentConfirm: the subject confirms a pending grant with its code.
func (s *Server) uiConsentConfirm(w http.ResponseWriter, r *http.Request) error {
	d := consentPageData{Form: emptyForm(), Demo: s.outbox != nil}
	if r.Method == http.MethodPost {
		f, err := newForm(r)
		if err != nil {
			return err
		}
		d.Form = f
		id, _ := strconv.ParseInt(f.Get("consent"), 10, 64)
		c, err := s.db.ConfirmConsent(r.Context(), id, f.Get("code"))
		if err != nil {
			if ferr := f.fail(uiLang(r), err); ferr != nil {
				return ferr
			}
			return s.renderStatus(w, r, f.Status, "services/confirm.html", d)
		}
		d.Confirmed = c
	}
	return s.render(w, r, "services/confirm.html", d)
}

type outboxData struct {
	Notes    []dataservice.OutboxMessage
	Messages []dataservice.OutboxMessage
}

// uiDemoOutbox shows what the demo's identity service "sent": one-time
// codes and the demo consumer keys (demo mode only).
func (s *Server) uiDemoOutbox(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "services/outbox.html", outboxData{Notes: s.outbox.Notes(), Messages: s.outbox.Outbox()})
}

// DemoVerifier is the demo's outbox verifier (nil outside demo mode): the
// demo seeding delivers its consent codes and announces its keys there.
func (s *Server) DemoVerifier() *dataservice.DemoVerifier { return s.outbox }
