package federation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Figures are one job's visible state (issue: visibility).
type Figures struct {
	Direction    Direction `json:"direction"`
	Cursor       string    `json:"cursor"`        // push: last settled seq; pull: last since
	LagSeconds   float64   `json:"lagSeconds"`    // push: age of the oldest statement not yet settled; pull: time since the last success
	LagItems     int64     `json:"lagStatements"` // push: statements stored after the cursor (filtered ones included); pull: -1 (unknown)
	LastSuccess  time.Time `json:"lastSuccess,omitzero"`
	LastError    string    `json:"lastError,omitempty"`
	LastErrorAt  time.Time `json:"lastErrorAt,omitzero"`
	Delivered    int64     `json:"delivered"`
	Failed       int64     `json:"failed"`
	DeadLettered int64     `json:"deadLettered"`
	DeadLetters  int       `json:"deadLettersWaiting"` // letters not yet replayed or discarded
	Throughput   float64   `json:"throughput"`         // statements a second over the last minute
}

// PartnerStatus is a partner with the figures of its jobs.
type PartnerStatus struct {
	Partner
	State string    `json:"state"` // "active" or "paused"
	Jobs  []Figures `json:"jobs"`
}

// Status returns the partner (without credentials) and its figures; CodeNotFound when absent.
func (m *Manager) Status(ctx context.Context, name string) (PartnerStatus, error) {
	r, err := m.cfg.Partners.store.Partner(ctx, name)
	if err != nil {
		return PartnerStatus{}, err
	}
	return m.status(ctx, r.Partner)
}

// StatusAll returns every partner's status, by name.
func (m *Manager) StatusAll(ctx context.Context) ([]PartnerStatus, error) {
	parts, err := m.cfg.Partners.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PartnerStatus, 0, len(parts))
	for _, p := range parts {
		s, err := m.status(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (m *Manager) status(ctx context.Context, p Partner) (PartnerStatus, error) {
	store := m.cfg.Partners.store
	ps := PartnerStatus{Partner: p, State: "active"}
	if p.Paused {
		ps.State = "paused"
	}
	letters, err := store.DeadLetters(ctx, p.Name, 0)
	if err != nil {
		return ps, err
	}
	now := m.cfg.Now()
	for _, dir := range []Direction{Push, Pull} {
		if (dir == Push && !p.Direction.Pushes()) || (dir == Pull && !p.Direction.Pulls()) {
			continue
		}
		st, err := store.JobState(ctx, p.Name, dir)
		if err != nil {
			return ps, err
		}
		f := Figures{Direction: dir, LastSuccess: st.LastSuccess, LastError: st.LastError, LastErrorAt: st.LastErrorAt,
			Delivered: st.Delivered, Failed: st.Failed, DeadLettered: st.DeadLettered, Throughput: m.meter(p.Name, dir).rate(now)}
		if f.Throughput == 0 && now.Sub(st.LastSuccess) < meterWindow {
			f.Throughput = st.Throughput // another process runs the job
		}
		for _, l := range letters {
			if l.Direction == dir {
				f.DeadLetters++
			}
		}
		if dir == Push {
			f.Cursor = fmt.Sprint(st.PushSeq)
			last, err := m.cfg.Feed.LastSeq(ctx)
			if err != nil {
				return ps, err
			}
			f.LagItems = max(0, last-st.PushSeq)
			if f.LagItems > 0 {
				next, err := m.cfg.Feed.StatementsAfter(ctx, st.PushSeq, 1)
				if err != nil {
					return ps, err
				}
				if len(next) == 1 {
					f.LagSeconds = max(0, now.Sub(next[0].Stored).Seconds())
				}
			}
		} else {
			f.Cursor = st.PullSince
			f.LagItems = -1
			if !st.LastSuccess.IsZero() {
				f.LagSeconds = now.Sub(st.LastSuccess).Seconds()
			}
		}
		ps.Jobs = append(ps.Jobs, f)
	}
	return ps, nil
}

// ReplayDeadLetter sends a push letter's statement to its partner again, or stores a
// pull letter's statement again, and removes the letter on success. CodeNotFound for
// an unknown letter or a statement no longer stored; CodeConflict when refused again
// (the letter stays, with the new answer); CodeUnavailable when the partner fails.
func (m *Manager) ReplayDeadLetter(ctx context.Context, id string) error {
	store := m.cfg.Partners.store
	l, err := store.DeadLetter(ctx, id)
	if err != nil {
		return err
	}
	p, err := m.cfg.Partners.Get(ctx, l.Partner)
	if err != nil {
		return err
	}
	switch l.Direction {
	case Push:
		recs, err := m.cfg.Feed.StatementsByID(ctx, []string{l.StatementID})
		if err != nil {
			return err
		}
		rec, ok := recs[l.StatementID]
		if !ok {
			return capture.Errorf(capture.CodeNotFound, "statement %s is not stored", l.StatementID)
		}
		remote, err := m.cfg.Connect(p)
		if err != nil {
			return err
		}
		ps := &pusher{m: m, p: p, remote: remote, privacy: m.pseudonymizer(p), meter: m.meter(p.Name, Push)}
		if err := ps.deliverOne(ctx, rec); err != nil {
			return err
		}
	case Pull:
		stmts, batch, err := capture.DecodeStatements(l.Statement)
		if err != nil || batch || len(stmts) != 1 {
			return capture.Errorf(capture.CodeConflict, "the letter's statement does not parse: %v", err)
		}
		delete(stmts[0], "stored")
		if _, err := m.cfg.Statements.Write(ctx, capture.WriteRequest{Statements: stmts, Principal: m.pullPrincipal(p), Origin: p.Name}); err != nil {
			return capture.Errorf(capture.CodeConflict, "Cairn refused it again: %s", capture.ErrorMessage(err))
		}
	}
	return store.DeleteDeadLetter(ctx, id)
}

// TestPartner checks a partner the way pushes and pulls will use it: GET /about must
// answer and list a 1.0.x version, and a credentialed GET of one statement must be
// allowed. It returns what it found, in words; the error says what is wrong.
func (m *Manager) TestPartner(ctx context.Context, name string) ([]string, error) {
	p, err := m.cfg.Partners.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	remote, err := m.cfg.Connect(p)
	if err != nil {
		return nil, err
	}
	var notes []string
	versions, err := remote.About(ctx)
	if err != nil {
		return notes, capture.Errorf(capture.CodeUnavailable, "GET %s/about failed: %s", p.Endpoint, describe(err))
	}
	notes = append(notes, "about: versions "+strings.Join(versions, ", "))
	if !slices.ContainsFunc(versions, func(v string) bool { return strings.HasPrefix(v, "1.0.") }) {
		return notes, capture.Errorf(capture.CodeUnavailable, "the partner speaks xAPI %s, not 1.0.x (Cairn speaks 1.0.3)", strings.Join(versions, ", "))
	}
	if _, err := remote.Statements(ctx, time.Now().UTC().Add(time.Hour).Format(time.RFC3339Nano), 1); err != nil {
		var re *RemoteError
		if errors.As(err, &re) && re.Status == 403 && !p.Direction.Pulls() {
			// A write-only credential is enough to push.
			return append(notes, "credentials: accepted, but they may not read statements (403): enough for push only"), nil
		}
		if errors.As(err, &re) && re.Status == 400 {
			return notes, capture.Errorf(capture.CodeUnavailable, "the partner refused a standard statement query (400): %s", re.Message)
		}
		return notes, capture.Errorf(capture.CodeUnavailable, "credentialed GET statements failed: %s", describe(err))
	}
	notes = append(notes, "credentials: accepted for reading statements")
	return notes, nil
}
