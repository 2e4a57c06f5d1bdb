package web

// catalogRoutes registers the catalog capability's API routes and pages.
func (s *Server) catalogRoutes() {}
