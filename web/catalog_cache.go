package web

import (
	"bytes"
	"net/http"
	"sync"
)

// catalogResponses keeps the public catalog's answers to anonymous
// visitors (the JSON of GET /api/v1/catalog and the HTML of GET /catalog)
// for one catalog generation. A request first reads the generation (one
// counter lookup, sqlstore.DB.CatalogGeneration); while it has not moved,
// the same query gets the same bytes without searching, counting facets,
// encoding or rendering again. Any change of the public catalog bumps the
// generation in its own transaction, so the next read after the commit
// misses and is computed afresh. It is a field of Server, created in New
// and dropped with it.
//
// Only anonymous requests are cached (no bearer token, no session cookie,
// no one-time flash message) and only answers that are 200 and set no
// cookie: a logged-in visitor's page carries their menu and name, and
// their reads go through the store's own cache of the same generation.
type catalogResponses struct {
	mu    sync.Mutex
	gen   int64
	items map[string]cachedResponse
	// busy holds the keys being computed: a miss that finds its key busy
	// waits for that answer instead of computing it again (after a change,
	// 64 visitors of /catalog render the page once, not 64 times).
	busy map[string]chan struct{}
}

type cachedResponse struct {
	contentType string
	body        []byte
}

// catalogResponseCap bounds the answers kept for one generation; past it
// they are dropped and filled again.
const catalogResponseCap = 1024

func (c *catalogResponses) get(gen int64, key string) (cachedResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return cachedResponse{}, false
	}
	r, ok := c.items[key]
	return r, ok
}

func (c *catalogResponses) put(gen int64, key string, r cachedResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.gen {
		return // computed before a newer generation was seen
	}
	if gen != c.gen || c.items == nil || len(c.items) >= catalogResponseCap {
		c.gen, c.items = gen, map[string]cachedResponse{}
	}
	c.items[key] = r
}

// claim marks key as being computed and returns a release function; if
// another request is computing it, it returns that request's done channel.
func (c *catalogResponses) claim(key string) (release func(), wait <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.busy[key]; ok {
		return nil, ch
	}
	if c.busy == nil {
		c.busy = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	c.busy[key] = ch
	return func() {
		c.mu.Lock()
		delete(c.busy, key)
		c.mu.Unlock()
		close(ch)
	}, nil
}

// responseRecorder buffers a handler's answer so that it can be kept.
type responseRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *responseRecorder) Header() http.Header { return rec.header }
func (rec *responseRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}
func (rec *responseRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}

// catalogCached serves h's answers to anonymous requests from the cache of
// the current catalog generation; kind separates the API from the page.
func (s *Server) catalogCached(kind string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if tok, _ := bearer(r); tok != "" || r.Header.Get("Authorization") != "" {
			return h(w, r)
		}
		if _, err := r.Cookie(flashCookie); err == nil {
			return h(w, r)
		}
		gen, err := s.db.CatalogGeneration(r.Context())
		if err != nil {
			return err
		}
		key := kind + "\x00" + uiLang(r) + "\x00" + r.URL.RawQuery
		for waited := false; ; waited = true {
			if c, ok := s.catalogCache.get(gen, key); ok {
				w.Header().Set("Content-Type", c.contentType)
				w.WriteHeader(http.StatusOK)
				_, err := w.Write(c.body)
				return err
			}
			if waited {
				break // the other request's answer was not kept: compute our own
			}
			release, wait := s.catalogCache.claim(key)
			if release != nil {
				defer release()
				break
			}
			select {
			case <-wait:
			case <-r.Context().Done():
				return r.Context().Err()
			}
		}
		rec := &responseRecorder{header: http.Header{}}
		if err := h(rec, r); err != nil {
			return err
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.status == http.StatusOK && len(rec.header.Values("Set-Cookie")) == 0 {
			s.catalogCache.put(gen, key, cachedResponse{contentType: rec.header.Get("Content-Type"), body: bytes.Clone(rec.body.Bytes())})
		}
		w.WriteHeader(rec.status)
		_, err = w.Write(rec.body.Bytes())
		return err
	}
}

// catalogCachedAPI is catalogCached for an API endpoint.
func (s *Server) catalogCachedAPI(ep endpoint) endpoint {
	ep.h = s.catalogCached("api", ep.h)
	return ep
}
