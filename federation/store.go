package federation

import (
	"context"
	"time"
)

// PartnerRecord is a partner as stored: its settings with Auth cleared, and the
// credentials sealed (see Sealer).
type PartnerRecord struct {
	Partner    Partner
	SealedAuth []byte
}

// State is what one partner job (push or pull) has done; its holder alone writes it.
type State struct {
	// Cursor: push, the last local Seq settled (delivered, dead-lettered or filtered
	// out); pull, the partner's stored time of the last statement stored here (the next
	// since), as the partner wrote it.
	PushSeq   int64  `json:"pushSeq,omitempty"`
	PullSince string `json:"pullSince,omitempty"`

	Delivered    int64 `json:"delivered"`    // statements acknowledged (push) or stored (pull)
	Failed       int64 `json:"failed"`       // attempts that failed and were retried
	DeadLettered int64 `json:"deadLettered"` // statements set aside as dead letters

	// Throughput is the holder's statements a second over the last minute, as of its
	// last save (so that other processes, such as the CLI, can show it).
	Throughput float64 `json:"throughput,omitempty"`

	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	LastError   string    `json:"lastError,omitempty"` // in words; "" after a later success
	LastErrorAt time.Time `json:"lastErrorAt,omitzero"`
}

// DeadLetter is a statement a partner refused (push) or Cairn could not store (pull).
type DeadLetter struct {
	ID          string    `json:"id"` // UUID
	Partner     string    `json:"partner"`
	Direction   Direction `json:"direction"` // Push or Pull
	StatementID string    `json:"statementId"`
	Seq         int64     `json:"seq,omitempty"`       // push: local Seq
	Statement   []byte    `json:"statement,omitempty"` // pull: the statement as the partner gave it
	Status      int       `json:"status"`              // the partner's HTTP status (push); 0 for local refusals
	Reason      string    `json:"reason"`              // in words, with the partner's answer
	At          time.Time `json:"at"`
	Attempts    int       `json:"attempts"`
}

// Store keeps partners, job states, dead letters and leases. Errors are
// *capture.Error (CodeNotFound, CodeConflict, CodeInternal, CodeUnavailable).
type Store interface {
	// CreatePartner stores r; CodeConflict when its name exists.
	CreatePartner(ctx context.Context, r PartnerRecord) error
	// PutPartner replaces the partner with r's name; CodeNotFound when absent.
	PutPartner(ctx context.Context, r PartnerRecord) error
	// Partner returns the named partner, or CodeNotFound.
	Partner(ctx context.Context, name string) (PartnerRecord, error)
	// Partners lists every partner by name.
	Partners(ctx context.Context) ([]PartnerRecord, error)
	// DeletePartner removes the partner with its states, dead letters and leases;
	// CodeNotFound when absent.
	DeletePartner(ctx context.Context, name string) error

	// JobState returns a job's state; the zero State when none was saved.
	JobState(ctx context.Context, partner string, dir Direction) (State, error)
	// PutJobState saves a job's state, replacing the previous one.
	PutJobState(ctx context.Context, partner string, dir Direction, s State) error

	// AddDeadLetters stores letters (ids set by the caller); a repeat id is CodeConflict
	// and nothing is stored.
	AddDeadLetters(ctx context.Context, letters []DeadLetter) error
	// DeadLetters lists at most limit letters of partner ("" for all), oldest first.
	DeadLetters(ctx context.Context, partner string, limit int) ([]DeadLetter, error)
	// DeadLetter returns one letter, or CodeNotFound.
	DeadLetter(ctx context.Context, id string) (DeadLetter, error)
	// DeleteDeadLetter removes one letter; CodeNotFound when absent.
	DeleteDeadLetter(ctx context.Context, id string) error

	// AcquireLease makes holder the holder of job until until, when job has no holder,
	// holder holds it already (a renewal), or the holder's lease ended before now.
	// It reports whether holder holds the lease afterwards.
	AcquireLease(ctx context.Context, job, holder string, now, until time.Time) (bool, error)
	// ReleaseLease ends holder's lease on job; a lease held by another is untouched.
	ReleaseLease(ctx context.Context, job, holder string) error
}
