package web

import (
	"net/http"

	"shuyu/sqlstore"
)

// domainSuspendRoutes: suspension of supply by the authority (R27.3) and
// the non-public sources the operator connects (R26.1).
func (s *Server) domainSuspendRoutes() {
	s.handle("GET", "/api/v1/domain/suspensions", s.apiDomainSuspensions)
	s.handle("POST", "/api/v1/domain/suspensions", s.apiDomainSuspend)
	s.handle("POST", "/api/v1/domain/suspensions/{id}/resume", s.apiDomainResume)
	s.handle("GET", "/api/v1/domain/sources", s.apiDomainSources)
	s.handle("POST", "/api/v1/domain/sources", s.apiDomainConnect)
}

func (s *Server) apiDomainSuspensions(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	l, err := s.db.Suspensions(r.Context(), a, r.URL.Query().Get("active") != "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(l))
	return nil
}

// apiDomainSuspend records the suspension, then makes the vault agree at
// once: no query reads the data from this answer on (R27.3).
func (s *Server) apiDomainSuspend(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var in sqlstore.SuspendInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sus, err := s.db.Suspend(r.Context(), a, in)
	if err != nil {
		return err
	}
	if err := s.domainSyncVault(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sus)
	return nil
}

func (s *Server) apiDomainResume(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	sus, err := s.db.Resume(r.Context(), a, id, req.Reason)
	if err != nil {
		return err
	}
	if err := s.domainSyncVault(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sus)
	return nil
}

func (s *Server) apiDomainSources(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	l, err := s.db.Sources(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(l))
	return nil
}

func (s *Server) apiDomainConnect(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var in sqlstore.SourceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	src, err := s.db.ConnectSource(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, src)
	return nil
}
