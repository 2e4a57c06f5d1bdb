package web

import (
	"fmt"
	"net/http"

	"shuyu"
)

// Texts the authority approves before use (R18.1, R19.1): the operator
// drafts a new version of the onboarding rules or of the format agreement
// template (the ten clauses), the authority reads and approves it, and the
// approved version replaces the one in force. The authority also records
// the end of the operator's authorization here (R13.1): no application may
// run past it.

func (s *Server) reviewuiDocuments(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	rules, err := s.db.Documents(r.Context(), a, shuyu.DocOnboardingRules)
	if err != nil {
		return err
	}
	tpls, err := s.db.Documents(r.Context(), a, shuyu.DocAgreementTemplate)
	if err != nil {
		return err
	}
	return s.render(w, r, "review/documents.html", reviewuiData{Form: emptyForm(), Docs: rules, Templates: tpls})
}

func (s *Server) reviewuiDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	doc, err := s.db.Document(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	return s.render(w, r, "review/document.html", reviewuiData{Doc: doc})
}

// reviewuiDocumentNew starts a new version from the one in force (or the
// ten empty clauses of R19.1), so a revision edits rather than retypes.
func (s *Server) reviewuiDocumentNew(w http.ResponseWriter, r *http.Request) error {
	kind := r.URL.Query().Get("kind")
	if kind != shuyu.DocOnboardingRules && kind != shuyu.DocAgreementTemplate {
		return shuyu.Errorf(shuyu.ENOTFOUND, "文本类型不存在 (no such document kind)")
	}
	f := emptyForm()
	var clauses []shuyu.Clause
	cur, err := s.db.CurrentDocument(r.Context(), kind)
	switch {
	case err == nil:
		f.Values.Set("title", cur.Title)
		f.Values.Set("body", cur.Body)
		clauses = cur.Clauses
	case shuyu.ErrorCode(err) == shuyu.EINTERNAL:
		return err
	}
	return s.render(w, r, "review/document_new.html", reviewuiData{Form: f, Kind: kind, Clauses: reviewuiClauses(clauses, f)})
}

// reviewuiClauses lays out the ten clauses in R19.1's order, with the text
// submitted (clause_<key>) or else the text of base.
func reviewuiClauses(base []shuyu.Clause, f *uiForm) []shuyu.Clause {
	text := map[string]string{}
	for _, c := range base {
		text[c.Key] = c.Text
	}
	out := make([]shuyu.Clause, len(shuyu.ClauseKeys))
	for i, k := range shuyu.ClauseKeys {
		t := text[k]
		if v, ok := f.Values["clause_"+k]; ok && len(v) > 0 {
			t = v[0]
		}
		out[i] = shuyu.Clause{Key: k, Title: shuyu.ClauseTitles[k], Text: t}
	}
	return out
}

func (s *Server) reviewuiDocumentCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	doc := &shuyu.Document{Kind: f.Get("kind"), Title: f.Get("title")}
	var clauses []shuyu.Clause
	if doc.Kind == shuyu.DocAgreementTemplate {
		clauses = reviewuiClauses(nil, f)
		doc.Clauses = clauses
	} else {
		doc.Body = f.Get("body")
	}
	if err := s.db.CreateDocument(r.Context(), uiActor(r), doc); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		return s.renderStatus(w, r, f.Status, "review/document_new.html", reviewuiData{Form: f, Kind: doc.Kind, Clauses: clauses})
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/review/documents/%d", doc.ID), "ok", T(uiLang(r), "reviewui.doc.created"))
}

// reviewuiDocumentApprove: the authority approves a draft (R18.1, R19.1).
func (s *Server) reviewuiDocumentApprove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, err = s.db.ApproveDocument(r.Context(), uiActor(r), id)
	return s.reviewuiDone(w, r, fmt.Sprintf("/review/documents/%d", id), "reviewui.doc.approved", err)
}

// reviewuiAuthorizationTerm records the end of the operator's
// authorization (R13.1, R34.1).
func (s *Server) reviewuiAuthorizationTerm(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	err = s.db.SetAuthorizationEnd(r.Context(), uiActor(r), f.Get("end"), f.Get("reason"))
	return s.reviewuiDone(w, r, "/review/documents", "reviewui.term.saved", err)
}
