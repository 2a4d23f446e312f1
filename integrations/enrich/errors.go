package enrich

import "fmt"

// Reason classifies why a fetch was refused or failed. Each Reason is itself an error, so
// errors.Is(err, ErrNotHTML) reports whether err is an *Error with that Reason.
type Reason string

// Error returns the reason prefixed with the package name.
func (r Reason) Error() string { return "enrich: " + string(r) }

// The refusal and failure reasons.
const (
	ErrBadURL           Reason = "malformed URL"
	ErrScheme           Reason = "scheme not allowed"
	ErrUserinfo         Reason = "credentials in URL not allowed"
	ErrPort             Reason = "port not allowed"
	ErrPrivateAddress   Reason = "address not allowed"
	ErrTooManyRedirects Reason = "too many redirects"
	ErrTooLarge         Reason = "body too large"
	ErrNotHTML          Reason = "not an HTML page"
	ErrRobotsDisallowed Reason = "disallowed by robots.txt"
	ErrTimeout          Reason = "timeout"
	ErrHTTPStatus       Reason = "unexpected HTTP status"
	ErrFetch            Reason = "fetch failed"
)

// Error is a refused or failed fetch. URL is the request that was refused (a redirect
// target when a hop was refused), Detail a short log-safe explanation, Err the cause if any.
type Error struct {
	Reason Reason
	URL    string
	Detail string
	Err    error
}

// Error returns one log line: reason, URL, detail and cause.
func (e *Error) Error() string {
	msg := string(e.Reason)
	if e.URL != "" {
		msg += " (" + e.URL + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return "enrich: " + msg
}

// Is reports whether target is e's Reason, so that errors.Is matches the Err* constants.
func (e *Error) Is(target error) bool {
	r, ok := target.(Reason)
	return ok && r == e.Reason
}

// Unwrap returns the cause, nil when the refusal has none.
func (e *Error) Unwrap() error { return e.Err }

func refuse(r Reason, rawURL, format string, args ...any) *Error {
	return &Error{Reason: r, URL: rawURL, Detail: fmt.Sprintf(format, args...)}
}
