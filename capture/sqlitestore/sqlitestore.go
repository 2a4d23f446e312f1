// Package sqlitestore is the embedded default capture.Store, on SQLite through the
// pure-Go driver modernc.org/sqlite (https://pkg.go.dev/modernc.org/sqlite,
// https://www.sqlite.org/pragma.html).
//
// Durability: the database runs in WAL mode with synchronous=NORMAL. A write is
// acknowledged once its transaction is committed to the write-ahead log, so it
// survives a crash of the process; the log is synced to disk at checkpoints, so a
// power loss or kernel crash may lose the last transactions (never corrupt the
// database). synchronous=FULL would sync every commit: one fsync took about 3 ms on
// the machine this was measured on, which would cap single-statement writes near
// 300/s instead of several thousand. The log is checkpointed in the background, on a
// connection of its own, so that no commit waits for a checkpoint (checkpoint.go).
//
// Layout and query plans: see the schema in schema.go. Every statement query walks
// one index in seq order and stops after the requested number of rows.
//
// Concurrency: all writes go through one connection, serialised by a mutex; reads use
// a separate pool of read-only connections and never wait for writes (WAL readers
// see the last committed snapshot).
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cairn-lrs/cairn/capture"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// readers is the size of the read-only connection pool.
const readers = 4

// Store is a capture.Store on one SQLite database file. Its methods are safe for
// concurrent use.
type Store struct {
	path   string
	logger *slog.Logger
	w      *sql.DB // exactly one connection: every write
	r      *sql.DB // read-only connections
	ckpt   *checkpointer

	wmu    sync.Mutex // serialises write transactions and guards the fields below
	wstmts map[string]*sql.Stmt
	wanted []string         // statements to prepare once the open transaction ends
	kids   map[string]int64 // interned key → key_ids.id, committed rows only
	acts   *activityCache   // committed activity definitions; updated under wmu, read without it
	// lastStored is the stored time (unix ns) of the statement with the highest seq;
	// monotonic is false once a statement's stored time was below that of its predecessor.
	lastStored int64
	monotonic  bool
	// dangling holds the ids that stored statements target (StatementRef or voiding)
	// but that are not stored themselves: only a new record with such an id can be
	// voided on arrival or pass its keys to stored referrers. danglingUnknown means the
	// set outgrew maxDangling and every new id must be looked up.
	dangling        map[string]bool
	danglingUnknown bool

	lastSeq atomic.Int64 // highest committed seq

	rmu    sync.RWMutex
	rstmts map[string]*sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

var _ capture.Store = (*Store)(nil)

// pageSize is the page size of a new database file. Measured at 300k statements,
// 1, 2 and 8 KiB pages were no faster to insert into than 4 KiB.
const pageSize = 4096

// maxDangling bounds the dangling target set.
const maxDangling = 100_000

// maxCachedKeys bounds the interned-key cache; it is emptied when it grows beyond.
const maxCachedKeys = 1 << 18

// Open opens (creating if needed) the database at path and its parent directory,
// and brings the schema to the current version. A repeat Open of an up-to-date
// database changes nothing. Errors are CodeInternal.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, capture.Internal(err, "store path")
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, capture.Internal(err, "create store directory")
	}
	base := (&url.URL{Scheme: "file", OmitHost: true, Path: abs}).String()
	// Memory budget: the writer keeps a 16 MiB page cache (index pages that inserts
	// touch), each reader 4 MiB. A 32 MiB writer cache took as much or more CPU per
	// inserted statement with 200k, 500k and 1M statements stored (the pages it
	// misses come from the OS's file cache). Memory-mapped I/O is off: it made single-statement
	// inserts about 40% faster at 300k statements, but every mapped page a query
	// touches counts in the process's resident set, which then grows with the
	// database (925 MiB at 1M statements) instead of staying bounded.
	common := "&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(memory)&_pragma=mmap_size(0)"
	w, err := sql.Open("sqlite", base+"?_txlock=immediate&_pragma=synchronous(normal)"+
		"&_pragma=cache_size(-16384)&_pragma=journal_size_limit(67108864)&_pragma=wal_autocheckpoint(0)&_pragma=secure_delete(1)"+common)
	if err != nil {
		return nil, capture.Internal(err, "open store")
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: abs, logger: logger, w: w, wstmts: map[string]*sql.Stmt{}, dangling: map[string]bool{}, rstmts: map[string]*sql.Stmt{}, kids: map[string]int64{}, acts: newActivityCache()}
	if err := s.init(ctx); err != nil {
		w.Close()
		return nil, capture.Internal(err, "open store")
	}
	r, err := sql.Open("sqlite", base+"?mode=ro&_pragma=cache_size(-4096)"+common)
	if err != nil {
		w.Close()
		return nil, capture.Internal(err, "open store")
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxIdleTime(0)
	s.r = r
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, capture.Internal(err, "open store for reading")
	}
	// The checkpointer's connection only checkpoints (checkpoint.go).
	c, err := sql.Open("sqlite", base+"?_pragma=busy_timeout(10000)&_pragma=synchronous(normal)&_pragma=mmap_size(0)")
	if err != nil {
		s.Close()
		return nil, capture.Internal(err, "open store")
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	c.SetConnMaxIdleTime(0)
	s.ckpt = startCheckpointer(c, logger, checkpointEvery, maxLogPages)
	logger.Info("sqlite store open", "path", abs, "last_seq", s.lastSeq.Load())
	return s, nil
}

// init migrates the schema and loads the writer's state.
func (s *Store) init(ctx context.Context) error {
	// Both settings persist in the file; page_size only takes effect on a new one.
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA page_size = %d`, pageSize)); err != nil {
		return err
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	var lastSeq, lastStored sql.NullInt64
	err := s.w.QueryRowContext(ctx, `SELECT seq, stored FROM statements ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastStored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var floor int64 // the highest seq of an erased statement (erase.go)
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, seqFloor).Scan(&floor); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	s.lastSeq.Store(max(lastSeq.Int64, floor))
	s.lastStored = lastStored.Int64
	var mono int64
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'stored_monotonic'`).Scan(&mono); err != nil {
		return err
	}
	s.monotonic = mono == 1
	return s.loadDangling(ctx)
}

// loadDangling fills the dangling target set from the stored statements.
func (s *Store) loadDangling(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, `SELECT t FROM (
			SELECT ref_target AS t FROM statements WHERE ref_target IS NOT NULL
			UNION SELECT void_target FROM statements WHERE void_target IS NOT NULL)
		WHERE NOT EXISTS (SELECT 1 FROM statements s WHERE s.id = t)`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		if len(s.dangling) == maxDangling {
			s.danglingUnknown = true
			clear(s.dangling)
			return nil
		}
		s.dangling[t] = true
	}
	return rows.Err()
}

// Close closes the database; committed writes are durable as described in the
// package comment. A repeat call returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.ckpt != nil {
			errs = append(errs, s.ckpt.close())
		}
		if s.r != nil {
			s.rmu.Lock()
			for _, st := range s.rstmts {
				st.Close()
			}
			s.rmu.Unlock()
			errs = append(errs, s.r.Close())
		}
		s.wmu.Lock()
		for _, st := range s.wstmts {
			st.Close()
		}
		errs = append(errs, s.w.Close())
		s.wmu.Unlock()
		if err := errors.Join(errs...); err != nil {
			s.closeErr = capture.Internal(err, "close store")
		}
	})
	return s.closeErr
}

// Ping reports whether the database answers a read; CodeUnavailable otherwise.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM schema_versions LIMIT 1`).Scan(&one); err != nil {
		return &capture.Error{Code: capture.CodeUnavailable, Message: "store unavailable", Err: err}
	}
	return nil
}

// Stats returns the number of stored statements and the bytes the database and its
// write-ahead log take on disk. Seqs are assigned without gaps but erasure deletes
// statements, so the statements are counted (a walk of the smallest index).
func (s *Store) Stats(ctx context.Context) (statements int64, bytes int64, err error) {
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM statements`).Scan(&statements); err != nil {
		return 0, 0, internal(err, "store stats")
	}
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(s.path + suffix)
		if err == nil {
			bytes += fi.Size()
		} else if !errors.Is(err, os.ErrNotExist) {
			return 0, 0, capture.Internal(err, "store stats")
		}
	}
	return statements, bytes, nil
}

// readStmt returns the prepared read statement for query, preparing it once.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.rmu.RLock()
	st := s.rstmts[query]
	s.rmu.RUnlock()
	if st != nil {
		return st, nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if st := s.rstmts[query]; st != nil {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.rstmts[query] = st
	return st, nil
}

// writeStmt returns query prepared on the writer connection and bound to tx. The
// caller holds wmu. A statement seen for the first time is prepared on tx only (the
// one writer connection is busy with tx) and cached by prepareWanted after tx ends.
func (s *Store) writeStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := s.wstmts[query]; st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	s.wanted = append(s.wanted, query)
	return tx.PrepareContext(ctx, query)
}

// prepareWanted prepares, for reuse by later transactions, the statements that the
// last transaction prepared on the fly. The caller holds wmu and no transaction is open.
func (s *Store) prepareWanted() {
	for _, q := range s.wanted {
		if s.wstmts[q] != nil {
			continue
		}
		st, err := s.w.Prepare(q)
		if err != nil {
			s.logger.Warn("prepare write statement", "err", err)
			continue
		}
		s.wstmts[q] = st
	}
	s.wanted = s.wanted[:0]
}

// txExec runs query with args in tx through the prepared statement cache.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.writeStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// txQuery runs query with args in tx through the prepared statement cache.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := s.writeStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// placeholders returns "?,?,…" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// rowsPlaceholders returns "(?,?),(?,?),…": rows groups of cols marks.
func rowsPlaceholders(rows, cols int) string {
	group := "(" + placeholders(cols) + ")"
	return strings.Repeat(group+",", rows-1) + group
}

// inArgs pads values to the next power of two (repeating the last one) so that IN
// lists use a handful of prepared statements; it returns the args and their count.
func inArgs(values []string) ([]any, int) {
	n := 1
	for n < len(values) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = values[min(i, len(values)-1)]
	}
	return args, n
}

// chunks splits values into slices of at most size.
func chunks(values []string, size int) [][]string {
	var out [][]string
	for len(values) > size {
		out = append(out, values[:size])
		values = values[size:]
	}
	if len(values) > 0 {
		out = append(out, values)
	}
	return out
}

// internal wraps a database error as CodeInternal with the operation's name.
func internal(err error, op string) error {
	var ce *capture.Error
	if errors.As(err, &ce) {
		return err
	}
	return capture.Internal(err, fmt.Sprintf("store: %s", op))
}
