package web

// sandboxRoutes registers the sandbox capability's API routes and pages.
func (s *Server) sandboxRoutes() {}
