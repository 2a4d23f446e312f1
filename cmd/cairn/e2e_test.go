package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// goTool returns the go command that runs this test.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	for _, root := range []string{os.Getenv("GOROOT"), runtime.GOROOT()} {
		if p := filepath.Join(root, "bin", "go"); root != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	t.Fatal("go command not found")
	return ""
}

// newUUID returns a random (version 4) UUID.
func newUUID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func statementJSON(id string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"actor":{"objectType":"Agent","name":"Ada","mbox":"mailto:ada@example.com"},`+
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},`+
		`"object":{"id":"https://example.com/articles/graceful-shutdown","objectType":"Activity"}}`, id))
}

// server is one running `cairn serve` process.
type server struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error // Wait's result, set before exited closes
	base   string
}

// startServe starts bin serve on addr and waits until /readyz answers 200.
func startServe(t *testing.T, bin string, env []string, addr string) *server {
	t.Helper()
	s := &server{stderr: &syncBuffer{}, exited: make(chan struct{}), base: "http://" + addr}
	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--shutdown-timeout", "10s", "--log-level", "debug")
	s.cmd.Env = env
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("cairn serve output:\n%s", s.stderr.String())
		}
	})
	waitReady(t, s.base, s.exited, 60*time.Second)
	return s
}

// stop sends SIGTERM and waits for the process to exit 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.wait(t)
}

func (s *server) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("cairn serve did not exit within 30s of SIGTERM")
	}
	if s.err != nil {
		t.Fatalf("cairn serve exited with %v", s.err)
	}
}

// waitLog waits until the server's output contains text.
func (s *server) waitLog(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.stderr.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("output never showed %q", text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func xapiRequest(t *testing.T, method, url, key, secret string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(key, secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// checkPosted checks a Statements POST response: 200 and exactly the id posted.
func checkPosted(t *testing.T, res *http.Response, id string) {
	t.Helper()
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var ids []string
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &ids) != nil || len(ids) != 1 || ids[0] != id {
		t.Fatalf("POST statement: %s %s, want 200 [%q]", res.Status, body, id)
	}
}

// checkStored GETs statementId=id and checks the LRS returns that statement.
func checkStored(t *testing.T, base, key, secret, id string) {
	t.Helper()
	res, err := http.DefaultClient.Do(xapiRequest(t, http.MethodGet, base+"/xapi/statements?statementId="+id, key, secret, nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var st struct {
		ID     string          `json:"id"`
		Stored string          `json:"stored"`
		Object json.RawMessage `json:"object"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &st) != nil || st.ID != id || st.Stored == "" ||
		!strings.Contains(string(st.Object), "graceful-shutdown") {
		t.Fatalf("GET statement %s: %s %s", id, res.Status, body)
	}
}

// TestServeEndToEnd builds the binary, creates a credential, serves, writes a
// statement, stops with SIGTERM while a second write is in flight, and checks after a
// restart that both writes were kept.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the cairn binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cairn")
	build := exec.Command(goTool(t), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CAIRN_") {
			env = append(env, kv)
		}
	}
	env = append(env, "CAIRN_STORE=sqlite:"+filepath.Join(dir, "data", "cairn.db"), "CAIRN_ENRICH=false")
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cairn %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}

	out := cli("credentials", "create", "--name", "e2e", "--scopes", "all", "--json")
	m := createdJSON.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("credentials create --json printed %q", out)
	}
	key, secret := m[1], m[2]
	if out := cli("credentials", "list"); !strings.Contains(out, key) || !strings.Contains(out, "e2e") {
		t.Fatalf("credentials list lacks the new credential:\n%s", out)
	}

	addr := freeAddr(t)
	srv := startServe(t, bin, env, addr)
	if strings.Contains(srv.stderr.String(), "credentials create --name NAME") {
		t.Errorf("serve asks for a credential although one exists:\n%s", srv.stderr.String())
	}

	first := newUUID(t)
	res, err := http.DefaultClient.Do(xapiRequest(t, http.MethodPost, srv.base+"/xapi/statements", key, secret, statementJSON(first)))
	if err != nil {
		t.Fatal(err)
	}
	checkPosted(t, res, first)

	// The second write: headers and part of the body, then SIGTERM, then the rest
	// once the server has stopped accepting connections.
	second := newUUID(t)
	body := statementJSON(second)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("POST /xapi/statements HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\n"+
		"X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		addr, basicAuth(key, secret), len(body))
	if _, err := io.WriteString(conn, head+string(body[:20])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let the server read the request head
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.waitLog(t, "cairn stopping")
	waitRefused(t, addr)
	if _, err := conn.Write(body[20:]); err != nil {
		t.Fatalf("completing the in-flight request: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	res, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no response: %v", err)
	}
	checkPosted(t, res, second)
	srv.wait(t)
	logs := srv.stderr.String()
	for _, w := range []string{"cairn started", "store_kind=sqlite", "cairn stopped"} {
		if !strings.Contains(logs, w) {
			t.Errorf("serve output lacks %q:\n%s", w, logs)
		}
	}
	if strings.Contains(logs, secret) {
		t.Errorf("serve logged the credential secret")
	}

	srv = startServe(t, bin, env, addr)
	checkStored(t, srv.base, key, secret, first)
	checkStored(t, srv.base, key, secret, second)
	srv.stop(t)
}

func basicAuth(key, secret string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(key, secret)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// waitRefused waits until addr refuses new connections.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections after SIGTERM", addr)
}
