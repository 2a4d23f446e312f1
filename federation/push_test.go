package federation_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/federation"
)

// postAll writes the statements of ns to in from several goroutines, in batches of 10.
func postAll(t testing.TB, in *instance, ns []int, writers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(ns))
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * 10; i < len(ns); i += writers * 10 {
				body := batchOf(ns[i:min(i+10, len(ns))]...)
				if err := in.postErr(body); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// pushState returns the push state of partner on in.
func (in *instance) state(t testing.TB, partner string, dir federation.Direction) federation.State {
	t.Helper()
	st, err := in.store.JobState(t.Context(), partner, dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// caughtUp reports whether in's push cursor for partner is at its last seq.
func (in *instance) caughtUp(t testing.TB, partner string) bool {
	last, _ := in.store.LastSeq(t.Context())
	return last > 0 && in.state(t, partner, federation.Push).PushSeq == last
}

// Push survives dropped connections, stalls, 500, 503 and 429 with Retry-After; the
// statements the partner refuses become dead letters without holding back the others;
// every other statement arrives once, with its id and content; the cursor ends at the
// last seq.
func TestPushThroughFaults(t *testing.T) {
	a, b := newInstance(t, "a"), newInstance(t, "b")
	px := newProxy(t, b)
	px.stallFor = 2500 * time.Millisecond // past the 2 s client timeout
	rejected := []int{17, 123, 250}
	for _, n := range rejected {
		px.reject[sid(n)] = true
	}
	px.setPlan(drop, err500, stall, err503, tooMany, pass, drop, err500)
	a.addPartner(t, federation.Partner{Name: "b", Endpoint: px.url + "/xapi", Batch: 50}, b)

	a.post(t, batchOf(seq(1, 100)...))
	a.startManager(t, "h1", nil)
	postAll(t, a, seq(101, 300), 4) // concurrent writes while pushing

	waitFor(t, "a's push cursor at its last seq", 15*time.Second, func() bool { return a.caughtUp(t, "b") })
	assertSame(t, a, b, sids(without(seq(1, 300), rejected...)))

	letters, err := a.store.DeadLetters(t.Context(), "b", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range letters {
		got = append(got, l.StatementID)
		if l.Status != 400 || !strings.Contains(l.Reason, "rejected by partner policy") || l.Direction != federation.Push {
			t.Errorf("dead letter %+v: want status 400 with the partner's answer", l)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(sids(rejected)) {
		t.Errorf("dead letters %v, want exactly %v", got, sids(rejected))
	}
	st := a.state(t, "b", federation.Push)
	if st.Delivered != 297 || st.DeadLettered != 3 || st.Failed < 5 || st.LastError != "" || st.LastSuccess.IsZero() {
		t.Errorf("push state %+v: want 297 delivered, 3 dead-lettered, at least 5 failures, no last error", st)
	}
}

// A forwarder killed while its POST is in flight (the partner stored the batch, the
// answer never came back) resumes from its persisted cursor in a new manager: the
// batch is sent again, and the partner still holds every statement once.
func TestPushKilledMidBatchResumes(t *testing.T) {
	a, b := newInstance(t, "a"), newInstance(t, "b")
	px := newProxy(t, b)
	px.stallFor = 1500 * time.Millisecond
	px.setPlan(pass, slowPass)
	inFlight := make(chan struct{})
	var once sync.Once
	var posts atomic.Int32
	px.onPost = func() {
		if posts.Add(1) == 2 {
			once.Do(func() { close(inFlight) })
		}
	}
	a.addPartner(t, federation.Partner{Name: "b", Endpoint: px.url + "/xapi", Batch: 50}, b)
	a.post(t, batchOf(seq(1, 200)...))
	a.startManager(t, "h1", nil)

	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("the second batch was never sent")
	}
	waitFor(t, "the second batch stored at the partner", 5*time.Second, func() bool { return len(b.all(t)) == 100 })
	a.mgr.Stop() // killed before the partner's answer arrives
	first := a.all(t)[49].Seq
	if st := a.state(t, "b", federation.Push); st.PushSeq != first {
		t.Fatalf("cursor after the kill %d, want %d (only the acknowledged batch)", st.PushSeq, first)
	}

	a.startManager(t, "h2", nil)
	waitFor(t, "a's push cursor at its last seq", 10*time.Second, func() bool { return a.caughtUp(t, "b") })
	assertSame(t, a, b, sids(seq(1, 200)))
	px.mu.Lock()
	resent := px.posted[sid(51)]
	px.mu.Unlock()
	if resent != 2 {
		t.Errorf("statement 51 was POSTed %d times, want 2 (sent again after the kill)", resent)
	}
	if letters, _ := a.store.DeadLetters(t.Context(), "", 0); len(letters) != 0 {
		t.Errorf("dead letters %+v, want none", letters)
	}
}
