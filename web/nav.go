package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"

	"shuyu"
	"shuyu/sqlstore"
)

// pageOpts describes a page route for the menu, the home page and the
// access check. Capabilities register their pages with s.page from their
// own files; the menu is derived from the registered pages and the policy,
// so no shared file lists them.
type pageOpts struct {
	// Nav is the i18n key of the menu label; empty keeps the page out of
	// the menu (forms, detail pages, POST handlers).
	Nav string
	// Group is the i18n key of the menu group ("nav.group.data"); see
	// navGroupOrder for the known groups.
	Group string
	// Order sorts items within a group (then registration order).
	Order int
	// Action is the policy action on the collection (shuyu.Resource{})
	// that a user needs to open the page and to see its menu item. Empty
	// means any logged-in user.
	Action shuyu.Action
	// AnyOf widens Action: the page is open to a user who may do any of
	// these actions (e.g. the audit page for readers and verifiers).
	AnyOf []shuyu.Action
	// Public pages need no login (the login page, the public catalog).
	Public bool
	// CatalogCached keeps the page's answers to anonymous visitors for one
	// catalog generation (catalog_cache.go): only for public pages that
	// show nothing but the published catalog.
	CatalogCached bool
	// Desc is the i18n key of a one-line description; a menu item with a
	// Desc also appears as a card on the home page.
	Desc string
	// Count, when set, puts a counter on the page's home card, e.g.
	// "待审核 3" with CountLabel "home.count.pending" = "待审核 %d". An
	// error hides the counter (and is logged); zero shows nothing.
	Count      func(ctx context.Context, a *shuyu.Actor) (int, error)
	CountLabel string
}

// navGroupOrder is the order of the menu groups; a group not listed here
// comes after these, ordered by key.
var navGroupOrder = []string{"nav.group.work", "nav.group.data", "nav.group.review", "nav.group.dev",
	"nav.group.supervise", "nav.group.admin", "nav.group.audit", "nav.group.system", "nav.group.account"}

type pageEntry struct {
	method, path string
	opts         pageOpts
	seq          int
}

// uiState is the per-server UI registry (Server.ui).
type uiState struct {
	mu    sync.RWMutex
	pages []pageEntry
}

func uiOf(s *Server) *uiState { return s.ui }

// page registers an HTML page: pattern is "METHOD /path" as for
// http.ServeMux. The handler runs after the login check (unless Public)
// and the Action check, with the session and language in the request
// context (uiSession, uiLang). Errors it returns are rendered as a page:
// a 401 redirects to /login?next=…, others show the Chinese message with
// the status.
func (s *Server) page(pattern string, o pageOpts, h handlerFunc) {
	method, p, ok := strings.Cut(pattern, " ")
	if !ok || strings.HasPrefix(p, "/api/") {
		panic("web: page pattern must be \"METHOD /path\" outside /api/: " + pattern)
	}
	st := uiOf(s)
	st.mu.Lock()
	st.pages = append(st.pages, pageEntry{method: method, path: p, opts: o, seq: len(st.pages)})
	st.mu.Unlock()
	ph := s.pageHandler(o, h)
	if o.CatalogCached {
		ph = s.catalogCached("page "+p, ph)
	}
	s.handlePage(method, p, ph)
}

type sessionKey struct{}

// uiSession returns the session of a page request (nil on a public page
// whose visitor is not logged in).
func uiSession(r *http.Request) *sqlstore.Session {
	sess, _ := r.Context().Value(sessionKey{}).(*sqlstore.Session)
	return sess
}

// uiActor returns the actor of a page request, or nil.
func uiActor(r *http.Request) *shuyu.Actor {
	if sess := uiSession(r); sess != nil {
		return sess.Actor
	}
	return nil
}

func (s *Server) pageHandler(o pageOpts, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s.setLangCookie(w, r)
		ctx := context.WithValue(r.Context(), langKey{}, uiLang(r))
		r = r.WithContext(ctx)
		var sess *sqlstore.Session
		var err error
		if o.Public {
			// A public page still knows its visitor, for the header.
			if tok, _ := bearer(r); tok != "" {
				if ss, e := s.db.Authenticate(ctx, tok); e == nil && !ss.Restricted {
					ss.Token = tok
					sess = ss
				}
			}
		} else if sess, err = s.session(r); err == nil {
			if !pageAllowed(sess.Actor, o) {
				err = shuyu.Errorf(shuyu.EFORBIDDEN, "您的角色无权访问此页面 (your role may not open this page)")
			}
		}
		if sess != nil {
			r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
		}
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			// Rendered here rather than by the adapter so that the error
			// page has the session (menu, user) of this request.
			s.pageError(w, r, err)
		}
		return nil
	}
}

func pageAllowed(a *shuyu.Actor, o pageOpts) bool {
	if o.Action == "" && len(o.AnyOf) == 0 {
		return true
	}
	if o.Action != "" && shuyu.Can(a, o.Action, shuyu.Resource{}) {
		return true
	}
	for _, act := range o.AnyOf {
		if shuyu.Can(a, act, shuyu.Resource{}) {
			return true
		}
	}
	return false
}

// navItem and navGroup are the menu as templates see it.
type navItem struct {
	Key, Label, Path, Desc string
	Active                 bool
	entry                  *pageEntry
}

type navGroup struct {
	Key, Label string
	Items      []navItem
}

// navFor builds the menu of actor: the GET pages with a Nav label that the
// actor's roles may open, grouped and ordered.
func (s *Server) navFor(a *shuyu.Actor, lang, current string) []navGroup {
	if a == nil {
		return nil
	}
	st := uiOf(s)
	st.mu.RLock()
	pages := slices.Clone(st.pages)
	st.mu.RUnlock()
	slices.SortStableFunc(pages, func(x, y pageEntry) int {
		if gx, gy := groupRank(x.opts.Group), groupRank(y.opts.Group); gx != gy {
			return gx - gy
		}
		if x.opts.Group != y.opts.Group { // unknown groups: by key
			return strings.Compare(x.opts.Group, y.opts.Group)
		}
		if x.opts.Order != y.opts.Order {
			return x.opts.Order - y.opts.Order
		}
		return x.seq - y.seq
	})
	var out []navGroup
	for i := range pages {
		p := &pages[i]
		if p.method != http.MethodGet || p.opts.Nav == "" {
			continue
		}
		if !pageAllowed(a, p.opts) {
			continue
		}
		path := strings.TrimSuffix(p.path, "{$}")
		it := navItem{Key: p.opts.Nav, Label: T(lang, p.opts.Nav), Path: path, entry: p,
			Active: current == path || path != "/" && strings.HasPrefix(current, path+"/")}
		if p.opts.Desc != "" {
			it.Desc = T(lang, p.opts.Desc)
		}
		if n := len(out); n == 0 || out[n-1].Key != p.opts.Group {
			out = append(out, navGroup{Key: p.opts.Group, Label: T(lang, p.opts.Group)})
		}
		g := &out[len(out)-1]
		g.Items = append(g.Items, it)
	}
	// Only the longest matching path is active: on /catalog/mine the item
	// "my entries" lights up, not also its parent "catalog".
	var best *navItem
	for gi := range out {
		for ii := range out[gi].Items {
			it := &out[gi].Items[ii]
			if it.Active && (best == nil || len(it.Path) > len(best.Path)) {
				if best != nil {
					best.Active = false
				}
				best = it
			} else if it.Active {
				it.Active = false
			}
		}
	}
	return out
}

func groupRank(g string) int {
	if i := slices.Index(navGroupOrder, g); i >= 0 {
		return i
	}
	return len(navGroupOrder)
}
