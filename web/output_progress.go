package web

import (
	"encoding/json"
	"net/http"

	"shuyu"
)

// The automatic output check runs in the background (issue 13: a check of
// a large product takes seconds to minutes and must not hold the page).
// Requesting output puts the product in "checking" and answers at once;
// the product page shows a progress bar that static/progress.js fills by
// polling GET /output/products/{id}/progress, and reloads the page when the
// check has ended. The progress is this server's memory: after a restart a
// product still "checking" says so and asks to be requested again (which
// checks it again, as output.Service.Request does).

// outputProgressView is what the progress endpoint answers and what the
// page shows before its first poll.
type outputProgressView struct {
	Status  string `json:"status"`  // the product's stored status
	Running bool   `json:"running"` // the page keeps polling while true
	Percent int    `json:"percent"`
	Label   string `json:"label"` // the stage, in the page's language
}

// outputProgress describes the check of p for lang.
func (s *Server) outputProgress(lang string, p *shuyu.Product) *outputProgressView {
	v := &outputProgressView{Status: p.StoredStatus}
	if p.StoredStatus != shuyu.ProductChecking {
		v.Percent, v.Label = 100, T(lang, "output.progress.done")
		return v
	}
	pr, ok := s.output.Progress(p.ID)
	if !ok || !pr.Running && pr.Stage != "done" {
		v.Label = T(lang, "output.progress.lost")
		if ok && pr.Error != "" {
			v.Label = Tf(lang, "output.progress.failed", uiMessage(lang, pr.Error))
		}
		return v
	}
	v.Running, v.Percent = pr.Running, pr.Percent
	switch pr.Stage {
	case "scan":
		v.Label = Tf(lang, "output.progress.scan", pr.Table, pr.Tables, pr.Rows, pr.TableRows)
	case "linkage":
		v.Label = Tf(lang, "output.progress.linkage", pr.Table, pr.Tables)
	default: // queued, index, record, done
		v.Label = T(lang, "output.progress."+pr.Stage)
	}
	return v
}

// uiOutputProgress answers the product page's poll: JSON, never cached;
// another merchant's product is absent (404) as on its page.
func (s *Server) uiOutputProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.ProductFor(r.Context(), uiActor(r), shuyu.ActProductRead, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(s.outputProgress(uiLang(r), p))
}

// outputRequest starts the automatic check in the background (the page's
// "request output" step); s.outputHold, set by tests only, holds the check
// until it is closed.
func (s *Server) outputRequest(r *http.Request, a *shuyu.Actor, id int64) (*shuyu.Product, error) {
	var wait func()
	if hold := s.outputHold; hold != nil {
		wait = func() { <-hold }
	}
	return s.output.RequestInBackground(r.Context(), a, id, wait)
}
