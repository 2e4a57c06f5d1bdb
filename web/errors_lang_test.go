package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// API errors follow the request's language, with the other language in
// its own field; engine reasons read in English on English pages.
func TestAPI_ErrorsFollowRequestLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	tok := h.token("auditadmin")
	get := func(header, value, query string) errorBody {
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/audit/events?from=yesterday"+query, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if header != "" {
			req.Header.Set(header, value)
		}
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b errorBody
		if resp.StatusCode != 400 || json.NewDecoder(resp.Body).Decode(&b) != nil {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return b
	}
	zh := get("", "", "")
	if zh.Error.Lang != "zh" || zh.Error.Message != zh.Error.MessageZH || !strings.Contains(zh.Error.Message, "须为日期") ||
		strings.Contains(zh.Error.Message, "(") {
		t.Fatalf("default: %+v", zh.Error)
	}
	for _, c := range []struct{ header, value, query, want string }{
		{"Accept-Language", "en-US,en;q=0.9", "", "en"},
		{"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8", "", "zh"},
		{"Accept-Language", "fr-FR, en;q=0.5, zh;q=0.4", "", "en"},
		{"Accept-Language", "en-GB", "&lang=zh", "zh"},
		{"Cookie", langCookie + "=en", "", "en"},
	} {
		b := get(c.header, c.value, c.query)
		if b.Error.Lang != c.want || b.Error.MessageZH != zh.Error.MessageZH {
			t.Errorf("%s: %s %s: lang %q: %+v", c.header, c.value, c.query, b.Error.Lang, b.Error)
		}
		if c.want == "en" && (b.Error.Message != b.Error.MessageEN || b.Error.MessageEN == "" || strings.ContainsAny(b.Error.Message, "须为日期")) {
			t.Errorf("%s: English message: %+v", c.value, b.Error)
		}
	}
}

// Engine reasons: Chinese pages show the engine's Chinese; English pages
// translate by the stable code, and every code has an English text.
func TestUI_SandboxReasonsInEnglish(t *testing.T) {
	msg := "标识符列（身份证号、姓名、电话等）只能用于表间等值关联，不能用于筛选或比较"
	if got := reasonText(langZH, "identifier_filter", msg); got != msg {
		t.Fatalf("zh: %q", got)
	}
	if got := reasonText(langEN, "identifier_filter", msg); !strings.Contains(got, "Identifier columns") {
		t.Fatalf("en: %q", got)
	}
	// The "execution" code also carries other refusals: their own gloss wins.
	if got := reasonText(langEN, "execution", "查询已被运营机构取消 (query cancelled by the operator)"); got != "query cancelled by the operator" {
		t.Fatalf("en execution: %q", got)
	}
}

// A message with no English of its own still answers English clients in
// English: the status's title, the particulars in message_zh.
func TestAPI_ErrorWithoutGlossHasEnglishTitle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite")
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/no-such-endpoint-x", nil)
	req.Header.Set("Accept-Language", "en")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b errorBody
	json.NewDecoder(resp.Body).Decode(&b)
	if resp.StatusCode != 404 || b.Error.Lang != "en" || b.Error.Message == "" || b.Error.Message != b.Error.MessageEN ||
		b.Error.MessageZH == "" || resp.Header.Get("Content-Language") != "en" {
		t.Fatalf("%d %+v %q", resp.StatusCode, b.Error, resp.Header.Get("Content-Language"))
	}
}
