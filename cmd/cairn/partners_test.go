package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/web"
)

// partnerLRS starts a Cairn LRS in the test process and returns its xAPI endpoint and
// a credential with scope all.
func partnerLRS(t *testing.T) (endpoint, key, secret string) {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "partner.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	creds := capture.NewCredentialService(st, "http://"+ln.Addr().String(), nil)
	cred, secret, err := creds.Create(t.Context(), "cairn", []string{capture.ScopeAll}, false)
	if err != nil {
		t.Fatal(err)
	}
	app := web.New(web.Config{Statements: capture.NewStatementService(capture.StatementServiceConfig{Store: st}),
		Documents: capture.NewDocumentService(st, nil), Credentials: creds, Ready: st.Ping})
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second); st.Close() })
	return "http://" + ln.Addr().String() + "/xapi", cred.Key, secret
}

// postTo writes statements to an xAPI endpoint.
func postTo(t *testing.T, endpoint, key, secret string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/statements", bytes.NewReader(body))
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(key, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST statements: %d", resp.StatusCode)
	}
}

func TestPartnerCommands(t *testing.T) {
	endpoint, key, secret := partnerLRS(t)
	dbPath := filepath.Join(t.TempDir(), "cairn.db")
	noKey := map[string]string{"CAIRN_STORE": "sqlite:" + dbPath, "CAIRN_LOG_LEVEL": "warn"}
	env := map[string]string{"CAIRN_STORE": "sqlite:" + dbPath, "CAIRN_LOG_LEVEL": "warn", "CAIRN_PARTNER_KEY": "a partner key of some length"}

	code, _, errOut := runCLI(t, noKey, "partner", "add", "--name", "lrs-b", "--endpoint", endpoint, "--key", key, "--secret", secret)
	if code != 2 || !strings.Contains(errOut, "no partner key configured") {
		t.Fatalf("add without a partner key: status %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, env, "partner", "add", "--name", "lrs-b", "--endpoint", "ftp://x", "--key", key, "--secret", secret)
	if code != 2 || !strings.Contains(errOut, `endpoint: "ftp://x" is not an http(s) URL`) {
		t.Fatalf("add with a bad endpoint: status %d, stderr %q", code, errOut)
	}
	code, out, errOut := runCLI(t, env, "partner", "add", "--name", "lrs-b", "--endpoint", endpoint, "--key", key, "--secret", secret,
		"--direction", "pull", "--batch", "5", "--interval", "2m", "--verbs", "http://adlnet.gov/expapi/verbs/experienced")
	if code != 0 || !strings.Contains(out, "Added partner lrs-b: pull, batch 5") {
		t.Fatalf("add: status %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if raw, _ := os.ReadFile(dbPath); bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the partner secret is stored in the clear")
	}
	code, out, errOut = runCLI(t, env, "partner", "test", "lrs-b")
	if code != 0 || !strings.Contains(out, "1.0.3") || !strings.Contains(out, "speaks xAPI 1.0.x") {
		t.Fatalf("test: status %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	runCLI(t, env, "partner", "add", "--name", "wrong", "--endpoint", endpoint, "--key", key, "--secret", "not-the-secret", "--direction", "pull")
	code, _, errOut = runCLI(t, env, "partner", "test", "wrong")
	if code != 1 || !strings.Contains(errOut, "refused the credentials (401)") {
		t.Fatalf("test with a wrong secret: status %d, stderr %q", code, errOut)
	}
	runCLI(t, env, "partner", "add", "--name", "nowhere", "--endpoint", "http://127.0.0.1:1/xapi", "--key", "k", "--secret", "s")
	code, _, errOut = runCLI(t, env, "partner", "test", "nowhere")
	if code != 1 || !strings.Contains(errOut, "cannot reach the partner") {
		t.Fatalf("test of an unreachable partner: status %d, stderr %q", code, errOut)
	}

	var stmts []string
	for i := range 12 {
		stmts = append(stmts, string(statementJSON(fmt.Sprintf("%08d-0000-4000-8000-000000000000", i))))
	}
	postTo(t, endpoint, key, secret, []byte("["+strings.Join(stmts, ",")+"]"))
	code, out, errOut = runCLI(t, env, "partner", "sync", "lrs-b")
	if code != 0 || !strings.Contains(out, "12 statements stored over 3 pages, 0 dead letters") {
		t.Fatalf("sync: status %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = runCLI(t, env, "partner", "list", "--json")
	var listed []federation.PartnerStatus
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed) != 3 {
		t.Fatalf("list --json: status %d, %v\n%s", code, err, out)
	}
	b := listed[0]
	if b.Name != "lrs-b" || b.State != "active" || len(b.Jobs) != 1 || b.Jobs[0].Direction != federation.Pull ||
		b.Jobs[0].Delivered != 12 || b.Jobs[0].LastSuccess.IsZero() || b.Batch != 5 || b.Interval != 2*time.Minute ||
		len(b.Filter.Verbs) != 1 || strings.Contains(out, secret) {
		t.Fatalf("listed partner: %+v", b)
	}
	code, out, _ = runCLI(t, env, "partner", "list")
	if code != 0 || !strings.Contains(out, "lrs-b") || !strings.Contains(out, "LAST ERROR") {
		t.Fatalf("list: status %d\n%s", code, out)
	}

	if code, out, _ = runCLI(t, env, "partner", "pause", "lrs-b"); code != 0 || !strings.Contains(out, "Paused partner lrs-b") {
		t.Fatalf("pause: %d %s", code, out)
	}
	code, _, errOut = runCLI(t, env, "partner", "sync", "lrs-b")
	if code != 2 || !strings.Contains(errOut, "partner lrs-b is paused") {
		t.Fatalf("sync while paused: status %d, stderr %q", code, errOut)
	}
	if code, out, _ = runCLI(t, env, "partner", "resume", "lrs-b"); code != 0 {
		t.Fatalf("resume: %d %s", code, out)
	}
	code, out, _ = runCLI(t, env, "partner", "show", "lrs-b")
	var shown federation.PartnerStatus
	if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil || shown.State != "active" {
		t.Fatalf("show: %d %v %s", code, err, out)
	}
	if code, out, _ = runCLI(t, env, "partner", "deadletters", "list"); code != 0 || !strings.Contains(out, "No dead letters.") {
		t.Fatalf("deadletters list: %d %s", code, out)
	}
	code, _, errOut = runCLI(t, env, "partner", "deadletters", "replay", "nope")
	if code != 1 || !strings.Contains(errOut, "no dead letter nope") {
		t.Fatalf("replay of an unknown letter: %d %q", code, errOut)
	}
	if code, out, _ = runCLI(t, env, "partner", "remove", "wrong"); code != 0 || !strings.Contains(out, "Removed partner wrong") {
		t.Fatalf("remove: %d %s", code, out)
	}
	code, _, errOut = runCLI(t, env, "partner", "remove", "wrong")
	if code != 1 || !strings.Contains(errOut, `no partner named "wrong"`) {
		t.Fatalf("second remove: %d %q", code, errOut)
	}
	code, _, errOut = runCLI(t, env, "partner")
	if code != 2 || !strings.Contains(errOut, "want a sub-command") {
		t.Fatalf("partner alone: %d %q", code, errOut)
	}
}
