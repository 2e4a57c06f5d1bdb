package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"shuyu"
	"shuyu/sqlstore"
)

// registryRoutes: registration (登记) of resources and products (NREG.1–8).
// Departments and the operator apply; the city authority is the stand-in
// registry; the public notice and the registered codes are public. Pages
// in registry_pages.go.
func (s *Server) registryRoutes() {
	s.handle("GET", "/api/v1/registry", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.RegistryRecord, error) {
		return s.db.Registries(ctx, a, q.Get("status"))
	}))
	s.handle("POST", "/api/v1/registry", create(s.actor, func(ctx context.Context, a *shuyu.Actor, in shuyu.RegistryInput) (*shuyu.RegistryRecord, error) {
		return s.db.SubmitRegistry(ctx, a, in)
	}))
	s.handle("GET", "/api/v1/registry/obligations", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, _ url.Values) ([]sqlstore.RegistryObligation, error) {
		return s.db.RegistryObligations(ctx, a)
	}))
	s.handle("GET", "/api/v1/registry/{id}", onObject(s.actor, s.db.Registry))
	s.handle("GET", "/api/v1/registry/{id}/evidence", onObject(s.actor, s.db.VerifyRegistryEvidence))
	s.handle("GET", "/api/v1/registry/{id}/export", jsonRoute[noBody, *sqlstore.RegistryPackage](http.StatusOK, s.apiRegistryExport).orFile(xlsxType))
	s.handle("POST", "/api/v1/registry/{id}/decide", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in registryDecision) (*shuyu.RegistryRecord, error) {
		return s.db.DecideRegistry(ctx, a, id, in.Step, in.Reason)
	}))
	s.handle("POST", "/api/v1/registry/{id}/supplement", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in shuyu.RegistryMaterials) (*shuyu.RegistryRecord, error) {
		return s.db.SupplementRegistry(ctx, a, id, in)
	}))
	s.handle("POST", "/api/v1/registry/{id}/objections", createOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in registryObjection) (*shuyu.RegistryObjection, error) {
		return s.db.ObjectRegistry(ctx, a, id, in.Text, in.Evidence)
	}))
	s.handle("POST", "/api/v1/registry/{id}/national-code", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in registryNationalCode) (*shuyu.RegistryRecord, error) {
		return s.db.RecordNationalCode(ctx, a, id, in.Code)
	}))
	s.handle("POST", "/api/v1/registry/{id}/revoke", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in registryRevocation) (*shuyu.RegistryRecord, error) {
		return s.db.RevokeRegistry(ctx, a, id, in.Reason)
	}))
	s.handle("GET", "/api/v1/public/registry", onCollection(nobody, func(ctx context.Context, _ *shuyu.Actor, _ url.Values) ([]shuyu.RegistryNotice, error) {
		return s.db.PublicRegistry(ctx)
	}))
	s.registryPages()
}

// registryDecision is a step of the registry: accept, request_material,
// refuse, pass, dismiss or uphold (an objection), with the reason.
type registryDecision struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
}

// registryNationalCode is the code received from the national registry
// (NREG.7).
type registryNationalCode struct {
	Code string `json:"code"`
}

// registryRevocation is the reason for revoking a registration for false
// materials (NREG.8).
type registryRevocation struct {
	Reason string `json:"reason"`
}

// registryObjection is a real-name objection with its evidence.
type registryObjection struct {
	Text     string `json:"text"`
	Evidence string `json:"evidence"`
}

// apiRegistryExport answers the export package as JSON, or as .xlsx with
// ?format=xlsx.
func (s *Server) apiRegistryExport(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.RegistryExport(r.Context(), a, id)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") != "xlsx" {
		writeJSON(w, http.StatusOK, p)
		return nil
	}
	b, err := sqlstore.RegistryXLSX(p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="registry-%d.xlsx"`, id))
	_, err = w.Write(b)
	return err
}
