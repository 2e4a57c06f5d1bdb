package web

// Each capability registers its API routes and pages in its own files
// (catalogRoutes in api_catalog.go, reviewRoutes in api_review.go,
// domainRoutes in api_domain.go, sandboxRoutes in api_sandbox.go,
// outputRoutes in output_api.go); this is where they join. apiRoutes calls
// it once from New, before the route table is handed to the mux.
func (s *Server) capabilityRoutes() {
	s.catalogRoutes()
	s.reviewRoutes()
	s.domainRoutes()
	s.sandboxRoutes()
	s.outputRoutes()
}
