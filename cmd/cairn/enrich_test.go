package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pageServer serves testdata/enrich/page.html at every path but robots.txt, which allows
// all, and records the requests it receives.
type pageServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

func newPageServer(t *testing.T) *pageServer {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("testdata", "enrich", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	p := &pageServer{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, r)
		p.mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "User-agent: *\nAllow: /\n")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(p.Close)
	return p
}

// seen returns the paths requested so far and the user agent of the last request.
func (p *pageServer) seen() (paths []string, userAgent string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.requests {
		paths = append(paths, r.URL.Path)
		userAgent = r.Header.Get("User-Agent")
	}
	return paths, userAgent
}

// serveWithEnrichment runs `cairn serve` in-process with enrichment on and the given
// allow-private setting, and returns its base URL and a credential.
func serveWithEnrichment(t *testing.T, allowPrivate string) (base, key, secret string) {
	t.Helper()
	vars := map[string]string{
		"CAIRN_STORE": "sqlite:" + filepath.Join(t.TempDir(), "cairn.db"), "CAIRN_LOG_LEVEL": "warn",
		"CAIRN_ENRICH": "true", "CAIRN_ENRICH_ALLOW_PRIVATE": allowPrivate,
	}
	code, out, errOut := runCLI(t, vars, "credentials", "create", "--name", "enrich", "--scopes", "all", "--json")
	m := createdJSON.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("credentials create: status %d\nstdout: %q\nstderr: %s", code, out, errOut)
	}
	addr := freeAddr(t)
	vars["CAIRN_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	var stderr syncBuffer
	go func() {
		defer close(exited)
		if code := run(ctx, []string{"serve", "--shutdown-timeout", "5s"}, envOf(vars), io.Discard, &stderr); code != 0 {
			t.Errorf("serve exited with status %d:\n%s", code, stderr.String())
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop after its context ended")
		}
	})
	base = "http://" + addr
	waitReady(t, base, exited, 30*time.Second)
	return base, m[1], m[2]
}

// postUndefined posts a statement whose object is activityID without a definition.
func postUndefined(t *testing.T, base, key, secret, activityID string) {
	t.Helper()
	id := newUUID(t)
	body := []byte(`{"id":"` + id + `","actor":{"mbox":"mailto:ada@example.com"},` +
		`"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"` + activityID + `"}}`)
	res, err := http.DefaultClient.Do(xapiRequest(t, http.MethodPost, base+"/xapi/statements", key, secret, body))
	if err != nil {
		t.Fatal(err)
	}
	checkPosted(t, res, id)
}

// activityName GETs the Activities resource for id and returns the English name of its
// definition, "" when it has none.
func activityName(t *testing.T, base, key, secret, id string) string {
	t.Helper()
	res, err := http.DefaultClient.Do(xapiRequest(t, http.MethodGet, base+"/xapi/activities?activityId="+url.QueryEscape(id), key, secret, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var act struct {
		ID         string `json:"id"`
		Definition struct {
			Name        map[string]string `json:"name"`
			Description map[string]string `json:"description"`
		} `json:"definition"`
	}
	if err := json.NewDecoder(res.Body).Decode(&act); res.StatusCode != http.StatusOK || err != nil || act.ID != id {
		t.Fatalf("GET activity %s: %s, id %q, %v", id, res.Status, act.ID, err)
	}
	if d := act.Definition.Description["en"]; act.Definition.Name["en"] != "" && !strings.Contains(d, "requests in flight") {
		t.Errorf("definition description = %q, want the page's og:description", d)
	}
	return act.Definition.Name["en"]
}

func TestServeEnrichesUndefinedActivity(t *testing.T) {
	pages := newPageServer(t)
	base, key, secret := serveWithEnrichment(t, "true")
	activity := pages.URL + "/articles/graceful-shutdown"
	if name := activityName(t, base, key, secret, activity); name != "" {
		t.Fatalf("activity before any statement is named %q", name)
	}
	postUndefined(t, base, key, secret, activity)

	deadline := time.Now().Add(5 * time.Second)
	for {
		name := activityName(t, base, key, secret, activity)
		if name == "Graceful shutdown in Go" {
			break
		}
		if time.Now().After(deadline) {
			paths, _ := pages.seen()
			t.Fatalf("after 5s the activity is named %q; page server saw %v", name, paths)
		}
		time.Sleep(50 * time.Millisecond)
	}
	paths, ua := pages.seen()
	if !strings.Contains(strings.Join(paths, " "), "/articles/graceful-shutdown") || !strings.HasPrefix(ua, "Cairn/") || !strings.Contains(ua, base) {
		t.Errorf("page server saw %v with user agent %q, want the page fetched by Cairn/… (+%s)", paths, ua, base)
	}
}

func TestServeEnrichmentRefusesLoopbackByDefault(t *testing.T) {
	pages := newPageServer(t)
	base, key, secret := serveWithEnrichment(t, "false")
	activity := pages.URL + "/articles/private"
	postUndefined(t, base, key, secret, activity)
	time.Sleep(500 * time.Millisecond)
	if paths, _ := pages.seen(); len(paths) != 0 {
		t.Errorf("page server saw %v, want no request to a loopback address", paths)
	}
	if name := activityName(t, base, key, secret, activity); name != "" {
		t.Errorf("activity is named %q, want no definition stored", name)
	}
}
