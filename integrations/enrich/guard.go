package enrich

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// addrClass is what the guard thinks of one IP address.
type addrClass int

const (
	classPublic    addrClass = iota // routable on the internet
	classPrivate                    // loopback, private, link-local, CGNAT, unique-local, reserved: allowed only with AllowPrivateNetworks
	classForbidden                  // never dialled: unspecified, multicast, broadcast, cloud metadata
)

// guard decides which URLs may be requested and which addresses may be dialled.
type guard struct {
	allowPrivate bool
	ports        map[int]bool
	private      []netip.Prefix // non-public ranges beyond what netip's predicates cover
	embedding    []netip.Prefix // IPv6 ranges that carry an IPv4 address (NAT64, 6to4)
	forbidden    []netip.Prefix // always refused, whatever allowPrivate says
	// exempt lists addresses admitted regardless of class; only tests set it, to reach an
	// httptest server while AllowPrivateNetworks is false.
	exempt map[netip.AddrPort]bool
}

func newGuard(allowPrivate bool, ports []int) *guard {
	g := &guard{allowPrivate: allowPrivate, ports: map[int]bool{}}
	for _, p := range ports {
		g.ports[p] = true
	}
	parse := func(ss ...string) []netip.Prefix {
		out := make([]netip.Prefix, len(ss))
		for i, s := range ss {
			out[i] = netip.MustParsePrefix(s)
		}
		return out
	}
	g.private = parse(
		"0.0.0.0/8",       // "this network" (RFC 791)
		"100.64.0.0/10",   // CGNAT shared address space (RFC 6598)
		"192.0.0.0/24",    // IETF protocol assignments (RFC 6890)
		"192.0.2.0/24",    // TEST-NET-1
		"198.18.0.0/15",   // benchmarking (RFC 2544)
		"198.51.100.0/24", // TEST-NET-2
		"203.0.113.0/24",  // TEST-NET-3
		"240.0.0.0/4",     // reserved (RFC 1112)
		"::/96",           // IPv4-compatible (deprecated)
		"64:ff9b:1::/48",  // local-use NAT64 (RFC 8215)
		"100::/64",        // discard-only (RFC 6666)
		"2001::/23",       // IETF protocol assignments, Teredo included
		"2001:db8::/32",   // documentation
		"fec0::/10",       // site-local (deprecated)
	)
	g.embedding = parse(
		"64:ff9b::/96", // NAT64 (RFC 6052)
		"2002::/16",    // 6to4 (RFC 3056): IPv4 in bits 16..47
	)
	g.forbidden = parse(
		"169.254.169.254/32", // AWS, GCP, Azure, Oracle instance metadata
		"168.63.129.16/32",   // Azure wire server
		"100.100.100.200/32", // Alibaba Cloud metadata
		"fd00:ec2::254/128",  // AWS instance metadata over IPv6
		"255.255.255.255/32", // limited broadcast
	)
	return g
}

// classify returns the class of addr, looking through IPv4-mapped, NAT64 and 6to4 forms.
func (g *guard) classify(addr netip.Addr) addrClass {
	addr = addr.WithZone("").Unmap()
	for _, p := range g.forbidden {
		if p.Contains(addr) {
			return classForbidden
		}
	}
	if addr.IsUnspecified() || addr.IsMulticast() {
		return classForbidden
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() {
		return classPrivate
	}
	for _, p := range g.embedding {
		if p.Contains(addr) {
			b := addr.As16()
			var v4 [4]byte
			if p.Bits() == 16 { // 6to4: the IPv4 address follows the 2002::/16 prefix
				copy(v4[:], b[2:6])
			} else { // NAT64: the IPv4 address is the low 32 bits
				copy(v4[:], b[12:16])
			}
			return g.classify(netip.AddrFrom4(v4))
		}
	}
	for _, p := range g.private {
		if p.Contains(addr) {
			return classPrivate
		}
	}
	return classPublic
}

// checkAddr returns nil when ap may be dialled, else an *Error with ErrPrivateAddress (checked
// first) or ErrPort.
func (g *guard) checkAddr(ap netip.AddrPort) error {
	if g.exempt[ap] {
		return nil
	}
	switch c := g.classify(ap.Addr()); {
	case c == classForbidden, c == classPrivate && !g.allowPrivate:
		return refuse(ErrPrivateAddress, "", "address %s", ap.Addr())
	}
	if !g.ports[int(ap.Port())] {
		return refuse(ErrPort, "", "port %d", ap.Port())
	}
	return nil
}

// control is the net.Dialer Control hook: it runs after DNS resolution and before the
// socket connects, for every address the dialer tries, so nothing is sent to a refused
// address.
func (g *guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refuse(ErrPrivateAddress, "", "unparsable dial address %q", address)
	}
	return g.checkAddr(ap)
}

// checkURL returns nil when u may be requested: http or https, a host, no userinfo, an
// allowed port, and no literal IP address that the guard refuses. Host names are checked
// again, after resolution, when the connection is made.
func (g *guard) checkURL(u *url.URL) error {
	raw := u.Redacted()
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return refuse(ErrScheme, raw, "scheme %q", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return refuse(ErrBadURL, raw, "no host")
	}
	if u.User != nil {
		return refuse(ErrUserinfo, raw, "")
	}
	port := 80
	if strings.EqualFold(u.Scheme, "https") {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return refuse(ErrBadURL, raw, "port %q", p)
		}
		port = n
	}
	host := u.Hostname()
	if host == "" {
		return refuse(ErrBadURL, raw, "no host")
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if err := g.checkAddr(netip.AddrPortFrom(addr, uint16(port))); err != nil {
			e := err.(*Error)
			e.URL = raw
			return e
		}
		return nil
	}
	if endsInNumber(host) {
		// WHATWG URL parsing (which colly applies) reads hosts such as "2130706433" or
		// "0x7f.1" as IPv4 addresses; refuse the ambiguity instead of resolving it.
		return refuse(ErrBadURL, raw, "numeric host %q is not a dotted-quad address", host)
	}
	if !g.ports[port] {
		return refuse(ErrPort, raw, "port %d", port)
	}
	return nil
}

// endsInNumber reports whether the last label of host is a decimal or 0x-hex number, which
// the WHATWG host parser treats as an IPv4 address.
func endsInNumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		for _, c := range last[2:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
		return true
	}
	for _, c := range last {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// guardedTransport is the only RoundTripper colly is given: it re-checks every request URL
// (robots.txt and redirect hops included), dials through the guard, and caps every body.
type guardedTransport struct {
	guard     *guard
	base      *http.Transport
	maxBody   int64 // page bodies
	robotsMax int64 // bodies of requests that carry no visit state (robots.txt)
}

func newTransport(g *guard, connectTimeout, timeout time.Duration, maxBody int64) *guardedTransport {
	dialer := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second, Control: g.control}
	return &guardedTransport{
		guard:     g,
		maxBody:   maxBody,
		robotsMax: min(maxBody, 512<<10),
		base: &http.Transport{
			Proxy:                  nil, // never a proxy from the environment: the guard must see the real peer
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    connectTimeout,
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 64 << 10,
			MaxIdleConns:           32,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        30 * time.Second,
		},
	}
}

// RoundTrip refuses URLs the guard rejects, and returns responses whose body ends after
// the cap; for page requests it records in the visit state that the body was cut.
func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.guard.checkURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	limit := t.robotsMax
	var truncated *atomic.Bool
	if st := stateFrom(req.Context()); st != nil {
		limit = t.maxBody
		truncated = &st.truncated
		if ce := resp.Header.Get("Content-Encoding"); resp.StatusCode/100 == 2 && !resp.Uncompressed &&
			ce != "" && !strings.EqualFold(ce, "identity") {
			resp.Body.Close()
			return nil, refuse(ErrNotHTML, req.URL.Redacted(), "unrequested content encoding %q", ce)
		}
	}
	resp.Body = &cappedBody{rc: resp.Body, remaining: limit, truncated: truncated}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pooled connections.
func (t *guardedTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// cappedBody ends the stream after remaining bytes; when more data was there, it sets
// truncated (if non-nil).
type cappedBody struct {
	rc        io.ReadCloser
	remaining int64
	truncated *atomic.Bool
	done      bool
}

// Read reads on until the cap, then reports io.EOF.
func (b *cappedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.remaining <= 0 {
		b.done = true
		var probe [1]byte
		if n, _ := io.ReadFull(b.rc, probe[:]); n > 0 && b.truncated != nil {
			b.truncated.Store(true)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.rc.Read(p)
	b.remaining -= int64(n)
	return n, err
}

// Close closes the underlying body, ending the transfer if unread data remains.
func (b *cappedBody) Close() error { return b.rc.Close() }

// visitState is what one page request shares between the transport, the colly callbacks
// and Fetch. Colly runs a synchronous visit on the calling goroutine; truncated is atomic
// because the transport writes it from the body reader.
type visitState struct {
	truncated atomic.Bool
	status    int
	location  string
	refusal   error
	meta      rawMeta
}

type visitStateKey struct{}

func stateFrom(ctx context.Context) *visitState {
	st, _ := ctx.Value(visitStateKey{}).(*visitState)
	return st
}
