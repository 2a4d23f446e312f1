package federation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
)

// Pull follows more links page by page, stops at the partner's lagging
// Consistent-Through and resumes from its cursor; statements keep their ids and
// content, record the partner as origin, voiding statements are applied, identical
// repeats are no-ops, and a statement Cairn refuses becomes a dead letter.
func TestPullPagingConsistentThroughAndVoiding(t *testing.T) {
	a, b := newInstance(t, "a"), newInstance(t, "b")
	px := newProxy(t, b)
	for _, chunk := range [][]int{seq(1, 20), seq(21, 40), seq(41, 60)} {
		b.post(t, batchOf(chunk...))
	}
	// a already holds another statement under id 55: a genuine conflict.
	a.post(t, `{"id":"`+sid(55)+`","actor":{"mbox":"mailto:other@example.org"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/o"}}`)
	a.addPartner(t, federation.Partner{Name: "b", Endpoint: px.url + "/xapi", Direction: federation.Pull, Batch: 7}, b)
	m := a.startManager(t, "h1", nil)

	bRecs := b.all(t)
	px.lagCT = bRecs[39].Stored // the partner is consistent through statement 40 only
	res, err := m.Pull(t.Context(), "b")
	if err != nil {
		t.Fatalf("first pull: %v", err)
	}
	if res.Stored != 40 || res.Pages < 6 {
		t.Fatalf("first pull %+v: want 40 stored over at least 6 pages of 7", res)
	}
	st := a.state(t, "b", federation.Pull)
	if got, _ := capture.ParseTimestamp(st.PullSince); !got.Equal(bRecs[39].Stored) {
		t.Fatalf("cursor %q after the first pull, want statement 40's stored time %s", st.PullSince, bRecs[39].Stored)
	}

	px.lagCT = time.Time{}
	b.post(t, `{"id":"`+sid(1000)+`","actor":{"mbox":"mailto:admin@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"`+sid(5)+`"}}`)
	res, err = m.Pull(t.Context(), "b")
	if err != nil {
		t.Fatalf("second pull: %v", err)
	}
	if res.Stored != 20 || res.DeadLettered != 1 {
		t.Fatalf("second pull %+v: want 20 stored (19 and the voiding one) and 1 dead letter", res)
	}
	if res, err = m.Pull(t.Context(), "b"); err != nil || res.Stored != 0 {
		t.Fatalf("third pull %+v, %v: want nothing new", res, err)
	}

	want := append(sids(without(seq(1, 60), 55)), sid(1000))
	got := map[string]capture.StatementRecord{}
	for _, r := range a.all(t) {
		if r.ID == sid(55) {
			continue
		}
		got[r.ID] = r
		if r.Origin != "b" {
			t.Errorf("%s: origin %q, want b", r.ID, r.Origin)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("a holds %d pulled statements, want %d", len(got), len(want))
	}
	bByID := map[string]capture.StatementRecord{}
	for _, r := range b.all(t) {
		bByID[r.ID] = r
	}
	for _, id := range want {
		r, ok := got[id]
		if !ok {
			t.Errorf("a lacks %s", id)
			continue
		}
		if hashOf(t, r.Raw) != hashOf(t, bByID[id].Raw) {
			t.Errorf("%s: content differs after the pull", id)
		}
	}
	if !got[sid(5)].Voided {
		t.Error("statement 5 is not voided at a after its voiding statement was pulled")
	}
	letters, _ := a.store.DeadLetters(t.Context(), "b", 0)
	if len(letters) != 1 || letters[0].StatementID != sid(55) || letters[0].Direction != federation.Pull || len(letters[0].Statement) == 0 {
		t.Fatalf("dead letters %+v: want one pull letter for statement 55 with its statement", letters)
	}
}

// With direction both, a's own statements come back in its pulls (the partner cannot
// filter by origin): they are identical repeats, not conflicts, even when a filled in
// their timestamp.
func TestBothDirectionsOwnStatementsComeBack(t *testing.T) {
	a, b := newInstance(t, "a"), newInstance(t, "b")
	a.addPartner(t, federation.Partner{Name: "b", Endpoint: b.url + "/xapi", Direction: federation.Both, Batch: 10}, b)
	var noTimestamp []string
	for i := 1; i <= 15; i++ {
		noTimestamp = append(noTimestamp, `{"id":"`+sid(i)+`","actor":{"mbox":"mailto:x@example.org"},"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/o"}}`)
	}
	a.post(t, "["+strings.Join(noTimestamp, ",")+"]")
	b.post(t, batchOf(seq(100, 104)...))
	m := a.startManager(t, "h1", nil)
	waitFor(t, "push caught up", 10*time.Second, func() bool { return a.caughtUp(t, "b") })
	res, err := m.Pull(t.Context(), "b")
	if err != nil || res.Stored != 20 || res.DeadLettered != 0 {
		t.Fatalf("pull %+v, %v: want 20 handled (15 own repeats, 5 new), no dead letters", res, err)
	}
	if got := len(a.all(t)); got != 20 {
		t.Fatalf("a holds %d statements, want 20", got)
	}
}
