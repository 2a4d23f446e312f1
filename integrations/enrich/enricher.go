package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"
)

// MaxRedirects is the number of redirects Fetch follows before refusing with
// ErrTooManyRedirects.
const MaxRedirects = 5

// maxRobotsHosts bounds how many visits share one robots.txt memory before it is dropped
// and rebuilt (colly keeps robots.txt per host without expiry).
const maxRobotsHosts = 10000

// Config sets up an Enricher. Zero values take the documented defaults.
type Config struct {
	// UserAgent is sent with every request and matched against robots.txt groups.
	// Default "CairnBot/1.0 (+https://github.com/cairn-lrs/cairn)".
	UserAgent string
	// Timeout bounds each request (robots.txt, the page, each redirect hop) from dial to the
	// last body byte, so a Fetch's network time is at most (MaxRedirects+1) Timeouts plus
	// one for robots.txt per host; waits for HostDelay are bounded by the caller's context.
	// Default 10s.
	Timeout time.Duration
	// ConnectTimeout bounds TCP connect and TLS handshake. Default 5s, never above Timeout.
	ConnectTimeout time.Duration
	// MaxBody caps the bytes read from a page body. Default 2 MiB.
	MaxBody int64
	// AllowPrivateNetworks admits loopback and private addresses. Tests only.
	AllowPrivateNetworks bool
	// AllowedPorts lists the ports that may be requested. Default 80 and 443.
	AllowedPorts []int
	// CacheSize bounds the result cache. Default 1024; negative disables caching.
	CacheSize int
	// CacheTTL is how long a result (page or refusal) is reused, and how long robots.txt
	// rules are remembered. Default 1h.
	CacheTTL time.Duration
	// HostDelay is the least time between the starts of two requests to one host.
	// Default 1s; negative disables the spacing.
	HostDelay time.Duration
	// Logger receives debug records of fetches and refusals. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.UserAgent == "" {
		c.UserAgent = "CairnBot/1.0 (+https://github.com/cairn-lrs/cairn)"
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 5 * time.Second
	}
	c.ConnectTimeout = min(c.ConnectTimeout, c.Timeout)
	if c.MaxBody <= 0 {
		c.MaxBody = 2 << 20
	}
	if len(c.AllowedPorts) == 0 {
		c.AllowedPorts = []int{80, 443}
	}
	if c.CacheSize == 0 {
		c.CacheSize = 1024
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = time.Hour
	}
	if c.HostDelay == 0 {
		c.HostDelay = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Enricher fetches pages through the guarded transport and caches the results. It is safe
// for concurrent use.
type Enricher struct {
	cfg       Config
	log       *slog.Logger
	guard     *guard
	transport *guardedTransport
	cache     *resultCache
	limiter   *hostLimiter

	mu         sync.Mutex
	root       *colly.Collector // holds the shared client and robots.txt memory; visits use clones
	rootBorn   time.Time
	rootVisits int
	inflight   map[string]*flight
}

// flight is one fetch in progress that concurrent callers for the same URL wait on.
type flight struct {
	done chan struct{}
	page Page
	err  error
}

// New returns an Enricher for cfg (defaults filled in). It opens no connection.
func New(cfg Config) *Enricher {
	cfg = cfg.withDefaults()
	g := newGuard(cfg.AllowPrivateNetworks, cfg.AllowedPorts)
	return &Enricher{
		cfg:       cfg,
		log:       cfg.Logger,
		guard:     g,
		transport: newTransport(g, cfg.ConnectTimeout, cfg.Timeout, cfg.MaxBody),
		cache:     newResultCache(cfg.CacheSize, cfg.CacheTTL, time.Now),
		limiter:   newHostLimiter(cfg.HostDelay),
		inflight:  map[string]*flight{},
	}
}

// Close releases idle connections. The Enricher stays usable.
func (e *Enricher) Close() { e.transport.CloseIdleConnections() }

// Fetch returns the metadata of the page at rawURL. Refusals and failures are *Error values
// (test them with errors.Is against the Err* reasons); if ctx ends first, ctx's error is
// returned as is. A repeat call within CacheTTL returns the cached page or error without
// any request, and concurrent calls for one URL share a single fetch. URLs refused before
// any request (scheme, userinfo, port, literal address) and the caller's cancellations are
// not cached.
func (e *Enricher) Fetch(ctx context.Context, rawURL string) (Page, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return Page{}, &Error{Reason: ErrBadURL, Detail: "unparsable URL"}
	}
	if u, err = e.checkPageURL(u); err != nil {
		return Page{}, err
	}
	key := u.String()
	for {
		if p, err, ok := e.cache.get(key); ok {
			return p, err
		}
		e.mu.Lock()
		if f, ok := e.inflight[key]; ok {
			e.mu.Unlock()
			select {
			case <-f.done:
				if isContextError(f.err) && ctx.Err() == nil {
					continue // the caller that led the fetch gave up; try again
				}
				return f.page, f.err
			case <-ctx.Done():
				return Page{}, ctx.Err()
			}
		}
		f := &flight{done: make(chan struct{})}
		e.inflight[key] = f
		e.mu.Unlock()

		f.page, f.err = e.fetch(ctx, u)
		if !isContextError(f.err) {
			e.cache.put(key, f.page, f.err)
		}
		e.mu.Lock()
		delete(e.inflight, key)
		e.mu.Unlock()
		close(f.done)
		return f.page, f.err
	}
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || (errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrTimeout))
}

// checkPageURL validates u as a page to request and returns its normal form (lower-case
// scheme and host, no default port, no fragment).
func (e *Enricher) checkPageURL(u *url.URL) (*url.URL, error) {
	if err := e.guard.checkURL(u); err != nil {
		return nil, err
	}
	n := *u
	n.Scheme = strings.ToLower(n.Scheme)
	n.Host = strings.ToLower(n.Host)
	if p := n.Port(); (n.Scheme == "http" && p == "80") || (n.Scheme == "https" && p == "443") {
		n.Host = strings.TrimSuffix(n.Host, ":"+p)
	}
	n.Fragment, n.RawFragment = "", ""
	if strings.HasSuffix(strings.ToLower(n.Path), ".xml.gz") {
		// colly gunzips such bodies itself, past the transport's cap.
		return nil, refuse(ErrNotHTML, n.Redacted(), "compressed XML path")
	}
	return &n, nil
}

// fetch requests u and follows up to MaxRedirects redirects, each hop checked, paced and
// subject to robots.txt like the first.
func (e *Enricher) fetch(ctx context.Context, u *url.URL) (Page, error) {
	start := time.Now()
	for hop := 0; ; hop++ {
		if err := e.limiter.wait(ctx, u.Host); err != nil {
			return Page{}, err
		}
		st, err := e.visit(ctx, u)
		if err != nil {
			e.log.Debug("enrich: refused", "url", u.Redacted(), "error", err)
			return Page{}, err
		}
		if st.location == "" {
			p := st.meta.page(u)
			p.Truncated = st.truncated.Load()
			e.log.Debug("enrich: fetched", "url", u.Redacted(), "kind", p.Kind, "hops", hop,
				"truncated", p.Truncated, "elapsed", time.Since(start))
			return p, nil
		}
		if hop >= MaxRedirects {
			return Page{}, refuse(ErrTooManyRedirects, u.Redacted(), "more than %d", MaxRedirects)
		}
		ref, err := url.Parse(strings.TrimSpace(st.location))
		if err != nil {
			return Page{}, refuse(ErrBadURL, u.Redacted(), "unparsable redirect location")
		}
		if u, err = e.checkPageURL(u.ResolveReference(ref)); err != nil {
			e.log.Debug("enrich: redirect refused", "error", err)
			return Page{}, err
		}
	}
}

// visit makes one page request through a fresh clone of the root collector. It returns the
// visit state (with location set for a redirect), or the refusal. If ctx ends first it
// returns ctx's error at once; a robots.txt request still running then (colly gives it no
// context) ends within Timeout on its own.
func (e *Enricher) visit(ctx context.Context, u *url.URL) (*visitState, error) {
	st := &visitState{}
	hopCtx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()

	c := e.collector()
	c.Context = context.WithValue(hopCtx, visitStateKey{}, st)
	c.OnRequest(func(r *colly.Request) {
		r.Headers.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
	})
	c.OnResponseHeaders(func(r *colly.Response) { e.checkHeaders(r, u, st) })
	st.meta.onHTML(c)

	done := make(chan error, 1)
	go func() {
		defer func() { // hostile content must not take the process down
			if r := recover(); r != nil {
				done <- fmt.Errorf("colly panicked: %v", r)
			}
		}()
		done <- c.Visit(u.String())
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	switch {
	case st.refusal != nil:
		return nil, st.refusal
	case st.location != "":
		return st, nil
	case err != nil:
		return nil, e.classify(ctx, u, err)
	}
	return st, nil
}

// checkHeaders runs before the body is read: it records redirects, and refuses non-200
// statuses, non-HTML types and bodies declared larger than MaxBody, aborting the transfer.
func (e *Enricher) checkHeaders(r *colly.Response, u *url.URL, st *visitState) {
	st.status = r.StatusCode
	raw := u.Redacted()
	switch {
	case r.StatusCode >= 300 && r.StatusCode < 400 && r.Headers.Get("Location") != "":
		st.location = r.Headers.Get("Location")
	case r.StatusCode != http.StatusOK:
		st.refusal = refuse(ErrHTTPStatus, raw, "status %d", r.StatusCode)
	default:
		mt, _, _ := mime.ParseMediaType(r.Headers.Get("Content-Type"))
		if mt != "text/html" && mt != "application/xhtml+xml" {
			st.refusal = refuse(ErrNotHTML, raw, "content type %q", r.Headers.Get("Content-Type"))
		} else if n, err := strconv.ParseInt(r.Headers.Get("Content-Length"), 10, 64); err == nil && n > e.cfg.MaxBody {
			st.refusal = refuse(ErrTooLarge, raw, "%d bytes declared, limit %d", n, e.cfg.MaxBody)
		} else {
			return
		}
	}
	r.Request.Abort()
}

// classify turns a colly or transport error into an *Error; ctx's own end is returned as is.
func (e *Enricher) classify(ctx context.Context, u *url.URL, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	raw := u.Redacted()
	var ee *Error
	if errors.As(err, &ee) {
		c := *ee
		if c.URL == "" {
			c.URL = raw
		}
		return &c
	}
	if errors.Is(err, colly.ErrRobotsTxtBlocked) {
		return refuse(ErrRobotsDisallowed, raw, "user agent %q", e.cfg.UserAgent)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Reason: ErrTimeout, URL: raw, Detail: "after " + e.cfg.Timeout.String(), Err: err}
	}
	return &Error{Reason: ErrFetch, URL: raw, Err: err}
}

// collector returns a clone of the root collector, rebuilding the root (and so forgetting
// robots.txt rules) after CacheTTL or maxRobotsHosts visits.
func (e *Enricher) collector() *colly.Collector {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.root == nil || time.Since(e.rootBorn) > e.cfg.CacheTTL || e.rootVisits >= maxRobotsHosts {
		e.root, e.rootBorn, e.rootVisits = e.newRoot(), time.Now(), 0
	}
	e.rootVisits++
	return e.root.Clone()
}

// newRoot builds a collector without reading COLLY_* environment variables (Init, not
// NewCollector), so nothing outside Config can switch a guard off.
func (e *Enricher) newRoot() *colly.Collector {
	c := &colly.Collector{}
	c.Init()
	c.UserAgent = e.cfg.UserAgent
	c.IgnoreRobotsTxt = false
	c.AllowURLRevisit = true               // no unbounded visited-URL memory; the cache decides repeats
	c.MaxBodySize = int(e.cfg.MaxBody) + 1 // the transport cuts first and records the truncation
	c.SetClient(&http.Client{Transport: e.transport, Timeout: e.cfg.Timeout})
	c.SetRedirectHandler(e.redirect)
	return c
}

// redirect is the client's CheckRedirect. Page requests stop at the first redirect, which
// fetch then follows itself; robots.txt requests follow up to MaxRedirects checked hops.
func (e *Enricher) redirect(req *http.Request, via []*http.Request) error {
	if stateFrom(req.Context()) != nil {
		return http.ErrUseLastResponse
	}
	if len(via) >= MaxRedirects {
		return refuse(ErrTooManyRedirects, req.URL.Redacted(), "robots.txt")
	}
	return e.guard.checkURL(req.URL)
}
