package capture

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// Scopes (xAPI 1.0.3 Communication 4.2).
const (
	ScopeStatementsWrite    = "statements/write"
	ScopeStatementsRead     = "statements/read"
	ScopeStatementsReadMine = "statements/read/mine"
	ScopeAllRead            = "all/read"
	ScopeAll                = "all"
	ScopeDefine             = "define"
	ScopeState              = "state"
	ScopeProfile            = "profile"
	// ScopeAdmin is Cairn's own scope (not xAPI): it allows the admin API
	// (/api/admin/...) and nothing under /xapi.
	ScopeAdmin = "admin"
)

// KnownScopes lists every scope a credential may hold.
var KnownScopes = []string{
	ScopeStatementsWrite, ScopeStatementsRead, ScopeStatementsReadMine,
	ScopeAllRead, ScopeAll, ScopeDefine, ScopeState, ScopeProfile, ScopeAdmin,
}

// Resource names what a request touches, for Principal.Allows.
type Resource string

// The resources.
const (
	ResStatements      Resource = "statements"
	ResState           Resource = "state"
	ResActivityProfile Resource = "activity_profile"
	ResAgentProfile    Resource = "agent_profile"
	ResActivities      Resource = "activities"
	ResAgents          Resource = "agents"
)

// Principal is an authenticated credential with the authority it writes under.
type Principal struct {
	Credential   Credential
	Authority    map[string]any // the agent set as statement authority
	AuthorityKey string         // AgentKeyOf(Authority)
	AgentKey     string         // AgentKeyOf(Credential.Agent) for a personal credential, else empty
}

func (p Principal) has(scopes ...string) bool {
	for _, s := range scopes {
		if slices.Contains(p.Credential.Scopes, s) {
			return true
		}
	}
	return false
}

// Allows reports whether p may read (write=false) or write res (xAPI 1.0.3
// Communication 4.2 scope table). Statement reads under statements/read/mine alone are
// allowed; MineOnly then reports true and the service limits them.
func (p Principal) Allows(res Resource, write bool) bool {
	if p.has(ScopeAll) {
		return true
	}
	if !write && p.has(ScopeAllRead) {
		return true
	}
	switch res {
	case ResStatements:
		if write {
			return p.has(ScopeStatementsWrite)
		}
		return p.has(ScopeStatementsRead, ScopeStatementsReadMine)
	case ResState:
		return p.has(ScopeState)
	case ResActivityProfile, ResAgentProfile:
		return p.has(ScopeProfile)
	case ResActivities, ResAgents:
		return !write && slices.ContainsFunc(p.Credential.Scopes, func(sc string) bool { return sc != ScopeAdmin })
	}
	return false
}

// MineOnly reports whether p's statement reads are limited to statements written under
// its own authority (statements/read/mine without a broader read scope).
func (p Principal) MineOnly() bool {
	return !p.has(ScopeAll, ScopeAllRead, ScopeStatementsRead) && p.has(ScopeStatementsReadMine)
}

// IsAdmin reports whether p may use the admin API (the admin scope).
func (p Principal) IsAdmin() bool { return p.has(ScopeAdmin) }

// readKey returns the match key every statement p reads must carry, or "" for none:
// the person's agent for a personal credential, else the own authority under
// statements/read/mine alone.
func (p Principal) readKey() string {
	switch {
	case p.AgentKey != "":
		return KeyAgent(p.AgentKey)
	case p.MineOnly():
		return KeyAuthority(p.AuthorityKey)
	}
	return ""
}

// CanDefine reports whether statements written by p update canonical activity
// definitions (the define scope, xAPI 1.0.3 Communication 4.2).
func (p Principal) CanDefine() bool { return p.has(ScopeAll, ScopeDefine) }

// Secrets are 256-bit random values that Cairn generates, stored as argon2id hashes
// (OWASP's second recommended setting: 19 MiB, 2 passes). Verifying argon2id on every
// request would cap throughput near a hundred requests a second, so a successful
// verification is remembered in memory as the SHA-256 of the secret, bound to the
// stored hash it was checked against: a later request compares SHA-256 digests in
// constant time, and a changed or revoked credential never matches a stale entry
// (the credential row is read on every request). Failed checks are never cached and
// run at most kdfConcurrency at a time, so wrong secrets cannot exhaust memory.
const (
	argonTime      = 2
	argonMemoryKiB = 19 * 1024
	argonThreads   = 1
	argonKeyLen    = 32
	kdfConcurrency = 2
	touchEvery     = time.Minute
	// credentialTTL is how long a credential row read from the store is reused.
	credentialTTL        = time.Second
	maxCachedCredentials = 10000
)

// HashSecret returns the encoded argon2id hash of secret with a fresh salt.
func HashSecret(secret string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", Internal(err, "cannot generate a salt")
	}
	sum := argon2.IDKey([]byte(secret), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum)), nil
}

// VerifySecret reports whether secret matches an encoded HashSecret value, comparing in
// constant time. A malformed encoding never matches.
func VerifySecret(secret, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 256*1024 || t == 0 || t > 10 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(secret), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CredentialService creates, checks and revokes API credentials.
type CredentialService struct {
	store   CredentialStore
	baseURL string
	now     func() time.Time
	kdf     chan struct{}
	kdfRuns atomic.Int64 // KDF verifications run, for tests

	mu       sync.Mutex
	verified map[string]verifiedSecret   // credential key → last verified secret
	creds    map[string]cachedCredential // credential key → stored row, read within credentialTTL
	touched  map[string]time.Time
}

type cachedCredential struct {
	cred Credential
	read time.Time
}

type verifiedSecret struct {
	secretHash string   // the stored SecretHash it was verified against
	digest     [32]byte // SHA-256 of the secret
}

// NewCredentialService returns a service over store; baseURL is the homePage of the
// authority accounts it builds. now nil means time.Now.
func NewCredentialService(store CredentialStore, baseURL string, now func() time.Time) *CredentialService {
	if now == nil {
		now = time.Now
	}
	return &CredentialService{
		store: store, baseURL: strings.TrimRight(baseURL, "/"), now: now,
		kdf:      make(chan struct{}, kdfConcurrency),
		verified: map[string]verifiedSecret{},
		creds:    map[string]cachedCredential{},
		touched:  map[string]time.Time{},
	}
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", Internal(err, "cannot generate a credential")
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Create makes a credential with a random key and secret and returns it with the
// secret in clear (the only time it exists outside the caller). CodeInvalid for an
// empty name, no scope or an unknown scope.
func (s *CredentialService) Create(ctx context.Context, name string, scopes []string, trusted bool) (Credential, string, error) {
	return s.create(ctx, name, scopes, trusted, nil)
}

func (s *CredentialService) create(ctx context.Context, name string, scopes []string, trusted bool, agent map[string]any) (Credential, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Credential{}, "", Errorf(CodeInvalid, "name: must not be empty")
	}
	if len(scopes) == 0 {
		return Credential{}, "", Errorf(CodeInvalid, "scopes: at least one scope is needed (one of %s)", strings.Join(KnownScopes, ", "))
	}
	clean := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		sc = strings.TrimSpace(sc)
		if !slices.Contains(KnownScopes, sc) {
			return Credential{}, "", Errorf(CodeInvalid, "scopes: unknown scope %q (known: %s)", sc, strings.Join(KnownScopes, ", "))
		}
		if !slices.Contains(clean, sc) {
			clean = append(clean, sc)
		}
	}
	rawKey := make([]byte, 10)
	if _, err := rand.Read(rawKey); err != nil {
		return Credential{}, "", Internal(err, "cannot generate a credential")
	}
	key := hex.EncodeToString(rawKey)
	secret, err := randomToken(32)
	if err != nil {
		return Credential{}, "", err
	}
	hash, err := HashSecret(secret)
	if err != nil {
		return Credential{}, "", err
	}
	c := Credential{Key: key, Name: name, SecretHash: hash, Scopes: clean, Trusted: trusted, CreatedAt: s.now().UTC(), Agent: agent}
	if err := s.store.CreateCredential(ctx, c); err != nil {
		return Credential{}, "", err
	}
	return c, secret, nil
}

// Authority returns the agent that statements written with c carry as authority: an
// account on the instance's base URL named by the credential key.
func (s *CredentialService) Authority(c Credential) (map[string]any, string) {
	agent := map[string]any{
		"objectType": "Agent",
		"name":       c.Name,
		"account":    map[string]any{"homePage": s.baseURL, "name": c.Key},
	}
	return agent, "account:" + s.baseURL + "|" + c.Key
}

// SystemPrincipal returns the principal Cairn's own components (the Q&A hub, the
// Slack app, imports) write under: every scope, authority an account on the
// instance's base URL named name. trusted keeps a submitted authority, as imports of
// exported statements need. It stores nothing; repeat calls return equal principals.
func (s *CredentialService) SystemPrincipal(name string, trusted bool) Principal {
	c := Credential{Key: name, Name: name, Scopes: []string{ScopeAll}, Trusted: trusted}
	agent, key := s.Authority(c)
	return Principal{Credential: c, Authority: agent, AuthorityKey: key}
}

var errBadCredentials = Errorf(CodeUnauthorized, "unknown or wrong credentials")

// Authenticate checks key and secret and returns the principal; CodeUnauthorized for
// an unknown, revoked or wrong credential; CodeUnavailable when the store is down.
func (s *CredentialService) Authenticate(ctx context.Context, key, secret string) (Principal, error) {
	if key == "" || secret == "" || len(key) > 200 || len(secret) > 200 {
		return Principal{}, errBadCredentials
	}
	c, err := s.credential(ctx, key)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return Principal{}, errBadCredentials
		}
		return Principal{}, err
	}
	if !c.RevokedAt.IsZero() {
		return Principal{}, Errorf(CodeUnauthorized, "credential %s is revoked", key)
	}
	digest := sha256.Sum256([]byte(secret))
	if !s.alreadyVerified(key, c.SecretHash, digest) {
		select {
		case s.kdf <- struct{}{}:
		case <-ctx.Done():
			return Principal{}, Errorf(CodeUnavailable, "request cancelled")
		}
		// Requests that waited for a KDF slot behind one checking the same secret
		// find it verified now and skip their own KDF run: a client that opens many
		// connections at once costs one KDF run per slot, not one per connection.
		if !s.alreadyVerified(key, c.SecretHash, digest) {
			s.kdfRuns.Add(1)
			good := VerifySecret(secret, c.SecretHash)
			if !good {
				<-s.kdf
				return Principal{}, errBadCredentials
			}
			s.mu.Lock()
			s.verified[key] = verifiedSecret{secretHash: c.SecretHash, digest: digest}
			s.mu.Unlock()
		}
		<-s.kdf
	}
	s.touch(ctx, key)
	agent, akey := s.Authority(c)
	p := Principal{Credential: c, Authority: agent, AuthorityKey: akey}
	if c.Agent != nil {
		if p.AgentKey, err = AgentKeyOf(c.Agent); err != nil {
			return Principal{}, Internal(err, "credential "+key+" has an invalid agent")
		}
	}
	return p, nil
}

// alreadyVerified reports whether the secret with digest was verified for key against
// the credential's current secret hash.
func (s *CredentialService) alreadyVerified(key, secretHash string, digest [32]byte) bool {
	s.mu.Lock()
	v, ok := s.verified[key]
	s.mu.Unlock()
	return ok && v.secretHash == secretHash && subtle.ConstantTimeCompare(v.digest[:], digest[:]) == 1
}

// credential returns the stored credential for key, read at most once per
// credentialTTL: a store read on every request costs about a tenth of a small write's
// CPU. A revocation made through this service takes effect at once; one made by
// another process (the CLI, another instance) within credentialTTL.
func (s *CredentialService) credential(ctx context.Context, key string) (Credential, error) {
	now := s.now()
	s.mu.Lock()
	e, ok := s.creds[key]
	s.mu.Unlock()
	if ok && now.Sub(e.read) < credentialTTL {
		return e.cred, nil
	}
	c, err := s.store.Credential(ctx, key)
	if err != nil {
		return Credential{}, err
	}
	s.mu.Lock()
	if len(s.creds) >= maxCachedCredentials {
		clear(s.creds)
	}
	s.creds[key] = cachedCredential{cred: c, read: now}
	s.mu.Unlock()
	return c, nil
}

// touch records a use at most once a minute per credential.
func (s *CredentialService) touch(ctx context.Context, key string) {
	now := s.now()
	s.mu.Lock()
	last := s.touched[key]
	due := now.Sub(last) >= touchEvery
	if due {
		s.touched[key] = now
	}
	s.mu.Unlock()
	if due {
		_ = s.store.TouchCredential(ctx, key, now.UTC())
	}
}

// List returns all credentials, oldest first.
func (s *CredentialService) List(ctx context.Context) ([]Credential, error) {
	return s.store.Credentials(ctx)
}

// Revoke revokes the credential with key: CodeNotFound if unknown; a repeat is a no-op.
func (s *CredentialService) Revoke(ctx context.Context, key string) error {
	if err := s.store.RevokeCredential(ctx, key, s.now().UTC()); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.verified, key)
	delete(s.creds, key)
	s.mu.Unlock()
	return nil
}
