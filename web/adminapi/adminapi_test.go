package adminapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/xapiclient"
	"github.com/cairn-lrs/cairn/web"
	"github.com/cairn-lrs/cairn/web/adminapi"
)

type lrs struct {
	url      string
	store    *sqlitestore.Store
	creds    *capture.CredentialService
	partners *federation.Partners
	mgr      *federation.Manager
}

// start serves a Cairn instance with the admin API on a free port until t ends.
func start(t *testing.T) *lrs {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	l := &lrs{url: "http://" + ln.Addr().String(), store: st}
	l.creds = capture.NewCredentialService(st, l.url, nil)
	sealer, _ := federation.NewSealer("admin api test partner key")
	l.partners = federation.NewPartners(st, sealer, nil)
	stmts := capture.NewStatementService(capture.StatementServiceConfig{Store: st})
	l.mgr = federation.NewManager(federation.Config{Partners: l.partners, Feed: st, Statements: stmts, Sealer: sealer,
		Connect: xapiclient.Connect(&http.Client{Timeout: 5 * time.Second}), HomePage: l.url, Holder: "t"})
	app := web.New(web.Config{Statements: stmts, Documents: capture.NewDocumentService(st, nil), Credentials: l.creds, Ready: st.Ping,
		Mount: adminapi.Mounter(adminapi.Config{Credentials: l.creds, Partners: l.partners, Manager: l.mgr,
			Eraser: erasure.New(erasure.Config{Store: st, Audit: st, Rollups: st, HomePage: l.url})})})
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second); st.Close() })
	return l
}

func (l *lrs) cred(t *testing.T, scopes ...string) [2]string {
	c, secret, err := l.creds.Create(t.Context(), "x", scopes, false)
	if err != nil {
		t.Fatal(err)
	}
	return [2]string{c.Key, secret}
}

func call(t *testing.T, method, url string, cred [2]string, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if cred[0] != "" {
		req.SetBasicAuth(cred[0], cred[1])
	}
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestAdminAPI(t *testing.T) {
	a, b := start(t), start(t)
	admin, xapi := a.cred(t, capture.ScopeAdmin), a.cred(t, capture.ScopeAll)
	bKey := b.cred(t, capture.ScopeAll)

	if code, _ := call(t, "GET", a.url+"/api/admin/partners", [2]string{}, ""); code != 401 {
		t.Errorf("no credentials: %d, want 401", code)
	}
	if code, body := call(t, "GET", a.url+"/api/admin/partners", xapi, ""); code != 403 || !bytes.Contains(body, []byte("admin scope")) {
		t.Errorf("xAPI credential: %d %s, want 403", code, body)
	}
	if code, _ := call(t, "GET", a.url+"/xapi/statements", admin, ""); code != 403 {
		t.Errorf("admin credential on /xapi: %d, want 403", code)
	}
	code, body := call(t, "POST", a.url+"/api/admin/partners", admin, `{"name":"b","endpoint":"`+b.url+`/xapi","batch":10,"interval":"30s",
		"auth":{"key":"`+bKey[0]+`","secret":"`+bKey[1]+`"},"filter":{"platforms":["Slack"]}}`)
	if code != 201 || bytes.Contains(body, []byte(bKey[1])) {
		t.Fatalf("add: %d %s", code, body)
	}
	if code, body := call(t, "POST", a.url+"/api/admin/partners", admin, `{"name":"b","endpoint":"`+b.url+`/xapi","auth":{"key":"k","secret":"s"}}`); code != 409 {
		t.Errorf("add twice: %d %s", code, body)
	}
	if code, body := call(t, "POST", a.url+"/api/admin/partners", admin, `{"name":"c","endpoint":"x","bogus":1}`); code != 400 {
		t.Errorf("add with an unknown field: %d %s", code, body)
	}
	code, body = call(t, "GET", a.url+"/api/admin/partners", admin, "")
	var list []federation.PartnerStatus
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || len(list) != 1 || list[0].Interval != 30*time.Second || list[0].Filter.Platforms[0] != "Slack" {
		t.Fatalf("list: %d %v %s", code, err, body)
	}
	if code, body := call(t, "POST", a.url+"/api/admin/partners/b/test", admin, ""); code != 200 || !bytes.Contains(body, []byte(`"ok":true`)) {
		t.Errorf("test: %d %s", code, body)
	}
	if code, body := call(t, "POST", a.url+"/api/admin/partners/b/pause", admin, ""); code != 200 || !bytes.Contains(body, []byte(`"state":"paused"`)) {
		t.Errorf("pause: %d %s", code, body)
	}
	if code, body := call(t, "PUT", a.url+"/api/admin/partners/b", admin, `{"endpoint":"`+b.url+`/xapi","batch":20}`); code != 200 || !bytes.Contains(body, []byte(`"batch":20`)) {
		t.Errorf("update: %d %s", code, body)
	}
	if code, body := call(t, "POST", a.url+"/api/admin/partners/b/test", admin, ""); code != 200 || !bytes.Contains(body, []byte(`"ok":true`)) {
		t.Errorf("test after an update without auth (credentials kept): %d %s", code, body)
	}

	// A dead letter for a stored statement: replay delivers it to b and removes it.
	st := `{"id":"00000000-0000-4000-8000-000000000001","actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/o"}}`
	if code, body := call(t, "POST", a.url+"/xapi/statements", xapi, st); code != 200 {
		t.Fatalf("post: %d %s", code, body)
	}
	letter := federation.DeadLetter{ID: "l1", Partner: "b", Direction: federation.Push, StatementID: "00000000-0000-4000-8000-000000000001", Status: 400, Reason: "x", At: time.Now()}
	if err := a.store.AddDeadLetters(t.Context(), []federation.DeadLetter{letter}); err != nil {
		t.Fatal(err)
	}
	if code, body := call(t, "GET", a.url+"/api/admin/partners/b/deadletters", admin, ""); code != 200 || !bytes.Contains(body, []byte(`"id":"l1"`)) {
		t.Errorf("letters: %d %s", code, body)
	}
	if code, body := call(t, "GET", a.url+"/api/admin/deadletters/l1", admin, ""); code != 200 || !bytes.Contains(body, []byte(`"reason":"x"`)) {
		t.Errorf("letter: %d %s", code, body)
	}
	if code, body := call(t, "POST", a.url+"/api/admin/deadletters/l1/replay", admin, ""); code != 200 {
		t.Fatalf("replay: %d %s", code, body)
	}
	if recs, _ := b.store.StatementsByID(t.Context(), []string{"00000000-0000-4000-8000-000000000001"}); len(recs) != 1 {
		t.Error("the replayed statement did not reach b")
	}
	if code, _ := call(t, "GET", a.url+"/api/admin/deadletters/l1", admin, ""); code != 404 {
		t.Errorf("letter after replay: %d, want 404", code)
	}
	if code, _ := call(t, "DELETE", a.url+"/api/admin/deadletters/l1", admin, ""); code != 404 {
		t.Errorf("discard of a removed letter: %d, want 404", code)
	}

	// The admin page shows the partner and runs actions as form posts.
	if code, _ := call(t, "GET", a.url+"/admin/partners/", [2]string{}, ""); code != 401 {
		t.Errorf("page without credentials: %d, want 401", code)
	}
	code, body = call(t, "GET", a.url+"/admin/partners/", admin, "")
	if code != 200 || !bytes.Contains(body, []byte("<td>b<br>")) || !bytes.Contains(body, []byte("Resume")) {
		t.Errorf("page: %d %s", code, body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", a.url+"/admin/partners/b/resume", nil)
	req.SetBasicAuth(admin[0], admin[1])
	resp, err := noRedirect.Do(req)
	if err != nil || resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "resumed") {
		t.Fatalf("page resume: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, body := call(t, "GET", a.url+"/admin/partners/", admin, ""); code != 200 || !bytes.Contains(body, []byte(">Pause<")) {
		t.Errorf("page after resume: %d %s", code, body)
	}
	req, _ = http.NewRequest("POST", a.url+"/admin/partners/b/pause", nil)
	req.SetBasicAuth(admin[0], admin[1])
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != 403 {
		t.Fatalf("cross-site form post: %v %v, want 403", resp, err)
	}
	call(t, "POST", a.url+"/api/admin/partners/b/pause", admin, "")

	code, body = call(t, "GET", a.url+"/metrics", admin, "")
	for _, want := range []string{
		"# TYPE cairn_partner_delivered_total counter",
		`cairn_partner_lag_statements{partner="b",direction="push"} 1`,
		`cairn_partner_paused{partner="b",direction="push"} 1`,
		`cairn_partner_dead_letters{partner="b",direction="push"} 0`,
	} {
		if code != 200 || !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if code, _ := call(t, "DELETE", a.url+"/api/admin/partners/b", admin, ""); code != 204 {
		t.Errorf("remove: %d", code)
	}
	if code, _ := call(t, "GET", a.url+"/api/admin/partners/b", admin, ""); code != 404 {
		t.Errorf("removed partner: %d, want 404", code)
	}
}
