package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Messages live in web/i18n/<capability>.json as {"key": {"zh": "…", "en": "…"}}
// and are merged at start-up, so that each capability adds its own file
// without touching a shared one. Chinese is the default language; English
// is selectable (cookie "lang", "?lang=en").

//go:embed i18n/*.json
var i18nFS embed.FS

const (
	langZH     = "zh"
	langEN     = "en"
	langCookie = "lang"
)

type i18nEntry struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

type i18nCatalog struct {
	msgs map[string]i18nEntry
	from map[string]string // key → file, to report duplicates
	errs []string          // problems found while loading (tested)
}

var i18nOnce = sync.OnceValue(func() *i18nCatalog { return loadI18n(i18nFS) })

// loadI18n merges every JSON file of fsys/i18n. A key defined twice or a
// file that does not parse is a problem the i18n test reports; loading goes
// on so that one capability's mistake does not blank every page.
func loadI18n(fsys fs.FS) *i18nCatalog {
	c := &i18nCatalog{msgs: map[string]i18nEntry{}, from: map[string]string{}}
	files, _ := fs.Glob(fsys, "i18n/*.json")
	sort.Strings(files)
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			c.errs = append(c.errs, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		var m map[string]i18nEntry
		if err := json.Unmarshal(data, &m); err != nil {
			c.errs = append(c.errs, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		for k, v := range m {
			if prev, dup := c.from[k]; dup {
				c.errs = append(c.errs, fmt.Sprintf("%s: key %q already defined in %s", f, k, prev))
				continue
			}
			c.msgs[k], c.from[k] = v, path.Base(f)
		}
	}
	return c
}

// T translates key into lang ("zh" or "en"). A missing English text falls
// back to Chinese; a missing key shows itself (and fails the i18n test).
func T(lang, key string) string {
	e, ok := i18nOnce().msgs[key]
	if !ok {
		i18nMissed.Store(key, true)
		return key
	}
	if lang == langEN && e.EN != "" {
		return e.EN
	}
	if e.ZH != "" {
		return e.ZH
	}
	return e.EN
}

// i18nMissed records every key T was asked for and did not find (a label
// built at run time, such as a list filter's, that no template scan sees);
// the page scans fail on any (TestUI_ZhPagesPlainChinese).
var i18nMissed sync.Map

// missedKeys lists the keys T did not find so far, sorted.
func missedKeys() []string {
	var out []string
	i18nMissed.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	sort.Strings(out)
	return out
}

// Tf is T with fmt.Sprintf arguments ("待审核 %d").
func Tf(lang, key string, args ...any) string {
	if len(args) == 0 {
		return T(lang, key)
	}
	return fmt.Sprintf(T(lang, key), args...)
}

// hasKey reports whether key is defined.
func hasKey(key string) bool { _, ok := i18nOnce().msgs[key]; return ok }

// TOr translates key when it is defined and returns fallback otherwise
// (labels of values that may be unknown, such as a new audit action).
func TOr(lang, key, fallback string) string {
	if hasKey(key) {
		return T(lang, key)
	}
	return fallback
}

type langKey struct{}

// uiLang returns the request's language: ?lang= first, then the cookie,
// else Chinese.
func uiLang(r *http.Request) string {
	if l, ok := r.Context().Value(langKey{}).(string); ok {
		return l
	}
	switch r.URL.Query().Get("lang") {
	case langEN:
		return langEN
	case langZH:
		return langZH
	}
	if c, err := r.Cookie(langCookie); err == nil && c.Value == langEN {
		return langEN
	}
	return langZH
}

// setLangCookie remembers an explicit ?lang= choice for a year.
func (s *Server) setLangCookie(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("lang")
	if l != langEN && l != langZH {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// glossReqID matches requirement IDs at the end of a message's gloss.
var glossReqID = regexp.MustCompile(`(?:[,;，]?\s*\b(?:R\d{1,2}\.\d+|N(?:REG|IMP|PRC|DIS)[.\-]?\d+)\b)+\s*$`)

// uiMessage is an error message for people. Store messages are Chinese
// with an English gloss in trailing parentheses: "账号已锁定 (account
// locked)". Chinese pages drop the gloss; English pages show it when present.
func uiMessage(lang, msg string) string {
	msg = strings.TrimSpace(msg)
	if !strings.HasSuffix(msg, ")") {
		return msg
	}
	i := strings.LastIndex(msg, " (")
	if i <= 0 {
		return msg
	}
	zh, en := msg[:i], strings.TrimSuffix(msg[i+2:], ")")
	// A requirement ID in the gloss ("(R8.2)", "(…, R13.1)") is for the
	// code's readers, never for people.
	en = strings.TrimSpace(glossReqID.ReplaceAllString(en, ""))
	if lang == langEN && en != "" {
		return en
	}
	return zh
}
