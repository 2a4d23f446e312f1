// Package erasuretest is the contract suite that every erasure.AuditStore adapter
// passes. An adapter's test calls Run with a function that opens a fresh, empty store.
package erasuretest

import (
	"reflect"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/federation"
)

// Run runs every contract subtest.
func Run(t *testing.T, open func(t *testing.T) erasure.AuditStore) {
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	record := func(n int) erasure.Record {
		return erasure.Record{
			ID: []string{"", "5e0c1f62-0000-4000-8000-000000000001", "5e0c1f62-0000-4000-8000-000000000002", "5e0c1f62-0000-4000-8000-000000000003"}[n],
			At: t0.Add(time.Duration(n) * time.Hour), RequestedBy: "Dana Admin", Reason: "ticket 4711", PersonHash: "ab12",
			Agents: 2, StatementsDeleted: n, StatementsAnonymised: 2 * n, Documents: 1, Credentials: 1,
			Parts:          []erasure.PartCount{{Name: "slack links", Count: 1}},
			FiguresRebuilt: true,
			Partners:       []federation.Recall{{Partner: "p1", Voided: n, Failed: 1, Error: "partner answered 503"}},
		}
	}
	t.Run("RoundTripNewestFirst", func(t *testing.T) {
		s := open(t)
		for _, n := range []int{2, 1, 3} {
			if err := s.AddErasure(t.Context(), record(n)); err != nil {
				t.Fatalf("AddErasure(%d): %v", n, err)
			}
		}
		got, err := s.Erasures(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("Erasures = %d records, want 3", len(got))
		}
		for i, n := range []int{3, 2, 1} {
			if !reflect.DeepEqual(got[i], record(n)) {
				t.Errorf("record %d = %+v, want %+v", i, got[i], record(n))
			}
		}
		two, err := s.Erasures(t.Context(), 2)
		if err != nil || len(two) != 2 || two[0].ID != record(3).ID {
			t.Errorf("Erasures(limit 2) = %d records, %v; want the 2 newest", len(two), err)
		}
	})
	t.Run("RepeatIDConflicts", func(t *testing.T) {
		s := open(t)
		if err := s.AddErasure(t.Context(), record(1)); err != nil {
			t.Fatal(err)
		}
		if err := s.AddErasure(t.Context(), record(1)); capture.ErrorCode(err) != capture.CodeConflict {
			t.Errorf("repeat AddErasure: %v, want conflict", err)
		}
	})
	t.Run("EmptyAndBadLimit", func(t *testing.T) {
		s := open(t)
		got, err := s.Erasures(t.Context(), 5)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("Erasures on an empty store = %v, %v; want an empty list", got, err)
		}
		if _, err := s.Erasures(t.Context(), 0); capture.ErrorCode(err) != capture.CodeInvalid {
			t.Errorf("Erasures(0): %v, want invalid", err)
		}
	})
}
