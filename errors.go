// Package shuyu holds the domain types, error codes and pure rules of the
// public data operation platform (公共数据运营平台). Implementations live in
// packages named after what they depend on: sqlstore, audit, workday, web.
package shuyu

import (
	"errors"
	"fmt"
)

// Error codes. The web adapter maps each to one HTTP status (web/errors.go);
// every error a client can cause carries one of these, so no client mistake
// becomes a 500.
const (
	EINVALID        = "invalid"         // 400: malformed or rule-breaking input
	EUNAUTHORIZED   = "unauthorized"    // 401: no or expired session, bad credentials
	EFORBIDDEN      = "forbidden"       // 403: authenticated but not allowed (own tenant)
	ENOTFOUND       = "not_found"       // 404: absent, or another tenant's object
	ECONFLICT       = "conflict"        // 409: state does not allow the action now
	ETOOLARGE       = "too_large"       // 413: body or upload over the cap
	EUNPROCESSABLE  = "unprocessable"   // 422: well-formed but failed validation rows
	ELOCKED         = "account_locked"  // 423: MLPS lockout after failed logins
	ETHROTTLED      = "throttled"       // 429: too many failed attempts from this source
	EOTPREQUIRED    = "otp_required"    // 401: the account needs a TOTP code
	EPASSWORDPOLICY = "password_policy" // 400: password too weak
	EINTERNAL       = "internal"        // 500: our fault; message never leaks detail
	// EUNAVAILABLE (503): this server cannot do it now, e.g. it does not
	// hold the data domain and cannot reach the server that does.
	EUNAVAILABLE = "unavailable"
)

// Error is the platform's error: a code for machines, a message for people
// (Chinese first, since users read it), optional details (field list, rows).
type Error struct {
	Code    string
	Message string
	Details any
	Op      string // the operation that failed, for logs
	Err     error  // the cause, never shown to clients
}

func (e *Error) Error() string {
	s := e.Code
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetails returns a copy of e carrying details for the client.
func (e *Error) WithDetails(d any) *Error {
	c := *e
	c.Details = d
	return &c
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err, or a generic one for
// internal errors so that no internal detail (or data value) reaches a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "内部错误，请联系运营机构 (internal error)"
}

// ErrorDetails returns the client-facing details of err, if any.
func ErrorDetails(err error) any {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Details
	}
	return nil
}

// Wrap names the operation on err, keeping its code. nil stays nil.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Op = op
		if c.Err == nil && e != err {
			c.Err = err
		}
		return &c
	}
	return &Error{Code: EINTERNAL, Op: op, Err: err}
}

// FieldError names one invalid input field; a list of them is the Details of
// an EINVALID error.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// RowError names one problem in an imported file: row, column and message.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}
