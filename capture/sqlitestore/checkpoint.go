package sqlitestore

import (
	"context"
	"database/sql"
	"log/slog"
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
const (
	// checkpointEvery is how often the checkpointer looks for log pages to copy.
	checkpointEvery = 250 * time.Millisecond
	// maxLogPages bounds the log (4 KiB pages): when passive checkpoints leave more
	// uncopied, because writes outpace them or readers hold old pages, the
	// checkpointer runs a RESTART checkpoint, which waits for the writer and the
	// readers and lets the next commit start the log from its beginning.
	maxLogPages = 1 << 16
)

// checkpointer runs checkpoints on its own connection until stopped.
type checkpointer struct {
	db       *sql.DB
	logger   *slog.Logger
	every    time.Duration
	maxPages int
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

// checkpoint runs one passive checkpoint, and a RESTART one when the log holds more
// than maxPages uncopied pages after it. It returns the log's pages and how many of
// them are in the database file.
func (c *checkpointer) checkpoint(ctx context.Context) (logPages, copied int, err error) {
	var busy int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied); err != nil {
		return 0, 0, err
	}
	if logPages-copied <= c.maxPages {
		return logPages, copied, nil
	}
	start := time.Now()
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &logPages, &copied); err != nil {
		return 0, 0, err
	}
	c.logger.Info("write-ahead log over its bound: checkpointed with writes held",
		"log_pages", logPages, "copied", copied, "busy", busy == 1, "took", time.Since(start).Round(time.Millisecond))
	return logPages, copied, nil
}

// close stops the checkpointer and closes its connection. A repeat call panics.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
