package capture

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"mime"
	"time"
)

// DocumentService implements the State, Activity Profile and Agent Profile resources
// (xAPI 1.0.3 Communication 2.3, 2.6, 2.7) with the concurrency rules of
// Communication 3.1.
type DocumentService struct {
	store DocumentStore
	now   func() time.Time
}

// NewDocumentService returns a DocumentService over store; now nil means time.Now.
func NewDocumentService(store DocumentStore, now func() time.Time) *DocumentService {
	if now == nil {
		now = time.Now
	}
	return &DocumentService{store: store, now: now}
}

// DocumentWrite is one PUT or POST of a document.
type DocumentWrite struct {
	Key         DocumentKey
	ContentType string
	Content     []byte
	Cond        Precondition
	Merge       bool // POST: merge JSON objects (both must be JSON objects, else CodeInvalid)
	// HasCond reports whether the request carried If-Match or If-None-Match; profile
	// PUTs over an existing document without one → CodeConflict.
	HasCond bool
}

// ETagOf returns the ETag of content: its lower-case hex SHA-1 (xAPI 1.0.3 Communication 3.1).
func ETagOf(content []byte) string {
	sum := sha1.Sum(content)
	return hex.EncodeToString(sum[:])
}

// isJSONType reports whether a Content-Type names JSON.
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// jsonObject decodes content as a JSON object, or reports false.
func jsonObject(content []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return nil, false
	}
	return m, true
}

const mergeRetries = 8

// Put writes a document and returns its new ETag. PUT replaces; POST (w.Merge) merges
// the top-level properties of two JSON objects, or creates the document when absent.
// Failed If-Match / If-None-Match → CodePreconditionFailed; a profile PUT without
// either over an existing document → CodeConflict; POST with non-JSON on either side
// → CodeInvalid. A repeat call with the same content leaves the same ETag.
func (s *DocumentService) Put(ctx context.Context, w DocumentWrite) (string, error) {
	if !w.Merge {
		return s.replace(ctx, w)
	}
	incoming, isObject := jsonObject(w.Content)
	sentJSON := isJSONType(w.ContentType)
	if sentJSON && !isObject {
		return "", Errorf(CodeInvalid, "content: the body is sent as application/json but is not a JSON object")
	}
	for attempt := 0; attempt < mergeRetries; attempt++ {
		old, err := s.store.Document(ctx, w.Key)
		exists := err == nil
		if err != nil && ErrorCode(err) != CodeNotFound {
			return "", err
		}
		if err := checkCond(w.Cond, old, exists); err != nil {
			return "", err
		}
		content, ct := w.Content, w.ContentType
		cond := Precondition{IfNoneMatch: true}
		if exists {
			if !sentJSON {
				return "", Errorf(CodeInvalid, "content: POST merges into the stored JSON document, so the body must be a JSON object sent as application/json")
			}
			ct = "application/json"
			base, ok := jsonObject(old.Content)
			if !ok || !isJSONType(old.ContentType) {
				return "", Errorf(CodeInvalid, "content: the stored document is not a JSON object, so it cannot be merged; use PUT to replace it")
			}
			for k, v := range incoming {
				base[k] = v
			}
			if content, err = json.Marshal(base); err != nil {
				return "", Internal(err, "cannot encode a merged document")
			}
			cond = Precondition{IfMatch: old.ETag}
		}
		etag, err := s.write(ctx, w.Key, ct, content, cond)
		if ErrorCode(err) == CodePreconditionFailed && w.Cond == (Precondition{}) {
			continue // a concurrent writer won; merge again over its result
		}
		return etag, err
	}
	return "", Errorf(CodeConflict, "the document kept changing while it was merged; try again")
}

func (s *DocumentService) replace(ctx context.Context, w DocumentWrite) (string, error) {
	if w.Key.Kind != KindState && !w.HasCond {
		// A profile PUT must carry a precondition (xAPI 1.0.3 Communication 3.1): 409
		// when it would overwrite, 400 otherwise; either way nothing is written.
		_, err := s.store.Document(ctx, w.Key)
		switch ErrorCode(err) {
		case "":
			return "", Errorf(CodeConflict, "the document exists: send If-Match with its ETag to replace it, or If-None-Match: * to create only")
		case CodeNotFound:
			return "", Errorf(CodeInvalid, "If-Match or If-None-Match: a PUT to a profile must carry one (If-None-Match: * to create)")
		default:
			return "", err
		}
	}
	return s.write(ctx, w.Key, w.ContentType, w.Content, w.Cond)
}

func (s *DocumentService) write(ctx context.Context, key DocumentKey, ct string, content []byte, cond Precondition) (string, error) {
	if ct == "" {
		ct = "application/octet-stream"
	}
	d := Document{DocumentKey: key, ContentType: ct, Content: content, ETag: ETagOf(content), Updated: s.now().UTC()}
	if err := s.store.PutDocument(ctx, d, cond); err != nil {
		return "", err
	}
	return d.ETag, nil
}

// checkCond applies a client's precondition to what is stored.
func checkCond(c Precondition, old Document, exists bool) error {
	if c.IfNoneMatch && exists {
		return Errorf(CodePreconditionFailed, "If-None-Match: the document exists")
	}
	if c.IfMatch != "" && (!exists || (c.IfMatch != "*" && c.IfMatch != old.ETag)) {
		return Errorf(CodePreconditionFailed, "If-Match: the document's ETag is not %q", c.IfMatch)
	}
	return nil
}

// Get returns one document or CodeNotFound.
func (s *DocumentService) Get(ctx context.Context, key DocumentKey) (Document, error) {
	return s.store.Document(ctx, key)
}

// Delete removes one document when cond holds (CodePreconditionFailed otherwise);
// deleting an absent document without If-Match is not an error.
func (s *DocumentService) Delete(ctx context.Context, key DocumentKey, cond Precondition) error {
	return s.store.DeleteDocument(ctx, key, cond)
}

// DeleteAll removes every state document in scope (all registrations when
// scope.Registration is empty).
func (s *DocumentService) DeleteAll(ctx context.Context, scope DocumentKey) error {
	return s.store.DeleteDocuments(ctx, scope)
}

// IDs lists the ids of the documents in scope updated after since (zero: all), sorted.
func (s *DocumentService) IDs(ctx context.Context, scope DocumentKey, since time.Time) ([]string, error) {
	return s.store.DocumentIDs(ctx, scope, since)
}
