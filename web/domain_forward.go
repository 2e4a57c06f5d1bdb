package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"shuyu"
	"shuyu/sqlstore"
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
	// hdrDomainLease on a 503: the answering server does not hold the
	// domain ("not-owner") or lost its lease ("lost"); a forwarding server
	// then looks for the owner again.
	hdrDomainLease = "X-Shuyu-Domain-Lease"
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
// itself. Where it forwards is decided per request by s.owner: the
// --domain-owner URL when one was given, otherwise the live lease holder
// as registered in the store (ownerResolver below), so that after a
// fail-over (cmd/shuyu/failover.go) domain work reaches the new owner
// without a restart (R28.1).
func (s *Server) domainForwarder() http.Handler {
	if s.cfg.DomainRole != "none" {
		return nil
	}
	s.owner = newOwnerResolver(s.cfg, s.log)
	if s.owner == nil {
		return nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// A dead owner's host must not hold a request for the default 30 s
	// before the forwarder looks for the new one.
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			st := pr.In.Context().Value(forwardKey{}).(*forwardState)
			pr.SetURL(st.target)
			pr.Out.Host = pr.In.Host // links and redirects keep the address the client used
			pr.Out.Header.Set(hdrDomainSecret, s.cfg.DomainSecret)
			pr.Out.Header.Set(hdrClientIP, shuyu.RequestInfoFrom(pr.In.Context()).ClientIP)
			if edgeOf(pr.In.Context()).https {
				pr.Out.Header.Set(hdrClientHTTPS, "1")
			}
		},
		// A server that answers 503 saying it does not hold the domain
		// (anymore) is treated like an unreachable one: look again.
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get(hdrDomainLease) != "" {
				return errNotOwner
			}
			return nil
		},
		FlushInterval: 100 * time.Millisecond,
		ErrorHandler:  s.forwardFailed,
	}
}

// errNotOwner: the server forwarded to says it does not hold the domain.
var errNotOwner = errors.New("the server forwarded to does not hold the domain lease")

// forwardKey carries a forwarded request's state (forwardState).
type forwardKey struct{}

type forwardState struct {
	in      *http.Request // the request as received
	target  *url.URL      // where it was sent
	retried bool
}

// forwardDomain sends r to the current owner, or refuses it with 503 while
// there is none.
func (s *Server) forwardDomain(w http.ResponseWriter, r *http.Request) {
	target, why := s.owner.resolve(r.Context())
	if target == nil {
		w.Header().Set("Retry-After", "5")
		s.refuseDomain(w, r, why)
		return
	}
	st := &forwardState{in: r, target: target}
	s.forward.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardKey{}, st)))
}

// forwardFailed handles an owner that could not be reached or said it no
// longer holds the domain: the owner is looked up again at once, and a
// GET or HEAD — which nothing has been answered to yet and which changes
// nothing — is sent once more if the lease names another server now. Any
// other request answers 503 (the client tries again; it is not repeated
// behind its back).
func (s *Server) forwardFailed(w http.ResponseWriter, out *http.Request, err error) {
	st, _ := out.Context().Value(forwardKey{}).(*forwardState)
	if st == nil {
		s.refuseDomain(w, out, "数据域所在服务器暂时无法访问，请稍后再试 (the domain owner is unreachable: try again shortly)")
		return
	}
	r := st.in
	if r.Context().Err() != nil {
		return // the client went away: nothing to answer, nothing learnt
	}
	s.log.Warn("domain owner unreachable", "owner", st.target.String(), "err", err)
	s.owner.failed(st.target)
	if !st.retried && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if next, _ := s.owner.resolve(r.Context()); next != nil && next.String() != st.target.String() {
			s.forward.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardKey{}, &forwardState{in: r, target: next, retried: true})))
			return
		}
	}
	w.Header().Set("Retry-After", "5")
	owner := st.target.String()
	s.refuseDomain(w, r, "数据域所在服务器 "+owner+" 暂时无法访问，请稍后再试 (the domain owner "+owner+" is unreachable: try again shortly)")
}

// ownerResolver finds the domain owner for a forwarding server. With
// --domain-owner it is that URL, always. Otherwise it is the address of
// the live lease holder as the store registers it (sqlstore.LiveDomainOwner:
// an unexpired lease whose holder's servers row has the role owner at the
// same address), read again every `every` (a third of the lease term;
// every second while there is none), at once after the owner could not be
// reached or said it no longer holds the lease, and never more often than
// every minGap.
//
// What could redirect the forwarder: only a write to the store's
// domain_lease and servers rows. Whoever can write there — the database
// role the servers use, a database administrator, anyone holding the
// PostgreSQL password — can point every forwarding server at an address
// of their choosing, which would then receive the merchants' session
// cookies and tokens and the shared domain secret. No client request and
// no answer of another server can: the forwarder takes addresses from the
// store only, and only http(s) URLs without user information. Operators
// who do not trust the store's writers that far pin the owner with
// --domain-owner (and give up following a fail-over), or let the servers
// reach each other only over https with certificates the forwarder
// verifies (docs/operations.md).
type ownerResolver struct {
	static *url.URL
	db     *sqlstore.DB
	self   string // this server's id: it never forwards to itself
	every  time.Duration
	minGap time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu     sync.Mutex
	cur    *url.URL // nil: no live owner
	why    string   // the refusal while cur is nil
	readAt time.Time
	stale  bool
}

func newOwnerResolver(cfg Config, log *slog.Logger) *ownerResolver {
	o := &ownerResolver{db: cfg.DB, every: cfg.DomainOwnerRefresh, minGap: 250 * time.Millisecond, now: cfg.Now, log: log}
	if o.every <= 0 {
		o.every = 5 * time.Second
	}
	if cfg.DomainOwnerURL != "" {
		u, err := ownerURL(cfg.DomainOwnerURL)
		if err != nil {
			log.Error("domain owner URL unusable; domain work will be refused", "url", cfg.DomainOwnerURL, "err", err)
			return nil
		}
		o.static = u
		return o
	}
	if cfg.DB == nil {
		return nil
	}
	o.self, _ = cfg.DB.ServerID()
	return o
}

// ownerURL accepts an owner's address: http or https, a host, no user
// information.
func ownerURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("not an http(s) base URL: %q", s)
	}
	return u, nil
}

// noOwnerRecheck: while there is no owner, the store is read again at
// most this long after the last look.
const noOwnerRecheck = time.Second

const noOwnerMsg = "本服务器不持有数据域，目前也没有在线的数据域服务器（可能正在切换），请稍后再试 (this server does not hold the data domain, and no server holds it right now — a fail-over may be under way: try again shortly)"

// resolve is the owner's base URL, or nil and the refusal to answer.
func (o *ownerResolver) resolve(ctx context.Context) (*url.URL, string) {
	if o.static != nil {
		return o.static, ""
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	age := o.now().Sub(o.readAt)
	every := o.every
	if o.cur == nil && every > noOwnerRecheck {
		every = noOwnerRecheck // waiting for an owner: look more often
	}
	if !o.readAt.IsZero() && (age < o.minGap || !o.stale && age < every) {
		return o.cur, o.why
	}
	o.readAt, o.stale = o.now(), false
	l, err := o.db.LiveDomainOwner(ctx)
	var next *url.URL
	why := noOwnerMsg
	switch {
	case err != nil:
		o.log.Warn("domain owner lookup", "err", err)
		why = "暂时无法查询数据域所在服务器，请稍后再试 (the domain owner cannot be looked up right now: try again shortly)"
	case l == nil:
	case l.Owner == o.self:
		// This standby is taking the domain over and does not serve it yet.
		why = "本服务器正在接管数据域，请稍后再试 (this server is taking the data domain over: try again shortly)"
	default:
		if next, err = ownerURL(l.Addr); err != nil {
			o.log.Error("the domain owner registered an unusable address; domain work is refused", "owner", l.Owner, "addr", l.Addr, "err", err)
			next = nil
		}
	}
	if (next == nil) != (o.cur == nil) || next != nil && next.String() != o.cur.String() {
		o.log.Info("domain owner", "url", fmt.Sprint(next))
	}
	o.cur, o.why = next, why
	return o.cur, o.why
}

// failed marks target as not answering: the next resolve reads the store.
func (o *ownerResolver) failed(target *url.URL) {
	if o.static != nil {
		return
	}
	o.mu.Lock()
	if o.cur != nil && o.cur.String() == target.String() {
		o.stale = true
	}
	o.mu.Unlock()
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
			if secret != "" && s.cfg.DomainSecret != "" &&
				subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.DomainSecret)) == 1 {
				// Another server forwarded this here, believing this one
				// holds the domain (a standby before its takeover, a
				// former owner restarted): never forward twice — say so,
				// and it looks for the owner again.
				w.Header().Set(hdrDomainLease, "not-owner")
				s.refuseDomain(w, r, noOwnerMsg)
				return
			}
			if s.forward != nil {
				s.forwardDomain(w, r)
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

// markLeaseLost tells a forwarding server, on the answer to a write the
// lease fence refused, that this server no longer holds the domain.
func markLeaseLost(w http.ResponseWriter, err error) {
	if errors.Is(err, sqlstore.ErrLeaseLost) {
		w.Header().Set(hdrDomainLease, "lost")
	}
}
