package sqlitestore

import (
	"context"

	"github.com/cairn-lrs/cairn/capture"
)

// StatementsAfter returns at most limit records with seq > seq in seq order, voided
// ones included, without keys. Seqs are assigned by the one writer and become visible
// together at commit, so nothing below a returned seq can appear later. CodeInvalid
// when limit is not positive; CodeInternal on a database failure.
func (s *Store) StatementsAfter(ctx context.Context, seq int64, limit int) ([]capture.StatementRecord, error) {
	if limit <= 0 {
		return nil, capture.Errorf(capture.CodeInvalid, "feed limit must be positive")
	}
	st, err := s.readStmt(ctx, `SELECT `+recordColumns+` FROM statements s WHERE s.seq > ? ORDER BY s.seq LIMIT ?`)
	if err != nil {
		return nil, internal(err, "statements after")
	}
	rows, err := st.QueryContext(ctx, seq, limit)
	if err != nil {
		return nil, internal(err, "statements after")
	}
	defer rows.Close()
	out := make([]capture.StatementRecord, 0, min(limit, 256))
	for rows.Next() {
		r, err := scanRecord(rows, false)
		if err != nil {
			return nil, internal(err, "statements after")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "statements after")
	}
	return out, nil
}
