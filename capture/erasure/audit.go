package erasure

import (
	"context"
	"time"

	"github.com/cairn-lrs/cairn/federation"
)

// Record is the audit record of one erasure: who asked, when, why and what was done.
// It names the person only by PersonHash, so that the record itself does not
// re-identify them.
type Record struct {
	ID          string    `json:"id"` // UUID
	At          time.Time `json:"at"` // UTC
	RequestedBy string    `json:"requestedBy"`
	Reason      string    `json:"reason"`               // the person's identifiers and names blanked out
	PersonHash  string    `json:"personHash,omitempty"` // see PersonHash
	Agents      int       `json:"agents"`               // identifiers erased: the request's and those Resolvers added

	StatementsDeleted    int                 `json:"statementsDeleted"`    // the person's own statements, removed
	StatementsAnonymised int                 `json:"statementsAnonymised"` // others' statements, the person replaced
	Documents            int                 `json:"documents"`            // state and agent profile documents removed
	Credentials          int                 `json:"credentials"`          // credentials revoked
	Parts                []PartCount         `json:"parts,omitempty"`      // what each Part changed
	FiguresRebuilt       bool                `json:"figuresRebuilt"`       // the report figures were reset to be rebuilt
	Partners             []federation.Recall `json:"partners,omitempty"`   // voiding statements sent
	Errors               []string            `json:"errors,omitempty"`     // failed steps; a repeat request completes them
}

// PartCount is what one Part changed.
type PartCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Total is the number of items the erasure removed or changed; 0 for a repeat of a
// complete erasure.
func (r Record) Total() int {
	n := r.StatementsDeleted + r.StatementsAnonymised + r.Documents + r.Credentials
	for _, p := range r.Parts {
		n += p.Count
	}
	return n
}

// AuditStore keeps erasure records. Adapters live in capture/sqlitestore and
// capture/mongostore; erasuretest is their contract suite.
type AuditStore interface {
	// AddErasure stores r; CodeConflict when r.ID is stored already.
	AddErasure(ctx context.Context, r Record) error
	// Erasures lists at most limit records (limit > 0, else CodeInvalid), newest first.
	Erasures(ctx context.Context, limit int) ([]Record, error)
}
