package extensionapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/web"
	"github.com/cairn-lrs/cairn/web/extensionapi"
	"github.com/gofiber/fiber/v2"
)

type env struct {
	app   *fiber.App
	creds *capture.CredentialService
}

func newEnv(t *testing.T, person func(*fiber.Ctx) (extensionapi.Identity, bool)) *env {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "cairn.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	creds := capture.NewCredentialService(st, "https://lrs.example.com", nil)
	app := web.New(web.Config{
		Statements:  capture.NewStatementService(capture.StatementServiceConfig{Store: st}),
		Documents:   capture.NewDocumentService(st, nil),
		Credentials: creds,
	})
	settings := extensionapi.DefaultSettings()
	settings.Deny = []string{"*.intranet.example.com"}
	extensionapi.Mount(app, extensionapi.Config{Credentials: creds, Person: person, XAPIEndpoint: "https://lrs.example.com/xapi", Settings: settings})
	return &env{app: app, creds: creds}
}

// do sends one request and returns the status, headers and body.
func (e *env) do(t *testing.T, method, path, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func basic(key, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
}

func TestConnectWithCode(t *testing.T) {
	e := newEnv(t, nil)
	agent, err := extensionapi.AgentFor("ada@example.com", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	code, _, err := e.creds.IssueConnectCode(context.Background(), agent, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	origin := map[string]string{"Origin": "chrome-extension://abcdef", "Content-Type": "application/json"}
	status, hdr, body := e.do(t, "POST", "/api/extension/connect", `{"code":"`+code+`"}`, origin)
	if status != 200 || hdr.Get("Access-Control-Allow-Origin") != "chrome-extension://abcdef" {
		t.Fatalf("connect: %d %v %s", status, hdr, body)
	}
	var got struct {
		Endpoint, Key, Secret string
		Agent                 map[string]any
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Endpoint != "https://lrs.example.com/xapi" || got.Key == "" || got.Secret == "" || got.Agent["mbox"] != "mailto:ada@example.com" {
		t.Errorf("connect answer %+v", got)
	}
	// The code is spent.
	if status, _, body := e.do(t, "POST", "/api/extension/connect", `{"code":"`+code+`"}`, origin); status != 403 || !strings.Contains(body, "connect code") {
		t.Errorf("second connect: %d %s", status, body)
	}
	// The credential writes only Ada's statements.
	xapi := map[string]string{"Authorization": basic(got.Key, got.Secret), "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
	stmt := func(mbox string) string {
		return `{"actor":{"mbox":"` + mbox + `"},"verb":{"id":"https://w3id.org/xapi/adb/verbs/read"},"object":{"id":"https://example.com/a"}}`
	}
	if status, _, body := e.do(t, "POST", "/xapi/statements", stmt("mailto:ada@example.com"), xapi); status != 200 {
		t.Errorf("own statement: %d %s", status, body)
	}
	if status, _, body := e.do(t, "POST", "/xapi/statements", stmt("mailto:bob@example.com"), xapi); status != 403 || !strings.Contains(body, "actor") {
		t.Errorf("other actor: %d %s", status, body)
	}
	// Listed and revocable by its owner.
	auth := map[string]string{"Authorization": basic(got.Key, got.Secret)}
	status, _, body = e.do(t, "GET", "/api/extension/credentials", "", auth)
	if status != 200 || !strings.Contains(body, got.Key) || !strings.Contains(body, extensionapi.CredentialName) {
		t.Errorf("list: %d %s", status, body)
	}
	if status, _, body := e.do(t, "DELETE", "/api/extension/credentials/nope", "", auth); status != 404 {
		t.Errorf("revoke unknown: %d %s", status, body)
	}
	if status, _, body := e.do(t, "DELETE", "/api/extension/credentials/"+got.Key, "", auth); status != 204 {
		t.Errorf("revoke: %d %s", status, body)
	}
	if status, _, _ := e.do(t, "POST", "/xapi/statements", stmt("mailto:ada@example.com"), xapi); status != 401 {
		t.Errorf("write after revoke: %d, want 401", status)
	}
}

func TestConnectRefusals(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, body string
		status     int
	}{
		{"no code, nobody signed in", ``, 401},
		{"not JSON", `code=1`, 400},
		{"unknown code", `{"code":"abc"}`, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, _, body := e.do(t, "POST", "/api/extension/connect", tt.body, nil); status != tt.status {
				t.Errorf("%d %s, want %d", status, body, tt.status)
			}
		})
	}
	if status, _, _ := e.do(t, "GET", "/api/extension/credentials", "", nil); status != 401 {
		t.Errorf("list without identity: %d", status)
	}
}

func TestConnectSignedInPerson(t *testing.T) {
	e := newEnv(t, func(c *fiber.Ctx) (extensionapi.Identity, bool) {
		if c.Get("Cookie") == "session=grace" {
			return extensionapi.Identity{Name: "Grace", Email: "grace@example.com"}, true
		}
		return extensionapi.Identity{}, false
	})
	session := map[string]string{"Cookie": "session=grace"}
	// From a web page (no extension origin) a session alone does not mint credentials.
	if status, _, _ := e.do(t, "POST", "/api/extension/connect", "", map[string]string{"Cookie": "session=grace", "Origin": "https://evil.example"}); status != 401 {
		t.Errorf("session from a web origin: %d, want 401", status)
	}
	status, _, body := e.do(t, "POST", "/api/extension/connect", "", map[string]string{"Cookie": "session=grace", "Origin": "moz-extension://x"})
	if status != 200 || !strings.Contains(body, "mailto:grace@example.com") {
		t.Fatalf("session connect: %d %s", status, body)
	}
	status, _, body = e.do(t, "GET", "/api/extension/credentials", "", session)
	var list []map[string]any
	if status != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 {
		t.Errorf("list: %d %s", status, body)
	}
}

func TestConfigAndPreflight(t *testing.T) {
	e := newEnv(t, nil)
	status, _, body := e.do(t, "GET", "/api/extension/config", "", nil)
	var s extensionapi.Settings
	if status != 200 || json.Unmarshal([]byte(body), &s) != nil || s.ReadSeconds != 30 || s.ScrollDepth != 0.6 || len(s.Deny) != 1 || s.Deny[0] != "*.intranet.example.com" {
		t.Errorf("config: %d %s", status, body)
	}
	status, hdr, _ := e.do(t, "OPTIONS", "/api/extension/connect", "", map[string]string{"Origin": "chrome-extension://abc", "Access-Control-Request-Method": "POST"})
	if status != 204 || hdr.Get("Access-Control-Allow-Origin") != "chrome-extension://abc" || !strings.Contains(hdr.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %d %v", status, hdr)
	}
	_, hdr, _ = e.do(t, "GET", "/api/extension/config", "", map[string]string{"Origin": "https://evil.example"})
	if hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("web origin got CORS %q", hdr.Get("Access-Control-Allow-Origin"))
	}
}
