package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
)

var _ erasure.AuditStore = (*Store)(nil)

// erasureMigrations hold the audit records of erasures.
var erasureMigrations = []string{
	// 1: initial schema.
	`
CREATE TABLE erasures (
	id     TEXT    PRIMARY KEY,
	at     INTEGER NOT NULL,                -- unix nanoseconds, UTC
	record BLOB    NOT NULL                 -- erasure.Record JSON
);
CREATE INDEX erasures_at ON erasures (at);
`,
}

// AddErasure stores r; CodeConflict when its id is stored.
func (s *Store) AddErasure(ctx context.Context, r erasure.Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return internal(err, "add erasure")
	}
	var exists bool
	err = s.writeTx(ctx, "add erasure", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO erasures (id, at, record) VALUES (?, ?, ?)`, r.ID, r.At.UnixNano(), b)
		if isUniqueViolation(err) {
			exists = true
			return nil
		}
		return err
	})
	if exists {
		return capture.Errorf(capture.CodeConflict, "erasure %s is recorded already", r.ID)
	}
	return err
}

// Erasures lists at most limit records, newest first; CodeInvalid for limit < 1.
func (s *Store) Erasures(ctx context.Context, limit int) ([]erasure.Record, error) {
	if limit < 1 {
		return nil, capture.Errorf(capture.CodeInvalid, "limit must be positive")
	}
	st, err := s.readStmt(ctx, `SELECT record FROM erasures ORDER BY at DESC, id LIMIT ?`)
	if err != nil {
		return nil, internal(err, "erasures")
	}
	rows, err := st.QueryContext(ctx, limit)
	if err != nil {
		return nil, internal(err, "erasures")
	}
	defer rows.Close()
	out := []erasure.Record{}
	for rows.Next() {
		var b []byte
		var r erasure.Record
		if err := rows.Scan(&b); err != nil {
			return nil, internal(err, "erasures")
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, internal(err, "erasures")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "erasures")
	}
	return out, nil
}
