package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/google/uuid"
)

// pusher forwards the local feed to one partner (xAPI 1.0.3 Communication 2.1.2, as a
// client of the partner): in Seq order, up to the partner's batch size per POST, with
// the cursor advanced only over statements the partner acknowledged, that it refused
// (dead letters) or that the partner's filter and the loop rule leave out.
type pusher struct {
	m       *Manager
	p       Partner
	remote  Remote
	wake    chan struct{}
	privacy *Pseudonymizer
	meter   *meter
	holding bool
	renewed time.Time // when the lease was last taken or renewed
	state   *State    // the job state, cached while the lease is held (only the holder writes it)
}

// item is one statement of a batch, ready to send.
type item struct {
	rec  capture.StatementRecord
	raw  []byte // as sent (privacy applied)
	hash string // equivalence hash of raw, for 409 checks ("" until needed)
	atts []capture.Attachment
}

func (ps *pusher) job() string { return "push:" + ps.p.Name }

func (ps *pusher) run(ctx context.Context) {
	log := ps.m.log.With("partner", ps.p.Name, "job", "push")
	defer func() {
		if ps.holding {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := ps.m.cfg.Partners.store.ReleaseLease(rctx, ps.job(), ps.m.cfg.Holder); err != nil {
				log.Warn("federation: cannot release the lease", "err", err)
			}
			cancel()
		}
	}()
	attempt := 0
	for ctx.Err() == nil {
		if !ps.lease(ctx) {
			ps.idle(ctx, ps.m.cfg.LeaseTTL/3)
			continue
		}
		n, err := ps.step(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			wait := ps.m.cfg.Backoff.Delay(attempt, retryAfterOf(err))
			attempt++
			log.Warn("federation: push failed; retrying", "err", err, "attempt", attempt, "wait", wait)
			sleep(ctx, wait)
			continue
		}
		attempt = 0
		if n == 0 {
			ps.idle(ctx, ps.m.cfg.Poll)
		}
	}
}

// idle waits for a wake-up, d, or the end of ctx.
func (ps *pusher) idle(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-ps.wake:
	case <-t.C:
	}
}

// lease takes or renews the job's lease (renewing at most every third of its life);
// false when another instance holds it. Taking it anew drops the cached state.
func (ps *pusher) lease(ctx context.Context) bool {
	now := ps.m.cfg.Now()
	if ps.holding && now.Sub(ps.renewed) < ps.m.cfg.LeaseTTL/3 && !now.Before(ps.renewed) {
		return true
	}
	ok, err := ps.m.cfg.Partners.store.AcquireLease(ctx, ps.job(), ps.m.cfg.Holder, now, now.Add(ps.m.cfg.LeaseTTL))
	if err != nil {
		if ctx.Err() == nil {
			ps.m.log.Warn("federation: cannot take the lease", "partner", ps.p.Name, "err", err)
		}
		ok = false
	}
	if !ok || !ps.holding {
		ps.state = nil
	}
	ps.holding, ps.renewed = ok, now
	return ok
}

// retryAfterOf returns the Retry-After of a partner answer in err.
func retryAfterOf(err error) time.Duration {
	var re *RemoteError
	if errors.As(err, &re) {
		return re.RetryAfter
	}
	return 0
}

// step sends the next batch and reports how many statements it settled. On a
// retryable failure the cursor stays after the last settled statement and the error
// is returned.
func (ps *pusher) step(ctx context.Context) (int, error) {
	store := ps.m.cfg.Partners.store
	if ps.state == nil {
		st, err := store.JobState(ctx, ps.p.Name, Push)
		if err != nil {
			return 0, err
		}
		ps.state = &st
	}
	st := *ps.state
	recs, err := ps.m.cfg.Feed.StatementsAfter(ctx, st.PushSeq, ps.p.Batch)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	items, err := ps.prepare(ctx, recs)
	if err != nil {
		return 0, err
	}
	b := &batchRun{ps: ps}
	sendErr := b.send(ctx, items)
	// The cursor moves over every record before the first unsettled item: records left
	// out by the filter or the loop rule count as settled.
	cursor := recs[len(recs)-1].Seq
	if sendErr != nil {
		cursor = st.PushSeq
		if b.settled < len(items) {
			for _, r := range recs {
				if r.Seq >= items[b.settled].rec.Seq {
					break
				}
				cursor = r.Seq
			}
		} else {
			cursor = recs[len(recs)-1].Seq
		}
	}
	now := ps.m.cfg.Now().UTC()
	pctx := context.WithoutCancel(ctx) // what the partner acknowledged must be recorded even while stopping
	if len(b.dead) > 0 {
		if err := store.AddDeadLetters(pctx, b.dead); err != nil {
			return 0, err
		}
	}
	st.PushSeq = max(st.PushSeq, cursor)
	st.Delivered += int64(b.delivered)
	st.DeadLettered += int64(len(b.dead))
	ps.meter.add(now, b.delivered)
	st.Throughput = ps.meter.rate(now)
	if sendErr != nil {
		st.Failed++
		st.LastError, st.LastErrorAt = describe(sendErr), now
	} else {
		st.LastSuccess, st.LastError = now, ""
	}
	if err := store.PutJobState(pctx, ps.p.Name, Push, st); err != nil {
		ps.state = nil
		return 0, err
	}
	ps.state = &st
	return len(recs), sendErr
}

// prepare filters recs (the loop rule, then the partner's filter), applies the privacy
// transform and loads attachment contents.
func (ps *pusher) prepare(ctx context.Context, recs []capture.StatementRecord) ([]item, error) {
	items := make([]item, 0, len(recs))
	var shas []string
	for _, r := range recs {
		if r.Origin == ps.p.Name {
			continue // never back to where it came from
		}
		raw := r.Raw
		if !ps.p.Filter.Empty() || ps.privacy.Changes() {
			var st map[string]any
			if err := json.Unmarshal(r.Raw, &st); err != nil {
				return nil, capture.Internal(err, "stored statement "+r.ID+" is not JSON")
			}
			if !ps.p.Filter.Matches(st) {
				continue
			}
			if ps.privacy.Changes() {
				ps.privacy.Apply(st)
				b, err := json.Marshal(st)
				if err != nil {
					return nil, capture.Internal(err, "encode statement "+r.ID)
				}
				raw = b
			}
		}
		items = append(items, item{rec: r, raw: raw})
		shas = append(shas, r.AttachSHA2...)
	}
	if len(shas) > 0 {
		contents, err := ps.m.cfg.Feed.Attachments(ctx, shas)
		if err != nil {
			return nil, err
		}
		for i := range items {
			for _, sha := range items[i].rec.AttachSHA2 {
				if a, ok := contents[sha]; ok {
					items[i].atts = append(items[i].atts, a)
				}
			}
		}
	}
	return items, nil
}

// batchRun sends one batch, splitting it to isolate refused statements.
type batchRun struct {
	ps        *pusher
	noLease   bool // a replay, outside the job
	settled   int  // leading items delivered or dead-lettered
	delivered int
	dead      []DeadLetter
}

// send POSTs items (a contiguous run starting at b.settled); a refusal splits the run
// in halves until each refused statement stands alone and becomes a dead letter. It
// returns the first retryable error, leaving the rest unsettled.
func (b *batchRun) send(ctx context.Context, items []item) error {
	if len(items) == 0 {
		return nil
	}
	if !b.noLease && !b.ps.lease(ctx) {
		return errors.New("lost the lease to another instance")
	}
	raws := make([][]byte, len(items))
	var atts []capture.Attachment
	for i, it := range items {
		raws[i] = it.raw
		for _, a := range it.atts {
			if !slices.ContainsFunc(atts, func(x capture.Attachment) bool { return x.SHA2 == a.SHA2 }) {
				atts = append(atts, a)
			}
		}
	}
	_, err := b.ps.remote.PostStatements(ctx, raws, atts)
	if err == nil {
		b.settled += len(items)
		b.delivered += len(items)
		return nil
	}
	if ok, _ := retryable(err); ok || ctx.Err() != nil {
		return err
	}
	var re *RemoteError
	errors.As(err, &re)
	if len(items) > 1 {
		half := len(items) / 2
		if err := b.send(ctx, items[:half]); err != nil {
			return err
		}
		return b.send(ctx, items[half:])
	}
	it := items[0]
	if re.Status == 409 {
		same, cerr := b.ps.sameAtPartner(ctx, it)
		if cerr != nil {
			if ok, _ := retryable(cerr); ok {
				return cerr
			}
		}
		if same {
			b.settled++
			b.delivered++
			return nil
		}
		re = &RemoteError{Status: 409, Message: "the partner holds a different statement with this id: " + re.Message}
	}
	b.dead = append(b.dead, DeadLetter{
		ID: uuid.NewString(), Partner: b.ps.p.Name, Direction: Push, StatementID: it.rec.ID, Seq: it.rec.Seq,
		Status: re.Status, Reason: re.Message, At: b.ps.m.cfg.Now().UTC(), Attempts: 1,
	})
	b.settled++
	return nil
}

// sameAtPartner reports whether the partner's copy of it is the same statement (xAPI
// 1.0.3 Data 2.2 statement comparison: id, stored, authority and version aside).
func (ps *pusher) sameAtPartner(ctx context.Context, it item) (bool, error) {
	theirs, err := ps.remote.Statement(ctx, it.rec.ID)
	if err != nil {
		return false, err
	}
	return sameStatement(it.raw, theirs), nil
}

// sameStatement compares two statements' equivalence hashes; false when either is not
// a statement.
func sameStatement(a, b []byte) bool {
	ha, ok1 := hashOf(a)
	hb, ok2 := hashOf(b)
	return ok1 && ok2 && ha == hb
}

func hashOf(raw []byte) (string, bool) {
	var st map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&st); err != nil || st == nil {
		return "", false
	}
	return capture.StatementHash(capture.Statement(st)), true
}

// deliverOne sends one stored statement again (a dead letter's replay), applying the
// partner's privacy; an identical copy at the partner counts as delivered.
func (ps *pusher) deliverOne(ctx context.Context, rec capture.StatementRecord) error {
	items, err := ps.prepare(ctx, []capture.StatementRecord{rec})
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return capture.Errorf(capture.CodeInvalid, "statement %s no longer passes partner %s's filter", rec.ID, ps.p.Name)
	}
	b := &batchRun{ps: ps, noLease: true}
	if err := b.send(ctx, items); err != nil {
		return capture.Errorf(capture.CodeUnavailable, "%s", describe(err))
	}
	if len(b.dead) > 0 {
		return capture.Errorf(capture.CodeConflict, "the partner refused it again (%d): %s", b.dead[0].Status, b.dead[0].Reason)
	}
	return nil
}
