package capture_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// statementBy returns a minimal statement with actor mbox and object activity.
func statementBy(mbox, activity string) capture.Statement {
	return capture.Statement{
		"actor":  map[string]any{"objectType": "Agent", "mbox": mbox},
		"verb":   map[string]any{"id": "https://w3id.org/xapi/adb/verbs/read"},
		"object": map[string]any{"objectType": "Activity", "id": activity},
	}
}

// personal connects ada through a connect code and returns her principal.
func personal(t *testing.T, e *env, mbox string) capture.Principal {
	t.Helper()
	ctx := context.Background()
	code, _, err := e.creds.IssueConnectCode(ctx, map[string]any{"objectType": "Agent", "name": "Ada", "mbox": mbox}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, secret, err := e.creds.RedeemConnectCode(ctx, code, "Browser extension", []string{capture.ScopeStatementsWrite, capture.ScopeStatementsReadMine})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.creds.Authenticate(ctx, c.Key, secret)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPersonalCredentialWrites(t *testing.T) {
	e := newEnv(t)
	ada := personal(t, e, "mailto:ada@example.com")
	if ada.AgentKey != "mbox:mailto:ada@example.com" {
		t.Fatalf("AgentKey = %q", ada.AgentKey)
	}
	tests := []struct {
		name  string
		stmts []capture.Statement
		code  capture.Code
		msg   string
	}{
		{"own actor", []capture.Statement{statementBy("mailto:ada@example.com", "https://example.com/a")}, "", ""},
		{"own actor, domain case differs", []capture.Statement{statementBy("mailto:ada@EXAMPLE.com", "https://example.com/b")}, "", ""},
		{"other actor", []capture.Statement{statementBy("mailto:bob@example.com", "https://example.com/a")}, capture.CodeForbidden, "may only write statements whose actor is mbox:mailto:ada@example.com"},
		{"other actor in a batch", []capture.Statement{statementBy("mailto:ada@example.com", "https://example.com/c"), statementBy("mailto:bob@example.com", "https://example.com/a")}, capture.CodeForbidden, "statements[1].actor"},
		{"voiding", []capture.Statement{{
			"actor":  map[string]any{"mbox": "mailto:ada@example.com"},
			"verb":   map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"},
			"object": map[string]any{"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"},
		}}, capture.CodeForbidden, "may not void"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.write(t, ada, tt.stmts...)
			if capture.ErrorCode(err) != tt.code {
				t.Fatalf("Write: %v, want code %q", err, tt.code)
			}
			if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err.Error(), tt.msg)
			}
		})
	}
	// Nothing of the refused batch was stored.
	if got := e.queryAll(t, e.all, capture.StatementParams{ActivityID: "https://example.com/c"}); len(got) != 0 {
		t.Errorf("refused batch stored %d statements", len(got))
	}
}

func TestPersonalCredentialReads(t *testing.T) {
	e := newEnv(t)
	ada := personal(t, e, "mailto:ada@example.com")
	// Written by an admin credential: ada's statement and bob's.
	ids := e.mustWrite(t, statementBy("mailto:ada@example.com", "https://example.com/admin"), statementBy("mailto:bob@example.com", "https://example.com/bob"))
	// Written by ada herself through an earlier personal credential.
	earlier := personal(t, e, "mailto:ada@example.com")
	if _, err := e.write(t, earlier, statementBy("mailto:ada@example.com", "https://example.com/earlier")); err != nil {
		t.Fatal(err)
	}
	got := e.queryAll(t, ada, capture.StatementParams{})
	if len(got) != 2 {
		t.Fatalf("personal read saw %d statements, want ada's 2: %v", len(got), got)
	}
	for _, s := range got {
		if s["actor"].(map[string]any)["mbox"] != "mailto:ada@example.com" {
			t.Errorf("personal read returned %v", s["actor"])
		}
	}
	// Asking for bob's statements by filter or by id finds nothing.
	if got := e.queryAll(t, ada, capture.StatementParams{AgentKey: "mbox:mailto:bob@example.com"}); len(got) != 0 {
		t.Errorf("agent=bob under ada's credential returned %d", len(got))
	}
	_, err := e.stmts.Read(context.Background(), capture.ReadRequest{Params: capture.StatementParams{StatementID: ids[1]}, Principal: ada})
	if capture.ErrorCode(err) != capture.CodeNotFound {
		t.Errorf("bob's statement by id: %v, want not found", err)
	}
	if _, err := e.stmts.Read(context.Background(), capture.ReadRequest{Params: capture.StatementParams{StatementID: ids[0]}, Principal: ada}); err != nil {
		t.Errorf("ada's statement by id: %v", err)
	}
}

func TestConnectCodes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	svc := capture.NewCredentialService(e.store, "https://lrs.example.com", clock.now)
	agent := map[string]any{"mbox": "mailto:ada@example.com"}
	scopes := []string{capture.ScopeStatementsWrite}

	for _, bad := range []struct {
		agent map[string]any
		ttl   time.Duration
	}{{agent, 0}, {agent, 25 * time.Hour}, {map[string]any{"name": "no ifi"}, time.Minute}} {
		if _, _, err := svc.IssueConnectCode(ctx, bad.agent, bad.ttl); capture.ErrorCode(err) != capture.CodeInvalid {
			t.Errorf("IssueConnectCode(%v, %v) = %v, want invalid", bad.agent, bad.ttl, err)
		}
	}

	code, expires, err := svc.IssueConnectCode(ctx, agent, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !expires.Equal(clock.now().Add(15 * time.Minute)) {
		t.Errorf("expires %v", expires)
	}
	c, secret, err := svc.RedeemConnectCode(ctx, " "+code+"\n", "Browser extension", scopes)
	if err != nil {
		t.Fatal(err)
	}
	if c.Agent["mbox"] != "mailto:ada@example.com" || c.Name != "Browser extension" || secret == "" {
		t.Errorf("credential %+v", c)
	}
	stored, err := e.store.Credential(ctx, c.Key)
	if err != nil || stored.Agent["mbox"] != "mailto:ada@example.com" {
		t.Errorf("stored credential agent %v, %v", stored.Agent, err)
	}
	if _, _, err := svc.RedeemConnectCode(ctx, code, "Browser extension", scopes); err != capture.ErrConnectCode {
		t.Errorf("second redeem: %v, want ErrConnectCode", err)
	}
	if _, _, err := svc.RedeemConnectCode(ctx, "made-up", "Browser extension", scopes); err != capture.ErrConnectCode {
		t.Errorf("unknown code: %v", err)
	}

	expired, _, err := svc.IssueConnectCode(ctx, agent, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if _, _, err := svc.RedeemConnectCode(ctx, expired, "Browser extension", scopes); err != capture.ErrConnectCode {
		t.Errorf("expired code: %v", err)
	}

	// Concurrent redeems of one code: exactly one credential.
	race, _, err := svc.IssueConnectCode(ctx, agent, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := svc.RedeemConnectCode(ctx, race, "Browser extension", scopes); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d concurrent redeems succeeded, want 1", won)
	}
	mine, err := svc.PersonalCredentials(ctx, "mbox:mailto:ada@example.com")
	if err != nil || len(mine) != 2 {
		t.Errorf("PersonalCredentials = %d, %v; want 2", len(mine), err)
	}
}
