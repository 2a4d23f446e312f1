package sqlitestore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports/reportstest"
	"github.com/cairn-lrs/cairn/capture/storetest"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/qa/qatest"
)

// openTemp opens a store in a fresh temporary directory, closed at the end of t.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "data", "cairn.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) capture.Store { return openTemp(t) })
}

// rec builds a record n with the given stored offset in seconds and keys.
func rec(n, storedSec int, keys ...string) capture.StatementRecord {
	id := fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)
	return capture.StatementRecord{
		ID: id, Stored: benchT0.Add(time.Duration(storedSec) * time.Second), Raw: []byte(`{"id":"` + id + `"}`),
		Keys: keys,
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "cairn.db")
	s, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	v := capture.KeyVerb("v")
	if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{rec(1, 1, v), rec(2, 2, v)}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("repeat Close: %v", err)
	}

	s = openAt(t, path)
	for _, set := range schemaSets {
		var version int
		if err := s.r.QueryRowContext(t.Context(), `SELECT version FROM schema_versions WHERE name = ?`, set.name).Scan(&version); err != nil || version != len(set.migrations) {
			t.Errorf("schema %q at version %d, %v; want %d", set.name, version, err, len(set.migrations))
		}
	}
	var rows int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_versions`).Scan(&rows); err != nil || rows != len(schemaSets) {
		t.Errorf("schema_versions has %d rows, %v; want %d", rows, err, len(schemaSets))
	}
	if last, _ := s.LastSeq(t.Context()); last != 2 {
		t.Errorf("LastSeq after reopen = %d, want 2", last)
	}
	if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{rec(3, 3, v)}}); err != nil {
		t.Fatalf("insert after reopen: %v", err)
	}
	got, err := s.QueryStatements(t.Context(), capture.StatementQuery{Keys: []string{v}, Limit: 10})
	if err != nil || len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 1 {
		t.Errorf("query after reopen = %d records (%v), want seqs 3, 2, 1", len(got), err)
	}
	n, size, err := s.Stats(t.Context())
	if err != nil || n != 3 || size <= 0 {
		t.Errorf("Stats = %d statements, %d bytes, %v; want 3 and a positive size", n, size, err)
	}
	// Erasure removes statements: the count follows, though seqs are not reused.
	if err := s.EraseStatements(t.Context(), capture.EraseBatch{Delete: []string{got[1].ID}}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.Stats(t.Context()); err != nil || n != 2 {
		t.Errorf("Stats after erasing one = %d statements, %v; want 2", n, err)
	}
}

// openAt opens the store at path, closed at the end of t.
func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSinceUntilWithNonMonotonicStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cairn.db")
	s := openAt(t, path)
	v := capture.KeyVerb("v")
	// Stored times in seq order: 10, 20, 5, 30, 15.
	batches := [][]capture.StatementRecord{{rec(1, 10, v), rec(2, 20, v)}, {rec(3, 5, v)}, {rec(4, 30, v), rec(5, 15, v)}}
	for _, b := range batches {
		if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: b}); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	check := func(s *Store) {
		at := func(sec int) time.Time { return benchT0.Add(time.Duration(sec) * time.Second) }
		cases := []struct {
			q    capture.StatementQuery
			want []string
		}{
			{capture.StatementQuery{Since: at(10)}, []string{rec(5, 0).ID, rec(4, 0).ID, rec(2, 0).ID}},
			{capture.StatementQuery{Until: at(10)}, []string{rec(3, 0).ID, rec(1, 0).ID}},
			{capture.StatementQuery{Since: at(5), Until: at(15), Ascending: true}, []string{rec(1, 0).ID, rec(5, 0).ID}},
		}
		for _, c := range cases {
			for _, keys := range [][]string{nil, {v}} {
				c.q.Keys, c.q.Limit = keys, 10
				recs, err := s.QueryStatements(t.Context(), c.q)
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				var got []string
				for _, r := range recs {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("since %v until %v keys %v: got %v, want %v", c.q.Since, c.q.Until, keys, got, c.want)
				}
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(openAt(t, path))
}

// TestContractLookingUpEveryID runs the contract with the dangling target set
// disabled, as after it outgrows its bound.
func TestContractLookingUpEveryID(t *testing.T) {
	storetest.Run(t, func(t *testing.T) capture.Store {
		s := openTemp(t)
		s.danglingUnknown = true
		return s
	})
}

func TestDanglingTargetsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cairn.db")
	s := openAt(t, path)
	v, o := capture.KeyVerb("v"), capture.KeyActivity("o")
	referrer := rec(2, 2, v)
	referrer.RefTarget = rec(1, 0).ID
	voider := rec(3, 3, capture.KeyVerb("voided"))
	voider.RefTarget, voider.VoidTarget = rec(4, 0).ID, rec(4, 0).ID
	if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{referrer, voider}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	if len(s.dangling) != 2 || s.danglingUnknown {
		t.Errorf("dangling after reopen = %v (unknown %v), want the 2 targets", s.dangling, s.danglingUnknown)
	}
	if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{rec(1, 4, o), rec(4, 5, o)}}); err != nil {
		t.Fatalf("insert targets: %v", err)
	}
	got, err := s.QueryStatements(t.Context(), capture.StatementQuery{Keys: []string{o}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	// Newest first: record 1, then the voiding statement 3 (which inherits o from the
	// voided record 4), then record 2 (which inherits o from record 1).
	want := []string{rec(1, 0).ID, rec(3, 0).ID, rec(2, 0).ID}
	if !slices.Equal(ids, want) {
		t.Errorf("query o = %v, want %v", ids, want)
	}
	if len(s.dangling) != 0 {
		t.Errorf("dangling after the targets arrived = %v, want empty", s.dangling)
	}
}

func TestConflictNamesTheStoredID(t *testing.T) {
	s := openTemp(t)
	if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{rec(500, 0)}}); err != nil {
		t.Fatal(err)
	}
	// More records than one multi-row INSERT holds come before the stored one.
	var batch []capture.StatementRecord
	for n := 1; n <= 3*statementRowsPerInsert; n++ {
		batch = append(batch, rec(n, n))
	}
	batch = append(batch, rec(500, 0))
	err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: batch})
	if capture.ErrorCode(err) != capture.CodeConflict || !strings.Contains(capture.ErrorMessage(err), rec(500, 0).ID) {
		t.Errorf("err = %v, want a conflict naming %s", err, rec(500, 0).ID)
	}
	if last, _ := s.LastSeq(t.Context()); last != 1 {
		t.Errorf("LastSeq = %d after the failed batch, want 1", last)
	}
}

// TestLegacySchemaVersion opens a database whose capture version sits in the
// single-row schema_version table of earlier releases: the version carries over, no
// capture migration runs again, and the old table goes.
func TestLegacySchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	// An earlier release's database: the capture tables and the single version row only.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range captureMigrations {
		if _, err := db.ExecContext(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version (version) VALUES (?)`, len(captureMigrations)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path)
	for _, set := range schemaSets[1:] {
		var v int
		if err := s.r.QueryRowContext(t.Context(), `SELECT version FROM schema_versions WHERE name = ?`, set.name).Scan(&v); err != nil || v != len(set.migrations) {
			t.Errorf("schema %q at %d, %v; want %d", set.name, v, err, len(set.migrations))
		}
	}
	var version, legacy int
	if err := s.r.QueryRowContext(t.Context(), `SELECT version FROM schema_versions WHERE name = 'capture'`).Scan(&version); err != nil || version != len(captureMigrations) {
		t.Errorf("capture schema at %d, %v; want %d", version, err, len(captureMigrations))
	}
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'`).Scan(&legacy); err != nil || legacy != 0 {
		t.Errorf("schema_version tables left: %d, %v", legacy, err)
	}
}

func TestReportsContract(t *testing.T) {
	reportstest.Run(t, func(t *testing.T) reportstest.Stores { return openAt(t, filepath.Join(t.TempDir(), "r.db")) })
}

func TestQAContract(t *testing.T) {
	qatest.Run(t, func(t *testing.T) qa.Store { return openTemp(t) })
}
