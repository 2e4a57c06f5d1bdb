package web

import (
	"fmt"
	"net/http"

	"shuyu"
)

// The operator's side of onboarding (R18.2): the registration queue with
// each decision deadline (date and working days left, overdue first), one
// registration with its material and the actions its state allows, and
// the merchants list with suspension, resumption and exit.

func (s *Server) reviewuiRegistrations(w http.ResponseWriter, r *http.Request) error {
	filter := r.URL.Query().Get("status")
	regs, err := s.db.Registrations(r.Context(), uiActor(r), filter)
	if err != nil {
		return err
	}
	if filter == "" { // the queue: what is still to be handled
		open := regs[:0]
		for _, g := range regs {
			if reviewuiPending[g.Status] {
				open = append(open, g)
			}
		}
		regs = open
	}
	n := reviewuiSortQueue(regs)
	d := reviewuiData{Filter: filter, Overdue: n}
	var exported bool
	if d.Regs, d.List, exported, err = registrationsList(w, r, regs, "nav.reviewui.registrations", nil, "status"); exported || err != nil {
		return err
	}
	return s.render(w, r, "review/registrations.html", d)
}

func (s *Server) reviewuiRegistration(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	g, err := s.db.Registration(r.Context(), uiActor(r), id)
	if err != nil {
		return err
	}
	d := reviewuiData{Form: emptyForm(), Reg: g}
	if d.Checklist, err = s.db.ChecklistFormFor(r.Context(), uiActor(r), shuyu.ChecklistOnboarding, id); err != nil {
		return err
	}
	return s.render(w, r, "review/registration.html", d)
}

// reviewuiRegAction reads the form and the path id, runs fn and returns
// to the registration page with the outcome.
func (s *Server) reviewuiRegAction(w http.ResponseWriter, r *http.Request,
	fn func(a *shuyu.Actor, id int64, f *uiForm) (*shuyu.Registration, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	_, err = fn(uiActor(r), id, f)
	return s.reviewuiDone(w, r, fmt.Sprintf("/review/registrations/%d", id), "reviewui.saved", err)
}

// reviewuiRegAccept starts the 5-working-day clock (R18.2).
func (s *Server) reviewuiRegAccept(w http.ResponseWriter, r *http.Request) error {
	return s.reviewuiRegAction(w, r, func(a *shuyu.Actor, id int64, f *uiForm) (*shuyu.Registration, error) {
		return s.db.AcceptRegistration(r.Context(), a, id)
	})
}

func (s *Server) reviewuiRegMaterial(w http.ResponseWriter, r *http.Request) error {
	return s.reviewuiRegAction(w, r, func(a *shuyu.Actor, id int64, f *uiForm) (*shuyu.Registration, error) {
		return s.db.RequestMaterial(r.Context(), a, id, f.Get("reason"))
	})
}

// reviewuiRegDecide: registered, or not registered with reasons (R18.2).
func (s *Server) reviewuiRegDecide(w http.ResponseWriter, r *http.Request) error {
	return s.reviewuiRegAction(w, r, func(a *shuyu.Actor, id int64, f *uiForm) (*shuyu.Registration, error) {
		if answers, failed := checklistFromForm(f); len(answers) > 0 { // R17.1: the checklist decides
			return s.db.DecideRegistrationChecked(r.Context(), a, id, !failed, f.Get("reason"), answers)
		}
		switch f.Get("decision") {
		case "register":
			return s.db.DecideRegistration(r.Context(), a, id, true, f.Get("reason"))
		case "refuse":
			return s.db.DecideRegistration(r.Context(), a, id, false, f.Get("reason"))
		}
		return nil, shuyu.Errorf(shuyu.EINVALID, "请选择准予入驻或不予入驻 (choose a decision)")
	})
}

// reviewuiRegStatusChange suspends, resumes or ends a merchant; the store
// checks who may (the operator; a merchant only its own exit).
func (s *Server) reviewuiRegStatusChange(w http.ResponseWriter, r *http.Request) error {
	return s.reviewuiRegAction(w, r, func(a *shuyu.Actor, id int64, f *uiForm) (*shuyu.Registration, error) {
		return s.db.SetMerchantStatus(r.Context(), a, id, f.Get("event"), f.Get("reason"))
	})
}

// reviewuiMerchants lists the merchants that were registered: in force,
// suspended or exited.
func (s *Server) reviewuiMerchants(w http.ResponseWriter, r *http.Request) error {
	regs, err := s.db.Registrations(r.Context(), uiActor(r), "")
	if err != nil {
		return err
	}
	out := regs[:0]
	for _, g := range regs {
		if g.Status == shuyu.RegRegistered || g.Status == shuyu.RegSuspended || g.Status == shuyu.RegExited {
			out = append(out, g)
		}
	}
	lang := uiLang(r)
	d := reviewuiData{}
	var exported bool
	states := []listFilter[*shuyu.Registration]{{Name: "status", Label: "review.status",
		Options: listOptions(lang, "reviewui.st.", shuyu.RegRegistered, shuyu.RegSuspended, shuyu.RegExited),
		Match:   func(g *shuyu.Registration, v string) bool { return g.Status == v }}}
	if d.Regs, d.List, exported, err = registrationsList(w, r, out, "nav.reviewui.merchants", states); exported || err != nil {
		return err
	}
	return s.render(w, r, "review/merchants.html", d)
}
