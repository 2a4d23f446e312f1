package mongostore

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// relDoc is the part of a stored statement that voiding and inheritance read.
type relDoc struct {
	ID         string   `bson:"_id"`
	Seq        int64    `bson:"seq"`
	Batch      string   `bson:"batch"`
	Keys       []string `bson:"keys"`
	IKeys      []string `bson:"ikeys"`
	RefTarget  string   `bson:"refTarget"`
	VoidTarget string   `bson:"voidTarget"`
}

var relProjection = bson.D{
	{Key: "seq", Value: 1}, {Key: "batch", Value: 1}, {Key: "keys", Value: 1}, {Key: "ikeys", Value: 1},
	{Key: "refTarget", Value: 1}, {Key: "voidTarget", Value: 1},
}

// related returns the stored statements (in any state) matching any of clauses.
func (s *Store) related(ctx context.Context, clauses ...bson.D) ([]relDoc, error) {
	var out []relDoc
	filter := clauses[0]
	if len(clauses) > 1 {
		or := make(bson.A, len(clauses))
		for i, c := range clauses {
			or[i] = c
		}
		filter = bson.D{{Key: "$or", Value: or}}
	}
	err := s.findAll(ctx, s.statements, filter, &out, options.Find().SetProjection(relProjection))
	return out, err
}

func in(field string, values []string) bson.D {
	return bson.D{{Key: field, Value: bson.D{{Key: "$in", Value: values}}}}
}

// batchShape indexes a batch's documents: their ids and the targets outside the batch.
type batchShape struct {
	ids     []string
	index   map[string]int
	outside []string // RefTargets that are not in the batch
}

func shapeOf(docs []stmtDoc) batchShape {
	sh := batchShape{ids: make([]string, len(docs)), index: make(map[string]int, len(docs))}
	for i, d := range docs {
		sh.ids[i], sh.index[d.ID] = d.ID, i
	}
	seen := map[string]bool{}
	for _, d := range docs {
		if _, inBatch := sh.index[d.RefTarget]; d.RefTarget != "" && !inBatch && !seen[d.RefTarget] {
			seen[d.RefTarget] = true
			sh.outside = append(sh.outside, d.RefTarget)
		}
	}
	return sh
}

// InsertStatements stores the batch all or nothing (see the package doc for how without
// transactions). CodeConflict when an id is already stored or repeats in the batch;
// CodeUnavailable when another batch still being written holds one of the ids, when the
// server is unreachable, or when the batch outlived its lease.
func (s *Store) InsertStatements(ctx context.Context, b capture.InsertBatch) error {
	if len(b.Statements) == 0 {
		return s.putExtras(ctx, b)
	}
	docs := make([]stmtDoc, len(b.Statements))
	for i, r := range b.Statements {
		docs[i] = toDoc(r)
	}
	sh := shapeOf(docs)
	if len(sh.index) < len(docs) {
		return capture.Errorf(capture.CodeConflict, "a statement id appears twice in the batch")
	}

	// One read for the conflict check, the targets to inherit from and the voiders.
	sn, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	rows, err := s.related(ctx, in("_id", append(sh.ids[:len(sh.ids):len(sh.ids)], sh.outside...)), in("voidTarget", sh.ids))
	if err != nil {
		return err
	}
	targets := map[string]relDoc{}
	for _, r := range rows {
		if _, clash := sh.index[r.ID]; clash {
			if !sn.sees(r.Seq, r.Batch) {
				// Another request is storing it: a retry finds it stored (or gone).
				return capture.Errorf(capture.CodeUnavailable, "statement %s is being stored by another request; retry", r.ID)
			}
			return capture.Errorf(capture.CodeConflict, "statement %s is already stored", r.ID)
		}
		if sn.sees(r.Seq, r.Batch) {
			targets[r.ID] = r
		}
	}
	inherit(docs, sh, targets)
	for _, d := range docs {
		if i, ok := sh.index[d.VoidTarget]; ok {
			docs[i].Voided = true
		}
	}
	for _, r := range rows {
		if i, ok := sh.index[r.VoidTarget]; ok && sn.sees(r.Seq, r.Batch) {
			docs[i].Voided = true
		}
	}

	token, lo, err := s.register(ctx, len(docs), sn.last)
	if err != nil {
		return err
	}
	inserts := make([]any, len(docs))
	for i := range docs {
		docs[i].Seq, docs[i].Batch = lo+int64(i), token
		inserts[i] = docs[i]
	}
	if _, err := s.statements.InsertMany(ctx, inserts); err != nil {
		return s.abandon(token, docs, storeErr(err, "a statement of the batch is already stored"))
	}
	if err := s.putExtras(ctx, b); err != nil {
		return s.abandon(token, docs, err)
	}
	after, err := s.commit(ctx, token)
	if err != nil {
		return s.abandon(token, docs, err)
	}
	s.finishAll(ctx, after, token, docs)
	return nil
}

// abandon aborts the batch after a failure and returns cause, or nil when the batch
// turns out committed (a commit whose reply was lost). It runs on its own context, so
// that a cancelled request still cleans up.
func (s *Store) abandon(token string, docs []stmtDoc, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	committed, err := s.abort(ctx, token, true)
	if err != nil {
		s.log.Error("cannot abort a statement batch; it is swept when its lease ends", "batch", token, "err", err)
		return cause
	}
	if !committed {
		return cause
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		s.unfinished.add(token, docs)
		return nil
	}
	s.finishAll(ctx, sn, token, docs)
	return nil
}

// finishAll finishes the batch token (see finish), then retries the batches whose finish
// failed before. A batch that still fails is kept for the next call, and Open finishes
// whatever a restart leaves.
func (s *Store) finishAll(ctx context.Context, sn snapshot, token string, docs []stmtDoc) {
	// The batch is committed: finish it even when the request is cancelled now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.finish(ctx, sn, docs); err != nil {
		s.log.Error("statements stored but their voiding or inheritance is not finished; will retry", "batch", token, "err", err)
		s.unfinished.add(token, docs)
		return
	}
	for tok, ds := range s.unfinished.take() {
		if err := s.finish(ctx, sn, ds); err != nil {
			s.unfinished.add(tok, ds)
			continue
		}
		s.log.Info("finished a statement batch on retry", "batch", tok)
	}
}

// unfinishedBatches holds committed batches whose finish failed, by token.
type unfinishedBatches struct {
	mu      sync.Mutex
	batches map[string][]stmtDoc
}

// add keeps docs of batch token for a retry.
func (u *unfinishedBatches) add(token string, docs []stmtDoc) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.batches == nil {
		u.batches = map[string][]stmtDoc{}
	}
	u.batches[token] = docs
}

// take empties the set and returns what it held.
func (u *unfinishedBatches) take() map[string][]stmtDoc {
	u.mu.Lock()
	defer u.mu.Unlock()
	b := u.batches
	u.batches = nil
	return b
}

// inherit adds to each doc's IKeys the keys and inherited keys of its RefTarget, found
// in docs or in stored, to a fixed point (so chains and cycles within docs are
// complete). It returns the indexes of the docs it changed.
func inherit(docs []stmtDoc, sh batchShape, stored map[string]relDoc) map[int]bool {
	changed := map[int]bool{}
	for round := 0; round <= len(docs); round++ {
		grew := false
		for i := range docs {
			var from []string
			if j, ok := sh.index[docs[i].RefTarget]; ok {
				from = union(docs[j].Keys, docs[j].IKeys)
			} else if t, ok := stored[docs[i].RefTarget]; ok {
				from = union(t.Keys, t.IKeys)
			}
			if next := union(docs[i].IKeys, from); len(next) > len(docs[i].IKeys) {
				docs[i].IKeys, changed[i], grew = next, true, true
			}
		}
		if !grew {
			break
		}
	}
	return changed
}

// finish applies a committed batch's effects on other statements, as seen in sn (a
// snapshot taken after the commit), then clears the batch token from its statements.
// Every step is idempotent, so Open can redo it.
func (s *Store) finish(ctx context.Context, sn snapshot, docs []stmtDoc) error {
	sh := shapeOf(docs)
	clauses := []bson.D{in("voidTarget", sh.ids), in("refTarget", sh.ids)}
	if len(sh.outside) > 0 {
		clauses = append(clauses, in("_id", sh.outside))
	}
	rows, err := s.related(ctx, clauses...)
	if err != nil {
		return err
	}

	// Voiding, both ways: the targets of the batch's voiding statements, and batch
	// statements that a statement committed since the batch was resolved voids.
	var toVoid []string
	for _, d := range docs {
		if i, inBatch := sh.index[d.VoidTarget]; d.VoidTarget != "" && (!inBatch || !docs[i].Voided) {
			toVoid = append(toVoid, d.VoidTarget)
		}
	}
	for _, r := range rows {
		if i, ok := sh.index[r.VoidTarget]; ok && !docs[i].Voided && sn.sees(r.Seq, r.Batch) {
			toVoid = append(toVoid, r.VoidTarget)
		}
	}
	if len(toVoid) > 0 {
		_, err := s.statements.UpdateMany(ctx, append(in("_id", toVoid), bson.E{Key: "voided", Value: false}),
			bson.D{{Key: "$set", Value: bson.D{{Key: "voided", Value: true}}}})
		if err != nil {
			return storeErr(err, "cannot mark voided statements")
		}
	}

	// Inheritance into the batch from targets committed since it was resolved.
	targets := map[string]relDoc{}
	for _, r := range rows {
		if _, inBatch := sh.index[r.ID]; !inBatch && sn.sees(r.Seq, r.Batch) {
			targets[r.ID] = r
		}
	}
	for i := range inherit(docs, sh, targets) {
		if err := s.addInherited(ctx, docs[i].ID, docs[i].IKeys); err != nil {
			return err
		}
	}

	// Inheritance out of the batch into the statements that target it, transitively.
	// Referrers in other open batches get the keys too: they need them if they commit.
	var referrers []relDoc
	for _, r := range rows {
		if _, inBatch := sh.index[r.ID]; !inBatch && r.RefTarget != "" {
			if _, targetsBatch := sh.index[r.RefTarget]; targetsBatch {
				referrers = append(referrers, r)
			}
		}
	}
	keysOf := make(map[string][]string, len(docs))
	for _, d := range docs {
		keysOf[d.ID] = union(d.Keys, d.IKeys)
	}
	if err := s.propagate(ctx, referrers, keysOf, sh.index); err != nil {
		return err
	}

	// By _id, not by token: a plain _id equality is the one filter FerretDB looks up
	// without scanning the collection.
	done := in("_id", sh.ids)
	if len(sh.ids) == 1 {
		done = bson.D{{Key: "_id", Value: sh.ids[0]}}
	}
	_, err = s.statements.UpdateMany(ctx, done, bson.D{{Key: "$unset", Value: bson.D{{Key: "batch", Value: ""}}}})
	return storeErr(err, "cannot finish the statement batch")
}

// addInherited adds keys to the inherited keys of statement id.
func (s *Store) addInherited(ctx context.Context, id string, keys []string) error {
	_, err := s.statements.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "ikeys", Value: bson.D{{Key: "$each", Value: keys}}}}}})
	return storeErr(err, "cannot update inherited keys")
}

// propagate gives each referrer the keys (keysOf) of the statement it targets, then does
// the same for the statements that target the referrers, level by level; done holds the
// statements not to visit (the batch itself), so cycles end.
func (s *Store) propagate(ctx context.Context, referrers []relDoc, keysOf map[string][]string, done map[string]int) error {
	visited := make(map[string]bool, len(done))
	for id := range done {
		visited[id] = true
	}
	for len(referrers) > 0 {
		next := map[string][]string{}
		for _, r := range referrers {
			if visited[r.ID] {
				continue
			}
			visited[r.ID] = true
			keys := keysOf[r.RefTarget]
			if grown := union(r.IKeys, keys); len(grown) > len(union(nil, r.IKeys)) {
				if err := s.addInherited(ctx, r.ID, keys); err != nil {
					return err
				}
			}
			next[r.ID] = keys
		}
		if len(next) == 0 {
			return nil
		}
		ids := make([]string, 0, len(next))
		for id := range next {
			ids = append(ids, id)
		}
		var err error
		if referrers, err = s.related(ctx, in("refTarget", ids)); err != nil {
			return err
		}
		keysOf = next
	}
	return nil
}

// putExtras stores the batch's attachments (a repeat sha2 is a no-op) and upserts its
// canonical activity definitions.
func (s *Store) putExtras(ctx context.Context, b capture.InsertBatch) error {
	for _, a := range b.Attachments {
		if err := s.putAttachment(ctx, a); err != nil {
			return err
		}
	}
	return s.PutActivities(ctx, b.Activities)
}

// PutActivities upserts acts, one document each (see capture.StatementStore); a failure
// part-way leaves the earlier records written.
func (s *Store) PutActivities(ctx context.Context, acts []capture.ActivityRecord) error {
	for _, a := range acts {
		_, err := s.activities.UpdateOne(ctx, bson.D{{Key: "_id", Value: a.ID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "definition", Value: string(a.Definition)}}}},
			options.UpdateOne().SetUpsert(true))
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			return storeErr(err, "cannot store an activity definition")
		}
	}
	return nil
}
