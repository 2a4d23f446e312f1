package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
)

func TestParseAcceptLanguage(t *testing.T) {
	tests := []struct {
		header string
		want   []string
	}{
		{"", []string{}},
		{"en-GB", []string{"en-GB"}},
		{"fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", []string{"fr-CH", "fr", "en", "de", "*"}},
		{"en;q=0.5, de, fr;q=0.8", []string{"de", "fr", "en"}},
		{"en-US;q=0.8, en-GB;q=0.8, es", []string{"es", "en-US", "en-GB"}},
		{"da, en;q=0, fr;q=bad, ;q=1, it;Q=0.3", []string{"da", "it"}},
		{" nl ;q=1.0 , ja;q=1.5", []string{"nl"}},
	}
	for _, tc := range tests {
		if got := parseAcceptLanguage(tc.header); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseAcceptLanguage(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"1.0.3": true, "1.0.0": true, "1.0": true, "1.0.1": true, " 1.0.2 ": true, "1.0.17": true,
		"": false, "0.9": false, "0.95": false, "1.1.0": false, "2.0.0": false, "1.0.": false,
		"1.0.x": false, "1.0.3.1": false, "BAD": false, "1": false,
	} {
		err := checkVersion(v)
		if (err == nil) != ok {
			t.Errorf("checkVersion(%q) = %v, want ok=%v", v, err, ok)
		}
		if err != nil && capture.ErrorCode(err) != capture.CodeInvalid {
			t.Errorf("checkVersion(%q) code = %s, want invalid", v, capture.ErrorCode(err))
		}
	}
}

func TestBasicCredentials(t *testing.T) {
	tests := []struct {
		header, key, secret string
		ok                  bool
	}{
		{basic("key1", "s3cret"), "key1", "s3cret", true},
		{basic("key1", "pa:ss"), "key1", "pa:ss", true},
		{"basic " + strings.TrimPrefix(basic("k", "s"), "Basic "), "k", "s", true},
		{"Basic Og==", "", "", true}, // Communication 4.1.s7: explicitly empty credentials
		{"", "", "", false},
		{"Bearer abc", "", "", false},
		{"Basic:" + strings.TrimPrefix(basic("k", "s"), "Basic "), "", "", false},
		{"Basic !!!notbase64", "", "", false},
		{"Basic " + strings.TrimPrefix(basic("nocolon", ""), "Basic ")[:8], "", "", false},
	}
	for _, tc := range tests {
		key, secret, err := basicCredentials(tc.header)
		if tc.ok != (err == nil) || key != tc.key || secret != tc.secret {
			t.Errorf("basicCredentials(%q) = %q, %q, %v", tc.header, key, secret, err)
		}
		if err != nil && capture.ErrorCode(err) != capture.CodeUnauthorized {
			t.Errorf("basicCredentials(%q): code %s, want unauthorized", tc.header, capture.ErrorCode(err))
		}
	}
}

// echoed is what the echo route reports of a decoded request.
type echoed struct {
	Method string              `json:"method"`
	Params map[string][]string `json:"params"`
	Header map[string]string   `json:"header"`
	Body   string              `json:"body"`
}

// echoServer serves readRequest's result as JSON, through the real error handler.
func echoServer(t *testing.T, limit int) string {
	s := &server{log: quietLogger(), bodyLimit: limit}
	app := fiber.New(fiber.Config{ErrorHandler: s.handleError, DisableStartupMessage: true})
	app.All("/xapi/echo", func(c *fiber.Ctx) error {
		r, err := readRequest(c, limit)
		if err != nil {
			return err
		}
		e := echoed{Method: r.method, Params: r.params, Header: map[string]string{}, Body: string(r.body)}
		for k := range r.header {
			e.Header[k] = r.header.Get(k)
		}
		return sendJSON(c, 200, e)
	})
	return startServer(t, app)
}

// TestAlternateRequestSyntax covers xAPI 1.0.3 Communication 1.3: what a method= POST
// turns into, and the forms that are rejected.
func TestAlternateRequestSyntax(t *testing.T) {
	base := echoServer(t, 1<<20)
	stmt := `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/x"},"object":{"id":"http://example.com/a"}}`
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	formCT := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	tests := []struct {
		name    string
		c       call
		status  int
		want    echoed // for 200
		wantMsg string // for errors
	}{
		{
			name: "PUT with headers as form fields",
			c: call{method: "POST", path: "/xapi/echo?method=PUT", header: formCT, body: form(
				"statementId", "c70c2b85-c294-464f-baca-cebd4fb9b348",
				"Authorization", "Basic VGVzdFVzZXI6cGFzc3dvcmQ=",
				"X-Experience-API-Version", "1.0.3",
				"Content-Type", "application/json",
				"Content-Length", "351",
				"content", stmt)},
			status: 200,
			want: echoed{Method: "PUT", Params: map[string][]string{"statementId": {"c70c2b85-c294-464f-baca-cebd4fb9b348"}},
				Header: map[string]string{"Authorization": "Basic VGVzdFVzZXI6cGFzc3dvcmQ=", "X-Experience-Api-Version": "1.0.3", "Content-Type": "application/json"},
				Body:   stmt},
		},
		{
			name: "form fields override real headers; content type defaults to JSON",
			c: call{method: "POST", path: "/xapi/echo?method=POST",
				header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "X-Experience-API-Version": "1.0.3", "If-Match": `"old"`, "Accept-Language": "fr"},
				body:   form("x-experience-api-version", "0.8", "if-match", `"abc"`, "content", `{"a":1}`)},
			status: 200,
			want: echoed{Method: "POST", Params: map[string][]string{},
				Header: map[string]string{"X-Experience-Api-Version": "0.8", "If-Match": `"abc"`, "Accept-Language": "fr", "Content-Type": "application/json"},
				Body:   `{"a":1}`},
		},
		{
			name:   "GET with parameters in the form",
			c:      call{method: "POST", path: "/xapi/echo?method=GET", header: formCT, body: form("limit", "1", "verb", "http://adlnet.gov/expapi/verbs/x")},
			status: 200,
			want:   echoed{Method: "GET", Params: map[string][]string{"limit": {"1"}, "verb": {"http://adlnet.gov/expapi/verbs/x"}}, Header: map[string]string{}},
		},
		{
			name:   "non-JSON content becomes text",
			c:      call{method: "POST", path: "/xapi/echo?method=put", header: formCT, body: form("stateId", "s", "content", "plain words")},
			status: 200,
			want:   echoed{Method: "PUT", Params: map[string][]string{"stateId": {"s"}}, Header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: "plain words"},
		},
		{name: "not issued as POST", c: call{method: "PUT", path: "/xapi/echo?method=POST", header: formCT, body: form("content", stmt)}, status: 400, wantMsg: "may only be used with POST"},
		{name: "extra query parameter", c: call{method: "POST", path: "/xapi/echo?method=PUT&statementId=x", header: formCT, body: form("content", stmt)}, status: 400, wantMsg: "holds only the method parameter"},
		{name: "method given twice", c: call{method: "POST", path: "/xapi/echo?method=PUT&method=GET", header: formCT}, status: 400, wantMsg: "holds only the method parameter"},
		{name: "unknown method", c: call{method: "POST", path: "/xapi/echo?method=PATCH", header: formCT}, status: 400, wantMsg: "not one of"},
		{name: "no body at all", c: call{method: "POST", path: "/xapi/echo?method=PUT"}, status: 400, wantMsg: "application/x-www-form-urlencoded"},
		{name: "JSON body instead of a form", c: call{method: "POST", path: "/xapi/echo?method=PUT", header: map[string]string{"Content-Type": "application/json"}, body: stmt}, status: 400, wantMsg: "application/x-www-form-urlencoded"},
		{name: "form without content", c: call{method: "POST", path: "/xapi/echo?method=PUT", header: formCT, body: form("statementId", "x")}, status: 400, wantMsg: `form field "content"`},
		{name: "JSON text labelled as a form", c: call{method: "POST", path: "/xapi/echo?method=PUT", header: formCT, body: `{"statementId":"x","content":"{}"}`}, status: 400, wantMsg: `form field "content"`},
		{name: "malformed form", c: call{method: "POST", path: "/xapi/echo?method=PUT", header: formCT, body: "content=%zz"}, status: 400, wantMsg: "does not parse"},
		{name: "header field twice", c: call{method: "POST", path: "/xapi/echo?method=GET", header: formCT, body: form("Authorization", "a", "authorization", "b")}, status: 400, wantMsg: "given 2 times"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, base, tc.c)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != 200 {
				if e := errorOf(t, r); !strings.Contains(e.Message, tc.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", e.Message, tc.wantMsg)
				}
				return
			}
			var got echoed
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRequestBodyEncodings(t *testing.T) {
	base := echoServer(t, 64)
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	tests := []struct {
		name     string
		encoding string
		body     string
		status   int
		want     string
	}{
		{"plain", "", `{"a":1}`, 200, `{"a":1}`},
		{"identity", "identity", `{"a":1}`, 200, `{"a":1}`},
		{"gzip", "gzip", gz(`{"a":"zipped"}`), 200, `{"a":"zipped"}`},
		{"gzip bomb over the limit", "gzip", gz(strings.Repeat("a", 65)), 413, ""},
		{"not gzip", "gzip", "plain text", 400, ""},
		{"brotli unsupported", "br", "xx", 415, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json"}
			if tc.encoding != "" {
				h["Content-Encoding"] = tc.encoding
			}
			r := do(t, base, call{method: "PUT", path: "/xapi/echo", header: h, body: tc.body})
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != 200 {
				errorOf(t, r)
				return
			}
			var got echoed
			if err := json.Unmarshal(r.body, &got); err != nil || got.Body != tc.want {
				t.Errorf("body = %q (%v), want %q", got.Body, err, tc.want)
			}
		})
	}
}

func TestAllowParams(t *testing.T) {
	tests := []struct {
		query   string
		allowed []string
		wantErr string
	}{
		{"stateId=a&activityId=b", []string{"stateId", "activityId", "agent"}, ""},
		{"", nil, ""},
		{"foo=bar", nil, "takes no parameters"},
		{"StateId=a", []string{"stateId"}, "not a parameter of this request"},
		{"stateId=a&stateId=b", []string{"stateId"}, "given 2 times"},
	}
	for _, tc := range tests {
		v, _ := url.ParseQuery(tc.query)
		err := (&xapiRequest{params: v}).allowParams(tc.allowed...)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && !strings.Contains(capture.ErrorMessage(err), tc.wantErr) {
			t.Errorf("allowParams(%q, %v) = %v, want %q", tc.query, tc.allowed, err, tc.wantErr)
		}
	}
}

func TestPrecondition(t *testing.T) {
	tests := []struct {
		ifMatch, ifNoneMatch string
		want                 capture.Precondition
		has                  bool
	}{
		{"", "", capture.Precondition{}, false},
		{`"abc123"`, "", capture.Precondition{IfMatch: "abc123"}, true},
		{`W/"abc123"`, "", capture.Precondition{IfMatch: "abc123"}, true},
		{`"a", "b"`, "", capture.Precondition{IfMatch: "a"}, true},
		{"abc123", "", capture.Precondition{IfMatch: "abc123"}, true},
		{"", "*", capture.Precondition{IfNoneMatch: true}, true},
		{"", `"abc"`, capture.Precondition{}, false},
		{`"x"`, "*", capture.Precondition{IfMatch: "x", IfNoneMatch: true}, true},
	}
	for _, tc := range tests {
		h := map[string][]string{}
		if tc.ifMatch != "" {
			h["If-Match"] = []string{tc.ifMatch}
		}
		if tc.ifNoneMatch != "" {
			h["If-None-Match"] = []string{tc.ifNoneMatch}
		}
		got, has := precondition(h)
		if got != tc.want || has != tc.has {
			t.Errorf("precondition(%q, %q) = %+v, %v", tc.ifMatch, tc.ifNoneMatch, got, has)
		}
	}
}

func TestPersonOf(t *testing.T) {
	tests := []struct {
		agent string
		want  string
	}{
		{`{"objectType":"Agent","name":"xAPI mbox","mbox":"mailto:xapi@adlnet.gov"}`, `{"mbox":["mailto:xapi@adlnet.gov"],"name":["xAPI mbox"],"objectType":"Person"}`},
		{`{"mbox_sha1sum":"cd9b00a5611f94eaa7b1661edab976068e364975"}`, `{"mbox_sha1sum":["cd9b00a5611f94eaa7b1661edab976068e364975"],"objectType":"Person"}`},
		{`{"openid":"http://openid.example.org/1"}`, `{"objectType":"Person","openid":["http://openid.example.org/1"]}`},
		{`{"account":{"homePage":"http://www.example.com","name":"xAPI account name"}}`, `{"account":[{"homePage":"http://www.example.com","name":"xAPI account name"}],"objectType":"Person"}`},
	}
	for _, tc := range tests {
		var agent map[string]any
		if err := json.Unmarshal([]byte(tc.agent), &agent); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(personOf(agent))
		if string(got) != tc.want {
			t.Errorf("personOf(%s) = %s, want %s", tc.agent, got, tc.want)
		}
	}
}
