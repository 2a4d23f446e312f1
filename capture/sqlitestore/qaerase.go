package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

// ErasePerson erases a person's share of the hub in one transaction; see qa.Store.
// Texts are read whole and scrubbed here (SQLite's LIKE and lower() fold ASCII only);
// when a question's text changed, the FTS5 index is merged ('optimize') so that the
// erased words leave its segments too, and secure_delete overwrites the freed pages.
func (s *Store) ErasePerson(ctx context.Context, e qa.PersonErasure) (int, error) {
	agent, err := json.Marshal(e.Agent)
	if err != nil || e.Agent == nil {
		return 0, capture.Errorf(capture.CodeInvalid, "anonymous agent: not a JSON object")
	}
	n := 0
	err = s.writeTx(ctx, "erase hub person", func(tx *sql.Tx) error {
		n = 0
		if e.PersonID != 0 {
			var email string
			err := tx.QueryRowContext(ctx, `SELECT email FROM qa_people WHERE id = ?`, e.PersonID).Scan(&email)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err == nil && email != qa.ErasedEmail(e.PersonID) {
				for _, q := range []struct {
					sql string
					arg any
				}{
					{`DELETE FROM qa_sessions WHERE person_id = ?`, e.PersonID},
					{`DELETE FROM qa_follows WHERE person_id = ?`, e.PersonID},
					{`DELETE FROM qa_notifications WHERE person_id = ?`, e.PersonID},
					{`DELETE FROM qa_invites WHERE email = ?`, email},
				} {
					res, err := tx.ExecContext(ctx, q.sql, q.arg)
					if err != nil {
						return err
					}
					k, _ := res.RowsAffected()
					n += int(k)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE qa_people SET email = ?, name = ?, password_hash = ?, agent = ?, role = ?, team = '' WHERE id = ?`,
					qa.ErasedEmail(e.PersonID), qa.ErasedName, qa.ErasedPasswordHash, string(agent), string(qa.RoleMember), e.PersonID); err != nil {
					return err
				}
				n++
			}
		}
		k, err := s.scrubHubTexts(ctx, tx, e.Strings)
		n += k
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// scrubHubTexts replaces strs in post titles and bodies (and the search rows of
// questions), revisions and notification texts, returning how many rows changed.
func (s *Store) scrubHubTexts(ctx context.Context, tx *sql.Tx, strs []string) (int, error) {
	n, searchChanged := 0, false
	posts, err := scrubRows(ctx, tx, `SELECT id, kind = 'question' AND deleted = 0, title, body FROM qa_posts`, strs)
	if err != nil {
		return n, err
	}
	for _, r := range posts {
		if _, err := tx.ExecContext(ctx, `UPDATE qa_posts SET title = ?, body = ? WHERE id = ?`, r.a, r.b, r.key1); err != nil {
			return n, err
		}
		if r.key2 != 0 { // a live question: its search row follows
			if _, err := tx.ExecContext(ctx, `UPDATE qa_search SET title = ?, body = ? WHERE rowid = ?`, r.a, r.b, r.key1); err != nil {
				return n, err
			}
			searchChanged = true
		}
		n++
	}
	revisions, err := scrubRows(ctx, tx, `SELECT post_id, version, title, body FROM qa_revisions`, strs)
	if err != nil {
		return n, err
	}
	for _, r := range revisions {
		if _, err := tx.ExecContext(ctx, `UPDATE qa_revisions SET title = ?, body = ? WHERE post_id = ? AND version = ?`, r.a, r.b, r.key1, r.key2); err != nil {
			return n, err
		}
		n++
	}
	notes, err := scrubRows(ctx, tx, `SELECT id, 0, text, '' FROM qa_notifications`, strs)
	if err != nil {
		return n, err
	}
	for _, r := range notes {
		if _, err := tx.ExecContext(ctx, `UPDATE qa_notifications SET text = ? WHERE id = ?`, r.a, r.key1); err != nil {
			return n, err
		}
		n++
	}
	if searchChanged {
		if _, err := tx.ExecContext(ctx, `INSERT INTO qa_search (qa_search) VALUES ('optimize')`); err != nil {
			return n, err
		}
	}
	return n, nil
}

// scrubbedRow is a row whose texts a and b ScrubText changed.
type scrubbedRow struct {
	key1, key2 int64
	a, b       string
}

// scrubRows runs query (two integer keys, two texts) and returns the rows whose
// texts strs change, scrubbed.
func scrubRows(ctx context.Context, tx *sql.Tx, query string, strs []string) ([]scrubbedRow, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scrubbedRow
	for rows.Next() {
		var r scrubbedRow
		if err := rows.Scan(&r.key1, &r.key2, &r.a, &r.b); err != nil {
			return nil, err
		}
		a, ok1 := qa.ScrubText(r.a, strs)
		b, ok2 := qa.ScrubText(r.b, strs)
		if ok1 || ok2 {
			r.a, r.b = a, b
			out = append(out, r)
		}
	}
	return out, rows.Err()
}
