package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shuyu"
)

// pageRoutes registers the foundation's pages; capabilities register
// theirs with s.page from their own route hooks (see UI.md).
func (s *Server) pageRoutes() {
	s.handlePage("GET", "/static/", func(w http.ResponseWriter, r *http.Request) error {
		staticHandler().ServeHTTP(w, r)
		return nil
	})
	s.handlePage("GET", "/favicon.ico", func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, "/static/icon.svg", http.StatusMovedPermanently)
		return nil
	})
	s.uiAuthPages()
	s.uiAdminPages()
	s.uiAuditPages()
	// Everything else outside /api/ is a "not found" page (any method: a
	// "GET /" pattern would conflict with the API's "/api/" catch-all).
	s.handlePage("", "/", s.pageHandler(pageOpts{Public: true}, func(w http.ResponseWriter, r *http.Request) error {
		return shuyu.Errorf(shuyu.ENOTFOUND, "页面不存在 (page not found)")
	}))
}

// pageError renders err as a page: a 401 sends the browser to the login
// page (coming back afterwards), anything else shows the status and the
// message in the user's language. Internal errors are logged and shown
// without detail (invariant 1).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = shuyu.Errorf(shuyu.ETOOLARGE, "提交内容过大 (request too large)")
	}
	status := ErrorStatus(err)
	markLeaseLost(w, err)
	if status == http.StatusUnauthorized {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/"
		}
		s.clearSessionCookie(w, r)
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	lang := uiLang(r)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "page error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	data := struct {
		Title, Message, RequestID string
		Status                    int
	}{
		Title:     TOr(lang, "error.title."+strconv.Itoa(status), T(lang, "error.title.other")),
		Message:   uiMessage(lang, shuyu.ErrorMessage(err)),
		RequestID: w.Header().Get("X-Request-Id"),
		Status:    status,
	}
	if rerr := s.renderStatus(w, r, status, "error.html", data); rerr != nil {
		s.log.ErrorContext(r.Context(), "render error page", "err", rerr)
		http.Error(w, data.Message, status)
	}
}

// uiForm carries a form's submitted values and its error back into the
// template, so that a refused form is shown again with the user's input
// and the Chinese message (never the password fields: see keep).
type uiForm struct {
	Values url.Values
	Err    string
	Fields map[string]string // field → message, from shuyu.FieldError details
	Status int               // HTTP status of the re-rendered form
}

// newForm parses the request's form (bodies are capped by the adapter).
func newForm(r *http.Request) (*uiForm, error) {
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, err
		}
		return nil, shuyu.Errorf(shuyu.EINVALID, "表单无法解析 (malformed form)")
	}
	return &uiForm{Values: r.PostForm, Status: http.StatusOK}, nil
}

// emptyForm is a form with no input yet (the GET of a form page).
func emptyForm() *uiForm { return &uiForm{Values: url.Values{}, Status: http.StatusOK} }

// Get returns a submitted value (trimmed).
func (f *uiForm) Get(name string) string {
	if f == nil {
		return ""
	}
	return strings.TrimSpace(f.Values.Get(name))
}

// Has reports whether a checkbox or multi-select carried value.
func (f *uiForm) Has(name, value string) bool {
	if f == nil {
		return false
	}
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// FieldErr is the message for one field, if any.
func (f *uiForm) FieldErr(name string) string {
	if f == nil {
		return ""
	}
	return f.Fields[name]
}

// fail records a client error on the form and returns nil, so that the
// handler re-renders the form (with f.Status); an internal error is
// returned as is, for the error page.
func (f *uiForm) fail(lang string, err error) error {
	code := shuyu.ErrorCode(err)
	if code == shuyu.EINTERNAL {
		return err
	}
	f.Status = ErrorStatus(err)
	f.Err = uiMessage(lang, shuyu.ErrorMessage(err))
	if fe, ok := shuyu.ErrorDetails(err).([]shuyu.FieldError); ok {
		f.Fields = map[string]string{}
		for _, e := range fe {
			f.Fields[e.Field] = uiMessage(lang, e.Message)
		}
	}
	for _, secret := range []string{"password", "old_password", "new_password", "new_password2", "otp", "code"} {
		f.Values.Del(secret)
	}
	return nil
}

// pager is keyset or page paging for list pages ({{template "pager" $}}).
type pager struct {
	First, Prev, Next string
	Shown             int
}

// withQuery returns the request's path with query parameter name set to
// value (removed when value is empty), keeping the other filters.
func withQuery(r *http.Request, name, value string) string {
	q := r.URL.Query()
	q.Del("lang")
	if value == "" {
		q.Del(name)
	} else {
		q.Set(name, value)
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// safeNext accepts only a local path as a post-login destination (no open
// redirect).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/api/") {
		return "/"
	}
	return next
}
