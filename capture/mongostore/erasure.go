package mongostore

import (
	"context"
	"encoding/json"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
)

var _ erasure.AuditStore = (*Store)(nil)

// collErasures holds one document per erasure: _id, at, and the record as JSON.
const collErasures = "erasures"

type erasureDoc struct {
	ID     string    `bson:"_id"`
	At     time.Time `bson:"at"`
	AtNs   int64     `bson:"atNs"`
	Record []byte    `bson:"record"`
}

// AddErasure stores r; CodeConflict when its id is stored.
func (s *Store) AddErasure(ctx context.Context, r erasure.Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return capture.Internal(err, "cannot encode the erasure record")
	}
	_, err = s.db.Collection(collErasures).InsertOne(ctx, erasureDoc{ID: r.ID, At: r.At.UTC(), AtNs: nanos(r.At), Record: b})
	if mongo.IsDuplicateKeyError(err) {
		return capture.Errorf(capture.CodeConflict, "erasure %s is recorded already", r.ID)
	}
	return storeErr(err, "cannot store the erasure record")
}

// Erasures lists at most limit records, newest first; CodeInvalid for limit < 1.
func (s *Store) Erasures(ctx context.Context, limit int) ([]erasure.Record, error) {
	if limit < 1 {
		return nil, capture.Errorf(capture.CodeInvalid, "limit must be positive")
	}
	var docs []erasureDoc
	err := s.findAll(ctx, s.db.Collection(collErasures), bson.D{}, &docs,
		options.Find().SetSort(bson.D{{Key: "atNs", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]erasure.Record, 0, len(docs))
	for _, d := range docs {
		var r erasure.Record
		if err := json.Unmarshal(d.Record, &r); err != nil {
			return nil, capture.Internal(err, "a stored erasure record is damaged")
		}
		out = append(out, r)
	}
	return out, nil
}
