package slackroutes_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/integrations/slack"
	"github.com/cairn-lrs/cairn/web"
	"github.com/cairn-lrs/cairn/web/slackroutes"
)

const secret = "routes-test-signing-secret"

// newServer returns Cairn's web app with the Slack routes of a real Slack app (nil:
// Slack not configured) on a real SQLite store; the Slack Web API is an httptest server
// that must not be called by these requests.
func newServer(t *testing.T, configured bool) http.Handler {
	t.Helper()
	store, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "cairn.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	statements := capture.NewStatementService(capture.StatementServiceConfig{Store: store})
	app := web.New(web.Config{Statements: statements, Documents: capture.NewDocumentService(store, nil),
		Credentials: capture.NewCredentialService(store, "http://cairn.test", nil), Ready: store.Ping})
	if !configured {
		slackroutes.Mount(app, nil)
	} else {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("unexpected Slack API call %s", r.URL.Path)
			io.WriteString(w, `{"ok":false}`)
		}))
		t.Cleanup(api.Close)
		sa := slack.New(slack.Config{
			Client: goslack.New("xoxb-test", goslack.OptionAPIURL(api.URL+"/")), SigningSecret: secret,
			Statements: statements, Workspace: store, BaseURL: "http://cairn.test",
		})
		t.Cleanup(func() { sa.Close(context.Background()) })
		slackroutes.Mount(app, sa)
	}
	return adaptor{app: app}
}

// adaptor runs requests through fiber's App.Test.
type adaptor struct {
	app interface {
		Test(*http.Request, ...int) (*http.Response, error)
	}
}

func (a adaptor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, err := a.app.Test(r, -1)
	if err != nil {
		http.Error(w, err.Error(), 599)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func request(path, body, contentType string, signed bool, at time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, slackroutes.Base+path, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	if signed {
		ts := strconv.FormatInt(at.Unix(), 10)
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", slack.SignatureHeader(secret, ts, []byte(body)))
	}
	return r
}

func do(h http.Handler, r *http.Request) (int, string, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header().Get("Content-Type"), w.Body.String()
}

const (
	form     = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

var (
	helpBody = url.Values{"team_id": {"T1"}, "user_id": {"U1"}, "command": {"/cairn"}, "text": {"help"}}.Encode()
	verify   = `{"type":"url_verification","challenge":"c-123"}`
	modal    = url.Values{"payload": {`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"view":{"callback_id":"other"}}`}}.Encode()
)

func TestRoutesAnswerSignedRequests(t *testing.T) {
	h := newServer(t, true)
	now := time.Now()
	code, ct, body := do(h, request("/commands", helpBody, form, true, now))
	if code != 200 || !strings.HasPrefix(ct, "application/json") || !strings.Contains(body, "/learned read") {
		t.Fatalf("/cairn help: %d %s %s", code, ct, body)
	}
	code, _, body = do(h, request("/events", verify, jsonType, true, now))
	if code != 200 || body != `{"challenge":"c-123"}` {
		t.Fatalf("url_verification: %d %s", code, body)
	}
	code, _, body = do(h, request("/interactive", modal, form, true, now))
	if code != 200 || body != "" {
		t.Fatalf("interaction: %d %q", code, body)
	}
}

func TestRoutesRefuseUnsignedStaleAndMalformed(t *testing.T) {
	h := newServer(t, true)
	now := time.Now()
	cases := []struct {
		name, path, body, ct string
		signed               bool
		at                   time.Time
		status               int
	}{
		{"command unsigned", "/commands", helpBody, form, false, now, 401},
		{"event unsigned", "/events", verify, jsonType, false, now, 401},
		{"interaction unsigned", "/interactive", modal, form, false, now, 401},
		{"command stale", "/commands", helpBody, form, true, now.Add(-10 * time.Minute), 401},
		{"event stale", "/events", verify, jsonType, true, now.Add(-10 * time.Minute), 401},
		{"interaction stale", "/interactive", modal, form, true, now.Add(-10 * time.Minute), 401},
		{"command malformed", "/commands", "command=%zz", form, true, now, 400},
		{"event malformed", "/events", `{"type":`, jsonType, true, now, 400},
		{"interaction malformed", "/interactive", "payload=%7Bnot-json", form, true, now, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, body := do(h, request(c.path, c.body, c.ct, c.signed, c.at))
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if code != c.status || json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" {
				t.Fatalf("status %d body %s, want %d with an error message", code, body, c.status)
			}
		})
	}
	// A tampered signature header on a valid body.
	r := request("/commands", helpBody, form, true, now.Add(time.Second))
	r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
	if code, _, _ := do(h, r); code != 401 {
		t.Fatalf("bad signature: %d", code)
	}
	// The same signed request twice: the second is a replay.
	first := request("/commands", helpBody, form, true, now.Add(2*time.Second))
	second := request("/commands", helpBody, form, false, now)
	second.Header = first.Header.Clone()
	if code, _, _ := do(h, first); code != 200 {
		t.Fatalf("first: %d", code)
	}
	if code, _, _ := do(h, second); code != 401 {
		t.Fatalf("replay: %d, want 401", code)
	}
}

func TestRoutesAbsentWithoutSlackSettings(t *testing.T) {
	h := newServer(t, false)
	for _, p := range []string{"/commands", "/events", "/interactive"} {
		code, _, body := do(h, request(p, helpBody, form, true, time.Now()))
		if code != 404 || !strings.Contains(body, "not configured") {
			t.Errorf("%s: %d %s, want 404", p, code, body)
		}
	}
}

// recorder is a Handler that keeps what it was given.
type recorder struct {
	ts, sig string
	body    []byte
}

func (r *recorder) keep(_ context.Context, ts, sig string, body []byte) (string, []byte, error) {
	r.ts, r.sig, r.body = ts, sig, body
	return "text/plain", []byte("ok"), nil
}
func (r *recorder) Command(ctx context.Context, ts, sig string, b []byte) (string, []byte, error) {
	return r.keep(ctx, ts, sig, b)
}
func (r *recorder) Event(ctx context.Context, ts, sig string, b []byte) (string, []byte, error) {
	return r.keep(ctx, ts, sig, b)
}
func (r *recorder) Interaction(ctx context.Context, ts, sig string, b []byte) (string, []byte, error) {
	return r.keep(ctx, ts, sig, b)
}

// TestRoutesPassRawBodyAndHeaders checks that the handler gets the exact bytes and
// headers, still intact after later requests reuse Fiber's buffers.
func TestRoutesPassRawBodyAndHeaders(t *testing.T) {
	app := web.New(web.Config{})
	rec := &recorder{}
	slackroutes.Mount(app, rec)
	h := adaptor{app: app}
	raw := "token=a&text=read+https%3A%2F%2Fgo.dev%2F%3Fa%3D1%26b%3D2&x=%E2%9C%93"
	r := request("/commands", raw, form, true, time.Unix(1700000000, 0))
	do(h, r)
	kept := *rec
	do(h, request("/events", strings.Repeat("z", len(raw)), jsonType, false, time.Now()))
	if string(kept.body) != raw || kept.ts != "1700000000" || kept.sig != r.Header.Get("X-Slack-Signature") {
		t.Fatalf("handler got %q %q %q", kept.body, kept.ts, kept.sig)
	}
}
