package sqlitestore

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

// roleRecords are records whose agents and activities appear in several roles, with
// StatementRef chains resolved both within a batch and across batches.
func roleRecords() [][]capture.StatementRecord {
	x, z, w := "mbox:mailto:x@example.com", "mbox:mailto:z@example.com", "mbox:mailto:w@example.com"
	y, p := "http://example.com/y", "http://example.com/p"
	r1 := rec(1, 1, capture.KeyAgent(x), capture.KeyRelatedAgent(x), capture.KeyVerb("v1"), capture.KeyActivity(y), capture.KeyRelatedActivity(y),
		capture.KeyRelatedActivity(p), capture.KeyAuthority(z), capture.KeyRelatedAgent(z))
	// x only as instructor, p as the object, z as actor and authority.
	r2 := rec(2, 2, capture.KeyAgent(z), capture.KeyRelatedAgent(z), capture.KeyRelatedAgent(x), capture.KeyVerb("v2"), capture.KeyActivity(p),
		capture.KeyRelatedActivity(p), capture.KeyAuthority(z))
	r3 := rec(3, 3, capture.KeyAgent(w), capture.KeyRelatedAgent(w), capture.KeyVerb("v3"), capture.KeyAuthority(z), capture.KeyRelatedAgent(z))
	r3.RefTarget = r1.ID
	r4 := rec(4, 4, capture.KeyAgent(x), capture.KeyRelatedAgent(x), capture.KeyVerb("v1"))
	r4.RefTarget = rec(5, 0).ID // stored later: r4 inherits when it arrives
	r5 := rec(5, 5, capture.KeyAgent(w), capture.KeyRelatedAgent(w), capture.KeyVerb("v2"), capture.KeyActivity(p), capture.KeyRelatedActivity(p),
		capture.KeyRelatedActivity(y))
	return [][]capture.StatementRecord{{r1, r2, r3}, {r4}, {r5}}
}

// queryIDs returns the ids QueryStatements gives for keys, newest first.
func queryIDs(t *testing.T, s *Store, keys ...string) []string {
	t.Helper()
	recs, err := s.QueryStatements(t.Context(), capture.StatementQuery{Keys: keys, Limit: 100})
	if err != nil {
		t.Fatalf("query %v: %v", keys, err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestRoleRowsMatchEachKeyKind(t *testing.T) {
	s := openTemp(t)
	for _, b := range roleRecords() {
		if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: b}); err != nil {
			t.Fatal(err)
		}
	}
	x, z := "mbox:mailto:x@example.com", "mbox:mailto:z@example.com"
	y, p := "http://example.com/y", "http://example.com/p"
	id := func(n int) string { return rec(n, 0).ID }
	cases := []struct {
		keys []string
		want []string
	}{
		{[]string{capture.KeyAgent(x)}, []string{id(4), id(3), id(1)}},               // r3 inherits from r1
		{[]string{capture.KeyRelatedAgent(x)}, []string{id(4), id(3), id(2), id(1)}}, // r2 has x as instructor
		{[]string{capture.KeyAgent(z)}, []string{id(2)}},
		{[]string{capture.KeyAuthority(z)}, []string{id(3), id(2), id(1)}},
		{[]string{capture.KeyActivity(p)}, []string{id(5), id(4), id(2)}}, // r4 inherits from r5
		{[]string{capture.KeyRelatedActivity(y)}, []string{id(5), id(4), id(3), id(1)}},
		{[]string{capture.KeyActivity(y)}, []string{id(3), id(1)}},
		// Own and inherited keys never mix: r3's own authority z with r1's inherited agent x.
		{[]string{capture.KeyAgent(x), capture.KeyAuthority(z)}, []string{id(3), id(1)}},
		{[]string{capture.KeyAgent(x), capture.KeyVerb("v3")}, nil},
		{[]string{capture.KeyAgent(x), capture.KeyRelatedAgent(x)}, []string{id(4), id(3), id(1)}},
		{[]string{capture.KeyRelatedAgent(x), capture.KeyActivity(p)}, []string{id(2)}}, // r4 has x as its own, p as inherited
	}
	for _, c := range cases {
		if got := queryIDs(t, s, c.keys...); !slices.Equal(got, c.want) {
			t.Errorf("query %v = %v, want %v", c.keys, got, c.want)
		}
	}
}

// TestMigrationToRoleRows builds a database at capture schema version 1 (one
// stmt_keys row per key, flags 1 own and 2 inherited) holding the same records as a
// store written by this code, opens it, and checks that every query of one or two
// of the records' keys gives the same answer from both.
func TestMigrationToRoleRows(t *testing.T) {
	fresh := openTemp(t)
	var all []string
	for _, b := range roleRecords() {
		if err := fresh.InsertStatements(t.Context(), capture.InsertBatch{Statements: b}); err != nil {
			t.Fatal(err)
		}
		for _, r := range b {
			all = append(all, r.ID)
		}
	}
	stored, err := fresh.StatementsByID(t.Context(), all)
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", OmitHost: true, Path: path}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	exec(captureMigrations[0])
	exec(`CREATE TABLE schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID; INSERT INTO schema_versions VALUES ('capture', 1)`)
	exec(`ATTACH DATABASE ? AS fresh`, fresh.path)
	exec(`INSERT INTO statements SELECT * FROM fresh.statements`)
	exec(`DETACH DATABASE fresh`)
	keySet := map[string]bool{}
	for _, r := range stored {
		flags := map[string]int{}
		for _, k := range r.Keys {
			flags[k] |= 1
		}
		for _, k := range r.InheritedKeys {
			flags[k] |= 2
		}
		for k, f := range flags {
			keySet[k] = true
			exec(`INSERT OR IGNORE INTO key_ids (key) VALUES (?)`, k)
			exec(`INSERT INTO stmt_keys (kid, seq, f) SELECT id, ?, ? FROM key_ids WHERE key = ?`, r.Seq, f, k)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	migrated := openAt(t, path)

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range keySet {
			if !yield(k) {
				return
			}
		}
	})
	queries := [][]string{{capture.KeyAgent("mbox:mailto:nobody@example.com")}}
	for i, a := range keys {
		queries = append(queries, []string{a})
		for _, b := range keys[i+1:] {
			queries = append(queries, []string{a, b})
		}
	}
	matched := 0
	for _, q := range queries {
		want, got := queryIDs(t, fresh, q...), queryIDs(t, migrated, q...)
		if !slices.Equal(got, want) {
			t.Errorf("query %v on the migrated store = %v, on a new one %v", q, got, want)
		}
		if len(want) > 0 {
			matched++
		}
	}
	if matched < len(keys) {
		t.Errorf("only %d of %d queries match anything: the records do not exercise the keys", matched, len(queries))
	}
	var left int
	if err := migrated.r.QueryRowContext(t.Context(), `SELECT count(*) FROM key_ids WHERE substr(key, 1, 3) IN ('ra|', 'au|', 'ro|')`).Scan(&left); err != nil || left != 0 {
		t.Errorf("key_ids keeps %d related/authority keys, %v; want none", left, err)
	}
	// The migrated store takes new records as a fresh one does.
	more := rec(6, 6, capture.KeyRelatedAgent("mbox:mailto:x@example.com"), capture.KeyVerb("v9"))
	for _, s := range []*Store{fresh, migrated} {
		if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{more}}); err != nil {
			t.Fatal(err)
		}
	}
	q := []string{capture.KeyRelatedAgent("mbox:mailto:x@example.com")}
	if want, got := queryIDs(t, fresh, q...), queryIDs(t, migrated, q...); !slices.Equal(got, want) || len(got) != 5 {
		t.Errorf("after an insert, query %v: migrated %v, new %v (want 5 records)", q, got, want)
	}
}
