package web

import (
	"context"
	"net/url"

	"shuyu"
	"shuyu/sqlstore"
)

// catalogDemandRoutes: demand-driven expansion of the catalog (R9.1).
func (s *Server) catalogDemandRoutes() {
	s.handle("GET", "/api/v1/demands", onQuery(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) (*sqlstore.DemandList, error) {
		return s.db.Demands(ctx, a, shuyu.DemandStatus(q.Get("status")))
	}))
	s.handle("POST", "/api/v1/demands", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Scenario    string `json:"scenario"`
	}) (*shuyu.CatalogDemand, error) {
		dm := &shuyu.CatalogDemand{Title: in.Title, Description: in.Description, Scenario: in.Scenario}
		return dm, s.db.CreateDemand(ctx, a, dm)
	}))
	s.handle("GET", "/api/v1/demands/{id}", onObject(s.actor, s.db.Demand))
	s.handle("POST", "/api/v1/demands/{id}/route", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		OrgID int64  `json:"org_id"`
		Note  string `json:"note"`
	}) (*shuyu.CatalogDemand, error) {
		return s.db.RouteDemand(ctx, a, id, in.OrgID, in.Note)
	}))
	s.handle("POST", "/api/v1/demands/{id}/answer", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in struct {
		Status   shuyu.DemandStatus `json:"status"`
		Response string             `json:"response"`
		EntryID  int64              `json:"entry_id"`
	}) (*shuyu.CatalogDemand, error) {
		return s.db.AnswerDemand(ctx, a, id, in.Status, in.Response, in.EntryID)
	}))
}
