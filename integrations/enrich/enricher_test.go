package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRedirects(t *testing.T) {
	target := newSite(t, serveHTML(t, "title_only.html"))
	var origin *site
	origin = newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Path == "/to-target":
			http.Redirect(w, r, target.URL+"/landed", http.StatusFound)
		case r.URL.Path == "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
		case r.URL.Path == "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case r.URL.Path == "/to-userinfo":
			http.Redirect(w, r, "http://admin:secret@"+strings.TrimPrefix(target.URL, "http://")+"/", http.StatusFound)
		case r.URL.Path == "/no-location":
			w.WriteHeader(http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/chain/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/chain/"))
			if n == 0 {
				serveHTML(t, "title_only.html")(w, r)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusTemporaryRedirect)
		default:
			http.NotFound(w, r)
		}
	})
	e := newTestEnricher(t, testConfig(t, origin, target))
	ctx := context.Background()

	p, err := e.Fetch(ctx, origin.URL+"/to-target")
	if err != nil || p.URL != target.URL+"/landed" || p.Title != "Just a title" {
		t.Fatalf("followed redirect: page %+v, err %v", p, err)
	}
	p, err = e.Fetch(ctx, origin.URL+fmt.Sprintf("/chain/%d", MaxRedirects))
	if err != nil || p.URL != origin.URL+"/chain/0" {
		t.Fatalf("%d redirects: page %+v, err %v", MaxRedirects, p, err)
	}

	tests := []struct {
		path string
		want Reason
	}{
		{"/to-metadata", ErrPrivateAddress},
		{"/to-file", ErrScheme},
		{"/to-userinfo", ErrUserinfo},
		{"/no-location", ErrHTTPStatus},
		{fmt.Sprintf("/chain/%d", MaxRedirects+1), ErrTooManyRedirects},
	}
	for _, tt := range tests {
		_, err := e.Fetch(ctx, origin.URL+tt.path)
		wantReason(t, err, tt.want)
	}
	if n := target.hit("/"); n != 0 {
		t.Errorf("userinfo redirect reached the target %d times", n)
	}
}

// TestRedirectToLoopbackRefused runs with AllowPrivateNetworks false: only the origin
// server's exact address is exempted, so a redirect to any other loopback address, literal
// or by name, is refused and the second server never sees a request.
func TestRedirectToLoopbackRefused(t *testing.T) {
	internal := newSite(t, serveHTML(t, "article.html"))
	origin := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/literal":
			http.Redirect(w, r, internal.URL+"/secret", http.StatusFound)
		case "/by-name":
			http.Redirect(w, r, strings.Replace(internal.URL, "127.0.0.1", "localhost", 1)+"/secret", http.StatusFound)
		case "/ipv6":
			http.Redirect(w, r, fmt.Sprintf("http://[::1]:%d/secret", internal.port(t)), http.StatusFound)
		case "/mapped":
			http.Redirect(w, r, fmt.Sprintf("http://[::ffff:7f00:1]:%d/secret", internal.port(t)), http.StatusFound)
		default:
			serveHTML(t, "title_only.html")(w, r)
		}
	})
	cfg := testConfig(t, origin, internal)
	cfg.AllowPrivateNetworks = false
	e := newTestEnricher(t, cfg)
	e.guard.exempt = map[netip.AddrPort]bool{origin.addrPort(t): true}

	if _, err := e.Fetch(context.Background(), origin.URL+"/"); err != nil {
		t.Fatalf("exempted origin not reachable: %v", err)
	}
	for _, path := range []string{"/literal", "/by-name", "/ipv6", "/mapped"} {
		_, err := e.Fetch(context.Background(), origin.URL+path)
		wantReason(t, err, ErrPrivateAddress)
	}
	if n := internal.total(); n != 0 {
		t.Fatalf("internal server received %d requests", n)
	}
	if _, err := e.Fetch(context.Background(), internal.URL+"/secret"); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("direct fetch of internal server: %v", err)
	}
}

func TestResponseRefusals(t *testing.T) {
	big := strings.Repeat("<p>filler</p>\n", 1000) // about 14 KB
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"title":"no"}`))
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG\r\n\x1a\n"))
		case "/text":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("<title>plain</title>"))
		case "/untyped":
			w.Header()["Content-Type"] = nil // no sniffing: a missing type is refused
			w.Write([]byte("<html><title>sniffable</title></html>"))
		case "/xhtml":
			w.Header().Set("Content-Type", "application/xhtml+xml")
			w.Write([]byte(`<html xmlns="http://www.w3.org/1999/xhtml" lang="nl"><head><title>XHTML</title></head></html>`))
		case "/declared-large":
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Length", strconv.Itoa(len(big)+30))
			w.Write([]byte("<title>Large</title>" + big + "</html>\n\n\n\n\n\n\n\n\n"))
		case "/streamed-large":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<html lang="en"><head><title>Streamed</title><meta name="description" content="kept"></head><body>`))
			w.(http.Flusher).Flush() // chunked: no Content-Length
			for range 20 {
				w.Write([]byte(big))
			}
		case "/missing":
			http.NotFound(w, r)
		case "/error":
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	})
	cfg := testConfig(t, s)
	cfg.MaxBody = 8 << 10
	e := newTestEnricher(t, cfg)

	for path, want := range map[string]Reason{
		"/json": ErrNotHTML, "/png": ErrNotHTML, "/text": ErrNotHTML, "/untyped": ErrNotHTML,
		"/declared-large": ErrTooLarge, "/missing": ErrHTTPStatus, "/error": ErrHTTPStatus,
	} {
		_, err := e.Fetch(context.Background(), s.URL+path)
		wantReason(t, err, want)
	}

	p, err := e.Fetch(context.Background(), s.URL+"/xhtml")
	if err != nil || p.Title != "XHTML" || p.Language != "nl" || p.Truncated {
		t.Errorf("xhtml: page %+v, err %v", p, err)
	}
	p, err = e.Fetch(context.Background(), s.URL+"/streamed-large")
	if err != nil || p.Title != "Streamed" || p.Description != "kept" || !p.Truncated {
		t.Errorf("streamed body over the cap: page %+v, err %v", p, err)
	}
}

// TestBodyCapStopsReading checks that the transport stops after MaxBody bytes: the server
// would send 64 MiB, and the fetch must finish long before that could be read.
func TestBodyCapStopsReading(t *testing.T) {
	chunk := []byte(strings.Repeat("x", 64<<10))
	var sent int64
	var mu sync.Mutex
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<title>endless</title>"))
		for range 1024 {
			n, err := w.Write(chunk)
			mu.Lock()
			sent += int64(n)
			mu.Unlock()
			if err != nil {
				return
			}
		}
	})
	cfg := testConfig(t, s)
	cfg.MaxBody = 256 << 10
	e := newTestEnricher(t, cfg)
	p, err := e.Fetch(context.Background(), s.URL+"/")
	if err != nil || !p.Truncated || p.Title != "endless" {
		t.Fatalf("page %+v, err %v", p, err)
	}
	s.CloseClientConnections()
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if sent >= 32<<20 {
		t.Fatalf("server sent %d bytes; the client kept reading past the cap", sent)
	}
}

func TestRobotsTxt(t *testing.T) {
	robots := fixture(t, "robots.txt")
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(robots)
			return
		}
		serveHTML(t, "title_only.html")(w, r)
	})
	tests := []struct {
		agent string
		path  string
		want  Reason // "" for fetched
	}{
		{"", "/private/page", ErrRobotsDisallowed}, // default agent CairnBot/1.0 (…)
		{"", "/public", ""},
		{"", "/everyone-else", ""}, // the CairnBot group replaces the * group
		{"OtherBot/2.0", "/public", ErrRobotsDisallowed},
		{"Somebody/1.0", "/everyone-else", ErrRobotsDisallowed},
		{"Somebody/1.0", "/private/page", ""},
	}
	for _, tt := range tests {
		t.Run(tt.agent+tt.path, func(t *testing.T) {
			cfg := testConfig(t, s)
			cfg.UserAgent = tt.agent
			e := newTestEnricher(t, cfg)
			before := s.hit(tt.path)
			_, err := e.Fetch(context.Background(), s.URL+tt.path)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				return
			}
			wantReason(t, err, tt.want)
			if s.hit(tt.path) != before {
				t.Errorf("disallowed page was requested")
			}
		})
	}

	// One Enricher reads robots.txt once for many pages of a host.
	e := newTestEnricher(t, testConfig(t, s))
	before := s.hit("/robots.txt")
	for i := range 3 {
		if _, err := e.Fetch(context.Background(), fmt.Sprintf("%s/page/%d", s.URL, i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.hit("/robots.txt") - before; n != 1 {
		t.Errorf("robots.txt fetched %d times for 3 pages, want 1", n)
	}
}

// TestRobotsIgnoresEnvironment: colly reads COLLY_* variables in NewCollector; the Enricher
// must not let them switch robots.txt off.
func TestRobotsIgnoresEnvironment(t *testing.T) {
	t.Setenv("COLLY_IGNORE_ROBOTSTXT", "yes")
	t.Setenv("COLLY_MAX_BODY_SIZE", "0")
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.Write([]byte("User-agent: *\nDisallow: /\n"))
			return
		}
		serveHTML(t, "title_only.html")(w, r)
	})
	e := newTestEnricher(t, testConfig(t, s))
	_, err := e.Fetch(context.Background(), s.URL+"/")
	wantReason(t, err, ErrRobotsDisallowed)
}

// TestRobotsFetchIsGuarded: robots.txt requests use the guarded transport too, so a
// robots.txt that redirects to a metadata address makes the page fetch fail before the page
// is requested.
func TestRobotsFetchIsGuarded(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.Redirect(w, r, "http://169.254.169.254/robots.txt", http.StatusFound)
			return
		}
		serveHTML(t, "title_only.html")(w, r)
	})
	e := newTestEnricher(t, testConfig(t, s))
	_, err := e.Fetch(context.Background(), s.URL+"/page")
	wantReason(t, err, ErrPrivateAddress)
	if s.hit("/page") != 0 {
		t.Errorf("page requested although robots.txt could not be read")
	}

	// A robots.txt redirect within the host is followed.
	s2 := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.Redirect(w, r, "/real-robots.txt", http.StatusMovedPermanently)
		case "/real-robots.txt":
			w.Write([]byte("User-agent: *\nDisallow: /no\n"))
		default:
			serveHTML(t, "title_only.html")(w, r)
		}
	})
	e = newTestEnricher(t, testConfig(t, s2))
	if _, err := e.Fetch(context.Background(), s2.URL+"/yes"); err != nil {
		t.Fatalf("allowed page: %v", err)
	}
	_, err = e.Fetch(context.Background(), s2.URL+"/no")
	wantReason(t, err, ErrRobotsDisallowed)
}

func TestCache(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		serveHTML(t, "article.html")(w, r)
	})
	cfg := testConfig(t, s)
	cfg.CacheTTL = 300 * time.Millisecond
	e := newTestEnricher(t, cfg)
	ctx := context.Background()

	first, err := e.Fetch(ctx, s.URL+"/a")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{s.URL + "/a", s.URL + "/a#other-fragment", strings.Replace(s.URL, "http://", "HTTP://", 1) + "/a"} {
		again, err := e.Fetch(ctx, u)
		if err != nil || again != first {
			t.Fatalf("cached fetch of %s: %+v, %v", u, again, err)
		}
	}
	if n := s.hit("/a"); n != 1 {
		t.Errorf("page requested %d times, want 1", n)
	}

	for range 2 {
		_, err := e.Fetch(ctx, s.URL+"/gone")
		wantReason(t, err, ErrHTTPStatus)
	}
	if n := s.hit("/gone"); n != 1 {
		t.Errorf("failing page requested %d times, want 1 (failures are cached)", n)
	}

	time.Sleep(cfg.CacheTTL + 50*time.Millisecond)
	if _, err := e.Fetch(ctx, s.URL+"/a"); err != nil {
		t.Fatal(err)
	}
	if n := s.hit("/a"); n != 2 {
		t.Errorf("after TTL the page was requested %d times in all, want 2", n)
	}
}

func TestCacheDisabled(t *testing.T) {
	s := newSite(t, serveHTML(t, "title_only.html"))
	cfg := testConfig(t, s)
	cfg.CacheSize = -1
	e := newTestEnricher(t, cfg)
	for range 2 {
		if _, err := e.Fetch(context.Background(), s.URL+"/"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.hit("/"); n != 2 {
		t.Errorf("page requested %d times with the cache off, want 2", n)
	}
}

func TestResultCacheLRU(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newResultCache(2, time.Minute, func() time.Time { return now })
	c.put("a", Page{Title: "A"}, nil)
	c.put("b", Page{Title: "B"}, nil)
	if p, _, ok := c.get("a"); !ok || p.Title != "A" { // a becomes most recent
		t.Fatal("a missing")
	}
	c.put("c", Page{}, ErrNotHTML) // evicts b
	if _, _, ok := c.get("b"); ok {
		t.Error("b survived eviction")
	}
	if _, err, ok := c.get("c"); !ok || !errors.Is(err, ErrNotHTML) {
		t.Errorf("c: ok=%v err=%v", ok, err)
	}
	now = now.Add(time.Minute)
	if _, _, ok := c.get("a"); ok {
		t.Error("a outlived its TTL")
	}
	if c.len() != 1 {
		t.Errorf("len = %d after expiry of a, want 1", c.len())
	}
}

func TestConcurrentFetchesShareOneRequest(t *testing.T) {
	release := make(chan struct{})
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		serveHTML(t, "title_only.html")(w, r)
	})
	e := newTestEnricher(t, testConfig(t, s))
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			_, err := e.Fetch(context.Background(), s.URL+"/slow")
			errs <- err
		})
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.hit("/slow"); n != 1 {
		t.Errorf("page requested %d times by 5 concurrent callers, want 1", n)
	}
}

func TestHostDelay(t *testing.T) {
	a := newSite(t, serveHTML(t, "title_only.html"))
	b := newSite(t, serveHTML(t, "title_only.html"))
	cfg := testConfig(t, a, b)
	cfg.HostDelay = 200 * time.Millisecond
	e := newTestEnricher(t, cfg)

	start := time.Now()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if _, err := e.Fetch(context.Background(), fmt.Sprintf("%s/p%d", a.URL, i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		if _, err := e.Fetch(context.Background(), b.URL+"/other-host"); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()

	var starts []time.Time
	for i := range 3 {
		starts = append(starts, a.requestTimes(fmt.Sprintf("/p%d", i))...)
	}
	if len(starts) != 3 {
		t.Fatalf("got %d page requests, want 3", len(starts))
	}
	sortTimes(starts)
	// The limiter gives the three requests start slots HostDelay apart, the first no
	// earlier than start, and a slot is never entered early: the last request reaches
	// the site at least two delays after start, however late the first one arrives
	// (connection set-up and robots.txt delay it on a loaded machine). Unspaced
	// requests would all arrive within milliseconds of start.
	if span, want := starts[2].Sub(start), 2*cfg.HostDelay; span < want {
		t.Errorf("the third request to one host arrived %v after the first was asked for, want >= %v", span, want)
	}
	if d := b.requestTimes("/other-host")[0].Sub(start); d > cfg.HostDelay {
		t.Errorf("another host waited %v", d)
	}
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		select { // hold the response until the client gives up
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	cfg := testConfig(t, s)
	cfg.Timeout = 200 * time.Millisecond
	e := newTestEnricher(t, cfg)

	start := time.Now()
	_, err := e.Fetch(context.Background(), s.URL+"/hang")
	wantReason(t, err, ErrTimeout)
	if d := time.Since(start); d > time.Second {
		t.Errorf("timeout after %v, want about %v", d, cfg.Timeout)
	}

	// A caller's own cancellation is returned as is and not cached.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = e.Fetch(ctx, s.URL+"/cancelled")
	var ee *Error
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ee) {
		t.Errorf("caller deadline: err = %v, want context.DeadlineExceeded", err)
	}
	if _, _, ok := e.cache.get(s.URL + "/cancelled"); ok {
		t.Error("caller cancellation was cached")
	}
}

func TestRequestHeaders(t *testing.T) {
	type seen struct{ ua, accept, cookie string }
	got := make(chan seen, 4)
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		got <- seen{r.UserAgent(), r.Header.Get("Accept"), r.Header.Get("Cookie")}
		http.SetCookie(w, &http.Cookie{Name: "track", Value: "1"})
		serveHTML(t, "title_only.html")(w, r)
	})
	e := newTestEnricher(t, testConfig(t, s))
	for _, path := range []string{"/one", "/two"} {
		if _, err := e.Fetch(context.Background(), s.URL+path); err != nil {
			t.Fatal(err)
		}
		h := <-got
		if !strings.HasPrefix(h.ua, "CairnBot/") || !strings.Contains(h.accept, "text/html") || h.cookie != "" {
			t.Errorf("%s: request headers %+v", path, h)
		}
	}
}
