package web

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
)

// lrs is a running Cairn LRS over a fresh SQLite store, with one credential per scope set.
type lrs struct {
	t     *testing.T
	base  string
	auth  map[string]string // credential name → Authorization header value
	creds *capture.CredentialService
	keys  map[string]string // credential name → key
}

// newLRS starts the real services over a real store in a temporary directory.
func newLRS(t *testing.T) *lrs {
	t.Helper()
	return newLRSWith(t, func(*Config) {})
}

// newLRSWith is newLRS with the server's Config adjusted by edit.
func newLRSWith(t *testing.T, edit func(*Config)) *lrs {
	t.Helper()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "cairn.db"), quietLogger())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	var store capture.Store = st
	creds := capture.NewCredentialService(store, "http://cairn.test", nil)
	l := &lrs{t: t, auth: map[string]string{}, keys: map[string]string{}, creds: creds}
	for name, scopes := range map[string][]string{
		"all":        {capture.ScopeAll},
		"readonly":   {capture.ScopeStatementsRead},
		"writeonly":  {capture.ScopeStatementsWrite},
		"state-only": {capture.ScopeState},
	} {
		c, secret, err := creds.Create(ctx, name, scopes, false)
		if err != nil {
			t.Fatalf("create credential: %v", err)
		}
		l.auth[name] = basic(c.Key, secret)
		l.keys[name] = c.Key
	}
	cfg := Config{
		Statements:  capture.NewStatementService(capture.StatementServiceConfig{Store: store, Logger: quietLogger()}),
		Documents:   capture.NewDocumentService(store, nil),
		Credentials: creds,
		Ready:       store.Ping,
		Logger:      quietLogger(),
		Version:     "test",
	}
	edit(&cfg)
	l.base = startServer(t, New(cfg))
	return l
}

// TestRateLimitEndToEnd spends one credential's burst and checks that the next
// request is refused with 429 and Retry-After while another credential goes on.
func TestRateLimitEndToEnd(t *testing.T) {
	l := newLRSWith(t, func(c *Config) { c.RateLimit, c.RateBurst = 0.5, 2 })
	for i := 0; i < 2; i++ {
		expect(t, "within the burst", l.do("all", "GET", "/xapi/statements", nil, ""), 200)
	}
	r := l.do("all", "GET", "/xapi/statements", nil, "")
	expect(t, "over the burst", r, 429)
	errorOf(t, r)
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2 (one token at 0.5 a second)", got)
	}
	expect(t, "another credential", l.do("readonly", "GET", "/xapi/statements", nil, ""), 200)
	expect(t, "about is not limited", l.do("", "GET", "/xapi/about", nil, ""), 200)
}

// do sends an xAPI request as credential who ("" for none) with the version header.
func (l *lrs) do(who, method, path string, header map[string]string, body string) response {
	l.t.Helper()
	h := map[string]string{"X-Experience-API-Version": "1.0.3"}
	if who != "" {
		h["Authorization"] = l.auth[who]
	}
	for k, v := range header {
		h[k] = v
	}
	return do(l.t, l.base, call{method: method, path: path, header: h, body: body})
}

// expect fails the test unless r has the status.
func expect(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status = %d, want %d: %s", what, r.status, status, r.body)
	}
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

func withStatementID(s, id string) string {
	var m map[string]any
	json.Unmarshal([]byte(s), &m)
	m["id"] = id
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func TestStatementsEndToEnd(t *testing.T) {
	l := newLRS(t)
	stmt := string(fixture(t, "statement.json"))

	r := l.do("all", "POST", "/xapi/statements", jsonCT, stmt)
	expect(t, "POST", r, 200)
	var ids []string
	decodeJSON(t, r.body, &ids)
	if len(ids) != 1 || !isUUID(ids[0]) {
		t.Fatalf("POST ids = %v", ids)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.header.Get("X-Experience-API-Consistent-Through")); err != nil {
		t.Errorf("POST Consistent-Through: %v", err)
	}

	// GET one: the statement, its stored time as Last-Modified, the xAPI headers.
	r = l.do("all", "GET", "/xapi/statements?statementId="+ids[0], nil, "")
	expect(t, "GET one", r, 200)
	var got struct {
		ID     string `json:"id"`
		Stored string `json:"stored"`
	}
	decodeJSON(t, r.body, &got)
	stored, err := time.Parse(time.RFC3339Nano, got.Stored)
	if got.ID != ids[0] || err != nil {
		t.Fatalf("GET one = %s (%v)", r.body, err)
	}
	if lm, err := http.ParseTime(r.header.Get("Last-Modified")); err != nil || !lm.Equal(stored.Truncate(time.Second)) {
		t.Errorf("Last-Modified = %q, stored %s", r.header.Get("Last-Modified"), got.Stored)
	}
	through, err := time.Parse(time.RFC3339Nano, r.header.Get("X-Experience-API-Consistent-Through"))
	if err != nil || through.Before(stored) {
		t.Errorf("Consistent-Through = %q (stored %s): %v", r.header.Get("X-Experience-API-Consistent-Through"), got.Stored, err)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.header.Get("Date") == "" {
		t.Errorf("headers = %v", r.header)
	}
	head := l.do("all", "HEAD", "/xapi/statements?statementId="+ids[0], nil, "")
	expect(t, "HEAD one", head, 200)
	if len(head.body) != 0 || head.header.Get("Last-Modified") == "" || head.header.Get("X-Experience-API-Consistent-Through") == "" {
		t.Errorf("HEAD = %d body bytes, headers %v", len(head.body), head.header)
	}

	// PUT: 204 without body; a repeat is accepted, other content under the id is a conflict.
	putID := "6b1f9c5e-3c2d-4f4e-9a9b-0a1b2c3d4e5f"
	r = l.do("all", "PUT", "/xapi/statements?statementId="+putID, jsonCT, stmt)
	expect(t, "PUT", r, 204)
	if len(r.body) != 0 {
		t.Errorf("PUT body = %q", r.body)
	}
	expect(t, "PUT repeat", l.do("all", "PUT", "/xapi/statements?statementId="+putID, jsonCT, stmt), 204)
	other := strings.Replace(stmt, "verbs/attended", "verbs/experienced", 1)
	expect(t, "PUT other content", l.do("all", "PUT", "/xapi/statements?statementId="+putID, jsonCT, other), 409)
	expect(t, "POST other content", l.do("all", "POST", "/xapi/statements", jsonCT, withStatementID(other, putID)), 409)

	r = l.do("all", "POST", "/xapi/statements", jsonCT, "["+stmt+","+stmt+"]")
	expect(t, "POST batch", r, 200)
	var batch []string
	decodeJSON(t, r.body, &batch)
	if len(batch) != 2 || batch[0] == batch[1] {
		t.Fatalf("batch ids = %v", batch)
	}

	// Paging: limit=1 walks all four statements through more links.
	var seen []string
	next := "/xapi/statements?limit=1"
	for page := 0; next != ""; page++ {
		if page > 5 {
			t.Fatal("more links do not end")
		}
		r = l.do("all", "GET", next, nil, "")
		expect(t, "GET page "+next, r, 200)
		var res struct {
			Statements []struct {
				ID string `json:"id"`
			} `json:"statements"`
			More *string `json:"more"`
		}
		decodeJSON(t, r.body, &res)
		if res.More == nil || len(res.Statements) != 1 {
			t.Fatalf("page %d = %s", page, r.body)
		}
		seen = append(seen, res.Statements[0].ID)
		next = *res.More
		if next != "" && !strings.HasPrefix(next, "/xapi/statements?more=") {
			t.Fatalf("more = %q", next)
		}
	}
	want := append([]string{ids[0], putID}, batch...)
	slices.Sort(want)
	slices.Sort(seen)
	if !slices.Equal(seen, want) {
		t.Errorf("pages gave %v, want %v", seen, want)
	}

	r = l.do("all", "GET", "/xapi/statements?verb="+url.QueryEscape("http://example.com/none"), nil, "")
	expect(t, "GET empty", r, 200)
	if string(r.body) != `{"statements":[],"more":""}` {
		t.Errorf("empty result = %s", r.body)
	}

	// Canonical format applies Accept-Language; exact keeps every language.
	r = l.do("all", "GET", "/xapi/statements?format=canonical&statementId="+ids[0], map[string]string{"Accept-Language": "en-GB"}, "")
	expect(t, "GET canonical", r, 200)
	if !bytes.Contains(r.body, []byte(`"en-GB"`)) || bytes.Contains(r.body, []byte(`"en-US"`)) {
		t.Errorf("canonical en-GB = %s", r.body)
	}
	r = l.do("all", "GET", "/xapi/statements?statementId="+ids[0], map[string]string{"Accept-Language": "en-GB"}, "")
	if !bytes.Contains(r.body, []byte(`"en-US"`)) {
		t.Errorf("exact = %s", r.body)
	}

	bad := []struct {
		name, method, path string
		header             map[string]string
		body               string
		status             int
	}{
		{"unknown parameter", "GET", "/xapi/statements?foo=bar", nil, "", 400},
		{"parameter in other case", "GET", "/xapi/statements?LIMIT=1", nil, "", 400},
		{"statementId with a filter", "GET", "/xapi/statements?statementId=" + ids[0] + "&verb=http://x.org/v", nil, "", 400},
		{"more with a filter", "GET", "/xapi/statements?more=abc&limit=2", nil, "", 400},
		{"forged more", "GET", "/xapi/statements?more=not-a-token", nil, "", 400},
		{"voided lookup of a live statement", "GET", "/xapi/statements?voidedStatementId=" + ids[0], nil, "", 404},
		{"unknown statement", "GET", "/xapi/statements?statementId=0f9c9a4e-3c2d-4f4e-9a9b-0a1b2c3d4e5f", nil, "", 404},
		{"PUT without statementId", "PUT", "/xapi/statements", jsonCT, stmt, 400},
		{"PUT with StatementId", "PUT", "/xapi/statements?StatementId=" + putID, jsonCT, stmt, 400},
		{"PUT with a bad statementId", "PUT", "/xapi/statements?statementId=nope", jsonCT, stmt, 400},
		{"PUT of an array", "PUT", "/xapi/statements?statementId=" + putID, jsonCT, "[" + stmt + "]", 400},
		{"POST with a parameter", "POST", "/xapi/statements?statementId=" + putID, jsonCT, stmt, 400},
		{"POST as text/plain", "POST", "/xapi/statements", map[string]string{"Content-Type": "text/plain"}, stmt, 400},
		{"POST without Content-Type", "POST", "/xapi/statements", nil, stmt, 400},
		{"POST malformed JSON", "POST", "/xapi/statements", jsonCT, stmt[:len(stmt)-3], 400},
		{"POST as multipart/form-data", "POST", "/xapi/statements", map[string]string{"Content-Type": "multipart/form-data; boundary=xyz"}, stmt, 400},
		{"POST multipart without boundary", "POST", "/xapi/statements", map[string]string{"Content-Type": "multipart/mixed;"}, stmt, 400},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := l.do("all", tc.method, tc.path, tc.header, tc.body)
			expect(t, tc.name, r, tc.status)
			errorOf(t, r)
			if r.header.Get("X-Experience-API-Consistent-Through") == "" {
				t.Error("error answer without X-Experience-API-Consistent-Through")
			}
		})
	}
}

func TestAttachmentsEndToEnd(t *testing.T) {
	l := newLRS(t)
	mixed := map[string]string{"Content-Type": `multipart/mixed; boundary="` + specBoundary + `"`}
	r := l.do("all", "POST", "/xapi/statements", mixed, string(crlf(fixture(t, "multipart_valid.txt"))))
	expect(t, "POST multipart", r, 200)
	var ids []string
	decodeJSON(t, r.body, &ids)

	r = l.do("all", "GET", "/xapi/statements?attachments=true&statementId="+ids[0], nil, "")
	expect(t, "GET attachments=true", r, 200)
	parts := readParts(t, r)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	var st struct {
		ID string `json:"id"`
	}
	decodeJSON(t, parts[0].body, &st)
	if st.ID != ids[0] || parts[0].header.Get("Content-Type") != "application/json" {
		t.Errorf("first part = %v %s", parts[0].header, parts[0].body)
	}
	if string(parts[1].body) != "here is a simple attachment" || parts[1].header.Get("X-Experience-API-Hash") != specSHA2 ||
		parts[1].header.Get("Content-Transfer-Encoding") != "binary" || parts[1].header.Get("Content-Type") != "text/plain" {
		t.Errorf("attachment part = %v %q", parts[1].header, parts[1].body)
	}
	if n := strings.Count(string(r.body), specSHA2); n != 2 {
		t.Errorf("the hash appears %d times, want 2 (statement and part)", n)
	}

	r = l.do("all", "GET", "/xapi/statements?statementId="+ids[0], nil, "")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || bytes.Contains(r.body, []byte("here is a simple attachment")) {
		t.Errorf("attachments=false answer: %v %s", r.header, r.body)
	}

	// A query with attachments=true: the StatementResult first, then the contents; the
	// more link keeps the multipart format.
	expect(t, "POST second", l.do("all", "POST", "/xapi/statements", mixed, string(crlf(fixture(t, "multipart_valid.txt")))), 200)
	r = l.do("all", "GET", "/xapi/statements?attachments=true&limit=1", nil, "")
	expect(t, "GET query attachments", r, 200)
	parts = readParts(t, r)
	var res struct {
		Statements []json.RawMessage `json:"statements"`
		More       string            `json:"more"`
	}
	decodeJSON(t, parts[0].body, &res)
	if len(res.Statements) != 1 || !strings.HasSuffix(res.More, "&attachments=true") || len(parts) != 2 {
		t.Fatalf("query page = %s (%d parts)", parts[0].body, len(parts))
	}
	r = l.do("all", "GET", res.More, nil, "")
	expect(t, "GET more with attachments", r, 200)
	if parts = readParts(t, r); len(parts) != 2 {
		t.Errorf("more page has %d parts", len(parts))
	}

	for _, fx := range []string{"multipart_hash_mismatch.txt", "multipart_missing_hash.txt", "multipart_base64.txt", "multipart_first_not_json.txt", "multipart_no_leading_boundary.txt"} {
		r := l.do("all", "POST", "/xapi/statements", mixed, string(crlf(fixture(t, fx))))
		expect(t, fx, r, 400)
		errorOf(t, r)
	}
	// A part no statement declares is rejected by the service.
	extra := strings.Replace(string(crlf(fixture(t, "multipart_no_attachments.txt"))), "--"+specBoundary+"--",
		"--"+specBoundary+"\r\nContent-Type: text/plain\r\nX-Experience-API-Hash: "+specSHA2+"\r\n\r\nhere is a simple attachment\r\n--"+specBoundary+"--", 1)
	expect(t, "undeclared part", l.do("all", "POST", "/xapi/statements", mixed, extra), 400)
	// A statement that declares an attachment without fileUrl needs its part.
	expect(t, "missing part", l.do("all", "POST", "/xapi/statements", jsonCT, string(fixture(t, "statement_attachment.json"))), 400)
}

type part struct {
	header http.Header
	body   []byte
}

// readParts splits a multipart/mixed answer.
func readParts(t *testing.T, r response) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type = %q", r.header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
	var out []part
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("multipart answer: %v", err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, part{header: http.Header(p.Header), body: b})
	}
}

func TestAlternateSyntaxEndToEnd(t *testing.T) {
	l := newLRS(t)
	stmt := string(fixture(t, "statement.json"))
	id := "1d1f9c5e-3c2d-4f4e-9a9b-0a1b2c3d4e5f"
	formCT := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

	// Every header in the form, none in the request but the form's Content-Type.
	put := url.Values{"statementId": {id}, "content": {stmt}, "Authorization": {l.auth["all"]}, "X-Experience-API-Version": {"1.0.3"}, "Content-Type": {"application/json"}}
	r := do(t, l.base, call{method: "POST", path: "/xapi/statements?method=PUT", header: formCT, body: put.Encode()})
	expect(t, "PUT as POST", r, 204)

	get := url.Values{"statementId": {id}, "Authorization": {l.auth["all"]}, "X-Experience-API-Version": {"1.0.3"}}
	r = do(t, l.base, call{method: "POST", path: "/xapi/statements?method=GET", header: formCT, body: get.Encode()})
	expect(t, "GET as POST", r, 200)
	if !bytes.Contains(r.body, []byte(id)) {
		t.Errorf("GET as POST = %s", r.body)
	}

	r = l.do("all", "POST", "/xapi/statements?method=GET", formCT, "limit=1")
	expect(t, "query as POST", r, 200)
	var res map[string]json.RawMessage
	decodeJSON(t, r.body, &res)
	if _, ok := res["more"]; !ok || res["statements"] == nil {
		t.Errorf("query as POST = %s", r.body)
	}

	old := url.Values{"statementId": {"2d1f9c5e-3c2d-4f4e-9a9b-0a1b2c3d4e5f"}, "content": {stmt}, "X-Experience-API-Version": {"0.8"}}
	expect(t, "form version 0.8", l.do("all", "POST", "/xapi/statements?method=PUT", formCT, old.Encode()), 400)
	expect(t, "form with a bad credential", do(t, l.base, call{method: "POST", path: "/xapi/statements?method=GET", header: formCT,
		body: url.Values{"Authorization": {basic("x", "y")}, "X-Experience-API-Version": {"1.0.3"}}.Encode()}), 401)

	// Documents too: the content keeps the Content-Type field.
	agent := `{"mbox":"mailto:alt@example.com"}`
	state := url.Values{"activityId": {"http://example.com/alt"}, "agent": {agent}, "stateId": {"s1"}, "content": {`{"x":1}`}, "Content-Type": {"application/json"}}
	expect(t, "state PUT as POST", l.do("all", "POST", "/xapi/activities/state?method=PUT", formCT, state.Encode()), 204)
	r = l.do("all", "GET", "/xapi/activities/state?activityId=http://example.com/alt&stateId=s1&agent="+url.QueryEscape(agent), nil, "")
	expect(t, "state GET", r, 200)
	if string(r.body) != `{"x":1}` || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("state = %q %q", r.body, r.header.Get("Content-Type"))
	}
}

func TestAuthEndToEnd(t *testing.T) {
	l := newLRS(t)
	stmt := string(fixture(t, "statement.json"))
	expect(t, "seed", l.do("all", "POST", "/xapi/statements", jsonCT, stmt), 200)
	state := "/xapi/activities/state?activityId=http://example.com/a&stateId=s&agent=" + url.QueryEscape(`{"mbox":"mailto:a@example.com"}`)
	l.auth["wrong-secret"] = basic(l.keys["all"], "not-the-secret")
	l.auth["unknown"] = basic("no-such-key", "secret")
	l.auth["empty"] = "Basic Og=="
	tests := []struct {
		who, method, path string
		header            map[string]string
		body              string
		status            int
	}{
		{"", "GET", "/xapi/statements", nil, "", 401},
		{"wrong-secret", "GET", "/xapi/statements", nil, "", 401},
		{"unknown", "PUT", "/xapi/statements?statementId=3d1f9c5e-3c2d-4f4e-9a9b-0a1b2c3d4e5f", jsonCT, stmt, 401},
		{"empty", "GET", "/xapi/agents?agent=" + url.QueryEscape(`{"mbox":"mailto:a@example.com"}`), nil, "", 401},
		{"all", "GET", "/xapi/statements", nil, "", 200},
		{"readonly", "GET", "/xapi/statements", nil, "", 200},
		{"readonly", "POST", "/xapi/statements", jsonCT, stmt, 403},
		{"readonly", "GET", state, nil, "", 403},
		{"writeonly", "POST", "/xapi/statements", jsonCT, stmt, 200},
		{"writeonly", "GET", "/xapi/statements", nil, "", 403},
		{"state-only", "PUT", state, jsonCT, `{"a":1}`, 204},
		{"state-only", "GET", state, nil, "", 200},
		{"state-only", "GET", "/xapi/statements", nil, "", 403},
		{"state-only", "GET", "/xapi/activities/profile?activityId=http://example.com/a", nil, "", 403},
		{"", "GET", "/xapi/about", nil, "", 200},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s as %q", tc.method, tc.path, tc.who), func(t *testing.T) {
			r := l.do(tc.who, tc.method, tc.path, tc.header, tc.body)
			expect(t, "request", r, tc.status)
			if tc.status >= 400 {
				errorOf(t, r)
			}
			if got := r.header.Get("WWW-Authenticate"); (tc.status == 401) != (got == `Basic realm="Cairn xAPI"`) {
				t.Errorf("WWW-Authenticate = %q with status %d", got, r.status)
			}
		})
	}
	if err := l.creds.Revoke(t.Context(), l.keys["all"]); err != nil {
		t.Fatal(err)
	}
	expect(t, "revoked", l.do("all", "GET", "/xapi/statements", nil, ""), 401)
}

func TestDocumentsEndToEnd(t *testing.T) {
	l := newLRS(t)
	agent := url.QueryEscape(`{"objectType":"Agent","account":{"homePage":"http://www.example.com/agentId/1","name":"Rick James"}}`)
	scope := "activityId=" + url.QueryEscape("http://www.example.com/activityId/hashset") + "&agent=" + agent
	state := "/xapi/activities/state?" + scope
	etagOf := func(s string) string { sum := sha1.Sum([]byte(s)); return `"` + hex.EncodeToString(sum[:]) + `"` }

	r := l.do("all", "PUT", state+"&stateId=s1", jsonCT, `{"a":1}`)
	expect(t, "PUT state", r, 204)
	if r.header.Get("ETag") != etagOf(`{"a":1}`) {
		t.Errorf("PUT ETag = %q", r.header.Get("ETag"))
	}
	r = l.do("all", "GET", state+"&stateId=s1", nil, "")
	expect(t, "GET state", r, 200)
	if string(r.body) != `{"a":1}` || r.header.Get("ETag") != etagOf(`{"a":1}`) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("GET state = %q %v", r.body, r.header)
	}
	if _, err := http.ParseTime(r.header.Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified = %q", r.header.Get("Last-Modified"))
	}
	head := l.do("all", "HEAD", state+"&stateId=s1", nil, "")
	if head.status != 200 || len(head.body) != 0 || head.header.Get("ETag") == "" {
		t.Errorf("HEAD state = %d %q %v", head.status, head.body, head.header)
	}

	expect(t, "POST merge", l.do("all", "POST", state+"&stateId=s1", jsonCT, `{"b":{"c":2}}`), 204)
	r = l.do("all", "GET", state+"&stateId=s1", nil, "")
	var merged map[string]any
	decodeJSON(t, r.body, &merged)
	if len(merged) != 2 || merged["a"] != float64(1) {
		t.Errorf("merged = %s", r.body)
	}
	expect(t, "POST non-JSON", l.do("all", "POST", state+"&stateId=s1", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "abc"), 400)
	if after := l.do("all", "GET", state+"&stateId=s1", nil, ""); !bytes.Equal(after.body, r.body) {
		t.Errorf("a rejected POST changed the document: %s", after.body)
	}

	reg := "&registration=8f87ccde-bb56-4c2e-ab83-44982ef22df0"
	expect(t, "PUT with registration", l.do("all", "PUT", state+reg+"&stateId=s2", map[string]string{"Content-Type": "text/plain"}, "plain"), 204)
	r = l.do("all", "GET", state+reg+"&stateId=s2", nil, "")
	if string(r.body) != "plain" || r.header.Get("Content-Type") != "text/plain" {
		t.Errorf("GET text state = %q %q", r.body, r.header.Get("Content-Type"))
	}
	listIDs := func(path string) []string {
		t.Helper()
		r := l.do("all", "GET", path, nil, "")
		expect(t, "list "+path, r, 200)
		var ids []string
		decodeJSON(t, r.body, &ids)
		if ids == nil {
			t.Fatalf("list %s = %s, want an array", path, r.body)
		}
		return ids
	}
	if ids := listIDs(state + reg); !slices.Equal(ids, []string{"s2"}) {
		t.Errorf("ids in registration = %v", ids)
	}
	past := url.QueryEscape(time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano))
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if ids := listIDs(state + "&since=" + past); !slices.Contains(ids, "s1") {
		t.Errorf("ids since a minute ago = %v", ids)
	}
	if ids := listIDs(state + "&since=" + future); len(ids) != 0 {
		t.Errorf("ids since the future = %v", ids)
	}

	expect(t, "DELETE one", l.do("all", "DELETE", state+"&stateId=s1", nil, ""), 204)
	expect(t, "GET deleted", l.do("all", "GET", state+"&stateId=s1", nil, ""), 404)
	expect(t, "DELETE all", l.do("all", "DELETE", state, nil, ""), 204)
	if ids := listIDs(state + reg); len(ids) != 0 {
		t.Errorf("ids after DELETE all = %v", ids)
	}

	// Activity profile: the concurrency rules of Communication 3.1.
	profile := "/xapi/activities/profile?activityId=" + url.QueryEscape("http://www.example.com/activityId/hashset") + "&profileId=p1"
	expect(t, "PUT If-None-Match *", l.do("all", "PUT", profile, map[string]string{"Content-Type": "application/json", "If-None-Match": "*"}, `{"v":1}`), 204)
	expect(t, "PUT If-None-Match * again", l.do("all", "PUT", profile, map[string]string{"Content-Type": "application/json", "If-None-Match": "*"}, `{"v":2}`), 412)
	r = l.do("all", "PUT", profile, jsonCT, `{"v":2}`)
	expect(t, "PUT over it without a precondition", r, 409)
	if e := errorOf(t, r); !strings.Contains(e.Message, "If-Match") {
		t.Errorf("409 message does not explain: %q", e.Message)
	}
	expect(t, "PUT stale If-Match", l.do("all", "PUT", profile, map[string]string{"Content-Type": "application/json", "If-Match": `"1111111111111111111111111111111111111111"`}, `{"v":2}`), 412)
	etag := l.do("all", "GET", profile, nil, "").header.Get("ETag")
	expect(t, "PUT current If-Match", l.do("all", "PUT", profile, map[string]string{"Content-Type": "application/json", "If-Match": etag}, `{"v":3}`), 204)
	if r := l.do("all", "GET", profile, nil, ""); string(r.body) != `{"v":3}` {
		t.Errorf("profile = %s", r.body)
	}
	expect(t, "DELETE stale If-Match", l.do("all", "DELETE", profile, map[string]string{"If-Match": etag}, ""), 412)
	expect(t, "DELETE profile", l.do("all", "DELETE", profile, nil, ""), 204)

	// Agent profile.
	agentProfile := "/xapi/agents/profile?agent=" + agent
	expect(t, "POST agent profile", l.do("all", "POST", agentProfile+"&profileId=ap1", jsonCT, `{"car":"Honda"}`), 204)
	expect(t, "POST agent profile merge", l.do("all", "POST", agentProfile+"&profileId=ap1", jsonCT, `{"type":"Civic"}`), 204)
	if r := l.do("all", "GET", agentProfile+"&profileId=ap1", nil, ""); string(r.body) != `{"car":"Honda","type":"Civic"}` {
		t.Errorf("agent profile = %s", r.body)
	}
	if ids := listIDs(agentProfile); !slices.Equal(ids, []string{"ap1"}) {
		t.Errorf("agent profile ids = %v", ids)
	}

	bad := []struct{ name, method, path, msg string }{
		{"state without activityId", "GET", "/xapi/activities/state?stateId=s&agent=" + agent, "activityId"},
		{"state without agent", "PUT", "/xapi/activities/state?stateId=s&activityId=http://x.org/a", "agent"},
		{"state with agent not JSON", "GET", "/xapi/activities/state?stateId=s&activityId=http://x.org/a&agent=not%20JSON", "agent"},
		{"state with agent true", "DELETE", "/xapi/activities/state?activityId=http://x.org/a&agent=true", "agent"},
		{"state with agent without IFI", "GET", "/xapi/activities/state?activityId=http://x.org/a&agent=" + url.QueryEscape(`{"name":"x"}`), "agent"},
		{"state with bad registration", "POST", state + "&stateId=s&registration=true", "registration"},
		{"state PUT without stateId", "PUT", state, "stateId"},
		{"state with bad since", "GET", state + "&since=not%20a%20timestamp", "since"},
		{"state with since on PUT", "PUT", state + "&stateId=s&since=2020-01-01T00:00:00Z", "since"},
		{"state with unknown parameter", "GET", state + "&profileId=x", "profileId"},
		{"activity profile without activityId", "GET", "/xapi/activities/profile?profileId=p", "activityId"},
		{"activity profile with a non-IRI activityId", "GET", "/xapi/activities/profile?activityId=true", "activityId"},
		{"activity profile POST without profileId", "POST", "/xapi/activities/profile?activityId=http://x.org/a", "profileId"},
		{"activity profile DELETE without profileId", "DELETE", "/xapi/activities/profile?activityId=http://x.org/a", "profileId"},
		{"agent profile without agent", "GET", "/xapi/agents/profile?profileId=p", "agent"},
		{"agent profile with broken agent JSON", "POST", "/xapi/agents/profile?profileId=p&agent=" + strings.Replace(agent, "%3A", "%22", 1), "agent"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := l.do("all", tc.method, tc.path, jsonCT, `{"a":1}`)
			expect(t, tc.name, r, 400)
			if e := errorOf(t, r); !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q does not name %s", e.Message, tc.msg)
			}
		})
	}
	expect(t, "GET absent profile", l.do("all", "GET", "/xapi/activities/profile?activityId=http://x.org/a&profileId=none", nil, ""), 404)
}

func TestActivitiesAndAgentsEndToEnd(t *testing.T) {
	l := newLRS(t)
	expect(t, "seed", l.do("all", "POST", "/xapi/statements", jsonCT, string(fixture(t, "statement.json"))), 200)

	id := "http://www.example.com/meetings/occurances/34534"
	r := l.do("all", "GET", "/xapi/activities?activityId="+url.QueryEscape(id), nil, "")
	expect(t, "GET activity", r, 200)
	var act struct {
		ObjectType string `json:"objectType"`
		ID         string `json:"id"`
		Definition struct {
			Name map[string]string `json:"name"`
		} `json:"definition"`
	}
	decodeJSON(t, r.body, &act)
	if act.ObjectType != "Activity" || act.ID != id || act.Definition.Name["en-US"] != "example meeting" {
		t.Errorf("activity = %s", r.body)
	}
	r = l.do("all", "GET", "/xapi/activities?activityId="+url.QueryEscape("http://example.com/never/seen"), nil, "")
	expect(t, "GET unknown activity", r, 200)
	if string(r.body) != `{"id":"http://example.com/never/seen","objectType":"Activity"}` {
		t.Errorf("unknown activity = %s", r.body)
	}
	if r := l.do("all", "HEAD", "/xapi/activities?activityId="+url.QueryEscape(id), nil, ""); r.status != 200 || len(r.body) != 0 {
		t.Errorf("HEAD activity = %d %q", r.status, r.body)
	}
	expect(t, "activities without activityId", l.do("all", "GET", "/xapi/activities", nil, ""), 400)

	agent := `{"objectType":"Agent","name":"xAPI mbox","mbox":"mailto:xapi@adlnet.gov"}`
	r = l.do("all", "GET", "/xapi/agents?agent="+url.QueryEscape(agent), nil, "")
	expect(t, "GET agent", r, 200)
	if string(r.body) != `{"mbox":["mailto:xapi@adlnet.gov"],"name":["xAPI mbox"],"objectType":"Person"}` {
		t.Errorf("person = %s", r.body)
	}
	if r := l.do("all", "HEAD", "/xapi/agents?agent="+url.QueryEscape(agent), nil, ""); r.status != 200 || len(r.body) != 0 {
		t.Errorf("HEAD agents = %d %q", r.status, r.body)
	}
	expect(t, "agents without agent", l.do("all", "GET", "/xapi/agents", nil, ""), 400)
	expect(t, "agents with an agent without IFI", l.do("all", "GET", "/xapi/agents?agent="+url.QueryEscape(`{"objectType":"Agent","name":"Rick James"}`), nil, ""), 400)
}

func TestReadyzWithStore(t *testing.T) {
	l := newLRS(t)
	if r := do(t, l.base, call{method: "GET", path: "/readyz"}); r.status != 200 {
		t.Errorf("readyz = %d %s", r.status, r.body)
	}
}
