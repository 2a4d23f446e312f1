package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// A stmt_keys row holds one value (an agent, an activity, a verb, a registration) of
// one statement, and its flags say in which roles the value appears: the low byte
// holds the role bits of the statement's own keys, the next byte the same bits for
// the keys it inherits through its StatementRef chain (see schema.go).
const (
	// Roles of an agent value (rows under its KeyAgent key).
	roleAgent        = 1 // KeyAgent
	roleRelatedAgent = 2 // KeyRelatedAgent
	roleAuthority    = 4 // KeyAuthority
	// Roles of an activity value (rows under its KeyActivity key).
	roleActivity        = 1 // KeyActivity
	roleRelatedActivity = 2 // KeyRelatedActivity
	// roleOnly is the role of every other key (verb, registration), kept under itself.
	roleOnly = 1
	// inheritedShift moves own role bits to their inherited place.
	inheritedShift = 8
)

// keyRole returns the stmt_keys key under which match key k is indexed and its role
// bit there: an agent's agent, related-agent and authority keys share one row per
// statement, as do an activity's activity and related-activity keys; every other key
// is kept under itself.
func keyRole(k string) (string, int) {
	base, value, role := keyRoleParts(k)
	if base == "" {
		return value, role
	}
	return base + value, role
}

// keyRoleParts is keyRole with the stmt_keys key in two parts, base + value, so that
// callers can compare it without building it; base is "" when k is kept under itself
// (value is then k).
func keyRoleParts(k string) (base, value string, role int) {
	prefix, value, ok := strings.Cut(k, "|")
	if !ok {
		return "", k, roleOnly
	}
	switch prefix + "|" {
	case capture.KeyAgent(""):
		return "", k, roleAgent
	case capture.KeyRelatedAgent(""):
		return capture.KeyAgent(""), value, roleRelatedAgent
	case capture.KeyAuthority(""):
		return capture.KeyAgent(""), value, roleAuthority
	case capture.KeyActivity(""):
		return "", k, roleActivity
	case capture.KeyRelatedActivity(""):
		return capture.KeyActivity(""), value, roleRelatedActivity
	}
	return "", k, roleOnly
}

// appendKeyRows appends the stmt_keys rows of the statement at seq with own keys and
// inherited keys to rows: one row per stmt_keys key, its role bits ORed.
func appendKeyRows(rows []keyRow, seq int64, keys []string, inherited map[string]bool) []keyRow {
	start := len(rows)
	add := func(k string, shift int) {
		base, value, role := keyRoleParts(k)
		for j := start; j < len(rows); j++ { // a statement has a few keys: no map
			if r := rows[j].key; len(r) == len(base)+len(value) && r[:len(base)] == base && r[len(base):] == value {
				rows[j].f |= role << shift
				return
			}
		}
		ck := value
		if base != "" {
			ck = base + value // the agent or activity row is usually there already
		}
		rows = append(rows, keyRow{key: ck, seq: seq, f: role << shift})
	}
	for _, k := range keys {
		add(k, 0)
	}
	for k := range inherited {
		add(k, inheritedShift)
	}
	return rows
}

// Rows per multi-row INSERT; SQLite binds at most 32766 parameters per statement.
const (
	statementRowsPerInsert = 32  // 12 columns
	keyRowsPerInsert       = 256 // 3 columns
	idsPerIn               = 256
)

// pending is one record of a batch on its way in.
type pending struct {
	capture.StatementRecord
	ikeys map[string]bool
}

// keySet is a record's match keys, own and inherited, as read back for propagation.
type keySet struct {
	seq   int64
	keys  []string
	ikeys map[string]bool
}

// InsertStatements stores the batch in one transaction (see capture.StatementStore):
// CodeConflict when an id is already stored or repeated within the batch, nothing
// written; CodeInternal on a database failure.
func (s *Store) InsertStatements(ctx context.Context, b capture.InsertBatch) error {
	seen := make(map[string]int, len(b.Statements))
	for i, r := range b.Statements {
		if _, dup := seen[r.ID]; dup {
			return capture.Errorf(capture.CodeConflict, "statement %s appears twice in the batch", r.ID)
		}
		seen[r.ID] = i
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	defer s.prepareWanted()

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "begin insert")
	}
	defer tx.Rollback()
	newKids, dangling := map[string]int64{}, map[string]bool{}
	lastStored, monotonic, err := s.insertBatch(ctx, tx, b, seen, newKids, dangling)
	if err != nil {
		if isUniqueViolation(err) {
			tx.Rollback()
			return s.conflict(ctx, b, err)
		}
		return internal(err, "insert statements")
	}
	if err := tx.Commit(); err != nil {
		return internal(err, "commit statements")
	}
	s.restartLogIfLong()
	s.acts.written(b.Activities)
	if len(s.kids)+len(newKids) > maxCachedKeys {
		clear(s.kids)
	}
	for k, v := range newKids {
		s.kids[k] = v
	}
	if len(b.Statements) > 0 {
		s.lastStored = lastStored
		s.lastSeq.Add(int64(len(b.Statements)))
	}
	s.monotonic = monotonic
	for _, r := range b.Statements {
		delete(s.dangling, r.ID)
	}
	for t := range dangling {
		s.dangling[t] = true
	}
	if len(s.dangling) > maxDangling {
		s.danglingUnknown = true
		clear(s.dangling)
	}
	return nil
}

// conflict names a batch id that is already stored, reading the committed state;
// cause is the constraint failure, reported as CodeInternal when no id is stored.
func (s *Store) conflict(ctx context.Context, b capture.InsertBatch, cause error) error {
	ids := make([]string, len(b.Statements))
	for i, r := range b.Statements {
		ids[i] = r.ID
	}
	m, err := s.StatementsByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, r := range b.Statements {
		if _, ok := m[r.ID]; ok {
			return capture.Errorf(capture.CodeConflict, "statement %s already exists", r.ID)
		}
	}
	return internal(cause, "insert statements")
}

// insertBatch writes b in tx. It returns the stored time of the last record and
// whether stored times are still monotonic; it records interned keys it created in
// newKids and the targets of new records that are not stored in dangling. The caller
// holds wmu.
func (s *Store) insertBatch(ctx context.Context, tx *sql.Tx, b capture.InsertBatch, index map[string]int, newKids map[string]int64, dangling map[string]bool) (int64, bool, error) {
	recs := make([]*pending, len(b.Statements))
	ids := make([]string, len(b.Statements))
	for i, r := range b.Statements {
		recs[i] = &pending{StatementRecord: r}
		ids[i] = r.ID
	}
	inBatch := func(id string) *pending {
		if i, ok := index[id]; ok {
			return recs[i]
		}
		return nil
	}

	// Voiding: new records that a stored or batch voiding statement targets.
	// Only ids that a stored statement targets can be voided or referred to already.
	var awaited []string
	for _, id := range ids {
		if s.danglingUnknown || s.dangling[id] {
			awaited = append(awaited, id)
		}
	}
	voided := map[string]bool{}
	if len(awaited) > 0 {
		targeted, err := s.column(ctx, tx, `SELECT void_target FROM statements WHERE void_target IN (%s)`, awaited)
		if err != nil {
			return 0, false, err
		}
		for _, id := range targeted {
			voided[id] = true
		}
	}
	var voidStored []string
	for _, r := range recs {
		if r.VoidTarget == "" {
			continue
		}
		if inBatch(r.VoidTarget) != nil {
			voided[r.VoidTarget] = true
		} else {
			voidStored = append(voidStored, r.VoidTarget)
		}
	}

	// StatementRef: inherit from stored targets and, to a fixed point, from batch targets.
	var outside []string
	for _, r := range recs {
		for _, t := range []string{r.RefTarget, r.VoidTarget} {
			if t != "" && inBatch(t) == nil {
				outside = append(outside, t)
			}
		}
	}
	storedTargets, err := s.keySets(ctx, tx, `SELECT id, seq, keys, ikeys FROM statements WHERE id IN (%s)`, outside)
	if err != nil {
		return 0, false, err
	}
	for changed := true; changed; {
		changed = false
		for _, r := range recs {
			if r.RefTarget == "" {
				continue
			}
			var keys []string
			var ikeys map[string]bool
			if t := inBatch(r.RefTarget); t != nil {
				keys, ikeys = t.Keys, t.ikeys
			} else if t, ok := storedTargets[r.RefTarget]; ok {
				keys, ikeys = t.keys, t.ikeys
			} else {
				continue
			}
			if r.ikeys == nil {
				r.ikeys = map[string]bool{}
			}
			changed = addAll(r.ikeys, keys, ikeys) || changed
		}
	}

	// Statement rows, with explicit gap-free seqs.
	first := s.lastSeq.Load() + 1
	lastStored, monotonic := s.lastStored, s.monotonic
	stillMonotonic := monotonic
	rows := make([]any, 0, statementRowsPerInsert*12)
	flush := func() error {
		err := s.insertRows(ctx, tx, `INSERT INTO statements (seq, id, stored, raw, hash, ref_target, void_target, voided, origin, attach, keys, ikeys) VALUES `, 12, rows)
		rows = rows[:0]
		return err
	}
	for i, r := range recs {
		stored := r.Stored.UnixNano()
		if stored < lastStored {
			stillMonotonic = false
		}
		lastStored = stored
		keys := capture.AppendJSONStrings(make([]byte, 0, 512), r.Keys)
		rows = append(rows, first+int64(i), r.ID, stored, nonNilBytes(r.Raw), "", nullString(r.RefTarget), nullString(r.VoidTarget),
			voided[r.ID], r.Origin, jsonList(r.AttachSHA2), string(keys), jsonList(setList(r.ikeys)))
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return 0, false, err
			}
		}
	}
	if err := flush(); err != nil {
		return 0, false, err
	}
	if monotonic && !stillMonotonic {
		s.logger.Warn("statement stored times decrease with seq; since/until queries fall back to filtering by time")
		if _, err := s.txExec(ctx, tx, `UPDATE meta SET value = 0 WHERE name = 'stored_monotonic'`); err != nil {
			return 0, false, err
		}
	}

	// Key rows of the new records.
	keyRows := make([]keyRow, 0, 6*len(recs)) // a typical statement has 5 or 6
	for i, r := range recs {
		keyRows = appendKeyRows(keyRows, first+int64(i), r.Keys, r.ikeys)
	}
	if err := s.insertKeyRows(ctx, tx, keyRows, newKids); err != nil {
		return 0, false, err
	}

	if err := s.markVoided(ctx, tx, voidStored); err != nil {
		return 0, false, err
	}
	if err := s.propagate(ctx, tx, recs, awaited, newKids); err != nil {
		return 0, false, err
	}
	for _, t := range outside {
		if _, ok := storedTargets[t]; !ok {
			dangling[t] = true
		}
	}

	for _, a := range b.Attachments {
		if _, err := s.txExec(ctx, tx, `INSERT INTO attachments (sha2, content_type, content) VALUES (?, ?, ?) ON CONFLICT (sha2) DO NOTHING`,
			a.SHA2, a.ContentType, nonNilBytes(a.Content)); err != nil {
			return 0, false, err
		}
	}
	if err := s.upsertActivities(ctx, tx, b.Activities); err != nil {
		return 0, false, err
	}
	return lastStored, stillMonotonic, nil
}

// upsertActivities replaces the stored definitions of acts' ids within tx.
func (s *Store) upsertActivities(ctx context.Context, tx *sql.Tx, acts []capture.ActivityRecord) error {
	for _, a := range acts {
		var def any
		if len(a.Definition) > 0 {
			def = []byte(a.Definition)
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO activities (id, definition) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET definition = excluded.definition`,
			a.ID, def); err != nil {
			return err
		}
	}
	return nil
}

// PutActivities upserts acts in one transaction (see capture.StatementStore).
func (s *Store) PutActivities(ctx context.Context, acts []capture.ActivityRecord) error {
	if len(acts) == 0 {
		return nil
	}
	return s.writeTxThen(ctx, "activities", func(tx *sql.Tx) error {
		return s.upsertActivities(ctx, tx, acts)
	}, func() { s.acts.written(acts) })
}

// keyRow is one stmt_keys row before its key is interned.
type keyRow struct {
	key string
	seq int64
	f   int
}

// insertKeyRows interns the keys of rows and inserts the rows, which must be new.
func (s *Store) insertKeyRows(ctx context.Context, tx *sql.Tx, rows []keyRow, newKids map[string]int64) error {
	if len(rows) == 0 {
		return nil
	}
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.key
	}
	kids, err := s.intern(ctx, tx, keys, newKids)
	if err != nil {
		return err
	}
	type kidRow struct{ kid, seq, f int64 }
	sorted := make([]kidRow, len(rows))
	for i, r := range rows {
		sorted[i] = kidRow{kids[r.key], r.seq, int64(r.f)}
	}
	// In (kid, seq) order each insert lands next to the previous one in the index.
	slices.SortFunc(sorted, func(a, b kidRow) int {
		if c := cmp.Compare(a.kid, b.kid); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	args := make([]any, 0, keyRowsPerInsert*3)
	for _, r := range sorted {
		args = append(args, r.kid, r.seq, r.f)
		if len(args) == cap(args) {
			if err := s.insertRows(ctx, tx, `INSERT INTO stmt_keys (kid, seq, f) VALUES `, 3, args); err != nil {
				return err
			}
			args = args[:0]
		}
	}
	return s.insertRows(ctx, tx, `INSERT INTO stmt_keys (kid, seq, f) VALUES `, 3, args)
}

// insertRows runs prefix with args as rows of cols values, in multi-row statements
// whose row counts are powers of two (so that a few prepared statements serve every
// batch size).
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, prefix string, cols int, args []any) error {
	for len(args) > 0 {
		n := 1
		for 2*n <= len(args)/cols {
			n *= 2
		}
		if _, err := s.txExec(ctx, tx, prefix+rowsPlaceholders(n, cols), args[:n*cols]...); err != nil {
			return err
		}
		args = args[n*cols:]
	}
	return nil
}

// intern returns the key_ids id of every key, creating the missing ones; ids created
// in this transaction are added to newKids (the cache takes them after commit).
func (s *Store) intern(ctx context.Context, tx *sql.Tx, keys []string, newKids map[string]int64) (map[string]int64, error) {
	out := make(map[string]int64, len(keys))
	var missing []string
	for _, k := range keys {
		if _, done := out[k]; done {
			continue
		}
		if id, ok := s.kids[k]; ok {
			out[k] = id
		} else if id, ok := newKids[k]; ok {
			out[k] = id
		} else {
			out[k] = 0
			missing = append(missing, k)
		}
	}
	for _, c := range chunks(missing, idsPerIn) {
		args, n := inArgs(c)
		rows, err := s.txQuery(ctx, tx, `SELECT key, id FROM key_ids WHERE key IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			var id int64
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = id
			newKids[k] = id
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	for _, k := range missing {
		if out[k] != 0 {
			continue
		}
		res, err := s.txExec(ctx, tx, `INSERT INTO key_ids (key) VALUES (?)`, k)
		if err != nil {
			return nil, err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, err
		}
		out[k] = id
		newKids[k] = id
	}
	return out, nil
}

// markVoided sets voided on the stored statements among ids.
func (s *Store) markVoided(ctx context.Context, tx *sql.Tx, ids []string) error {
	for _, c := range chunks(ids, idsPerIn) {
		args, n := inArgs(c)
		if _, err := s.txExec(ctx, tx, `UPDATE statements SET voided = 1 WHERE id IN (`+placeholders(n)+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// propagate gives the keys of the new records among awaited (the ids that stored
// statements may target) to the statements that target them by StatementRef, and
// onwards to the statements targeting those, until nothing changes (xAPI 1.0.3
// Communication 2.1.3: a query matches the statements that reference a matching
// statement). References within the batch are already resolved.
func (s *Store) propagate(ctx context.Context, tx *sql.Tx, recs []*pending, awaited []string, newKids map[string]int64) error {
	changed := map[string]keySet{}
	for _, r := range recs {
		changed[r.ID] = keySet{keys: r.Keys, ikeys: r.ikeys}
	}
	frontier := awaited
	for len(frontier) > 0 {
		referrers, err := s.referrers(ctx, tx, frontier)
		if err != nil {
			return err
		}
		frontier = nil
		var rows []keyRow
		for _, ref := range referrers {
			src := changed[ref.target]
			if ref.set.ikeys == nil {
				ref.set.ikeys = map[string]bool{}
			}
			before := len(ref.set.ikeys)
			addAll(ref.set.ikeys, src.keys, src.ikeys)
			if len(ref.set.ikeys) == before {
				continue
			}
			if _, err := s.txExec(ctx, tx, `UPDATE statements SET ikeys = ? WHERE seq = ?`, jsonList(setList(ref.set.ikeys)), ref.set.seq); err != nil {
				return err
			}
			rows = appendKeyRows(rows, ref.set.seq, nil, ref.set.ikeys)
			changed[ref.id] = ref.set
			frontier = append(frontier, ref.id)
		}
		if len(rows) == 0 {
			continue
		}
		keys := make([]string, len(rows))
		for i, r := range rows {
			keys[i] = r.key
		}
		kids, err := s.intern(ctx, tx, keys, newKids)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if _, err := s.txExec(ctx, tx, `INSERT INTO stmt_keys (kid, seq, f) VALUES (?, ?, ?) ON CONFLICT (kid, seq) DO UPDATE SET f = f | excluded.f`,
				kids[r.key], r.seq, r.f); err != nil {
				return err
			}
		}
	}
	return nil
}

// referrer is a stored statement whose object StatementRef targets target.
type referrer struct {
	id, target string
	set        keySet
}

// referrers returns the stored statements that target any of ids.
func (s *Store) referrers(ctx context.Context, tx *sql.Tx, ids []string) ([]referrer, error) {
	var out []referrer
	for _, c := range chunks(ids, idsPerIn) {
		args, n := inArgs(c)
		rows, err := s.txQuery(ctx, tx, `SELECT id, ref_target, seq, keys, ikeys FROM statements WHERE ref_target IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r referrer
			var keys string
			var ikeys sql.NullString
			if err := rows.Scan(&r.id, &r.target, &r.set.seq, &keys, &ikeys); err != nil {
				rows.Close()
				return nil, err
			}
			if r.set.keys, err = decodeList(keys); err != nil {
				rows.Close()
				return nil, err
			}
			il, err := decodeList(ikeys.String)
			if err != nil {
				rows.Close()
				return nil, err
			}
			r.set.ikeys = listSet(il)
			out = append(out, r)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// column runs a one-column query whose %s takes an IN list of values, in chunks.
func (s *Store) column(ctx context.Context, tx *sql.Tx, query string, values []string) ([]string, error) {
	var out []string
	for _, c := range chunks(values, idsPerIn) {
		args, n := inArgs(c)
		rows, err := s.txQuery(ctx, tx, fmt.Sprintf(query, placeholders(n)), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, v)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keySets loads id, seq, keys and ikeys of the stored statements among values.
func (s *Store) keySets(ctx context.Context, tx *sql.Tx, query string, values []string) (map[string]keySet, error) {
	out := map[string]keySet{}
	for _, c := range chunks(values, idsPerIn) {
		args, n := inArgs(c)
		rows, err := s.txQuery(ctx, tx, fmt.Sprintf(query, placeholders(n)), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, keys string
			var ikeys sql.NullString
			var ks keySet
			if err := rows.Scan(&id, &ks.seq, &keys, &ikeys); err != nil {
				rows.Close()
				return nil, err
			}
			if ks.keys, err = decodeList(keys); err != nil {
				rows.Close()
				return nil, err
			}
			il, err := decodeList(ikeys.String)
			if err != nil {
				rows.Close()
				return nil, err
			}
			ks.ikeys = listSet(il)
			out[id] = ks
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// recordColumns are the statements columns that scanRecord reads, in order.
const recordColumns = `s.seq, s.id, s.stored, s.raw, s.ref_target, s.void_target, s.voided, s.origin, s.attach`

// scanRecord reads recordColumns, plus keys and ikeys when withKeys.
func scanRecord(rows *sql.Rows, withKeys bool) (capture.StatementRecord, error) {
	var r capture.StatementRecord
	var stored int64
	var ref, void, attach, keys, ikeys sql.NullString
	dest := []any{&r.Seq, &r.ID, &stored, &r.Raw, &ref, &void, &r.Voided, &r.Origin, &attach}
	if withKeys {
		dest = append(dest, &keys, &ikeys)
	}
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	r.Stored = time.Unix(0, stored).UTC()
	r.RefTarget, r.VoidTarget = ref.String, void.String
	var err error
	if r.AttachSHA2, err = decodeList(attach.String); err != nil {
		return r, err
	}
	if withKeys {
		if r.Keys, err = decodeList(keys.String); err != nil {
			return r, err
		}
		if r.InheritedKeys, err = decodeList(ikeys.String); err != nil {
			return r, err
		}
	}
	return r, nil
}

// StatementsByID returns the stored records among ids (voided or not) with their
// Keys and InheritedKeys; absent ids are missing from the map. CodeInternal on a
// database failure.
func (s *Store) StatementsByID(ctx context.Context, ids []string) (map[string]capture.StatementRecord, error) {
	out := make(map[string]capture.StatementRecord, len(ids))
	err := s.readIn(ctx, "statements by id", `SELECT `+recordColumns+`, s.keys, s.ikeys FROM statements s WHERE s.id IN (%s)`, ids,
		func(rows *sql.Rows) error {
			r, err := scanRecord(rows, true)
			if err != nil {
				return err
			}
			out[r.ID] = r
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readIn runs query, whose %s stands for the placeholders of an IN list, over values
// in chunks on the read pool, and hands every row to scan. CodeInternal naming op on
// a database or scan failure.
func (s *Store) readIn(ctx context.Context, op, query string, values []string, scan func(*sql.Rows) error) error {
	for _, c := range chunks(values, idsPerIn) {
		args, n := inArgs(c)
		st, err := s.readStmt(ctx, fmt.Sprintf(query, placeholders(n)))
		if err != nil {
			return internal(err, op)
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return internal(err, op)
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return internal(err, op)
			}
		}
		if err := rows.Close(); err != nil {
			return internal(err, op)
		}
	}
	return nil
}

// QueryStatements returns at most q.Limit non-voided records matching q in seq order
// (xAPI 1.0.3 Communication 2.1.3). Records come without Keys and InheritedKeys.
// CodeInvalid when q.Limit is not positive; CodeInternal on a database failure.
func (s *Store) QueryStatements(ctx context.Context, q capture.StatementQuery) ([]capture.StatementRecord, error) {
	if q.Limit <= 0 {
		return nil, capture.Errorf(capture.CodeInvalid, "query limit must be positive")
	}
	keys, err := s.orderKeys(ctx, q)
	if err != nil {
		return nil, internal(err, "query statements")
	}
	q.Keys = keys
	query, args := statementQuerySQL(q)
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return nil, internal(err, "query statements")
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, internal(err, "query statements")
	}
	defer rows.Close()
	out := make([]capture.StatementRecord, 0, min(q.Limit, 256))
	for rows.Next() {
		r, err := scanRecord(rows, false)
		if err != nil {
			return nil, internal(err, "query statements")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "query statements")
	}
	return out, nil
}

// probeRows is how many index rows orderKeys reads per key.
const probeRows = 256

// orderKeys returns q's distinct keys with the one that should drive the query first.
// The driver is the sparsest key where the walk starts: the key whose probeRows rows
// nearest the start span the most seqs (a key with fewer rows spans everything).
// Ties go to the kind more often selective (keyRank). One key needs no probe.
func (s *Store) orderKeys(ctx context.Context, q capture.StatementQuery) ([]string, error) {
	keys := slices.Clone(q.Keys)
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(keyRank(a), keyRank(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	keys = slices.Compact(keys)
	if len(keys) < 2 {
		return keys, nil
	}
	probe := `SELECT seq FROM stmt_keys WHERE kid = (SELECT id FROM key_ids WHERE key = ?) AND seq < ? AND seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?`
	start := int64(math.MaxInt64)
	if q.AfterSeq > 0 {
		start = q.AfterSeq
	}
	if q.MaxSeq > 0 {
		start = min(start, q.MaxSeq+1)
	}
	bounds := []any{start, int64(math.MaxInt64)}
	if q.Ascending {
		probe = `SELECT seq FROM stmt_keys WHERE kid = (SELECT id FROM key_ids WHERE key = ?) AND seq > ? AND seq <= ? ORDER BY seq ASC LIMIT 1 OFFSET ?`
		start = q.AfterSeq
		bounds = []any{start, int64(math.MaxInt64)}
		if q.MaxSeq > 0 {
			bounds[1] = q.MaxSeq
		}
	}
	st, err := s.readStmt(ctx, probe)
	if err != nil {
		return nil, err
	}
	span := make(map[string]int64, len(keys))
	for _, k := range keys {
		var seq int64
		ck, _ := keyRole(k)
		err := st.QueryRowContext(ctx, ck, bounds[0], bounds[1], probeRows-1).Scan(&seq)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			span[k] = math.MaxInt64
		case err != nil:
			return nil, err
		case q.Ascending:
			span[k] = seq - start
		default:
			span[k] = start - seq
		}
	}
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(span[b], span[a]) })
	return keys, nil
}

// keyRank orders query keys so that the most selective kind drives the join.
func keyRank(key string) int {
	prefix, _, _ := strings.Cut(key, "|")
	switch prefix {
	case "r":
		return 0
	case "a":
		return 1
	case "o":
		return 2
	case "ra":
		return 3
	case "ro":
		return 4
	case "au":
		return 5
	case "v":
		return 6
	}
	return 7
}

// statementQuerySQL returns the SQL and arguments that QueryStatements runs for q,
// whose Keys are distinct and in driving order (see orderKeys).
//
// With keys, the first key's stmt_keys rows are walked in seq order
// on their primary key, the other keys are probed by (kid, seq), and statements is
// joined by its integer primary key; the walk stops after q.Limit matches. A row
// matches a key when it holds the key's role bit; the keys match together when they
// are all own or all inherited (each row's flags are shifted so that the key's own
// bit lands on bit 0 and its inherited bit on bit 8, then ANDed). Without
// keys, statements is walked by seq directly. Since/until become seq bounds (one
// probe of the stored index each) while stored times are monotonic in seq, and
// stay exact filters on stored either way.
func statementQuerySQL(q capture.StatementQuery) (string, []any) {
	keys := q.Keys

	var sb strings.Builder
	var where []string
	var args []any
	seqCol := "s.seq"
	sb.WriteString("SELECT " + recordColumns + " FROM ")
	if len(keys) == 0 {
		sb.WriteString("statements s")
	} else {
		seqCol = "k1.seq"
		flags := make([]string, len(keys))
		for i, k := range keys {
			alias := fmt.Sprintf("k%d", i+1)
			if i > 0 {
				sb.WriteString(" CROSS JOIN ")
			}
			sb.WriteString("stmt_keys " + alias)
			ck, role := keyRole(k)
			where = append(where, alias+".kid = (SELECT id FROM key_ids WHERE key = ?)")
			args = append(args, ck)
			if i > 0 {
				where = append(where, alias+".seq = k1.seq")
			}
			flags[i] = alias + ".f"
			if shift := bits.TrailingZeros(uint(role)); shift > 0 {
				flags[i] = fmt.Sprintf("(%s.f >> %d)", alias, shift)
			}
		}
		sb.WriteString(" CROSS JOIN statements s")
		where = append(where, "s.seq = k1.seq")
		where = append(where, fmt.Sprintf("(%s & %d) != 0", strings.Join(flags, " & "), 1|1<<inheritedShift))
	}
	where = append(where, "s.voided = 0")
	if q.AfterSeq > 0 {
		if q.Ascending {
			where = append(where, seqCol+" > ?")
		} else {
			where = append(where, seqCol+" < ?")
		}
		args = append(args, q.AfterSeq)
	}
	if q.MaxSeq > 0 {
		where = append(where, seqCol+" <= ?")
		args = append(args, q.MaxSeq)
	}
	const monotonic = `(SELECT value FROM meta WHERE name = 'stored_monotonic') = 1`
	if !q.Since.IsZero() {
		since := q.Since.UnixNano()
		where = append(where,
			seqCol+" >= (SELECT CASE WHEN "+monotonic+" THEN (SELECT seq FROM statements WHERE stored > ? ORDER BY stored, seq LIMIT 1) ELSE 0 END)",
			"s.stored > ?")
		args = append(args, since, since)
	}
	if !q.Until.IsZero() {
		until := q.Until.UnixNano()
		where = append(where,
			seqCol+" <= (SELECT CASE WHEN "+monotonic+" THEN (SELECT seq FROM statements WHERE stored <= ? ORDER BY stored DESC, seq DESC LIMIT 1) ELSE 9223372036854775807 END)",
			"s.stored <= ?")
		args = append(args, until, until)
	}
	sb.WriteString(" WHERE " + strings.Join(where, " AND "))
	if q.Ascending {
		sb.WriteString(" ORDER BY " + seqCol + " ASC")
	} else {
		sb.WriteString(" ORDER BY " + seqCol + " DESC")
	}
	sb.WriteString(" LIMIT ?")
	args = append(args, q.Limit)
	return sb.String(), args
}

// LastSeq returns the highest committed seq, 0 for an empty store.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, internal(err, "last seq")
	}
	return s.lastSeq.Load(), nil
}

// Attachments returns the stored contents among sha2s; unknown ones are absent.
// CodeInternal on a database failure.
func (s *Store) Attachments(ctx context.Context, sha2s []string) (map[string]capture.Attachment, error) {
	out := map[string]capture.Attachment{}
	err := s.readIn(ctx, "attachments", `SELECT sha2, content_type, content FROM attachments WHERE sha2 IN (%s)`, sha2s,
		func(rows *sql.Rows) error {
			var a capture.Attachment
			if err := rows.Scan(&a.SHA2, &a.ContentType, &a.Content); err != nil {
				return err
			}
			out[a.SHA2] = a
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Activities returns the canonical definitions among ids; unknown ones are absent.
// CodeInternal on a database failure.
func (s *Store) Activities(ctx context.Context, ids []string) (map[string]capture.ActivityRecord, error) {
	out, missing, gen := s.acts.lookup(ids)
	if len(missing) == 0 {
		return out, nil
	}
	read := map[string]capture.ActivityRecord{}
	err := s.readIn(ctx, "activities", `SELECT id, definition FROM activities WHERE id IN (%s)`, missing,
		func(rows *sql.Rows) error {
			var a capture.ActivityRecord
			var def []byte
			if err := rows.Scan(&a.ID, &def); err != nil {
				return err
			}
			if len(def) > 0 {
				a.Definition = def
			}
			read[a.ID] = a
			return nil
		})
	if err != nil {
		return nil, err
	}
	s.acts.fill(gen, read)
	for id, a := range read {
		out[id] = a
	}
	return out, nil
}

// addAll adds keys and the members of sets to dst and reports whether dst grew.
func addAll(dst map[string]bool, keys []string, sets ...map[string]bool) bool {
	before := len(dst)
	for _, k := range keys {
		dst[k] = true
	}
	for _, set := range sets {
		for k := range set {
			dst[k] = true
		}
	}
	return len(dst) > before
}

// setList returns the members of set, sorted.
func setList(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// listSet returns the members of list as a set.
func listSet(list []string) map[string]bool {
	out := make(map[string]bool, len(list))
	for _, k := range list {
		out[k] = true
	}
	return out
}

// jsonList encodes list as a JSON array, or NULL when it is empty.
func jsonList(list []string) any {
	if len(list) == 0 {
		return nil
	}
	return string(capture.AppendJSONStrings(nil, list))
}

// decodeList decodes a JSON array of strings; "" is an empty list.
func decodeList(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode stored list: %w", err)
	}
	return out, nil
}

// nullString maps "" to NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nonNil returns list, or an empty list for nil.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// nonNilBytes returns b, or an empty slice for nil (a NOT NULL blob).
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
