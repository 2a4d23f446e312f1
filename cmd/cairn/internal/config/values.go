package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// StoreKind names a storage adapter.
type StoreKind string

// The storage adapters.
const (
	StoreSQLite  StoreKind = "sqlite"
	StoreMongoDB StoreKind = "mongodb"
)

// Store is a parsed --store setting. Its String, GoString and LogValue forms hide any
// credentials in a MongoDB URI; only Location holds them.
type Store struct {
	Kind StoreKind
	// Location is the SQLite file path, or the full MongoDB URI (which may hold a
	// password: never log it, log the Store instead).
	Location string
}

const storeWant = "want sqlite:PATH or mongodb://…"

// ParseStore parses `sqlite:PATH`, `mongodb://…` or `mongodb+srv://…`. Error messages
// never repeat the URI, which may hold a password.
func ParseStore(s string) (Store, error) {
	if s == "" {
		return Store{}, fmt.Errorf("empty (%s)", storeWant)
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" {
		return Store{}, fmt.Errorf("no scheme (%s)", storeWant)
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		if rest == "" {
			return Store{}, fmt.Errorf("sqlite: needs a file path, e.g. sqlite:./data/cairn.db")
		}
		if strings.HasPrefix(rest, "//") {
			return Store{}, fmt.Errorf("sqlite: takes a plain path, e.g. sqlite:./data/cairn.db or sqlite:/var/lib/cairn/cairn.db, not sqlite://")
		}
		return Store{Kind: StoreSQLite, Location: rest}, nil
	case "mongodb", "mongodb+srv":
		if !strings.HasPrefix(rest, "//") {
			return Store{}, fmt.Errorf("%s: want %s://HOST[:PORT]/DATABASE", scheme, scheme)
		}
		if hosts := mongoHosts(s); hosts == "" {
			return Store{}, fmt.Errorf("%s: URI has no host", scheme)
		}
		return Store{Kind: StoreMongoDB, Location: s}, nil
	default:
		if !validScheme(scheme) {
			return Store{}, fmt.Errorf("no scheme (%s)", storeWant)
		}
		return Store{}, fmt.Errorf("unsupported scheme %q (%s)", scheme, storeWant)
	}
}

// String returns the store with any password in a MongoDB URI replaced by "xxxxx"
// and secret query options hidden; safe to log and print.
func (s Store) String() string {
	if s.Kind == StoreMongoDB {
		return RedactMongoURI(s.Location)
	}
	return string(s.Kind) + ":" + s.Location
}

// Scrub returns msg with the store's raw URI replaced by its redacted form and its
// password (as written and URL-decoded) replaced by "xxxxx", for error messages from
// drivers that might quote the connection string.
func (s Store) Scrub(msg string) string {
	if s.Kind != StoreMongoDB {
		return msg
	}
	msg = strings.ReplaceAll(msg, s.Location, s.String())
	_, rest, _ := strings.Cut(s.Location, "://")
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return msg
	}
	_, password, ok := strings.Cut(rest[:at], ":")
	if !ok || password == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, password, "xxxxx")
	if decoded, err := url.PathUnescape(password); err == nil && decoded != "" {
		msg = strings.ReplaceAll(msg, decoded, "xxxxx")
	}
	return msg
}

// GoString is String, so that %#v does not print the password either.
func (s Store) GoString() string { return s.String() }

// LogValue makes slog log the redacted form.
func (s Store) LogValue() slog.Value { return slog.StringValue(s.String()) }

// validScheme reports whether s has URL scheme syntax (RFC 3986 section 3.1) and a
// plausible length, so that a value without a scheme is not echoed as one.
func validScheme(s string) bool {
	if len(s) > 20 {
		return false
	}
	for i, r := range s {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// mongoHosts returns the host list of a mongodb:// URI (between "//" or "@" and the
// first "/" or "?").
func mongoHosts(uri string) string {
	_, rest, _ := strings.Cut(uri, "://")
	authority := rest
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		authority = authority[i+1:]
	}
	return authority
}

// RedactMongoURI replaces the password of a MongoDB connection string with "xxxxx" and
// the values of options that can carry credentials (tlsCertificateKeyFilePassword,
// authMechanismProperties, …) with "xxxxx". It works on multi-host URIs, which
// net/url does not parse.
func RedactMongoURI(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "xxxxx"
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		user, _, hasPassword := strings.Cut(authority[:i], ":")
		if hasPassword {
			user += ":xxxxx"
		}
		authority = user + authority[i:]
	}
	// Option names (lower case) whose values can be credentials.
	secretOptions := []string{"password", "secret", "token", "authmechanismproperties"}
	path, query, hasQuery := strings.Cut(tail, "?")
	if hasQuery {
		opts := strings.Split(query, "&")
		for i, opt := range opts {
			name, _, _ := strings.Cut(opt, "=")
			lower := strings.ToLower(name)
			for _, secret := range secretOptions {
				if strings.Contains(lower, secret) {
					opts[i] = name + "=xxxxx"
					break
				}
			}
		}
		path += "?" + strings.Join(opts, "&")
	}
	return scheme + "://" + authority + path
}

// ParseAddr checks a HOST:PORT listen address; HOST may be empty (all interfaces) and
// PORT must be a number from 0 to 65535.
func ParseAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not HOST:PORT (e.g. 127.0.0.1:8080 or :8080)", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /") {
		return "", fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return s, nil
}

// DefaultBaseURL returns http://ADDR for a listen address, with an empty or
// unspecified host (0.0.0.0, ::) replaced by localhost.
func DefaultBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// ParseBaseURL checks an absolute http or https URL without query or fragment and
// returns it without a trailing slash.
func ParseBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("must not contain user information")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%q must not have a query or fragment", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// MaxBodyLimit is the largest --body-limit accepted; request bodies are held in memory.
const MaxBodyLimit = 1 << 30

// ParseSize parses a byte count: a plain integer, or an integer followed by B, KiB,
// MiB or GiB (optionally after a space), between 1 and MaxBodyLimit.
func ParseSize(s string) (int, error) {
	want := "want bytes, or a whole number with KiB or MiB, e.g. 16MiB"
	sizeUnits := []struct {
		suffix string
		factor int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	text, factor := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(text, u.suffix) {
			text, factor = strings.TrimSpace(strings.TrimSuffix(text, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (%s)", s, want)
	}
	if n <= 0 || n > MaxBodyLimit/factor {
		return 0, fmt.Errorf("%q is out of range (want 1 byte to 1GiB)", s)
	}
	return int(n * factor), nil
}

// MinMemoryLimit is the smallest --memory-limit accepted: below it the runtime would
// collect garbage almost continuously.
const MinMemoryLimit = 32 << 20

// ParseMemoryLimit parses a soft memory limit: "0" for none, else a whole number of
// bytes, KiB, MiB or GiB from MinMemoryLimit to 1TiB.
func ParseMemoryLimit(s string) (int64, error) {
	text := strings.TrimSpace(s)
	if text == "0" {
		return 0, nil
	}
	factor := int64(1)
	for _, u := range []struct {
		suffix string
		factor int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(text, u.suffix) {
			text, factor = strings.TrimSpace(strings.TrimSuffix(text, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (want 0, bytes, or a whole number with KiB, MiB or GiB, e.g. 150MiB)", s)
	}
	const most = 1 << 40
	if n < 0 || n > most/factor || n*factor < MinMemoryLimit {
		return 0, fmt.Errorf("%q is out of range (want 0 for none, or 32MiB to 1024GiB)", s)
	}
	return n * factor, nil
}

// DefaultGCPercent is the default --gc-percent. Statement writes allocate much and keep
// little (the write budget bounds what they hold), so collecting at 200% growth instead
// of Go's 100% halves the collections; the memory limit still bounds the heap.
const DefaultGCPercent = 200

// ParseGCPercent parses a garbage collection target: "off" (-1), or a whole number of
// percent from 25 to 10000.
func ParseGCPercent(s string) (int, error) {
	text := strings.TrimSpace(s)
	if strings.EqualFold(text, "off") {
		return -1, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number or off", s)
	}
	if n < 25 || n > 10000 {
		return 0, fmt.Errorf("%d is out of range (want 25 to 10000, or off)", n)
	}
	return n, nil
}

// ParsePositiveInt parses a whole number from 1 to max.
func ParsePositiveInt(s string, max int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	if n < 1 || n > max {
		return 0, fmt.Errorf("%d is out of range (want 1 to %d)", n, max)
	}
	return n, nil
}

// ParseRate parses a non-negative number of events a second, at most a million.
func ParseRate(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if f < 0 || f > 1e6 {
		return 0, fmt.Errorf("%g is out of range (want 0 to 1000000)", f)
	}
	return f, nil
}

// ParseBool parses true, false, 1, 0, yes, no, on or off (any case).
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want true or false)", s)
}

// ParseDuration parses a positive Go duration such as 15s or 1m30s.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (want e.g. 15s or 1m)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// ParseLogLevel parses debug, info, warn or error (any case).
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q (want debug, info, warn or error)", s)
}

// LogFormat is the log output format.
type LogFormat string

// The log formats.
const (
	LogText LogFormat = "text"
	LogJSON LogFormat = "json"
)

// ParseLogFormat parses text or json (any case).
func ParseLogFormat(s string) (LogFormat, error) {
	switch f := LogFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case LogText, LogJSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want text or json)", s)
}

// ParseTimezone parses an IANA time zone name ("UTC", "Europe/Berlin"); an unknown
// name is an error that says how zones are named.
func ParseTimezone(s string) (*time.Location, error) {
	if s == "" || s == "Local" {
		return nil, fmt.Errorf("want an IANA time zone name such as UTC or Europe/Berlin")
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: want an IANA name such as UTC or Europe/Berlin", s)
	}
	return loc, nil
}

// ParseSignup accepts "open" or "invite".
func ParseSignup(s string) (string, error) {
	switch s {
	case "open", "invite":
		return s, nil
	}
	return "", fmt.Errorf("%q: want open or invite", s)
}

// ParseOptionalBaseURL is ParseBaseURL, with "" allowed (the setting is off).
func ParseOptionalBaseURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return ParseBaseURL(s)
}

// ParseSitePatterns splits a comma-separated list of site patterns (host, *.domain or
// host/path-prefix, no scheme), dropping empty items; an item with a scheme or
// white space inside is an error.
func ParseSitePatterns(s string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "://") || strings.ContainsAny(item, " \t") {
			return nil, fmt.Errorf("%q is not a site pattern: write a host, *.domain or host/path-prefix", item)
		}
		out = append(out, strings.ToLower(item))
	}
	return out, nil
}
