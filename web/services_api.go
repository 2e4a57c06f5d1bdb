package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/sqlstore"
)

// servicesDomainRoutes registers the API-service routes that run in the
// data domain (R28.4): defining a service compiles its template against the
// workspace, the check examines it, a call runs it. They live under
// /api/v1/services, which a server without the domain forwards to its owner
// (domain_forward.go). The public list and the store-only routes (keys,
// usage, flags, consents) are in servicesRoutes.
func (s *Server) servicesDomainRoutes() {
	s.handle("GET", "/api/v1/services", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]publicService, error) {
		list, err := s.db.PublicServices(ctx)
		return publicServices(list), err
	}))
	s.handle("POST", "/api/v1/services", create(s.actor, s.svc.Define))
	s.handle("GET", "/api/v1/services/mine", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.APIService, error) {
		return s.db.Services(ctx, a)
	}))
	s.handle("GET", "/api/v1/services/{id}", onObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64) (*shuyu.APIService, error) {
		return s.db.ServiceFor(ctx, a, shuyu.ActServiceRead, id)
	}))
	s.handle("POST", "/api/v1/services/{id}/request", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ noBody) (*shuyu.APIService, error) {
		return s.svc.Request(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/services/{id}/filing", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		bodyMayBeEmpty
		FilingNo string `json:"filing_no"`
	}) (*shuyu.APIService, error) {
		return s.db.FileService(ctx, a, id, in.FilingNo)
	}))
	s.handle("POST", "/api/v1/services/{id}/keys", createOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		bodyMayBeEmpty
		Label string `json:"label"`
	}) (*sqlstore.IssuedKey, error) {
		return s.db.IssueServiceKey(ctx, a, id, in.Label)
	}))
	// The call: authenticated by the service key, not by a session.
	s.handle("POST", "/api/v1/services/{id}/call", jsonRoute[serviceCallBody, *dataservice.Answer](http.StatusOK, s.apiServiceCall))
}

// serviceCallBody is a call's parameters by name.
type serviceCallBody struct {
	Params map[string]string `json:"params"`
}

func (s *Server) apiServiceCall(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := decodeInput[serviceCallBody](r)
	if err != nil {
		return err
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	out, err := s.svc.Call(r.Context(), strings.TrimSpace(token), id, in.Params)
	if err != nil {
		return err
	}
	return answer(w, http.StatusOK, out)
}

// publicService is what anyone sees of a filed service: who offers it, what
// it asks and what it answers — never its workspace, sources or limits'
// use.
type publicService struct {
	ID          int64                 `json:"id"`
	Name        string                `json:"name"`
	Provider    string                `json:"provider"`
	Description string                `json:"description"`
	Scenario    string                `json:"scenario"`
	Consent     bool                  `json:"consent"`
	Status      string                `json:"status"`
	FilingNo    string                `json:"filing_no"`
	FiledAt     *time.Time            `json:"filed_at,omitempty"`
	Params      []shuyu.ServiceParam  `json:"params"`
	Outputs     []publicServiceOutput `json:"outputs"`
	QuotaDay    int                   `json:"quota_day"`
}

// publicServiceOutput is one field of the answer and its possible values.
type publicServiceOutput struct {
	Name   string   `json:"name"`
	Label  string   `json:"label"`
	Kind   string   `json:"kind"`
	Values []string `json:"values"`
}

func publicServices(list []*shuyu.APIService) []publicService {
	out := make([]publicService, 0, len(list))
	for _, sv := range list {
		p := publicService{ID: sv.ID, Name: sv.Name, Provider: sv.OrgName, Description: sv.Description, Scenario: sv.Scenario,
			Consent: sv.Consent, Status: sv.Status, FilingNo: sv.FilingNo, FiledAt: sv.FiledAt, Params: sv.Template.Params,
			QuotaDay: sv.QuotaDay, Outputs: []publicServiceOutput{}}
		for _, o := range sv.Template.Outputs {
			po := publicServiceOutput{Name: o.Name, Label: o.Label, Kind: o.Kind}
			switch o.Kind {
			case shuyu.OutputMatch:
				po.Values = []string{"true", "false"}
			case shuyu.OutputBand:
				po.Values = append(append([]string{}, o.Labels...), shuyu.NoRecord)
			case shuyu.OutputCategory:
				for _, g := range o.Groups {
					po.Values = append(po.Values, g.Label)
				}
				po.Values = append(po.Values, "其他", shuyu.NoRecord)
			}
			p.Outputs = append(p.Outputs, po)
		}
		out = append(out, p)
	}
	return out
}

// servicesRoutes registers the store-side routes of API services and data-
// subject authorization: keys, usage and calls (R28.4), anomaly flags
// (reconstruction control), consents (R28.5) and the subject's public
// routes, which authenticate by one-time code and a subject session.
func (s *Server) servicesRoutes() {
	s.servicesDomainRoutes()
	s.handle("GET", "/api/v1/service-keys", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.ServiceKey, error) {
		return s.db.ServiceKeys(ctx, a)
	}))
	s.handle("POST", "/api/v1/service-keys/{id}/block", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reasonBody) (*shuyu.ServiceKey, error) {
		return s.db.BlockServiceKey(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/service-usage", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]shuyu.ServiceUsage, error) {
		return s.db.ServiceUsage(ctx, a)
	}))
	s.handle("GET", "/api/v1/service-calls", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]shuyu.ServiceCall, error) {
		return s.db.ServiceCalls(ctx, a, 200)
	}))
	s.handle("GET", "/api/v1/service-flags", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]shuyu.ServiceFlag, error) {
		return s.db.ServiceFlags(ctx, a)
	}))
	s.handle("POST", "/api/v1/service-flags/{id}/decision", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}) (*shuyu.ServiceFlag, error) {
		return s.db.DecideServiceFlag(ctx, a, id, in.Decision, in.Reason)
	}))
	s.handle("GET", "/api/v1/consents", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.Consent, error) {
		return s.db.Consents(ctx, a)
	}))
	s.handle("POST", "/api/v1/consents", create(s.actor, s.svc.RequestConsent))
	s.handle("POST", "/api/v1/public/consents/{id}/confirm", commandOnObject(nobody, func(ctx context.Context, _ *shuyu.Actor, id int64, in codeBody) (*shuyu.Consent, error) {
		return s.db.ConfirmConsent(ctx, id, strings.TrimSpace(in.Code))
	}))
	s.handle("POST", "/api/v1/public/consents/lookup", create(nobody, func(ctx context.Context, _ *shuyu.Actor, in dataservice.Subject) (*lookupStarted, error) {
		id, err := s.svc.StartLookup(ctx, in)
		return &lookupStarted{Challenge: id}, err
	}))
	s.handle("POST", "/api/v1/public/consents/lookup/{id}/verify", commandOnObject(nobody, func(ctx context.Context, _ *shuyu.Actor, id int64, in codeBody) (*subjectSession, error) {
		tok, err := s.svc.VerifyLookup(ctx, id, in.Code)
		return &subjectSession{Token: tok, ExpiresIn: int(sqlstore.ConsentSessionTTL.Seconds())}, err
	}))
	s.handle("GET", "/api/v1/public/consents/mine", jsonRoute[noBody, *sqlstore.SubjectView](http.StatusOK, func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.db.SubjectConsents(r.Context(), subjectToken(r))
		if err != nil {
			return err
		}
		return answer(w, http.StatusOK, v)
	}))
	s.handle("POST", "/api/v1/public/consents/{id}/revoke", jsonRoute[noBody, *shuyu.Consent](http.StatusOK, func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		c, err := s.db.RevokeConsent(r.Context(), subjectToken(r), id)
		if err != nil {
			return err
		}
		return answer(w, http.StatusOK, c)
	}))
	s.servicesPages()
}

// codeBody carries a one-time code.
type codeBody struct {
	Code string `json:"code"`
}

// lookupStarted names the code just sent to the subject's mobile.
type lookupStarted struct {
	Challenge int64 `json:"challenge"`
}

// subjectSession is a subject's session on the consent routes (header
// X-Subject-Token, or the page's cookie).
type subjectSession struct {
	Token     string `json:"token"`
	ExpiresIn int    `json:"expires_in"`
}

const subjectCookie = "shuyu_subject"

func subjectToken(r *http.Request) string {
	if t := r.Header.Get("X-Subject-Token"); t != "" {
		return t
	}
	if c, err := r.Cookie(subjectCookie); err == nil {
		return c.Value
	}
	return ""
}
