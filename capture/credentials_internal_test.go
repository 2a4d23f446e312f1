package capture

import (
	"context"
	"sync"
	"testing"
	"time"
)

// memCredentials is a CredentialStore in a map, for tests of the service's own logic.
type memCredentials struct {
	mu sync.Mutex
	m  map[string]Credential
}

func (s *memCredentials) CreateCredential(_ context.Context, c Credential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[c.Key]; ok {
		return Errorf(CodeConflict, "exists")
	}
	s.m[c.Key] = c
	return nil
}

func (s *memCredentials) Credential(_ context.Context, key string) (Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[key]
	if !ok {
		return Credential{}, Errorf(CodeNotFound, "no credential")
	}
	return c, nil
}

func (s *memCredentials) Credentials(context.Context) ([]Credential, error) { return nil, nil }

func (s *memCredentials) RevokeCredential(context.Context, string, time.Time) error { return nil }

func (s *memCredentials) TouchCredential(context.Context, string, time.Time) error { return nil }

func (s *memCredentials) PersonalCredentials(context.Context, string) ([]Credential, error) {
	return nil, nil
}

func (s *memCredentials) CreateConnectCode(context.Context, ConnectCode) error { return nil }

func (s *memCredentials) TakeConnectCode(context.Context, string) (ConnectCode, error) {
	return ConnectCode{}, Errorf(CodeNotFound, "no code")
}

// TestConcurrentFirstLogins: many requests with the same new credential at once run
// the slow KDF once per KDF slot at most, not once each; a wrong secret among them is
// still refused.
func TestConcurrentFirstLogins(t *testing.T) {
	svc := NewCredentialService(&memCredentials{m: map[string]Credential{}}, "https://lrs.example.com", nil)
	cred, secret, err := svc.Create(t.Context(), "client", []string{ScopeAll}, false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 16 {
		wg.Go(func() {
			_, err := svc.Authenticate(t.Context(), cred.Key, secret)
			errs <- err
		})
	}
	wg.Go(func() {
		if _, err := svc.Authenticate(t.Context(), cred.Key, "wrong secret"); ErrorCode(err) != CodeUnauthorized {
			t.Errorf("a wrong secret among the first logins: %v, want unauthorized", err)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("authenticate: %v", err)
		}
	}
	// Up to kdfConcurrency requests may check the right secret side by side, and the
	// wrong one needs its own run.
	if n := svc.kdfRuns.Load(); n > kdfConcurrency+1 {
		t.Errorf("16 concurrent first logins ran the KDF %d times, want at most %d", n, kdfConcurrency+1)
	}
}
