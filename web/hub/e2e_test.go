package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// startBrowser starts headless Chromium and returns a context whose browser has run.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s is not installed (Debian package chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoFirstRun, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return root
}

// newProfile returns a tab in a fresh browser context: its own cookies, like another person.
func newProfile(t *testing.T, root context.Context) context.Context {
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab and binds it to the context it is given: no time limit here.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// do runs steps with a time limit, failing the test with what on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func signUpInBrowser(t *testing.T, ctx context.Context, base, name, email string) {
	do(t, ctx, "sign up "+email,
		chromedp.Navigate(base+"/signup"),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.SendKeys(chromedp.CSS("#password2"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("#create-account")),
		chromedp.WaitVisible(chromedp.CSS(`header a[href="/ask"]`)),
	)
}

// screenshot saves the page as NAME.png in $CAIRN_SCREENSHOTS_DIR when it is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("CAIRN_SCREENSHOTS_DIR")
	if dir == "" {
		return
	}
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// xapiStatements reads GET /xapi/statements with a credential.
func xapiStatements(t *testing.T, base, key, secret string, params url.Values) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/xapi/statements?"+params.Encode(), nil)
	req.SetBasicAuth(key, secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Statements []map[string]any `json:"statements"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("GET /xapi/statements?%s: %d", params.Encode(), resp.StatusCode)
	}
	return out.Statements
}

// TestBrowserAskAnswerVoteAccept: two people sign up in real Chromium, one asks, the
// other answers and votes, the asker accepts; each step's statement is read back
// through GET /xapi/statements.
func TestBrowserAskAnswerVoteAccept(t *testing.T) {
	root := startBrowser(t)
	s := startServer(t, qa.SignupOpen)
	ana, bo := newProfile(t, root), newProfile(t, root)

	signUpInBrowser(t, ana, s.URL, "Ana Asker", "ana@example.com")
	signUpInBrowser(t, bo, s.URL, "Bo Answerer", "bo@example.com")

	do(t, ana, "ask",
		chromedp.Navigate(s.URL+"/ask"),
		chromedp.SendKeys(chromedp.CSS("#title"), "How do I rotate nginx logs every day?"),
		chromedp.SendKeys(chromedp.CSS("#body"), "Our `access.log` grows by **2 GB** a day.\n\n- Debian 12\n- nginx 1.22"),
		chromedp.SendKeys(chromedp.CSS("#tags"), "nginx ops"),
		chromedp.Click(chromedp.CSS("#post-question")),
		chromedp.WaitVisible(chromedp.CSS("article.question h1")),
	)
	qURL := eval[string](t, ana, `location.href`)
	if !strings.HasPrefix(qURL, s.URL+"/questions/") {
		t.Fatalf("after asking the browser is at %s", qURL)
	}
	qIRI := strings.TrimSuffix(qURL, "/")
	if html := eval[string](t, ana, `document.querySelector("article.question .md").innerHTML`); !strings.Contains(html, "<strong>2 GB</strong>") || !strings.Contains(html, "<li>Debian 12</li>") {
		t.Errorf("markdown not rendered: %s", html)
	}
	screenshot(t, ana, "question")

	do(t, bo, "answer",
		chromedp.Navigate(qURL),
		chromedp.SendKeys(chromedp.CSS("#answer-body"), "Use `logrotate` with `daily` and `postrotate` to reopen the logs."),
		chromedp.Click(chromedp.CSS("#post-answer")),
		chromedp.WaitVisible(chromedp.CSS("article.answer")),
	)
	do(t, bo, "similar questions while typing a title",
		chromedp.Navigate(s.URL+"/ask"),
		chromedp.SendKeys(chromedp.CSS("#title"), "rotating nginx logs"),
		chromedp.WaitVisible(chromedp.CSS("#similar li a")),
	)
	if text := eval[string](t, bo, `document.querySelector("#similar li a").textContent`); text != "How do I rotate nginx logs every day?" {
		t.Errorf("suggested %q", text)
	}
	screenshot(t, bo, "ask-similar")
	do(t, bo, "back to the question", chromedp.Navigate(qURL), chromedp.WaitVisible(chromedp.CSS("article.answer")))
	do(t, bo, "vote the question up",
		chromedp.Click(chromedp.CSS("article.question .vote.up")),
		chromedp.WaitVisible(chromedp.CSS("article.question .vote.up.on")),
	)
	if score := eval[string](t, bo, `document.querySelector("article.question .score").textContent`); strings.TrimSpace(score) != "1" {
		t.Errorf("question score after the vote = %q", score)
	}

	do(t, ana, "accept",
		chromedp.Navigate(qURL),
		chromedp.Click(chromedp.CSS("button.accept")),
		chromedp.WaitVisible(chromedp.CSS(".accepted-mark")),
	)
	screenshot(t, ana, "question-accepted")
	// Ana: 1 + 10 (question voted up) + 2 (accepted an answer); Bo: 1 + 15.
	do(t, bo, "reload", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".qlist")))
	if rep := eval[string](t, bo, `document.querySelector("header .rep").textContent`); rep != "16" {
		t.Errorf("answerer's reputation in the header = %q, want 16", rep)
	}
	screenshot(t, bo, "home")
	do(t, bo, "inbox", chromedp.Navigate(s.URL+"/notifications"), chromedp.WaitVisible(chromedp.CSS(".inbox")))
	if text := eval[string](t, bo, `document.querySelector(".inbox").textContent`); !strings.Contains(text, "Ana Asker accepted your answer") {
		t.Errorf("answerer's inbox: %q", text)
	}
	do(t, ana, "profile", chromedp.Navigate(s.URL+"/people/1"), chromedp.WaitVisible(chromedp.CSS("#learning-record")))
	screenshot(t, ana, "profile")

	// Every step is in the LRS, read back with an API credential.
	cred, secret, err := s.creds.Create(t.Context(), "e2e reader", []string{capture.ScopeAll}, false)
	if err != nil {
		t.Fatal(err)
	}
	agent := func(email string) string { return fmt.Sprintf(`{"mbox":"mailto:%s"}`, email) }
	steps := []struct {
		email, verb, object string
	}{
		{"ana@example.com", qa.VerbAsked, qIRI},
		{"bo@example.com", qa.VerbAnswered, s.URL + "/answers/2"},
		{"bo@example.com", qa.VerbVotedUp, qIRI},
		{"ana@example.com", qa.VerbAccepted, s.URL + "/answers/2"},
	}
	for _, st := range steps {
		got := xapiStatements(t, s.URL, cred.Key, secret, url.Values{"agent": {agent(st.email)}, "verb": {st.verb}})
		if len(got) != 1 {
			t.Errorf("%s %s: %d statements, want 1", st.email, st.verb, len(got))
			continue
		}
		obj := got[0]["object"].(map[string]any)
		cx := got[0]["context"].(map[string]any)
		if obj["id"] != st.object || cx["platform"] != qa.Platform {
			t.Errorf("%s %s: object %v, platform %v", st.email, st.verb, obj["id"], cx["platform"])
		}
		if st.object != qIRI {
			ca, _ := cx["contextActivities"].(map[string]any)
			parents, _ := ca["parent"].([]any)
			if len(parents) != 1 || parents[0].(map[string]any)["id"] != qIRI {
				t.Errorf("%s: parent %v, want the question", st.verb, parents)
			}
		}
	}
}

// TestBrowserHostileMarkdown posts hostile markdown and checks in the browser that
// nothing of it runs and nothing dangerous reaches the DOM.
func TestBrowserHostileMarkdown(t *testing.T) {
	root := startBrowser(t)
	s := startServer(t, qa.SignupOpen)
	eve := newProfile(t, root)
	signUpInBrowser(t, eve, s.URL, `Eve <img src=x onerror="window.__xss='name'">`, "eve@example.com")
	body := strings.Join([]string{
		`<script>window.__xss = "script"</script>`,
		`<img src="x" onerror="window.__xss='onerror'">`,
		`<svg onload="window.__xss='svg'"></svg>`,
		`<iframe src="javascript:parent.__xss='iframe'"></iframe>`,
		`[click me](javascript:window.__xss='link')`,
		`<a id="raw" href="javascript:window.__xss='raw'">raw</a>`,
		`<div style="position:fixed;inset:0;background:red">styled</div>`,
		`<style>body{display:none}</style>`,
		"![img](javascript:window.__xss='img')",
		`<form action="https://evil.example"><button>go</button></form>`,
		"plain **bold** text",
	}, "\n\n")
	do(t, eve, "ask hostile",
		chromedp.Navigate(s.URL+"/ask"),
		chromedp.SetValue(chromedp.CSS("#title"), `<script>window.__xss="title"</script> title`),
		chromedp.SetValue(chromedp.CSS("#body"), body),
		chromedp.SetValue(chromedp.CSS("#tags"), "security"),
		chromedp.Click(chromedp.CSS("#post-question")),
		chromedp.WaitVisible(chromedp.CSS("article.question h1")),
	)
	do(t, eve, "comment hostile",
		chromedp.SetValue(chromedp.CSS("#comment-1"), `<img src=x onerror="window.__xss='comment'"> [c](javascript:window.__xss='c')`),
		chromedp.Submit(chromedp.CSS("#comment-1")),
		chromedp.WaitVisible(chromedp.CSS(".comments li")),
	)
	// Click every link in the post bodies, then look for any effect.
	eval[chromedp.Void](t, eve, `document.querySelectorAll(".md a").forEach(function (a) { a.click(); })`)
	time.Sleep(300 * time.Millisecond)
	if got := eval[string](t, eve, `String(window.__xss)`); got != "undefined" {
		t.Errorf("hostile markdown ran: window.__xss = %q", got)
	}
	checks := map[string]string{
		"script elements":      `document.querySelectorAll("script:not([src=\"/static/hub.js\"])").length`,
		"event handlers":       `Array.from(document.querySelectorAll("*")).filter(function (e) { return Array.from(e.attributes).some(function (a) { return a.name.startsWith("on"); }); }).length`,
		"javascript: URLs":     `Array.from(document.querySelectorAll("main [href], main [src], main [action]")).filter(function (e) { return /^\s*javascript:/i.test(e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("action") || ""); }).length`,
		"style in posts":       `document.querySelectorAll(".md [style], .md style").length`,
		"frames, svg, objects": `document.querySelectorAll(".md iframe, .md svg, .md object, .md embed").length`,
		"forms in posts":       `document.querySelectorAll(".md form").length`,
	}
	for what, expr := range checks {
		if n := eval[int](t, eve, expr); n != 0 {
			t.Errorf("%s in the rendered page: %d", what, n)
		}
	}
	if text := eval[string](t, eve, `document.querySelector("article.question h1").textContent`); !strings.Contains(text, "<script>") {
		t.Errorf("the title is not shown as text: %q", text)
	}
	if html := eval[string](t, eve, `document.querySelector("article.question .md").innerHTML`); !strings.Contains(html, "<strong>bold</strong>") {
		t.Errorf("ordinary markdown lost: %s", html)
	}
	if vis := eval[string](t, eve, `getComputedStyle(document.body).display`); vis == "none" {
		t.Error("injected style hid the page")
	}
}

// TestBrowserPhoneAndNoScript renders the main pages at phone width with JavaScript
// off: they work, nothing overflows sideways.
func TestBrowserPhoneAndNoScript(t *testing.T) {
	root := startBrowser(t)
	s := startServer(t, qa.SignupOpen)
	p, err := s.svc.SignUp(t.Context(), "ana@example.com", "Ana", "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Ask(t.Context(), p, "A question that has a fairly long title to wrap on a phone", "body text", []string{"mobile"}); err != nil {
		t.Fatal(err)
	}
	tab := newProfile(t, root)
	do(t, tab, "phone viewport", chromedp.EmulateViewport(375, 740))
	for _, path := range []string{"/", "/questions/1", "/tags", "/signin", "/signup", "/privileges"} {
		do(t, tab, "open "+path, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
		if w := eval[int](t, tab, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %dpx wide on a 375px phone", path, w)
		}
		if n := eval[int](t, tab, `document.querySelectorAll("main input:not([type=hidden]):not([aria-label]), main textarea").length - document.querySelectorAll("main label[for]").length`); n > 0 {
			t.Errorf("%s: %d form fields without a label", path, n)
		}
		switch path {
		case "/":
			screenshot(t, tab, "phone-question-list")
		case "/questions/1":
			screenshot(t, tab, "phone-question")
		}
	}
}
