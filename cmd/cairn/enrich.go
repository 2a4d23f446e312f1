package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/integrations/enrich"
)

// Sizing of the enrichment queue: pending URLs beyond enrichQueueSize are dropped (a later
// statement naming the page enqueues it again), and enrichWorkers fetch at once.
const (
	enrichQueueSize = 1024
	enrichWorkers   = 4
)

// enrichment fetches the pages behind http(s) activity ids that statements name without a
// definition and stores what it finds as their canonical definitions, in the background.
type enrichment struct {
	log        *slog.Logger
	fetcher    *enrich.Enricher
	queue      *enrich.Queue
	statements *capture.StatementService // set by start, before any worker runs
	cancel     context.CancelFunc
	finished   chan struct{}
}

// newEnrichment returns the enrichment of cfg; nothing is fetched until start.
func newEnrichment(cfg config.Serve, logger *slog.Logger) *enrichment {
	ecfg := enrich.Config{
		UserAgent:            "Cairn/" + strings.Trim(shortVersion(), "()") + " (+" + cfg.BaseURL + ")",
		AllowPrivateNetworks: cfg.EnrichPrivate,
		Logger:               logger,
	}
	if cfg.EnrichPrivate {
		// Test servers listen on ephemeral ports.
		for p := 1; p <= 65535; p++ {
			ecfg.AllowedPorts = append(ecfg.AllowedPorts, p)
		}
	}
	e := &enrichment{log: logger, fetcher: enrich.New(ecfg), finished: make(chan struct{})}
	e.queue = enrich.NewQueue(e.fetcher, enrichQueueSize, e.handle, logger)
	return e
}

// Undefined enqueues activity ids without blocking (a full queue drops and counts them);
// it is the StatementService's Undefined hook.
func (e *enrichment) Undefined(ids []string) {
	for _, id := range ids {
		e.queue.Enqueue(id)
	}
}

// handle stores a fetched page's definition unless the activity has one already; a failed
// fetch is logged at debug level only.
func (e *enrichment) handle(ctx context.Context, url string, p enrich.Page, err error) {
	if err != nil {
		e.log.Debug("enrich: page not used", "url", url, "err", err)
		return
	}
	if err := e.statements.DefineActivity(ctx, url, p.Definition()); err != nil {
		e.log.Warn("enrich: cannot store the activity definition", "url", url, "err", err)
	}
}

// start runs the workers under ctx, storing definitions through statements, until stop
// or the end of ctx. Call it once.
func (e *enrichment) start(ctx context.Context, statements *capture.StatementService) {
	e.statements = statements
	ctx, e.cancel = context.WithCancel(ctx)
	go func() {
		defer close(e.finished)
		e.queue.Run(ctx, enrichWorkers)
	}()
}

// stop ends the workers, waits for them, releases idle connections and logs how many
// URLs were dropped. A call before start, or a repeat call, does nothing.
func (e *enrichment) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	<-e.finished
	e.fetcher.Close()
	if n := e.queue.Dropped(); n > 0 {
		e.log.Info("enrich: pages not fetched", "dropped", n, "handled", e.queue.Handled())
	}
}
