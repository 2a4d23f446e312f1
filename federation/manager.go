package federation

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Config is what a Manager needs.
type Config struct {
	Partners   *Partners
	Feed       capture.StatementStore    // the local statements pushed
	Statements *capture.StatementService // where pulled statements are written
	Sealer     *Sealer
	Connect    Connect
	HomePage   string // Cairn's base URL: homePage of pseudonymous accounts
	Holder     string // this instance's lease holder id (unique per process)
	Now        func() time.Time
	Logger     *slog.Logger
	Backoff    Backoff
	// Poll is how often an idle pusher looks at the feed without being woken (0: 2 s);
	// Reload how often partner settings are re-read (0: 10 s); LeaseTTL how long a
	// lease lasts unless renewed (0: 30 s, renewed before every request).
	Poll, Reload, LeaseTTL time.Duration
}

// Manager runs one pusher per active push partner and the pulls of pull partners, each
// under a lease so that instances sharing a store never run the same job twice.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	workers  map[string]*pushWorker
	wakers   atomic.Pointer[[]chan struct{}] // the workers' wake channels, read without a lock
	wake     chan struct{}                   // reconcile now
	cancel   context.CancelFunc
	done     chan struct{}
	metersMu sync.Mutex
	meters   map[string]*meter
}

// NewManager returns a Manager; nothing runs until Start.
func NewManager(cfg Config) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Reload <= 0 {
		cfg.Reload = 10 * time.Second
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	return &Manager{cfg: cfg, log: cfg.Logger, workers: map[string]*pushWorker{}, wake: make(chan struct{}, 1), meters: map[string]*meter{}}
}

// pushWorker is one partner's running pusher.
type pushWorker struct {
	updated time.Time
	wake    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start runs the pushers until Stop or the end of ctx. Call it once.
func (m *Manager) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		t := time.NewTicker(m.cfg.Reload)
		defer t.Stop()
		for {
			m.reconcile(ctx)
			select {
			case <-ctx.Done():
				m.stopWorkers()
				return
			case <-t.C:
			case <-m.wake:
			}
		}
	}()
}

// Stop ends every pusher, waits for them (a request in flight is abandoned; its
// statements are sent again by whoever resumes) and releases their leases. A call
// before Start, or a repeat call, does nothing.
func (m *Manager) Stop() {
	if m.cancel == nil {
		return
	}
	m.cancel()
	m.cancel = nil
	<-m.done
}

// Reload makes the manager re-read partner settings at once (after a change).
func (m *Manager) Reload() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Wake tells every pusher that new statements may be stored. It never blocks: it is
// the statement service's Committed hook.
func (m *Manager) Wake() {
	p := m.wakers.Load()
	if p == nil {
		return
	}
	for _, w := range *p {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// publishWakers makes Wake reach the current workers; the caller holds mu.
func (m *Manager) publishWakers() {
	ws := make([]chan struct{}, 0, len(m.workers))
	for _, w := range m.workers {
		ws = append(ws, w.wake)
	}
	m.wakers.Store(&ws)
}

func (m *Manager) reconcile(ctx context.Context) {
	parts, err := m.cfg.Partners.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn("federation: cannot list partners", "err", err)
		}
		return
	}
	want := map[string]Partner{}
	for _, p := range parts {
		if p.Direction.Pushes() && !p.Paused {
			want[p.Name] = p
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.publishWakers()
	for name, w := range m.workers {
		if p, ok := want[name]; !ok || !p.Updated.Equal(w.updated) {
			w.cancel()
			<-w.done
			delete(m.workers, name)
		}
	}
	for name, p := range want {
		if _, ok := m.workers[name]; ok {
			continue
		}
		full, err := m.cfg.Partners.Get(ctx, name)
		if err != nil {
			m.log.Warn("federation: cannot load partner", "partner", name, "err", err)
			continue
		}
		remote, err := m.cfg.Connect(full)
		if err != nil {
			m.log.Warn("federation: cannot reach partner", "partner", name, "err", err)
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		w := &pushWorker{updated: p.Updated, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
		m.workers[name] = w
		ps := &pusher{m: m, p: full, remote: remote, wake: w.wake, privacy: m.pseudonymizer(full), meter: m.meter(name, Push)}
		go func() {
			defer close(w.done)
			ps.run(wctx)
		}()
	}
}

func (m *Manager) stopWorkers() {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.publishWakers()
	for name, w := range m.workers {
		w.cancel()
		<-w.done
		delete(m.workers, name)
	}
}

func (m *Manager) pseudonymizer(p Partner) *Pseudonymizer {
	if p.Privacy == PrivacyNone || m.cfg.Sealer == nil {
		return nil
	}
	return m.cfg.Sealer.NewPseudonymizer(p.Privacy, p.Name, m.cfg.HomePage)
}

func (m *Manager) meter(name string, dir Direction) *meter {
	m.metersMu.Lock()
	defer m.metersMu.Unlock()
	k := name + "\x00" + string(dir)
	if m.meters[k] == nil {
		m.meters[k] = &meter{}
	}
	return m.meters[k]
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// retryable reports whether err is worth retrying as is: transport failures,
// timeouts, 5xx, 408, 429, and the configuration answers 401, 403 and 404 (the partner
// or its credentials are wrong, not the statements).
func retryable(err error) (bool, time.Duration) {
	var re *RemoteError
	if !errors.As(err, &re) {
		return true, 0
	}
	switch {
	case re.Status >= 500, re.Status == 408, re.Status == 429, re.Status == 401, re.Status == 403, re.Status == 404:
		return true, re.RetryAfter
	}
	return false, 0
}

// describe says in words what went wrong with a partner request.
func describe(err error) string {
	var re *RemoteError
	if errors.As(err, &re) {
		switch re.Status {
		case 401:
			return "the partner refused the credentials (401): check the key and secret: " + re.Message
		case 403:
			return "the partner's credentials lack a scope (403): " + re.Message
		case 404:
			return "no xAPI Statements resource at the endpoint (404): check the endpoint URL"
		case 429:
			return "the partner is rate limiting (429): " + re.Message
		}
		return re.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the partner did not answer in time"
	}
	return "cannot reach the partner: " + err.Error()
}
