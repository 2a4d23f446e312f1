package adminapi

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
)

// MountPage adds the admin page for partners and dead letters at /admin/partners, with
// its actions as form POSTs that redirect back. access guards every route (the hub's
// admin sign-in, or BasicAdmin). The page needs a running manager; without one it says
// federation is off.
func MountPage(app *fiber.App, cfg Config, access fiber.Handler) {
	a := &api{cfg: cfg}
	g := app.Group("/admin/partners", access)
	g.Get("/", a.page)
	for _, act := range []string{"pause", "resume", "sync"} {
		g.Post("/:name/"+act, a.pageAction(act))
	}
	g.Post("/deadletters/:id/replay", a.pageAction("replay"))
	g.Post("/deadletters/:id/discard", a.pageAction("discard"))
}

// BasicAdmin is the access check of the admin API (HTTP Basic, admin scope), for
// MountPage until another sign-in is plugged in.
func BasicAdmin(creds *capture.CredentialService) fiber.Handler {
	return (&api{cfg: Config{Credentials: creds}}).auth
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn · Partners</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.err{color:#a00}.msg{background:#eef;padding:6px}
form{display:inline}</style></head><body>
<h1>Partners</h1>
{{with .Message}}<p class="msg" role="status">{{.}}</p>{{end}}
{{if .Off}}<p class="err">Federation is off: start Cairn with --partner-key.</p>{{else}}
<table><thead><tr><th>Partner</th><th>Job</th><th>State</th><th>Lag</th><th>Delivered</th><th>Failed</th><th>Dead letters</th><th>Throughput</th><th>Last success</th><th>Last error</th><th>Actions</th></tr></thead><tbody>
{{range $p := .Partners}}{{range .Jobs}}<tr>
<td>{{$p.Name}}<br><small>{{$p.Endpoint}}</small></td><td>{{.Direction}}</td><td>{{$p.State}}</td>
<td>{{if ge .LagItems 0}}{{.LagItems}} statements, {{end}}{{printf "%.1f" .LagSeconds}} s</td>
<td>{{.Delivered}}</td><td>{{.Failed}}</td><td>{{.DeadLetters}}</td><td>{{printf "%.1f" .Throughput}}/s</td>
<td>{{if .LastSuccess.IsZero}}never{{else}}{{.LastSuccess.UTC.Format "2006-01-02 15:04:05"}}{{end}}</td>
<td class="err">{{.LastError}}</td>
<td>{{if $p.Paused}}<form method="post" action="/admin/partners/{{$p.Name}}/resume"><button>Resume</button></form>{{else}}<form method="post" action="/admin/partners/{{$p.Name}}/pause"><button>Pause</button></form>{{end}}
{{if eq (print .Direction) "pull"}}<form method="post" action="/admin/partners/{{$p.Name}}/sync"><button>Sync now</button></form>{{end}}</td>
</tr>{{end}}{{else}}<tr><td colspan="11">No partners yet: cairn partner add …</td></tr>{{end}}
</tbody></table>
<h2>Dead letters</h2>
<table><thead><tr><th>Partner</th><th>Job</th><th>Statement</th><th>Status</th><th>At</th><th>Reason</th><th>Actions</th></tr></thead><tbody>
{{range .Letters}}<tr><td>{{.Partner}}</td><td>{{.Direction}}</td><td><code>{{.StatementID}}</code></td><td>{{.Status}}</td>
<td>{{.At.UTC.Format "2006-01-02 15:04:05"}}</td><td>{{.Reason}}</td>
<td><form method="post" action="/admin/partners/deadletters/{{.ID}}/replay"><button>Replay</button></form>
<form method="post" action="/admin/partners/deadletters/{{.ID}}/discard"><button>Discard</button></form></td></tr>
{{else}}<tr><td colspan="7">None.</td></tr>{{end}}
</tbody></table>{{end}}
</body></html>`))

func (a *api) page(c *fiber.Ctx) error {
	data := struct {
		Off      bool
		Message  string
		Partners []federation.PartnerStatus
		Letters  []federation.DeadLetter
	}{Message: c.Query("msg")}
	if a.cfg.Manager == nil || a.cfg.Partners == nil {
		data.Off = true
	} else {
		var err error
		if data.Partners, err = a.cfg.Manager.StatusAll(c.UserContext()); err != nil {
			return err
		}
		if data.Letters, err = a.cfg.Partners.Store().DeadLetters(c.UserContext(), "", 500); err != nil {
			return err
		}
	}
	var b strings.Builder
	if err := pageTemplate.Execute(&b, data); err != nil {
		return capture.Internal(err, "render the partners page")
	}
	c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
	return c.SendString(b.String())
}

// pageAction runs one action and redirects to the page with its outcome in words.
func (a *api) pageAction(act string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !sameOrigin(c) {
			return capture.Errorf(capture.CodeForbidden, "the form was posted from another site")
		}
		m, err := a.manager()
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		name, id := strings.Clone(c.Params("name")), strings.Clone(c.Params("id"))
		var msg string
		switch act {
		case "pause", "resume":
			if _, err = a.cfg.Partners.SetPaused(ctx, name, act == "pause"); err == nil {
				a.reload()
				msg = "Partner " + name + ": " + act + "d."
			}
		case "sync":
			var res federation.PullResult
			if res, err = m.Pull(ctx, name); err == nil {
				msg = "Pulled from " + name + ": " + itoa(res.Stored) + " statements stored, " + itoa(res.DeadLettered) + " dead letters."
			}
		case "replay":
			if err = m.ReplayDeadLetter(ctx, id); err == nil {
				msg = "Dead letter replayed: delivered and removed."
			}
		case "discard":
			if err = a.cfg.Partners.Store().DeleteDeadLetter(ctx, id); err == nil {
				msg = "Dead letter discarded."
			}
		}
		if err != nil {
			msg = "Failed: " + capture.ErrorMessage(err)
		}
		return c.Redirect("/admin/partners/?msg="+url.QueryEscape(msg), http.StatusSeeOther)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// sameOrigin reports whether a form post comes from this site: browsers send Origin
// (or at least Referer) on cross-site posts, and credentials they cached for HTTP Basic
// would otherwise ride along (cross-site request forgery).
func sameOrigin(c *fiber.Ctx) bool {
	from := c.Get(fiber.HeaderOrigin)
	if from == "" {
		from = c.Get(fiber.HeaderReferer)
	}
	if from == "" {
		return true // not a browser form post
	}
	u, err := url.Parse(from)
	return err == nil && u.Host == string(c.Request().Host())
}
