package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/mongostore"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
)

// openTimeout bounds connecting to and preparing a store.
const openTimeout = 30 * time.Second

// openStore opens the configured store. For SQLite it creates the file's directory
// first. Errors never carry the MongoDB password.
func openStore(ctx context.Context, s config.Store, logger *slog.Logger) (capture.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	switch s.Kind {
	case config.StoreSQLite:
		if dir := filepath.Dir(s.Location); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store %s: %w", s, err)
			}
		}
		st, err := sqlitestore.Open(ctx, s.Location, logger)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", s, err)
		}
		return st, nil
	case config.StoreMongoDB:
		st, err := mongostore.Open(ctx, s.Location, logger)
		if err != nil {
			return nil, fmt.Errorf("store %s: %s", s, s.Scrub(err.Error()))
		}
		return st, nil
	}
	return nil, fmt.Errorf("store %s: unsupported kind %q", s, s.Kind)
}

// newLogger returns a text or JSON slog logger on w at the configured level.
func newLogger(w io.Writer, c config.Common) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// withStore opens the configured store, runs fn with it and a logger, and closes it.
// fn's error wins; a close error (scrubbed of credentials) is returned only when fn
// succeeded, since only then would the caller miss it.
func withStore(ctx context.Context, c *cli, cfg config.Common, fn func(capture.Store, *slog.Logger) error) error {
	logger := newLogger(c.stderr, cfg)
	store, err := openStore(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	runErr := fn(store, logger)
	if err := store.Close(); err != nil && runErr == nil {
		return fmt.Errorf("close store: %s", cfg.Store.Scrub(err.Error()))
	}
	return runErr
}
