package config

import (
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeEnv returns an Env over vars that reads files relative to testdata/.
func fakeEnv(vars map[string]string) Env {
	return Env{
		Lookup: func(name string) (string, bool) {
			v, ok := vars[name]
			return v, ok
		},
		ReadFile: func(path string) ([]byte, error) {
			return os.ReadFile(filepath.Join("testdata", path))
		},
	}
}

func loadServe(t *testing.T, args []string, vars map[string]string) (Serve, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	load := BindServe(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return load(fakeEnv(vars))
}

func TestServePrecedence(t *testing.T) {
	defaults := Serve{
		Common: Common{
			Store:     Store{Kind: StoreSQLite, Location: "./data/cairn.db"},
			LogLevel:  slog.LevelInfo,
			LogFormat: LogText,
		},
		Slack:           Slack{DigestDay: time.Monday, DigestHour: 9, TimeZone: time.UTC},
		Addr:            "127.0.0.1:8080",
		BaseURL:         "http://127.0.0.1:8080",
		BodyLimit:       16 << 20,
		MaxBatch:        1000,
		WriteBudget:     2 << 20,
		MemoryLimit:     100 << 20,
		GCPercent:       200,
		ShutdownTimeout: 15 * time.Second,
		Enrich:          true,
		Timezone:        time.UTC,
		ReportMinGroup:  5,
		Signup:          "open",
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		edit func(*Serve) // applied to defaults to give the expected config
	}{
		{name: "defaults", edit: func(*Serve) {}},
		{
			name: "environment over defaults",
			env: map[string]string{
				"CAIRN_ADDR": ":9000", "CAIRN_STORE": "mongodb://db:27017/cairn",
				"CAIRN_BODY_LIMIT": "512KiB", "CAIRN_MAX_BATCH": "50", "CAIRN_LOG_LEVEL": "DEBUG",
				"CAIRN_LOG_FORMAT": "json", "CAIRN_SHUTDOWN_TIMEOUT": "1m30s",
				"CAIRN_BASE_URL": "https://lrs.example.com/", "CAIRN_MEMORY_LIMIT": "1GiB", "CAIRN_GC_PERCENT": "off",
			},
			edit: func(s *Serve) {
				s.Addr = ":9000"
				s.Store = Store{Kind: StoreMongoDB, Location: "mongodb://db:27017/cairn"}
				s.BodyLimit = 512 << 10
				s.MaxBatch = 50
				s.LogLevel = slog.LevelDebug
				s.LogFormat = LogJSON
				s.ShutdownTimeout = 90 * time.Second
				s.BaseURL = "https://lrs.example.com"
				s.MemoryLimit = 1 << 30
				s.GCPercent = -1
			},
		},
		{
			name: "flags over environment",
			args: []string{"--addr", "127.0.0.1:7000", "--store=sqlite:/tmp/x.db", "--body-limit", "2048",
				"--max-batch", "7", "--log-level", "error", "--log-format", "text", "--shutdown-timeout", "2s",
				"--base-url", "http://lrs.test:7000", "--write-budget", "1MiB", "--rate-limit", "12.5", "--memory-limit", "0", "--gc-percent", "100"},
			env: map[string]string{
				"CAIRN_ADDR": ":9000", "CAIRN_STORE": "mongodb://db:27017/cairn", "CAIRN_WRITE_BUDGET": "8MiB", "CAIRN_MEMORY_LIMIT": "1GiB",
				"CAIRN_BODY_LIMIT": "1MiB", "CAIRN_MAX_BATCH": "50", "CAIRN_LOG_LEVEL": "debug",
				"CAIRN_LOG_FORMAT": "json", "CAIRN_SHUTDOWN_TIMEOUT": "1m", "CAIRN_BASE_URL": "https://x.example",
			},
			edit: func(s *Serve) {
				s.Addr = "127.0.0.1:7000"
				s.Store = Store{Kind: StoreSQLite, Location: "/tmp/x.db"}
				s.BodyLimit = 2048
				s.MaxBatch = 7
				s.WriteBudget = 1 << 20
				s.MemoryLimit = 0
				s.GCPercent = 100
				s.RateLimit = 12.5
				s.LogLevel = slog.LevelError
				s.ShutdownTimeout = 2 * time.Second
				s.BaseURL = "http://lrs.test:7000"
			},
		},
		{
			name: "enrichment from environment",
			env:  map[string]string{"CAIRN_ENRICH": "false", "CAIRN_ENRICH_ALLOW_PRIVATE": "YES"},
			edit: func(s *Serve) { s.Enrich = false; s.EnrichPrivate = true },
		},
		{
			name: "enrichment flags over environment, bare flag is true",
			args: []string{"--enrich=0", "--enrich-allow-private"},
			env:  map[string]string{"CAIRN_ENRICH": "true", "CAIRN_ENRICH_ALLOW_PRIVATE": "false"},
			edit: func(s *Serve) { s.Enrich = false; s.EnrichPrivate = true },
		},
		{
			name: "reports from environment and flags",
			args: []string{"--report-min-group", "3"},
			env:  map[string]string{"CAIRN_TIMEZONE": "Europe/Berlin", "CAIRN_REPORT_PRIVACY": "true", "CAIRN_REPORT_MIN_GROUP": "9"},
			edit: func(s *Serve) { s.Timezone = berlin; s.ReportPrivacy = true; s.ReportMinGroup = 3 },
		},
		{
			name: "base URL follows the address",
			args: []string{"--addr", "0.0.0.0:8181"},
			edit: func(s *Serve) { s.Addr = "0.0.0.0:8181"; s.BaseURL = "http://localhost:8181" },
		},
		{
			name: "empty environment variable counts as unset",
			env:  map[string]string{"CAIRN_ADDR": "", "CAIRN_STORE": ""},
			edit: func(*Serve) {},
		},
		{
			name: "store from file, trimmed",
			env:  map[string]string{"CAIRN_STORE_FILE": "store.secret"},
			edit: func(s *Serve) {
				s.Store = Store{Kind: StoreMongoDB, Location: "mongodb://cairn:s3cr%40t@db1:27017,db2:27017/cairn?replicaSet=rs0"}
			},
		},
		{
			name: "flag over store file",
			args: []string{"--store", "sqlite:flag.db"},
			env:  map[string]string{"CAIRN_STORE_FILE": "store.secret"},
			edit: func(s *Serve) { s.Store = Store{Kind: StoreSQLite, Location: "flag.db"} },
		},
		{
			name: "extension deny patterns",
			env:  map[string]string{"CAIRN_EXTENSION_DENY": " Intranet.example.com, ,*.bank.example/login "},
			edit: func(s *Serve) { s.ExtensionDeny = []string{"intranet.example.com", "*.bank.example/login"} },
		},
		{
			name: "file suffix ignored for settings that are not secret",
			env:  map[string]string{"CAIRN_ADDR_FILE": "missing"},
			edit: func(*Serve) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadServe(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := defaults
			tt.edit(&want)
			if got.Timezone.String() == want.Timezone.String() {
				got.Timezone = want.Timezone // each load makes its own *time.Location
			}
			got.Origins = nil // TestServeOrigins
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestServeOrigins(t *testing.T) {
	got, err := loadServe(t, []string{"--timezone", "Europe/Paris"},
		map[string]string{"CAIRN_TIMEZONE": "UTC", "CAIRN_SIGNUP": "invite", "CAIRN_STORE_FILE": "store.secret"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{FlagTimezone: "--timezone", FlagSignup: "CAIRN_SIGNUP", FlagStore: "CAIRN_STORE_FILE", FlagReportPrivacy: "default"}
	for flag, origin := range want {
		if got.Origins[flag] != origin {
			t.Errorf("Origins[%s] = %q, want %q", flag, got.Origins[flag], origin)
		}
	}
}

func TestServeErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // each must appear in the error message
	}{
		{name: "unsupported store scheme", args: []string{"--store", "postgres://db/cairn"},
			want: []string{`--store: unsupported scheme "postgres" (want sqlite:PATH or mongodb://…)`}},
		{name: "store error names the environment variable", env: map[string]string{"CAIRN_STORE": "redis://x"},
			want: []string{`CAIRN_STORE: unsupported scheme "redis"`}},
		{name: "store without scheme", args: []string{"--store", "./cairn.db"},
			want: []string{`--store: no scheme (want sqlite:PATH or mongodb://…)`}},
		{name: "sqlite without path", args: []string{"--store", "sqlite:"},
			want: []string{`--store: sqlite: needs a file path`}},
		{name: "mongodb without host", args: []string{"--store", "mongodb:///cairn"},
			want: []string{`--store: mongodb: URI has no host`}},
		{name: "both variable and file", env: map[string]string{"CAIRN_STORE": "sqlite:a.db", "CAIRN_STORE_FILE": "store.secret"},
			want: []string{"CAIRN_STORE and CAIRN_STORE_FILE are both set; set only one"}},
		{name: "missing file", env: map[string]string{"CAIRN_STORE_FILE": "nope.secret"},
			want: []string{`CAIRN_STORE_FILE: cannot read "nope.secret"`}},
		{name: "empty file", env: map[string]string{"CAIRN_STORE_FILE": "empty.secret"},
			want: []string{`CAIRN_STORE_FILE: file "empty.secret" is empty`}},
		{name: "store file content is not echoed", env: map[string]string{"CAIRN_STORE_FILE": "bad-store.secret"},
			want: []string{`CAIRN_STORE_FILE: unsupported scheme "postgres"`}},
		{name: "log level", env: map[string]string{"CAIRN_STORE_FILE": "store.secret", "CAIRN_LOG_LEVEL": "loud"},
			want: []string{`CAIRN_LOG_LEVEL: unknown level "loud" (want debug, info, warn or error)`}},
		{name: "address without port", args: []string{"--addr", "localhost"},
			want: []string{`--addr: "localhost" is not HOST:PORT`}},
		{name: "address with bad port", env: map[string]string{"CAIRN_ADDR": ":http"},
			want: []string{`CAIRN_ADDR: port "http" is not a number from 0 to 65535`}},
		{name: "base URL not http", args: []string{"--base-url", "ftp://x"},
			want: []string{`--base-url: "ftp://x" is not an http:// or https:// URL`}},
		{name: "base URL with query", args: []string{"--base-url", "http://x/?a=1"},
			want: []string{`--base-url: "http://x/?a=1" must not have a query or fragment`}},
		{name: "extension deny pattern with a scheme", args: []string{"--extension-deny", "a.example,https://b.example"},
			want: []string{`--extension-deny: "https://b.example" is not a site pattern`}},
		{name: "negative rate limit", args: []string{"--rate-limit", "-1"},
			want: []string{`--rate-limit: -1 is out of range (want 0 to 1000000)`}},
		{name: "rate limit not a number", env: map[string]string{"CAIRN_RATE_LIMIT": "fast"},
			want: []string{`CAIRN_RATE_LIMIT: "fast" is not a number`}},
		{name: "body limit decimal units", args: []string{"--body-limit", "16MB"},
			want: []string{`--body-limit: "16MB" is not a size (want bytes, or a whole number with KiB or MiB, e.g. 16MiB)`}},
		{name: "body limit zero", env: map[string]string{"CAIRN_BODY_LIMIT": "0"},
			want: []string{`CAIRN_BODY_LIMIT: "0" is out of range`}},
		{name: "body limit too big", args: []string{"--body-limit", "2GiB"},
			want: []string{`--body-limit: "2GiB" is out of range (want 1 byte to 1GiB)`}},
		{name: "max batch not a number", args: []string{"--max-batch", "many"},
			want: []string{`--max-batch: "many" is not a whole number`}},
		{name: "gc percent too small", args: []string{"--gc-percent", "5"},
			want: []string{`--gc-percent: 5 is out of range (want 25 to 10000, or off)`}},
		{name: "gc percent not a number", env: map[string]string{"CAIRN_GC_PERCENT": "lots"},
			want: []string{`CAIRN_GC_PERCENT: "lots" is not a whole number or off`}},
		{name: "gc off without a memory limit", args: []string{"--gc-percent", "off", "--memory-limit", "0"},
			want: []string{`--gc-percent: off needs a --memory-limit, else the heap grows without bound`}},
		{name: "max batch zero", args: []string{"--max-batch", "0"},
			want: []string{`--max-batch: 0 is out of range (want 1 to 1000000)`}},
		{name: "log format", args: []string{"--log-format", "xml"},
			want: []string{`--log-format: unknown format "xml" (want text or json)`}},
		{name: "shutdown timeout without unit", args: []string{"--shutdown-timeout", "15"},
			want: []string{`--shutdown-timeout: "15" is not a duration (want e.g. 15s or 1m)`}},
		{name: "shutdown timeout negative", args: []string{"--shutdown-timeout", "-1s"},
			want: []string{`--shutdown-timeout: "-1s" must be positive`}},
		{name: "enrich not a boolean", env: map[string]string{"CAIRN_ENRICH": "maybe"},
			want: []string{`CAIRN_ENRICH: "maybe" is not a boolean (want true or false)`}},
		{name: "enrich allow private not a boolean", args: []string{"--enrich-allow-private=2"},
			want: []string{`--enrich-allow-private: "2" is not a boolean`}},
		{name: "unknown time zone", env: map[string]string{"CAIRN_TIMEZONE": "Mars/Olympus"},
			want: []string{`CAIRN_TIMEZONE: unknown time zone "Mars/Olympus": want an IANA name such as UTC or Europe/Berlin`}},
		{name: "report min group zero", args: []string{"--report-min-group", "0"},
			want: []string{`--report-min-group: 0 is out of range (want 1 to 1000)`}},
		{name: "every problem at once", args: []string{"--addr", "x", "--max-batch", "-3"}, env: map[string]string{"CAIRN_LOG_FORMAT": "yaml"},
			want: []string{`--addr: "x" is not HOST:PORT`, `--max-batch: -3 is out of range`, `CAIRN_LOG_FORMAT: unknown format "yaml"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadServe(t, tt.args, tt.env)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr") {
				t.Errorf("error %q reveals the secret", err)
			}
		})
	}
}

func TestCommonTakesOnlyCommonFlags(t *testing.T) {
	fs := flag.NewFlagSet("credentials list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	load := BindCommon(fs)
	if err := fs.Parse([]string{"--addr", ":1"}); err == nil {
		t.Fatal("--addr accepted by a command that does not serve")
	}
	if err := fs.Parse([]string{"--store", "sqlite:c.db"}); err != nil {
		t.Fatal(err)
	}
	got, err := load(fakeEnv(map[string]string{"CAIRN_STORE": "mongodb://ignored", "CAIRN_LOG_LEVEL": "warn"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Common{Store: Store{Kind: StoreSQLite, Location: "c.db"}, LogLevel: slog.LevelWarn, LogFormat: LogText}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestWriteSettingsListsEverySetting(t *testing.T) {
	var b strings.Builder
	WriteSettings(&b, ServeSettings())
	text := b.String()
	for _, s := range ServeSettings() {
		for _, w := range []string{"--" + s.Flag + " " + s.Meta, s.Env, s.Usage} {
			if !strings.Contains(text, w) {
				t.Errorf("usage lacks %q:\n%s", w, text)
			}
		}
	}
	for _, w := range []string{"CAIRN_STORE_FILE", "(default sqlite:./data/cairn.db)", "(default http://ADDR)", "(default 16MiB)", "(default 15s)"} {
		if !strings.Contains(text, w) {
			t.Errorf("usage lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "CAIRN_ADDR_FILE") {
		t.Errorf("usage offers a file for a setting that is not secret:\n%s", text)
	}
}

func TestHubSettings(t *testing.T) {
	got, err := loadServe(t, []string{"--signup", "invite", "--agent-home-page", "https://sso.example.com/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Signup != "invite" || got.AgentHomePage != "https://sso.example.com" {
		t.Errorf("signup %q, agent home page %q", got.Signup, got.AgentHomePage)
	}
	for _, args := range [][]string{{"--signup", "closed"}, {"--agent-home-page", "ftp://x"}} {
		if _, err := loadServe(t, args, nil); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
