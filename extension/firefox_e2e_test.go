package extension_test

import (
	"encoding/json"
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
	lrs := newCairn(t, nil)
	code, _, err := lrs.creds.IssueConnectCode(t.Context(), map[string]any{"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"}, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	ff := launchFirefox(t, bin, t.TempDir(), firefoxPrefs(pack.GeckoID, addonUUID))
	defer func() {
		if t.Failed() {
			t.Logf("firefox log:\n%s", ff.log())
		}
		ff.close()
	}()
	if id := ff.installAddon(t, xpi); id != pack.GeckoID {
		t.Fatalf("installed add-on %q, want %q", id, pack.GeckoID)
	}

	// Connect with the code and shorten the thresholds in the options page.
	opt := ff.newTab(t)
	ff.navigate(t, opt, "moz-extension://"+addonUUID+"/options.html")
	ff.waitFor(t, opt, `document.getElementById('connection').textContent !== ''`, 10*time.Second)
	ff.eval(t, opt, `(() => {
  const $ = (id) => document.getElementById(id);
  $('cairnUrl').value = `+jsString(lrs.url())+`;
  $('code').value = `+jsString(code)+`;
  $('connectButton').click();
  return true;
})()`, nil)
	ff.waitFor(t, opt, `document.getElementById('connectResult').textContent === 'Connected.'`, 15*time.Second)
	ff.eval(t, opt, `(() => {
  const $ = (id) => document.getElementById(id);
  $('readSeconds').value = '2';
  $('scrollDepth').value = '0.5';
  $('save').click();
  return true;
})()`, nil)
	ff.waitFor(t, opt, `document.getElementById('saved').textContent === 'Saved.'`, 10*time.Second)
	var st map[string]any
	ff.eval(t, opt, `browser.runtime.sendMessage({type: 'status'})`, &st)
	if st["connected"] != true || st["agent"].(map[string]any)["mbox"] != "mailto:ada@example.com" {
		t.Fatalf("status after connect: %v", st)
	}

	t.Run("article read", func(t *testing.T) {
		page := site.URL + "/article/one"
		tab := ff.newTab(t)
		ff.do(t, "browsingContext.activate", map[string]any{"context": tab})
		ff.navigate(t, tab, page)
		ff.eval(t, tab, `window.scrollTo(0, document.body.scrollHeight), true`, nil)
		time.Sleep(4 * time.Second)
		got := lrs.waitStatements(t, page, 10*time.Second, "want one read", func(s []map[string]any) bool { return len(s) >= 1 })
		if len(got) != 1 {
			t.Fatalf("statements %v, want one read", verbsOf(got))
		}
		checkRead(t, got[0], "Article /article/one", 2, 10)
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
