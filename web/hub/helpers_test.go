package hub_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/web"
	"github.com/cairn-lrs/cairn/web/hub"
)

// server is a whole Cairn app (xAPI routes and the hub) on a real listener over a
// fresh SQLite store.
type server struct {
	URL   string
	svc   *qa.Service
	creds *capture.CredentialService
	store *sqlitestore.Store
}

func logger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

func startServer(t *testing.T, mode qa.SignupMode) *server {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "cairn.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	stmts := capture.NewStatementService(capture.StatementServiceConfig{Store: st})
	creds := capture.NewCredentialService(st, base, nil)
	svc := qa.NewService(qa.Config{Store: st, Statements: stmts, Notifier: qa.Inbox{Store: st}, BaseURL: base, Signup: mode, Logger: logger()})
	app := web.New(web.Config{Statements: stmts, Documents: capture.NewDocumentService(st, nil), Credentials: creds, Ready: st.Ping, Logger: logger()})
	hub.New(hub.Config{Service: svc, Credentials: creds, Logger: logger()}).Mount(app)
	go app.Listener(ln)
	t.Cleanup(func() {
		_ = app.ShutdownWithTimeout(5 * time.Second)
		st.Close()
	})
	return &server{URL: base, svc: svc, creds: creds, store: st}
}

// client is a browser-like HTTP client with a cookie jar that does not follow redirects.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (s *server) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: s.URL, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches path and returns status, body and the first CSRF token on the page.
func (c *client) get(path string) (int, string, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	tok := ""
	if m := csrfPattern.FindStringSubmatch(string(b)); m != nil {
		tok = m[1]
	}
	return resp.StatusCode, string(b), tok
}

// post submits a form and returns status, Location and body.
func (c *client) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	resp, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// signUp creates an account through the sign-up form and stays signed in.
func (c *client) signUp(email, name string) {
	c.t.Helper()
	_, _, tok := c.get("/signup")
	status, loc, body := c.post("/signup", url.Values{"csrf": {tok}, "email": {email}, "name": {name},
		"password": {"correct horse battery"}, "password2": {"correct horse battery"}})
	if status != http.StatusSeeOther || loc != "/" {
		c.t.Fatalf("sign-up %s: %d %s\n%s", email, status, loc, body)
	}
}

// token returns the CSRF token of the signed-in session.
func (c *client) token() string {
	c.t.Helper()
	_, _, tok := c.get("/")
	if tok == "" {
		c.t.Fatal("no CSRF token on the home page")
	}
	return tok
}

func contains(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("%s: missing %q", what, p)
		}
	}
}

var _ = context.Background
