// Package adminapi serves Cairn's admin JSON API for federation under
// /api/admin/partners and /api/admin/deadletters, erasures of people under
// /api/admin/erasures, and Prometheus text metrics at
// /metrics (https://prometheus.io/docs/instrumenting/exposition_formats/). Every route
// needs an HTTP Basic credential with Cairn's admin scope. Errors are *capture.Error,
// answered by the app's one error handler.
package adminapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/federation"
)

// Config is what the admin API needs. Manager is nil when federation is off (no
// partner key): partners can then be listed and removed but not added or run.
type Config struct {
	Credentials *capture.CredentialService
	Partners    *federation.Partners
	Manager     *federation.Manager
	Eraser      *erasure.Eraser // /api/admin/erasures; nil: answered 503
}

type api struct{ cfg Config }

// Mounter returns the function that adds the admin routes, /metrics and the admin page
// (guarded by BasicAdmin) to an app (web.Config.Mount).
func Mounter(cfg Config) func(app *fiber.App) {
	return func(app *fiber.App) {
		Mount(app, cfg)
		MountPage(app, cfg, BasicAdmin(cfg.Credentials))
	}
}

// Mount adds the admin routes and /metrics to app.
func Mount(app *fiber.App, cfg Config) {
	a := &api{cfg: cfg}
	g := app.Group("/api/admin", a.auth)
	g.Get("/partners", a.listPartners)
	g.Post("/partners", a.addPartner)
	g.Get("/partners/:name", a.showPartner)
	g.Put("/partners/:name", a.updatePartner)
	g.Delete("/partners/:name", a.removePartner)
	g.Post("/partners/:name/pause", a.setPaused(true))
	g.Post("/partners/:name/resume", a.setPaused(false))
	g.Post("/partners/:name/test", a.testPartner)
	g.Post("/partners/:name/sync", a.syncPartner)
	g.Get("/partners/:name/deadletters", a.listLetters)
	g.Get("/deadletters", a.listLetters)
	g.Get("/deadletters/:id", a.showLetter)
	g.Post("/deadletters/:id/replay", a.replayLetter)
	g.Delete("/deadletters/:id", a.discardLetter)
	g.Get("/erasures", a.listErasures)
	g.Post("/erasures", a.erase)
	app.Get("/metrics", a.auth, a.metrics)
}

// auth admits requests with an HTTP Basic credential holding the admin scope:
// 401 without valid credentials, 403 without the scope.
func (a *api) auth(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="Cairn admin"`)
		return capture.Errorf(capture.CodeUnauthorized, "the admin API needs HTTP Basic credentials with the admin scope")
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	key, secret, ok := strings.Cut(string(dec), ":")
	if err != nil || !ok {
		return capture.Errorf(capture.CodeUnauthorized, "the Authorization header does not hold key:secret credentials")
	}
	p, err := a.cfg.Credentials.Authenticate(c.UserContext(), key, secret)
	if err != nil {
		return err
	}
	if !p.IsAdmin() {
		return capture.Errorf(capture.CodeForbidden, "this credential lacks the admin scope (create one with: cairn credentials create --name NAME --scopes admin)")
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && !sameOrigin(c) {
		return capture.Errorf(capture.CodeForbidden, "a change requested from another site (Origin %q) is refused", c.Get(fiber.HeaderOrigin))
	}
	return c.Next()
}

func (a *api) manager() (*federation.Manager, error) {
	if a.cfg.Manager == nil || a.cfg.Partners == nil {
		return nil, capture.Errorf(capture.CodeUnavailable, "federation is off: start Cairn with --partner-key (or CAIRN_PARTNER_KEY)")
	}
	return a.cfg.Manager, nil
}

func (a *api) partners() (*federation.Partners, error) {
	if a.cfg.Partners == nil {
		return nil, capture.Errorf(capture.CodeUnavailable, "this store keeps no partners")
	}
	return a.cfg.Partners, nil
}

func sendJSON(c *fiber.Ctx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return capture.Internal(err, "encode answer")
	}
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	return c.Status(status).Send(b)
}

// partnerBody is a partner as the API accepts it: the settings, interval as a Go
// duration ("5m"), and, write-only, the credentials (never answered).
type partnerBody struct {
	Partner  federation.Partner
	Name     string
	Auth     *federation.Auth
	Interval string
}

func decodePartner(c *fiber.Ctx) (partnerBody, error) {
	b, err := parsePartnerBody(c.Body())
	if err != nil {
		return b, capture.Errorf(capture.CodeInvalid, "body: not a partner: %v", err)
	}
	if b.Interval != "" {
		iv, err := time.ParseDuration(b.Interval)
		if err != nil {
			return b, capture.Errorf(capture.CodeInvalid, "interval: %q is not a duration such as 5m", b.Interval)
		}
		b.Partner.Interval = iv
	}
	return b, nil
}

// parsePartnerBody reads a partner's JSON, refusing unknown fields.
func parsePartnerBody(data []byte) (partnerBody, error) {
	var b partnerBody
	var aux struct {
		Name       string            `json:"name"`
		Endpoint   string            `json:"endpoint"`
		Direction  string            `json:"direction"`
		Batch      int               `json:"batch"`
		Interval   string            `json:"interval"`
		Filter     federation.Filter `json:"filter"`
		Privacy    string            `json:"privacy"`
		Erasure    string            `json:"erasure"`
		Paused     bool              `json:"paused"`
		InboundKey string            `json:"inboundKey"`
		Auth       *federation.Auth  `json:"auth"`
	}
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.DisallowUnknownFields()
	if err := d.Decode(&aux); err != nil {
		return b, err
	}
	b.Partner = federation.Partner{Name: aux.Name, Endpoint: aux.Endpoint, Direction: federation.Direction(aux.Direction), Batch: aux.Batch,
		Filter: aux.Filter, Privacy: federation.Privacy(aux.Privacy), Erasure: federation.ErasureNotice(aux.Erasure), Paused: aux.Paused, InboundKey: aux.InboundKey}
	b.Interval, b.Auth, b.Name = aux.Interval, aux.Auth, aux.Name
	return b, nil
}

func (a *api) listPartners(c *fiber.Ctx) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	all, err := m.StatusAll(c.UserContext())
	if err != nil {
		return err
	}
	if all == nil {
		all = []federation.PartnerStatus{}
	}
	return sendJSON(c, http.StatusOK, all)
}

func (a *api) addPartner(c *fiber.Ctx) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	b, err := decodePartner(c)
	if err != nil {
		return err
	}
	if b.Auth != nil {
		b.Partner.Auth = *b.Auth
	}
	p, err := svc.Add(c.UserContext(), b.Partner)
	if err != nil {
		return err
	}
	a.reload()
	return a.answerPartner(c, http.StatusCreated, p.Name)
}

func (a *api) reload() {
	if a.cfg.Manager != nil {
		a.cfg.Manager.Reload()
	}
}

func (a *api) answerPartner(c *fiber.Ctx, status int, name string) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	s, err := m.Status(c.UserContext(), name)
	if err != nil {
		return err
	}
	return sendJSON(c, status, s)
}

func (a *api) showPartner(c *fiber.Ctx) error {
	return a.answerPartner(c, http.StatusOK, c.Params("name"))
}

// updatePartner replaces a partner's settings; credentials are kept unless auth is
// given, and the paused state is kept (pause and resume change it).
func (a *api) updatePartner(c *fiber.Ctx) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	b, err := decodePartner(c)
	if err != nil {
		return err
	}
	name := strings.Clone(c.Params("name"))
	if b.Name != "" && b.Name != name {
		return capture.Errorf(capture.CodeInvalid, "name: a partner cannot be renamed (remove it and add it again)")
	}
	_, err = svc.Update(c.UserContext(), name, func(p *federation.Partner) {
		auth, created, paused := p.Auth, p.Created, p.Paused
		*p = b.Partner
		p.Auth, p.Created, p.Paused = auth, created, paused
		if b.Auth != nil {
			p.Auth = *b.Auth
		}
	})
	if err != nil {
		return err
	}
	a.reload()
	return a.answerPartner(c, http.StatusOK, name)
}

func (a *api) removePartner(c *fiber.Ctx) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	if err := svc.Remove(c.UserContext(), c.Params("name")); err != nil {
		return err
	}
	a.reload()
	return c.SendStatus(http.StatusNoContent)
}

func (a *api) setPaused(paused bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		svc, err := a.partners()
		if err != nil {
			return err
		}
		name := strings.Clone(c.Params("name"))
		if _, err := svc.SetPaused(c.UserContext(), name, paused); err != nil {
			return err
		}
		a.reload()
		return a.answerPartner(c, http.StatusOK, name)
	}
}

func (a *api) testPartner(c *fiber.Ctx) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	notes, err := m.TestPartner(c.UserContext(), c.Params("name"))
	out := map[string]any{"ok": err == nil, "checks": notes}
	if err != nil {
		if code := capture.ErrorCode(err); code == capture.CodeNotFound {
			return err
		}
		out["problem"] = capture.ErrorMessage(err)
	}
	return sendJSON(c, http.StatusOK, out)
}

func (a *api) syncPartner(c *fiber.Ctx) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Minute)
	defer cancel()
	res, err := m.Pull(ctx, strings.Clone(c.Params("name")))
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, map[string]int{"stored": res.Stored, "deadLettered": res.DeadLettered, "pages": res.Pages})
}

func (a *api) listLetters(c *fiber.Ctx) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	partner := c.Params("name")
	if partner == "" {
		partner = c.Query("partner")
	}
	if partner != "" {
		if _, err := svc.Store().Partner(c.UserContext(), partner); err != nil {
			return err
		}
	}
	letters, err := svc.Store().DeadLetters(c.UserContext(), partner, c.QueryInt("limit", 0))
	if err != nil {
		return err
	}
	if letters == nil {
		letters = []federation.DeadLetter{}
	}
	return sendJSON(c, http.StatusOK, letters)
}

func (a *api) showLetter(c *fiber.Ctx) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	l, err := svc.Store().DeadLetter(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, l)
}

func (a *api) replayLetter(c *fiber.Ctx) error {
	m, err := a.manager()
	if err != nil {
		return err
	}
	if err := m.ReplayDeadLetter(c.UserContext(), strings.Clone(c.Params("id"))); err != nil {
		return err
	}
	return sendJSON(c, http.StatusOK, map[string]string{"result": "delivered; the dead letter is removed"})
}

func (a *api) discardLetter(c *fiber.Ctx) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	if err := svc.Store().DeleteDeadLetter(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// metrics writes per-partner figures in the Prometheus text format (version 0.0.4).
func (a *api) metrics(c *fiber.Ctx) error {
	var all []federation.PartnerStatus
	if a.cfg.Manager != nil {
		var err error
		if all, err = a.cfg.Manager.StatusAll(c.UserContext()); err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.SendString(Exposition(all))
}

// Exposition renders statuses as Prometheus text: one sample per partner job of each
// metric, labelled partner and direction.
func Exposition(all []federation.PartnerStatus) string {
	type metric struct {
		name, typ, help string
		value           func(federation.PartnerStatus, federation.Figures) float64
	}
	metrics := []metric{
		{"cairn_partner_delivered_total", "counter", "Statements acknowledged by the partner (push) or stored from it (pull).",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return float64(f.Delivered) }},
		{"cairn_partner_failed_total", "counter", "Requests to the partner that failed and were retried.",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return float64(f.Failed) }},
		{"cairn_partner_dead_lettered_total", "counter", "Statements set aside as dead letters.",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return float64(f.DeadLettered) }},
		{"cairn_partner_dead_letters", "gauge", "Dead letters waiting to be replayed or discarded.",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return float64(f.DeadLetters) }},
		{"cairn_partner_lag_seconds", "gauge", "Push: age of the oldest statement not yet settled; pull: seconds since the last successful sync.",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return f.LagSeconds }},
		{"cairn_partner_lag_statements", "gauge", "Push: statements stored after the cursor (-1 for pull: unknown).",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return float64(f.LagItems) }},
		{"cairn_partner_throughput", "gauge", "Statements a second over the last minute, as measured by the job's holder.",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return f.Throughput }},
		{"cairn_partner_last_success_timestamp_seconds", "gauge", "Unix time of the last success (0: never).",
			func(_ federation.PartnerStatus, f federation.Figures) float64 {
				if f.LastSuccess.IsZero() {
					return 0
				}
				return float64(f.LastSuccess.UnixMilli()) / 1000
			}},
		{"cairn_partner_failing", "gauge", "1 while the last attempt failed.",
			func(_ federation.PartnerStatus, f federation.Figures) float64 { return boolValue(f.LastError != "") }},
		{"cairn_partner_paused", "gauge", "1 when the partner is paused.",
			func(s federation.PartnerStatus, _ federation.Figures) float64 { return boolValue(s.Paused) }},
	}
	var b strings.Builder
	for _, m := range metrics {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for _, s := range all {
			for _, f := range s.Jobs {
				fmt.Fprintf(&b, "%s{partner=\"%s\",direction=\"%s\"} %g\n", m.name, escapeLabel(s.Name), f.Direction, m.value(s, f))
			}
		}
	}
	return b.String()
}

func boolValue(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// escapeLabel escapes a label value: backslash, double quote and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
