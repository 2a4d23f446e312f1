package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
)

// rollupInterval is how often the report figures catch up when no write wakes them.
const rollupInterval = 30 * time.Second

// reporting keeps the report figures current in the background while serving.
type reporting struct {
	reports *reports.Reports
	rollup  *reports.Rollup
	teams   *teamDirectory // nil: no hub, no teams
	wake    chan struct{}
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

// newReporting returns the report service over store, or nil when the store keeps no
// report figures.
func newReporting(store capture.Store, cfg config.Serve, logger *slog.Logger) *reporting {
	rs, ok := store.(reports.Store)
	if !ok {
		return nil
	}
	r := &reporting{
		reports: &reports.Reports{Store: rs, Zone: cfg.Timezone,
			Privacy: reports.Privacy{Aggregate: cfg.ReportPrivacy, K: cfg.ReportMinGroup}},
		rollup: &reports.Rollup{Feed: store, Store: rs, Zone: cfg.Timezone, Logger: logger.With("component", "reports")},
		teams:  newTeamDirectory(store, logger),
		wake:   make(chan struct{}, 1),
	}
	if r.teams != nil {
		r.rollup.TeamOf = r.teams.TeamOf
	}
	return r
}

// teamDirectory returns the teams the rollup counts under; nil when r is nil or the
// store keeps no hub.
func (r *reporting) teamDirectory() *teamDirectory {
	if r == nil {
		return nil
	}
	return r.teams
}

// Committed wakes the rollup after a write; it never blocks (capture's Committed hook).
func (r *reporting) Committed() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// start runs the rollup until stop; report pages name activities through statements.
func (r *reporting) start(ctx context.Context, statements *capture.StatementService) {
	r.reports.ActivityByID = statements.Activity
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		r.rollup.Run(ctx, rollupInterval, r.wake)
	}()
}

// stop ends the rollup and waits for its step in progress (a batch is applied whole
// or not at all), before the store closes.
func (r *reporting) stop() {
	if r.cancel != nil {
		r.cancel()
	}
	r.done.Wait()
}

func setupReportsRebuild(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	tz := config.Bind(fs, config.Setting{Flag: config.FlagTimezone, Env: "CAIRN_TIMEZONE", Default: "UTC", Meta: "ZONE",
		Usage: "the organisation's IANA time zone, as for serve"})
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		values, err := tz.Resolve(c.env)
		if err != nil {
			return usageError{err}
		}
		zone, err := config.ParseTimezone(values[config.FlagTimezone].Raw)
		if err != nil {
			return usageError{values[config.FlagTimezone].Errorf("%v", err)}
		}
		logger := newLogger(c.stderr, cfg)
		store, err := openStore(ctx, cfg.Store, logger)
		if err != nil {
			return err
		}
		defer store.Close()
		rs, ok := store.(reports.Store)
		if !ok {
			return fmt.Errorf("this store keeps no report figures")
		}
		if err := rs.ResetRollups(ctx); err != nil {
			return err
		}
		start := time.Now()
		r := &reports.Rollup{Feed: store, Store: rs, Zone: zone, Logger: logger}
		if teams := newTeamDirectory(store, logger); teams != nil {
			r.TeamOf = teams.TeamOf
		}
		n, err := r.CatchUp(ctx)
		if err != nil {
			return fmt.Errorf("after %d statements: %w", n, err)
		}
		fmt.Fprintf(c.stdout, "Report figures rebuilt from %d statements in %s (time zone %s).\n", n, time.Since(start).Round(time.Millisecond), zone)
		return store.Close()
	})
}
