package storetest

import (
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
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastUsedAt.Equal(want.LastUsedAt) || !got.RevokedAt.Equal(want.RevokedAt) {
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
