package web

// catalogPages registers the catalog's HTML pages (the public portal and
// the work pages of departments, authorities and the operator).
func (s *Server) catalogPages() {}
