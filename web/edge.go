package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The edge of the server: who the client is and whether the request came
// over TLS. Both matter for security: the client address is what login
// throttling counts and what the audit trail records (R28.1, R29.1), and
// the Secure cookie flag and HSTS depend on the transport.
//
// X-Forwarded-For and X-Forwarded-Proto are believed only when the
// connection comes from an address in Config.TrustedProxies; from anyone
// else they are ignored, so a client cannot choose the address the trail
// records or escape its throttle by inventing a header.

// edgeKey carries the request's edge facts in its context.
type edgeKey struct{}

type edgeInfo struct {
	client netip.Addr // the real client as far as trusted proxies say
	https  bool       // TLS on this connection, or at a trusted proxy in front
}

func edgeOf(ctx context.Context) edgeInfo {
	e, _ := ctx.Value(edgeKey{}).(edgeInfo)
	return e
}

// ParseTrustedProxies parses --trusted-proxy values: CIDR prefixes or
// single addresses.
func ParseTrustedProxies(vals []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// remoteAddr parses the connection's peer address.
func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// edge works out the client and the transport. The client is the
// rightmost address of X-Forwarded-For that is not a trusted proxy (each
// proxy appends the address it saw, so everything left of the first
// untrusted hop may have been written by the client itself).
func (s *Server) edge(r *http.Request) edgeInfo {
	e := edgeInfo{client: remoteAddr(r), https: r.TLS != nil}
	if !e.client.IsValid() || !s.trusted(e.client) {
		return e
	}
	if p := r.Header.Values("X-Forwarded-Proto"); len(p) > 0 {
		// The nearest proxy's word counts: the last value it appended.
		parts := strings.Split(p[len(p)-1], ",")
		e.https = e.https || strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "https")
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: stop at the last address we could trust
		}
		e.client = a.Unmap()
		if !s.trusted(e.client) {
			break
		}
	}
	return e
}

// secure reports whether cookies of this response get the Secure flag:
// TLS is on (here or at a trusted proxy), or the operator said so.
func (s *Server) secure(r *http.Request) bool {
	return s.cfg.Secure || edgeOf(r.Context()).https
}

// hstsHeader: one year; browsers then refuse plain HTTP to this host.
const hstsHeader = "max-age=31536000"
