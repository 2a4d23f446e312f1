package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// createdJSON matches the whole output of `credentials create --json`.
var createdJSON = regexp.MustCompile(`^\{"key":"([^"]+)","secret":"([^"]+)"\}\n$`)

func TestCredentialsCommands(t *testing.T) {
	for _, store := range storeURLs() {
		t.Run(store.kind, func(t *testing.T) { testCredentialsCommands(t, store.url(t)) })
	}
}

func testCredentialsCommands(t *testing.T, storeURL string) {
	// The store URL comes from a file, as a MongoDB URI with a password would.
	storeFile := filepath.Join(t.TempDir(), "store")
	if err := os.WriteFile(storeFile, []byte(storeURL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CAIRN_STORE_FILE": storeFile, "CAIRN_LOG_LEVEL": "warn"}

	code, out, errOut := runCLI(t, env, "credentials", "list")
	if code != 0 || !strings.Contains(out, "No credentials. Create one with: cairn credentials create --name NAME --scopes all") {
		t.Fatalf("list on an empty store: status %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	code, out, errOut = runCLI(t, env, "credentials", "create", "--name", "course player", "--scopes", "statements/write, statements/read/mine", "--json")
	m := createdJSON.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("create --json: status %d\nstdout: %q\nstderr: %s", code, out, errOut)
	}
	key, secret := m[1], m[2]

	code, out, _ = runCLI(t, env, "credentials", "create", "--trusted", "--scopes", "all", "--name", "importer")
	if code != 0 || !strings.Contains(out, "key:    ") || !strings.Contains(out, "secret: ") || !strings.Contains(out, "cannot be shown again") {
		t.Fatalf("create: status %d, stdout %q", code, out)
	}

	code, out, errOut = runCLI(t, env, "credentials", "create", "--name", "x", "--scopes", "all,root")
	if code != 2 || !strings.Contains(errOut, `unknown scope "root"`) {
		t.Errorf("create with an unknown scope: status %d, stderr %q", code, errOut)
	}

	code, out, _ = runCLI(t, env, "credentials", "list")
	if code != 0 {
		t.Fatalf("list: status %d", code)
	}
	for _, w := range []string{"KEY", "LAST USED", key, "course player", "statements/write,statements/read/mine", "importer", "yes", "never"} {
		if !strings.Contains(out, w) {
			t.Errorf("list lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, secret) || strings.Contains(out, "argon2") {
		t.Errorf("list shows a secret or its hash:\n%s", out)
	}

	// Flags may follow the key.
	code, out, errOut = runCLI(t, nil, "credentials", "revoke", key, "--store", storeURL, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "Revoked credential "+key) {
		t.Fatalf("revoke: status %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, env, "credentials", "revoke", "no-such-key")
	if code != 1 || !strings.Contains(errOut, `no credential with key "no-such-key"`) {
		t.Errorf("revoke of an unknown key: status %d, stderr %q", code, errOut)
	}

	code, out, _ = runCLI(t, env, "credentials", "list", "--json")
	var listed []credentialJSON
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil {
		t.Fatalf("list --json: status %d, %v\n%s", code, err, out)
	}
	if len(listed) != 2 {
		t.Fatalf("list --json: %d credentials, want 2:\n%s", len(listed), out)
	}
	first, second := listed[0], listed[1]
	if first.Key != key || first.Name != "course player" || !slices.Equal(first.Scopes, []string{"statements/write", "statements/read/mine"}) ||
		first.Trusted || first.Revoked == nil || first.LastUsed != nil || time.Since(first.Created) > time.Minute {
		t.Errorf("first credential: %+v", first)
	}
	if second.Name != "importer" || !second.Trusted || second.Revoked != nil || !slices.Equal(second.Scopes, []string{"all"}) {
		t.Errorf("second credential: %+v", second)
	}
	if strings.Contains(out, secret) {
		t.Errorf("list --json shows the secret")
	}
}
