package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-lrs/cairn/capture/mongostore/mongotest"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
)

// mongoServer is the MongoDB wire-protocol server of this test binary, started on
// first use (in-process FerretDB, or CAIRN_TEST_MONGO_URI).
var mongoServer mongotest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	mongoServer.Stop()
	os.Exit(code)
}

// storeURLs returns, per store kind, a function giving a fresh empty store URL.
func storeURLs() []struct {
	kind string
	url  func(t *testing.T) string
} {
	return []struct {
		kind string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "nested", "cairn.db") }},
		{"mongodb", func(t *testing.T) string { return mongoServer.DatabaseURI(t) }},
	}
}

// envOf returns a config.Env over vars that reads relative file paths from testdata/.
func envOf(vars map[string]string) config.Env {
	return config.Env{
		Lookup: func(name string) (string, bool) {
			v, ok := vars[name]
			return v, ok
		},
		ReadFile: func(path string) ([]byte, error) {
			if !filepath.IsAbs(path) {
				path = filepath.Join("testdata", path)
			}
			return os.ReadFile(path)
		},
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a concurrent reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCLI runs the command line in-process and returns its exit status and output.
func runCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := run(context.Background(), args, envOf(vars), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "no command", wantCode: 2, wantStderr: []string{"Usage: cairn COMMAND", "serve"}},
		{name: "help", args: []string{"help"}, wantCode: 0, wantStdout: []string{
			"Usage: cairn COMMAND", "serve", "credentials create", "credentials list", "credentials revoke", "version",
			"--addr HOST:PORT, CAIRN_ADDR", "--store URL, CAIRN_STORE or CAIRN_STORE_FILE", "CAIRN_BODY_LIMIT",
			"CAIRN_MAX_BATCH", "CAIRN_LOG_LEVEL", "CAIRN_LOG_FORMAT", "CAIRN_SHUTDOWN_TIMEOUT", "CAIRN_BASE_URL"}},
		{name: "-h", args: []string{"-h"}, wantCode: 0, wantStdout: []string{"Usage: cairn COMMAND"}},
		{name: "--help", args: []string{"--help"}, wantCode: 0, wantStdout: []string{"Usage: cairn COMMAND"}},
		{name: "help serve", args: []string{"help", "serve"}, wantCode: 0, wantStdout: []string{"Usage: cairn serve", "--shutdown-timeout DURATION"}},
		{name: "serve -h", args: []string{"serve", "-h"}, wantCode: 0, wantStdout: []string{"Usage: cairn serve", "(default 127.0.0.1:8080)"}},
		{name: "help credentials", args: []string{"help", "credentials"}, wantCode: 0,
			wantStdout: []string{"cairn credentials create --name NAME", "cairn credentials list", "cairn credentials revoke KEY"}},
		{name: "credentials create --help", args: []string{"credentials", "create", "--help"}, wantCode: 0,
			wantStdout: []string{"--name", "--scopes", "--trusted", "--json", "--store URL"}},
		{name: "help of unknown command", args: []string{"help", "frobnicate"}, wantCode: 2, wantStderr: []string{`unknown command "frobnicate"`}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantStderr: []string{`cairn: unknown command "frobnicate"`}},
		{name: "credentials without sub-command", args: []string{"credentials"}, wantCode: 2, wantStderr: []string{"create, list or revoke"}},
		{name: "version", args: []string{"version"}, wantCode: 0, wantStdout: []string{"cairn ", "go1."}},
		{name: "unknown flag", args: []string{"serve", "--port", "80"}, wantCode: 2,
			wantStderr: []string{"cairn serve: flag provided but not defined: -port", "Run 'cairn help serve' for usage."}},
		{name: "serve argument", args: []string{"serve", "now"}, wantCode: 2, wantStderr: []string{`unexpected argument "now"`}},
		{name: "unsupported store", args: []string{"serve", "--store", "postgres://db/cairn"}, wantCode: 2,
			wantStderr: []string{`cairn serve: --store: unsupported scheme "postgres" (want sqlite:PATH or mongodb://…)`}},
		{name: "every bad setting reported", args: []string{"serve", "--max-batch", "0"}, env: map[string]string{"CAIRN_BODY_LIMIT": "lots"},
			wantCode: 2, wantStderr: []string{"cairn serve: --max-batch: 0 is out of range", `cairn serve: CAIRN_BODY_LIMIT: "lots" is not a size`}},
		{name: "store variable and file", args: []string{"credentials", "list"},
			env: map[string]string{"CAIRN_STORE": "sqlite:x.db", "CAIRN_STORE_FILE": "store.secret"}, wantCode: 2,
			wantStderr: []string{"cairn credentials list: CAIRN_STORE and CAIRN_STORE_FILE are both set; set only one"}},
		{name: "credentials commands take no serve flags", args: []string{"credentials", "list", "--addr", ":1"}, wantCode: 2,
			wantStderr: []string{"flag provided but not defined: -addr"}},
		{name: "create without name", args: []string{"credentials", "create", "--scopes", "all"}, wantCode: 2,
			wantStderr: []string{"--name is required"}},
		{name: "create without scopes", args: []string{"credentials", "create", "--name", "x", "--scopes", " , "}, wantCode: 2,
			wantStderr: []string{"--scopes is required"}},
		{name: "revoke without key", args: []string{"credentials", "revoke"}, wantCode: 2, wantStderr: []string{"want exactly one KEY"}},
		{name: "revoke two keys", args: []string{"credentials", "revoke", "a", "b"}, wantCode: 2, wantStderr: []string{"want exactly one KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}
