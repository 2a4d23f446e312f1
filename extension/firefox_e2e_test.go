package extension_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/extension/pack"
)

// addonUUID fixes the add-on's moz-extension:// host in the test profile.
const addonUUID = "5f0c7e2a-8d1b-4c55-9a57-2b6e0d3c9f14"

// firefoxBinary returns the installed Firefox (Debian's firefox-esr first), or "".
func firefoxBinary() string {
	for _, p := range []string{"/usr/bin/firefox-esr", "/usr/bin/firefox"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("firefox"); err == nil {
		return p
	}
	return ""
}

// TestExtensionInFirefox installs the Firefox build of the extension (as
// cmd/cairn-extension packs it) in real headless Firefox, connects it with a connect
// code through its options page, reads a local article and checks the statement that
// arrives in Cairn.
func TestExtensionInFirefox(t *testing.T) {
	bin := firefoxBinary()
	if bin == "" {
		t.Skip("skipping the Firefox test: neither /usr/bin/firefox-esr nor firefox is installed (apt-get install firefox-esr)")
	}
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	files, err := pack.Pack(os.DirFS("src"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var xpi string
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "cairn-firefox-") {
			xpi = f
		}
	}
	if xpi == "" {
		t.Fatalf("no Firefox zip among %v", files)
	}

	site := newPages(t)
	host := strings.TrimPrefix(site.URL, "http://")
	lrs := newCairn(t, []string{host + "/denied"})
	code, _, err := lrs.creds.IssueConnectCode(t.Context(), map[string]any{"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	profile := t.TempDir()
	ff := launchFirefox(t, bin, profile, firefoxPrefs(pack.GeckoID, addonUUID))
	defer func() {
		if t.Failed() {
			t.Logf("firefox log:\n%s", ff.log())
		}
		ff.close()
	}()
	if id := ff.installAddon(t, xpi); id != pack.GeckoID {
		t.Fatalf("installed add-on %q, want %q", id, pack.GeckoID)
	}
	tab := ff.newTab(t)
	read := func(t *testing.T, url string, d time.Duration) {
		t.Helper()
		ff.do(t, "browsingContext.activate", map[string]any{"context": tab})
		ff.navigate(t, tab, url)
		ff.eval(t, tab, `window.scrollTo(0, document.body.scrollHeight), true`, nil)
		time.Sleep(d)
	}
	optionsURL := "moz-extension://" + addonUUID + "/options.html"
	openOptions := func(t *testing.T) string {
		t.Helper()
		opt := ff.newTab(t)
		ff.navigate(t, opt, optionsURL)
		ff.waitFor(t, opt, `document.getElementById('connection').textContent !== ''`, 10*time.Second)
		return opt
	}
	status := func(t *testing.T, opt string) map[string]any {
		t.Helper()
		var st map[string]any
		ff.eval(t, opt, `browser.runtime.sendMessage({type: 'status'})`, &st)
		return st
	}
	save := func(t *testing.T, opt, settings string) {
		t.Helper()
		ff.eval(t, opt, `(() => {
  const $ = (id) => document.getElementById(id);
  $('saved').textContent = '';
  `+settings+`;
  $('save').click();
  return true;
})()`, nil)
		ff.waitFor(t, opt, `document.getElementById('saved').textContent === 'Saved.'`, 10*time.Second)
	}

	// Before connecting nothing is recorded.
	read(t, site.URL+"/article/one", 3*time.Second)

	// Connect with the code and shorten the thresholds in the options page.
	opt := openOptions(t)
	ff.eval(t, opt, `(() => {
  const $ = (id) => document.getElementById(id);
  $('cairnUrl').value = `+jsString(lrs.url())+`;
  $('code').value = `+jsString(code)+`;
  $('connectButton').click();
  return true;
})()`, nil)
	ff.waitFor(t, opt, `document.getElementById('connectResult').textContent === 'Connected.'`, 15*time.Second)
	save(t, opt, `$('readSeconds').value = '2'; $('scrollDepth').value = '0.5'; $('videoCompletion').value = '0.9'; $('retryBaseMs').value = '300'`)
	if st := status(t, opt); st["connected"] != true || st["agent"].(map[string]any)["mbox"] != "mailto:ada@example.com" {
		t.Fatalf("status after connect: %v", st)
	}
	if got := lrs.statements(site.URL + "/article/one"); len(got) != 0 {
		t.Fatalf("recorded before connecting: %v", verbsOf(got))
	}

	t.Run("article read", func(t *testing.T) {
		dayBefore := time.Now().Format(time.DateOnly)
		page := site.URL + "/article/one"
		read(t, page, 4*time.Second)
		got := lrs.waitStatements(t, page, 10*time.Second, "want one read", func(s []map[string]any) bool { return len(s) >= 1 })
		if len(got) != 1 {
			t.Fatalf("statements %v, want one read", verbsOf(got))
		}
		checkRead(t, got[0], "Article /article/one", 2, 10)
		t.Logf("read: duration %v, scroll depth %v", got[0]["result"].(map[string]any)["duration"],
			got[0]["result"].(map[string]any)["extensions"].(map[string]any)["https://cairn-lrs.github.io/xapi/extensions/scroll-depth"])
		read(t, page, 4*time.Second)
		time.Sleep(time.Second)
		if time.Now().Format(time.DateOnly) != dayBefore {
			t.Skip("the day changed while reading again")
		}
		if got := lrs.statements(page); len(got) != 1 {
			t.Errorf("after reading again the same day: %d statements, want 1", len(got))
		}
	})

	t.Run("time in a background tab does not count", func(t *testing.T) {
		page := site.URL + "/article/two"
		read(t, page, 0)
		other := ff.newTab(t)
		ff.do(t, "browsingContext.activate", map[string]any{"context": other})
		var hidden string
		ff.eval(t, tab, `document.visibilityState`, &hidden)
		if hidden != "hidden" {
			t.Fatalf("the article's tab is %q behind another tab, want hidden", hidden)
		}
		time.Sleep(4 * time.Second)
		if got := lrs.statements(page); len(got) != 0 {
			t.Fatalf("recorded while the tab was hidden: %v", verbsOf(got))
		}
		ff.do(t, "browsingContext.close", map[string]any{"context": other})
		ff.do(t, "browsingContext.activate", map[string]any{"context": tab})
		got := lrs.waitStatements(t, page, 10*time.Second, "want one read once the tab is back", func(s []map[string]any) bool { return len(s) >= 1 })
		checkRead(t, got[0], "Article /article/two", 2, 5)
	})

	t.Run("denied site and paused capture send nothing", func(t *testing.T) {
		read(t, site.URL+"/denied/article", 4*time.Second)
		save(t, opt, `$('paused').checked = true`)
		read(t, site.URL+"/article/three", 4*time.Second)
		save(t, opt, `$('paused').checked = false`)
		time.Sleep(time.Second)
		for _, p := range []string{"/denied/article", "/article/three"} {
			if got := lrs.statements(site.URL + p); len(got) != 0 {
				t.Errorf("%s: recorded %v", p, verbsOf(got))
			}
		}
		if st := status(t, opt); len(st["queue"].([]any)) != 0 {
			t.Errorf("queue holds %v", st["queue"])
		}
	})

	t.Run("video watched", func(t *testing.T) {
		// The clip is recorded by Firefox's own MediaRecorder.
		var clip struct {
			Data string `json:"data"`
		}
		ff.navigate(t, tab, site.URL+"/blank")
		ff.eval(t, tab, clipScript, &clip)
		raw, err := base64.StdEncoding.DecodeString(clip.Data)
		if err != nil || len(raw) == 0 {
			t.Fatalf("clip: %d bytes, %v", len(raw), err)
		}
		site.mu.Lock()
		site.clip = raw
		site.mu.Unlock()
		page := site.URL + "/video"
		ff.navigate(t, tab, page)
		time.Sleep(1500 * time.Millisecond) // the viewer presses play once the page is there
		ff.eval(t, tab, `document.getElementById('v').play().then(() => true)`, nil)
		ff.waitFor(t, tab, `document.getElementById('v').ended`, 20*time.Second)
		time.Sleep(1500 * time.Millisecond)
		ff.navigate(t, tab, site.URL+"/blank") // leaving the page terminates the session
		got := lrs.waitStatements(t, page, 10*time.Second, "want initialized, played, completed, terminated", func(s []map[string]any) bool {
			return countVerb(s, "terminated") == 1
		})
		checkVideoWatched(t, got)
	})

	t.Run("video paused and sought", func(t *testing.T) {
		page := site.URL + "/video?part=2" // another activity than the video above
		ff.navigate(t, tab, page)
		time.Sleep(1500 * time.Millisecond)
		ff.eval(t, tab, `document.getElementById('v').play().then(() => true)`, nil)
		ff.waitFor(t, tab, `document.getElementById('v').currentTime >= 1`, 10*time.Second)
		ff.eval(t, tab, `document.getElementById('v').pause(), true`, nil)
		time.Sleep(2 * time.Second) // a real pause: recorded
		ff.eval(t, tab, `new Promise((r) => { const v = document.getElementById('v'); v.addEventListener('seeked', () => r(true), {once: true}); v.currentTime = 2; })`, nil)
		ff.eval(t, tab, `document.getElementById('v').play().then(() => true)`, nil)
		ff.waitFor(t, tab, `document.getElementById('v').ended`, 20*time.Second)
		time.Sleep(1500 * time.Millisecond)
		ff.navigate(t, tab, site.URL+"/blank")
		got := lrs.waitStatements(t, page, 10*time.Second, "want a terminated", func(s []map[string]any) bool {
			return countVerb(s, "terminated") == 1
		})
		checkVideoPausedAndSought(t, got)
	})

	t.Run("I learned this", func(t *testing.T) {
		page := site.URL + "/blank"
		var res map[string]any
		ff.eval(t, opt, fmt.Sprintf(`browser.runtime.sendMessage({type: 'learned', page: {url: %s, title: 'Blank page', description: '', article: false}, note: ' Spacing works. ', tags: 'memory, #learning'})`, jsString(page)), &res)
		if res["ok"] != true {
			t.Fatalf("learned: %v", res)
		}
		got := lrs.waitStatements(t, page, 10*time.Second, "want one experienced", func(s []map[string]any) bool { return len(s) >= 1 })
		if verbsOf(got)[0] != "experienced" || got[0]["result"].(map[string]any)["response"] != "Spacing works." {
			t.Errorf("statement %v", got[0])
		}
		popup := ff.newTab(t)
		ff.navigate(t, popup, "moz-extension://"+addonUUID+"/popup.html")
		ff.waitFor(t, popup, `document.getElementById('recent').textContent.includes('experienced: Blank page')`, 10*time.Second)
	})

	t.Run("offline and a browser restart deliver the queue once", func(t *testing.T) {
		page := site.URL + "/article/three"
		lrs.stop()
		read(t, page, 4*time.Second)
		var st map[string]any
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			st = status(t, opt)
			if len(st["queue"].([]any)) > 0 && st["lastError"] != "" || time.Now().After(deadline) {
				break
			}
		}
		if q := st["queue"].([]any); len(q) != 1 || st["lastError"] == "" {
			t.Fatalf("while Cairn is down: queue %d, lastError %q; want 1 waiting with an error", len(q), st["lastError"])
		}
		// Firefox quits with the statement still queued, then Cairn comes back and
		// Firefox starts again on the same profile.
		ff.close()
		lrs.start()
		ff = launchFirefox(t, bin, profile, firefoxPrefs(pack.GeckoID, addonUUID))
		got := lrs.waitStatements(t, page, 20*time.Second, "want the queued read", func(s []map[string]any) bool { return len(s) >= 1 })
		time.Sleep(2 * time.Second) // a duplicate would arrive by now
		if got = lrs.statements(page); len(got) != 1 || verbsOf(got)[0] != "read" {
			t.Errorf("after the restart: %v, want exactly one read", verbsOf(got))
		}
		if st := status(t, openOptions(t)); len(st["queue"].([]any)) != 0 {
			t.Errorf("queue still holds %v", st["queue"])
		}
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
