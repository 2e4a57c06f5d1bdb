package web

// outputRoutes registers the output-check capability's API routes and pages.
func (s *Server) outputRoutes() {}
