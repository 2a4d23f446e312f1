package capture

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Personal credentials (the xAPI "limited-privilege token per person" of the
// bookmarklet pattern, xAPI 1.0.3 Communication 4) carry the Agent of the one person
// they belong to. The LRS then enforces, whatever the scopes say:
//   - writes: every statement's actor must be that agent (same IFI, AgentKeyOf), and a
//     personal credential may not void statements (it could otherwise void another
//     person's); anything else → CodeForbidden;
//   - reads: only statements that the xAPI agent filter with that agent matches (the
//     agent as actor, or as an Agent/Group object; Communication 2.1.3), in place of
//     the authority filter of statements/read/mine, so statements written earlier under
//     another of the person's credentials stay readable.

// ConnectCode is a single-use code a person exchanges for a personal credential. Only
// the SHA-256 of the code is stored.
type ConnectCode struct {
	Hash      string         // hex SHA-256 of the code
	Agent     map[string]any // the person the credential will belong to
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ConnectCodeStore keeps connect codes.
type ConnectCodeStore interface {
	// CreateConnectCode stores c (and may drop expired codes); CodeConflict if c.Hash exists.
	CreateConnectCode(ctx context.Context, c ConnectCode) error
	// TakeConnectCode removes the code with hash and returns it, atomically: of
	// concurrent calls for one hash at most one succeeds. CodeNotFound when absent
	// (never issued or already taken).
	TakeConnectCode(ctx context.Context, hash string) (ConnectCode, error)
}

// ConnectCodeHash returns the stored form of a connect code.
func ConnectCodeHash(code string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(code)))
	return hex.EncodeToString(sum[:])
}

// ErrConnectCode is returned for a connect code that is unknown, used or expired.
var ErrConnectCode = Errorf(CodeForbidden, "connect code unknown, already used or expired: ask for a new one")

// MaxConnectCodeTTL is the longest a connect code may stay valid.
const MaxConnectCodeTTL = 24 * time.Hour

// IssueConnectCode stores a new single-use connect code for agent, valid for ttl, and
// returns it in clear with its expiry. CodeInvalid for an agent without exactly one
// IFI or a ttl outside (0, MaxConnectCodeTTL].
func (s *CredentialService) IssueConnectCode(ctx context.Context, agent map[string]any, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 || ttl > MaxConnectCodeTTL {
		return "", time.Time{}, Errorf(CodeInvalid, "ttl: must be more than 0 and at most %s", MaxConnectCodeTTL)
	}
	if err := validateActor(agent, "agent"); err != nil {
		return "", time.Time{}, err
	}
	code, err := randomToken(18)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now().UTC()
	c := ConnectCode{Hash: ConnectCodeHash(code), Agent: agent, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.store.CreateConnectCode(ctx, c); err != nil {
		return "", time.Time{}, err
	}
	return code, c.ExpiresAt, nil
}

// RedeemConnectCode exchanges a connect code for a new personal credential named name
// with scopes, bound to the code's agent, and returns it with its secret. The code is
// used up by the first call, even when that call then fails; ErrConnectCode
// (CodeForbidden) for an unknown, used or expired code.
func (s *CredentialService) RedeemConnectCode(ctx context.Context, code, name string, scopes []string) (Credential, string, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 200 {
		return Credential{}, "", ErrConnectCode
	}
	c, err := s.store.TakeConnectCode(ctx, ConnectCodeHash(code))
	if ErrorCode(err) == CodeNotFound {
		return Credential{}, "", ErrConnectCode
	}
	if err != nil {
		return Credential{}, "", err
	}
	if !s.now().Before(c.ExpiresAt) {
		return Credential{}, "", ErrConnectCode
	}
	return s.CreatePersonal(ctx, c.Agent, name, scopes)
}

// CreatePersonal makes a credential bound to agent (see the personal credential
// rules above) and returns it with its secret. CodeInvalid for an agent without
// exactly one IFI, and as Create.
func (s *CredentialService) CreatePersonal(ctx context.Context, agent map[string]any, name string, scopes []string) (Credential, string, error) {
	if err := validateActor(agent, "agent"); err != nil {
		return Credential{}, "", err
	}
	return s.create(ctx, name, scopes, false, agent)
}

// PersonalCredentials lists the credentials bound to the agent with key agentKey
// (AgentKeyOf), revoked ones too, oldest first.
func (s *CredentialService) PersonalCredentials(ctx context.Context, agentKey string) ([]Credential, error) {
	all, err := s.store.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	var out []Credential
	for _, c := range all {
		if c.Agent == nil {
			continue
		}
		if k, err := AgentKeyOf(c.Agent); err == nil && k == agentKey {
			out = append(out, c)
		}
	}
	return out, nil
}

// checkPersonalWrite enforces the write rule of personal credentials on st.
func (p Principal) checkPersonalWrite(st Statement) error {
	if p.AgentKey == "" {
		return nil
	}
	actor, _ := st["actor"].(map[string]any)
	key, err := AgentKeyOf(actor)
	if err != nil || key != p.AgentKey {
		return Errorf(CodeForbidden, "actor: this personal credential may only write statements whose actor is %s", p.AgentKey)
	}
	if VoidTarget(st) != "" {
		return Errorf(CodeForbidden, "a personal credential may not void statements")
	}
	return nil
}
