// Package web is Cairn's HTTP layer: the xAPI 1.0.3 resources under /xapi/ and the
// health probes, served by Fiber v2 (https://docs.gofiber.io/). Handlers translate HTTP
// into calls of the capture services and their errors into statuses through one table
// (errors.go).
package web

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/semaphore"
)

// Config is what the HTTP layer needs.
type Config struct {
	Statements  *capture.StatementService
	Documents   *capture.DocumentService
	Credentials *capture.CredentialService
	Ready       func(ctx context.Context) error // store ping, for /readyz
	Logger      *slog.Logger
	BodyLimit   int    // max request body bytes; 0 → 16 MiB
	Version     string // Cairn's version for /about extensions (may be "")
	// WriteBudget bounds the statement request bodies (bytes) being decoded,
	// validated and committed at once (0 → 2 MiB; a larger single body is admitted
	// alone). Commits are serialised anyway, so admitting more only holds more decoded
	// statements in memory; other writes wait their turn.
	WriteBudget int64
	// RateLimit is the average number of requests a second one credential may make
	// (0: no limit); RateBurst how many it may make at once (0: twice RateLimit). Over
	// it, requests are answered 429 with Retry-After.
	RateLimit float64
	RateBurst int
	// Origin, when set, returns the origin recorded with the statements a credential
	// writes (a partner name for a partner's inbound credential, else "").
	Origin func(ctx context.Context, credentialKey string) (string, error)
	// Mount, when set, adds routes outside /xapi (the admin API, /metrics) to the app.
	Mount func(app *fiber.App)
}

const (
	defaultBodyLimit = 16 << 20
	// xapiVersion is the version this LRS implements; every response carries it
	// (xAPI 1.0.3 Communication 3.3).
	xapiVersion     = "1.0.3"
	jsonContentType = "application/json; charset=utf-8"
	// xapiBase is the path prefix of the xAPI resources; more links are built on it.
	xapiBase = "/xapi"

	headerVersion           = "X-Experience-API-Version"
	headerConsistentThrough = "X-Experience-API-Consistent-Through"
	headerHash              = "X-Experience-API-Hash"
	readyTimeout            = 5 * time.Second
)

// server holds the configuration the handlers share.
type server struct {
	cfg         Config
	log         *slog.Logger
	bodyLimit   int
	writeBudget *semaphore.Weighted
	limiter     *rateLimiter
	budget      int64
}

// handlerFunc serves one xAPI method of a resource once the request is decoded, its
// version checked and its credentials authenticated.
type handlerFunc func(c *fiber.Ctx, r *xapiRequest) error

// resource describes one xAPI resource: its methods and what guards them.
type resource struct {
	path       string
	guard      capture.Resource // scope checked with Principal.Allows
	open       bool             // no version check and no authentication (About)
	statements bool             // answers carry X-Experience-API-Consistent-Through
	methods    map[string]handlerFunc
}

// New returns the Fiber app serving /xapi/..., /healthz and /readyz. Every response
// carries X-Experience-API-Version and a Date; errors answer as JSON through one handler.
func New(cfg Config) *fiber.App {
	s := &server{cfg: cfg, log: cfg.Logger, bodyLimit: cfg.BodyLimit}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.bodyLimit <= 0 {
		s.bodyLimit = defaultBodyLimit
	}
	s.budget = cfg.WriteBudget
	if s.budget <= 0 {
		s.budget = 2 << 20
	}
	s.writeBudget = semaphore.NewWeighted(s.budget)
	s.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, nil)
	app := fiber.New(fiber.Config{
		ErrorHandler:          s.handleError,
		BodyLimit:             s.bodyLimit,
		CaseSensitive:         true,
		DisableStartupMessage: true,
		// Bodies are read by the handlers; fasthttp must not parse multipart/form-data
		// itself, which would answer before the xAPI headers are set.
		DisablePreParseMultipartForm: true,
		ReadBufferSize:               16 << 10, // long statement queries and Authorization headers
		ReadTimeout:                  2 * time.Minute,
		WriteTimeout:                 2 * time.Minute,
		IdleTimeout:                  2 * time.Minute,
	})
	app.Use(s.commonHeaders, s.recoverPanics, s.preflight)

	app.Get("/healthz", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString("ok")
	})
	app.Get("/readyz", s.readyz)

	for _, rs := range s.resources() {
		app.All(xapiBase+rs.path, s.serve(rs))
	}
	if cfg.Mount != nil {
		cfg.Mount(app)
	}
	return app
}

// resources lists the xAPI 1.0.3 resources (Communication 2.1–2.8).
func (s *server) resources() []resource {
	return []resource{
		{path: "/statements", guard: capture.ResStatements, statements: true, methods: map[string]handlerFunc{
			fiber.MethodGet: s.getStatements, fiber.MethodPut: s.putStatement, fiber.MethodPost: s.postStatements,
		}},
		{path: "/activities/state", guard: capture.ResState, methods: s.documentMethods(stateDocs())},
		{path: "/activities/profile", guard: capture.ResActivityProfile, methods: s.documentMethods(activityProfileDocs())},
		{path: "/agents/profile", guard: capture.ResAgentProfile, methods: s.documentMethods(agentProfileDocs())},
		{path: "/activities", guard: capture.ResActivities, methods: map[string]handlerFunc{fiber.MethodGet: s.getActivity}},
		{path: "/agents", guard: capture.ResAgents, methods: map[string]handlerFunc{fiber.MethodGet: s.getAgent}},
		{path: "/about", open: true, methods: map[string]handlerFunc{fiber.MethodGet: s.getAbout}},
	}
}

// serve decodes the request (undoing the Alternate Request Syntax), picks the handler of
// its method, checks the version header and the credentials, then runs the handler.
func (s *server) serve(rs resource) fiber.Handler {
	allow := allowHeader(rs.methods)
	return func(c *fiber.Ctx) error {
		if rs.statements {
			// Communication 2.1.3.s2.b5: on all responses, errors included.
			c.Set(headerConsistentThrough, time.Now().UTC().Format(time.RFC3339Nano))
		}
		r, err := readRequest(c, s.bodyLimit)
		if err != nil {
			return err
		}
		lookup := r.method
		if lookup == fiber.MethodHead {
			lookup = fiber.MethodGet
		}
		h, ok := rs.methods[lookup]
		if !ok {
			c.Set(fiber.HeaderAllow, allow)
			return fiber.NewError(http.StatusMethodNotAllowed,
				fmt.Sprintf("%s is not allowed on %s%s (allowed: %s)", r.method, xapiBase, rs.path, allow))
		}
		if !rs.open {
			if err := checkVersion(r.header.Get(headerVersion)); err != nil {
				return err
			}
			p, err := s.authenticate(c.UserContext(), r.header.Get(fiber.HeaderAuthorization))
			if err != nil {
				return err
			}
			if ok, wait := s.limiter.take(p.Credential.Key); !ok {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return capture.Errorf(capture.CodeTooManyRequests, "these credentials are over their limit of %g requests a second; retry after %s", s.limiter.rate, wait.Round(time.Millisecond))
			}
			write := lookup != fiber.MethodGet
			if !p.Allows(rs.guard, write) {
				verb := "read"
				if write {
					verb = "write"
				}
				return capture.Errorf(capture.CodeForbidden, "these credentials may not %s the %s resource", verb, strings.TrimPrefix(rs.path, "/"))
			}
			r.principal = p
		}
		return h(c, r)
	}
}

// allowHeader lists the methods of a resource for the Allow header, HEAD with GET.
func allowHeader(methods map[string]handlerFunc) string {
	var out []string
	for _, m := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPut, fiber.MethodPost, fiber.MethodDelete} {
		lookup := m
		if m == fiber.MethodHead {
			lookup = fiber.MethodGet
		}
		if _, ok := methods[lookup]; ok {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// commonHeaders sets the headers every response carries, then runs the rest.
func (s *server) commonHeaders(c *fiber.Ctx) error {
	s.setCommonHeaders(c)
	return c.Next()
}

// setCommonHeaders sets X-Experience-API-Version on every response (Communication
// 3.3.s3.b1) and, under /xapi/, the CORS headers that let browser clients read answers.
func (s *server) setCommonHeaders(c *fiber.Ctx) {
	c.Set(headerVersion, xapiVersion)
	if !isXAPIPath(c.Path()) {
		return
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Vary(fiber.HeaderOrigin)
	} else {
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	}
	c.Set(fiber.HeaderAccessControlExposeHeaders, exposedHeaders)
}

const (
	exposedHeaders = "ETag, Last-Modified, Content-Type, Date, X-Experience-API-Consistent-Through, X-Experience-API-Version"
	allowedHeaders = "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, Accept-Language, X-Requested-With"
	allowedMethods = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
)

// isXAPIPath reports whether p is under the xAPI base path.
func isXAPIPath(p string) bool {
	return p == xapiBase || strings.HasPrefix(p, xapiBase+"/")
}

// preflight answers CORS preflight requests under /xapi/ without authentication.
func (s *server) preflight(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodOptions || !isXAPIPath(c.Path()) || c.Get(fiber.HeaderAccessControlRequestMethod) == "" {
		return c.Next()
	}
	c.Set(fiber.HeaderAccessControlAllowMethods, allowedMethods)
	if req := c.Get(fiber.HeaderAccessControlRequestHeaders); req != "" {
		c.Set(fiber.HeaderAccessControlAllowHeaders, req)
		c.Vary(fiber.HeaderAccessControlRequestHeaders)
	} else {
		c.Set(fiber.HeaderAccessControlAllowHeaders, allowedHeaders)
	}
	c.Set(fiber.HeaderAccessControlMaxAge, "86400")
	return c.SendStatus(http.StatusNoContent)
}

// recoverPanics turns a panic in a handler into a 500 answer; the panic value and the
// stack go to the log through the error handler, never to the client.
func (s *server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = capture.Internal(fmt.Errorf("panic: %v\n%s", v, debug.Stack()), "internal error")
		}
	}()
	return c.Next()
}

// readyz answers 200 when the store is reachable and 503 with the reason otherwise.
func (s *server) readyz(c *fiber.Ctx) error {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			return &capture.Error{Code: capture.CodeUnavailable, Message: "not ready: " + capture.ErrorMessage(err), Err: err}
		}
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString("ready")
}
