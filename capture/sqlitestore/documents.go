package sqlitestore

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Document returns the document at key, or CodeNotFound.
func (s *Store) Document(ctx context.Context, key capture.DocumentKey) (capture.Document, error) {
	key = key.Normalized()
	st, err := s.readStmt(ctx, `SELECT content_type, content, etag, updated FROM documents
		WHERE kind = ? AND activity_id = ? AND agent_key = ? AND registration = ? AND doc_id = ?`)
	if err != nil {
		return capture.Document{}, internal(err, "document")
	}
	d := capture.Document{DocumentKey: key}
	var updated int64
	err = st.QueryRowContext(ctx, string(key.Kind), key.ActivityID, key.AgentKey, key.Registration, key.ID).
		Scan(&d.ContentType, &d.Content, &d.ETag, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return capture.Document{}, capture.Errorf(capture.CodeNotFound, "no such document")
	}
	if err != nil {
		return capture.Document{}, internal(err, "document")
	}
	d.Updated = time.Unix(0, updated).UTC()
	return d, nil
}

// storedETag returns the ETag of the document at key in tx, "" when absent.
func (s *Store) storedETag(ctx context.Context, tx *sql.Tx, key capture.DocumentKey) (string, error) {
	st, err := s.writeStmt(ctx, tx, `SELECT etag FROM documents
		WHERE kind = ? AND activity_id = ? AND agent_key = ? AND registration = ? AND doc_id = ?`)
	if err != nil {
		return "", err
	}
	var etag string
	err = st.QueryRowContext(ctx, string(key.Kind), key.ActivityID, key.AgentKey, key.Registration, key.ID).Scan(&etag)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return etag, err
}

// checkPrecondition applies cond to the stored ETag ("" when absent)
// (xAPI 1.0.3 Communication 3.1): CodePreconditionFailed when it does not hold.
func checkPrecondition(cond capture.Precondition, etag string) error {
	if cond.IfMatch != "" && (etag == "" || etag != cond.IfMatch) {
		return capture.Errorf(capture.CodePreconditionFailed, "If-Match does not match the document's ETag")
	}
	if cond.IfNoneMatch && etag != "" {
		return capture.Errorf(capture.CodePreconditionFailed, "If-None-Match: the document exists")
	}
	return nil
}

// PutDocument creates or replaces the document at d.DocumentKey when cond holds,
// else CodePreconditionFailed. An empty d.ETag is computed as the SHA-1 of Content.
func (s *Store) PutDocument(ctx context.Context, d capture.Document, cond capture.Precondition) error {
	d.DocumentKey = d.DocumentKey.Normalized()
	if d.ETag == "" {
		sum := sha1.Sum(d.Content)
		d.ETag = hex.EncodeToString(sum[:])
	}
	return s.writeTx(ctx, "put document", func(tx *sql.Tx) error {
		if cond != (capture.Precondition{}) {
			etag, err := s.storedETag(ctx, tx, d.DocumentKey)
			if err != nil {
				return err
			}
			if err := checkPrecondition(cond, etag); err != nil {
				return err
			}
		}
		_, err := s.txExec(ctx, tx, `INSERT INTO documents (kind, activity_id, agent_key, registration, doc_id, content_type, content, etag, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind, activity_id, agent_key, registration, doc_id) DO UPDATE SET
				content_type = excluded.content_type, content = excluded.content, etag = excluded.etag, updated = excluded.updated`,
			string(d.Kind), d.ActivityID, d.AgentKey, d.Registration, d.ID, d.ContentType, nonNilBytes(d.Content), d.ETag, d.Updated.UnixNano())
		return err
	})
}

// DeleteDocument removes the document at key when cond holds, else
// CodePreconditionFailed; deleting an absent document without If-Match is a no-op.
func (s *Store) DeleteDocument(ctx context.Context, key capture.DocumentKey, cond capture.Precondition) error {
	key = key.Normalized()
	return s.writeTx(ctx, "delete document", func(tx *sql.Tx) error {
		if cond != (capture.Precondition{}) {
			etag, err := s.storedETag(ctx, tx, key)
			if err != nil {
				return err
			}
			if err := checkPrecondition(cond, etag); err != nil {
				return err
			}
		}
		_, err := s.txExec(ctx, tx, `DELETE FROM documents
			WHERE kind = ? AND activity_id = ? AND agent_key = ? AND registration = ? AND doc_id = ?`,
			string(key.Kind), key.ActivityID, key.AgentKey, key.Registration, key.ID)
		return err
	})
}

// DeleteDocuments removes every document in scope (scope.ID ignored); with
// scope.Registration empty, those of every registration.
func (s *Store) DeleteDocuments(ctx context.Context, scope capture.DocumentKey) error {
	scope = scope.Normalized()
	return s.writeTx(ctx, "delete documents", func(tx *sql.Tx) error {
		query := `DELETE FROM documents WHERE kind = ? AND activity_id = ? AND agent_key = ?`
		args := []any{string(scope.Kind), scope.ActivityID, scope.AgentKey}
		if scope.Registration != "" {
			query += ` AND registration = ?`
			args = append(args, scope.Registration)
		}
		_, err := s.txExec(ctx, tx, query, args...)
		return err
	})
}

// DocumentIDs lists, sorted and without repeats, the ids of the documents in scope
// (scope.ID ignored; scope.Registration empty means every registration) updated
// after since (zero: all). CodeInternal on a database failure.
func (s *Store) DocumentIDs(ctx context.Context, scope capture.DocumentKey, since time.Time) ([]string, error) {
	scope = scope.Normalized()
	var after int64 = -1 << 63
	if !since.IsZero() {
		after = since.UnixNano()
	}
	query := `SELECT DISTINCT doc_id FROM documents WHERE kind = ? AND activity_id = ? AND agent_key = ? AND updated > ?`
	args := []any{string(scope.Kind), scope.ActivityID, scope.AgentKey, after}
	if scope.Registration != "" {
		query += ` AND registration = ?`
		args = append(args, scope.Registration)
	}
	st, err := s.readStmt(ctx, query+` ORDER BY doc_id`)
	if err != nil {
		return nil, internal(err, "document ids")
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, internal(err, "document ids")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, internal(err, "document ids")
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "document ids")
	}
	return out, nil
}

// writeTx runs fn in a write transaction on the writer connection and commits it
// when fn returns nil. An *capture.Error from fn is returned as is; other errors
// become CodeInternal naming op.
func (s *Store) writeTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.writeTxThen(ctx, op, fn, nil)
}

// writeTxThen is writeTx that also runs committed, when not nil, after a successful
// commit and before the write lock is released.
func (s *Store) writeTxThen(ctx context.Context, op string, fn func(tx *sql.Tx) error, committed func()) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	defer s.prepareWanted()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, op)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return internal(err, op)
	}
	if err := tx.Commit(); err != nil {
		return internal(err, op)
	}
	s.restartLogIfLong()
	if committed != nil {
		committed()
	}
	return nil
}
