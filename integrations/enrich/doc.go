// Package enrich fetches the web page behind an xAPI activity id and turns its metadata
// into an activity definition (xAPI 1.0.3 Data 2.4.4.1: name, description, type, moreInfo,
// extensions). It is the only package in Cairn that imports colly
// (https://pkg.go.dev/github.com/gocolly/colly/v2); the rest of Cairn sees Enricher, Page
// and Queue.
//
// The URLs come from statements, so an attacker chooses them. Every request (the page, each
// redirect hop and robots.txt) goes through one guarded transport owned by this package:
//
//   - only http and https, no userinfo, ports 80 and 443 unless Config.AllowedPorts says
//     otherwise;
//   - the address is checked when the socket is about to connect (net.Dialer.Control), after
//     DNS resolution, so DNS rebinding and redirects cannot reach loopback, private (RFC 1918,
//     unique-local fc00::/7), link-local, CGNAT (100.64.0.0/10), multicast, unspecified,
//     reserved or documentation ranges, IPv4 addresses embedded in IPv6 (mapped, NAT64,
//     6to4), nor cloud metadata endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200,
//     168.63.129.16); Config.AllowPrivateNetworks (tests only) admits loopback and private
//     ranges but never metadata, unspecified, multicast or broadcast addresses;
//   - no proxy from the environment, no cookies, no colly environment settings;
//   - at most 5 redirects, each hop re-validated, re-checked against robots.txt and paced by
//     the per-host delay;
//   - a connect timeout, a per-request timeout, and a body cap (bodies declared larger are
//     refused before reading; undeclared ones are cut at the cap and the prefix is parsed);
//   - only text/html and application/xhtml+xml responses are parsed;
//   - robots.txt is honoured for Config.UserAgent (a 5xx robots.txt disallows the host).
//
// Refusals are *Error values whose Reason is one of the Err* constants, so callers test them
// with errors.Is(err, enrich.ErrPrivateAddress) and log Reason.
//
// Results, successes and refusals alike, are kept in a bounded LRU cache with a TTL; a
// caller's own cancellation is never cached. Queue runs fetches in the background so that a
// statement write never waits for enrichment.
//
// # Duration extension
//
// When a page states a media duration (og:video:duration or video:duration in seconds, a
// schema.org VideoObject duration in JSON-LD, or an itemprop="duration" element), the
// definition carries it as an activity definition extension:
//
//	https://cairn-lrs.github.io/xapi/extensions/duration
//
// whose value is an ISO 8601 duration string in the form xAPI uses for result.duration
// (xAPI 1.0.3 Data 4.6), e.g. "PT4M13S".
package enrich
