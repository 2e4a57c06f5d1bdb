package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"shuyu"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	shuyu.EINVALID:        http.StatusBadRequest,
	shuyu.EPASSWORDPOLICY: http.StatusBadRequest,
	shuyu.EUNAUTHORIZED:   http.StatusUnauthorized,
	shuyu.EOTPREQUIRED:    http.StatusUnauthorized,
	shuyu.EFORBIDDEN:      http.StatusForbidden,
	shuyu.ENOTFOUND:       http.StatusNotFound,
	shuyu.ECONFLICT:       http.StatusConflict,
	shuyu.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	shuyu.EUNPROCESSABLE:  http.StatusUnprocessableEntity,
	shuyu.ELOCKED:         http.StatusLocked,
	shuyu.ETHROTTLED:      http.StatusTooManyRequests,
	shuyu.EINTERNAL:       http.StatusInternalServerError,
	shuyu.EUNAVAILABLE:    http.StatusServiceUnavailable,
}

// ErrorStatus returns the HTTP status for err.
func ErrorStatus(err error) int {
	if s, ok := statusOf[shuyu.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code string `json:"code"`
		// Message is in the request's language (Lang): ?lang=, the
		// session's language cookie, then Accept-Language; Chinese by
		// default. MessageZH and MessageEN carry both (MessageEN is the
		// status's title when the message has no English of its own).
		Message   string `json:"message"`
		Lang      string `json:"lang"`
		MessageZH string `json:"message_zh"`
		MessageEN string `json:"message_en"`
		Details   any    `json:"details,omitempty"`
	} `json:"error"`
}

// writeError answers {"error":{"code","message","details"}}. Internal
// errors are logged with their cause and answered with a generic message:
// no detail, and so no data value, reaches the client (invariant 1).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = shuyu.Errorf(shuyu.ETOOLARGE, "请求内容过大，上限 %d 字节 (request body too large)", maxErr.Limit)
	}
	status := ErrorStatus(err)
	markLeaseLost(w, err)
	var b errorBody
	b.Error.Code = shuyu.ErrorCode(err)
	msg := shuyu.ErrorMessage(err)
	b.Error.Lang = apiLang(r)
	b.Error.MessageZH = uiMessage(langZH, msg)
	if en := uiMessage(langEN, msg); en != strings.TrimSpace(msg) {
		b.Error.MessageEN = en
	} else {
		// No English gloss: the status's title ("Invalid input"); the
		// particulars are in message_zh.
		b.Error.MessageEN = TOr(langEN, "error.title."+strconv.Itoa(status), http.StatusText(status))
	}
	b.Error.Message = b.Error.MessageZH
	if b.Error.Lang == langEN && b.Error.MessageEN != "" {
		b.Error.Message = b.Error.MessageEN
	}
	w.Header().Set("Content-Language", map[string]string{langZH: "zh-CN", langEN: "en"}[b.Error.Lang])
	b.Error.Details = shuyu.ErrorDetails(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.InfoContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "code", b.Error.Code)
	}
	writeJSON(w, status, b)
}

// apiLang is an API request's language: ?lang=, the language cookie the
// pages set, then the first Accept-Language range that names Chinese or
// English (by quality); Chinese by default.
func apiLang(r *http.Request) string {
	switch r.URL.Query().Get("lang") {
	case langEN:
		return langEN
	case langZH:
		return langZH
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == langEN || c.Value == langZH) {
		return c.Value
	}
	best, bestQ := langZH, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		lang := strings.ToLower(strings.SplitN(strings.TrimSpace(tag), "-", 2)[0])
		if (lang == langEN || lang == langZH) && q > bestQ && q > 0 {
			best, bestQ = lang, q
		}
	}
	return best
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// client errors, never silently ignored.
func decode(r *http.Request, v any) error {
	// The body is capped (adapt), so reading it whole is bounded. JSON must
	// be UTF-8 (RFC 8259 §8.1); encoding/json would silently replace bad
	// bytes with U+FFFD and store something the client never sent, so a body
	// that is not valid UTF-8 is refused before it is decoded (invariant 5).
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return shuyu.Errorf(shuyu.EINVALID, "请求体读取中断 (request body interrupted)")
	}
	if !utf8.Valid(body) {
		return shuyu.Errorf(shuyu.EINVALID, "请求体不是有效的 UTF-8 编码 (request body is not valid UTF-8)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return shuyu.Errorf(shuyu.EINVALID, "请求体不是有效的 JSON：%s (invalid JSON body)", jsonProblem(err))
	}
	if dec.More() {
		return shuyu.Errorf(shuyu.EINVALID, "请求体只能包含一个 JSON 对象 (one JSON object expected)")
	}
	return nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "语法错误"
	case errors.As(err, &te):
		return "字段 " + te.Field + " 类型错误"
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}
