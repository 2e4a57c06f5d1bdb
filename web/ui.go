package web

import (
	"net/http"
)

// pageRoutes registers the HTML pages. (Placeholder until the UI lands.)
func (s *Server) pageRoutes() {}

// pageError renders an error as a page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	http.Error(w, err.Error(), ErrorStatus(err))
}
