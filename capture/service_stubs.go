package capture

// Service API used by the web layer. Declarations move to statements.go,
// documents.go and credentials.go as they are implemented; this file is then deleted.

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Principal is an authenticated credential with the authority it writes under.
type Principal struct {
	Credential   Credential
	Authority    map[string]any // the agent set as statement authority
	AuthorityKey string         // AgentKeyOf(Authority)
}

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
)

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

// Allows reports whether p may read (write=false) or write res. For statement reads
// with only statements/read/mine, it returns true and MineOnly reports true.
func (p Principal) Allows(res Resource, write bool) bool { panic("unimplemented") }

// MineOnly reports whether p's statement reads are limited to its own authority.
func (p Principal) MineOnly() bool { panic("unimplemented") }

// CredentialService creates, checks and revokes API credentials.
type CredentialService struct{}

// NewCredentialService returns a service over store; baseURL is the homePage of the
// authority accounts it builds.
func NewCredentialService(store CredentialStore, baseURL string, now func() time.Time) *CredentialService {
	panic("unimplemented")
}

// Create makes a credential with a random key and secret and returns it with the
// secret in clear (the only time it exists outside the caller). CodeInvalid for an
// empty name or an unknown scope.
func (s *CredentialService) Create(ctx context.Context, name string, scopes []string, trusted bool) (Credential, string, error) {
	panic("unimplemented")
}

// Authenticate checks key and secret in constant time and returns the principal;
// CodeUnauthorized for an unknown, revoked or wrong credential.
func (s *CredentialService) Authenticate(ctx context.Context, key, secret string) (Principal, error) {
	panic("unimplemented")
}

// List returns all credentials; Revoke revokes one (CodeNotFound if unknown; a repeat is a no-op).
func (s *CredentialService) List(ctx context.Context) ([]Credential, error) { panic("unimplemented") }
func (s *CredentialService) Revoke(ctx context.Context, key string) error  { panic("unimplemented") }

// StatementService writes and reads statements (xAPI 1.0.3 Communication 2.1).
type StatementService struct{}

// StatementServiceConfig configures a StatementService.
type StatementServiceConfig struct {
	Store    StatementStore
	Now      func() time.Time // nil: time.Now
	MaxBatch int              // most statements in one write; 0: 1000
	MaxLimit int              // most statements in one page; 0: 500
	Logger   *slog.Logger
}

// NewStatementService returns a StatementService.
func NewStatementService(cfg StatementServiceConfig) *StatementService { panic("unimplemented") }

// WriteRequest is one PUT or POST to the Statements resource.
type WriteRequest struct {
	Statements  []Statement
	Attachments map[string]Attachment // request parts keyed by sha2 (multipart/mixed)
	PutID       string                // PUT ?statementId=: each statement must carry this id or none
	Principal   Principal
	Origin      string
}

// Write validates and stores the statements atomically and returns their ids in order.
// Identical repeats of stored statements are accepted and not stored twice; a stored id
// with other content → CodeConflict; invalid data → CodeInvalid; nothing is stored on
// any error.
func (s *StatementService) Write(ctx context.Context, req WriteRequest) ([]string, error) {
	panic("unimplemented")
}

// ReadRequest is one GET of the Statements resource.
type ReadRequest struct {
	Params    StatementParams
	More      string   // the more token; when set Params are taken from it
	Langs     []string // Accept-Language, best first
	Principal Principal
}

// ReadResult is what a GET returns. Single is true for statementId/voidedStatementId.
type ReadResult struct {
	Single            bool
	Statement         json.RawMessage   // Single: the statement
	Statements        []json.RawMessage // query: the page
	More              string            // query: the token for the next page, "" if none
	Attachments       []Attachment      // when Params.Attachments: the contents the statements reference
	ConsistentThrough time.Time
}

// Read fetches one statement (CodeNotFound if absent, or voided when asked by
// statementId) or a page of a query.
func (s *StatementService) Read(ctx context.Context, req ReadRequest) (ReadResult, error) {
	panic("unimplemented")
}

// Activity returns the canonical Activity object for id (xAPI 1.0.3 Communication
// 2.5), CodeNotFound when unknown.
func (s *StatementService) Activity(ctx context.Context, id string) (json.RawMessage, error) {
	panic("unimplemented")
}

// DocumentService implements the State, Activity Profile and Agent Profile resources
// (xAPI 1.0.3 Communication 2.3, 2.6, 2.7).
type DocumentService struct{}

// NewDocumentService returns a DocumentService over store.
func NewDocumentService(store DocumentStore, now func() time.Time) *DocumentService {
	panic("unimplemented")
}

// DocumentWrite is one PUT or POST of a document.
type DocumentWrite struct {
	Key         DocumentKey
	ContentType string
	Content     []byte
	Cond        Precondition
	Merge       bool // POST: merge JSON objects (both must be JSON objects, else CodeInvalid)
	// HasCond reports whether the request carried If-Match or If-None-Match; profile
	// PUTs over an existing document without one → CodeConflict.
	HasCond bool
}

// Put writes a document and returns its new ETag.
func (s *DocumentService) Put(ctx context.Context, w DocumentWrite) (string, error) {
	panic("unimplemented")
}

// Get returns one document or CodeNotFound.
func (s *DocumentService) Get(ctx context.Context, key DocumentKey) (Document, error) {
	panic("unimplemented")
}

// Delete removes one document (cond as for Put).
func (s *DocumentService) Delete(ctx context.Context, key DocumentKey, cond Precondition) error {
	panic("unimplemented")
}

// DeleteAll removes every state document in scope.
func (s *DocumentService) DeleteAll(ctx context.Context, scope DocumentKey) error {
	panic("unimplemented")
}

// IDs lists document ids in scope updated after since.
func (s *DocumentService) IDs(ctx context.Context, scope DocumentKey, since time.Time) ([]string, error) {
	panic("unimplemented")
}
