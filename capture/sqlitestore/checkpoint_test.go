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
// copies the log into the database file soon after writes, and notes when the log is
// over its bound.
func TestBackgroundCheckpoint(t *testing.T) {
	s := openTemp(t)
	var auto int
	if err := s.w.QueryRowContext(t.Context(), `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d (%v), want 0: commits must not checkpoint", auto, err)
	}
	insertRealistic(t, s, "0", 3000)

	// A second checkpointer on the same file with a bound of one page and no ticks:
	// its passive checkpoint copies the whole log (nothing writes meanwhile) and finds
	// the log over its bound.
	db, err := sql.Open("sqlite", "file:"+s.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	forced := startCheckpointer(db, slog.New(slog.DiscardHandler), time.Hour, 1)
	defer forced.close()
	insertRealistic(t, s, "1", 2000)
	logPages, copied := -1, -1
	for try := 0; logPages < 0 && try < 100; try++ { // -1: the store's checkpointer held the checkpoint lock
		if logPages, copied, err = forced.checkpoint(t.Context()); err != nil {
			t.Fatal(err)
		}
		if logPages < 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if logPages == 0 || copied != logPages || !forced.long.Load() {
		t.Fatalf("log %d pages, %d copied, over the bound %v; want all of a non-empty log copied and over the bound",
			logPages, copied, forced.long.Load())
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

// TestCheckpointBoundsLog: under steady writes, with the checkpointer ticking beside
// them, the log file stays near its bound instead of growing with everything written:
// passive checkpoints alone seldom let the writer start the log over (142 MiB after
// these 20,000 statements without the writer's RESTART; about 7 MiB with it, 33 MiB
// seen on a loaded machine).
func TestCheckpointBoundsLog(t *testing.T) {
	every, pages := checkpointEvery, maxLogPages
	checkpointEvery, maxLogPages = 5*time.Millisecond, 256 // 1 MiB
	t.Cleanup(func() { checkpointEvery, maxLogPages = every, pages })
	s := openTemp(t)
	insertRealistic(t, s, "0", 20000)
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 70<<20 {
		t.Fatalf("log file is %d MiB after 20,000 statements with a 1 MiB bound", fi.Size()>>20)
	}
	t.Logf("log file %d KiB after 20,000 statements with a 1 MiB bound", fi.Size()>>10)
	if n, err := s.LastSeq(t.Context()); err != nil || n != 20000 {
		t.Fatalf("LastSeq = %d (%v), want 20000", n, err)
	}
}
