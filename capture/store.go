package capture

import (
	"context"
	"encoding/json"
	"time"
)

// StatementRecord is one statement as a store keeps it: the exact JSON that the LRS
// returns (format=exact) next to the fields that queries use (design.md §3).
type StatementRecord struct {
	Seq    int64     // strictly increasing, assigned by the store at insert; ignored on input
	ID     string    // lower-case UUID
	Stored time.Time // UTC, set by the service; never decreases as Seq grows
	Raw    []byte    // the statement as stored: id, stored, authority, version, timestamp filled in
	// Keys are the statement's own match keys (see the Key* helpers): a query matches a
	// record when every query key is among Keys, or every query key is among the
	// InheritedKeys that the record takes from the statement its StatementRef targets.
	Keys       []string
	RefTarget  string   // id of the statement that the object StatementRef targets; "" if none
	VoidTarget string   // id this statement voids (verb http://adlnet.gov/expapi/verbs/voided); "" if none
	Voided     bool     // output only: set by the store when a stored voiding statement targets this one
	AttachSHA2 []string // sha2 of the attachments whose content the store holds for this statement
	Origin     string   // where the statement came from ("" for local writes; a partner name for federation)
	// InheritedKeys is output only (for tests and diagnostics): the keys this record
	// takes from its RefTarget chain.
	InheritedKeys []string
}

// Attachment is the raw content of one statement attachment, addressed by its sha2.
type Attachment struct {
	SHA2        string
	ContentType string
	Content     []byte
}

// ActivityRecord is the canonical definition the LRS keeps for one activity id
// (xAPI 1.0.3 Communication 2.5, the Activities resource).
type ActivityRecord struct {
	ID         string
	Definition json.RawMessage // a JSON object; nil or empty when no definition is known
}

// InsertBatch is what one write request stores: all of it or none of it.
type InsertBatch struct {
	Statements  []StatementRecord
	Attachments []Attachment     // contents to keep (already sha2-checked); a repeat sha2 is a no-op
	Activities  []ActivityRecord // canonical definitions to upsert (already merged by the service)
}

// StatementQuery selects stored, non-voided statements (xAPI 1.0.3 Communication 2.1.3).
type StatementQuery struct {
	Keys      []string  // all must match (own keys, or all inherited keys)
	Since     time.Time // zero: no bound; else Stored > Since
	Until     time.Time // zero: no bound; else Stored <= Until
	Ascending bool      // order by Seq ascending; default descending (newest first)
	Limit     int       // at most this many records; > 0
	AfterSeq  int64     // cursor, exclusive: descending wants Seq < AfterSeq, ascending Seq > AfterSeq; 0 = start
	MaxSeq    int64     // 0: no bound; else Seq <= MaxSeq (keeps a paged result stable)
}

// StatementStore keeps statements, their attachments and canonical activities.
type StatementStore interface {
	// InsertStatements stores the whole batch in one transaction or nothing. Each record
	// gets the next Seq. Records whose ID is already stored make the call fail with
	// CodeConflict and nothing is written (the service filters out identical repeats
	// first). Voiding: a record with VoidTarget marks that stored statement voided, and a
	// new record that an already stored voiding statement targets is stored voided.
	// StatementRef: a record with RefTarget inherits the target's Keys and InheritedKeys;
	// stored records that target a new record inherit its keys too (transitively).
	InsertStatements(ctx context.Context, b InsertBatch) error
	// StatementsByID returns the stored records among ids (voided or not), keyed by ID;
	// ids not stored are absent from the map. Never CodeNotFound.
	StatementsByID(ctx context.Context, ids []string) (map[string]StatementRecord, error)
	// QueryStatements returns at most q.Limit non-voided records matching q, in Seq order.
	QueryStatements(ctx context.Context, q StatementQuery) ([]StatementRecord, error)
	// LastSeq returns the highest Seq stored, 0 for an empty store.
	LastSeq(ctx context.Context) (int64, error)
	// StatementsAfter returns at most limit records (limit > 0, else CodeInvalid) with
	// Seq > seq in Seq order, voided and voiding ones included, without Keys and
	// InheritedKeys: the local feed that federation pushes read. It never returns a
	// record while one with a lower Seq may still become visible, so a cursor that
	// follows it skips nothing under concurrent writes.
	StatementsAfter(ctx context.Context, seq int64, limit int) ([]StatementRecord, error)
	// Attachments returns the stored contents among sha2s, keyed by sha2; unknown ones are absent.
	Attachments(ctx context.Context, sha2s []string) (map[string]Attachment, error)
	// Activities returns the canonical definitions among ids, keyed by id; unknown ones are absent.
	Activities(ctx context.Context, ids []string) (map[string]ActivityRecord, error)
	// PutActivities upserts canonical definitions outside any statement write: each record
	// replaces or creates the definition of its ID (the service has merged it already). On
	// error some records may be written; a repeat call with the same records completes them
	// and otherwise changes nothing. An empty list is a no-op.
	PutActivities(ctx context.Context, acts []ActivityRecord) error
	// StatementsMentioning returns at most limit stored records (voided or not, with Keys
	// and InheritedKeys) with Seq > afterSeq whose own keys name any of agentKeys
	// (AgentKeyOf strings, at most 256) in any role: actor or object agent, related agent
	// (instructor, team, group member, inside a SubStatement) or authority. In Seq order;
	// none is an empty list. CodeInvalid for limit < 1 or too many keys.
	StatementsMentioning(ctx context.Context, agentKeys []string, afterSeq int64, limit int) ([]StatementRecord, error)
	// EraseStatements removes and rewrites stored statements for the erasure of a person,
	// the one change to stored statements the LRS makes (it overrides the immutability
	// of xAPI 1.0.3 Data 2.3.1 as the law requires). See EraseBatch. Ids not stored are
	// skipped, so a repeat call changes nothing. Sequence numbers are never reused.
	EraseStatements(ctx context.Context, b EraseBatch) error
}

// EraseBatch is one erasure's change to the stored statements.
type EraseBatch struct {
	// Delete lists the ids of statements to remove with their match keys, and the
	// contents of their attachments that no remaining statement uses.
	Delete []string
	// Replace rewrites stored statements in place, selected by ID: Raw and Keys
	// are replaced; Seq, Stored, Origin, RefTarget, VoidTarget, AttachSHA2 and Voided
	// stay as stored.
	Replace []StatementRecord
	// After both, the inherited keys of every statement whose StatementRef chain leads
	// to a deleted or rewritten statement are computed anew (Communication 2.1.3).
}

// DocumentKind names one of the three document resources (xAPI 1.0.3 Communication 2.3–2.6).
type DocumentKind string

// The document kinds.
const (
	KindState           DocumentKind = "state"
	KindActivityProfile DocumentKind = "activity_profile"
	KindAgentProfile    DocumentKind = "agent_profile"
)

// DocumentKey addresses one document, or with ID empty the set of documents in a scope.
// State: ActivityID+AgentKey+Registration+ID. Activity profile: ActivityID+ID.
// Agent profile: AgentKey+ID. AgentKey is AgentKeyOf's identifier string.
type DocumentKey struct {
	Kind         DocumentKind
	ActivityID   string
	AgentKey     string
	Registration string
	ID           string
}

// Normalized returns k with the fields its Kind does not use cleared (xAPI 1.0.3
// Communication 2.3, 2.6, 2.7): State uses all four, the activity profile
// ActivityID+ID, the agent profile AgentKey+ID. Stores key documents by it.
func (k DocumentKey) Normalized() DocumentKey {
	switch k.Kind {
	case KindActivityProfile:
		k.AgentKey, k.Registration = "", ""
	case KindAgentProfile:
		k.ActivityID, k.Registration = "", ""
	}
	return k
}

// Document is one stored document.
type Document struct {
	DocumentKey
	ContentType string
	Content     []byte
	ETag        string    // lower-case hex SHA-1 of Content, unquoted
	Updated     time.Time // UTC
}

// Precondition is a write's concurrency condition (xAPI 1.0.3 Communication 3.1).
type Precondition struct {
	IfMatch     string // non-empty: the stored ETag must equal it, else CodePreconditionFailed
	IfNoneMatch bool   // "*": the document must not exist, else CodePreconditionFailed
}

// DocumentStore keeps state, activity profile and agent profile documents.
type DocumentStore interface {
	// Document returns the document at key, or CodeNotFound.
	Document(ctx context.Context, key DocumentKey) (Document, error)
	// PutDocument creates or replaces the document at d.DocumentKey when cond holds
	// (CodePreconditionFailed otherwise). A repeat call with the same content is a no-op
	// apart from Updated.
	PutDocument(ctx context.Context, d Document, cond Precondition) error
	// DeleteDocument removes the document at key when cond holds (CodePreconditionFailed
	// otherwise). Deleting an absent document without IfMatch is not an error.
	DeleteDocument(ctx context.Context, key DocumentKey, cond Precondition) error
	// DeleteDocuments removes every document in scope (scope.ID ignored); with
	// scope.Registration empty, documents of every registration go. Used for State only.
	DeleteDocuments(ctx context.Context, scope DocumentKey) error
	// DocumentIDs lists the ids of the documents in scope (scope.ID ignored; with
	// scope.Registration empty, documents of every registration) updated after since
	// (zero: all), sorted and without repeats.
	DocumentIDs(ctx context.Context, scope DocumentKey, since time.Time) ([]string, error)
	// DeleteAgentDocuments removes every state and agent profile document whose AgentKey
	// is among agentKeys and reports how many it removed (a repeat call: 0).
	DeleteAgentDocuments(ctx context.Context, agentKeys []string) (int, error)
}

// Credential is one API key/secret pair (HTTP Basic) with its scopes.
type Credential struct {
	Key        string
	Name       string
	SecretHash string   // encoded KDF output, see HashSecret; never the secret
	Scopes     []string // xAPI 1.0.3 Communication 4.2 scope names
	Trusted    bool     // keeps a submitted authority instead of setting its own
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
	// Agent, when set, binds the credential to one person (see BoundCredentials).
	Agent map[string]any
}

// CredentialStore keeps credentials and the connect codes that make personal ones.
type CredentialStore interface {
	ConnectCodeStore
	// CreateCredential stores c; CodeConflict if c.Key exists.
	CreateCredential(ctx context.Context, c Credential) error
	// Credential returns the credential with key (revoked ones too), or CodeNotFound.
	Credential(ctx context.Context, key string) (Credential, error)
	// Credentials lists all credentials, oldest first.
	Credentials(ctx context.Context) ([]Credential, error)
	// RevokeCredential sets RevokedAt; CodeNotFound for an unknown key; a repeat call keeps the first time.
	RevokeCredential(ctx context.Context, key string, at time.Time) error
	// TouchCredential records a use (best effort, may be coalesced); CodeNotFound for an unknown key.
	TouchCredential(ctx context.Context, key string, at time.Time) error
}

// Store is everything a storage adapter provides.
type Store interface {
	StatementStore
	DocumentStore
	CredentialStore
	// Ping reports whether the store is reachable (CodeUnavailable otherwise).
	Ping(ctx context.Context) error
	// Close releases the store; writes acknowledged before it are durable.
	Close() error
}
