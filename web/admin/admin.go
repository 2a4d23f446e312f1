// Package admin serves the administration console under /admin: the instance's status,
// API credentials, the statement explorer with streamed exports, NDJSON imports, the
// report pages, the hub's people (role, team, Slack links) and the organisation settings.
// Who may use it is decided by the Access given to Mount (the hub's admin sign-in);
// every form carries its CSRF token and every POST is checked.
package admin

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/capture/reports"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/admin.css
var adminCSS []byte

// Access decides who uses the console.
type Access interface {
	// RequireAdmin is a fiber handler: it calls c.Next() for a signed-in admin and
	// otherwise answers itself (a redirect to sign in, or 403).
	RequireAdmin(c *fiber.Ctx) error
	// CSRFToken returns the token the forms of the current session carry.
	CSRFToken(c *fiber.Ctx) string
	// CheckCSRF reports whether the request's form carries the session's token.
	CheckCSRF(c *fiber.Ctx) bool
}

// Status is what the status page shows about the store.
type Status struct {
	Statements int64     // statements stored, voided ones included
	LastStored time.Time // zero when none
	StoreBytes int64     // on disk; 0 when unknown
}

// Config is what the console needs.
type Config struct {
	Access      Access
	Statements  *capture.StatementService
	Credentials *capture.CredentialService
	Status      func(ctx context.Context) (Status, error)
	Reports     *reports.Reports // the report pages; nil: none
	Eraser      *erasure.Eraser  // the erasure page; nil: none
	// Privacy (the organisation's privacy mode): no per-person view anywhere in the
	// console. The explorer has no actor column or filter, statement JSON and exports
	// are pseudonymised with Pseudonymize.
	Privacy bool
	// Pseudonymize rewrites a statement's agents with keyed pseudonyms
	// (federation.Pseudonymizer.Apply); exports offer it, and Privacy requires it.
	Pseudonymize   func(st map[string]any)
	Logger         *slog.Logger
	ImportLimit    int           // largest NDJSON upload in bytes (keep within the app's body limit); 0: 16 MiB
	ImportProgress time.Duration // how often a streamed import shows its progress; 0: every second
	People         People        // the people page; nil: none
	SlackLinks     SlackLinks    // Slack links on the people page; nil: none shown
	Hub            HubFigures    // the hub's lists on the report page; nil: none
	Settings       []Setting     // the organisation settings page
}

type console struct {
	cfg  Config
	tmpl *template.Template
	log  *slog.Logger
}

// Mount registers the console's routes under /admin on app. It panics only if the
// embedded templates do not parse, which the tests rule out.
func Mount(app fiber.Router, cfg Config) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ImportProgress <= 0 {
		cfg.ImportProgress = time.Second
	}
	if cfg.ImportLimit <= 0 {
		cfg.ImportLimit = 16 << 20
	}
	c := &console{cfg: cfg, log: cfg.Logger, tmpl: template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))}
	// The stylesheet is public: it is the same for everyone and says nothing.
	app.Get("/admin/static/admin.css", func(ctx *fiber.Ctx) error {
		ctx.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		ctx.Set("Cache-Control", "public, max-age=3600")
		return ctx.Send(adminCSS)
	})
	g := app.Group("/admin", cfg.Access.RequireAdmin, c.csrf)
	g.Get("/", c.status)
	g.Get("/credentials", c.credentials)
	g.Post("/credentials", c.createCredential)
	g.Post("/credentials/:key/revoke", c.revokeCredential)
	g.Get("/statements", c.explorer)
	g.Get("/statements/export.:format", c.export)
	g.Get("/statements/:id", c.statement)
	if cfg.Reports != nil {
		g.Get("/reports", c.reportsPage)
	}
	if cfg.Eraser != nil {
		g.Get("/erasure", c.erasureGet)
		g.Post("/erasure", c.erase)
	}
	if cfg.People != nil {
		g.Get("/people", c.peopleList)
		g.Post("/people/:id", c.updatePerson)
		if cfg.SlackLinks != nil {
			g.Post("/people/:id/slack", c.linkSlack)
			g.Post("/people/:id/slack/remove", c.unlinkSlack)
		}
	}
	g.Get("/settings", c.settingsPage)
	g.Get("/import", c.importForm)
	g.Post("/import", c.importRun)
}

// csrf rejects a POST whose form lacks the session's token, before any handler runs.
func (c *console) csrf(ctx *fiber.Ctx) error {
	if ctx.Method() == fiber.MethodPost && !c.cfg.Access.CheckCSRF(ctx) {
		return c.page(ctx.Status(fiber.StatusForbidden), "error", "Form expired", map[string]any{
			"Message": "This form has expired or did not come from this site. Go back, reload the page and try again."})
	}
	return ctx.Next()
}

var funcs = template.FuncMap{
	"list": func(v ...int) []int { return v },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
}

// page renders the named template inside the console layout.
func (c *console) page(ctx *fiber.Ctx, name, title string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	c.pageData(ctx, name, title, data)
	ctx.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.securityHeaders(ctx)
	return c.tmpl.ExecuteTemplate(ctx.Response().BodyWriter(), name+".html", data)
}

// pageData fills what the layout needs.
func (c *console) pageData(ctx *fiber.Ctx, name, title string, data map[string]any) {
	data["Title"] = title
	data["Page"] = name
	data["CSRF"] = c.cfg.Access.CSRFToken(ctx)
	data["PrivacyMode"] = c.cfg.Privacy
	data["Erasure"] = c.cfg.Eraser != nil
}

// securityHeaders keeps console pages out of caches and frames and limits them to the
// console's own stylesheet.
func (c *console) securityHeaders(ctx *fiber.Ctx) {
	ctx.Set("Cache-Control", "no-store")
	ctx.Set("X-Frame-Options", "DENY")
	ctx.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	ctx.Set("X-Content-Type-Options", "nosniff")
	ctx.Set("Referrer-Policy", "same-origin")
}
