package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"shuyu"
)

// Several servers on one PostgreSQL (docs/operations.md). The data domain
// (one DuckDB file, R4.2) is owned by exactly one process, started with
// `serve --domain=owner`; the others (`--domain=none`) open no domain. They
// serve everything that only needs the store themselves (catalog, review,
// registration, agreements, audit, administration), and forward domain
// work — the supply, the domain's pages, workspaces and governed queries,
// products and the output check — to the owner over HTTP. The merchant's
// cookie or token travels with the request (sessions live in the shared
// store), so the owner authenticates and authorizes the request exactly as
// if it had come directly: every server answers a merchant identically.
//
// The forwarding server adds the header X-Shuyu-Domain-Secret (the shared
// secret, `--domain-secret-file`) and X-Shuyu-Client-IP; the owner takes
// the client address for throttling and the audit trail from that header
// only when the secret matches, so no client can spoof its address by
// sending the header itself.

const (
	hdrDomainSecret = "X-Shuyu-Domain-Secret"
	hdrClientIP     = "X-Shuyu-Client-Ip"
	hdrClientHTTPS  = "X-Shuyu-Client-Https"
)

// domainPrefixes are the paths of domain work: the routes registered by
// domainRoutes, sandboxRoutes, outputRoutes and servicesDomainRoutes
// (TestDomainForward_PrefixesMatchDomainRoutes keeps them in step).
var domainPrefixes = []string{
	"/api/v1/domain/", "/api/v1/lineage/", "/api/v1/output/", "/api/v1/products",
	"/api/v1/queries/", "/api/v1/services", "/api/v1/workspaces",
	"/domain", "/output/", "/queries/", "/workspaces",
}

// domainExact are domain paths whose sub-paths are not (the public product
// list reads the output service; one public product is a store read).
var domainExact = []string{"/api/v1/public/products"}

// isDomainPath reports whether path is domain work.
func isDomainPath(path string) bool {
	for _, p := range domainExact {
		if path == p {
			return true
		}
	}
	for _, p := range domainPrefixes {
		if path == p || strings.HasPrefix(path, p) && (strings.HasSuffix(p, "/") || len(path) > len(p) && (path[len(p)] == '/' || path[len(p)] == '?')) {
			return true
		}
	}
	return false
}

// domainForwarder is the reverse proxy to the owner, or nil on the owner
// itself and on a server configured without an owner.
func (s *Server) domainForwarder() http.Handler {
	if s.cfg.DomainRole != "none" || s.cfg.DomainOwnerURL == "" {
		return nil
	}
	target, err := url.Parse(s.cfg.DomainOwnerURL)
	if err != nil || target.Host == "" {
		s.log.Error("domain owner URL unusable; domain work will be refused", "url", s.cfg.DomainOwnerURL)
		return nil
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // links and redirects keep the address the client used
			pr.Out.Header.Set(hdrDomainSecret, s.cfg.DomainSecret)
			pr.Out.Header.Set(hdrClientIP, shuyu.RequestInfoFrom(pr.In.Context()).ClientIP)
			if edgeOf(pr.In.Context()).https {
				pr.Out.Header.Set(hdrClientHTTPS, "1")
			}
		},
		FlushInterval: 100 * time.Millisecond,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Warn("domain owner unreachable", "owner", s.cfg.DomainOwnerURL, "err", err)
			s.refuseDomain(w, r, "数据域所在服务器 "+s.cfg.DomainOwnerURL+" 暂时无法访问，请稍后再试 (the domain owner "+s.cfg.DomainOwnerURL+" is unreachable: try again shortly)")
		},
	}
}

// domainRouting sends domain work to the owner on a server without the
// domain, and on the owner accepts the client address a forwarding server
// vouches for.
func (s *Server) domainRouting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := r.Header.Get(hdrDomainSecret)
		ip := r.Header.Get(hdrClientIP)
		https := r.Header.Get(hdrClientHTTPS) == "1"
		r.Header.Del(hdrDomainSecret)
		r.Header.Del(hdrClientIP)
		r.Header.Del(hdrClientHTTPS)
		if s.cfg.DomainRole == "none" && isDomainPath(r.URL.Path) {
			if s.forward != nil {
				s.forward.ServeHTTP(w, r)
				return
			}
			s.refuseDomain(w, r, "本服务器不持有数据域（--domain=none），请通过数据域所在的服务器访问此功能 (this server does not hold the data domain: use the domain owner server)")
			return
		}
		if secret != "" && s.cfg.DomainSecret != "" &&
			subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.DomainSecret)) == 1 {
			// The forwarding server is a trusted proxy: what it saw of the
			// client (address for throttling and the trail, TLS for
			// cookies) counts, as for --trusted-proxy (web/edge.go).
			if a, err := netip.ParseAddr(ip); err == nil {
				e := edgeOf(r.Context())
				e.client, e.https = a.Unmap(), e.https || https
				ri := shuyu.RequestInfoFrom(r.Context())
				ri.ClientIP = e.client.String()
				ctx := context.WithValue(r.Context(), edgeKey{}, e)
				r = r.WithContext(shuyu.WithRequestInfo(ctx, ri))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuseDomain answers 503 with a message naming the owner.
func (s *Server) refuseDomain(w http.ResponseWriter, r *http.Request, msg string) {
	err := shuyu.Errorf(shuyu.EUNAVAILABLE, "%s", msg)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, err)
		return
	}
	s.pageError(w, r, err)
}

// domainRole is the configured role, else "owner" with a domain and
// "none" without.
func (c Config) domainRole() string {
	switch {
	case c.DomainRole != "":
		return c.DomainRole
	case c.Vault != nil:
		return "owner"
	}
	return "none"
}
