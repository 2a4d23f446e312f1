package admin_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/web/admin"
)

// testAccess admits requests carrying X-Admin: yes; the CSRF token is fixed.
type testAccess struct{}

func (testAccess) RequireAdmin(c *fiber.Ctx) error {
	if c.Get("X-Admin") != "yes" {
		return c.Status(fiber.StatusForbidden).SendString("admins only")
	}
	return c.Next()
}
func (testAccess) CSRFToken(*fiber.Ctx) string { return "token-1" }
func (testAccess) CheckCSRF(c *fiber.Ctx) bool { return c.FormValue("csrf") == "token-1" }

type env struct {
	store  *sqlitestore.Store
	hub    *qa.Service
	rollup *reports.Rollup
	app    *fiber.App
	creds  *capture.CredentialService
	svc    *capture.StatementService
}

func newEnv(t *testing.T) env { return newEnvWith(t, nil) }

// newEnvWith is newEnv with the report pages under privacy (nil: no privacy rule).
func newEnvWith(t *testing.T, privacy *reports.Privacy) env {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := env{
		store: st,
		hub:   qa.NewService(qa.Config{Store: st}),
		app:   fiber.New(fiber.Config{DisableStartupMessage: true}),
		creds: capture.NewCredentialService(st, "https://cairn.example.com", nil),
		svc:   capture.NewStatementService(capture.StatementServiceConfig{Store: st}),
	}
	e.rollup = &reports.Rollup{Feed: st, Store: st}
	rep := &reports.Reports{Store: st, ActivityByID: e.svc.Activity}
	if privacy != nil {
		rep.Privacy = *privacy
	}
	admin.Mount(e.app, admin.Config{
		Reports: rep, ImportProgress: time.Nanosecond,
		Access: testAccess{}, Statements: e.svc, Credentials: e.creds,
		People: e.hub.Admin(), SlackLinks: testLinks{st, e.hub}, Hub: e.hub,
		Settings: []admin.Setting{{Name: "Time zone", Value: "Europe/Paris", From: "CAIRN_TIMEZONE", Change: "--timezone or CAIRN_TIMEZONE", Effect: "report weeks"}},
		Status: func(ctx context.Context) (admin.Status, error) {
			n, size, err := st.Stats(ctx)
			return admin.Status{Statements: n, StoreBytes: size, LastStored: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}, err
		},
	})
	return e
}

// do sends a request as an admin (unless asAdmin is false) and returns status and body.
func (e env) do(t *testing.T, method, target string, body io.Reader, contentType string, asAdmin bool) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if asAdmin {
		req.Header.Set("X-Admin", "yes")
	}
	resp, err := e.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (e env) post(t *testing.T, target string, form url.Values) (int, string) {
	code, _, body := e.do(t, http.MethodPost, target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", true)
	return code, body
}

func TestAccessAndCSRF(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/admin/", "/admin/credentials", "/admin/statements", "/admin/statements/export.csv", "/admin/import"} {
		if code, _, _ := e.do(t, http.MethodGet, path, nil, "", false); code != fiber.StatusForbidden {
			t.Errorf("GET %s without admin: %d, want 403", path, code)
		}
	}
	code, body := e.post(t, "/admin/credentials", url.Values{"name": {"x"}, "scope": {"all"}})
	if code != fiber.StatusForbidden || !strings.Contains(body, "form has expired") {
		t.Errorf("POST without CSRF token: %d %q", code, body)
	}
	if list, _ := e.creds.List(t.Context()); len(list) != 0 {
		t.Errorf("a credential was created without a CSRF token: %+v", list)
	}
	code, hdr, body := e.do(t, http.MethodGet, "/admin/", nil, "", true)
	if code != 200 || !strings.Contains(body, "Statements stored") || !strings.Contains(body, "2026-11-01 00:00:00 UTC") {
		t.Errorf("status page: %d %s", code, body)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(body, "<style") || strings.Contains(body, "style=") {
		t.Errorf("status page CSP %q, or inline styles that it would block", csp)
	}
	if code, hdr, css := e.do(t, http.MethodGet, "/admin/static/admin.css", nil, "", false); code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") || !strings.Contains(css, "--accent") {
		t.Errorf("stylesheet: %d %q", code, hdr.Get("Content-Type"))
	}
}

var (
	keyRE    = regexp.MustCompile(`id="new-key">([^<]+)<`)
	secretRE = regexp.MustCompile(`id="new-secret">([^<]+)<`)
)

func TestCredentials(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name     string
		form     url.Values
		wantCode int
		wantText string
	}{
		{"no name", url.Values{"scope": {"all"}}, 400, "Give the credential a name"},
		{"no scope", url.Values{"name": {"x"}}, 400, "at least one scope"},
		{"unknown scope", url.Values{"name": {"x"}, "scope": {"root"}}, 400, "unknown scope"},
		{"created", url.Values{"name": {"course <player>"}, "scope": {"statements/write", "statements/read/mine"}}, 201, "course &lt;player&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", "token-1")
			code, body := e.post(t, "/admin/credentials", tt.form)
			if code != tt.wantCode || !strings.Contains(body, tt.wantText) {
				t.Errorf("%d, want %d containing %q:\n%s", code, tt.wantCode, tt.wantText, body)
			}
		})
	}
	_, body := e.post(t, "/admin/credentials", url.Values{"csrf": {"token-1"}, "name": {"player"}, "scope": {"all"}})
	key, secret := keyRE.FindStringSubmatch(body), secretRE.FindStringSubmatch(body)
	if key == nil || secret == nil {
		t.Fatalf("no key and secret shown:\n%s", body)
	}
	if _, err := e.creds.Authenticate(t.Context(), key[1], secret[1]); err != nil {
		t.Fatalf("the shown key and secret do not authenticate: %v", err)
	}
	if code, _ := e.post(t, "/admin/credentials/"+key[1]+"/revoke", url.Values{"csrf": {"token-1"}}); code != fiber.StatusSeeOther {
		t.Errorf("revoke: %d, want 303", code)
	}
	if _, err := e.creds.Authenticate(t.Context(), key[1], secret[1]); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Errorf("after revoking, authenticate = %v, want unauthorized", err)
	}
	if code, body := e.post(t, "/admin/credentials/nope/revoke", url.Values{"csrf": {"token-1"}}); code != 404 || !strings.Contains(body, "No credential with key nope") {
		t.Errorf("revoke unknown: %d %s", code, body)
	}
}

// upload posts the named fixture to the import form.
func (e env) upload(t *testing.T, name string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", "token-1")
	fw, _ := mw.CreateFormFile("file", name)
	content, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	code, _, body := e.do(t, http.MethodPost, "/admin/import", &buf, mw.FormDataContentType(), true)
	return code, body
}

func TestImportExplorerExport(t *testing.T) {
	e := newEnv(t)
	code, body := e.upload(t, "import.ndjson")
	if code != 200 || !strings.Contains(body, "11 lines: 5 statements accepted, 5 rejected.") || !strings.Contains(body, "actor.mbox") {
		t.Fatalf("import: %d\n%s", code, body)
	}

	rows := regexp.MustCompile(`<tr><td><a href="/admin/statements/`)
	tests := []struct {
		query    string
		wantCode int
		wantRows int
		wantText string
	}{
		{"", 200, 4, "Learner"},
		{"?platform=Slack", 200, 2, "Slack"},
		{"?agent=learner2@example.com", 200, 2, ""},
		{"?verb=http://adlnet.gov/expapi/verbs/completed", 200, 1, "completed"},
		{"?verb=not-an-iri", 400, 0, "verb"},
		{"?since=yesterday", 400, 0, "since"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, _, body := e.do(t, http.MethodGet, "/admin/statements"+tt.query, nil, "", true)
			if n := len(rows.FindAllString(body, -1)); code != tt.wantCode || n != tt.wantRows || !strings.Contains(body, tt.wantText) {
				t.Errorf("%d with %d rows, want %d with %d containing %q", code, n, tt.wantCode, tt.wantRows, tt.wantText)
			}
		})
	}
	// The formula-looking name is shown escaped in HTML; the export links keep the filter.
	_, _, body = e.do(t, http.MethodGet, "/admin/statements?platform=Slack", nil, "", true)
	if !strings.Contains(body, `href="/admin/statements/export.csv?platform=Slack"`) {
		t.Errorf("the CSV export link does not carry the filter")
	}
	if !strings.Contains(body, "=HYPERLINK(&#34;http://evil&#34;)") {
		t.Errorf("actor name not shown escaped:\n%s", body)
	}

	code, hdr, body := e.do(t, http.MethodGet, "/admin/statements/export.csv?platform=Slack", nil, "", true)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != 200 || err != nil || len(recs) != 3 || !strings.Contains(hdr.Get("Content-Disposition"), "statements.csv") {
		t.Errorf("csv export: %d, %d records, %v, %q", code, len(recs), err, hdr.Get("Content-Disposition"))
	}
	code, _, body = e.do(t, http.MethodGet, "/admin/statements/export.ndjson", nil, "", true)
	if code != 200 || strings.Count(body, "\n") != 4 {
		t.Errorf("ndjson export: %d, %d lines", code, strings.Count(body, "\n"))
	}
	if code, _, _ := e.do(t, http.MethodGet, "/admin/statements/export.xml", nil, "", true); code != 404 {
		t.Errorf("export.xml: %d, want 404", code)
	}

	id := "00000000-0000-4000-8000-000000000002"
	code, _, body = e.do(t, http.MethodGet, "/admin/statements/"+id, nil, "", true)
	if code != 200 || !strings.Contains(body, `&#34;id&#34;: &#34;`+id) {
		t.Errorf("statement page: %d\n%s", code, body)
	}
	// Voided statements stay on record and are shown as such.
	void := `{"actor":{"mbox":"mailto:admin@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"` + id + `"}}`
	stmts, _, _ := capture.DecodeStatements([]byte(void))
	if _, err := e.svc.Write(t.Context(), capture.WriteRequest{Statements: stmts, Principal: e.creds.SystemPrincipal("test", false)}); err != nil {
		t.Fatal(err)
	}
	code, _, body = e.do(t, http.MethodGet, "/admin/statements/"+id, nil, "", true)
	if code != 200 || !strings.Contains(body, "This statement is voided") {
		t.Errorf("voided statement page: %d\n%s", code, body)
	}
	for path, want := range map[string]int{"/admin/statements/00000000-0000-4000-8000-00000000ffff": 404, "/admin/statements/bad-id": 400} {
		if code, _, _ := e.do(t, http.MethodGet, path, nil, "", true); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
}

func TestImportWithoutFile(t *testing.T) {
	e := newEnv(t)
	code, body := e.post(t, "/admin/import", url.Values{"csrf": {"token-1"}})
	if code != 400 || !strings.Contains(body, "Choose an NDJSON file") {
		t.Errorf("import without a file: %d %s", code, body)
	}
}

func TestReportsPage(t *testing.T) {
	tests := []struct {
		name    string
		privacy *reports.Privacy
		want    []string
		notWant []string
	}{
		{"open", nil, []string{"Statements per week by source", "<rect", "Article 1</a></td><td>1</td><td>1</td>", "Slack, week of"},
			[]string{"Privacy mode"}},
		// Each article was read by one person, and each source's statements come from
		// one person: under k=2 they all go; the week's two learners stay.
		{"k2", &reports.Privacy{Aggregate: true, K: 2}, []string{"Privacy mode:", "2 figures for smaller groups are hidden", "used by 2 people or more"},
			[]string{"Article 1", "Slack, week of"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, tt.privacy)
			if code, body := e.upload(t, "import.ndjson"); code != 200 {
				t.Fatalf("import: %d %s", code, body)
			}
			_, _, status := e.do(t, http.MethodGet, "/admin/", nil, "", true)
			if !strings.Contains(status, "4 statements behind") {
				t.Errorf("status page before the rollup does not say it is 4 statements behind")
			}
			if _, err := e.rollup.CatchUp(t.Context()); err != nil {
				t.Fatal(err)
			}
			_, _, status = e.do(t, http.MethodGet, "/admin/", nil, "", true)
			for _, w := range []string{`<td>Slack</td><td>2</td>`, `<td>xAPI clients</td><td>2</td>`, `id="people">2<`, "include every statement"} {
				if !strings.Contains(status, w) {
					t.Errorf("status page lacks %q", w)
				}
			}
			code, _, body := e.do(t, http.MethodGet, "/admin/reports?weeks=4", nil, "", true)
			if code != 200 {
				t.Fatalf("reports: %d %s", code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("reports page lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("reports page shows %q", w)
				}
			}
		})
	}
	e := newEnv(t)
	for _, q := range []string{"?weeks=3", "?weeks=99", "?team=" + strings.Repeat("x", 201)} {
		if code, _, _ := e.do(t, http.MethodGet, "/admin/reports"+q, nil, "", true); code != 400 {
			t.Errorf("reports%s: %d, want 400", q[:min(len(q), 12)], code)
		}
	}
}

// TestImportShowsProgress: the import page streams a progress line per batch (here, as
// often as possible) before the report.
func TestImportShowsProgress(t *testing.T) {
	e := newEnvWith(t, nil)
	var lines []string
	for i := 1; i <= 1200; i++ {
		lines = append(lines, fmt.Sprintf(`{"id":"10000000-0000-4000-8000-%012d","actor":{"mbox":"mailto:p%d@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://example.com/%d"}}`, i, i%7, i%30))
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", "token-1")
	fw, _ := mw.CreateFormFile("file", "big.ndjson")
	fw.Write([]byte(strings.Join(lines, "\n")))
	mw.Close()
	code, _, body := e.do(t, http.MethodPost, "/admin/import", &buf, mw.FormDataContentType(), true)
	progress, report := strings.Index(body, "500 lines read: 500 accepted"), strings.Index(body, "1200 lines: 1200 statements accepted, 0 rejected.")
	if code != 200 || progress < 0 || report < progress || !strings.Contains(body, "1000 lines read") {
		t.Errorf("import page: %d, progress at %d, report at %d:\n%s", code, progress, report, body)
	}
}
