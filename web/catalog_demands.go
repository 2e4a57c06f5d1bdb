package web

import (
	"net/http"

	"shuyu"
)

// Demand-driven expansion of the catalog (R9.1).

func (s *Server) apiDemands(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	list, err := s.db.Demands(r.Context(), a, shuyu.DemandStatus(r.URL.Query().Get("status")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) apiDemandCreate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	var in struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Scenario    string `json:"scenario"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	dm := &shuyu.CatalogDemand{Title: in.Title, Description: in.Description, Scenario: in.Scenario}
	if err := s.db.CreateDemand(r.Context(), a, dm); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, dm)
	return nil
}

func (s *Server) apiDemand(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	dm, err := s.db.Demand(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dm)
	return nil
}

func (s *Server) apiDemandRoute(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		OrgID int64  `json:"org_id"`
		Note  string `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	dm, err := s.db.RouteDemand(r.Context(), a, id, in.OrgID, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dm)
	return nil
}

func (s *Server) apiDemandAnswer(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Status   shuyu.DemandStatus `json:"status"`
		Response string             `json:"response"`
		EntryID  int64              `json:"entry_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	dm, err := s.db.AnswerDemand(r.Context(), a, id, in.Status, in.Response, in.EntryID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dm)
	return nil
}
