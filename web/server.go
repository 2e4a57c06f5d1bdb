// Package web serves the JSON API under /api/v1 (described by the OpenAPI
// document in openapi.json) and the HTML user interface (Chinese first).
// Every handler is a func(w, r) error behind one adapter that maps error
// codes to statuses; every handler that touches an object asks the one
// authorization policy, through the store.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"shuyu"
	"shuyu/dataservice"
	"shuyu/output"
	"shuyu/sqlstore"
	"shuyu/supply"
	"shuyu/vault"
	"shuyu/workspace"
)

// Config is what the server needs; main builds it and tests reuse it.
type Config struct {
	DB     *sqlstore.DB
	Vault  *vault.Domain // the sealed data domain (nil in tests that need none)
	Data   string        // the data directory
	Log    *slog.Logger
	Now    func() time.Time
	Demo   bool // show demo hints on the login page
	Secure bool // set the Secure flag on cookies always (TLS on, here or in front)
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed (web/edge.go).
	TrustedProxies []netip.Prefix
	Title          string // platform name shown in the UI
	// MaxBody caps JSON request bodies (uploads have their own caps).
	MaxBody int64
	// UploadMinRate (bytes/s) and UploadRateWindow: an upload body slower
	// than the rate over a window is cut off (web/upload_rate.go; 0: 8 KiB/s
	// over 30 s).
	UploadMinRate    int64
	UploadRateWindow time.Duration
	// Health sets the thresholds of /healthz.
	Health HealthOptions
	// DomainOwnerURL, on a server without the data domain (Vault nil,
	// `serve --domain=none`), is where domain work is forwarded
	// (web/domain_forward.go); DomainSecret authenticates the forwarding
	// server to the owner.
	// Empty: the live lease holder registered in the store, looked up
	// again every DomainOwnerRefresh (0: 5 s) and whenever it fails.
	DomainOwnerURL     string
	DomainOwnerRefresh time.Duration
	DomainSecret       string
	// DomainRole is "owner" or "none" (`serve --domain`); "none" sends
	// domain work to DomainOwnerURL, or refuses it with 503 without one.
	// Empty (tests that need no domain) routes nothing.
	DomainRole string
	// Verifier proves data subjects and delivers their one-time codes
	// (R28.5, dataservice.Verifier). Nil: the demo's outbox with Demo set,
	// otherwise consent codes cannot be sent (503).
	Verifier dataservice.Verifier
}

// Server is the HTTP front end.
type Server struct {
	cfg     Config
	db      *sqlstore.DB
	vault   *vault.Domain
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	ui      *uiState // pages registered for the menu and home cards
	// ws runs governed queries; one per server, shared by the workbench and
	// the product builder, so its per-workspace locks serialize both.
	ws *workspace.Service
	// output builds, checks and delivers products (package output).
	output *output.Service
	// outputHold, when set (tests), holds background output checks until
	// it is closed (output_progress.go).
	outputHold chan struct{}
	// supply runs supply jobs and reads what was supplied (package supply).
	supply *supply.Service
	// svc runs API services and data-subject authorization (package
	// dataservice); outbox is the demo verifier when there is one.
	svc    *dataservice.Service
	outbox *dataservice.DemoVerifier
	// catalogCache keeps anonymous answers of the public catalog for one
	// catalog generation (catalog_cache.go).
	catalogCache *catalogResponses
	// logins throttles login attempts per source (web/login_throttle.go).
	logins *loginThrottle
	// health keeps the slow checks' results for /healthz (health.go);
	// forward sends domain work to the domain owner (domain_forward.go).
	health  *healthState
	forward http.Handler
	owner   *ownerResolver
	// auditLinks: object kinds whose audit sentences link to a page
	// (audit_sentences.go, s.auditLink).
	auditLinks map[string]auditLinkTo
}

// handlerFunc is the shape of every handler.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one API or page route; the table lets a test keep the OpenAPI
// document and the routes in step.
type route struct {
	method, pattern string
	h               handlerFunc
	api             bool
	ep              endpoint // an API route's bodies (the handler is h)
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Title == "" {
		cfg.Title = "数域 · 公共数据运营平台"
	}
	cfg.Health.defaults()
	s := &Server{cfg: cfg, db: cfg.DB, vault: cfg.Vault, log: cfg.Log, mux: http.NewServeMux(), metrics: newMetrics(), ui: &uiState{},
		catalogCache: &catalogResponses{gen: -1}, health: &healthState{}}
	s.logins = newLoginThrottle(cfg.Now)
	s.forward = s.domainForwarder()
	s.ws = workspace.New(cfg.DB, cfg.Vault, cfg.Data, cfg.Now)
	s.output = output.New(cfg.DB, cfg.Vault, s.ws)
	s.supply = supply.New(cfg.DB, cfg.Vault, cfg.Data, cfg.Log)
	s.svc = dataservice.New(cfg.DB, cfg.Vault, s.ws, s.verifier(), cfg.Now)
	s.apiRoutes()
	s.pageRoutes()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.pattern, s.adapt(rt))
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /livez", s.livez)
	s.mux.HandleFunc("GET /metrics", s.metrics.serve)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, shuyu.Errorf(shuyu.ENOTFOUND, "没有这个接口 (no such endpoint: %s %s)", r.Method, r.URL.Path))
	})
	return s
}

// handle registers an API route with the bodies it reads and answers (see
// endpoint, web/jsonapi.go).
func (s *Server) handle(method, pattern string, ep endpoint) {
	if !strings.HasPrefix(pattern, "/api/") || ep.h == nil || len(ep.replies) == 0 {
		panic("web: handle is for API routes with their bodies: " + method + " " + pattern)
	}
	s.routes = append(s.routes, route{method: method, pattern: pattern, h: ep.h, api: true, ep: ep})
}

// handlePage registers a page or a static route (no OpenAPI description).
func (s *Server) handlePage(method, pattern string, h handlerFunc) {
	if strings.HasPrefix(pattern, "/api/") {
		panic("web: an API route needs its bodies: use handle: " + pattern)
	}
	s.routes = append(s.routes, route{method: method, pattern: pattern, h: h})
}

// Workspaces is the server's workspace service (cmd/shuyu runs its background jobs).
func (s *Server) Workspaces() *workspace.Service { return s.ws }

// Handler returns the root handler with the common middleware.
func (s *Server) Handler() http.Handler {
	return s.recoverer(s.withRequestInfo(s.domainRouting(s.securityHeaders(s.mux))))
}

// adapt turns a handlerFunc into an http.Handler: bodies are capped, errors
// are written in one format, and the route's outcome is counted.
func (s *Server) adapt(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		if r.Body != nil && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBody)
		}
		// Read timeouts are per request, not per server: every body must
		// arrive within bodyReadTimeout, except the domain's streaming
		// upload, which replaces this deadline with its minimum rate
		// (upload_rate.go) so a large file on a good line is never cut off.
		if r.ContentLength != 0 {
			http.NewResponseController(sw).SetReadDeadline(time.Now().Add(bodyReadTimeout))
		}
		if err := rt.h(sw, r); err != nil {
			if rt.api {
				s.writeError(sw, r, err)
			} else {
				s.pageError(sw, r, err)
			}
		}
		d := time.Since(start)
		s.metrics.observe(rt.method+" "+rt.pattern, sw.status, d)
		// One structured line per request: no bodies, no query values
		// (they may carry search terms or identifiers), only the route.
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("route", rt.method+" "+rt.pattern),
			slog.Int("status", sw.status), slog.Duration("duration", d),
			slog.String("request_id", shuyu.RequestInfoFrom(r.Context()).RequestID))
	})
}

// bodyReadTimeout bounds reading any request body but the domain upload's.
const bodyReadTimeout = 2 * time.Minute

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequestInfo gives each request an id (echoed in X-Request-Id) and
// records the client address for the audit trail and the login throttle:
// the peer, or what trusted proxies say it is (web/edge.go).
func (s *Server) withRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		e := s.edge(r)
		ip := r.RemoteAddr
		if e.client.IsValid() {
			ip = e.client.String()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), edgeKey{}, e)
		ctx = shuyu.WithRequestInfo(ctx, shuyu.RequestInfo{RequestID: id, ClientIP: ip})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		if s.secure(r) {
			h.Set("Strict-Transport-Security", hstsHeader)
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a logged 500 with the standard error body;
// it exists so that a bug never kills the process, not as a way to answer
// bad input (which every handler rejects with a 4xx).
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
