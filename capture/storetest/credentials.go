package storetest

import (
	"reflect"
	"slices"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

// credentialTests cover capture.CredentialStore.
var credentialTests = []contractTest{
	{"CreateAndGet", testCredentialCreateAndGet},
	{"CreateConflict", testCredentialCreateConflict},
	{"ListOldestFirst", testCredentialListOldestFirst},
	{"Revoke", testCredentialRevoke},
	{"Touch", testCredentialTouch},
	{"PersonalAgent", testCredentialPersonalAgent},
	{"ConnectCodes", testConnectCodes},
}

// cred builds a credential created at at(created).
func cred(key string, created int) capture.Credential {
	return capture.Credential{
		Key:        key,
		Name:       "name of " + key,
		SecretHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$" + key,
		Scopes:     []string{"statements/write", "statements/read/mine"},
		CreatedAt:  at(created),
	}
}

// wantCred fails the test unless got equals want field by field.
func wantCred(t *testing.T, got, want capture.Credential) {
	t.Helper()
	if got.Key != want.Key || got.Name != want.Name || got.SecretHash != want.SecretHash ||
		!slices.Equal(got.Scopes, want.Scopes) || got.Trusted != want.Trusted ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastUsedAt.Equal(want.LastUsedAt) || !got.RevokedAt.Equal(want.RevokedAt) ||
		!reflect.DeepEqual(got.Agent, want.Agent) {
		t.Errorf("credential = %+v, want %+v", got, want)
	}
}

func testCredentialCreateAndGet(t *testing.T, s capture.Store) {
	_, err := s.Credential(ctx(t), "missing")
	wantCode(t, "Credential(missing)", err, capture.CodeNotFound)

	plain := cred("key-1", 1)
	trusted := cred("key-2", 2)
	trusted.Trusted = true
	trusted.Scopes = []string{"all"}
	for _, c := range []capture.Credential{plain, trusted} {
		if err := s.CreateCredential(ctx(t), c); err != nil {
			t.Fatalf("CreateCredential(%s): %v", c.Key, err)
		}
	}
	for _, c := range []capture.Credential{plain, trusted} {
		got, err := s.Credential(ctx(t), c.Key)
		if err != nil {
			t.Fatalf("Credential(%s): %v", c.Key, err)
		}
		wantCred(t, got, c)
		if !got.LastUsedAt.IsZero() || !got.RevokedAt.IsZero() {
			t.Errorf("new credential %s: LastUsedAt %v RevokedAt %v, want zero", c.Key, got.LastUsedAt, got.RevokedAt)
		}
	}
}

func testCredentialCreateConflict(t *testing.T, s capture.Store) {
	c := cred("key-1", 1)
	if err := s.CreateCredential(ctx(t), c); err != nil {
		t.Fatalf("CreateCredential: %v", err)
	}
	again := cred("key-1", 2)
	again.Name = "impostor"
	wantCode(t, "CreateCredential with an existing key", s.CreateCredential(ctx(t), again), capture.CodeConflict)
	got, err := s.Credential(ctx(t), "key-1")
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	wantCred(t, got, c)
}

func testCredentialListOldestFirst(t *testing.T, s capture.Store) {
	if list, err := s.Credentials(ctx(t)); err != nil || len(list) != 0 {
		t.Errorf("Credentials on an empty store = %v, %v; want none", list, err)
	}
	for _, c := range []capture.Credential{cred("b", 3), cred("c", 1), cred("a", 2)} {
		if err := s.CreateCredential(ctx(t), c); err != nil {
			t.Fatalf("CreateCredential(%s): %v", c.Key, err)
		}
	}
	if err := s.RevokeCredential(ctx(t), "a", at(9)); err != nil {
		t.Fatalf("RevokeCredential: %v", err)
	}
	list, err := s.Credentials(ctx(t))
	if err != nil {
		t.Fatalf("Credentials: %v", err)
	}
	var keys []string
	for _, c := range list {
		keys = append(keys, c.Key)
	}
	wantIDs(t, "Credentials order (revoked ones included)", keys, []string{"c", "a", "b"})
	if len(list) == 3 {
		want := cred("c", 1)
		wantCred(t, list[0], want)
		if !list[1].RevokedAt.Equal(at(9)) {
			t.Errorf("listed revoked credential RevokedAt = %v, want %v", list[1].RevokedAt, at(9))
		}
	}
}

func testCredentialRevoke(t *testing.T, s capture.Store) {
	wantCode(t, "RevokeCredential(unknown)", s.RevokeCredential(ctx(t), "missing", at(1)), capture.CodeNotFound)
	for _, c := range []capture.Credential{cred("k", 1), cred("other", 1)} {
		if err := s.CreateCredential(ctx(t), c); err != nil {
			t.Fatalf("CreateCredential: %v", err)
		}
	}
	if err := s.RevokeCredential(ctx(t), "k", at(5)); err != nil {
		t.Fatalf("RevokeCredential: %v", err)
	}
	if err := s.RevokeCredential(ctx(t), "k", at(7)); err != nil {
		t.Fatalf("repeat RevokeCredential: %v", err)
	}
	got, err := s.Credential(ctx(t), "k")
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	want := cred("k", 1)
	want.RevokedAt = at(5)
	wantCred(t, got, want)
	if other, err := s.Credential(ctx(t), "other"); err != nil || !other.RevokedAt.IsZero() {
		t.Errorf("other credential: RevokedAt %v, %v; want zero", other.RevokedAt, err)
	}
}

func testCredentialTouch(t *testing.T, s capture.Store) {
	wantCode(t, "TouchCredential(unknown)", s.TouchCredential(ctx(t), "missing", at(1)), capture.CodeNotFound)
	if err := s.CreateCredential(ctx(t), cred("k", 1)); err != nil {
		t.Fatalf("CreateCredential: %v", err)
	}
	if err := s.TouchCredential(ctx(t), "k", at(3)); err != nil {
		t.Fatalf("TouchCredential: %v", err)
	}
	got, err := s.Credential(ctx(t), "k")
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	want := cred("k", 1)
	want.LastUsedAt = at(3)
	wantCred(t, got, want)
}

func testCredentialPersonalAgent(t *testing.T, s capture.Store) {
	c := cred("personal", 1)
	c.Agent = map[string]any{"objectType": "Agent", "name": "Ada", "account": map[string]any{"homePage": "https://hub.example.com", "name": "ada"}}
	if err := s.CreateCredential(ctx(t), c); err != nil {
		t.Fatalf("CreateCredential: %v", err)
	}
	got, err := s.Credential(ctx(t), "personal")
	if err != nil {
		t.Fatalf("Credential: %v", err)
	}
	wantCred(t, got, c)
	list, err := s.Credentials(ctx(t))
	if err != nil || len(list) != 1 {
		t.Fatalf("Credentials = %v, %v", list, err)
	}
	wantCred(t, list[0], c)
}

func testConnectCodes(t *testing.T, s capture.Store) {
	agent := map[string]any{"objectType": "Agent", "mbox": "mailto:ada@example.com"}
	c := capture.ConnectCode{Hash: "h1", Agent: agent, CreatedAt: at(1), ExpiresAt: at(100)}
	if err := s.CreateConnectCode(ctx(t), c); err != nil {
		t.Fatalf("CreateConnectCode: %v", err)
	}
	wantCode(t, "CreateConnectCode with an existing hash", s.CreateConnectCode(ctx(t), c), capture.CodeConflict)
	_, err := s.TakeConnectCode(ctx(t), "unknown")
	wantCode(t, "TakeConnectCode(unknown)", err, capture.CodeNotFound)
	got, err := s.TakeConnectCode(ctx(t), "h1")
	if err != nil {
		t.Fatalf("TakeConnectCode: %v", err)
	}
	if got.Hash != "h1" || !reflect.DeepEqual(got.Agent, agent) || !got.CreatedAt.Equal(at(1)) || !got.ExpiresAt.Equal(at(100)) {
		t.Errorf("TakeConnectCode = %+v, want %+v", got, c)
	}
	_, err = s.TakeConnectCode(ctx(t), "h1")
	wantCode(t, "second TakeConnectCode", err, capture.CodeNotFound)

	// A code made later drops the ones expired by then.
	old := capture.ConnectCode{Hash: "old", Agent: agent, CreatedAt: at(1), ExpiresAt: at(2)}
	if err := s.CreateConnectCode(ctx(t), old); err != nil {
		t.Fatalf("CreateConnectCode(old): %v", err)
	}
	if err := s.CreateConnectCode(ctx(t), capture.ConnectCode{Hash: "new", Agent: agent, CreatedAt: at(3), ExpiresAt: at(9)}); err != nil {
		t.Fatalf("CreateConnectCode(new): %v", err)
	}
	_, err = s.TakeConnectCode(ctx(t), "old")
	wantCode(t, "TakeConnectCode of a code expired before a later create", err, capture.CodeNotFound)
	if _, err := s.TakeConnectCode(ctx(t), "new"); err != nil {
		t.Errorf("TakeConnectCode(new): %v", err)
	}
}
