package extension_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// firefox is headless Firefox driven over WebDriver BiDi (the protocol Firefox serves
// itself with --remote-debugging-port; no geckodriver).
type firefox struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	conn    *websocket.Conn
	logs    *strings.Builder // Firefox's stderr, for failure messages
	logMu   *sync.Mutex
	writeMu sync.Mutex
	mu      sync.Mutex
	nextID  int
	pending map[int]chan bidiReply
	readErr error
	closed  chan struct{} // closed when the reader stops
}

// bidiReply is one command's answer: result on success, error and message otherwise.
type bidiReply struct {
	ID      int             `json:"id"`
	Type    string          `json:"type"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// firefoxPrefs are written to the profile's user.js: quiet start-up, no updates or
// telemetry, media that may play without a gesture, unsigned add-ons, and the add-on's
// moz-extension:// host fixed so the test can open its pages. (Unlike headless Chromium,
// headless Firefox reports the window as focused: no focus emulation is needed.)
func firefoxPrefs(geckoID, uuid string) string {
	uuids, _ := json.Marshal(map[string]string{geckoID: uuid})
	prefs := map[string]any{
		"browser.shell.checkDefaultBrowser":          false,
		"browser.startup.homepage_override.mstone":   "ignore",
		"browser.aboutwelcome.enabled":               false,
		"datareporting.policy.dataSubmissionEnabled": false,
		"datareporting.healthreport.uploadEnabled":   false,
		"toolkit.telemetry.enabled":                  false,
		"app.update.disabledForTesting":              true,
		"app.normandy.enabled":                       false,
		"extensions.update.enabled":                  false,
		"extensions.getAddons.cache.enabled":         false,
		"browser.safebrowsing.malware.enabled":       false,
		"browser.safebrowsing.phishing.enabled":      false,
		"network.captive-portal-service.enabled":     false,
		"network.connectivity-service.enabled":       false,
		"media.autoplay.default":                     0,
		"xpinstall.signatures.required":              false,
		"extensions.webextensions.uuids":             string(uuids),
		"dom.disable_open_during_load":               false,
		"browser.tabs.warnOnClose":                   false,
		"browser.sessionstore.resume_from_crash":     false,
	}
	var b strings.Builder
	for k, v := range prefs {
		val, _ := json.Marshal(v)
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, val)
	}
	return b.String()
}

// launchFirefox starts headless Firefox on profile (prefs written first), opens a BiDi
// session and returns it; the test fails when Firefox does not start in 60 s.
func launchFirefox(t *testing.T, bin, profile, prefs string) *firefox {
	t.Helper()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs), 0o644); err != nil {
		t.Fatal(err)
	}
	// --remote-allow-system-access lets BiDi open the add-on's moz-extension:// pages
	// (navigation to them is refused otherwise).
	cmd := exec.Command(bin, "--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0", "--remote-allow-system-access", "--width=1200", "--height=800", "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	f := &firefox{cmd: cmd, exited: make(chan struct{}), logs: &strings.Builder{}, logMu: &sync.Mutex{},
		pending: map[int]chan bidiReply{}, closed: make(chan struct{})}
	wsURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if _, u, ok := strings.Cut(line, "WebDriver BiDi listening on "); ok {
				select {
				case wsURL <- strings.TrimSpace(u):
				default:
				}
			}
			f.logMu.Lock()
			if f.logs.Len() < 1<<20 {
				f.logs.WriteString(line + "\n")
			}
			f.logMu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { _ = cmd.Wait(); close(f.exited) }()
	var u string
	select {
	case u = <-wsURL:
	case <-f.exited:
		t.Fatalf("firefox exited before serving WebDriver BiDi:\n%s", f.log())
	case <-time.After(60 * time.Second):
		f.kill()
		t.Fatalf("firefox did not serve WebDriver BiDi within 60 s:\n%s", f.log())
	}
	conn, _, err := websocket.DefaultDialer.Dial(u+"/session", nil)
	if err != nil {
		f.kill()
		t.Fatalf("connect to %s: %v", u, err)
	}
	f.conn = conn
	go f.read()
	res, err := f.call(t.Context(), "session.new", map[string]any{"capabilities": map[string]any{}})
	if err != nil {
		f.kill()
		t.Fatalf("session.new: %v", err)
	}
	var session struct {
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	_ = json.Unmarshal(res, &session)
	t.Logf("%s %s", session.Capabilities.BrowserName, session.Capabilities.BrowserVersion)
	return f
}

func (f *firefox) log() string {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return f.logs.String()
}

// read hands each command's reply to its caller; events are not subscribed to.
func (f *firefox) read() {
	defer close(f.closed)
	for {
		_, raw, err := f.conn.ReadMessage()
		if err != nil {
			f.mu.Lock()
			f.readErr = err
			f.mu.Unlock()
			return
		}
		var r bidiReply
		if json.Unmarshal(raw, &r) != nil || r.Type == "event" {
			continue
		}
		f.mu.Lock()
		ch := f.pending[r.ID]
		delete(f.pending, r.ID)
		f.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// call sends one BiDi command and returns its result; an error for a BiDi error
// reply, a lost connection or ctx ending first.
func (f *firefox) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	ch := make(chan bidiReply, 1)
	f.pending[id] = ch
	f.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	f.writeMu.Lock()
	err = f.conn.WriteMessage(websocket.TextMessage, msg)
	f.writeMu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Type == "error" {
			return nil, fmt.Errorf("%s: %s: %s", method, r.Error, r.Message)
		}
		return r.Result, nil
	case <-f.closed:
		f.mu.Lock()
		defer f.mu.Unlock()
		return nil, fmt.Errorf("%s: connection lost: %v", method, f.readErr)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// do is call with a 60-second limit that fails the test on error.
func (f *firefox) do(t *testing.T, method string, params any) json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	res, err := f.call(ctx, method, params)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// installAddon installs the add-on archive at path for good (it stays in the profile
// across restarts; unsigned, which xpinstall.signatures.required=false allows in ESR)
// and returns its id.
func (f *firefox) installAddon(t *testing.T, path string) string {
	t.Helper()
	var res struct {
		Extension string `json:"extension"`
	}
	raw := f.do(t, "webExtension.install", map[string]any{"extensionData": map[string]any{"type": "archivePath", "path": path}, "moz:permanent": true})
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	return res.Extension
}

// newTab opens a tab and returns its browsing context id.
func (f *firefox) newTab(t *testing.T) string {
	t.Helper()
	var res struct {
		Context string `json:"context"`
	}
	if err := json.Unmarshal(f.do(t, "browsingContext.create", map[string]any{"type": "tab"}), &res); err != nil {
		t.Fatal(err)
	}
	return res.Context
}

// navigate loads url in the browsing context and waits for its load event.
func (f *firefox) navigate(t *testing.T, bc, url string) {
	t.Helper()
	f.do(t, "browsingContext.navigate", map[string]any{"context": bc, "url": url, "wait": "complete"})
}

// eval runs expr in the page of browsing context bc (awaiting a promise) and decodes
// the JSON text of its value into out (nil: ignored). A script that throws fails the test.
func (f *firefox) eval(t *testing.T, bc, expr string, out any) {
	t.Helper()
	if err := f.tryEval(t.Context(), bc, expr, out); err != nil {
		t.Fatal(err)
	}
}

func (f *firefox) tryEval(ctx context.Context, bc, expr string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	wrapped := "(async () => JSON.stringify(await (async () => (" + expr + "))()) ?? 'null')()"
	raw, err := f.call(ctx, "script.evaluate", map[string]any{
		"expression": wrapped, "target": map[string]any{"context": bc}, "awaitPromise": true, "resultOwnership": "none",
		"userActivation": true,
	})
	if err != nil {
		return err
	}
	var res struct {
		Type   string `json:"type"`
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return err
	}
	if res.Type != "success" {
		return fmt.Errorf("script %q threw: %s", expr, res.ExceptionDetails.Text)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal([]byte(res.Result.Value), out)
}

// waitFor evaluates expr every 100 ms until it is truthy; an error after timeout.
func (f *firefox) waitFor(t *testing.T, bc, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := f.tryEval(t.Context(), bc, "!!("+expr+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %s is not true (%v)", timeout, expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// close ends the session and quits Firefox, killing it if it does not quit in 10 s;
// a repeat is a no-op.
func (f *firefox) close() {
	select {
	case <-f.exited:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := f.call(ctx, "browser.close", map[string]any{})
	cancel()
	if f.conn != nil {
		f.conn.Close()
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		f.kill()
		return
	}
	select {
	case <-f.exited:
	case <-time.After(10 * time.Second):
		f.kill()
	}
}

func (f *firefox) kill() {
	_ = f.cmd.Process.Kill()
	<-f.exited
}
