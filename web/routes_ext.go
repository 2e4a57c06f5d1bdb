package web

// Each capability registers its API routes and pages in its own files
// (catalogRoutes in catalog_api.go, reviewRoutes in review_api.go,
// domainRoutes in domain_api.go, sandboxRoutes in sandbox_api.go,
// outputRoutes in output_api.go); this is where they join. apiRoutes calls
// it once from New, before the route table is handed to the mux.
func (s *Server) capabilityRoutes() {
	s.catalogRoutes()
	s.reviewRoutes()
	s.domainRoutes()
	s.sandboxRoutes()
	s.outputRoutes()
	s.portalRoutes()
	s.oversightRoutes()
	s.checklistRoutes()
	s.providerRoutes()
	s.riskopsRoutes()
	s.supervisionRoutes()
	s.authorizationRoutes()
	s.servicesRoutes()
	s.moneyRoutes()
}
