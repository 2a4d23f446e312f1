package capture_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// fakeClock is a settable clock for services under test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestRevocationElsewhere revokes a credential through another service over the same
// store (another process, such as the CLI): the first service refuses it once its
// cached row is older than a second, and not before.
func TestRevocationElsewhere(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	server := capture.NewCredentialService(e.store, "https://lrs.example.com", clock.now)
	cli := capture.NewCredentialService(e.store, "https://lrs.example.com", clock.now)
	c, secret, err := cli.Create(ctx, "laptop", []string{capture.ScopeAll}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(ctx, c.Key, secret); err != nil {
		t.Fatal(err)
	}
	if err := cli.Revoke(ctx, c.Key); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		after time.Duration
		code  capture.Code
	}{
		{0, ""},                      // the row read a moment ago is still fresh
		{999 * time.Millisecond, ""}, // still within a second
		{2 * time.Millisecond, capture.CodeUnauthorized}, // now re-read: revoked
	}
	for _, s := range steps {
		clock.add(s.after)
		if _, err := server.Authenticate(ctx, c.Key, secret); capture.ErrorCode(err) != s.code {
			t.Fatalf("after +%v: got %v, want %q", s.after, err, s.code)
		}
	}
	if _, err := cli.Authenticate(ctx, c.Key, secret); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Fatalf("the revoking service itself: got %v, want unauthorized at once", err)
	}
}

// The admin scope opens the admin API only: no xAPI resource, and no xAPI scope grants it.
func TestAdminScope(t *testing.T) {
	cases := []struct {
		scopes    []string
		admin     bool
		xapiReads bool
	}{
		{[]string{capture.ScopeAdmin}, true, false},
		{[]string{capture.ScopeAll}, false, true},
		{[]string{capture.ScopeAdmin, capture.ScopeStatementsRead}, true, true},
	}
	for _, c := range cases {
		p := capture.Principal{Credential: capture.Credential{Scopes: c.scopes}}
		if got := p.IsAdmin(); got != c.admin {
			t.Errorf("%v: IsAdmin = %v, want %v", c.scopes, got, c.admin)
		}
		for _, res := range []capture.Resource{capture.ResStatements, capture.ResActivities, capture.ResAgents} {
			if got := p.Allows(res, false); got != c.xapiReads {
				t.Errorf("%v: Allows(%s, read) = %v, want %v", c.scopes, res, got, c.xapiReads)
			}
		}
	}
}
