package admin_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/web/admin"
)

// newPrivacyEnv mounts the console with the erasure page, a pseudonymiser, and the
// privacy mode on or off, over a store holding testdata/import.ndjson.
func newPrivacyEnv(t *testing.T, privacy bool) (env, *sqlitestore.Store) {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := env{
		app:   fiber.New(fiber.Config{DisableStartupMessage: true}),
		creds: capture.NewCredentialService(st, "https://cairn.example.com", nil),
		svc:   capture.NewStatementService(capture.StatementServiceConfig{Store: st}),
	}
	sealer, err := federation.NewSealer("a pseudonym key, long enough")
	if err != nil {
		t.Fatal(err)
	}
	admin.Mount(e.app, admin.Config{
		Access: testAccess{}, Statements: e.svc, Credentials: e.creds,
		Status:       func(context.Context) (admin.Status, error) { return admin.Status{}, nil },
		Eraser:       erasure.New(erasure.Config{Store: st, Audit: st, Rollups: st, HomePage: "https://cairn.example.com"}),
		Privacy:      privacy,
		Pseudonymize: sealer.NewPseudonymizer(federation.PrivacyPseudonymise, "export", "https://cairn.example.com").Apply,
	})
	if code, body := e.upload(t, "import.ndjson"); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	return e, st
}

// The erasure page: refused without the CSRF token; a first POST only shows what
// would go and a confirmation form; the confirmed POST erases and lists the record.
func TestErasurePage(t *testing.T) {
	e, st := newPrivacyEnv(t, false)
	form := url.Values{"agents": {"learner2@example.com"}, "by": {"Dana Admin"}, "reason": {"ticket 12"}}
	code, _, body := e.do(t, http.MethodPost, "/admin/erasure", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", true)
	if code != fiber.StatusForbidden || !strings.Contains(body, "form has expired") {
		t.Fatalf("erase without CSRF: %d %s", code, body)
	}
	if code, _, _ := e.do(t, http.MethodGet, "/admin/erasure", nil, "", false); code != fiber.StatusForbidden {
		t.Errorf("erasure page without admin: %d", code)
	}
	form.Set("csrf", "token-1")
	code, body = e.post(t, "/admin/erasure", form)
	if code != 200 || !strings.Contains(body, "2 stored statements name them") || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("first step: %d %s", code, body)
	}
	if got, _ := st.StatementsMentioning(t.Context(), []string{"mbox:mailto:learner2@example.com"}, 0, 100); len(got) != 2 {
		t.Fatalf("the first step erased something: %d statements left, want 2", len(got))
	}
	bad := url.Values{"agents": {`{"mbox":"learner2"}`}, "by": {"Dana"}, "reason": {"r"}, "csrf": {"token-1"}}
	if code, body := e.post(t, "/admin/erasure", bad); code != 400 || !strings.Contains(body, "agents[0].mbox") {
		t.Errorf("bad agent: %d %s", code, body)
	}
	form.Set("confirm", "yes")
	code, body = e.post(t, "/admin/erasure", form)
	if code != fiber.StatusCreated || !strings.Contains(body, "2 statements removed") || !strings.Contains(body, "Dana Admin") {
		t.Fatalf("confirmed: %d %s", code, body)
	}
	if got, _ := st.StatementsMentioning(t.Context(), []string{"mbox:mailto:learner2@example.com"}, 0, 100); len(got) != 0 {
		t.Errorf("after erasure %d statements name the person", len(got))
	}
	_, _, page := e.do(t, http.MethodGet, "/admin/erasure", nil, "", true)
	if !strings.Contains(page, "ticket 12") || strings.Contains(page, "learner2") {
		t.Errorf("audit list: %s", page)
	}
	_, _, explorer := e.do(t, http.MethodGet, "/admin/statements", nil, "", true)
	if strings.Contains(explorer, "learner2") || strings.Contains(explorer, "Learner 2") {
		t.Errorf("the explorer still shows the erased person")
	}
}

// In privacy mode the explorer shows no actor column or filter and refuses an agent
// filter, the raw statement and every export are pseudonymised; without it the
// explorer shows people and offers pseudonymised exports next to plain ones.
func TestPrivacyModeConsole(t *testing.T) {
	people := []string{"learner1@example.com", "Learner 1", "learner2@example.com", "Learner 2"}
	noPeople := func(what, body string) {
		t.Helper()
		for _, p := range people {
			if strings.Contains(body, p) {
				t.Errorf("%s shows %q", what, p)
			}
		}
	}
	e, _ := newPrivacyEnv(t, true)
	rows := regexp.MustCompile(`<tr><td><a href="/admin/statements/`)
	code, _, body := e.do(t, http.MethodGet, "/admin/statements", nil, "", true)
	if code != 200 || len(rows.FindAllString(body, -1)) != 4 || strings.Contains(body, `<th scope="col">Actor</th>`) || strings.Contains(body, `name="agent"`) {
		t.Errorf("privacy explorer: %d, %d rows\n%s", code, len(rows.FindAllString(body, -1)), body)
	}
	noPeople("the privacy explorer", body)
	if code, _, body := e.do(t, http.MethodGet, "/admin/statements?agent=learner2@example.com", nil, "", true); code != 400 || !strings.Contains(body, "privacy mode") {
		t.Errorf("agent filter in privacy mode: %d", code)
	}
	if code, _, _ := e.do(t, http.MethodGet, "/admin/statements/export.csv?agent=learner2@example.com", nil, "", true); code != 400 {
		t.Errorf("export by agent in privacy mode: %d, want 400", code)
	}
	code, _, body = e.do(t, http.MethodGet, "/admin/statements/00000000-0000-4000-8000-000000000002", nil, "", true)
	if code != 200 || !strings.Contains(body, "https://cairn.example.com") {
		t.Errorf("raw statement in privacy mode: %d %s", code, body)
	}
	noPeople("the raw statement in privacy mode", html.UnescapeString(body))
	for _, f := range []string{"csv", "ndjson"} {
		code, _, body := e.do(t, http.MethodGet, "/admin/statements/export."+f, nil, "", true)
		if code != 200 || strings.Count(body, "\n") < 4 || !strings.Contains(body, "https://cairn.example.com") {
			t.Errorf("privacy %s export: %d %q", f, code, body)
		}
		noPeople("the privacy "+f+" export", body)
	}

	plain, _ := newPrivacyEnv(t, false)
	_, _, body = plain.do(t, http.MethodGet, "/admin/statements?platform=Slack", nil, "", true)
	if !strings.Contains(body, "Learner 1") || !strings.Contains(body, `<th scope="col">Actor</th>`) {
		t.Errorf("explorer without privacy hides people:\n%s", body)
	}
	m := regexp.MustCompile(`id="export-ndjson-pseudo" href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no pseudonymised export link:\n%s", body)
	}
	code, _, body = plain.do(t, http.MethodGet, html.UnescapeString(m[1]), nil, "", true)
	if code != 200 || strings.Count(body, "\n") != 2 {
		t.Errorf("pseudonymised export link %s: %d, %d lines", m[1], code, strings.Count(body, "\n"))
	}
	noPeople("the pseudonymised export", body)
	_, _, body = plain.do(t, http.MethodGet, "/admin/statements/export.ndjson?platform=Slack", nil, "", true)
	if !strings.Contains(body, "learner1@example.com") {
		t.Errorf("the plain export lost identifiers: %s", body)
	}
}
