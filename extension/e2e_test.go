// Package extension_test drives the browser extension end to end: a real Cairn (SQLite
// in a temporary directory), real headless Chromium with the unpacked extension, and
// local test pages. It also runs the extension's node unit tests (node_test.go).
package extension_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/web"
	"github.com/cairn-lrs/cairn/web/extensionapi"
)

const chromiumPath = "/usr/bin/chromium"

// cairn is a running Cairn that the test can stop and start again on the same address.
type cairn struct {
	t      *testing.T
	addr   string
	store  *sqlitestore.Store
	creds  *capture.CredentialService
	stmts  *capture.StatementService
	admin  capture.Principal
	deny   []string
	mu     sync.Mutex
	app    *fiber.App
	served chan struct{}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newCairn(t *testing.T, deny []string) *cairn {
	t.Helper()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "cairn.db"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cairn{t: t, addr: ln.Addr().String(), store: st, deny: deny}
	c.creds = capture.NewCredentialService(st, "http://"+c.addr, nil)
	c.stmts = capture.NewStatementService(capture.StatementServiceConfig{Store: st, Logger: quiet()})
	cred, secret, err := c.creds.Create(ctx, "test admin", []string{capture.ScopeAll}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.admin, err = c.creds.Authenticate(ctx, cred.Key, secret); err != nil {
		t.Fatal(err)
	}
	c.serve(ln)
	t.Cleanup(c.stop)
	return c
}

func (c *cairn) url() string { return "http://" + c.addr }

func (c *cairn) serve(ln net.Listener) {
	app := web.New(web.Config{
		Statements: c.stmts, Documents: capture.NewDocumentService(c.store, nil), Credentials: c.creds,
		Ready: c.store.Ping, Logger: quiet(),
	})
	settings := extensionapi.DefaultSettings()
	settings.Deny = c.deny
	extensionapi.Mount(app, extensionapi.Config{Credentials: c.creds, XAPIEndpoint: c.url() + "/xapi", Settings: settings})
	done := make(chan struct{})
	go func() { _ = app.Listener(ln); close(done) }()
	c.mu.Lock()
	c.app, c.served = app, done
	c.mu.Unlock()
}

// stop shuts the server down (a repeat is a no-op); the store stays open.
func (c *cairn) stop() {
	c.mu.Lock()
	app, done := c.app, c.served
	c.app = nil
	c.mu.Unlock()
	if app == nil {
		return
	}
	_ = app.ShutdownWithTimeout(5 * time.Second)
	<-done
}

// start serves again on the same address.
func (c *cairn) start() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", c.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatalf("listen again on %s: %v", c.addr, err)
	}
	c.serve(ln)
}

// statements returns every stored statement about activity id, oldest first.
func (c *cairn) statements(activity string) []map[string]any {
	c.t.Helper()
	res, err := c.stmts.Read(context.Background(), capture.ReadRequest{
		Params: capture.StatementParams{ActivityID: activity, Ascending: true, Limit: 500}, Principal: c.admin})
	if err != nil {
		c.t.Fatalf("read statements: %v", err)
	}
	out := make([]map[string]any, 0, len(res.Statements))
	for _, raw := range res.Statements {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// waitStatements polls until pred holds for the statements about activity.
func (c *cairn) waitStatements(t *testing.T, activity string, timeout time.Duration, what string, pred func([]map[string]any) bool) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := c.statements(activity)
		if pred(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %s: statements about %s are %s", timeout, what, activity, verbsOf(got))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func verbsOf(stmts []map[string]any) []string {
	out := []string{}
	for _, s := range stmts {
		id, _ := s["verb"].(map[string]any)["id"].(string)
		out = append(out, id[strings.LastIndex(id, "/")+1:])
	}
	return out
}

func countVerb(stmts []map[string]any, verb string) int {
	n := 0
	for _, v := range verbsOf(stmts) {
		if v == verb {
			n++
		}
	}
	return n
}

// articleHTML is an article page long enough to scroll.
func articleHTML(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html><head><meta charset="utf-8"><title>%s</title>
<meta property="og:type" content="article"><meta name="description" content="A test article about %s.">
<style>p{margin:0 0 40px;font-size:18px}</style></head><body><article><h1>%s</h1>`, title, title, title)
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "<p>Paragraph %d of %s. Spaced repetition schedules reviews at growing intervals, which keeps what was learned.</p>", i, title)
	}
	b.WriteString(`</article></body></html>`)
	return b.String()
}

// pages serves the test site; /clip.webm serves the clip once it is set.
type pages struct {
	*httptest.Server
	mu   sync.Mutex
	clip []byte
}

func newPages(t *testing.T) *pages {
	p := &pages{}
	mux := http.NewServeMux()
	for _, path := range []string{"/article/one", "/article/two", "/article/three", "/denied/article"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, articleHTML("Article "+r.URL.Path))
		})
	}
	mux.HandleFunc("/blank", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>blank</title><p>blank</p>`)
	})
	mux.HandleFunc("/video", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html><head><meta charset="utf-8"><title>A short talk</title></head>
<body><h1>A short talk</h1><video id="v" src="/clip.webm" muted playsinline preload="auto" width="160" height="120"></video></body></html>`)
	})
	mux.HandleFunc("/clip.webm", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		clip := p.clip
		p.mu.Unlock()
		http.ServeContent(w, r, "clip.webm", time.Time{}, strings.NewReader(string(clip)))
	})
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

// browser is headless Chromium with the unpacked extension in a given profile.
type browser struct {
	ctx    context.Context
	cancel context.CancelFunc
	extID  string
}

func launch(t *testing.T, profile string) *browser {
	t.Helper()
	extDir, err := filepath.Abs("src")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("load-extension", extDir),
		chromedp.Flag("disable-extensions-except", extDir),
		chromedp.WindowSize(1200, 800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{ctx: ctx, cancel: func() { cancel(); acancel() }}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.cancel()
		t.Fatalf("start chromium: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for b.extID == "" {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range infos {
			if ti.Type == "service_worker" && strings.HasSuffix(ti.URL, "/background.js") && strings.HasPrefix(ti.URL, "chrome-extension://") {
				b.extID = strings.Split(strings.TrimPrefix(ti.URL, "chrome-extension://"), "/")[0]
			}
		}
		if time.Now().After(deadline) {
			b.cancel()
			t.Fatal("the extension's service worker did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return b
}

func (b *browser) run(t *testing.T, actions ...act) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// options opens the extension's options page in a new tab and returns its context.
func (b *browser) options(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("chrome-extension://"+b.extID+"/options.html"), chromedp.WaitReady(chromedp.CSS("#connectButton"))); err != nil {
		t.Fatal(err)
	}
	return ctx, cancel
}

// status asks the background script for its status from the options page.
func status(t *testing.T, optCtx context.Context) map[string]any {
	t.Helper()
	var st map[string]any
	if err := chromedp.Do(optCtx, evaluate(`chrome.runtime.sendMessage({type: 'status'})`, &st,
		awaitPromise)); err != nil {
		t.Fatal(err)
	}
	return st
}

// read opens url, scrolls to the end and stays on it for d.
func (b *browser) read(t *testing.T, url string, d time.Duration) {
	t.Helper()
	// Headless Chromium reports no window focus; the reader is emulated as focused.
	b.run(t, focusEmulation, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("article")),
		evaluate(`window.scrollTo(0, document.body.scrollHeight)`, nil), chromedp.Sleep(d))
}

// clipScript records a 3-second WebM clip (VP8) of a changing canvas with the page's
// MediaRecorder and returns {data: base64 of the file}.
const clipScript = `(async () => {
  const c = document.createElement('canvas'); c.width = 160; c.height = 120; document.body.append(c);
  const g = c.getContext('2d');
  const stream = c.captureStream(25);
  const rec = new MediaRecorder(stream, {mimeType: 'video/webm;codecs=vp8'});
  const chunks = [];
  rec.ondataavailable = (e) => chunks.push(e.data);
  let i = 0;
  const draw = setInterval(() => { g.fillStyle = 'hsl(' + (i++ * 9 % 360) + ',70%,50%)'; g.fillRect(0, 0, 160, 120); g.fillStyle = '#fff'; g.fillText(String(i), 10, 20); }, 40);
  rec.start();
  await new Promise((r) => setTimeout(r, 3000));
  const stopped = new Promise((r) => rec.onstop = r);
  rec.stop();
  await stopped;
  clearInterval(draw);
  const buf = new Uint8Array(await new Blob(chunks, {type: 'video/webm'}).arrayBuffer());
  let s = ''; for (const x of buf) s += String.fromCharCode(x);
  return {data: btoa(s)};
})()`

// makeClip records a 3-second WebM clip (VP8) of a changing canvas with the browser's
// MediaRecorder. (The video test's length check fails if a MediaRecorder leaves the
// Duration out of the file, as a player then reports an infinite length.)
func makeClip(t *testing.T, b *browser, blank string) []byte {
	t.Helper()
	var out struct {
		Data string `json:"data"`
	}
	b.run(t, chromedp.Navigate(blank), evaluate(clipScript, &out, awaitPromise))
	raw, err := base64.StdEncoding.DecodeString(out.Data)
	if err != nil || len(raw) == 0 {
		t.Fatalf("clip: %d bytes, %v", len(raw), err)
	}
	return raw
}

func TestExtensionEndToEnd(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping the browser test: %s is not installed (apt-get install chromium)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	site := newPages(t)
	host := strings.TrimPrefix(site.URL, "http://")
	lrs := newCairn(t, []string{host + "/denied"})
	code, _, err := lrs.creds.IssueConnectCode(t.Context(), map[string]any{"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	profile := t.TempDir()
	b := launch(t, profile)
	defer func() { b.cancel() }()

	// Before connecting nothing is recorded.
	b.read(t, site.URL+"/article/one", 3*time.Second)

	// Connect with the code and shorten the thresholds in the options page.
	opt, closeOpt := b.options(t)
	b.runIn(t, opt,
		chromedp.SetValue(chromedp.CSS("#cairnUrl"), lrs.url()),
		chromedp.SetValue(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("#connectButton")),
		waitText("#connectResult", "Connected."),
		chromedp.SetValue(chromedp.CSS("#readSeconds"), "2"),
		chromedp.SetValue(chromedp.CSS("#scrollDepth"), "0.5"),
		chromedp.SetValue(chromedp.CSS("#videoCompletion"), "0.9"),
		chromedp.SetValue(chromedp.CSS("#retryBaseMs"), "300"),
		chromedp.Click(chromedp.CSS("#save")),
		waitText("#saved", "Saved."),
	)
	if st := status(t, opt); st["connected"] != true || st["agent"].(map[string]any)["mbox"] != "mailto:ada@example.com" {
		t.Fatalf("status after connect: %v", st)
	}
	if got := lrs.statements(site.URL + "/article/one"); len(got) != 0 {
		t.Fatalf("recorded before connecting: %v", verbsOf(got))
	}
	closeOpt()

	t.Run("article read", func(t *testing.T) {
		dayBefore := time.Now().Format(time.DateOnly)
		page := site.URL + "/article/one"
		b.read(t, page, 4*time.Second)
		got := lrs.waitStatements(t, page, 10*time.Second, "want one read", func(s []map[string]any) bool { return len(s) >= 1 })
		if len(got) != 1 {
			t.Fatalf("statements %v, want one read", verbsOf(got))
		}
		checkRead(t, got[0], "Article /article/one", 2, 10)
		// Read again the same day: no new statement (unless midnight passed meanwhile).
		b.read(t, page, 4*time.Second)
		time.Sleep(time.Second)
		if time.Now().Format(time.DateOnly) != dayBefore {
			t.Skip("the day changed while reading again")
		}
		if got := lrs.statements(page); len(got) != 1 {
			for _, st := range got {
				t.Logf("statement %v at %v: %v", st["id"], st["timestamp"], st["result"])
			}
			t.Errorf("after reading again: %d statements, want 1", len(got))
		}
	})

	t.Run("denied site and paused capture send nothing", func(t *testing.T) {
		b.read(t, site.URL+"/denied/article", 4*time.Second)
		opt, closeOpt := b.options(t)
		defer closeOpt()
		b.runIn(t, opt, chromedp.Click(chromedp.CSS("#paused")), chromedp.Click(chromedp.CSS("#save")), waitText("#saved", "Saved."))
		b.read(t, site.URL+"/article/two", 4*time.Second)
		b.runIn(t, opt, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("#save")), chromedp.Click(chromedp.CSS("#paused")), chromedp.Click(chromedp.CSS("#save")), waitText("#saved", "Saved."))
		time.Sleep(time.Second)
		for _, p := range []string{"/denied/article", "/article/two"} {
			if got := lrs.statements(site.URL + p); len(got) != 0 {
				t.Errorf("%s: recorded %v", p, verbsOf(got))
			}
		}
		if st := status(t, opt); len(st["queue"].([]any)) != 0 {
			t.Errorf("queue holds %v", st["queue"])
		}
	})

	t.Run("video watched", func(t *testing.T) {
		site.mu.Lock()
		site.clip = makeClip(t, b, site.URL+"/blank")
		site.mu.Unlock()
		page := site.URL + "/video"
		var ended bool
		b.run(t, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("#v")),
			chromedp.Sleep(1500*time.Millisecond), // the viewer presses play once the page is there
			evaluate(`document.getElementById('v').play().then(() => true)`, nil, awaitPromise),
			poll(`document.getElementById('v').ended`, &ended, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Sleep(1500*time.Millisecond),
			chromedp.Navigate(site.URL+"/blank"), // leaving the page terminates the session
		)
		defer func() {
			if t.Failed() {
				opt, closeOpt := b.options(t)
				defer closeOpt()
				st := status(t, opt)
				t.Logf("extension: lastError %q, rejected %v, queue %v, recent %v", st["lastError"], st["rejected"], st["queue"], st["recent"])
			}
		}()
		got := lrs.waitStatements(t, page, 10*time.Second, "want initialized, played, completed, terminated", func(s []map[string]any) bool {
			return countVerb(s, "terminated") == 1
		})
		checkVideoWatched(t, got)
	})

	t.Run("video paused and sought", func(t *testing.T) {
		page := site.URL + "/video?part=2" // another activity than the video above
		await := awaitPromise
		var ended bool
		b.run(t, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("#v")), chromedp.Sleep(1500*time.Millisecond),
			evaluate(`document.getElementById('v').play().then(() => true)`, nil, await),
			poll(`document.getElementById('v').currentTime >= 1`, nil, chromedp.WithPollingTimeout(10*time.Second)),
			evaluate(`document.getElementById('v').pause(), true`, nil),
			chromedp.Sleep(2*time.Second), // a real pause: recorded
			evaluate(`new Promise((r) => { const v = document.getElementById('v'); v.addEventListener('seeked', () => r(true), {once: true}); v.currentTime = 2; })`, nil, await),
			evaluate(`document.getElementById('v').play().then(() => true)`, nil, await),
			poll(`document.getElementById('v').ended`, &ended, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Sleep(1500*time.Millisecond),
			chromedp.Navigate(site.URL+"/blank"),
		)
		got := lrs.waitStatements(t, page, 10*time.Second, "want a terminated", func(s []map[string]any) bool {
			return countVerb(s, "terminated") == 1
		})
		checkVideoPausedAndSought(t, got)
	})

	t.Run("I learned this", func(t *testing.T) {
		page := site.URL + "/blank"
		opt, closeOpt := b.options(t)
		defer closeOpt()
		var res map[string]any
		b.runIn(t, opt, evaluate(fmt.Sprintf(`chrome.runtime.sendMessage({type: 'learned', page: {url: %q, title: 'Blank page', description: '', article: false}, note: ' Spacing works. ', tags: 'memory, #learning'})`, page),
			&res, awaitPromise))
		if res["ok"] != true {
			t.Fatalf("learned: %v", res)
		}
		got := lrs.waitStatements(t, page, 10*time.Second, "want one experienced", func(s []map[string]any) bool { return len(s) >= 1 })
		st := got[0]
		if verbsOf(got)[0] != "experienced" || st["result"].(map[string]any)["response"] != "Spacing works." {
			t.Errorf("statement %v", st)
		}
		tags := st["context"].(map[string]any)["extensions"].(map[string]any)["https://cairn-lrs.github.io/xapi/extensions/tags"]
		if fmt.Sprint(tags) != "[memory learning]" {
			t.Errorf("tags %v", tags)
		}
		// The popup lists it among the recent records.
		popup, closePopup := chromedp.NewContext(b.ctx)
		defer closePopup()
		var recent string
		pctx, cancel := context.WithTimeout(popup, 20*time.Second)
		defer cancel()
		err := chromedp.Do(pctx, chromedp.Navigate("chrome-extension://"+b.extID+"/popup.html"),
			poll(`document.getElementById('recent').textContent.includes('Blank page')`, nil, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			var text string
			_ = chromedp.Do(popup, evaluate(`document.body.innerText`, &text))
			t.Fatalf("popup: %v; it shows %q", err, text)
		}
		b.runIn(t, popup, text("#recent", &recent))
		if !strings.Contains(recent, "experienced: Blank page") {
			t.Errorf("popup recent list: %q", recent)
		}
	})

	t.Run("offline and a browser restart deliver the queue once", func(t *testing.T) {
		page := site.URL + "/article/three"
		lrs.stop()
		// Longer on the page than the other reads: on a loaded machine the page's own
		// start eats into the active time, and this read must be queued before the
		// browser quits.
		b.read(t, page, 8*time.Second)
		opt, closeOpt := b.options(t)
		var st map[string]any
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			st = status(t, opt)
			if len(st["queue"].([]any)) > 0 && st["lastError"] != "" || time.Now().After(deadline) {
				break
			}
		}
		closeOpt()
		if q := st["queue"].([]any); len(q) != 1 || st["lastError"] == "" {
			t.Fatalf("while Cairn is down: queue %d, lastError %q; want 1 waiting with an error", len(q), st["lastError"])
		}
		// The browser quits with the statement still queued, then Cairn comes back and
		// the browser starts again on the same profile.
		b.cancel()
		lrs.start()
		b = launch(t, profile)
		got := lrs.waitStatements(t, page, 20*time.Second, "want the queued read", func(s []map[string]any) bool { return len(s) >= 1 })
		time.Sleep(2 * time.Second) // a duplicate would arrive by now
		if got = lrs.statements(page); len(got) != 1 || verbsOf(got)[0] != "read" {
			t.Errorf("after reconnecting: %v, want exactly one read", verbsOf(got))
		}
		opt, closeOpt = b.options(t)
		defer closeOpt()
		if st := status(t, opt); len(st["queue"].([]any)) != 0 {
			t.Errorf("queue still holds %v", st["queue"])
		}
	})
}

// checkVideoWatched checks the statements of the 3-second clip played once to the end:
// initialized, played, completed, terminated, by Ada, about a video of about 3 s, one
// played segment from the start, completion at the threshold and progress 1 at the end.
func checkVideoWatched(t *testing.T, got []map[string]any) {
	t.Helper()
	if v := strings.Join(verbsOf(got), ","); v != "initialized,played,completed,terminated" {
		t.Fatalf("verbs %s, want initialized,played,completed,terminated", v)
	}
	for _, st := range got {
		if st["actor"].(map[string]any)["mbox"] != "mailto:ada@example.com" {
			t.Errorf("actor %v", st["actor"])
		}
		def := st["object"].(map[string]any)["definition"].(map[string]any)
		if def["type"] != "https://w3id.org/xapi/video/activity-type/video" {
			t.Errorf("object type %v", def["type"])
		}
		ctx := st["context"].(map[string]any)
		length, _ := ctx["extensions"].(map[string]any)["https://w3id.org/xapi/video/extensions/length"].(float64)
		if length < 2.5 || length > 3.5 {
			t.Errorf("%s: length %v, want about 3", verbsOf([]map[string]any{st}), length)
		}
	}
	completed := got[2]["result"].(map[string]any)
	ext := completed["extensions"].(map[string]any)
	if p := ext["https://w3id.org/xapi/video/extensions/progress"].(float64); p < 0.9 || completed["completion"] != true {
		t.Errorf("completed: progress %v completion %v", p, completed["completion"])
	}
	// One segment from the start (the play event arrives a few milliseconds in).
	seg, _ := ext["https://w3id.org/xapi/video/extensions/played-segments"].(string)
	var from, to float64
	if _, err := fmt.Sscanf(strings.ReplaceAll(seg, "[.]", " "), "%g %g", &from, &to); err != nil || strings.Contains(seg, "[,]") || from > 0.1 || to < 2.5 {
		t.Errorf("played segments %q, want one from 0 to the threshold", seg)
	}
	term := got[3]["result"].(map[string]any)["extensions"].(map[string]any)
	if p := term["https://w3id.org/xapi/video/extensions/progress"].(float64); p < 0.99 {
		t.Errorf("terminated: progress %v, want 1", p)
	}
}

// checkVideoPausedAndSought checks the statements of the clip played to 1 s, paused,
// sought to 2 s and played to the end: initialized, played, paused, seeked, played,
// terminated, the seek's times, two played segments and the progress they make.
func checkVideoPausedAndSought(t *testing.T, got []map[string]any) {
	t.Helper()
	if v := strings.Join(verbsOf(got), ","); v != "initialized,played,paused,seeked,played,terminated" {
		t.Fatalf("verbs %s, want initialized,played,paused,seeked,played,terminated", v)
	}
	ext := func(i int) map[string]any { return got[i]["result"].(map[string]any)["extensions"].(map[string]any) }
	const v = "https://w3id.org/xapi/video/extensions/"
	if from, to := ext(3)[v+"time-from"].(float64), ext(3)[v+"time-to"].(float64); from < 1 || from > 1.5 || to != 2 {
		t.Errorf("seeked from %v to %v, want about 1 to 2", from, to)
	}
	segs, _ := ext(5)[v+"played-segments"].(string)
	if n := strings.Count(segs, "[,]"); n != 1 {
		t.Errorf("terminated: played segments %q, want two", segs)
	}
	if p := ext(5)[v+"progress"].(float64); p < 0.5 || p > 0.8 {
		t.Errorf("terminated: progress %v, want about (1+0.9)/2.9", p)
	}
}

// checkRead checks a read statement: Ada, the read verb, an article named name, a
// duration from minSec to maxSec, a scroll depth of at least 0.5 and the platform.
func checkRead(t *testing.T, st map[string]any, name string, minSec, maxSec float64) {
	t.Helper()
	if st["actor"].(map[string]any)["mbox"] != "mailto:ada@example.com" {
		t.Errorf("actor %v", st["actor"])
	}
	if st["verb"].(map[string]any)["id"] != "https://w3id.org/xapi/adb/verbs/read" {
		t.Errorf("verb %v", st["verb"])
	}
	obj := st["object"].(map[string]any)
	def := obj["definition"].(map[string]any)
	if def["type"] != "http://activitystrea.ms/article" || def["name"].(map[string]any)["und"] != name {
		t.Errorf("object %v", obj)
	}
	res := st["result"].(map[string]any)
	dur, err := parseSeconds(res["duration"].(string))
	if err != nil || dur < minSec || dur > maxSec {
		t.Errorf("duration %v (%v), want the active time, %v to %v s", res["duration"], err, minSec, maxSec)
	}
	depth := res["extensions"].(map[string]any)["https://cairn-lrs.github.io/xapi/extensions/scroll-depth"].(float64)
	if depth < 0.5 || depth > 1 {
		t.Errorf("scroll depth %v", depth)
	}
	if st["context"].(map[string]any)["platform"] != "Browser extension" {
		t.Errorf("context %v", st["context"])
	}
}

func (b *browser) runIn(t *testing.T, ctx context.Context, actions ...act) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// waitText waits until the element's text is want.
func waitText(sel, want string) act {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			var got string
			var err error
			if got, err = chromedp.Text(chromedp.CSS(sel), chromedp.NodeReady)(ctx, tg); err != nil {
				return err
			}
			if strings.TrimSpace(got) == want {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s says %q, want %q", sel, got, want)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// parseSeconds reads the PT…S durations the extension writes.
func parseSeconds(d string) (float64, error) {
	rest, ok := strings.CutPrefix(d, "PT")
	if !ok {
		return 0, fmt.Errorf("not a PT duration: %q", d)
	}
	total := 0.0
	for _, unit := range []struct {
		s string
		f float64
	}{{"H", 3600}, {"M", 60}, {"S", 1}} {
		if i := strings.Index(rest, unit.s); i >= 0 {
			var v float64
			if _, err := fmt.Sscanf(rest[:i], "%g", &v); err != nil {
				return 0, err
			}
			total += v * unit.f
			rest = rest[i+1:]
		}
	}
	return total, nil
}

// act is one browser step.
type act = chromedp.Action[chromedp.Void]

// evaluate runs a script and decodes its result into out (nil: result ignored).
func evaluate(expr string, out any, opts ...chromedp.EvaluateOption) act {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := chromedp.Evaluate[json.RawMessage](expr, opts...)(ctx, tg)
		if err != nil || out == nil {
			return err
		}
		return json.Unmarshal(v, out)
	})
}

// awaitPromise makes evaluate wait for the promise a script returns.
func awaitPromise(p *cdpruntime.EvaluateParams) {
	yes := true
	p.AwaitPromise = &yes
}

// poll waits until expr is truthy and decodes its value into out (nil: ignored).
func poll(expr string, out any, opts ...chromedp.PollOption) act {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := chromedp.Poll[json.RawMessage](expr, opts...)(ctx, tg)
		if err != nil || out == nil {
			return err
		}
		return json.Unmarshal(v, out)
	})
}

// text reads the visible text of the first element sel matches into out.
func text(sel string, out *string) act {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := chromedp.Text(chromedp.CSS(sel))(ctx, tg)
		*out = v
		return err
	})
}

// focusEmulation makes the page act focused: headless Chromium reports no window focus.
var focusEmulation = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
	return err
})
