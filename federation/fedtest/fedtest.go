// Package fedtest is the contract suite that every federation.Store adapter must pass.
package fedtest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
)

// Run runs every contract subtest; open returns a fresh, empty store for t and
// registers its cleanup on t.
func Run(t *testing.T, open func(t *testing.T) federation.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s federation.Store)
	}{
		{"Partners", testPartners},
		{"JobStates", testJobStates},
		{"DeadLetters", testDeadLetters},
		{"Leases", testLeases},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func record(name string) federation.PartnerRecord {
	return federation.PartnerRecord{
		Partner: federation.Partner{
			Name: name, Endpoint: "https://lrs.example.com/xapi", Direction: federation.Both, Batch: 50,
			Interval: 90 * time.Second, Privacy: federation.PrivacyPseudonymise,
			Filter:  federation.Filter{Verbs: []string{"http://adlnet.gov/expapi/verbs/completed"}, ActivityPrefixes: []string{"https://a.example/"}},
			Created: t0, Updated: t0, InboundKey: "key-" + name,
		},
		SealedAuth: []byte("sealed\x00" + name),
	}
}

func testPartners(t *testing.T, s federation.Store) {
	ctx := t.Context()
	if _, err := s.Partner(ctx, "b"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("Partner of an empty store: %v, want not_found", err)
	}
	for _, n := range []string{"b", "a"} {
		if err := s.CreatePartner(ctx, record(n)); err != nil {
			t.Fatalf("CreatePartner %s: %v", n, err)
		}
	}
	if err := s.CreatePartner(ctx, record("a")); capture.ErrorCode(err) != capture.CodeConflict {
		t.Fatalf("second CreatePartner a: %v, want conflict", err)
	}
	got, err := s.Partner(ctx, "a")
	if err != nil || !reflect.DeepEqual(got, record("a")) {
		t.Fatalf("Partner a = %+v, %v; want %+v", got, err, record("a"))
	}
	all, err := s.Partners(ctx)
	if err != nil || len(all) != 2 || all[0].Partner.Name != "a" || all[1].Partner.Name != "b" {
		t.Fatalf("Partners = %+v, %v; want a then b", all, err)
	}
	changed := record("a")
	changed.Partner.Paused = true
	changed.SealedAuth = []byte("other")
	if err := s.PutPartner(ctx, changed); err != nil {
		t.Fatalf("PutPartner: %v", err)
	}
	if got, _ := s.Partner(ctx, "a"); !reflect.DeepEqual(got, changed) {
		t.Fatalf("after PutPartner: %+v, want %+v", got, changed)
	}
	if err := s.PutPartner(ctx, record("zz")); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("PutPartner of an unknown partner: %v, want not_found", err)
	}
	// Removing a partner removes its state, letters and leases.
	if err := s.PutJobState(ctx, "a", federation.Push, federation.State{PushSeq: 9}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDeadLetters(ctx, []federation.DeadLetter{{ID: "l1", Partner: "a", Direction: federation.Push}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.AcquireLease(ctx, "push:a", "h1", t0, t0.Add(time.Hour)); !ok || err != nil {
		t.Fatalf("AcquireLease: %v %v", ok, err)
	}
	if err := s.DeletePartner(ctx, "a"); err != nil {
		t.Fatalf("DeletePartner: %v", err)
	}
	if err := s.DeletePartner(ctx, "a"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("second DeletePartner: %v, want not_found", err)
	}
	if st, err := s.JobState(ctx, "a", federation.Push); err != nil || st.PushSeq != 0 {
		t.Fatalf("state after delete: %+v %v", st, err)
	}
	if _, err := s.DeadLetter(ctx, "l1"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("letter after delete: %v", err)
	}
	if ok, _ := s.AcquireLease(ctx, "push:a", "h2", t0, t0.Add(time.Hour)); !ok {
		t.Fatal("the deleted partner's lease is still held")
	}
}

func testJobStates(t *testing.T, s federation.Store) {
	ctx := t.Context()
	st, err := s.JobState(ctx, "p", federation.Push)
	if err != nil || !reflect.DeepEqual(st, federation.State{}) {
		t.Fatalf("unsaved state: %+v %v", st, err)
	}
	push := federation.State{PushSeq: 42, Delivered: 40, Failed: 3, DeadLettered: 2, LastSuccess: t0, LastError: "boom", LastErrorAt: t0.Add(time.Second)}
	pull := federation.State{PullSince: "2026-01-02T03:04:05.123456Z", Delivered: 7}
	if err := s.PutJobState(ctx, "p", federation.Push, push); err != nil {
		t.Fatal(err)
	}
	if err := s.PutJobState(ctx, "p", federation.Pull, pull); err != nil {
		t.Fatal(err)
	}
	push.PushSeq = 43
	if err := s.PutJobState(ctx, "p", federation.Push, push); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.JobState(ctx, "p", federation.Push); !reflect.DeepEqual(got, push) {
		t.Fatalf("push state %+v, want %+v", got, push)
	}
	if got, _ := s.JobState(ctx, "p", federation.Pull); !reflect.DeepEqual(got, pull) {
		t.Fatalf("pull state %+v, want %+v", got, pull)
	}
}

func testDeadLetters(t *testing.T, s federation.Store) {
	ctx := t.Context()
	var letters []federation.DeadLetter
	for i := range 5 {
		p := "a"
		if i%2 == 1 {
			p = "b"
		}
		letters = append(letters, federation.DeadLetter{ID: fmt.Sprintf("l%d", i), Partner: p, Direction: federation.Push,
			StatementID: fmt.Sprintf("s%d", i), Seq: int64(i), Status: 400, Reason: "bad", At: t0.Add(time.Duration(i) * time.Second), Attempts: 1,
			Statement: []byte(`{"id":"x"}`)})
	}
	if err := s.AddDeadLetters(ctx, letters[:3]); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDeadLetters(ctx, letters[3:]); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDeadLetters(ctx, letters[:1]); capture.ErrorCode(err) != capture.CodeConflict {
		t.Fatalf("repeat id: %v, want conflict", err)
	}
	all, err := s.DeadLetters(ctx, "", 0)
	if err != nil || !reflect.DeepEqual(all, letters) {
		t.Fatalf("all letters = %+v, %v", all, err)
	}
	a, _ := s.DeadLetters(ctx, "a", 2)
	if len(a) != 2 || a[0].ID != "l0" || a[1].ID != "l2" {
		t.Fatalf("letters of a, limit 2: %+v", a)
	}
	if l, err := s.DeadLetter(ctx, "l3"); err != nil || !reflect.DeepEqual(l, letters[3]) {
		t.Fatalf("DeadLetter l3 = %+v, %v", l, err)
	}
	if err := s.DeleteDeadLetter(ctx, "l3"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDeadLetter(ctx, "l3"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("second delete: %v, want not_found", err)
	}
	if b, _ := s.DeadLetters(ctx, "b", 0); len(b) != 1 || b[0].ID != "l1" {
		t.Fatalf("letters of b after delete: %+v", b)
	}
}

func testLeases(t *testing.T, s federation.Store) {
	ctx := t.Context()
	steps := []struct {
		holder string
		now    time.Duration
		want   bool
	}{
		{"h1", 0, true},                 // free
		{"h2", time.Second, false},      // held by h1 until 10 s
		{"h1", 5 * time.Second, true},   // renewal, now until 15 s
		{"h2", 12 * time.Second, false}, // still held
		{"h2", 16 * time.Second, true},  // expired: taken over
		{"h1", 17 * time.Second, false}, // h1 lost it
	}
	for i, st := range steps {
		now := t0.Add(st.now)
		got, err := s.AcquireLease(ctx, "push:p", st.holder, now, now.Add(10*time.Second))
		if err != nil || got != st.want {
			t.Fatalf("step %d: %s at %s: %v %v, want %v", i, st.holder, st.now, got, err, st.want)
		}
	}
	if err := s.ReleaseLease(ctx, "push:p", "h1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireLease(ctx, "push:p", "h3", t0.Add(18*time.Second), t0.Add(time.Minute)); ok {
		t.Fatal("a release by a non-holder freed the lease")
	}
	if err := s.ReleaseLease(ctx, "push:p", "h2"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireLease(ctx, "push:p", "h3", t0.Add(18*time.Second), t0.Add(time.Minute)); !ok {
		t.Fatal("a released lease cannot be taken")
	}
	if ok, _ := s.AcquireLease(ctx, "pull:p", "h1", t0.Add(18*time.Second), t0.Add(time.Minute)); !ok {
		t.Fatal("leases of different jobs interfere")
	}
}
