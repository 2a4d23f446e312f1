package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPeopleEraseHubContent: a person made with `users create` asks a question
// through the hub API and another person's answer names them; after `people erase
// --yes`, neither the question page nor a search by their name, as a running `cairn
// serve` answers them, shows their name or address, and the question is still there.
func TestPeopleEraseHubContent(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CAIRN_STORE": "sqlite:" + filepath.Join(dir, "c.db"), "CAIRN_LOG_LEVEL": "warn"}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("correct horse battery staple"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range [][2]string{{"ana.lindqvist@example.com", "Ana Lindqvist"}, {"bo@example.com", "Bo Berg"}} {
		if code, out, errOut := runCLI(t, vars, "users", "create", "--email", u[0], "--name", u[1], "--password-file", pw); code != 0 {
			t.Fatalf("users create %s: %d %s %s", u[0], code, out, errOut)
		}
	}
	code, out, errOut := runCLI(t, vars, "credentials", "create", "--name", "hub bot", "--scopes", "all,admin", "--json")
	m := createdJSON.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("credentials create: %d %q %s", code, out, errOut)
	}
	key, secret := m[1], m[2]
	base, _ := serveFor(t, vars)

	call := func(method, path, person string, body any) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if person != "" {
			req.SetBasicAuth(key, secret)
			req.Header.Set("X-Cairn-Person", person)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := call(http.MethodPost, "/api/questions", "ana.lindqvist@example.com", map[string]any{
		"title": "Rotating logs with the Ana Lindqvist script", "body": "Ana Lindqvist here; mail ana.lindqvist@example.com", "tags": []string{"logs"}})
	var q struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &q); status != http.StatusCreated || err != nil || q.ID == 0 {
		t.Fatalf("ask: %d %s", status, body)
	}
	if status, body := call(http.MethodPost, "/api/questions/"+strconv.FormatInt(q.ID, 10)+"/answers", "bo@example.com",
		map[string]any{"body": "Ana Lindqvist knows; ask @ana.lindqvist@example.com"}); status != http.StatusCreated {
		t.Fatalf("answer: %d %s", status, body)
	}
	page := "/questions/" + strconv.FormatInt(q.ID, 10)
	search := "/?q=" + url.QueryEscape("Ana Lindqvist")
	if status, body := call(http.MethodGet, page, "", nil); status != 200 || !strings.Contains(body, "Ana Lindqvist script") {
		t.Fatalf("before erasure GET %s: %d, want her name shown", page, status)
	}
	if status, body := call(http.MethodGet, search, "", nil); status != 200 || !strings.Contains(body, `href="`+page+`"`) {
		t.Fatalf("before erasure GET %s: %d, want her question found", search, status)
	}

	code, out, errOut = runCLI(t, vars, "people", "erase", "--agent", `{"mbox":"mailto:ana.lindqvist@example.com"}`, "--by", "Dana",
		"--reason", "ticket 12", "--yes", "--json")
	var rec struct {
		StatementsDeleted int
		Parts             []struct {
			Name  string
			Count int
		}
	}
	if err := json.Unmarshal([]byte(out), &rec); code != 0 || err != nil {
		t.Fatalf("people erase: %d %q %s", code, out, errOut)
	}
	hub := -1
	for _, p := range rec.Parts {
		if p.Name == "hub content" {
			hub = p.Count
		}
	}
	if hub < 3 || rec.StatementsDeleted == 0 { // her row, her question, the answer naming her
		t.Fatalf("erasure record: %s", out)
	}

	// The question page and a search that finds the question by its other words show
	// neither her name nor her address; searches by them find nothing (the search
	// page repeats only the query itself).
	for _, path := range []string{page, "/?q=rotating"} {
		status, body := call(http.MethodGet, path, "", nil)
		low := strings.ToLower(body)
		if status != 200 || strings.Contains(low, "lindqvist") || strings.Contains(low, "ana.lindqvist@example.com") {
			t.Errorf("after erasure GET %s: %d, still names her:\n%s", path, status, body)
		}
		if !strings.Contains(body, "Rotating logs with the [erased] script") {
			t.Errorf("after erasure GET %s: the question is gone:\n%s", path, body)
		}
	}
	if _, body := call(http.MethodGet, page, "", nil); !strings.Contains(body, "Erased person") {
		t.Errorf("after erasure the question page does not show the anonymous author:\n%s", body)
	}
	for _, text := range []string{"Ana Lindqvist", "Lindqvist", "ana.lindqvist@example.com"} {
		if status, body := call(http.MethodGet, "/?q="+url.QueryEscape(text), "", nil); status != 200 || strings.Contains(body, `href="`+page+`"`) {
			t.Errorf("after erasure a search for %q: %d, finds her question:\n%s", text, status, body)
		}
	}
	if code, out, _ := runCLI(t, vars, "people", "erase", "--agent", `{"mbox":"mailto:ana.lindqvist@example.com"}`, "--by", "Dana",
		"--reason", "ticket 12", "--yes"); code != 0 || !strings.Contains(out, "hub content: 0") {
		t.Errorf("repeat erasure: %d %s", code, out)
	}
}
