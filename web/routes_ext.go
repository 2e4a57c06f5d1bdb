package web

// Each capability registers its API routes and pages in its own files; the
// hooks below are where they join. (Capabilities not built yet have empty
// hooks in their own files.)
func (s *Server) capabilityRoutes() {
	s.catalogRoutes()
	s.reviewRoutes()
	s.domainRoutes()
	s.sandboxRoutes()
	s.outputRoutes()
}
