package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExtensionConnectsWithHubSignIn: with the hub served, a signed-in person's
// browser extension (an extension Origin) gets a personal credential bound to that
// person's hub agent; a web page's request (another Origin) gets none.
func TestExtensionConnectsWithHubSignIn(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CAIRN_STORE": "sqlite:" + filepath.Join(dir, "c.db"), "CAIRN_LOG_LEVEL": "warn",
		"CAIRN_AGENT_HOME_PAGE": "https://people.example.com"}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("correct horse battery staple"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, vars, "users", "create", "--email", "ana@example.com", "--name", "Ana", "--password-file", pw); code != 0 {
		t.Fatalf("users create: %d %s %s", code, out, errOut)
	}
	base, _ := serveFor(t, vars)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	res, err = client.PostForm(base+"/signin", url.Values{"csrf": {string(m[1])}, "email": {"ana@example.com"}, "password": {"correct horse battery staple"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	connect := func(origin string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/extension/connect", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if status, _ := connect("https://evil.example.com"); status != http.StatusUnauthorized {
		t.Errorf("connect from a web page: %d, want 401", status)
	}
	status, body := connect("chrome-extension://abcdefghijklmnopabcdefghijklmnop")
	agent, _ := body["agent"].(map[string]any)
	account, _ := agent["account"].(map[string]any)
	if status != 200 || body["key"] == nil || account["homePage"] != "https://people.example.com" {
		t.Fatalf("connect from the extension: %d %v; want a credential for Ana's account agent", status, body)
	}
}
