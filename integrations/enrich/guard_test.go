package enrich

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
	"time"
)

func TestGuardClassify(t *testing.T) {
	g := newGuard(false, []int{80, 443})
	tests := []struct {
		addr string
		want addrClass
	}{
		{"93.184.215.14", classPublic},
		{"8.8.8.8", classPublic},
		{"2606:4700:4700::1111", classPublic},
		{"64:ff9b::808:808", classPublic}, // NAT64 of a public address
		{"2002:808:808::1", classPublic},  // 6to4 of a public address
		{"127.0.0.1", classPrivate},
		{"127.1.2.3", classPrivate},
		{"10.1.2.3", classPrivate},
		{"172.16.0.1", classPrivate},
		{"192.168.1.1", classPrivate},
		{"100.64.0.1", classPrivate},
		{"100.127.255.254", classPrivate},
		{"169.254.1.1", classPrivate},
		{"0.1.2.3", classPrivate},
		{"198.18.0.1", classPrivate},
		{"240.0.0.1", classPrivate},
		{"::1", classPrivate},
		{"fc00::1", classPrivate},
		{"fd12:3456::1", classPrivate},
		{"fe80::1", classPrivate},
		{"fe80::1%eth0", classPrivate},
		{"::ffff:127.0.0.1", classPrivate},
		{"::ffff:10.0.0.1", classPrivate},
		{"::127.0.0.1", classPrivate}, // IPv4-compatible
		{"64:ff9b::7f00:1", classPrivate},
		{"2002:7f00:1::1", classPrivate},
		{"2002:a9fe:a9fe::1", classForbidden}, // 6to4 of 169.254.169.254
		{"2001:db8::1", classPrivate},
		{"169.254.169.254", classForbidden},
		{"::ffff:169.254.169.254", classForbidden},
		{"fd00:ec2::254", classForbidden},
		{"100.100.100.200", classForbidden},
		{"168.63.129.16", classForbidden},
		{"0.0.0.0", classForbidden},
		{"::", classForbidden},
		{"224.0.0.1", classForbidden},
		{"255.255.255.255", classForbidden},
		{"ff02::1", classForbidden},
	}
	for _, tt := range tests {
		if got := g.classify(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("classify(%s) = %d, want %d", tt.addr, got, tt.want)
		}
	}
}

func TestGuardControl(t *testing.T) {
	tests := []struct {
		address      string
		allowPrivate bool
		want         Reason // "" for allowed
	}{
		{"93.184.215.14:443", false, ""},
		{"93.184.215.14:8080", false, ErrPort},
		{"127.0.0.1:80", false, ErrPrivateAddress},
		{"127.0.0.1:80", true, ""},
		{"[::1]:443", false, ErrPrivateAddress},
		{"[::1]:443", true, ""},
		{"[::ffff:127.0.0.1]:80", false, ErrPrivateAddress},
		{"10.0.0.1:80", false, ErrPrivateAddress},
		{"100.64.1.1:80", false, ErrPrivateAddress},
		{"[fd00::1]:80", false, ErrPrivateAddress},
		{"169.254.169.254:80", false, ErrPrivateAddress},
		{"169.254.169.254:80", true, ErrPrivateAddress},
		{"[fd00:ec2::254]:80", true, ErrPrivateAddress},
		{"0.0.0.0:80", true, ErrPrivateAddress},
		{"224.0.0.251:80", true, ErrPrivateAddress},
		{"not-an-address", false, ErrPrivateAddress},
	}
	for _, tt := range tests {
		g := newGuard(tt.allowPrivate, []int{80, 443})
		err := g.control("tcp", tt.address, nil)
		if tt.want == "" {
			if err != nil {
				t.Errorf("control(%s, private=%v) = %v, want nil", tt.address, tt.allowPrivate, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("control(%s, private=%v) = %v, want %q", tt.address, tt.allowPrivate, err, tt.want)
		}
	}
}

// TestDialRefusedBeforeConnect dials a live listener on 127.0.0.1 through the guarded dialer:
// the refusal happens before connect, so the listener never sees a connection.
func TestDialRefusedBeforeConnect(t *testing.T) {
	ln := newCountingListener(t)
	ap := netip.MustParseAddrPort(ln.Addr().String())
	for _, target := range []string{ap.String(), "localhost:" + strconv.Itoa(int(ap.Port()))} {
		e := newTestEnricher(t, Config{AllowedPorts: []int{int(ap.Port())}})
		conn, err := e.transport.base.DialContext(context.Background(), "tcp", target)
		if conn != nil {
			conn.Close()
		}
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("dial %s: error = %v, want %q", target, err, ErrPrivateAddress)
		}
	}
	time.Sleep(20 * time.Millisecond) // let any stray connection be accepted
	if n := ln.count(); n != 0 {
		t.Fatalf("listener accepted %d connections, want 0", n)
	}

	// The same dialer connects when private networks are allowed: the count above is meaningful.
	e := newTestEnricher(t, Config{AllowPrivateNetworks: true, AllowedPorts: []int{int(ap.Port())}})
	conn, err := e.transport.base.DialContext(context.Background(), "tcp", ap.String())
	if err != nil {
		t.Fatalf("allowed dial: %v", err)
	}
	conn.Close()
	deadline := time.Now().Add(time.Second)
	for ln.count() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := ln.count(); n != 1 {
		t.Fatalf("listener accepted %d connections after an allowed dial, want 1", n)
	}
}

// TestFetchRefusesURLs covers refusals decided from the URL alone: they return at once and
// never reach the network (the transport is given a dialer that fails the test).
func TestFetchRefusesURLs(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		want         Reason
	}{
		{"file:///etc/passwd", false, ErrScheme},
		{"ftp://example.org/file", false, ErrScheme},
		{"javascript:alert(1)", false, ErrScheme},
		{"data:text/html,<title>x</title>", false, ErrScheme},
		{"mailto:someone@example.org", false, ErrScheme},
		{"//example.org/no-scheme", false, ErrScheme},
		{"gopher://example.org/", false, ErrScheme},
		{"http://user:pass@example.org/", false, ErrUserinfo},
		{"https://token@example.org/", false, ErrUserinfo},
		{"http://example.org:8080/", false, ErrPort},
		{"https://example.org:22/", false, ErrPort},
		{"http://example.org:99999/", false, ErrBadURL},
		{"http:///path-only", false, ErrBadURL},
		{"http://127.0.0.1/", false, ErrPrivateAddress},
		{"http://127.0.0.1:80/admin", false, ErrPrivateAddress},
		{"http://[::1]/", false, ErrPrivateAddress},
		{"http://[::ffff:127.0.0.1]/", false, ErrPrivateAddress},
		{"http://[fe80::1%25eth0]/", false, ErrPrivateAddress},
		{"http://10.0.0.8/", false, ErrPrivateAddress},
		{"http://192.168.0.1/", false, ErrPrivateAddress},
		{"http://100.64.0.1/", false, ErrPrivateAddress},
		{"http://[fd00::1]/", false, ErrPrivateAddress},
		{"http://169.254.169.254/latest/meta-data/", false, ErrPrivateAddress},
		{"http://169.254.169.254/latest/meta-data/", true, ErrPrivateAddress},
		{"http://[fd00:ec2::254]/", true, ErrPrivateAddress},
		{"http://0.0.0.0/", true, ErrPrivateAddress},
		{"http://2130706433/", false, ErrBadURL}, // 127.0.0.1 as one number
		{"http://0x7f000001/", false, ErrBadURL},
		{"http://0x7f.1/", false, ErrBadURL},
		{"http://127.1/", false, ErrBadURL},
		{"https://example.org/sitemap.XML.gz", false, ErrNotHTML},
		{"http://exa mple.org/", false, ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			e := New(Config{AllowPrivateNetworks: tt.allowPrivate, Timeout: time.Second})
			e.transport.base.DialContext = func(context.Context, string, string) (net.Conn, error) {
				t.Errorf("dial attempted for %s", tt.url)
				return nil, errors.New("no dial in this test")
			}
			start := time.Now()
			_, err := e.Fetch(context.Background(), tt.url)
			wantReason(t, err, tt.want)
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("refusal took %v", d)
			}
			if e.cache.len() != 0 {
				t.Errorf("refusal before any request was cached")
			}
		})
	}
}

func TestCheckURLHostForms(t *testing.T) {
	g := newGuard(false, []int{80, 443})
	for raw, ok := range map[string]bool{
		"http://example.org/":          true,
		"https://EXAMPLE.org:443/x":    true,
		"http://example.org./":         true,
		"http://1.example.org/":        true,
		"http://example.123/":          false,
		"http://8.8.8.8/":              true,
		"http://[2606:4700::1111]:80/": true,
		"HTTP://example.org/":          true,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.checkURL(u); (err == nil) != ok {
			t.Errorf("checkURL(%s) = %v, want ok=%v", raw, err, ok)
		}
	}
}

// TestFetchRefusesNormalisedLoopback: colly re-parses URLs by the WHATWG rules, which turn
// full-width digits into a loopback literal; the transport's own check refuses it before
// any dial.
func TestFetchRefusesNormalisedLoopback(t *testing.T) {
	e := New(Config{Timeout: time.Second})
	e.transport.base.DialContext = func(context.Context, string, string) (net.Conn, error) {
		t.Error("dial attempted")
		return nil, errors.New("no dial in this test")
	}
	_, err := e.Fetch(context.Background(), "http://１２７.０.０.１/")
	wantReason(t, err, ErrPrivateAddress)
}
