package web

// domainRoutes registers the domain capability's API routes and pages.
func (s *Server) domainRoutes() {}
