package enrich

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// site is an httptest server on 127.0.0.1 that records the requests it receives per path.
type site struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	times map[string][]time.Time
}

func newSite(t *testing.T, h http.HandlerFunc) *site {
	t.Helper()
	s := &site{hits: map[string]int{}, times: map[string][]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.times[r.URL.Path] = append(s.times[r.URL.Path], time.Now())
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// hit returns how many requests reached path.
func (s *site) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// requestTimes returns when the requests to path arrived.
func (s *site) requestTimes(path string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times[path]...)
}

// total returns how many requests reached the server.
func (s *site) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.hits {
		n += v
	}
	return n
}

func (s *site) port(t *testing.T) int {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *site) addrPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// testConfig admits loopback and the sites' ports, with no host delay and short timeouts.
func testConfig(t *testing.T, sites ...*site) Config {
	cfg := Config{AllowPrivateNetworks: true, HostDelay: -1, Timeout: 2 * time.Second}
	for _, s := range sites {
		cfg.AllowedPorts = append(cfg.AllowedPorts, s.port(t))
	}
	return cfg
}

func newTestEnricher(t *testing.T, cfg Config) *Enricher {
	t.Helper()
	e := New(cfg)
	t.Cleanup(e.Close)
	return e
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serveHTML answers every path with the named fixture as text/html, and robots.txt with 404.
func serveHTML(t *testing.T, name string) http.HandlerFunc {
	body := fixture(t, name)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}
}

// wantReason fails unless err is an *Error with reason r.
func wantReason(t *testing.T, err error, r Reason) {
	t.Helper()
	var ee *Error
	if !errors.As(err, &ee) || !errors.Is(err, r) {
		t.Fatalf("error = %v, want reason %q", err, r)
	}
}

// countingListener counts accepted connections on 127.0.0.1.
type countingListener struct {
	net.Listener
	mu       sync.Mutex
	accepted int
}

func newCountingListener(t *testing.T) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &countingListener{Listener: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			l.accepted++
			l.mu.Unlock()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return l
}

func (l *countingListener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accepted
}
