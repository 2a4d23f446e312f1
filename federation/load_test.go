package federation_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
)

// The load runs of docs/PERFORMANCE.md (federation section). They are Go benchmarks
// over two Cairn instances in one process (each its own SQLite store and HTTP port):
//
//	go test ./federation -run '^$' -bench . -benchtime 1x
//
// FED_LOAD_N sets the backlog size (default 100000).

// preload writes statements first..last to in through its statement service, in
// batches of 1000 (faster than HTTP; only the forwarding is measured).
func preload(tb testing.TB, in *instance, first, last int) {
	tb.Helper()
	p := capture.Principal{Credential: capture.Credential{Key: in.key, Scopes: []string{capture.ScopeAll}},
		Authority: map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": in.url, "name": "loader"}}}
	for i := first; i <= last; i += 1000 {
		var stmts []capture.Statement
		for n := i; n <= min(i+999, last); n++ {
			st, _, err := capture.DecodeStatements([]byte(statement(n)))
			if err != nil {
				tb.Fatal(err)
			}
			stmts = append(stmts, st[0])
		}
		if _, err := in.statements.Write(tb.Context(), capture.WriteRequest{Statements: stmts, Principal: p}); err != nil {
			tb.Fatal(err)
		}
	}
}

func backlogSize() int {
	if n, err := strconv.Atoi(os.Getenv("FED_LOAD_N")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// pushDrain measures the time a's pusher takes to deliver n preloaded statements to b.
func pushDrain(b *testing.B, batch, n int) time.Duration {
	a, dst := newInstance(b, "a"), newInstance(b, "b")
	a.addPartner(b, federation.Partner{Name: "b", Endpoint: dst.url + "/xapi", Batch: batch}, dst)
	preload(b, a, 1, n)
	start := time.Now()
	a.startManager(b, "h1", nil)
	for !a.caughtUp(b, "b") {
		time.Sleep(5 * time.Millisecond)
	}
	d := time.Since(start)
	a.mgr.Stop()
	if got := len(dst.all(b)); got != n {
		b.Fatalf("partner holds %d statements, want %d", got, n)
	}
	return d
}

// BenchmarkPushThroughput forwards a backlog at batch sizes 1, 100 and 500.
func BenchmarkPushThroughput(b *testing.B) {
	for _, c := range []struct{ batch, n int }{{1, 2000}, {100, 20000}, {500, 50000}} {
		b.Run(fmt.Sprintf("batch=%d", c.batch), func(b *testing.B) {
			for range b.N {
				d := pushDrain(b, c.batch, c.n)
				b.ReportMetric(float64(c.n)/d.Seconds(), "statements/s")
			}
		})
	}
}

// BenchmarkPushBacklog drains a 100,000-statement backlog (a partner back after an
// outage) at batch 500.
func BenchmarkPushBacklog(b *testing.B) {
	n := backlogSize()
	for range b.N {
		d := pushDrain(b, 500, n)
		b.ReportMetric(d.Seconds(), "s/drain")
		b.ReportMetric(float64(n)/d.Seconds(), "statements/s")
	}
}

// BenchmarkPushLag writes 1,000 statements a second (100 every 100 ms, over HTTP) for
// 20 s and measures, for each write, the time until the pusher's cursor passed it.
func BenchmarkPushLag(b *testing.B) {
	for range b.N {
		a, dst := newInstance(b, "a"), newInstance(b, "b")
		a.addPartner(b, federation.Partner{Name: "b", Endpoint: dst.url + "/xapi", Batch: 500}, dst)
		a.startManager(b, "h1", func(c *federation.Config) { c.Poll = time.Second })
		type mark struct {
			seq int64
			at  time.Time
		}
		marks := make(chan mark, 1000)
		var lags []time.Duration
		done := make(chan struct{})
		var lastSeq atomic.Int64
		go func() {
			defer close(done)
			var pending []mark
			for {
				select {
				case m, ok := <-marks:
					if !ok {
						marks = nil
					} else {
						pending = append(pending, m)
					}
				case <-time.After(2 * time.Millisecond):
				}
				cur := a.state(b, "b", federation.Push).PushSeq
				now := time.Now()
				for len(pending) > 0 && pending[0].seq <= cur {
					lags = append(lags, now.Sub(pending[0].at))
					pending = pending[1:]
				}
				if marks == nil && len(pending) == 0 {
					return
				}
			}
		}()
		tick := time.NewTicker(100 * time.Millisecond)
		n := 0
		for range 200 {
			<-tick.C
			at := time.Now()
			a.post(b, batchOf(seq(n+1, n+100)...))
			n += 100
			last, _ := a.store.LastSeq(b.Context())
			lastSeq.Store(last)
			marks <- mark{last, at}
		}
		tick.Stop()
		close(marks)
		<-done
		slices.Sort(lags)
		b.ReportMetric(lags[len(lags)/2].Seconds()*1000, "ms-p50-lag")
		b.ReportMetric(lags[len(lags)*95/100].Seconds()*1000, "ms-p95-lag")
		b.ReportMetric(lags[len(lags)-1].Seconds()*1000, "ms-max-lag")
		a.mgr.Stop()
	}
}

// BenchmarkPull pulls a backlog from b at batch (page) 500, following more links.
func BenchmarkPull(b *testing.B) {
	for _, n := range []int{20000, backlogSize()} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for range b.N {
				a, src := newInstance(b, "a"), newInstance(b, "b")
				preload(b, src, 1, n)
				a.addPartner(b, federation.Partner{Name: "b", Endpoint: src.url + "/xapi", Direction: federation.Pull, Batch: 500}, src)
				m := a.startManager(b, "h1", nil)
				start := time.Now()
				res, err := m.Pull(b.Context(), "b")
				d := time.Since(start)
				if err != nil || res.Stored != n {
					b.Fatalf("pull: %+v %v", res, err)
				}
				b.ReportMetric(float64(n)/d.Seconds(), "statements/s")
				b.ReportMetric(d.Seconds(), "s/drain")
			}
		})
	}
}
