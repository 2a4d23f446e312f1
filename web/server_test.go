package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// These tests run the whole app over a real listener, without services: everything they
// reach is answered before a service is called.

func TestAbout(t *testing.T) {
	base := startServer(t, New(Config{Logger: quietLogger(), Version: "1.2.3"}))
	for _, path := range []string{"/xapi/about", "/xapi/about/"} {
		r := do(t, base, call{method: "GET", path: path}) // no version header, no credentials
		if r.status != 200 {
			t.Fatalf("GET %s = %d: %s", path, r.status, r.body)
		}
		var about struct {
			Version    []string          `json:"version"`
			Extensions map[string]string `json:"extensions"`
		}
		if err := json.Unmarshal(r.body, &about); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(about.Version, []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"}) {
			t.Errorf("version = %v", about.Version)
		}
		if about.Extensions[aboutVersionExtension] != "1.2.3" {
			t.Errorf("extensions = %v", about.Extensions)
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("Content-Type = %q", r.header.Get("Content-Type"))
		}
	}
	// A wrong version header is not a reason to refuse About (Communication 2.8.s5.b4).
	if r := do(t, base, call{method: "GET", path: "/xapi/about", header: map[string]string{"X-Experience-API-Version": "0.9"}}); r.status != 200 {
		t.Errorf("About with version 0.9 = %d", r.status)
	}
	r := do(t, base, call{method: "HEAD", path: "/xapi/about"})
	if r.status != 200 || len(r.body) != 0 || r.header.Get("X-Experience-API-Version") != "1.0.3" {
		t.Errorf("HEAD about = %d, %d body bytes, headers %v", r.status, len(r.body), r.header)
	}
}

func TestEveryResponseCarriesVersionAndDate(t *testing.T) {
	base := startServer(t, New(Config{Logger: quietLogger()}))
	for _, c := range []call{
		{method: "GET", path: "/xapi/about"},
		{method: "GET", path: "/xapi/statements"},
		{method: "GET", path: "/xapi/nothing/here"},
		{method: "PATCH", path: "/xapi/statements"},
		{method: "GET", path: "/healthz"},
		{method: "OPTIONS", path: "/xapi/statements", header: map[string]string{"Origin": "https://lms.example.com", "Access-Control-Request-Method": "PUT"}},
	} {
		r := do(t, base, c)
		if r.header.Get("X-Experience-API-Version") != "1.0.3" {
			t.Errorf("%s %s: X-Experience-API-Version = %q", c.method, c.path, r.header.Get("X-Experience-API-Version"))
		}
		if _, err := http.ParseTime(r.header.Get("Date")); err != nil {
			t.Errorf("%s %s: Date = %q: %v", c.method, c.path, r.header.Get("Date"), err)
		}
	}
}

// TestRequestGuards covers the checks that come before any service: routes, methods,
// the version header and the form of the credentials.
func TestRequestGuards(t *testing.T) {
	base := startServer(t, New(Config{Logger: quietLogger()}))
	v := "X-Experience-API-Version"
	tests := []struct {
		name       string
		c          call
		status     int
		code       capture.Code
		msg        string
		consistent bool // X-Experience-API-Consistent-Through expected
	}{
		{"no version header", call{method: "GET", path: "/xapi/statements"}, 400, capture.CodeInvalid, "X-Experience-API-Version header is required", true},
		{"version 0.9", call{method: "GET", path: "/xapi/statements", header: map[string]string{v: "0.9"}}, 400, capture.CodeInvalid, `"0.9" is not supported`, true},
		{"version 2.0.0", call{method: "POST", path: "/xapi/statements", header: map[string]string{v: "2.0.0"}}, 400, capture.CodeInvalid, "not supported", true},
		{"version 1.1.0 on state", call{method: "GET", path: "/xapi/activities/state", header: map[string]string{v: "1.1.0"}}, 400, capture.CodeInvalid, "not supported", false},
		{"trailing slash is the same resource", call{method: "GET", path: "/xapi/agents/profile/"}, 400, capture.CodeInvalid, "X-Experience-API-Version header is required", false},
		{"version 1.0 accepted, then no credentials", call{method: "GET", path: "/xapi/statements", header: map[string]string{v: "1.0"}}, 401, capture.CodeUnauthorized, "authentication required", true},
		{"version 1.0.1 accepted, then no credentials", call{method: "GET", path: "/xapi/activities", header: map[string]string{v: "1.0.1"}}, 401, capture.CodeUnauthorized, "authentication required", false},
		{"bearer token", call{method: "GET", path: "/xapi/agents", header: map[string]string{v: "1.0.3", "Authorization": "Bearer abc"}}, 401, capture.CodeUnauthorized, "Basic scheme", false},
		{"malformed basic", call{method: "PUT", path: "/xapi/statements?statementId=x", header: map[string]string{v: "1.0.3", "Authorization": "Basic:Um9iQ0lzTm90"}}, 401, capture.CodeUnauthorized, "Basic scheme", true},
		{"basic without colon", call{method: "GET", path: "/xapi/statements", header: map[string]string{v: "1.0.3", "Authorization": "Basic bm9jb2xvbg=="}}, 401, capture.CodeUnauthorized, "key:secret", true},
		{"unknown xAPI route", call{method: "GET", path: "/xapi/statementz", header: map[string]string{v: "1.0.3"}}, 404, capture.CodeNotFound, "no resource at /xapi/statementz", false},
		{"resource names are case-sensitive", call{method: "GET", path: "/xapi/Statements"}, 404, capture.CodeNotFound, "no resource", false},
		{"unknown route outside xAPI", call{method: "GET", path: "/nope"}, 404, capture.CodeNotFound, "no resource at /nope", false},
		{"DELETE statements", call{method: "DELETE", path: "/xapi/statements"}, 405, "method_not_allowed", "DELETE is not allowed on /xapi/statements", true},
		{"PATCH state", call{method: "PATCH", path: "/xapi/activities/state"}, 405, "method_not_allowed", "PATCH is not allowed", false},
		{"PUT about", call{method: "PUT", path: "/xapi/about"}, 405, "method_not_allowed", "PUT is not allowed", false},
		{"alternate syntax on PUT", call{method: "PUT", path: "/xapi/statements?method=POST", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "content=%7B%7D"}, 400, capture.CodeInvalid, "only be used with POST", true},
		{"alternate syntax with query parameters", call{method: "POST", path: "/xapi/statements?method=PUT&statementId=c70c2b85-c294-464f-baca-cebd4fb9b348", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "content=%7B%7D"}, 400, capture.CodeInvalid, "only the method parameter", true},
		{"alternate syntax with a bad version field", call{method: "POST", path: "/xapi/statements?method=PUT", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", v: "1.0.3"}, body: "X-Experience-API-Version=0.8&statementId=c70c2b85-c294-464f-baca-cebd4fb9b348&content=%7B%7D"}, 400, capture.CodeInvalid, `"0.8" is not supported`, true},
		{"alternate syntax DELETE of statements", call{method: "POST", path: "/xapi/statements?method=DELETE", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 405, "method_not_allowed", "DELETE is not allowed", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, base, tc.c)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := errorOf(t, r)
			if e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("error = %+v, want %s containing %q", e, tc.code, tc.msg)
			}
			if ct := r.header.Get("X-Experience-API-Consistent-Through"); tc.consistent {
				if _, err := time.Parse(time.RFC3339Nano, ct); err != nil {
					t.Errorf("X-Experience-API-Consistent-Through = %q: %v", ct, err)
				}
			} else if ct != "" {
				t.Errorf("X-Experience-API-Consistent-Through = %q on a non-statements answer", ct)
			}
			if (tc.status == 401) != (r.header.Get("WWW-Authenticate") != "") {
				t.Errorf("WWW-Authenticate = %q with status %d", r.header.Get("WWW-Authenticate"), r.status)
			}
			if tc.status == 405 {
				want := map[string]string{
					"/xapi/statements":       "GET, HEAD, PUT, POST",
					"/xapi/activities/state": "GET, HEAD, PUT, POST, DELETE",
					"/xapi/about":            "GET, HEAD",
				}[strings.Split(tc.c.path, "?")[0]]
				if got := r.header.Get("Allow"); got != want {
					t.Errorf("Allow = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestCORS(t *testing.T) {
	base := startServer(t, New(Config{Logger: quietLogger()}))
	origin := "https://lms.example.com"

	// A preflight needs neither credentials nor a version header.
	r := do(t, base, call{method: "OPTIONS", path: "/xapi/activities/state", header: map[string]string{
		"Origin": origin, "Access-Control-Request-Method": "PUT",
		"Access-Control-Request-Headers": "authorization, content-type, x-experience-api-version, if-match",
	}})
	if r.status != 204 {
		t.Fatalf("preflight status = %d: %s", r.status, r.body)
	}
	for h, want := range map[string]string{
		"Access-Control-Allow-Origin":  origin,
		"Access-Control-Allow-Methods": allowedMethods,
		"Access-Control-Allow-Headers": "authorization, content-type, x-experience-api-version, if-match",
		"Access-Control-Max-Age":       "86400",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("preflight %s = %q, want %q", h, got, want)
		}
	}
	r = do(t, base, call{method: "OPTIONS", path: "/xapi/statements", header: map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}})
	if got := r.header.Get("Access-Control-Allow-Headers"); !strings.Contains(got, "X-Experience-API-Version") || !strings.Contains(got, "If-None-Match") {
		t.Errorf("default Allow-Headers = %q", got)
	}

	// Answers, errors included, let the browser read the xAPI headers.
	r = do(t, base, call{method: "GET", path: "/xapi/statements", header: map[string]string{"Origin": origin}})
	if r.status != 400 {
		t.Fatalf("status = %d", r.status)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != origin {
		t.Errorf("Allow-Origin = %q", got)
	}
	expose := r.header.Get("Access-Control-Expose-Headers")
	for _, h := range []string{"ETag", "Last-Modified", "X-Experience-API-Consistent-Through", "X-Experience-API-Version"} {
		if !strings.Contains(expose, h) {
			t.Errorf("Expose-Headers %q lacks %s", expose, h)
		}
	}
	if r := do(t, base, call{method: "GET", path: "/xapi/about"}); r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("Allow-Origin without Origin = %q, want *", r.header.Get("Access-Control-Allow-Origin"))
	}
	if r := do(t, base, call{method: "GET", path: "/healthz", header: map[string]string{"Origin": origin}}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS headers outside /xapi: %v", r.header)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var ready error
	base := startServer(t, New(Config{Logger: quietLogger(), Ready: func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		return ready
	}}))
	if r := do(t, base, call{method: "GET", path: "/healthz"}); r.status != 200 || string(r.body) != "ok" {
		t.Errorf("healthz = %d %q", r.status, r.body)
	}
	if r := do(t, base, call{method: "GET", path: "/readyz"}); r.status != 200 {
		t.Errorf("readyz = %d %s", r.status, r.body)
	}
	ready = &capture.Error{Code: capture.CodeUnavailable, Message: "store unreachable", Err: errors.New("dial tcp 10.1.2.3:27017: refused")}
	r := do(t, base, call{method: "GET", path: "/readyz"})
	if r.status != 503 {
		t.Fatalf("readyz when down = %d", r.status)
	}
	e := errorOf(t, r)
	if e.Code != capture.CodeUnavailable || !strings.Contains(e.Message, "store unreachable") || strings.Contains(string(r.body), "10.1.2.3") {
		t.Errorf("readyz error = %+v", e)
	}
	// /healthz does not depend on the store.
	if r := do(t, base, call{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz when down = %d", r.status)
	}
}

func TestPanicBecomes500(t *testing.T) {
	base := startServer(t, New(Config{Logger: quietLogger(), Ready: func(context.Context) error {
		panic("secret detail 42")
	}}))
	r := do(t, base, call{method: "GET", path: "/readyz"})
	if r.status != 500 {
		t.Fatalf("status = %d", r.status)
	}
	if e := errorOf(t, r); e.Code != capture.CodeInternal || strings.Contains(string(r.body), "secret detail") {
		t.Errorf("error = %+v, body %s", e, r.body)
	}
	// The server keeps serving.
	if r := do(t, base, call{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz after a panic = %d", r.status)
	}
}

func TestBodyLimit(t *testing.T) {
	base := startServer(t, New(Config{Logger: quietLogger(), BodyLimit: 1024}))
	r := do(t, base, call{method: "POST", path: "/xapi/statements", header: map[string]string{
		"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3",
	}, body: "[" + strings.Repeat(`{"a":1},`, 200) + "{}]"})
	if r.status != 413 {
		t.Fatalf("status = %d: %s", r.status, r.body)
	}
	if e := errorOf(t, r); e.Code != capture.CodeTooLarge || !strings.Contains(e.Message, "1024 bytes") {
		t.Errorf("error = %+v", e)
	}
	if r.header.Get("X-Experience-API-Version") != "1.0.3" {
		t.Error("413 without the version header")
	}
}
