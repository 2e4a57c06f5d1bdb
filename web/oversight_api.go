package web

import (
	"context"
	"fmt"
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

	s.expertRoutes()

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
	List    *listView // the list component's bar
	Marks   []*shuyu.SecretMark
	Classes []shuyu.SecretClass
}

func (s *Server) uiSecrets(w http.ResponseWriter, r *http.Request) error {
	return s.secretsRender(w, r, emptyForm())
}

func (s *Server) secretsRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.SecretMarks(r.Context(), uiActor(r), 0, false)
	if err != nil {
		return err
	}
	marks, lv, exported, err := secretsList(w, r, all)
	if exported || err != nil {
		return err
	}
	return s.renderStatus(w, r, f.Status, "oversight/secrets.html", secretsData{Form: f, Marks: marks, List: lv, Classes: shuyu.SecretClasses})
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

// expertRoutes: the expert committee (R7.1). The operator and the authority
// refer a case; the named experts read it and give signed opinions; the
// deciders read the opinions on the case (?case_kind=&case_id=).
func (s *Server) expertRoutes() {
	s.handle("GET", "/api/v1/expert/referrals", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.ExpertReferral, error) {
		id, err := queryInt(q, "case_id")
		if err != nil {
			return nil, err
		}
		return s.db.ExpertReferrals(ctx, a, q.Get("case_kind"), id)
	}))
	s.handle("POST", "/api/v1/expert/referrals", create(s.actor, s.db.ReferCase))
	s.handle("GET", "/api/v1/expert/referrals/{id}", onObject(s.actor, s.db.ExpertReferral))
	s.handle("POST", "/api/v1/expert/referrals/{id}/opinions", createOnObject(s.actor, s.db.GiveOpinion))
	s.handle("POST", "/api/v1/expert/referrals/{id}/withdraw", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in secretLift) (*shuyu.ExpertReferral, error) {
		return s.db.WithdrawReferral(ctx, a, id, in.Reason)
	}))

	s.page("GET /expert/referrals", pageOpts{Nav: "nav.expert.referrals", Group: "nav.group.review", Order: 70,
		Action: shuyu.ActExpertList, Desc: "nav.expert.referrals.desc"}, s.uiReferrals)
	s.page("POST /expert/referrals", pageOpts{Action: shuyu.ActExpertRefer}, s.uiRefer)
	s.page("GET /expert/referrals/{id}", pageOpts{Action: shuyu.ActExpertList}, s.uiReferral)
	s.page("POST /expert/referrals/{id}/opinion", pageOpts{Action: shuyu.ActExpertList}, s.uiOpinion)
	s.page("POST /expert/referrals/{id}/withdraw", pageOpts{Action: shuyu.ActExpertWithdraw}, s.uiReferralWithdraw)
}

type referralsData struct {
	Form      *uiForm
	Referrals []*shuyu.ExpertReferral
	List      *listView // the list component's bar
	Experts   []shuyu.ExpertMember
	Kinds     []string
}

func (s *Server) uiReferrals(w http.ResponseWriter, r *http.Request) error {
	return s.referralsRender(w, r, emptyForm())
}

func (s *Server) referralsRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	a := uiActor(r)
	q := r.URL.Query()
	caseID, err := queryInt(q, "case_id")
	if err != nil {
		return err
	}
	all, err := s.db.ExpertReferrals(r.Context(), a, q.Get("case_kind"), caseID)
	if err != nil {
		return err
	}
	list, lv, exported, err := referralsList(w, r, all)
	if exported || err != nil {
		return err
	}
	d := referralsData{Form: f, Referrals: list, List: lv, Kinds: shuyu.ExpertCaseKinds}
	if shuyu.Can(a, shuyu.ActExpertRefer, shuyu.Resource{}) {
		if d.Experts, err = s.db.Experts(r.Context(), a); err != nil {
			return err
		}
	}
	return s.renderStatus(w, r, f.Status, "oversight/referrals.html", d)
}

func (s *Server) uiRefer(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	in := shuyu.ReferralInput{CaseKind: f.Get("case_kind"), Title: f.Get("title"), Questions: f.Get("questions"),
		Blocking: f.Get("blocking") == "on"}
	in.CaseID, _ = strconv.ParseInt(strings.TrimSpace(f.Get("case_id")), 10, 64)
	for _, v := range f.Values["experts"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Experts = append(in.Experts, n)
		}
	}
	ref, err := s.db.ReferCase(r.Context(), uiActor(r), in)
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.referralsRender(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/expert/referrals/%d", ref.ID), "ok", T(lang, "expert.referred"))
}

type referralData struct {
	Form     *uiForm
	Referral *shuyu.ExpertReferral
	Member   bool
	Answered bool // the viewer has given an opinion
	Results  []string
}

func (s *Server) uiReferral(w http.ResponseWriter, r *http.Request) error {
	return s.referralRender(w, r, emptyForm())
}

func (s *Server) referralRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := uiActor(r)
	ref, err := s.db.ExpertReferral(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := referralData{Form: f, Referral: ref, Member: ref.Member(a.UserID), Results: shuyu.OpinionConclusions}
	for _, o := range ref.Opinions {
		if o.ExpertID == a.UserID {
			d.Answered = true
		}
	}
	return s.renderStatus(w, r, f.Status, "oversight/referral.html", d)
}

func (s *Server) uiOpinion(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	_, err = s.db.GiveOpinion(r.Context(), uiActor(r), id, shuyu.OpinionInput{Conclusion: f.Get("conclusion"),
		Opinion: f.Get("opinion"), Password: f.Get("password")})
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.referralRender(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/expert/referrals/%d", id), "ok", T(lang, "expert.opinion.signed"))
}

func (s *Server) uiReferralWithdraw(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	if _, err := s.db.WithdrawReferral(r.Context(), uiActor(r), id, f.Get("reason")); err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.referralRender(w, r, f)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/expert/referrals/%d", id), "ok", T(lang, "expert.withdrawn"))
}
