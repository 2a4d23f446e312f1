package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
)

// Attachment contents (xAPI 1.0.3 Data 2.4.11) are split into chunk documents, so that
// no content is bounded by MongoDB's 16 MiB document limit. The head document
// (attachments, _id = sha2) is written after every chunk, so a head means complete
// content; chunks without a head are an interrupted write that a repeat completes.

// attachmentHead is one document of the attachments collection.
type attachmentHead struct {
	SHA2        string `bson:"_id"`
	ContentType string `bson:"contentType"`
	Length      int64  `bson:"length"`
	Chunks      int32  `bson:"chunks"`
}

// attachmentChunk is one document of the attachmentChunks collection.
type attachmentChunk struct {
	ID   string `bson:"_id"` // sha2 "#" n
	SHA2 string `bson:"sha2"`
	N    int32  `bson:"n"`
	Data []byte `bson:"data"`
}

// putAttachment stores a's content unless its sha2 is stored already (a no-op then).
func (s *Store) putAttachment(ctx context.Context, a capture.Attachment) error {
	n, err := s.attachments.CountDocuments(ctx, bson.D{{Key: "_id", Value: a.SHA2}})
	if err != nil {
		return storeErr(err, "cannot store an attachment")
	}
	if n > 0 {
		return nil
	}
	head := attachmentHead{SHA2: a.SHA2, ContentType: a.ContentType, Length: int64(len(a.Content))}
	for off := 0; off == 0 || off < len(a.Content); off += s.cfg.chunk {
		end := min(off+s.cfg.chunk, len(a.Content))
		c := attachmentChunk{ID: fmt.Sprintf("%s#%d", a.SHA2, head.Chunks), SHA2: a.SHA2, N: head.Chunks, Data: nonNilBytes(a.Content[off:end])}
		// Replace, not insert: a chunk left by an interrupted write holds the same bytes.
		_, err := s.chunks.ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.ID}}, c, options.Replace().SetUpsert(true))
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			return storeErr(err, "cannot store an attachment")
		}
		head.Chunks++
	}
	_, err = s.attachments.UpdateOne(ctx, bson.D{{Key: "_id", Value: a.SHA2}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{
			{Key: "contentType", Value: head.ContentType}, {Key: "length", Value: head.Length}, {Key: "chunks", Value: head.Chunks},
		}}}, options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) { // a concurrent write of the same sha2
		return storeErr(err, "cannot store an attachment")
	}
	return nil
}

// Attachments returns the stored contents among sha2s, keyed by sha2; unknown ones are
// absent. CodeInternal when a stored content is incomplete.
func (s *Store) Attachments(ctx context.Context, sha2s []string) (map[string]capture.Attachment, error) {
	out := make(map[string]capture.Attachment, len(sha2s))
	if len(sha2s) == 0 {
		return out, nil
	}
	var heads []attachmentHead
	if err := s.findAll(ctx, s.attachments, in("_id", sha2s), &heads); err != nil {
		return nil, err
	}
	for _, h := range heads {
		content := make([]byte, 0, h.Length)
		cur, err := s.chunks.Find(ctx, bson.D{{Key: "sha2", Value: h.SHA2}}, options.Find().SetSort(bson.D{{Key: "n", Value: 1}}))
		if err != nil {
			return nil, storeErr(err, "cannot read an attachment")
		}
		var n int32
		for cur.Next(ctx) {
			var c attachmentChunk
			if err := cur.Decode(&c); err != nil {
				cur.Close(ctx)
				return nil, storeErr(err, "cannot read an attachment")
			}
			if c.N != n {
				break
			}
			content = append(content, c.Data...)
			n++
		}
		err = errors.Join(cur.Err(), cur.Close(ctx))
		if err != nil {
			return nil, storeErr(err, "cannot read an attachment")
		}
		if n != h.Chunks || int64(len(content)) != h.Length {
			return nil, capture.Internal(fmt.Errorf("attachment %s: %d of %d chunks, %d of %d bytes", h.SHA2, n, h.Chunks, len(content), h.Length),
				"a stored attachment is incomplete")
		}
		out[h.SHA2] = capture.Attachment{SHA2: h.SHA2, ContentType: h.ContentType, Content: content}
	}
	return out, nil
}
