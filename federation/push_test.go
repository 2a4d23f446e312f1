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
	if resent < 2 {
		t.Errorf("statement 51 was POSTed %d times, want at least 2 (sent again after the kill)", resent)
	}
	if letters, _ := a.store.DeadLetters(t.Context(), "", 0); len(letters) != 0 {
		t.Errorf("dead letters %+v, want none", letters)
	}
}

// A partner that answers 409 to every repeat: statements it holds identically count as
// delivered (checked with a GET), a statement it holds with other content is a genuine
// conflict and becomes a dead letter; the push filter leaves out what it does not match.
func TestPushConflictsAndFilter(t *testing.T) {
	a, b := newInstance(t, "a"), newInstance(t, "b")
	px := newProxy(t, b)
	px.conflictIfHeld = true
	a.post(t, batchOf(seq(1, 40)...))
	// b already holds 5 and 6 as a sent them, and 7 with other content.
	var same []string
	for _, r := range a.all(t) {
		if r.ID == sid(5) || r.ID == sid(6) {
			same = append(same, string(r.Raw))
		}
	}
	b.post(t, "["+strings.Join(same, ",")+"]")
	b.post(t, `{"id":"`+sid(7)+`","actor":{"mbox":"mailto:someone@else.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://courses.example.com/item/7"}}`)
	// Only statements about items 1x and 3x are wanted (prefix filter), plus 5, 6, 7.
	a.post(t, `{"id":"`+sid(99)+`","actor":{"mbox":"mailto:x@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://elsewhere.example/99"}}`)
	a.addPartner(t, federation.Partner{Name: "b", Endpoint: px.url + "/xapi", Batch: 8,
		Filter: federation.Filter{ActivityPrefixes: []string{"https://courses.example.com/item/"}}}, b)
	a.startManager(t, "h1", nil)
	waitFor(t, "push caught up", 10*time.Second, func() bool { return a.caughtUp(t, "b") })

	letters, _ := a.store.DeadLetters(t.Context(), "b", 0)
	if len(letters) != 1 || letters[0].StatementID != sid(7) || letters[0].Status != 409 || !strings.Contains(letters[0].Reason, "different statement") {
		t.Fatalf("dead letters %+v: want one genuine 409 conflict for statement 7", letters)
	}
	got := map[string]bool{}
	for _, r := range b.all(t) {
		got[r.ID] = true
	}
	if len(got) != 40 || got[sid(99)] {
		t.Fatalf("b holds %d statements (99 there: %v), want 1..40 only", len(got), got[sid(99)])
	}
	if st := a.state(t, "b", federation.Push); st.Delivered != 39 || st.DeadLettered != 1 {
		t.Errorf("push state %+v: want 39 delivered (37 new, 2 identical repeats), 1 dead-lettered", st)
	}
}

// One partner's trouble never slows another: while one partner stalls every request,
// the other receives everything at once.
func TestPushPartnersIndependent(t *testing.T) {
	a, b, c := newInstance(t, "a"), newInstance(t, "b"), newInstance(t, "c")
	slow := newProxy(t, b)
	slow.stallFor = 2500 * time.Millisecond
	slow.setPlan(stall, stall, stall, stall, stall, stall)
	a.addPartner(t, federation.Partner{Name: "slow", Endpoint: slow.url + "/xapi", Batch: 10}, b)
	a.addPartner(t, federation.Partner{Name: "fast", Endpoint: c.url + "/xapi", Batch: 10}, c)
	a.post(t, batchOf(seq(1, 50)...))
	start := time.Now()
	a.startManager(t, "h1", nil)
	waitFor(t, "the healthy partner caught up", 3*time.Second, func() bool { return a.caughtUp(t, "fast") })
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the healthy partner took %s", d)
	}
	if a.caughtUp(t, "slow") || len(b.all(t)) != 0 {
		t.Fatal("the stalled partner received statements through a stalling proxy")
	}
	assertSame(t, a, c, sids(seq(1, 50)))
}
