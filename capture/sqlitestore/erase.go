package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// The writer connection runs with secure_delete on (SQLite overwrites the space of
// deleted and replaced rows, and freed pages, with zeros), and an erasure ends with
// Checkpoint, so that erased bytes stay neither in the database file nor in old
// frames of its WAL.

// maxRefLevels bounds the StatementRef levels that an erasure recomputes inherited keys
// along (chains longer than this are not produced by real clients; cycles end here).
const maxRefLevels = 64

// seqFloor is the meta row that keeps the highest seq ever assigned once the statement
// holding it was erased, so that sequence numbers are never reused after a reopen.
const seqFloor = "seq_floor"

// StatementsMentioning returns at most limit records after afterSeq whose own keys
// name any of agentKeys in any role (see capture.StatementStore), in seq order, with
// Keys and InheritedKeys. CodeInvalid for limit < 1 or more than 256 keys;
// CodeInternal on a database failure.
func (s *Store) StatementsMentioning(ctx context.Context, agentKeys []string, afterSeq int64, limit int) ([]capture.StatementRecord, error) {
	if limit < 1 || len(agentKeys) > idsPerIn {
		return nil, capture.Errorf(capture.CodeInvalid, "statements mentioning agents: limit must be positive and at most %d agents given", idsPerIn)
	}
	out := []capture.StatementRecord{}
	if len(agentKeys) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(agentKeys)+2)
	for _, k := range agentKeys {
		args = append(args, capture.KeyAgent(k)) // every agent role shares the KeyAgent row (schema.go)
	}
	args = append(args, afterSeq, limit)
	st, err := s.readStmt(ctx, `SELECT `+recordColumns+`, s.keys, s.ikeys FROM statements s
		WHERE s.seq IN (SELECT k.seq FROM stmt_keys k JOIN key_ids i ON i.id = k.kid
			WHERE i.key IN (`+placeholders(len(agentKeys))+`) AND (k.f & 255) != 0 AND k.seq > ?)
		ORDER BY s.seq LIMIT ?`)
	if err != nil {
		return nil, internal(err, "statements mentioning agents")
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, internal(err, "statements mentioning agents")
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows, true)
		if err != nil {
			return nil, internal(err, "statements mentioning agents")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "statements mentioning agents")
	}
	return out, nil
}

// storedRow is one statement row as an erasure reads it.
type storedRow struct {
	seq    int64
	id     string
	ref    string
	attach []string
	keys   []string
	ikeys  map[string]bool
}

// EraseStatements deletes and rewrites statements in one transaction (see
// capture.StatementStore and capture.EraseBatch). CodeInternal on a database failure,
// nothing changed then.
func (s *Store) EraseStatements(ctx context.Context, b capture.EraseBatch) error {
	if len(b.Delete) == 0 && len(b.Replace) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	defer s.prepareWanted()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "erase statements")
	}
	defer tx.Rollback()
	newKids := map[string]int64{}
	deleted, err := s.eraseIn(ctx, tx, b, newKids)
	if err != nil {
		return internal(err, "erase statements")
	}
	if err := tx.Commit(); err != nil {
		return internal(err, "erase statements")
	}
	// Interned keys may have been removed: the cache starts afresh.
	clear(s.kids)
	// A deleted id may come back (pulled again): it must then be looked up as a target.
	for _, id := range deleted {
		s.dangling[id] = true
	}
	if len(s.dangling) > maxDangling {
		s.danglingUnknown = true
		clear(s.dangling)
	}
	return nil
}

// Checkpoint copies every WAL frame into the database file and truncates the WAL, so
// that page images from before an erasure are overwritten (erasure.Checkpointer).
// CodeInternal on failure; frames a reader still needs stay until the next one.
func (s *Store) Checkpoint(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var busy, frames, done int
	for attempt := 0; attempt < 20; attempt++ { // a reader's snapshot ends within moments
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return internal(ctx.Err(), "checkpoint")
			case <-time.After(50 * time.Millisecond):
			}
		}
		if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
			return internal(err, "checkpoint")
		}
		if busy == 0 {
			return nil
		}
	}
	return capture.Errorf(capture.CodeUnavailable, "checkpoint: a reader holds old pages; %d of %d frames copied", done, frames)
}

// eraseIn applies b within tx and returns the ids it deleted. The caller holds wmu.
func (s *Store) eraseIn(ctx context.Context, tx *sql.Tx, b capture.EraseBatch, newKids map[string]int64) ([]string, error) {
	replaceIDs := make([]string, len(b.Replace))
	for i, r := range b.Replace {
		replaceIDs[i] = r.ID
	}
	rows, err := s.storedRows(ctx, tx, `id IN (%s)`, append(slices.Clone(b.Delete), replaceIDs...))
	if err != nil {
		return nil, err
	}
	byID := map[string]storedRow{}
	for _, r := range rows {
		byID[r.id] = r
	}
	touchedKeys := map[string]bool{}
	var deleted, changed, freedSHA []string
	for _, id := range b.Delete {
		r, ok := byID[id]
		if !ok || slices.Contains(deleted, id) {
			continue
		}
		if err := s.dropKeyRows(ctx, tx, r, touchedKeys); err != nil {
			return nil, err
		}
		if _, err := s.txExec(ctx, tx, `DELETE FROM statements WHERE seq = ?`, r.seq); err != nil {
			return nil, err
		}
		deleted = append(deleted, id)
		freedSHA = append(freedSHA, r.attach...)
	}
	for _, rec := range b.Replace {
		r, ok := byID[rec.ID]
		if !ok || slices.Contains(deleted, rec.ID) {
			continue
		}
		if err := s.dropKeyRows(ctx, tx, r, touchedKeys); err != nil {
			return nil, err
		}
		keys := nonNil(rec.Keys)
		if _, err := s.txExec(ctx, tx, `UPDATE statements SET raw = ?, hash = '', keys = ? WHERE seq = ?`,
			nonNilBytes(rec.Raw), jsonList(keys), r.seq); err != nil {
			return nil, err
		}
		if err := s.addKeyRows(ctx, tx, r.seq, keys, r.ikeys, newKids); err != nil {
			return nil, err
		}
		changed = append(changed, rec.ID)
	}
	if err := s.reinherit(ctx, tx, append(slices.Clone(deleted), changed...), touchedKeys, newKids); err != nil {
		return nil, err
	}
	if err := s.dropUnusedAttachments(ctx, tx, freedSHA); err != nil {
		return nil, err
	}
	if err := s.dropUnusedKeys(ctx, tx, touchedKeys); err != nil {
		return nil, err
	}
	if len(deleted) > 0 {
		if _, err := s.txExec(ctx, tx, `INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`,
			seqFloor, s.lastSeq.Load()); err != nil {
			return nil, err
		}
	}
	return deleted, nil
}

// storedRows reads the rows matching where (whose %s takes an IN list of values).
func (s *Store) storedRows(ctx context.Context, tx *sql.Tx, where string, values []string) ([]storedRow, error) {
	var out []storedRow
	for _, c := range chunks(values, idsPerIn) {
		args, n := inArgs(c)
		rows, err := s.txQuery(ctx, tx, `SELECT seq, id, ref_target, attach, keys, ikeys FROM statements WHERE `+fmt.Sprintf(where, placeholders(n)), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r storedRow
			var ref, attach, ikeys sql.NullString
			var keys string
			if err := rows.Scan(&r.seq, &r.id, &ref, &attach, &keys, &ikeys); err != nil {
				rows.Close()
				return nil, err
			}
			r.ref = ref.String
			var derr error
			if r.attach, derr = decodeList(attach.String); derr == nil {
				if r.keys, derr = decodeList(keys); derr == nil {
					var il []string
					il, derr = decodeList(ikeys.String)
					r.ikeys = listSet(il)
				}
			}
			if derr != nil {
				rows.Close()
				return nil, derr
			}
			out = append(out, r)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dropKeyRows removes the stmt_keys rows of r (own and inherited keys) and records
// their keys in touched.
func (s *Store) dropKeyRows(ctx context.Context, tx *sql.Tx, r storedRow, touched map[string]bool) error {
	for _, row := range appendKeyRows(nil, r.seq, r.keys, r.ikeys) {
		touched[row.key] = true
		if _, err := s.txExec(ctx, tx, `DELETE FROM stmt_keys WHERE kid = (SELECT id FROM key_ids WHERE key = ?) AND seq = ?`, row.key, r.seq); err != nil {
			return err
		}
	}
	return nil
}

// addKeyRows inserts the stmt_keys rows of a statement at seq with keys and ikeys.
func (s *Store) addKeyRows(ctx context.Context, tx *sql.Tx, seq int64, keys []string, ikeys map[string]bool, newKids map[string]int64) error {
	return s.insertKeyRows(ctx, tx, appendKeyRows(nil, seq, keys, ikeys), newKids)
}

// reinherit computes anew the inherited keys of the statements that target changed
// (deleted or rewritten ids) by StatementRef, level by level: a referrer inherits its
// target's own and inherited keys, or nothing when the target is gone.
func (s *Store) reinherit(ctx context.Context, tx *sql.Tx, changed []string, touched map[string]bool, newKids map[string]int64) error {
	for level := 0; len(changed) > 0 && level < maxRefLevels; level++ {
		refs, err := s.storedRows(ctx, tx, `ref_target IN (%s)`, changed)
		if err != nil {
			return err
		}
		targetIDs := make([]string, 0, len(refs))
		for _, r := range refs {
			targetIDs = append(targetIDs, r.ref)
		}
		targets, err := s.storedRows(ctx, tx, `id IN (%s)`, targetIDs)
		if err != nil {
			return err
		}
		byID := map[string]storedRow{}
		for _, t := range targets {
			byID[t.id] = t
		}
		changed = nil
		for _, r := range refs {
			want := map[string]bool{}
			if t, ok := byID[r.ref]; ok {
				addAll(want, t.keys, t.ikeys)
			}
			if sameSet(want, r.ikeys) {
				continue
			}
			if err := s.dropKeyRows(ctx, tx, r, touched); err != nil {
				return err
			}
			if _, err := s.txExec(ctx, tx, `UPDATE statements SET ikeys = ? WHERE seq = ?`, jsonList(setList(want)), r.seq); err != nil {
				return err
			}
			if err := s.addKeyRows(ctx, tx, r.seq, r.keys, want, newKids); err != nil {
				return err
			}
			changed = append(changed, r.id)
		}
	}
	return nil
}

// dropUnusedAttachments deletes the contents among shas that no stored statement lists.
func (s *Store) dropUnusedAttachments(ctx context.Context, tx *sql.Tx, shas []string) error {
	slices.Sort(shas)
	for _, sha := range slices.Compact(shas) {
		var used int
		if err := s.txQueryRow(ctx, tx, `SELECT count(*) FROM statements WHERE attach IS NOT NULL AND instr(attach, ?) > 0`, `"`+sha+`"`).Scan(&used); err != nil {
			return err
		}
		if used == 0 {
			if _, err := s.txExec(ctx, tx, `DELETE FROM attachments WHERE sha2 = ?`, sha); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropUnusedKeys deletes the interned keys among touched that no stmt_keys row uses.
func (s *Store) dropUnusedKeys(ctx context.Context, tx *sql.Tx, touched map[string]bool) error {
	for k := range touched {
		if _, err := s.txExec(ctx, tx, `DELETE FROM key_ids WHERE key = ? AND NOT EXISTS (SELECT 1 FROM stmt_keys WHERE kid = key_ids.id)`, k); err != nil {
			return err
		}
	}
	return nil
}

// sameSet reports whether a and b hold the same members.
func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// DeleteAgentDocuments removes the state and agent profile documents of agentKeys and
// reports how many (see capture.DocumentStore). CodeInternal on a database failure.
func (s *Store) DeleteAgentDocuments(ctx context.Context, agentKeys []string) (int, error) {
	n := 0
	err := s.writeTx(ctx, "delete agent documents", func(tx *sql.Tx) error {
		for _, c := range chunks(agentKeys, idsPerIn) {
			args, k := inArgs(c)
			args = append([]any{string(capture.KindState), string(capture.KindAgentProfile)}, args...)
			res, err := s.txExec(ctx, tx, `DELETE FROM documents WHERE kind IN (?, ?) AND agent_key IN (`+placeholders(k)+`)`, args...)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(m)
		}
		return nil
	})
	return n, err
}
