package enrich

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Fetcher is what Queue needs from an Enricher.
type Fetcher interface {
	Fetch(ctx context.Context, rawURL string) (Page, error)
}

// Handler receives each fetched URL's outcome: the page, or the error Fetch returned.
// ctx is the one given to Run.
type Handler func(ctx context.Context, rawURL string, p Page, err error)

// Queue hands URLs to background workers so that callers never wait for a fetch. It holds at
// most size pending URLs; Enqueue drops (and counts) what does not fit.
type Queue struct {
	fetch  Fetcher
	handle Handler
	log    *slog.Logger
	items  chan string

	mu      sync.Mutex // orders Enqueue against the final drain
	stopped bool
	running atomic.Bool

	dropped atomic.Int64
	handled atomic.Int64
}

// NewQueue returns a Queue of capacity size (at least 1) whose workers call f.Fetch and then
// h. A nil logger discards.
func NewQueue(f Fetcher, size int, h Handler, logger *slog.Logger) *Queue {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Queue{fetch: f, handle: h, log: logger, items: make(chan string, max(size, 1))}
}

// Enqueue adds rawURL without blocking. It returns false, counting a drop, when the queue
// is full or Run has ended; URLs enqueued before Run starts wait for it.
func (q *Queue) Enqueue(rawURL string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.stopped {
		select {
		case q.items <- rawURL:
			return true
		default:
		}
	}
	q.dropped.Add(1)
	q.log.Debug("enrich: queue drop", "url", rawURL, "dropped", q.dropped.Load())
	return false
}

// Run processes URLs with workers goroutines (at least 1) until ctx ends, then waits for the
// workers to return (a fetch in progress ends with ctx's error and is still handed to the
// Handler), discards the URLs still pending (counting them as dropped) and returns. Later
// Enqueue calls drop. Run may be called once; a second call returns at once.
func (q *Queue) Run(ctx context.Context, workers int) {
	if !q.running.CompareAndSwap(false, true) {
		return
	}
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() { q.work(ctx) })
	}
	wg.Wait()

	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	for {
		select {
		case <-q.items:
			q.dropped.Add(1)
		default:
			return
		}
	}
}

func (q *Queue) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-q.items:
			if ctx.Err() != nil { // both were ready: stopping wins
				q.dropped.Add(1)
				return
			}
			q.process(ctx, u)
		}
	}
}

// process fetches and handles one URL; a panicking Handler is logged, not fatal.
func (q *Queue) process(ctx context.Context, u string) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("enrich: handler panicked", "url", u, "panic", r)
		}
	}()
	p, err := q.fetch.Fetch(ctx, u)
	q.handled.Add(1)
	if q.handle != nil {
		q.handle(ctx, u, p, err)
	}
}

// Dropped returns how many URLs were refused by a full or stopped queue or discarded at
// shutdown.
func (q *Queue) Dropped() int64 { return q.dropped.Load() }

// Handled returns how many URLs were fetched and handed to the Handler.
func (q *Queue) Handled() int64 { return q.handled.Load() }

// Pending returns how many URLs wait in the queue.
func (q *Queue) Pending() int { return len(q.items) }
