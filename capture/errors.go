package capture

import (
	"errors"
	"fmt"
)

// Code classifies an application error. The web layer maps each code to one HTTP
// status in a single table; nothing else decides statuses.
type Code string

// The application error codes.
const (
	CodeInvalid            Code = "invalid"             // 400: the request breaks a rule of the spec
	CodeUnauthorized       Code = "unauthorized"        // 401: no or wrong credentials
	CodeForbidden          Code = "forbidden"           // 403: credentials lack the scope
	CodeNotFound           Code = "not_found"           // 404
	CodeConflict           Code = "conflict"            // 409: same id, other content; document without precondition
	CodePreconditionFailed Code = "precondition_failed" // 412
	CodeTooLarge           Code = "too_large"           // 413
	CodeUnsupportedMedia   Code = "unsupported_media"   // 415
	CodeTooManyRequests    Code = "too_many_requests"   // 429: a credential is over its request rate
	CodeInternal           Code = "internal"            // 500: a bug or an unreachable store
	CodeUnavailable        Code = "unavailable"         // 503: the store is not reachable
)

// Error is the one application error type. Message is safe to show to the client;
// Err (optional) is the cause, logged but never shown.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted client-facing message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps err as a CodeInternal error whose client message is msg.
func Internal(err error, msg string) *Error {
	return &Error{Code: CodeInternal, Message: msg, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil and
// CodeInternal for any other error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-facing message of err: the *Error's Message, or a
// generic text for errors that are not *Error (their detail is never shown).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
