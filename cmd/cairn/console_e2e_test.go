package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

const chromium = "/usr/bin/chromium"

// TestConsoleInBrowser signs an admin in through the hub in real headless Chromium,
// filters the statement explorer, downloads the filtered CSV export, opens the
// reports, finds a member on the people page and changes their team and role; a member
// is refused the console.
func TestConsoleInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("browser test skipped: %s is not installed (Debian package chromium)", chromium)
	}
	dir := t.TempDir()
	vars := map[string]string{"CAIRN_STORE": "sqlite:" + filepath.Join(dir, "c.db"), "CAIRN_LOG_LEVEL": "warn"}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("correct horse battery staple"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"users", "create", "--email", "admin@example.com", "--name", "Ada Admin", "--admin", "--password-file", pw},
		{"users", "create", "--email", "member@example.com", "--name", "Max Member", "--password-file", pw},
	} {
		if code, out, errOut := runCLI(t, vars, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	if code, _, errOut := runCLI(t, vars, "statements", "import", filepath.Join("testdata", "import.ndjson")); code != 1 {
		t.Fatalf("import: %d %s", code, errOut) // 1: the fixture has rejected lines on purpose
	}
	base, _ := serveFor(t, vars)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoFirstRun, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	root, cancelRoot := chromedp.NewContext(alloc)
	defer cancelRoot()
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(ctx context.Context, expr string) string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(c, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	signIn := func(ctx context.Context, email string) {
		step(ctx, "sign in "+email,
			chromedp.Navigate(base+"/signin"),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery staple"),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS(`header a[href="/ask"]`)),
		)
	}

	// A tab binds to the context of its first run: open it without a time limit.
	newTab := func() (context.Context, context.CancelFunc) {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
		return ctx, cancel
	}
	member, cancelMember := newTab()
	defer cancelMember()
	signIn(member, "member@example.com")
	step(member, "member opens the console", chromedp.Navigate(base+"/admin/"))
	if body := text(member, `document.body.innerText`); !strings.Contains(body, "for admins") || strings.Contains(body, "Statements stored") {
		t.Errorf("a member sees the console:\n%s", body)
	}

	admin, cancelAdmin := newTab()
	defer cancelAdmin()
	signIn(admin, "admin@example.com")
	step(admin, "filter the explorer by platform",
		chromedp.Navigate(base+"/admin/statements"),
		chromedp.SendKeys(chromedp.CSS("#platform"), "Slack"),
		chromedp.Submit(chromedp.CSS("#platform")),
		// The unfiltered page has the link too: wait for the filtered one.
		chromedp.WaitVisible(chromedp.CSS(`#export-csv[href*="platform=Slack"]`)),
	)
	if n := text(admin, `String(document.querySelectorAll("tbody tr a[href^='/admin/statements/']").length)`); n != "2" {
		t.Errorf("explorer filtered by Slack lists %s statements, want 2", n)
	}

	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(admin, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
		BrowserContextID: chromedp.FromContext(admin).BrowserContextID}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	step(admin, "download the CSV export", chromedp.Click(chromedp.CSS("#export-csv")))
	var csv string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && csv == ""; time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(downloads, "*.csv"))
		if len(files) == 1 {
			b, _ := os.ReadFile(files[0])
			csv = string(b)
		}
	}
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "id,stored,") {
		t.Errorf("downloaded CSV has %d lines, want a header and 2 rows:\n%s", len(lines), csv)
	}

	// The rollup runs in the background after the import; the report shows the
	// statements once it has caught up.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		step(admin, "open the reports", chromedp.Navigate(base+"/admin/reports"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
		if text(admin, `String(document.querySelectorAll("svg.chart rect").length)`) != "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reports show no bars")
		}
	}
	if body := text(admin, `document.body.innerText`); !strings.Contains(body, "Statements per week by source") || !strings.Contains(body, "Article 1") {
		t.Errorf("reports page:\n%s", body)
	}
	// The people page: search the member, put them in a team and make them a moderator.
	step(admin, "search the people page",
		chromedp.Navigate(base+"/admin/people"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	// The search form is a plain GET form: its page is the search result. (Submitting
	// it and waiting for #people would race the unfiltered list still on screen.)
	step(admin, "search for max", chromedp.Navigate(base+"/admin/people?q=max"), chromedp.WaitVisible(chromedp.CSS("#people")))
	if n := text(admin, `String(document.querySelectorAll("#people tbody tr[id^='person-']").length)`); n != "1" {
		t.Fatalf("people search for max lists %s people, want 1:\n%s", n, text(admin, `document.querySelector("#people").outerHTML`))
	}
	id := text(admin, `document.querySelector("#people tbody tr[id^='person-']").id.slice(7)`)
	step(admin, "change the member's team and role",
		chromedp.SetValue(chromedp.CSS("#team-"+id), "Field Sales"),
		chromedp.SetValue(chromedp.CSS("#role-"+id), "moderator"),
		chromedp.Click(chromedp.CSS("#person-"+id+" form button")),
	)
	// The form posts and redirects to the list showing the person by email.
	for deadline := time.Now().Add(20 * time.Second); text(admin, `location.search`) == "?q=max"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("saving the person did not leave the search page")
		}
	}
	step(admin, "wait for the people list", chromedp.WaitVisible(chromedp.CSS("#people")))
	if v := text(admin, `document.querySelector("#team-`+id+`").value + "/" + document.querySelector("#role-`+id+`").value + "/" + location.search`); v != "Field Sales/moderator/?q=member%40example.com" {
		t.Errorf("after saving, the people page shows %q", v)
	}
	step(admin, "open the settings page", chromedp.Navigate(base+"/admin/settings"), chromedp.WaitVisible(chromedp.CSS("#settings")))
	if body := text(admin, `document.body.innerText`); !strings.Contains(body, "Time zone") || !strings.Contains(body, "CAIRN_TIMEZONE") {
		t.Errorf("settings page:\n%s", body)
	}

	// The partners page takes the same sign-in; a member is refused it too.
	step(admin, "open the partners page", chromedp.Navigate(base+"/admin/partners"))
	if body := text(admin, `document.body.innerText`); !strings.Contains(body, "Partners") || strings.Contains(body, "for admins") {
		t.Errorf("partners page for the admin:\n%s", body)
	}
	step(member, "member opens the partners page", chromedp.Navigate(base+"/admin/partners"))
	if body := text(member, `document.body.innerText`); !strings.Contains(body, "for admins") {
		t.Errorf("partners page for a member:\n%s", body)
	}
}
