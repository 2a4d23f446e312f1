package capture

// This file declares the statement-data API that the service and the web layer use.
// Each declaration moves to its real home (statement.go, agent.go, params.go, jws.go,
// document.go) as it is implemented; this file is deleted when empty.

import (
	"encoding/json"
	"net/url"
	"time"
)

// Statement is one decoded xAPI statement kept as its JSON tree (objects are
// map[string]any, arrays []any, numbers json.Number) so that it round-trips exactly.
type Statement map[string]any

// Format is the statement query format parameter (xAPI 1.0.3 Communication 2.1.3).
type Format string

// The formats.
const (
	FormatExact       Format = "exact"
	FormatIdentifiers Format = "ids"
	FormatCanonical   Format = "canonical"
)

// StatementParams are the parsed parameters of GET /statements.
type StatementParams struct {
	StatementID       string // lower-case UUID; "" when absent
	VoidedStatementID string
	AgentKey          string // AgentKeyOf the agent parameter; "" when absent
	VerbID            string
	ActivityID        string
	Registration      string // lower-case UUID
	RelatedActivities bool
	RelatedAgents     bool
	Since             time.Time // zero when absent
	Until             time.Time
	Limit             int // 0 = server default
	Format            Format
	Attachments       bool
	Ascending         bool
}

// DecodeStatements parses a Statements POST/PUT body: one statement object, or (batch
// true) an array of them. Numbers stay json.Number. Malformed JSON, a top-level value
// that is neither, or duplicate keys in an object → CodeInvalid naming where.
func DecodeStatements(body []byte) (stmts []Statement, batch bool, err error) {
	panic("unimplemented")
}

// ValidateStatement checks s against xAPI 1.0.3 Data 2.4–2.6 and returns a CodeInvalid
// error whose message names the property path and the rule, e.g.
// "actor.mbox: must be a mailto IRI". It also checks LRS-set properties a client may
// not send (stored is ignored? no: see xAPI; authority rules are the service's).
func ValidateStatement(s Statement) error { panic("unimplemented") }

// MatchKeys returns the statement's own query keys (see keys.go), deduplicated.
func MatchKeys(s Statement) []string { panic("unimplemented") }

// RefTarget returns the id targeted by an object StatementRef, lower-cased, or "".
func RefTarget(s Statement) string { panic("unimplemented") }

// VoidTarget returns the voided id when s's verb is http://adlnet.gov/expapi/verbs/voided
// and its object a StatementRef, else "".
func VoidTarget(s Statement) string { panic("unimplemented") }

// StatementHash returns the equivalence signature of s for the "same id, same content"
// rule (xAPI 1.0.3 Data 2.3 Statement comparison): it ignores id, stored, authority,
// version, and the order of group members; it normalises UUID case and timestamps to
// the instant they denote.
func StatementHash(s Statement) string { panic("unimplemented") }

// ActivityDefinitions returns every activity in s (object, context activities,
// SubStatement object and context) that carries a definition.
func ActivityDefinitions(s Statement) []ActivityRecord { panic("unimplemented") }

// MergeActivityDefinition merges a newly seen definition into the canonical one
// (language maps merged key by key, newer wins; other properties replaced when present).
func MergeActivityDefinition(old, newer json.RawMessage) json.RawMessage {
	panic("unimplemented")
}

// StatementIDsOnly returns a copy of s reduced to identifiers (format=ids): agents and groups
// to their IFI (anonymous groups keep members, reduced), activities to objectType+id,
// verbs to id.
func StatementIDsOnly(s Statement) Statement { panic("unimplemented") }

// StatementCanonical returns a copy of s (format=canonical): activity definitions replaced
// by the canonical ones in defs where known, and every language map reduced to the one
// entry that best matches langs (Accept-Language order), else the first key sorted.
func StatementCanonical(s Statement, langs []string, defs map[string]ActivityRecord) Statement {
	panic("unimplemented")
}

// ParseAgentJSON validates an agent or identified group given as JSON (the agent query
// parameter, xAPI 1.0.3 Communication 2.1.3) and returns it with its AgentKeyOf key.
// CodeInvalid when it is not JSON, not an agent, or has zero or several IFIs.
func ParseAgentJSON(raw string) (agent map[string]any, key string, err error) {
	panic("unimplemented")
}

// AgentKeyOf returns the identifier string of an agent or identified group: its one
// IFI as "mbox:mailto:…", "mbox_sha1sum:…", "openid:…" or "account:<homePage>|<name>".
// CodeInvalid when there is not exactly one IFI.
func AgentKeyOf(agent map[string]any) (string, error) { panic("unimplemented") }

// ParseStatementParams parses and validates GET /statements parameters. Unknown
// parameters, bad UUIDs, timestamps, agent JSON, limits, formats → CodeInvalid naming
// the parameter. statementId/voidedStatementId with any filter but attachments/format → CodeInvalid.
func ParseStatementParams(v url.Values) (StatementParams, error) { panic("unimplemented") }

// ParseTimestamp parses an ISO 8601 timestamp with a time zone (xAPI Data 4.5).
func ParseTimestamp(s string) (time.Time, error) { panic("unimplemented") }

// AttachmentRefs returns, for s and its batch, the attachments that need a part:
// usageType... see ValidateAttachmentParts.
// ValidateAttachmentParts checks that every attachment of stmts without a fileUrl has a
// part with its sha2, that every part is used by some statement, and that signed
// statements (usageType http://adlnet.gov/expapi/attachments/signature) carry a valid
// JWS over the statement (xAPI 1.0.3 Data 2.6). CodeInvalid otherwise.
func ValidateAttachmentParts(stmts []Statement, parts map[string]Attachment) error {
	panic("unimplemented")
}

// AttachmentSHA2s returns the sha2 of every attachment declared in s.
func AttachmentSHA2s(s Statement) []string { panic("unimplemented") }
