package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/federation"
)

// pullReschedule is how often the pull schedule is brought in line with the partners'
// settings.
const pullReschedule = 10 * time.Second

// federationRunner runs the pushers (continuous, woken after each commit) and the pulls
// of partners (gocron, at each partner's interval) inside `cairn serve`.
type federationRunner struct {
	log      *slog.Logger
	partners *federation.Partners
	mgr      *federation.Manager
	sched    gocron.Scheduler
	cancel   context.CancelFunc

	mu        sync.Mutex
	scheduled map[string]time.Duration // pull partner → interval it is scheduled at
}

// startFederation wires and starts federation over store; statements writes pulled
// statements. The pushers stay idle while no partner is configured.
func startFederation(ctx context.Context, store capture.Store, statements *capture.StatementService, cfg config.Serve, logger *slog.Logger) (*federationRunner, error) {
	partners, mgr, err := newFederation(store, statements, cfg.PartnerKey, cfg.BaseURL, logger)
	if err != nil {
		return nil, err
	}
	r := &federationRunner{log: logger, partners: partners, mgr: mgr, scheduled: map[string]time.Duration{}}
	ctx, r.cancel = context.WithCancel(ctx)
	r.sched, err = gocron.NewScheduler(gocron.WithStopTimeout(10 * time.Second))
	if err != nil {
		r.cancel()
		return nil, err
	}
	_, err = r.sched.NewJob(gocron.DurationJob(pullReschedule), gocron.NewTask(func() { r.schedulePulls(ctx) }),
		gocron.WithStartAt(gocron.WithStartImmediately()), gocron.WithSingletonMode(gocron.LimitModeReschedule), gocron.WithName("pull schedule"))
	if err != nil {
		r.cancel()
		return nil, err
	}
	mgr.Start(ctx)
	r.sched.Start()
	return r, nil
}

// Wake tells the pushers that statements were committed; the statement service's
// Committed hook.
func (r *federationRunner) Wake() { r.mgr.Wake() }

// schedulePulls gives each active pull partner a gocron job at its interval and drops
// the jobs of removed, paused or push-only partners.
func (r *federationRunner) schedulePulls(ctx context.Context) {
	parts, err := r.partners.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("federation: cannot list partners", "err", err)
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	want := map[string]time.Duration{}
	for _, p := range parts {
		if p.Direction.Pulls() && !p.Paused {
			want[p.Name] = p.Interval
		}
	}
	for name, iv := range r.scheduled {
		if want[name] != iv {
			r.sched.RemoveByTags("pull:" + name)
			delete(r.scheduled, name)
		}
	}
	for name, iv := range want {
		if _, ok := r.scheduled[name]; ok {
			continue
		}
		_, err := r.sched.NewJob(gocron.DurationJob(iv), gocron.NewTask(func() { r.pull(ctx, name) }),
			gocron.WithTags("pull:"+name), gocron.WithName("pull "+name),
			gocron.WithStartAt(gocron.WithStartImmediately()), gocron.WithSingletonMode(gocron.LimitModeReschedule))
		if err != nil {
			r.log.Warn("federation: cannot schedule pulls", "partner", name, "err", err)
			continue
		}
		r.scheduled[name] = iv
	}
}

func (r *federationRunner) pull(ctx context.Context, name string) {
	res, err := r.mgr.Pull(ctx, name)
	switch {
	case err == nil:
		if res.Stored > 0 || res.DeadLettered > 0 {
			r.log.Info("federation: pulled", "partner", name, "stored", res.Stored, "dead_lettered", res.DeadLettered, "pages", res.Pages)
		}
	case capture.ErrorCode(err) == capture.CodeConflict:
		r.log.Debug("federation: pull left to another instance", "partner", name, "err", err)
	case ctx.Err() == nil:
		r.log.Warn("federation: pull failed", "partner", name, "err", err)
	}
}

// stop ends pulls in flight and the pushers and waits for them; a repeat call does
// nothing.
func (r *federationRunner) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := r.sched.Shutdown(); err != nil {
		r.log.Warn("federation: scheduler shutdown", "err", err)
	}
	r.mgr.Stop()
}
