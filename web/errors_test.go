package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
)

func TestErrorTableCoversEveryCode(t *testing.T) {
	want := map[capture.Code]int{
		capture.CodeInvalid:            400,
		capture.CodeUnauthorized:       401,
		capture.CodeForbidden:          403,
		capture.CodeNotFound:           404,
		capture.CodeConflict:           409,
		capture.CodePreconditionFailed: 412,
		capture.CodeTooLarge:           413,
		capture.CodeUnsupportedMedia:   415,
		capture.CodeTooManyRequests:    429,
		capture.CodeUnavailable:        503,
		capture.CodeInternal:           500,
	}
	for code, status := range want {
		if got := statusOf(code); got != status {
			t.Errorf("statusOf(%s) = %d, want %d", code, got, status)
		}
		if got := codeOfStatus(status); got != code {
			t.Errorf("codeOfStatus(%d) = %s, want %s", status, got, code)
		}
	}
	if got := statusOf("no_such_code"); got != 500 {
		t.Errorf("statusOf(unknown) = %d, want 500", got)
	}
	if n := len(errorTable()); n != len(want) {
		t.Errorf("error table has %d rows, want %d", n, len(want))
	}
}

// TestErrorHandler serves handlers that fail in every way and checks the answers: one
// status per code, a JSON body with a safe message, the version header, and the Basic
// challenge on 401.
func TestErrorHandler(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       capture.Code
		message    string // exact client message
		notInBody  string // text that must not leak
		challenged bool
	}{
		{"invalid", capture.Errorf(capture.CodeInvalid, "actor.mbox: must be a mailto IRI"), 400, capture.CodeInvalid, "actor.mbox: must be a mailto IRI", "", false},
		{"unauthorized", capture.Errorf(capture.CodeUnauthorized, "unknown or wrong credentials"), 401, capture.CodeUnauthorized, "unknown or wrong credentials", "", true},
		{"forbidden", capture.Errorf(capture.CodeForbidden, "no scope"), 403, capture.CodeForbidden, "no scope", "", false},
		{"not found", capture.Errorf(capture.CodeNotFound, "no statement x"), 404, capture.CodeNotFound, "no statement x", "", false},
		{"conflict", capture.Errorf(capture.CodeConflict, "stored with other content"), 409, capture.CodeConflict, "stored with other content", "", false},
		{"precondition", capture.Errorf(capture.CodePreconditionFailed, "If-Match failed"), 412, capture.CodePreconditionFailed, "If-Match failed", "", false},
		{"too large", capture.Errorf(capture.CodeTooLarge, "batch too big"), 413, capture.CodeTooLarge, "batch too big", "", false},
		{"unsupported", capture.Errorf(capture.CodeUnsupportedMedia, "br encoding"), 415, capture.CodeUnsupportedMedia, "br encoding", "", false},
		{"unavailable", &capture.Error{Code: capture.CodeUnavailable, Message: "store unreachable", Err: errors.New("dial tcp 10.0.0.7:27017")}, 503, capture.CodeUnavailable, "store unreachable", "10.0.0.7", false},
		{"internal keeps cause out", capture.Internal(errors.New("constraint failed: password=hunter2"), "cannot store"), 500, capture.CodeInternal, "cannot store", "hunter2", false},
		{"wrapped application error", fmt.Errorf("service: %w", capture.Errorf(capture.CodeConflict, "same id")), 409, capture.CodeConflict, "same id", "service:", false},
		{"plain error is internal", errors.New("sql: database is locked at /var/lib/cairn.db"), 500, capture.CodeInternal, "internal error", "/var/lib", false},
		{"fiber bad request", fiber.NewError(http.StatusBadRequest, "malformed request line"), 400, capture.CodeInvalid, "malformed request line", "", false},
		{"fiber 405", fiber.NewError(http.StatusMethodNotAllowed, "PATCH is not allowed"), 405, "method_not_allowed", "PATCH is not allowed", "", false},
		{"fiber 500 hides text", fiber.NewError(http.StatusInternalServerError, "stack trace here"), 500, capture.CodeInternal, "internal error", "stack trace", false},
	}
	s := &server{log: quietLogger(), bodyLimit: 1 << 10}
	app := fiber.New(fiber.Config{ErrorHandler: s.handleError, DisableStartupMessage: true})
	for i, tc := range tests {
		app.Get(fmt.Sprintf("/xapi/fail/%d", i), func(c *fiber.Ctx) error { return tc.err })
	}
	base := startServer(t, app)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, base, call{method: "GET", path: fmt.Sprintf("/xapi/fail/%d", i)})
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d (body %s)", r.status, tc.status, r.body)
			}
			e := errorOf(t, r)
			if e.Code != tc.code || e.Message != tc.message {
				t.Errorf("error = %+v, want code %s message %q", e, tc.code, tc.message)
			}
			if tc.notInBody != "" && strings.Contains(string(r.body), tc.notInBody) {
				t.Errorf("body leaks %q: %s", tc.notInBody, r.body)
			}
			if got := r.header.Get("WWW-Authenticate"); (got != "") != tc.challenged {
				t.Errorf("WWW-Authenticate = %q, challenged want %v", got, tc.challenged)
			} else if tc.challenged && got != `Basic realm="Cairn xAPI"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if v := r.header.Get("X-Experience-API-Version"); v != "1.0.3" {
				t.Errorf("X-Experience-API-Version = %q, want 1.0.3", v)
			}
		})
	}
}
