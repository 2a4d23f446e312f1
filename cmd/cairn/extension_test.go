package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/web/extensionapi"
)

func TestExtensionConnectCode(t *testing.T) {
	for _, store := range storeURLs() {
		t.Run(store.kind, func(t *testing.T) { testExtensionConnectCode(t, store.url(t)) })
	}
}

func testExtensionConnectCode(t *testing.T, storeURL string) {
	env := map[string]string{"CAIRN_STORE": storeURL, "CAIRN_LOG_LEVEL": "warn"}
	refusals := []struct {
		args []string
		want string
	}{
		{[]string{"extension", "connect-code"}, "--email is required"},
		{[]string{"extension", "connect-code", "--email", "Ada <ada@example.com>"}, "is not an email address"},
		{[]string{"extension", "connect-code", "--email", "ada@example.com", "--ttl", "48h"}, "ttl: must be more than 0 and at most 24h"},
	}
	for _, r := range refusals {
		if code, _, errOut := runCLI(t, env, r.args...); code != 2 || !strings.Contains(errOut, r.want) {
			t.Errorf("%v: status %d, stderr %q; want 2 and %q", r.args, code, errOut, r.want)
		}
	}

	code, out, errOut := runCLI(t, env, "extension", "connect-code", "--email", "ada@example.com", "--name", "Ada", "--ttl", "5m", "--json")
	var got struct {
		Code    string    `json:"code"`
		Expires time.Time `json:"expires"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Code == "" {
		t.Fatalf("connect-code --json: status %d\nstdout: %q\nstderr: %s", code, out, errOut)
	}
	if d := time.Until(got.Expires); d < 4*time.Minute || d > 5*time.Minute {
		t.Errorf("expires in %v, want about 5m", d)
	}

	// The code is redeemed against the same store, as the server would.
	cfg, err := config.ParseStore(storeURL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	svc := capture.NewCredentialService(st, "http://cairn.test", nil)
	cred, _, err := svc.RedeemConnectCode(context.Background(), got.Code, extensionapi.CredentialName, extensionapi.Scopes)
	st.Close()
	if err != nil {
		t.Fatalf("redeem the printed code: %v", err)
	}

	code, out, _ = runCLI(t, env, "credentials", "list")
	if code != 0 || !strings.Contains(out, "OWNER") || !strings.Contains(out, cred.Key) || !strings.Contains(out, "mbox:mailto:ada@example.com") {
		t.Errorf("credentials list: status %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, env, "extension", "connect-code", "--email", "grace@example.com")
	if code != 0 || !strings.Contains(out, "Connect code for grace@example.com (single use, valid until") {
		t.Errorf("connect-code: status %d, stdout %q", code, out)
	}
}

// TestServeExtensionRoutes runs serve with --extension-deny and connects with a code
// made by the CLI: the routes are mounted and the settings reach the extension.
func TestServeExtensionRoutes(t *testing.T) {
	addr := freeAddr(t)
	storeURL := "sqlite:" + t.TempDir() + "/cairn.db"
	vars := map[string]string{"CAIRN_STORE": storeURL, "CAIRN_ADDR": addr, "CAIRN_LOG_LEVEL": "warn", "CAIRN_EXTENSION_DENY": "intranet.example.com, *.bank.example"}
	code, out, errOut := runCLI(t, vars, "extension", "connect-code", "--email", "ada@example.com", "--json")
	var issued struct{ Code string }
	if code != 0 || json.Unmarshal([]byte(out), &issued) != nil {
		t.Fatalf("connect-code: %d %s %s", code, out, errOut)
	}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		run(ctx, []string{"serve"}, envOf(vars), &stdout, &stderr)
	}()
	defer func() { cancel(); <-exited }()
	base := "http://" + addr
	waitReady(t, base, exited, 30*time.Second)

	res, err := http.Get(base + "/api/extension/config")
	if err != nil {
		t.Fatal(err)
	}
	var settings extensionapi.Settings
	err = json.NewDecoder(res.Body).Decode(&settings)
	res.Body.Close()
	if err != nil || strings.Join(settings.Deny, ",") != "intranet.example.com,*.bank.example" || settings.ReadSeconds != 30 {
		t.Errorf("config: %+v, %v", settings, err)
	}

	res, err = http.Post(base+"/api/extension/connect", "application/json", strings.NewReader(`{"code":"`+issued.Code+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var conn struct{ Endpoint, Key, Secret string }
	err = json.NewDecoder(res.Body).Decode(&conn)
	res.Body.Close()
	if res.StatusCode != 200 || err != nil || conn.Endpoint != base+"/xapi" || conn.Key == "" {
		t.Fatalf("connect: %d %+v %v", res.StatusCode, conn, err)
	}
	req, _ := http.NewRequest("POST", conn.Endpoint+"/statements", strings.NewReader(
		`{"actor":{"mbox":"mailto:bob@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://example.com/x"}}`))
	req.SetBasicAuth(conn.Key, conn.Secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("statement for someone else: %d, want 403", res.StatusCode)
	}
}
