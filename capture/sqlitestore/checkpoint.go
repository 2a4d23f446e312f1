package sqlitestore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"
)

// Checkpoints (https://www.sqlite.org/wal.html#ckpt) copy the pages that commits
// appended to the write-ahead log back into the database file, and sync both files.
// SQLite runs them in the committing connection by default, so the writer, through
// which every write passes, would stop for the copy and its fsyncs every few thousand
// statements. The writer's automatic checkpoint is off instead, and a checkpointer
// with a connection of its own runs passive checkpoints in the background: they never
// block the writer, which goes on appending to the log while they copy. Durability is
// unchanged: a commit is in the log, which recovery replays, either way.
//
// A passive checkpoint never restarts the log: the writer starts it again from the
// beginning only when it begins a transaction with every page copied and no reader on
// the log, which steady writes seldom allow, so the log would grow without end. When
// a passive checkpoint finds the log over maxLogPages, the writer itself runs a
// RESTART checkpoint after its next commit (restartLogIfLong): it copies the few pages
// passive checkpoints left, waits for readers of older pages, and its next commit
// starts the log over, overwriting the file from its beginning.
var (
	// checkpointEvery is how often the checkpointer looks for log pages to copy.
	checkpointEvery = 250 * time.Millisecond
	// maxLogPages bounds the log, in 4 KiB pages (64 MiB).
	maxLogPages = 1 << 14
)

// checkpointer runs checkpoints on its own connection until stopped.
type checkpointer struct {
	db       *sql.DB
	logger   *slog.Logger
	every    time.Duration
	maxPages int
	long     atomic.Bool // the last passive checkpoint found the log over maxPages
	stop     chan struct{}
	done     chan struct{}
}

func startCheckpointer(db *sql.DB, logger *slog.Logger, every time.Duration, maxPages int) *checkpointer {
	c := &checkpointer{db: db, logger: logger, every: every, maxPages: maxPages, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(c.every)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		if _, _, err := c.checkpoint(context.Background()); err != nil {
			c.logger.Warn("background checkpoint failed; the next one retries", "err", err)
		}
	}
}

// checkpoint runs one passive checkpoint and notes whether the log is over maxPages.
// It returns the log's pages and how many of them are in the database file.
func (c *checkpointer) checkpoint(ctx context.Context) (logPages, copied int, err error) {
	var busy int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied); err != nil {
		return 0, 0, err
	}
	if logPages > c.maxPages {
		c.long.Store(true)
	}
	return logPages, copied, nil
}

// restartLogIfLong runs a RESTART checkpoint on the writer's connection when the
// checkpointer last found the log over its bound. The caller holds wmu and has no
// transaction open. A failure is logged: the next commit tries again.
func (s *Store) restartLogIfLong() {
	if s.ckpt == nil || !s.ckpt.long.Swap(false) {
		return
	}
	start := time.Now()
	var busy, logPages, copied int
	if err := s.w.QueryRow(`PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &logPages, &copied); err != nil {
		s.ckpt.long.Store(true)
		s.logger.Warn("cannot restart the write-ahead log; the next commit retries", "err", err)
		return
	}
	if busy == 1 { // a reader held old pages past the busy timeout
		s.ckpt.long.Store(true)
	}
	s.logger.Debug("write-ahead log restarted", "log_pages", logPages, "copied", copied, "busy", busy == 1,
		"took", time.Since(start).Round(time.Millisecond))
}

// close stops the checkpointer and closes its connection. A repeat call panics.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
