package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Flag names of the settings.
const (
	FlagStore           = "store"
	FlagLogLevel        = "log-level"
	FlagLogFormat       = "log-format"
	FlagAddr            = "addr"
	FlagBaseURL         = "base-url"
	FlagBodyLimit       = "body-limit"
	FlagMaxBatch        = "max-batch"
	FlagWriteBudget     = "write-budget"
	FlagMemoryLimit     = "memory-limit"
	FlagGCPercent       = "gc-percent"
	FlagRateLimit       = "rate-limit"
	FlagShutdownTimeout = "shutdown-timeout"
	FlagEnrich          = "enrich"
	FlagEnrichPrivate   = "enrich-allow-private"
	FlagTimezone        = "timezone"
	FlagReportPrivacy   = "report-privacy"
	FlagReportMinGroup  = "report-min-group"
	FlagPartnerKey      = "partner-key"
	FlagSignup          = "signup"
	FlagAgentHomePage   = "agent-home-page"
	FlagExtensionDeny   = "extension-deny"
)

// Defaults.
const (
	DefaultStore           = "sqlite:./data/cairn.db"
	DefaultAddr            = "127.0.0.1:8080"
	DefaultBodyLimit       = 16 << 20
	DefaultMaxBatch        = 1000
	DefaultShutdownTimeout = 15 * time.Second
	maxMaxBatch            = 1_000_000
)

// CommonSettings are the settings every command takes.
func CommonSettings() []Setting {
	return []Setting{
		{Flag: FlagStore, Env: "CAIRN_STORE", Default: DefaultStore, Meta: "URL", Secret: true,
			Usage: "storage: sqlite:PATH (embedded), mongodb://… or mongodb+srv://…"},
		{Flag: FlagLogLevel, Env: "CAIRN_LOG_LEVEL", Default: "info", Meta: "LEVEL",
			Usage: "least severe level logged: debug, info, warn or error"},
		{Flag: FlagLogFormat, Env: "CAIRN_LOG_FORMAT", Default: "text", Meta: "FORMAT",
			Usage: "log format on standard error: text or json"},
	}
}

// ServeSettings are the settings of `cairn serve`: the common ones and the server's.
func ServeSettings() []Setting {
	return append([]Setting{
		{Flag: FlagAddr, Env: "CAIRN_ADDR", Default: DefaultAddr, Meta: "HOST:PORT",
			Usage: "address to listen on (empty host: all interfaces)"},
		{Flag: FlagBaseURL, Env: "CAIRN_BASE_URL", Meta: "URL", DefaultDoc: "http://ADDR",
			Usage: "public URL of this instance; the homePage of credential authority accounts"},
		{Flag: FlagBodyLimit, Env: "CAIRN_BODY_LIMIT", Default: "16MiB", Meta: "SIZE",
			Usage: "largest request body: bytes, or a number with KiB, MiB or GiB"},
		{Flag: FlagMaxBatch, Env: "CAIRN_MAX_BATCH", Default: fmt.Sprint(DefaultMaxBatch), Meta: "N",
			Usage: "most statements accepted in one request"},
		{Flag: FlagWriteBudget, Env: "CAIRN_WRITE_BUDGET", Default: "2MiB", Meta: "SIZE",
			Usage: "statement request bodies processed at once; more wait (bounds memory under load)"},
		{Flag: FlagMemoryLimit, Env: "CAIRN_MEMORY_LIMIT", Default: "100MiB", Meta: "SIZE",
			Usage: "soft limit of the Go heap and runtime (garbage is collected sooner as it nears); 0: none"},
		{Flag: FlagGCPercent, Env: "CAIRN_GC_PERCENT", Default: fmt.Sprint(DefaultGCPercent), Meta: "N",
			Usage: "collect garbage when the heap has grown by N% since the last collection, or sooner near --memory-limit; off: only near the limit"},
		{Flag: FlagRateLimit, Env: "CAIRN_RATE_LIMIT", Default: "0", Meta: "N",
			Usage: "average xAPI requests a second one credential may make, bursts of twice that; over it: 429 with Retry-After (0: no limit)"},
		{Flag: FlagShutdownTimeout, Env: "CAIRN_SHUTDOWN_TIMEOUT", Default: DefaultShutdownTimeout.String(), Meta: "DURATION",
			Usage: "how long requests in flight may take to finish after SIGINT or SIGTERM"},
		{Flag: FlagEnrich, Env: "CAIRN_ENRICH", Default: "true", Meta: "BOOL", Bool: true,
			Usage: "fetch title and description of web pages that statements name without a definition"},
		{Flag: FlagEnrichPrivate, Env: "CAIRN_ENRICH_ALLOW_PRIVATE", Default: "false", Meta: "BOOL", Bool: true,
			Usage: "tests only: let enrichment fetch loopback and private addresses, on any port"},
		{Flag: FlagTimezone, Env: "CAIRN_TIMEZONE", Default: "UTC", Meta: "ZONE",
			Usage: "the organisation's IANA time zone (e.g. Europe/Berlin): report weeks and days; storage stays UTC"},
		{Flag: FlagReportPrivacy, Env: "CAIRN_REPORT_PRIVACY", Default: "false", Meta: "BOOL", Bool: true,
			Usage: "reports show only figures that stand for at least --report-min-group people, and no per-person views"},
		{Flag: FlagReportMinGroup, Env: "CAIRN_REPORT_MIN_GROUP", Default: "5", Meta: "K",
			Usage: "with --report-privacy: the smallest group of people a figure may stand for"},
		partnerKeySetting(),
		{Flag: FlagSignup, Env: "CAIRN_SIGNUP", Default: "open", Meta: "MODE",
			Usage: "who may create a Q&A hub account: open (anyone) or invite (only with an admin's invite link)"},
		{Flag: FlagExtensionDeny, Env: "CAIRN_EXTENSION_DENY", Default: "", Meta: "PATTERNS",
			Usage: "site patterns the browser extension never captures, comma-separated (host, *.domain, or host/path-prefix)"},
		pseudonymKeySetting(),
	}, append(SlackSettings(), UsersSettings()...)...)
}

func partnerKeySetting() Setting {
	return Setting{Flag: FlagPartnerKey, Env: "CAIRN_PARTNER_KEY", Meta: "SECRET", Secret: true, DefaultDoc: "none: federation off",
		Usage: "secret (16+ characters) that encrypts partner credentials at rest and keys pseudonyms; needed to add or run partners"}
}

// PartnerSettings are the settings of the partner commands: the common ones, the
// partner key and the base URL (homePage of pseudonymous accounts).
func PartnerSettings() []Setting {
	return append([]Setting{
		partnerKeySetting(),
		{Flag: FlagBaseURL, Env: "CAIRN_BASE_URL", Meta: "URL", Default: "http://" + DefaultAddr,
			Usage: "public URL of this instance; the homePage of pseudonymous accounts"},
	}, CommonSettings()...)
}

// UsersSettings are the settings of the `users` commands: the common ones and how a
// new person's xAPI agent is made.
func UsersSettings() []Setting {
	return append([]Setting{
		{Flag: FlagAgentHomePage, Env: "CAIRN_AGENT_HOME_PAGE", Meta: "URL", DefaultDoc: "none: mbox agents",
			Usage: "make each new hub person's xAPI agent an account {homePage: URL, name: email} instead of an mbox"},
	}, CommonSettings()...)
}

// Partners is the validated configuration of the partner commands.
type Partners struct {
	Common
	PartnerKey string // "" when not configured
	BaseURL    string
}

// BindPartners registers the flags of the partner commands on fs. After fs.Parse, the
// returned function resolves and validates them.
func BindPartners(fs *flag.FlagSet) func(Env) (Partners, error) {
	b := Bind(fs, PartnerSettings()...)
	return func(env Env) (Partners, error) {
		values, err := b.Resolve(env)
		if err != nil {
			return Partners{}, err
		}
		var p parser
		out := Partners{Common: p.common(values), PartnerKey: parse(&p, values[FlagPartnerKey], ParsePartnerKey)}
		out.BaseURL = parse(&p, values[FlagBaseURL], ParseBaseURL)
		return out, p.err()
	}
}

// ParsePartnerKey accepts "" (not configured) or a secret of at least 16 characters.
func ParsePartnerKey(s string) (string, error) {
	if s != "" && len(s) < 16 {
		return "", errors.New("must be at least 16 characters")
	}
	return s, nil
}

// Common is the validated configuration every command uses.
type Common struct {
	Store     Store
	LogLevel  slog.Level
	LogFormat LogFormat
}

// Serve is the validated configuration of `cairn serve`.
type Serve struct {
	Common
	Addr            string
	BaseURL         string // no trailing slash
	BodyLimit       int    // bytes
	MaxBatch        int
	WriteBudget     int     // bytes
	MemoryLimit     int64   // bytes, the Go runtime's soft memory limit; 0: none
	GCPercent       int     // the Go runtime's garbage collection target (GOGC); -1: off
	RateLimit       float64 // requests a second per credential; 0: none
	ShutdownTimeout time.Duration
	Enrich          bool // fetch pages behind undefined http(s) activity ids
	EnrichPrivate   bool // let enrichment reach loopback and private addresses (tests only)
	Timezone        *time.Location
	ReportPrivacy   bool
	ReportMinGroup  int
	PartnerKey      string // "" when federation is not configured
	PseudonymKey    string // keys pseudonymised exports and erasure records: --pseudonym-key, else the partner key; "" when neither
	Slack           Slack
	Signup          string   // "open" or "invite"
	AgentHomePage   string   // "" : mbox agents; else account agents on this homePage
	ExtensionDeny   []string // site patterns the browser extension never captures
	// Origins tell where each value came from, by flag name: "default", the flag
	// ("--timezone") or the environment variable ("CAIRN_TIMEZONE", "…_FILE").
	Origins map[string]string
}

// Users is the validated configuration of the `users` commands.
type Users struct {
	Common
	AgentHomePage string
}

// BindUsers registers the flags of the `users` commands on fs. After fs.Parse, the
// returned function resolves and validates them, reporting every invalid setting at once.
func BindUsers(fs *flag.FlagSet) func(Env) (Users, error) {
	b := Bind(fs, UsersSettings()...)
	return func(env Env) (Users, error) {
		values, err := b.Resolve(env)
		if err != nil {
			return Users{}, err
		}
		var p parser
		u := Users{Common: p.common(values)}
		u.AgentHomePage = parse(&p, values[FlagAgentHomePage], ParseOptionalBaseURL)
		return u, p.err()
	}
}

// BindCommon registers the common flags on fs. After fs.Parse, the returned function
// resolves and validates them, reporting every invalid setting at once.
func BindCommon(fs *flag.FlagSet) func(Env) (Common, error) {
	b := Bind(fs, CommonSettings()...)
	return func(env Env) (Common, error) {
		values, err := b.Resolve(env)
		if err != nil {
			return Common{}, err
		}
		var p parser
		c := p.common(values)
		return c, p.err()
	}
}

// BindServe registers the flags of `cairn serve` on fs. After fs.Parse, the returned
// function resolves and validates them, reporting every invalid setting at once.
func BindServe(fs *flag.FlagSet) func(Env) (Serve, error) {
	b := Bind(fs, ServeSettings()...)
	return func(env Env) (Serve, error) {
		values, err := b.Resolve(env)
		if err != nil {
			return Serve{}, err
		}
		var p parser
		s := Serve{Common: p.common(values)}
		s.Addr = parse(&p, values[FlagAddr], ParseAddr)
		if v := values[FlagBaseURL]; v.Source == SourceDefault {
			s.BaseURL = DefaultBaseURL(s.Addr)
		} else {
			s.BaseURL = parse(&p, v, ParseBaseURL)
		}
		s.BodyLimit = parse(&p, values[FlagBodyLimit], ParseSize)
		s.MaxBatch = parse(&p, values[FlagMaxBatch], func(s string) (int, error) { return ParsePositiveInt(s, maxMaxBatch) })
		s.WriteBudget = parse(&p, values[FlagWriteBudget], ParseSize)
		s.MemoryLimit = parse(&p, values[FlagMemoryLimit], ParseMemoryLimit)
		s.GCPercent = parse(&p, values[FlagGCPercent], ParseGCPercent)
		if s.GCPercent < 0 && s.MemoryLimit == 0 {
			p.errs = append(p.errs, values[FlagGCPercent].Errorf("off needs a --memory-limit, else the heap grows without bound"))
		}
		s.RateLimit = parse(&p, values[FlagRateLimit], ParseRate)
		s.ShutdownTimeout = parse(&p, values[FlagShutdownTimeout], ParseDuration)
		s.Enrich = parse(&p, values[FlagEnrich], ParseBool)
		s.EnrichPrivate = parse(&p, values[FlagEnrichPrivate], ParseBool)
		s.Timezone = parse(&p, values[FlagTimezone], ParseTimezone)
		s.ReportPrivacy = parse(&p, values[FlagReportPrivacy], ParseBool)
		s.ReportMinGroup = parse(&p, values[FlagReportMinGroup], func(s string) (int, error) { return ParsePositiveInt(s, 1000) })
		s.PartnerKey = parse(&p, values[FlagPartnerKey], ParsePartnerKey)
		s.PseudonymKey = PseudonymKeyOf(parse(&p, values[FlagPseudonymKey], ParsePartnerKey), s.PartnerKey)
		s.Slack = p.slack(values)
		s.Signup = parse(&p, values[FlagSignup], ParseSignup)
		s.AgentHomePage = parse(&p, values[FlagAgentHomePage], ParseOptionalBaseURL)
		s.ExtensionDeny = parse(&p, values[FlagExtensionDeny], ParseSitePatterns)
		s.Origins = make(map[string]string, len(values))
		for name, v := range values {
			if v.Source == SourceDefault {
				s.Origins[name] = "default"
			} else {
				s.Origins[name] = v.Origin()
			}
		}
		return s, p.err()
	}
}

// parser collects validation errors, each prefixed with its value's origin.
type parser struct{ errs []error }

func (p *parser) err() error { return errors.Join(p.errs...) }

func (p *parser) common(values map[string]Value) Common {
	return Common{
		Store:     parse(p, values[FlagStore], ParseStore),
		LogLevel:  parse(p, values[FlagLogLevel], ParseLogLevel),
		LogFormat: parse(p, values[FlagLogFormat], ParseLogFormat),
	}
}

// parse applies fn to v.Raw and records a failure under v's origin.
func parse[T any](p *parser, v Value, fn func(string) (T, error)) T {
	out, err := fn(v.Raw)
	if err != nil {
		p.errs = append(p.errs, v.Errorf("%v", err))
	}
	return out
}

// WriteSettings writes the usage text of settings: flag, environment variable (and
// its _FILE form for secrets), default and meaning.
func WriteSettings(w io.Writer, settings []Setting) {
	for _, s := range settings {
		env := s.Env
		if s.Secret {
			env += " or " + s.Env + FileSuffix
		}
		def := s.Default
		if s.DefaultDoc != "" {
			def = s.DefaultDoc
		}
		fmt.Fprintf(w, "  --%s %s, %s\n", s.Flag, s.Meta, env)
		fmt.Fprintf(w, "        %s (default %s)\n", s.Usage, def)
	}
}
