// Package hub serves the peer Q&A hub: server-rendered pages (html/template, assets
// embedded, no CDN, usable without JavaScript), sign-in with server-side sessions,
// CSRF tokens on every form, and a JSON API under /api/ for the browser extension and
// the chat app. It translates HTTP into calls of qa.Service; statuses come from the one
// error table in package web.
package hub

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/web"
	"github.com/gofiber/fiber/v2"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the hub needs.
type Config struct {
	Service     *qa.Service
	Credentials *capture.CredentialService // HTTP Basic for /api/ (nil: sessions only)
	Logger      *slog.Logger
	// SecureCookies sets the Secure flag on cookies; on whenever the base URL is https.
	SecureCookies bool
	// LinkedAccounts, when set, lists a person's accounts elsewhere (e.g. Slack) for
	// their profile, shown to them and to admins.
	LinkedAccounts func(ctx context.Context, personID int64) ([]LinkedAccount, error)
}

// LinkedAccount is one of a person's accounts in another service.
type LinkedAccount struct {
	Service string // "Slack"
	Name    string // how that service names the person, e.g. a user id
	Note    string // how the link was made, e.g. "matched by email"
}

// Hub is the mounted hub. Its methods are safe for concurrent use.
type Hub struct {
	svc    *qa.Service
	creds  *capture.CredentialService
	log    *slog.Logger
	secure bool
	linked func(ctx context.Context, personID int64) ([]LinkedAccount, error)
	md     *markdown
	pages  map[string]*template.Template
}

const (
	sessionCookie = "cairn_session"
	anonCookie    = "cairn_csrf" // double-submit token of forms shown before sign-in
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	personHeader  = "X-Cairn-Person" // API: the email of the person a credential acts for
	localsPerson  = "hub.person"
	localsSession = "hub.session"
)

// New returns a hub over cfg; it panics if the embedded templates do not parse (a
// build defect, caught by every test).
func New(cfg Config) *Hub {
	h := &Hub{svc: cfg.Service, creds: cfg.Credentials, log: cfg.Logger, secure: cfg.SecureCookies, linked: cfg.LinkedAccounts, md: newMarkdown()}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.pages = h.parseTemplates()
	return h
}

// Mount registers the hub's pages, assets and API on app, after the routes already
// there (the xAPI routes keep their own handling).
func (h *Hub) Mount(app *fiber.App) {
	static, _ := fs.Sub(staticFS, "static")
	app.Get("/static/*", func(c *fiber.Ctx) error {
		name := c.Params("*")
		data, err := fs.ReadFile(static, name) // fs paths never climb out of the embedded tree
		if err != nil {
			return h.fail(c, capture.Errorf(capture.CodeNotFound, "no such file"))
		}
		switch {
		case strings.HasSuffix(name, ".css"):
			c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		case strings.HasSuffix(name, ".js"):
			c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
		case strings.HasSuffix(name, ".svg"):
			c.Set(fiber.HeaderContentType, "image/svg+xml")
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(data)
	})
	h.mountPages(app)
	h.mountAPI(app)
}

// securityHeaders keeps pages from being framed or sniffed and scripts to our own.
func securityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
}

// CurrentPerson returns the signed-in person of the request (session cookie), looked up
// once per request. Other parts (admin console, extension connect page, chat linking)
// use it to reuse the hub's sign-in.
func (h *Hub) CurrentPerson(c *fiber.Ctx) (qa.Person, bool) {
	if p, ok := c.Locals(localsPerson).(qa.Person); ok {
		return p, p.ID != 0
	}
	var p qa.Person
	var sess qa.Session
	if tok := c.Cookies(sessionCookie); tok != "" {
		var err error
		p, sess, err = h.svc.SessionPerson(c.UserContext(), strings.Clone(tok))
		if err != nil {
			if capture.ErrorCode(err) != capture.CodeUnauthorized {
				h.log.Warn("session lookup failed", "err", err)
			}
			p = qa.Person{}
		}
	}
	c.Locals(localsPerson, p)
	c.Locals(localsSession, sess)
	return p, p.ID != 0
}

func (h *Hub) session(c *fiber.Ctx) qa.Session {
	h.CurrentPerson(c)
	s, _ := c.Locals(localsSession).(qa.Session)
	return s
}

// RequireAdmin is middleware that lets only signed-in admins through: others are sent
// to sign in (pages) or answered 401/403.
func (h *Hub) RequireAdmin(c *fiber.Ctx) error {
	p, ok := h.CurrentPerson(c)
	if !ok {
		return h.needSignIn(c)
	}
	if p.Role != qa.RoleAdmin {
		return h.fail(c, capture.Errorf(capture.CodeForbidden, "this page is for admins"))
	}
	return c.Next()
}

// requirePerson is middleware for pages that need a signed-in person.
func (h *Hub) requirePerson(c *fiber.Ctx) error {
	if _, ok := h.CurrentPerson(c); !ok {
		return h.needSignIn(c)
	}
	return c.Next()
}

func (h *Hub) needSignIn(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet {
		return c.Redirect("/signin?next="+url.QueryEscape(c.OriginalURL()), http.StatusSeeOther)
	}
	return h.fail(c, capture.Errorf(capture.CodeUnauthorized, "please sign in first"))
}

// csrfToken returns the token forms of this request must carry: the session's, or for
// visitors a double-submit cookie set here.
func (h *Hub) csrfToken(c *fiber.Ctx) string {
	if s := h.session(c); s.CSRF != "" {
		return s.CSRF
	}
	if tok := c.Cookies(anonCookie); len(tok) >= 20 && len(tok) <= 100 {
		return strings.Clone(tok)
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: anonCookie, Value: tok, Path: "/", HTTPOnly: true, Secure: h.secure, SameSite: fiber.CookieSameSiteStrictMode})
	return tok
}

// CSRFToken returns the token that forms of the current visitor must carry in their
// "csrf" field, for other surfaces (the admin console) that reuse the hub's sign-in.
func (h *Hub) CSRFToken(c *fiber.Ctx) string { return h.csrfToken(c) }

// CheckCSRF reports whether a state-changing request carries the visitor's token (form
// field "csrf" or header X-CSRF-Token), compared in constant time.
func (h *Hub) CheckCSRF(c *fiber.Ctx) bool { return h.checkCSRF(c) == nil }

var errCSRF = capture.Errorf(capture.CodeForbidden, "this form has expired or did not come from this site: reload the page and try again")

// checkCSRF verifies the form (or header) token of a state-changing request.
func (h *Hub) checkCSRF(c *fiber.Ctx) error {
	got := c.FormValue(csrfField)
	if got == "" {
		got = c.Get(csrfHeader)
	}
	want := ""
	if s := h.session(c); s.CSRF != "" {
		want = s.CSRF
	} else {
		want = c.Cookies(anonCookie)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

// form returns a form field copied out of Fiber's reusable buffers.
func form(c *fiber.Ctx, name string) string { return strings.Clone(c.FormValue(name)) }

// safeNext returns a local path to go to after sign-in; anything else becomes "/".
func safeNext(next string) string {
	if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.HasPrefix(next, "/\\") {
		return next
	}
	return "/"
}

func paramID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, capture.Errorf(capture.CodeNotFound, "no such page")
	}
	return id, nil
}

// statusOf maps an error to its HTTP status through the web package's one table.
func statusOf(err error) int {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return web.StatusOf(capture.ErrorCode(err))
}

// fail answers an error as a page with the message (or, under /api/, through the app's
// JSON error handler).
func (h *Hub) fail(c *fiber.Ctx, err error) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		return err
	}
	status := statusOf(err)
	msg := capture.ErrorMessage(err)
	if status >= 500 {
		h.log.Error("hub page failed", "path", c.Path(), "err", err)
		msg = "Something went wrong on our side. Please try again."
	}
	if status == http.StatusTooManyRequests {
		c.Set(fiber.HeaderRetryAfter, "900")
	}
	return h.render(c.Status(status), "error", "Error", map[string]any{"Status": status, "Message": msg})
}

// page is what every template gets.
type page struct {
	Title    string
	Person   qa.Person
	SignedIn bool
	CSRF     string
	Unread   int
	Base     string
	Data     map[string]any
	Path     string
}

// render executes the named page template inside the layout.
func (h *Hub) render(c *fiber.Ctx, name, title string, data map[string]any) error {
	securityHeaders(c)
	p, ok := h.CurrentPerson(c)
	pg := page{Title: title, Person: p, SignedIn: ok, CSRF: h.csrfToken(c), Base: h.svc.BaseURL(), Data: data, Path: strings.Clone(c.Path())}
	if ok {
		pg.Unread, _ = h.svc.UnreadNotifications(c.UserContext(), p)
	}
	t := h.pages[name]
	if t == nil {
		return fmt.Errorf("no template %q", name)
	}
	var sb strings.Builder
	if err := t.ExecuteTemplate(&sb, "layout", pg); err != nil {
		h.log.Error("template failed", "page", name, "err", err)
		return c.Status(http.StatusInternalServerError).SendString("internal error")
	}
	c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(sb.String())
}

// parseTemplates parses each page with the layout.
func (h *Hub) parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		"md":   h.md.render,
		"ago":  ago,
		"date": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"can":     func(p qa.Person, priv string) bool { return h.svc.Can(p, qa.Privilege(priv)) },
		"mayEdit": func(p qa.Person, post qa.Post) bool { return h.svc.MayEdit(p, post) },
		"mayDel":  func(p qa.Person, post qa.Post) bool { return h.svc.MayDelete(p, post) },
		"excerpt": func(s string, n int) string { return excerptText(h.md.plain(s), n) },
		"join":    strings.Join,
		"eq64":    func(a, b int64) bool { return a == b },
		"args":    func(v ...any) []any { return v },
		"roleNames": func() []string {
			return []string{string(qa.RoleMember), string(qa.RoleModerator), string(qa.RoleAdmin)}
		},
		"sortNames": func() []string {
			return []string{string(qa.SortNewest), string(qa.SortVotes), string(qa.SortUnanswered)}
		},
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t := template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
		out[base] = t
	}
	return out
}

func excerptText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ago renders a time as a short relative phrase.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
	return t.UTC().Format("2 Jan 2006")
}
