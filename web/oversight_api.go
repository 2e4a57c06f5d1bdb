package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shuyu"
)

// oversightRoutes: supervision on live data, second half (issue 16).
// Secret marks (R2.1): a department marks its entries and fields, the
// authorities those of their region, and only the city authority lifts a
// mark; the refusals themselves are in the store (sqlstore/secret.go).
func (s *Server) oversightRoutes() {
	s.handle("GET", "/api/v1/secrets", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.SecretMark, error) {
		entry, err := queryInt(q, "entry")
		if err != nil {
			return nil, err
		}
		return s.db.SecretMarks(ctx, a, entry, q.Get("active") == "true")
	}))
	s.handle("POST", "/api/v1/catalog/{id}/secrets", createOnObject(s.actor, s.db.MarkSecret))
	s.handle("POST", "/api/v1/secrets/{id}/lift", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in secretLift) (*shuyu.SecretMark, error) {
		return s.db.LiftSecret(ctx, a, id, in.Reason)
	}))

	s.page("GET /oversight/secrets", pageOpts{Nav: "nav.oversight.secrets", Group: "nav.group.supervise", Order: 60,
		Action: shuyu.ActSecretRead, Desc: "nav.oversight.secrets.desc"}, s.uiSecrets)
	s.page("POST /oversight/secrets", pageOpts{Action: shuyu.ActSecretMark}, s.uiSecretMark)
	s.page("POST /oversight/secrets/{id}/lift", pageOpts{Action: shuyu.ActSecretLift}, s.uiSecretLift)
}

// secretLift is the body of a lift (解密): why, for the trail.
type secretLift struct {
	Reason string `json:"reason"`
}

// queryInt reads an optional positive integer query parameter (0 when
// absent); anything else is a 400.
func queryInt(q url.Values, name string) (int64, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, shuyu.Errorf(shuyu.EINVALID, "参数 %s 须为正整数 (%s must be a positive integer)", name, name)
	}
	return n, nil
}

type secretsData struct {
	Form    *uiForm
	Marks   []*shuyu.SecretMark
	Classes []shuyu.SecretClass
}

func (s *Server) uiSecrets(w http.ResponseWriter, r *http.Request) error {
	return s.secretsRender(w, r, emptyForm())
}

func (s *Server) secretsRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	marks, err := s.db.SecretMarks(r.Context(), uiActor(r), 0, false)
	if err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "oversight/secrets.html", secretsData{Form: f, Marks: marks, Classes: shuyu.SecretClasses})
}

func (s *Server) uiSecretMark(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	in := shuyu.SecretMarkInput{Field: f.Get("field"), Class: shuyu.SecretClass(f.Get("class")), Basis: f.Get("basis")}
	var m *shuyu.SecretMark
	e, err := s.db.DomainEntryByCode(r.Context(), strings.TrimSpace(f.Get("code")))
	if err == nil {
		m, err = s.db.MarkSecret(r.Context(), uiActor(r), e.ID, in)
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.secretsRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/oversight/secrets", "ok", Tf(lang, "oversight.secret.marked", m.EntryCode))
}

func (s *Server) uiSecretLift(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.db.LiftSecret(r.Context(), uiActor(r), id, f.Get("reason")); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.secretsRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/oversight/secrets", "ok", T(lang, "oversight.secret.lifted"))
}
