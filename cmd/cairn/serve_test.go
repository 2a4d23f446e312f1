package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitReady polls base+/readyz until it answers 200, failing t after timeout or when
// exited is closed first.
func waitReady(t *testing.T, base string, exited <-chan struct{}, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatal("cairn exited before it was ready")
		default:
		}
		res, err := client.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/readyz not ready after %s", base, timeout)
}

func TestServeOnEmptyStoreExplainsCredentials(t *testing.T) {
	for _, store := range storeURLs() {
		t.Run(store.kind, func(t *testing.T) { testServeOnEmptyStore(t, store.kind, store.url(t)) })
	}
}

func testServeOnEmptyStore(t *testing.T, kind, storeURL string) {
	addr := freeAddr(t)
	env := envOf(map[string]string{"CAIRN_STORE": storeURL, "CAIRN_ADDR": addr})
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan struct{})
	code := -1
	go func() {
		defer close(exited)
		code = run(ctx, []string{"serve", "--log-format", "json", "--shutdown-timeout", "5s"}, env, &stdout, &stderr)
	}()
	waitReady(t, "http://"+addr, exited, 30*time.Second)
	if res, err := http.Get("http://" + addr + "/"); err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET / (the Q&A hub): %v %v", res, err)
	} else {
		res.Body.Close()
	}

	logs := stderr.String()
	for _, w := range []string{
		`"msg":"cairn started"`, fmt.Sprintf(`"addr":%q`, addr), `"store_kind":"` + kind + `"`,
		"cairn credentials create --name NAME --scopes all",
	} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q:\n%s", w, logs)
		}
	}

	cancel()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	if code != 0 {
		t.Errorf("exit status %d, want 0\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), `"msg":"cairn stopped"`) {
		t.Errorf("no stop logged:\n%s", stderr.String())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("%s still accepts connections after serve returned", addr)
	}
}

func TestServeReportsBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runCLI(t, map[string]string{"CAIRN_STORE": "sqlite:" + filepath.Join(t.TempDir(), "c.db")},
		"serve", "--addr", ln.Addr().String(), "--log-level", "error")
	if code != 1 || !strings.Contains(stderr, "cairn serve: listen:") {
		t.Errorf("status %d, stderr %q; want 1 and a listen error", code, stderr)
	}
}
