package mongostore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// docDoc is one document of the documents collection (xAPI 1.0.3 Communication 2.3–2.6).
type docDoc struct {
	Key          string    `bson:"_id"` // docKey of the fields below
	Kind         string    `bson:"kind"`
	ActivityID   string    `bson:"activityId"`
	AgentKey     string    `bson:"agentKey"`
	Registration string    `bson:"registration"`
	DocID        string    `bson:"docId"`
	ContentType  string    `bson:"contentType"`
	Content      []byte    `bson:"content"`
	ETag         string    `bson:"etag"`
	Updated      time.Time `bson:"updated"`   // for people reading the database (milliseconds)
	UpdatedNs    int64     `bson:"updatedNs"` // Updated in Unix nanoseconds: what since compares
}

// docKey returns the _id of the document at k: the JSON array of its fields, which
// cannot collide across kinds or field boundaries.
func docKey(k capture.DocumentKey) string {
	k = k.Normalized()
	b, _ := json.Marshal([]string{string(k.Kind), k.ActivityID, k.AgentKey, k.Registration, k.ID})
	return string(b)
}

func (d docDoc) document() capture.Document {
	content := d.Content
	if content == nil {
		content = []byte{}
	}
	return capture.Document{
		DocumentKey: capture.DocumentKey{
			Kind: capture.DocumentKind(d.Kind), ActivityID: d.ActivityID, AgentKey: d.AgentKey,
			Registration: d.Registration, ID: d.DocID,
		},
		ContentType: d.ContentType,
		Content:     content,
		ETag:        d.ETag,
		Updated:     fromNanos(d.UpdatedNs),
	}
}

// scopeFilter selects the documents of scope's kind, activity and agent, and of its
// registration when that is set (every registration otherwise).
func scopeFilter(scope capture.DocumentKey) bson.D {
	scope = scope.Normalized()
	f := bson.D{
		{Key: "kind", Value: string(scope.Kind)},
		{Key: "activityId", Value: scope.ActivityID},
		{Key: "agentKey", Value: scope.AgentKey},
	}
	if scope.Registration != "" {
		f = append(f, bson.E{Key: "registration", Value: scope.Registration})
	}
	return f
}

// Document returns the document at key, or CodeNotFound.
func (s *Store) Document(ctx context.Context, key capture.DocumentKey) (capture.Document, error) {
	var d docDoc
	err := s.documents.FindOne(ctx, bson.D{{Key: "_id", Value: docKey(key)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return capture.Document{}, capture.Errorf(capture.CodeNotFound, "no such document")
	}
	if err != nil {
		return capture.Document{}, storeErr(err, "cannot read the document")
	}
	return d.document(), nil
}

// PutDocument creates or replaces the document at d.DocumentKey when cond holds
// (CodePreconditionFailed otherwise): If-None-Match is a conditional insert, If-Match a
// replace filtered on the stored ETag (xAPI 1.0.3 Communication 3.1).
func (s *Store) PutDocument(ctx context.Context, d capture.Document, cond capture.Precondition) error {
	d.DocumentKey = d.DocumentKey.Normalized()
	row := docDoc{
		Key: docKey(d.DocumentKey), Kind: string(d.Kind), ActivityID: d.ActivityID, AgentKey: d.AgentKey,
		Registration: d.Registration, DocID: d.ID, ContentType: d.ContentType,
		Content: nonNilBytes(d.Content), ETag: d.ETag, Updated: d.Updated.UTC(), UpdatedNs: nanos(d.Updated),
	}
	fields := bson.D{
		{Key: "kind", Value: row.Kind}, {Key: "activityId", Value: row.ActivityID},
		{Key: "agentKey", Value: row.AgentKey}, {Key: "registration", Value: row.Registration},
		{Key: "docId", Value: row.DocID}, {Key: "contentType", Value: row.ContentType},
		{Key: "content", Value: row.Content}, {Key: "etag", Value: row.ETag}, {Key: "updated", Value: row.Updated}, {Key: "updatedNs", Value: row.UpdatedNs},
	}
	switch {
	case cond.IfNoneMatch && cond.IfMatch != "":
		// The document must both exist and not exist.
		return capture.Errorf(capture.CodePreconditionFailed, "If-Match and If-None-Match: * cannot both hold")
	case cond.IfNoneMatch:
		_, err := s.documents.InsertOne(ctx, row)
		if mongo.IsDuplicateKeyError(err) {
			return capture.Errorf(capture.CodePreconditionFailed, "the document exists (If-None-Match: *)")
		}
		return storeErr(err, "cannot store the document")
	case cond.IfMatch != "":
		res, err := s.documents.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: row.Key}, {Key: "etag", Value: cond.IfMatch}},
			bson.D{{Key: "$set", Value: fields}})
		if err != nil {
			return storeErr(err, "cannot store the document")
		}
		if res.MatchedCount == 0 {
			return capture.Errorf(capture.CodePreconditionFailed, "the document's ETag does not match If-Match")
		}
		return nil
	}
	for attempt := 0; ; attempt++ {
		_, err := s.documents.UpdateOne(ctx, bson.D{{Key: "_id", Value: row.Key}},
			bson.D{{Key: "$set", Value: fields}}, options.UpdateOne().SetUpsert(true))
		if mongo.IsDuplicateKeyError(err) && attempt == 0 {
			continue // a concurrent upsert inserted it first: now it updates
		}
		return storeErr(err, "cannot store the document")
	}
}

// DeleteDocument removes the document at key when cond holds (CodePreconditionFailed
// otherwise). Deleting an absent document without If-Match is not an error.
func (s *Store) DeleteDocument(ctx context.Context, key capture.DocumentKey, cond capture.Precondition) error {
	filter := bson.D{{Key: "_id", Value: docKey(key)}}
	switch {
	case cond.IfNoneMatch && cond.IfMatch != "":
		return capture.Errorf(capture.CodePreconditionFailed, "If-Match and If-None-Match: * cannot both hold")
	case cond.IfNoneMatch:
		n, err := s.documents.CountDocuments(ctx, filter, options.Count().SetLimit(1))
		if err != nil {
			return storeErr(err, "cannot read the document")
		}
		if n > 0 {
			return capture.Errorf(capture.CodePreconditionFailed, "the document exists (If-None-Match: *)")
		}
		return nil
	case cond.IfMatch != "":
		res, err := s.documents.DeleteOne(ctx, append(filter, bson.E{Key: "etag", Value: cond.IfMatch}))
		if err != nil {
			return storeErr(err, "cannot delete the document")
		}
		if res.DeletedCount == 0 {
			return capture.Errorf(capture.CodePreconditionFailed, "the document's ETag does not match If-Match")
		}
		return nil
	}
	_, err := s.documents.DeleteOne(ctx, filter)
	return storeErr(err, "cannot delete the document")
}

// DeleteDocuments removes every document in scope (scope.ID ignored; every
// registration when scope.Registration is empty).
func (s *Store) DeleteDocuments(ctx context.Context, scope capture.DocumentKey) error {
	_, err := s.documents.DeleteMany(ctx, scopeFilter(scope))
	return storeErr(err, "cannot delete the documents")
}

// DocumentIDs lists the ids of the documents in scope (every registration when
// scope.Registration is empty) updated after since (zero: all), sorted, without repeats.
func (s *Store) DocumentIDs(ctx context.Context, scope capture.DocumentKey, since time.Time) ([]string, error) {
	filter := scopeFilter(scope)
	if !since.IsZero() {
		filter = append(filter, bson.E{Key: "updatedNs", Value: bson.D{{Key: "$gt", Value: nanos(since)}}})
	}
	var rows []struct {
		DocID string `bson:"docId"`
	}
	err := s.findAll(ctx, s.documents, filter, &rows, options.Find().
		SetProjection(bson.D{{Key: "docId", Value: 1}}).SetSort(bson.D{{Key: "docId", Value: 1}}))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.DocID)
	}
	// Sorted here too: the server's collation need not be byte order.
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
