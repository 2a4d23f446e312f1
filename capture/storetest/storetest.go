// Package storetest is the contract test suite that every capture.Store adapter must
// pass. An adapter's test calls Run with a function that opens a fresh, empty store.
//
// The suite assumes nothing about the storage technology: times carry millisecond
// precision, record sets are compared as sets where the contract gives no order, and no
// subtest writes more than a few hundred records.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Run runs every contract subtest. open must return a fresh, empty store for the
// subtest t it is given and register the store's cleanup on t (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) capture.Store) {
	groups := []struct {
		name  string
		tests []contractTest
	}{
		{"Statements", statementTests},
		{"Documents", documentTests},
		{"Credentials", credentialTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.tests {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, open(t))
				})
			}
		})
	}
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// contractTest is one subtest of the suite, run on a fresh store.
type contractTest struct {
	name string
	run  func(t *testing.T, s capture.Store)
}

// t0 is the base time of every fixture; fixtures use whole milliseconds so that stores
// with millisecond time precision round-trip them exactly.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// id returns a distinct lower-case UUID for n.
func id(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

// rec builds a record n stored at at(n) with the given own keys.
func rec(n int, keys ...string) capture.StatementRecord {
	sid := id(n)
	return capture.StatementRecord{
		ID:     sid,
		Stored: at(n),
		Raw:    []byte(fmt.Sprintf(`{"id":%q,"n":%d,"verb":{"id":"http://example.com/v"}}`, sid, n)),
		Keys:   keys,
	}
}

// refRec builds record n whose object is a StatementRef to target.
func refRec(n int, target string, keys ...string) capture.StatementRecord {
	r := rec(n, keys...)
	r.RefTarget = target
	return r
}

// voidRec builds record n that voids target (its object is a StatementRef to target).
func voidRec(n int, target string) capture.StatementRecord {
	r := refRec(n, target, capture.KeyVerb(voidedVerb))
	r.VoidTarget = target
	return r
}

const voidedVerb = "http://adlnet.gov/expapi/verbs/voided"

// insert stores records as one batch and fails the test on error.
func insert(t *testing.T, s capture.Store, recs ...capture.StatementRecord) {
	t.Helper()
	if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: recs}); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
}

// byID fetches one stored record and fails the test when it is absent.
func byID(t *testing.T, s capture.Store, sid string) capture.StatementRecord {
	t.Helper()
	m, err := s.StatementsByID(t.Context(), []string{sid})
	if err != nil {
		t.Fatalf("StatementsByID: %v", err)
	}
	r, ok := m[sid]
	if !ok {
		t.Fatalf("StatementsByID: %s absent", sid)
	}
	return r
}

// query runs q and returns the ids of the result in order.
func query(t *testing.T, s capture.Store, q capture.StatementQuery) []string {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 1000
	}
	recs, err := s.QueryStatements(t.Context(), q)
	if err != nil {
		t.Fatalf("QueryStatements(%+v): %v", q, err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

// ids returns the ids of fixtures ns in the given order.
func ids(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = id(n)
	}
	return out
}

// wantIDs fails the test when got differs from want (order matters).
func wantIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, names(got), names(want))
	}
}

// names shortens fixture ids to their numbers for readable failures.
func names(sids []string) []string {
	out := make([]string, len(sids))
	for i, s := range sids {
		var n int
		if _, err := fmt.Sscanf(s, "%08x-", &n); err == nil {
			out[i] = fmt.Sprint(n)
		} else {
			out[i] = s
		}
	}
	return out
}

// sameSet reports whether a and b hold the same strings, ignoring order and repeats.
func sameSet(a, b []string) bool {
	x := slices.Compact(slices.Sorted(slices.Values(a)))
	y := slices.Compact(slices.Sorted(slices.Values(b)))
	return slices.Equal(x, y)
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code capture.Code) {
	t.Helper()
	if got := capture.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// sameJSON reports whether a and b are equal JSON values.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// sortedCopy returns a sorted copy of ss.
func sortedCopy(ss []string) []string {
	out := slices.Clone(ss)
	sort.Strings(out)
	return out
}

// ctx is shorthand for a context bound to t.
func ctx(t *testing.T) context.Context { return t.Context() }
