package web

// reviewRoutes registers the review capability's API routes and pages.
func (s *Server) reviewRoutes() {}
