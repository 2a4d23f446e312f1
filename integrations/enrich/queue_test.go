package enrich

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

// gateFetcher blocks every Fetch until its gate is opened or ctx ends.
type gateFetcher struct {
	gate    chan struct{}
	started chan string
}

func (f *gateFetcher) Fetch(ctx context.Context, rawURL string) (Page, error) {
	f.started <- rawURL
	select {
	case <-f.gate:
		return Page{URL: rawURL}, nil
	case <-ctx.Done():
		return Page{}, ctx.Err()
	}
}

type handled struct {
	mu   sync.Mutex
	urls []string
	errs []error
}

func (h *handled) handle(_ context.Context, u string, p Page, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil && p.URL != u {
		err = errors.New("page of another URL")
	}
	h.urls = append(h.urls, u)
	h.errs = append(h.errs, err)
}

func (h *handled) snapshot() ([]string, []error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.urls...), append([]error(nil), h.errs...)
}

func TestQueueDropsWhenFull(t *testing.T) {
	f := &gateFetcher{gate: make(chan struct{}), started: make(chan string, 10)}
	close(f.gate)
	var h handled
	q := NewQueue(f, 2, h.handle, nil)

	for i, want := range []bool{true, true, false, false} {
		if got := q.Enqueue("https://example.org/" + string(rune('a'+i))); got != want {
			t.Errorf("Enqueue #%d = %v, want %v", i, got, want)
		}
	}
	if q.Dropped() != 2 || q.Pending() != 2 {
		t.Fatalf("dropped %d pending %d, want 2 and 2", q.Dropped(), q.Pending())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx, 2); close(done) }()
	waitFor(t, func() bool { return q.Handled() == 2 })
	cancel()
	<-done

	urls, errs := h.snapshot()
	if len(urls) != 2 {
		t.Fatalf("handled %v", urls)
	}
	for _, err := range errs {
		if err != nil {
			t.Errorf("handler got %v", err)
		}
	}
}

func TestQueueShutdown(t *testing.T) {
	f := &gateFetcher{gate: make(chan struct{}), started: make(chan string, 10)}
	var h handled
	q := NewQueue(f, 3, h.handle, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx, 1); close(done) }()

	q.Enqueue("https://example.org/in-flight")
	<-f.started // the single worker is now blocked in Fetch
	for _, u := range []string{"https://example.org/p1", "https://example.org/p2"} {
		if !q.Enqueue(u) {
			t.Fatalf("Enqueue(%s) refused while there was room", u)
		}
	}

	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("shutdown took %v", d)
	}

	urls, errs := h.snapshot()
	if len(urls) != 1 || urls[0] != "https://example.org/in-flight" || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("handled %v with %v, want the in-flight URL with context.Canceled", urls, errs)
	}
	if q.Pending() != 0 || q.Dropped() != 2 {
		t.Errorf("after shutdown: pending %d dropped %d, want 0 and 2", q.Pending(), q.Dropped())
	}
	if q.Enqueue("https://example.org/late") {
		t.Error("Enqueue accepted after Run returned")
	}
	if q.Dropped() != 3 {
		t.Errorf("dropped %d, want 3", q.Dropped())
	}
	q.Run(context.Background(), 1) // a second Run returns at once
}

// TestQueueWithEnricher runs the real Enricher behind the queue.
func TestQueueWithEnricher(t *testing.T) {
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/json" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{}"))
			return
		}
		serveHTML(t, "article.html")(w, r)
	})
	e := newTestEnricher(t, testConfig(t, s))
	results := make(chan error, 2)
	q := NewQueue(e, 4, func(_ context.Context, _ string, p Page, err error) {
		if err == nil && p.Kind != KindArticle {
			err = errors.New("not read as an article")
		}
		results <- err
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx, 2)
	q.Enqueue(s.URL + "/article")
	q.Enqueue(s.URL + "/json")
	var errs []error
	for range 2 {
		select {
		case err := <-results:
			errs = append(errs, err)
		case <-time.After(3 * time.Second):
			t.Fatal("no result")
		}
	}
	var ok, notHTML int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrNotHTML):
			notHTML++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || notHTML != 1 {
		t.Errorf("ok %d notHTML %d, want 1 and 1", ok, notHTML)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
