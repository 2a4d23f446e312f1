package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// counterID is the _id of the counters document that allocates statement seqs.
const counterID = "statements"

// Batch entry states (openBatch.State).
const (
	statePending = "p"
	stateAborted = "a"
)

// counterDoc is the counters document: the last allocated seq and the open batches by token.
type counterDoc struct {
	Seq  int64                `bson:"seq"`
	Open map[string]openBatch `bson:"open"`
}

// openBatch is one registered batch that has not committed (or has aborted but is kept).
type openBatch struct {
	Lo      int64     `bson:"lo"`
	Hi      int64     `bson:"hi"`
	Expires time.Time `bson:"exp"`
	State   string    `bson:"st"`
}

// snapshot is what a reader knows from one read of the counters document.
type snapshot struct {
	last      int64    // highest allocated seq: later batches are not visible
	watermark int64    // every seq at or below it belongs to a finished batch
	open      []string // tokens of pending and aborted batches: their statements are not visible
	aborted   []string // tokens of aborted batches whose statements may still exist
}

// visible returns the filter clauses that keep only statements visible in sn, with seq
// at most maxSeq.
func (sn snapshot) visible(maxSeq int64) bson.D {
	f := bson.D{{Key: "seq", Value: bson.D{{Key: "$lte", Value: maxSeq}}}}
	if len(sn.open) > 0 {
		f = append(f, bson.E{Key: "batch", Value: bson.D{{Key: "$nin", Value: sn.open}}})
	}
	return f
}

// loadCounter reads the counters document.
func (s *Store) loadCounter(ctx context.Context) (counterDoc, error) {
	var c counterDoc
	err := s.counters.FindOne(ctx, bson.D{{Key: "_id", Value: counterID}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return counterDoc{}, nil
	}
	if err != nil {
		return counterDoc{}, storeErr(err, "cannot read the statement sequence")
	}
	return c, nil
}

// snapshot reads the counters document; when it lists expired batches it sweeps them
// first, so that a crashed writer holds the watermark for one lease at most.
func (s *Store) snapshot(ctx context.Context) (snapshot, error) {
	c, err := s.loadCounter(ctx)
	if err != nil {
		return snapshot{}, err
	}
	if s.needsSweep(c) {
		// Best effort: a read must not fail because a sweep does; expired entries
		// only cost visibility until the next sweep succeeds.
		if err := s.sweepOpen(ctx, c); err != nil {
			s.log.Warn("cannot sweep open statement batches", "err", err)
		} else if c, err = s.loadCounter(ctx); err != nil {
			return snapshot{}, err
		}
	}
	return snapshotOf(c), nil
}

// snapshotOf returns what c tells a reader.
func snapshotOf(c counterDoc) snapshot {
	sn := snapshot{last: c.Seq, watermark: c.Seq, open: []string{}}
	for tok, b := range c.Open {
		sn.open = append(sn.open, tok)
		switch b.State {
		case statePending:
			sn.watermark = min(sn.watermark, b.Lo-1)
		default:
			sn.aborted = append(sn.aborted, tok)
		}
	}
	return sn
}

// sees reports whether a statement with seq in batch (or "") is visible in sn.
func (sn snapshot) sees(seq int64, batch string) bool {
	return seq <= sn.last && (batch == "" || !slices.Contains(sn.open, batch))
}

// needsSweep reports whether c lists a pending batch past its lease or an aborted one
// past its grace period.
func (s *Store) needsSweep(c counterDoc) bool {
	now := s.cfg.now()
	for _, b := range c.Open {
		if b.State == statePending && now.After(b.Expires) ||
			b.State != statePending && now.After(b.Expires.Add(s.cfg.grace)) {
			return true
		}
	}
	return false
}

// newToken returns a random batch token (hex: safe as a field name).
func newToken() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", capture.Internal(err, "cannot create a batch token")
	}
	return hex.EncodeToString(b[:]), nil
}

// register allocates n seqs for a new pending batch and returns its token and first
// seq. base is the seq the caller last read; a stale one costs a retry.
func (s *Store) register(ctx context.Context, n int, base int64) (token string, lo int64, err error) {
	if token, err = newToken(); err != nil {
		return "", 0, err
	}
	s.counterMu.Lock()
	defer s.counterMu.Unlock()
	for attempt := 0; ; attempt++ {
		if base > math.MaxInt64-int64(n) {
			return "", 0, capture.Internal(fmt.Errorf("seq %d overflows", base), "the statement sequence is exhausted")
		}
		entry := openBatch{Lo: base + 1, Hi: base + int64(n), Expires: s.cfg.now().Add(s.cfg.lease), State: statePending}
		res, err := s.counters.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: counterID}, {Key: "seq", Value: base}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: entry.Hi}, {Key: "open." + token, Value: entry}}}})
		if err != nil {
			return "", 0, storeErr(err, "cannot allocate statement sequence numbers")
		}
		if res.MatchedCount == 1 {
			return token, entry.Lo, nil
		}
		// Another writer allocated since base was read: retry with the new value.
		if attempt > 0 {
			time.Sleep(time.Duration(min(attempt, 20)) * time.Millisecond)
		}
		c, err := s.loadCounter(ctx)
		if err != nil {
			return "", 0, err
		}
		base = c.Seq
	}
}

// commit makes the batch visible and returns the snapshot right after it. It fails
// with CodeUnavailable when the batch is no longer pending (it expired and was aborted).
func (s *Store) commit(ctx context.Context, token string) (snapshot, error) {
	s.counterMu.Lock()
	defer s.counterMu.Unlock()
	var c counterDoc
	err := s.counters.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: counterID}, {Key: "open." + token + ".st", Value: statePending}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "open." + token, Value: ""}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return snapshot{}, capture.Errorf(capture.CodeUnavailable, "the statement batch timed out")
	}
	if err != nil {
		return snapshot{}, storeErr(err, "cannot commit the statements")
	}
	return snapshotOf(c), nil
}

// abort marks the batch aborted (when still pending), deletes its statements and, when
// drop is set, removes its entry. A batch that committed meanwhile (its entry is gone)
// is left alone and reported as committed.
func (s *Store) abort(ctx context.Context, token string, drop bool) (committed bool, err error) {
	s.counterMu.Lock()
	_, err = s.counters.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: counterID}, {Key: "open." + token + ".st", Value: statePending}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "open." + token + ".st", Value: stateAborted}}}})
	s.counterMu.Unlock()
	if err != nil {
		return false, storeErr(err, "cannot abort the statement batch")
	}
	c, err := s.loadCounter(ctx)
	if err != nil {
		return false, err
	}
	if _, ok := c.Open[token]; !ok {
		return true, nil
	}
	if _, err := s.statements.DeleteMany(ctx, bson.D{{Key: "batch", Value: token}}); err != nil {
		return false, storeErr(err, "cannot delete the statements of an aborted batch")
	}
	if !drop {
		return false, nil
	}
	s.counterMu.Lock()
	defer s.counterMu.Unlock()
	_, err = s.counters.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: counterID}, {Key: "open." + token + ".st", Value: stateAborted}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "open." + token, Value: ""}}}})
	return false, storeErr(err, "cannot remove an aborted statement batch")
}

// sweepOpen aborts the pending batches of c past their lease, deletes the statements of
// aborted batches, and removes aborted entries past their grace period.
func (s *Store) sweepOpen(ctx context.Context, c counterDoc) error {
	now := s.cfg.now()
	for tok, b := range c.Open {
		switch {
		case b.State == statePending && now.After(b.Expires):
			s.log.Warn("aborting a statement batch left open", "batch", tok, "lo", b.Lo, "hi", b.Hi, "expired", b.Expires)
			if _, err := s.abort(ctx, tok, false); err != nil {
				return err
			}
		case b.State == stateAborted:
			if _, err := s.abort(ctx, tok, now.After(b.Expires.Add(s.cfg.grace))); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweep runs at Open: it sweeps open batches (sweepOpen), then redoes the effects of
// committed batches whose statements still carry their token.
func (s *Store) sweep(ctx context.Context) error {
	c, err := s.loadCounter(ctx)
	if err != nil {
		return err
	}
	if err := s.sweepOpen(ctx, c); err != nil {
		return err
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	filter := bson.D{
		{Key: "seq", Value: bson.D{{Key: "$lte", Value: sn.last}}},
		{Key: "batch", Value: bson.D{{Key: "$exists", Value: true}, {Key: "$nin", Value: sn.open}}},
	}
	var docs []stmtDoc
	if err := s.findAll(ctx, s.statements, filter, &docs); err != nil {
		return err
	}
	byBatch := map[string][]stmtDoc{}
	for _, d := range docs {
		byBatch[d.Batch] = append(byBatch[d.Batch], d)
	}
	for tok, ds := range byBatch {
		s.log.Warn("finishing a committed statement batch", "batch", tok, "statements", len(ds))
		if err := s.finish(ctx, sn, ds); err != nil {
			return err
		}
	}
	return nil
}
