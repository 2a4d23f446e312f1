package federation

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/google/uuid"
)

// Recall is what one push partner was told about an erasure.
type Recall struct {
	Partner string `json:"partner"`
	Voided  int    `json:"voided"`          // voiding statements the partner accepted
	Failed  int    `json:"failed"`          // voiding statements it did not get
	Error   string `json:"error,omitempty"` // why, in words
}

// Recaller tells push partners whose Erasure is ErasureVoid that statements were
// erased, with one voiding statement per erased statement (xAPI 1.0.3 Data 2.3.2),
// over the partner's Statements resource.
//
// What a partner is told about: the erased statements that Cairn had settled for it
// (Seq at or below its push cursor, read after the statements were removed locally),
// that passed its filter, that did not come from it (the loop rule) and that it did
// not refuse (dead letters). Voiding statements that the person made are not voided
// in turn (Data 2.3.2 forbids it). What cannot be recalled: a partner that is off or
// pull-only, statements the partner pulled before, copies the partner forwarded on,
// and anything its operators read or exported; voiding hides a statement from the
// partner's queries but the partner still holds it (reachable by voidedStatementId)
// until it erases it itself.
//
// A voiding statement names no one: its actor is Cairn's own system account
// (homePage HomePage, name "erasure"), its object a StatementRef to the erased id; the
// partner sets its authority from the credential Cairn pushes with.
type Recaller struct {
	Partners *Partners
	Connect  Connect
	HomePage string
	Now      func() time.Time // nil: time.Now
	// Attempts per batch when the partner cannot be reached (0: 3), Wait between them
	// (0: one second).
	Attempts int
	Wait     time.Duration
}

// Recall sends the voiding statements for erased to every partner concerned and
// reports, per partner, how many it accepted and how many it did not get. A partner
// that cannot be reached is reported, not returned as an error; the error is for a
// failure to read the partners. A repeat call sends the same voids again (each with a
// new id); partners accept them.
func (r *Recaller) Recall(ctx context.Context, erased []capture.StatementRecord) ([]Recall, error) {
	if len(erased) == 0 {
		return nil, nil
	}
	parts, err := r.Partners.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Recall
	for _, p := range parts {
		if !p.Direction.Pushes() || p.Erasure != ErasureVoid {
			continue
		}
		rc := Recall{Partner: p.Name}
		targets, err := r.delivered(ctx, p, erased)
		if err != nil {
			rc.Error = "cannot tell which statements the partner received: " + err.Error()
			out = append(out, rc)
			continue
		}
		if len(targets) == 0 {
			out = append(out, rc)
			continue
		}
		rc.Voided, rc.Failed, rc.Error = r.send(ctx, p.Name, targets)
		out = append(out, rc)
	}
	return out, nil
}

// delivered returns the ids among erased that p was sent and accepted.
func (r *Recaller) delivered(ctx context.Context, p Partner, erased []capture.StatementRecord) ([]string, error) {
	store := r.Partners.Store()
	st, err := store.JobState(ctx, p.Name, Push)
	if err != nil {
		return nil, err
	}
	letters, err := store.DeadLetters(ctx, p.Name, 1<<20)
	if err != nil {
		return nil, err
	}
	refused := map[string]bool{}
	for _, l := range letters {
		if l.Direction == Push {
			refused[l.StatementID] = true
		}
	}
	var ids []string
	for _, rec := range erased {
		if rec.Seq > st.PushSeq || rec.Origin == p.Name || refused[rec.ID] || rec.VoidTarget != "" {
			continue
		}
		if !p.Filter.Empty() {
			var m map[string]any
			if json.Unmarshal(rec.Raw, &m) != nil || !p.Filter.Matches(m) {
				continue
			}
		}
		ids = append(ids, rec.ID)
	}
	return ids, nil
}

// send posts one voiding statement per target, in batches of the partner's size.
func (r *Recaller) send(ctx context.Context, name string, targets []string) (voided, failed int, why string) {
	p, err := r.Partners.Get(ctx, name)
	if err != nil {
		return 0, len(targets), "cannot load the partner: " + err.Error()
	}
	remote, err := r.Connect(p)
	if err != nil {
		return 0, len(targets), "cannot reach the partner: " + err.Error()
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	attempts, wait := r.Attempts, r.Wait
	if attempts <= 0 {
		attempts = 3
	}
	if wait <= 0 {
		wait = time.Second
	}
	for start := 0; start < len(targets); start += p.Batch {
		batch := targets[start:min(start+p.Batch, len(targets))]
		raws := make([][]byte, len(batch))
		for i, id := range batch {
			raws[i] = r.voiding(id, now())
		}
		var err error
		for a := 0; a < attempts; a++ {
			if a > 0 && !sleep(ctx, wait) {
				break
			}
			if _, err = remote.PostStatements(ctx, raws, nil); err == nil {
				break
			}
			if ok, _ := retryable(err); !ok {
				break
			}
		}
		if err != nil {
			failed += len(batch)
			why = describe(err)
			continue
		}
		voided += len(batch)
	}
	return voided, failed, why
}

// voiding returns a voiding statement for target that names no person.
func (r *Recaller) voiding(target string, at time.Time) []byte {
	st := map[string]any{
		"id": uuid.NewString(),
		"actor": map[string]any{"objectType": "Agent", "name": "Cairn erasure",
			"account": map[string]any{"homePage": r.HomePage, "name": "erasure"}},
		"verb":      map[string]any{"id": capture.VerbVoided, "display": map[string]any{"en-US": "voided"}},
		"object":    map[string]any{"objectType": "StatementRef", "id": target},
		"timestamp": at.UTC().Format(time.RFC3339Nano),
	}
	b, _ := json.Marshal(st)
	return b
}
