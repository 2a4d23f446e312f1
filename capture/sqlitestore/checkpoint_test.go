package sqlitestore

import (
	"database/sql"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// insertRealistic stores n records of the load generator's shape in batches of 100.
func insertRealistic(t *testing.T, s *Store, prefix string, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	for start := 0; start < n; start += 100 {
		recs := make([]capture.StatementRecord, 0, 100)
		for i := start; i < min(start+100, n); i++ {
			recs = append(recs, realisticRecord(rng, prefix, i))
		}
		if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: recs}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBackgroundCheckpoint: commits leave the checkpoint to the checkpointer, which
// copies the whole log into the database file soon after writes stop, and a
// checkpointer whose bound the log exceeds copies all of it at once.
func TestBackgroundCheckpoint(t *testing.T) {
	s := openTemp(t)
	var auto int
	if err := s.w.QueryRowContext(t.Context(), `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d (%v), want 0: commits must not checkpoint", auto, err)
	}
	insertRealistic(t, s, "0", 3000)

	// A second checkpointer on the same file with a bound of one page and no ticks:
	// its first call finds the log over the bound and copies all of it.
	db, err := sql.Open("sqlite", "file:"+s.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	forced := startCheckpointer(db, slog.New(slog.DiscardHandler), time.Hour, 1)
	defer forced.close()
	insertRealistic(t, s, "1", 2000)
	logPages, copied, err := forced.checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if logPages == 0 || copied != logPages {
		t.Fatalf("over the bound: log %d pages, %d copied; want all of a non-empty log copied", logPages, copied)
	}

	// The store's own checkpointer copies a later batch into the database file, which
	// grows: nothing else checkpoints (the writer does not, the second checkpointer's
	// tick is an hour away).
	before, err := os.Stat(s.path)
	if err != nil {
		t.Fatal(err)
	}
	insertRealistic(t, s, "2", 2000)
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(s.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > before.Size() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 10s after 2000 more statements: the checkpointer did not run", fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := s.LastSeq(t.Context()); err != nil || n != 7000 {
		t.Fatalf("LastSeq = %d (%v), want 7000", n, err)
	}
}
