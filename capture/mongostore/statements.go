package mongostore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// stmtDoc is one document of the statements collection.
type stmtDoc struct {
	ID         string    `bson:"_id"`
	Seq        int64     `bson:"seq"`
	Stored     time.Time `bson:"stored"`   // for people reading the database: BSON dates keep milliseconds only
	StoredNs   int64     `bson:"storedNs"` // Stored in Unix nanoseconds: what queries compare and records return
	Raw        []byte    `bson:"raw"`      // BSON binary: the JSON may hold keys with dots
	Keys       []string  `bson:"keys"`     // never null, so that $addToSet and $all work
	IKeys      []string  `bson:"ikeys"`    // never null
	RefTarget  string    `bson:"refTarget,omitempty"`
	VoidTarget string    `bson:"voidTarget,omitempty"`
	Voided     bool      `bson:"voided"`
	Attach     []string  `bson:"attach,omitempty"`
	Origin     string    `bson:"origin,omitempty"`
	Batch      string    `bson:"batch,omitempty"` // token of the batch until it is finished
}

// toDoc returns the document that stores r, without seq, batch and inherited keys.
func toDoc(r capture.StatementRecord) stmtDoc {
	return stmtDoc{
		ID:         r.ID,
		Stored:     r.Stored.UTC(),
		StoredNs:   nanos(r.Stored),
		Raw:        r.Raw,
		Keys:       union(nil, r.Keys),
		IKeys:      []string{},
		RefTarget:  r.RefTarget,
		VoidTarget: r.VoidTarget,
		Attach:     r.AttachSHA2,
		Origin:     r.Origin,
	}
}

// record returns the capture.StatementRecord that d stores.
func (d stmtDoc) record() capture.StatementRecord {
	return capture.StatementRecord{
		Seq:           d.Seq,
		ID:            d.ID,
		Stored:        fromNanos(d.StoredNs),
		Raw:           d.Raw,
		Keys:          nilIfEmpty(d.Keys),
		RefTarget:     d.RefTarget,
		VoidTarget:    d.VoidTarget,
		Voided:        d.Voided,
		AttachSHA2:    nilIfEmpty(d.Attach),
		Origin:        d.Origin,
		InheritedKeys: nilIfEmpty(d.IKeys),
	}
}

// StatementsByID returns the visible statements among ids, voided or not, keyed by id.
func (s *Store) StatementsByID(ctx context.Context, ids []string) (map[string]capture.StatementRecord, error) {
	out := make(map[string]capture.StatementRecord, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var docs []stmtDoc
	filter := append(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, sn.visible(sn.last)...)
	if err := s.findAll(ctx, s.statements, filter, &docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[d.ID] = d.record()
	}
	return out, nil
}

// QueryStatements returns at most q.Limit non-voided statements matching q in seq order,
// never beyond the watermark (see LastSeq). CodeInvalid when q.Limit is not positive.
func (s *Store) QueryStatements(ctx context.Context, q capture.StatementQuery) ([]capture.StatementRecord, error) {
	if q.Limit <= 0 {
		return nil, capture.Errorf(capture.CodeInvalid, "the statement query limit must be positive")
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	upper := sn.watermark
	if q.MaxSeq > 0 {
		upper = min(upper, q.MaxSeq)
	}
	seq := bson.D{{Key: "$lte", Value: upper}}
	if q.AfterSeq > 0 {
		op := "$lt"
		if q.Ascending {
			op = "$gt"
		}
		seq = append(seq, bson.E{Key: op, Value: q.AfterSeq})
	}
	filter := bson.D{{Key: "voided", Value: false}, {Key: "seq", Value: seq}}
	if len(sn.aborted) > 0 {
		filter = append(filter, bson.E{Key: "batch", Value: bson.D{{Key: "$nin", Value: sn.aborted}}})
	}
	var stored bson.D
	if !q.Since.IsZero() {
		stored = append(stored, bson.E{Key: "$gt", Value: nanos(q.Since)})
	}
	if !q.Until.IsZero() {
		stored = append(stored, bson.E{Key: "$lte", Value: nanos(q.Until)})
	}
	if len(stored) > 0 {
		filter = append(filter, bson.E{Key: "storedNs", Value: stored})
	}
	if keys := union(nil, q.Keys); len(keys) > 0 {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "keys", Value: bson.D{{Key: "$all", Value: keys}}}},
			bson.D{{Key: "ikeys", Value: bson.D{{Key: "$all", Value: keys}}}},
		}})
	}
	order := -1
	if q.Ascending {
		order = 1
	}
	var docs []stmtDoc
	err = s.findAll(ctx, s.statements, filter, &docs,
		options.Find().SetSort(bson.D{{Key: "seq", Value: order}}).SetLimit(int64(q.Limit)))
	if err != nil {
		return nil, err
	}
	out := make([]capture.StatementRecord, len(docs))
	for i, d := range docs {
		out[i] = d.record()
	}
	return out, nil
}

// LastSeq returns the highest seq of a stored statement at or below the watermark: the
// seq below which no batch is still pending, so a cursor bounded by it skips nothing.
// 0 for an empty store.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	sn, err := s.snapshot(ctx)
	if err != nil {
		return 0, err
	}
	filter := bson.D{{Key: "seq", Value: bson.D{{Key: "$lte", Value: sn.watermark}}}}
	if len(sn.aborted) > 0 {
		filter = append(filter, bson.E{Key: "batch", Value: bson.D{{Key: "$nin", Value: sn.aborted}}})
	}
	var docs []struct {
		Seq int64 `bson:"seq"`
	}
	err = s.findAll(ctx, s.statements, filter, &docs, options.Find().
		SetSort(bson.D{{Key: "seq", Value: -1}}).SetLimit(1).SetProjection(bson.D{{Key: "seq", Value: 1}}))
	if err != nil || len(docs) == 0 {
		return 0, err
	}
	return docs[0].Seq, nil
}

// Activities returns the canonical definitions among ids, keyed by id.
func (s *Store) Activities(ctx context.Context, ids []string) (map[string]capture.ActivityRecord, error) {
	out := make(map[string]capture.ActivityRecord, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var docs []struct {
		ID         string `bson:"_id"`
		Definition string `bson:"definition"`
	}
	if err := s.findAll(ctx, s.activities, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, &docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		rec := capture.ActivityRecord{ID: d.ID}
		if d.Definition != "" {
			rec.Definition = []byte(d.Definition)
		}
		out[d.ID] = rec
	}
	return out, nil
}

// findAll runs a find on coll and decodes every result into out (a pointer to a slice).
func (s *Store) findAll(ctx context.Context, coll *mongo.Collection, filter any, out any, opts ...options.Lister[options.FindOptions]) error {
	cur, err := coll.Find(ctx, filter, opts...)
	if err != nil {
		return storeErr(err, fmt.Sprintf("cannot read %s", coll.Name()))
	}
	if err := cur.All(ctx, out); err != nil {
		return storeErr(err, fmt.Sprintf("cannot read %s", coll.Name()))
	}
	return nil
}

// union returns the sorted set of a's and b's strings.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// nanos returns t in Unix nanoseconds (exact where BSON dates keep milliseconds), 0 for
// the zero time, clamped to the int64 range (years 1678 to 2262).
func nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos: 0 is the zero time.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nilIfEmpty(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
