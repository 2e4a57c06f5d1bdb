package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/workday"
)

func urlPathEscape(s string) string { return url.PathEscape(s) }

func (s *Server) reviewRegistrationRoutes() {
	// Registering is public: a company registers (R18.2). The answer
	// carries the tracking token, shown once.
	s.handle("POST", "/api/v1/registrations", create(nobody, func(ctx context.Context, _ *shuyu.Actor, in sqlstore.RegistrationInput) (*registrationCreated, error) {
		g, token, err := s.db.SubmitRegistration(ctx, in)
		if err != nil {
			return nil, err
		}
		return &registrationCreated{Registration: g, Token: token}, nil
	}))
	s.handle("GET", "/api/v1/registrations", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.Registration, error) {
		return s.db.Registrations(ctx, a, q.Get("status"))
	}))
	s.handle("GET", "/api/v1/registrations/{id}", jsonRoute[noBody, *shuyu.Registration](http.StatusOK, s.apiRegistration))
	s.handle("POST", "/api/v1/registrations/{id}/files", upload[*shuyu.File](http.StatusCreated, s.apiRegistrationFile))
	s.handle("POST", "/api/v1/registrations/{id}/supplement", jsonRoute[registrationNote, *shuyu.Registration](http.StatusOK, s.apiRegistrationSupplement))
	s.handle("POST", "/api/v1/registrations/{id}/accept", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, _ reviewDecideBody) (*shuyu.Registration, error) {
		return s.db.AcceptRegistration(ctx, a, id)
	}))
	s.handle("POST", "/api/v1/registrations/{id}/request-material", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewDecideBody) (*shuyu.Registration, error) {
		return s.db.RequestMaterial(ctx, a, id, in.Reason)
	}))
	s.handle("POST", "/api/v1/registrations/{id}/decide", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in registrationDecision) (*shuyu.Registration, error) {
		return s.db.DecideRegistrationChecked(ctx, a, id, in.Register, in.Reason, in.Checklist)
	}))
	s.handle("POST", "/api/v1/registrations/{id}/status", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in reviewDecideBody) (*shuyu.Registration, error) {
		return s.db.SetMerchantStatus(ctx, a, id, in.Event, in.Reason)
	}))
	s.handle("GET", "/api/v1/merchant-reports", jsonRoute[noBody, *shuyu.MerchantReport](http.StatusOK, s.apiMerchantReport).orFile(xlsxType))
	s.handle("POST", "/api/v1/merchant-reports", jsonRoute[noBody, *shuyu.MerchantReport](http.StatusCreated, s.apiFileMerchantReport))
	s.handle("GET", "/api/v1/merchant-reports/filed", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]*shuyu.MerchantReport, error) {
		return s.db.MerchantReports(ctx, a)
	}))
}

// reviewDecideBody is the operator's input on a registration (an absent
// body is the zero input).
// registrationDecision is the onboarding decision (R18.2) with the filled
// checklist once a 进驻核查规范 is in force (R17.1).
type registrationDecision struct {
	Register  bool                    `json:"register"`
	Reason    string                  `json:"reason"`
	Checklist []shuyu.ChecklistAnswer `json:"checklist,omitempty"`
}

type reviewDecideBody struct {
	bodyMayBeEmpty
	Register bool   `json:"register"`
	Event    string `json:"event"` // suspend, resume, exit
	Reason   string `json:"reason"`
}

// apiRegistration answers the applicant (X-Registration-Token) or a
// signed-in reader.
func (s *Server) apiRegistration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var g *shuyu.Registration
	if tok := r.Header.Get("X-Registration-Token"); tok != "" {
		g, err = s.db.RegistrationByToken(r.Context(), id, tok)
	} else {
		a, aerr := s.actor(r)
		if aerr != nil {
			return aerr
		}
		g, err = s.db.Registration(r.Context(), a, id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) apiRegistrationFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	name, data, err := reviewUpload(r)
	if err != nil {
		return err
	}
	f, err := s.db.AddRegistrationFile(r.Context(), id, r.Header.Get("X-Registration-Token"), name, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

// registrationCreated answers a registration with its tracking token
// (sent as X-Registration-Token to follow it; shown once).
type registrationCreated struct {
	Registration *shuyu.Registration `json:"registration"`
	Token        string              `json:"token"`
}

// registrationNote is what an applicant adds when supplementing.
type registrationNote struct {
	Note string `json:"note"`
}

func (s *Server) apiRegistrationSupplement(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in registrationNote
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := s.db.SupplementRegistration(r.Context(), id, r.Header.Get("X-Registration-Token"), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func reviewPeriod(r *http.Request) (time.Time, time.Time, error) {
	from, e1 := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("from"), workday.Zone)
	to, e2 := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("to"), workday.Zone)
	if e1 != nil || e2 != nil {
		return from, to, shuyu.Errorf(shuyu.EINVALID, "from、to 须为 YYYY-MM-DD (bad period)")
	}
	return from, to.AddDate(0, 0, 1), nil // "to" is inclusive for people
}

// apiMerchantReport compiles the R18.3 report; format=xlsx downloads it.
func (s *Server) apiMerchantReport(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	from, to, err := reviewPeriod(r)
	if err != nil {
		return err
	}
	rep, err := s.db.MerchantReportFor(r.Context(), a, from, to)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") != "xlsx" {
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	b, err := sqlstore.MerchantReportXLSX(rep)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="merchant-report.xlsx"`)
	_, err = w.Write(b)
	return err
}

func (s *Server) apiFileMerchantReport(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	from, to, err := reviewPeriod(r)
	if err != nil {
		return err
	}
	rep, err := s.db.FileMerchantReport(r.Context(), a, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}
