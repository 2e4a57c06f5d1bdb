package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// Templates: templates/layout/*.html define the frame ("base") and
// templates/partials/*.html shared pieces; every other file is a page that
// defines "content" (and optionally "title" and "head"). A page is rendered
// by its path under templates/, e.g. s.render(w, r, "admin/users.html", data).

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type templateSet struct {
	pages map[string]*template.Template
	err   error
}

var templatesOnce = sync.OnceValue(func() *templateSet { return parseTemplates(templateFS) })

// templateFuncs are the helpers every template has besides the methods of
// view: the common ones, then each capability's, named here so that no
// file adds to them behind the reader's back.
func templateFuncs() template.FuncMap {
	m := template.FuncMap{
		"date":     func(t any) string { return fmtTime(t, "2006-01-02") },
		"datetime": func(t any) string { return fmtTime(t, "2006-01-02 15:04") },
		"seconds":  func(t any) string { return fmtTime(t, "2006-01-02 15:04:05") },
		"hex":      func(b []byte) string { return hex.EncodeToString(b) },
		"short":    shortHex,
		"join":     func(sep string, v any) string { return joinAny(sep, v) },
		"contains": containsAny,
		"str":      func(v any) string { return fmt.Sprint(v) },
		"add":      func(a, b int) int { return a + b },
	}
	for _, caps := range []template.FuncMap{catalogTemplateFuncs(), reviewTemplateFuncs(), reviewuiTemplateFuncs(), portalTemplateFuncs(),
		pullTemplateFuncs(), supervisionTemplateFuncs(), authorizationTemplateFuncs(), moneyTemplateFuncs(), checklistTemplateFuncs()} {
		for k, f := range caps {
			if _, dup := m[k]; dup {
				panic("web: template function " + k + " defined twice")
			}
			m[k] = f
		}
	}
	return m
}

func parseTemplates(fsys fs.FS) *templateSet {
	set := &templateSet{pages: map[string]*template.Template{}}
	base := template.New("base").Funcs(templateFuncs())
	for _, dir := range []string{"templates/layout/*.html", "templates/partials/*.html"} {
		if m, _ := fs.Glob(fsys, dir); len(m) > 0 {
			if _, err := base.ParseFS(fsys, dir); err != nil {
				set.err = fmt.Errorf("web: parse %s: %w", dir, err)
				return set
			}
		}
	}
	err := fs.WalkDir(fsys, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		if strings.HasPrefix(p, "templates/layout/") || strings.HasPrefix(p, "templates/partials/") {
			return nil
		}
		t, err := base.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(fsys, p); err != nil {
			return fmt.Errorf("web: parse %s: %w", p, err)
		}
		set.pages[strings.TrimPrefix(p, "templates/")] = t
		return nil
	})
	if err != nil {
		set.err = err
	}
	return set
}

// view is what the layout and every page template see: {{.Data}} is the
// page's own data; {{$.T "key"}} translates; {{$.Can "catalog.read"}} asks
// the policy about the collection.
type view struct {
	Lang     string
	Platform string
	Path     string // current path, for the menu and the language links
	Session  *sqlstore.Session
	Actor    *shuyu.Actor
	User     *shuyu.User
	Org      *shuyu.Org
	Nav      []navGroup
	Flash    *flash
	Demo     bool
	Now      time.Time
	Data     any
	query    url.Values
	// person names an account for Person (people.go); nil outside a request.
	person func(username string) (sqlstore.Person, bool)
}

// T translates key; with arguments it formats ("待审核 %d").
func (v *view) T(key string, args ...any) string { return Tf(v.Lang, key, args...) }

// Can reports whether the user may perform action on the collection.
func (v *view) Can(action string) bool {
	return v.Actor != nil && shuyu.Can(v.Actor, shuyu.Action(action), shuyu.Resource{})
}

// Role, OrgKind, Region, Status and AuditAction label values.
func (v *view) Role(r any) string    { return T(v.Lang, "role."+fmt.Sprint(r)) }
func (v *view) OrgKind(k any) string { return T(v.Lang, "orgkind."+fmt.Sprint(k)) }
func (v *view) Region(code string) string {
	return TOr(v.Lang, "region."+code, code)
}
func (v *view) Status(s any) string {
	str := fmt.Sprint(s)
	return TOr(v.Lang, "status."+str, str)
}
func (v *view) AuditAction(a string) string { return TOr(v.Lang, "audit.action."+a, a) }

// Msg shows a stored message ("中文 (English)", the store's convention) in
// the page's language: a job's or a pull's error, a row error's reason.
func (v *view) Msg(s string) string { return uiMessage(v.Lang, s) }

// Roles labels a list of roles.
func (v *view) Roles(rs []shuyu.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = v.Role(r)
	}
	return strings.Join(out, "、")
}

// Badge renders a status as a coloured badge: the label is "status.<s>",
// the tone comes from badgeTones.
func (v *view) Badge(s any) template.HTML {
	str := fmt.Sprint(s)
	return template.HTML(`<span class="badge badge-` + badgeTone(str) + `">` +
		template.HTMLEscapeString(v.Status(str)) + `</span>`)
}

// LangURL is the current page in the other language (the header switch).
func (v *view) LangURL(lang string) string {
	q := url.Values{}
	for k, vs := range v.query {
		if k != "lang" {
			q[k] = vs
		}
	}
	q.Set("lang", lang)
	return v.Path + "?" + q.Encode()
}

// Static is the URL of a file in web/static with a content hash, so that
// browsers may cache it for long.
func (v *view) Static(name string) string { return "/static/" + name + "?v=" + staticVersion() }

var staticVersion = sync.OnceValue(func() string {
	h := sha256.New()
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(staticFS, p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:10]
})

// badgeTones maps a status value to a tone: ok (green), warn (amber),
// danger (red), info (blue), muted (grey). It is the common statuses' tones
// and those of the capabilities whose pages use view.Badge or badgeTone
// (review_pages.go, review_pages_ui.go); a status has one tone everywhere.
// Capabilities with their own badge helper keep their own table
// (catalogTones, outputTones, sandboxTones).
var badgeTones = joinTones(map[string]string{
	"active": "ok", "disabled": "muted", "locked": "danger", "ok": "ok", "failed": "danger",
	"enabled": "ok", "required": "warn", "optional": "muted",
}, reviewTones, reviewuiTones)

// joinTones joins tone tables; a status coloured twice is a bug.
func joinTones(tables ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, t := range tables {
		for k, v := range t {
			if _, dup := out[k]; dup {
				panic("web: badge tone of " + k + " defined twice")
			}
			out[k] = v
		}
	}
	return out
}

func badgeTone(s string) string {
	if t, ok := badgeTones[s]; ok {
		return t
	}
	return "info"
}

func fmtTime(t any, layout string) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.In(shanghai).Format(layout)
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.In(shanghai).Format(layout)
	}
	return "—"
}

func shortHex(b []byte) string {
	s := hex.EncodeToString(b)
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

func joinAny(sep string, v any) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, sep)
	case []shuyu.Role:
		out := make([]string, len(x))
		for i, r := range x {
			out[i] = string(r)
		}
		return strings.Join(out, sep)
	}
	return fmt.Sprint(v)
}

func containsAny(list any, item any) bool {
	switch x := list.(type) {
	case []string:
		for _, s := range x {
			if s == fmt.Sprint(item) {
				return true
			}
		}
	case []shuyu.Role:
		for _, s := range x {
			if string(s) == fmt.Sprint(item) {
				return true
			}
		}
	}
	return false
}

// render writes a page inside the layout with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	return s.renderStatus(w, r, http.StatusOK, name, data)
}

// renderStatus renders into a buffer first, so that a template error
// becomes an error page rather than half a page.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	set := templatesOnce()
	if set.err != nil {
		return set.err
	}
	t, ok := set.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %s", name)
	}
	v := s.newView(w, r, data)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", v); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", map[string]string{langZH: "zh-CN", langEN: "en"}[v.Lang])
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	if err != nil {
		return nil // the client went away
	}
	return nil
}

func (s *Server) newView(w http.ResponseWriter, r *http.Request, data any) *view {
	lang := uiLang(r)
	v := &view{Lang: lang, Platform: s.platformName(lang), Path: r.URL.Path, Demo: s.cfg.Demo,
		Now: s.cfg.Now(), Data: data, query: r.URL.Query(), Flash: takeFlash(w, r)}
	v.person = s.personLookup(r.Context())
	if sess := uiSession(r); sess != nil {
		v.Session, v.Actor, v.User = sess, sess.Actor, sess.User
		if o, err := s.db.Org(r.Context(), shuyu.System, sess.User.OrgID); err == nil {
			v.Org = o
		}
		if !sess.Restricted {
			v.Nav = s.navFor(sess.Actor, lang, r.URL.Path)
		}
	}
	return v
}

func (s *Server) platformName(lang string) string {
	if s.cfg.Title != "" && s.cfg.Title != "数域 · 公共数据运营平台" {
		return s.cfg.Title
	}
	return T(lang, "app.name")
}

// flash is a one-time message shown on the next page (Post/Redirect/Get).
type flash struct {
	Kind string `json:"k"` // ok, error, info
	Text string `json:"m"`
}

const flashCookie = "shuyu_flash"

// redirectFlash answers a form post with 303 See Other to target and a
// message for the next page; text is already translated (T or Tf).
func (s *Server) redirectFlash(w http.ResponseWriter, r *http.Request, target, kind, text string) error {
	if text != "" {
		b, _ := json.Marshal(flash{Kind: kind, Text: text})
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
			HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 60})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Text == "" {
		return nil
	}
	return &f
}

// staticHandler serves web/static at /static/ (CSS, JS, icons: the CSP
// allows no inline script or style).
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		fsrv.ServeHTTP(w, r)
	})
}

// templateNames lists the page templates (for tests).
func templateNames() []string {
	set := templatesOnce()
	out := make([]string, 0, len(set.pages))
	for k := range set.pages {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
