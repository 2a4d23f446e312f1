// Package extensionapi serves what the Cairn browser extension needs besides the xAPI
// resources: connecting (a connect code or a signed-in person exchanged for a personal
// credential, see capture's personal credentials), listing and revoking the person's
// extension credentials, and the central settings (deny patterns and thresholds). The
// routes live under /api/extension/ and answer CORS requests from extension origins
// (chrome-extension://, moz-extension://). Errors go through the app's error handler.
package extensionapi

import (
	"encoding/json"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
)

// CredentialName is the name of the credentials made for the extension.
const CredentialName = "Browser extension"

// Scopes are those of an extension credential: write the person's statements and read
// them back (the read is limited to the person's agent, see capture).
var Scopes = []string{capture.ScopeStatementsWrite, capture.ScopeStatementsReadMine}

// Identity is a signed-in person.
type Identity struct {
	Name  string
	Email string
	// Person is the person's agent as the rest of Cairn records it (e.g. an account
	// agent); nil: an mbox agent made from Email.
	Person map[string]any
}

// Agent returns the person's xAPI Agent (mbox IFI, Data 2.4.2.1).
func (id Identity) Agent() map[string]any {
	if id.Person != nil {
		return id.Person
	}
	a := map[string]any{"objectType": "Agent", "mbox": "mailto:" + strings.TrimSpace(id.Email)}
	if n := strings.TrimSpace(id.Name); n != "" {
		a["name"] = n
	}
	return a
}

// AgentFor returns the Agent of a person given by email and name; CodeInvalid for an
// address that is not a plain email address.
func AgentFor(email, name string) (map[string]any, error) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return nil, capture.Errorf(capture.CodeInvalid, "email: %q is not an email address", email)
	}
	return Identity{Name: name, Email: email}.Agent(), nil
}

// Settings are the central settings served to every extension.
type Settings struct {
	Deny            []string `json:"deny"`            // admin's site patterns never captured
	ReadSeconds     int      `json:"readSeconds"`     // active seconds before a page counts as read
	ScrollDepth     float64  `json:"scrollDepth"`     // fraction of the page scrolled before it counts as read
	VideoCompletion float64  `json:"videoCompletion"` // progress fraction at which a video is completed
}

// DefaultSettings are the thresholds when none are set.
func DefaultSettings() Settings {
	return Settings{Deny: []string{}, ReadSeconds: 30, ScrollDepth: 0.6, VideoCompletion: 0.95}
}

// Config is what the routes need.
type Config struct {
	Credentials *capture.CredentialService
	// Person returns the signed-in person of a request, if any (nil: nobody is ever
	// signed in, and only connect codes and personal credentials identify people).
	Person func(c *fiber.Ctx) (Identity, bool)
	// XAPIEndpoint is the absolute URL of the xAPI resources, told to the extension.
	XAPIEndpoint string
	Settings     Settings
}

// Mount adds the /api/extension/ routes to app.
func Mount(app fiber.Router, cfg Config) {
	h := &handlers{cfg: cfg}
	g := app.Group("/api/extension", h.cors)
	g.Get("/config", h.config)
	g.Post("/connect", h.connect)
	g.Get("/credentials", h.list)
	g.Delete("/credentials/:key", h.revoke)
}

type handlers struct{ cfg Config }

// extensionOrigin reports whether origin is a browser extension's.
func extensionOrigin(origin string) bool {
	return strings.HasPrefix(origin, "chrome-extension://") || strings.HasPrefix(origin, "moz-extension://")
}

// cors lets extension origins call the routes and answers their preflights.
func (h *handlers) cors(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if extensionOrigin(origin) {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
		c.Vary(fiber.HeaderOrigin)
		if c.Method() == fiber.MethodOptions {
			c.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST, DELETE, OPTIONS")
			c.Set(fiber.HeaderAccessControlAllowHeaders, "Authorization, Content-Type")
			c.Set(fiber.HeaderAccessControlMaxAge, "86400")
			return c.SendStatus(http.StatusNoContent)
		}
	}
	return c.Next()
}

func (h *handlers) config(c *fiber.Ctx) error {
	s := h.cfg.Settings
	if s.Deny == nil {
		s.Deny = []string{}
	}
	return c.JSON(s)
}

// connectRequest is the body of POST /api/extension/connect.
type connectRequest struct {
	Code string `json:"code"`
}

// connectResponse hands the extension its personal credential.
type connectResponse struct {
	Endpoint   string         `json:"endpoint"`
	Key        string         `json:"key"`
	Secret     string         `json:"secret"`
	Agent      map[string]any `json:"agent"`
	Credential credentialJSON `json:"credential"`
}

// credentialJSON is one extension credential as listed.
type credentialJSON struct {
	Key      string     `json:"key"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"lastUsed"`
	Revoked  *time.Time `json:"revoked"`
}

func credentialOf(cr capture.Credential) credentialJSON {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return credentialJSON{Key: cr.Key, Name: cr.Name, Created: cr.CreatedAt.UTC(), LastUsed: opt(cr.LastUsedAt), Revoked: opt(cr.RevokedAt)}
}

// connect exchanges a connect code ({"code": …}), or else the signed-in person of a
// request from an extension origin, for a new personal credential. 403 for a bad code,
// 401 when there is neither code nor person.
func (h *handlers) connect(c *fiber.Ctx) error {
	var req connectRequest
	if body := c.Body(); len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return capture.Errorf(capture.CodeInvalid, "body: must be JSON like {\"code\": \"…\"}")
		}
	}
	ctx := c.UserContext()
	var (
		cred   capture.Credential
		secret string
		err    error
	)
	if strings.TrimSpace(req.Code) != "" {
		cred, secret, err = h.cfg.Credentials.RedeemConnectCode(ctx, req.Code, CredentialName, Scopes)
	} else if id, ok := h.person(c); ok && extensionOrigin(c.Get(fiber.HeaderOrigin)) {
		cred, secret, err = h.cfg.Credentials.CreatePersonal(ctx, id.Agent(), CredentialName, Scopes)
	} else {
		return capture.Errorf(capture.CodeUnauthorized, "send a connect code ({\"code\": …}; make one with 'cairn extension connect-code') or sign in")
	}
	if err != nil {
		return err
	}
	return c.JSON(connectResponse{Endpoint: h.cfg.XAPIEndpoint, Key: cred.Key, Secret: secret, Agent: cred.Agent, Credential: credentialOf(cred)})
}

func (h *handlers) person(c *fiber.Ctx) (Identity, bool) {
	if h.cfg.Person == nil {
		return Identity{}, false
	}
	return h.cfg.Person(c)
}

// owner returns the agent key of the person making the request: the signed-in person,
// else the agent of the personal credential in the Basic Authorization header.
// CodeUnauthorized when neither identifies a person.
func (h *handlers) owner(c *fiber.Ctx) (string, error) {
	if id, ok := h.person(c); ok {
		return capture.AgentKeyOf(id.Agent())
	}
	r := http.Request{Header: http.Header{"Authorization": {c.Get(fiber.HeaderAuthorization)}}}
	key, secret, ok := r.BasicAuth()
	if !ok {
		return "", capture.Errorf(capture.CodeUnauthorized, "sign in, or send the extension's credential as HTTP Basic")
	}
	p, err := h.cfg.Credentials.Authenticate(c.UserContext(), key, secret)
	if err != nil {
		return "", err
	}
	if p.AgentKey == "" {
		return "", capture.Errorf(capture.CodeForbidden, "this credential belongs to no person")
	}
	return p.AgentKey, nil
}

// list answers the requesting person's personal credentials, revoked ones too.
func (h *handlers) list(c *fiber.Ctx) error {
	owner, err := h.owner(c)
	if err != nil {
		return err
	}
	creds, err := h.cfg.Credentials.PersonalCredentials(c.UserContext(), owner)
	if err != nil {
		return err
	}
	out := make([]credentialJSON, 0, len(creds))
	for _, cr := range creds {
		out = append(out, credentialOf(cr))
	}
	return c.JSON(out)
}

// revoke revokes one of the requesting person's credentials: 404 for a key that is not
// theirs; a repeat is a no-op (204 again).
func (h *handlers) revoke(c *fiber.Ctx) error {
	owner, err := h.owner(c)
	if err != nil {
		return err
	}
	key := c.Params("key")
	creds, err := h.cfg.Credentials.PersonalCredentials(c.UserContext(), owner)
	if err != nil {
		return err
	}
	for _, cr := range creds {
		if cr.Key == key {
			if err := h.cfg.Credentials.Revoke(c.UserContext(), key); err != nil {
				return err
			}
			return c.SendStatus(http.StatusNoContent)
		}
	}
	return capture.Errorf(capture.CodeNotFound, "you have no credential %s", key)
}
