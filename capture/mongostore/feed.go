package mongostore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// StatementsAfter returns at most limit records with seq > seq in seq order, voided
// ones included, never beyond the watermark (no pending batch below a returned seq).
// CodeInvalid when limit is not positive.
func (s *Store) StatementsAfter(ctx context.Context, seq int64, limit int) ([]capture.StatementRecord, error) {
	if limit <= 0 {
		return nil, capture.Errorf(capture.CodeInvalid, "feed limit must be positive")
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	filter := bson.D{{Key: "seq", Value: bson.D{{Key: "$gt", Value: seq}, {Key: "$lte", Value: sn.watermark}}}}
	if len(sn.aborted) > 0 {
		filter = append(filter, bson.E{Key: "batch", Value: bson.D{{Key: "$nin", Value: sn.aborted}}})
	}
	var docs []stmtDoc
	err = s.findAll(ctx, s.statements, filter, &docs,
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]capture.StatementRecord, len(docs))
	for i, d := range docs {
		r := d.record()
		r.Keys, r.InheritedKeys = nil, nil
		out[i] = r
	}
	return out, nil
}
