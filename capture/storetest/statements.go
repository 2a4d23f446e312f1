package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// statementTests cover capture.StatementStore.
var statementTests = []contractTest{
	{"InsertAndFetchByID", testInsertAndFetchByID},
	{"SeqStrictlyIncreasing", testSeqStrictlyIncreasing},
	{"DuplicateIDFailsWholeBatch", testDuplicateIDFailsWholeBatch},
	{"QueryEachKeyKind", testQueryEachKeyKind},
	{"QueryAllKeysMustMatch", testQueryAllKeysMustMatch},
	{"QueryWithoutKeys", testQueryWithoutKeys},
	{"QuerySinceUntil", testQuerySinceUntil},
	{"QueryOrderAndLimit", testQueryOrderAndLimit},
	{"QueryAfterSeqCursor", testQueryAfterSeqCursor},
	{"QueryMaxSeq", testQueryMaxSeq},
	{"VoidingStoredStatement", testVoidingStoredStatement},
	{"VoidingArrivesFirst", testVoidingArrivesFirst},
	{"RefInheritsTargetKeys", testRefInheritsTargetKeys},
	{"RefChainInsertionOrders", testRefChainInsertionOrders},
	{"RefMixedKeysDoNotMatch", testRefMixedKeysDoNotMatch},
	{"Attachments", testAttachments},
	{"Activities", testActivities},
	{"PutActivities", testPutActivities},
	{"LastSeq", testLastSeq},
	{"ConcurrentInserts", testConcurrentInserts},
}

func testInsertAndFetchByID(t *testing.T, s capture.Store) {
	a := rec(1, capture.KeyVerb("http://example.com/v1"), capture.KeyAgent("mbox:mailto:a@example.com"))
	a.Origin = "partner-a"
	a.AttachSHA2 = []string{"sha-1", "sha-2"}
	b := refRec(2, id(1), capture.KeyVerb("http://example.com/v2"))
	b.Raw = []byte(`{"id":"` + b.ID + `",  "spaced" : [1, 2.50, "é"]}`)
	batch := capture.InsertBatch{
		Statements: []capture.StatementRecord{a, b},
		Attachments: []capture.Attachment{
			{SHA2: "sha-1", ContentType: "text/plain", Content: []byte("one")},
			{SHA2: "sha-2", ContentType: "application/octet-stream", Content: []byte{0, 1, 2}},
		},
	}
	if err := s.InsertStatements(ctx(t), batch); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
	got, err := s.StatementsByID(ctx(t), []string{id(1), id(2), id(99)})
	if err != nil {
		t.Fatalf("StatementsByID: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("StatementsByID returned %d records, want 2 (unknown ids absent)", len(got))
	}
	for _, want := range []capture.StatementRecord{a, b} {
		r, ok := got[want.ID]
		if !ok {
			t.Errorf("%s absent", want.ID)
			continue
		}
		if r.ID != want.ID || !r.Stored.Equal(want.Stored) ||
			r.RefTarget != want.RefTarget || r.VoidTarget != want.VoidTarget || r.Origin != want.Origin || r.Voided {
			t.Errorf("record %s = {ID %q Stored %v Ref %q Void %q Origin %q Voided %v}, want {%q %v %q %q %q false}",
				want.ID, r.ID, r.Stored, r.RefTarget, r.VoidTarget, r.Origin, r.Voided,
				want.ID, want.Stored, want.RefTarget, want.VoidTarget, want.Origin)
		}
		if !bytes.Equal(r.Raw, want.Raw) {
			t.Errorf("record %s Raw = %s, want byte-identical %s", want.ID, r.Raw, want.Raw)
		}
		if !sameSet(r.Keys, want.Keys) {
			t.Errorf("record %s Keys = %v, want %v", want.ID, r.Keys, want.Keys)
		}
		if !sameSet(r.AttachSHA2, want.AttachSHA2) {
			t.Errorf("record %s AttachSHA2 = %v, want %v", want.ID, r.AttachSHA2, want.AttachSHA2)
		}
		if r.Seq <= 0 {
			t.Errorf("record %s Seq = %d, want > 0", want.ID, r.Seq)
		}
	}
	if m, err := s.StatementsByID(ctx(t), []string{id(42)}); err != nil || len(m) != 0 {
		t.Errorf("StatementsByID(unknown) = %v, %v; want empty map, nil", m, err)
	}
	if m, err := s.StatementsByID(ctx(t), nil); err != nil || len(m) != 0 {
		t.Errorf("StatementsByID(nil) = %v, %v; want empty map, nil", m, err)
	}
}

func testSeqStrictlyIncreasing(t *testing.T, s capture.Store) {
	// Seq, Voided and InheritedKeys are output only: the store ignores them on input.
	first, second := rec(1, capture.KeyVerb("v")), rec(2)
	first.Seq, second.Seq = 1000, 5
	first.Voided, first.InheritedKeys = true, []string{capture.KeyVerb("inherited")}
	insert(t, s, first, second, rec(3))
	insert(t, s, rec(4), rec(5))
	insert(t, s, rec(6))
	m, err := s.StatementsByID(ctx(t), ids(1, 2, 3, 4, 5, 6))
	if err != nil {
		t.Fatalf("StatementsByID: %v", err)
	}
	var prev int64
	for n := 1; n <= 6; n++ {
		r := m[id(n)]
		if r.Seq <= prev {
			t.Errorf("record %d Seq = %d, not above the previous record's %d", n, r.Seq, prev)
		}
		prev = r.Seq
	}
	last, err := s.LastSeq(ctx(t))
	if err != nil || last != prev {
		t.Errorf("LastSeq = %d, %v; want %d", last, err, prev)
	}
	if r := m[id(1)]; r.Voided || len(r.InheritedKeys) != 0 {
		t.Errorf("input Voided/InheritedKeys kept: Voided %v InheritedKeys %v", r.Voided, r.InheritedKeys)
	}
	wantIDs(t, "query by an input-only inherited key", query(t, s, capture.StatementQuery{Keys: []string{capture.KeyVerb("inherited")}}), nil)
	wantIDs(t, "query a record given Voided on input", query(t, s, capture.StatementQuery{Keys: []string{capture.KeyVerb("v")}}), ids(1))
}

func testDuplicateIDFailsWholeBatch(t *testing.T, s capture.Store) {
	insert(t, s, rec(1, capture.KeyVerb("v")))
	lastBefore, _ := s.LastSeq(ctx(t))

	dup := rec(1, capture.KeyVerb("other"))
	dup.Raw = []byte(`{"different":true}`)
	bad := capture.InsertBatch{
		Statements:  []capture.StatementRecord{rec(2, capture.KeyVerb("v")), dup, rec(3, capture.KeyVerb("v")), voidRec(4, id(1))},
		Attachments: []capture.Attachment{{SHA2: "sha-new", ContentType: "text/plain", Content: []byte("x")}},
		Activities:  []capture.ActivityRecord{{ID: "http://example.com/act", Definition: []byte(`{"type":"http://example.com/t"}`)}},
	}
	err := s.InsertStatements(ctx(t), bad)
	wantCode(t, "batch with a stored id", err, capture.CodeConflict)

	m, err := s.StatementsByID(ctx(t), ids(1, 2, 3, 4))
	if err != nil {
		t.Fatalf("StatementsByID: %v", err)
	}
	if len(m) != 1 {
		t.Errorf("after the failed batch %d records are stored, want only the first", len(m))
	}
	if r := m[id(1)]; !bytes.Equal(r.Raw, rec(1).Raw) || r.Voided {
		t.Errorf("stored record changed by the failed batch: Raw %s Voided %v", r.Raw, r.Voided)
	}
	wantIDs(t, "query after failed batch", query(t, s, capture.StatementQuery{Keys: []string{capture.KeyVerb("v")}}), ids(1))
	if last, _ := s.LastSeq(ctx(t)); last != lastBefore {
		t.Errorf("LastSeq = %d after the failed batch, want %d", last, lastBefore)
	}
	if a, err := s.Attachments(ctx(t), []string{"sha-new"}); err != nil || len(a) != 0 {
		t.Errorf("attachment of the failed batch: %v, %v; want absent", a, err)
	}
	if a, err := s.Activities(ctx(t), []string{"http://example.com/act"}); err != nil || len(a) != 0 {
		t.Errorf("activity of the failed batch: %v, %v; want absent", a, err)
	}

	// The store still accepts writes after the failure.
	insert(t, s, rec(2, capture.KeyVerb("v")))
	wantIDs(t, "query after retry", query(t, s, capture.StatementQuery{Keys: []string{capture.KeyVerb("v")}}), ids(2, 1))
}

func testQueryEachKeyKind(t *testing.T, s capture.Store) {
	kinds := []struct {
		name string
		key  func(string) string
	}{
		{"agent", capture.KeyAgent},
		{"related agent", capture.KeyRelatedAgent},
		{"verb", capture.KeyVerb},
		{"activity", capture.KeyActivity},
		{"related activity", capture.KeyRelatedActivity},
		{"registration", capture.KeyRegistration},
		{"authority", capture.KeyAuthority},
	}
	// Record 10i+1 holds kind i with value "x", record 10i+2 with value "y": the same
	// value under another kind must not match.
	var recs []capture.StatementRecord
	for i, k := range kinds {
		recs = append(recs, rec(10*i+1, k.key("x")), rec(10*i+2, k.key("y")))
	}
	insert(t, s, recs...)
	for i, k := range kinds {
		wantIDs(t, k.name+" x", query(t, s, capture.StatementQuery{Keys: []string{k.key("x")}}), ids(10*i+1))
		wantIDs(t, k.name+" y", query(t, s, capture.StatementQuery{Keys: []string{k.key("y")}}), ids(10*i+2))
		wantIDs(t, k.name+" z", query(t, s, capture.StatementQuery{Keys: []string{k.key("z")}}), nil)
	}
}

func testQueryAllKeysMustMatch(t *testing.T, s capture.Store) {
	v1, v2 := capture.KeyVerb("v1"), capture.KeyVerb("v2")
	a1, a2 := capture.KeyAgent("a1"), capture.KeyAgent("a2")
	o1 := capture.KeyActivity("o1")
	insert(t, s, rec(1, v1, a1), rec(2, v1, a2), rec(3, v2, a1), rec(4, v1, a1, o1), rec(5, o1))
	cases := []struct {
		keys []string
		want []string
	}{
		{[]string{v1}, ids(4, 2, 1)},
		{[]string{v1, a1}, ids(4, 1)},
		{[]string{a1, v1}, ids(4, 1)},
		{[]string{v1, a1, o1}, ids(4)},
		{[]string{o1}, ids(5, 4)},
		{[]string{v2, a2}, nil},
		{[]string{v1, capture.KeyVerb("unknown")}, nil},
	}
	for _, c := range cases {
		wantIDs(t, fmt.Sprint(c.keys), query(t, s, capture.StatementQuery{Keys: c.keys}), c.want)
	}
}

func testQueryWithoutKeys(t *testing.T, s capture.Store) {
	stored := []capture.StatementRecord{rec(1, capture.KeyVerb("v")), rec(2), rec(3, capture.KeyAgent("a"))}
	stored[1].Origin = "partner"
	insert(t, s, stored...)
	wantIDs(t, "descending", query(t, s, capture.StatementQuery{}), ids(3, 2, 1))
	wantIDs(t, "ascending", query(t, s, capture.StatementQuery{Ascending: true}), ids(1, 2, 3))
	// Query results carry the stored fields (Keys and InheritedKeys are optional here).
	for _, keys := range [][]string{nil, {capture.KeyVerb("v")}} {
		recs, err := s.QueryStatements(ctx(t), capture.StatementQuery{Keys: keys, Limit: 10})
		if err != nil {
			t.Fatalf("QueryStatements: %v", err)
		}
		for _, r := range recs {
			var want capture.StatementRecord
			for _, w := range stored {
				if w.ID == r.ID {
					want = w
				}
			}
			if want.ID == "" || r.Seq <= 0 || !r.Stored.Equal(want.Stored) || !bytes.Equal(r.Raw, want.Raw) ||
				r.Origin != want.Origin || r.Voided {
				t.Errorf("query result %s = {Seq %d Stored %v Raw %s Origin %q Voided %v}, want the stored fields",
					r.ID, r.Seq, r.Stored, r.Raw, r.Origin, r.Voided)
			}
		}
	}
}

func testQuerySinceUntil(t *testing.T, s capture.Store) {
	v := capture.KeyVerb("v")
	insert(t, s, rec(1, v), rec(2, v), rec(3, v))
	insert(t, s, rec(4, v), rec(5, v))
	cases := []struct {
		name string
		q    capture.StatementQuery
		want []string
	}{
		{"since is exclusive", capture.StatementQuery{Since: at(2)}, ids(5, 4, 3)},
		{"until is inclusive", capture.StatementQuery{Until: at(4)}, ids(4, 3, 2, 1)},
		{"since and until", capture.StatementQuery{Since: at(2), Until: at(4)}, ids(4, 3)},
		{"between records", capture.StatementQuery{Since: at(2).Add(-500 * time.Millisecond), Until: at(4).Add(500 * time.Millisecond)}, ids(4, 3, 2)},
		{"since after all", capture.StatementQuery{Since: at(5)}, nil},
		{"until before all", capture.StatementQuery{Until: at(0)}, nil},
		{"empty window", capture.StatementQuery{Since: at(3), Until: at(3)}, nil},
		{"ascending", capture.StatementQuery{Since: at(1), Until: at(3), Ascending: true}, ids(2, 3)},
	}
	for _, c := range cases {
		wantIDs(t, c.name+" without keys", query(t, s, c.q), c.want)
		c.q.Keys = []string{v}
		wantIDs(t, c.name+" with a key", query(t, s, c.q), c.want)
	}
}

func testQueryOrderAndLimit(t *testing.T, s capture.Store) {
	v := capture.KeyVerb("v")
	insert(t, s, rec(1, v), rec(2, v), rec(3, v))
	insert(t, s, rec(4, v), rec(5, v))
	for _, keys := range [][]string{nil, {v}} {
		wantIDs(t, "default descending", query(t, s, capture.StatementQuery{Keys: keys}), ids(5, 4, 3, 2, 1))
		wantIDs(t, "ascending", query(t, s, capture.StatementQuery{Keys: keys, Ascending: true}), ids(1, 2, 3, 4, 5))
		wantIDs(t, "limit 2", query(t, s, capture.StatementQuery{Keys: keys, Limit: 2}), ids(5, 4))
		wantIDs(t, "limit 2 ascending", query(t, s, capture.StatementQuery{Keys: keys, Limit: 2, Ascending: true}), ids(1, 2))
		wantIDs(t, "limit 1", query(t, s, capture.StatementQuery{Keys: keys, Limit: 1}), ids(5))
	}
}

func testQueryAfterSeqCursor(t *testing.T, s capture.Store) {
	v := capture.KeyVerb("v")
	var recs []capture.StatementRecord
	for n := 1; n <= 7; n++ {
		keys := []string{v}
		if n == 4 {
			keys = nil // a record the key query skips
		}
		recs = append(recs, rec(n, keys...))
	}
	insert(t, s, recs...)
	cases := []struct {
		name string
		q    capture.StatementQuery
		want []string
	}{
		{"descending", capture.StatementQuery{Limit: 3}, ids(7, 6, 5, 4, 3, 2, 1)},
		{"ascending", capture.StatementQuery{Limit: 3, Ascending: true}, ids(1, 2, 3, 4, 5, 6, 7)},
		{"descending by key", capture.StatementQuery{Limit: 2, Keys: []string{v}}, ids(7, 6, 5, 3, 2, 1)},
		{"ascending by key", capture.StatementQuery{Limit: 2, Keys: []string{v}, Ascending: true}, ids(1, 2, 3, 5, 6, 7)},
		{"ascending since", capture.StatementQuery{Limit: 2, Since: at(2), Ascending: true}, ids(3, 4, 5, 6, 7)},
	}
	for _, c := range cases {
		var got []string
		q := c.q
		for page := 0; page < 10; page++ {
			recs, err := s.QueryStatements(ctx(t), q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if len(recs) > q.Limit {
				t.Fatalf("%s: page of %d records, limit %d", c.name, len(recs), q.Limit)
			}
			for _, r := range recs {
				got = append(got, r.ID)
			}
			if len(recs) < q.Limit {
				break
			}
			q.AfterSeq = recs[len(recs)-1].Seq
		}
		wantIDs(t, c.name, got, c.want)
	}
}

func testQueryMaxSeq(t *testing.T, s capture.Store) {
	v := capture.KeyVerb("v")
	insert(t, s, rec(1, v), rec(2, v), rec(3, v))
	max := byID(t, s, id(3)).Seq
	insert(t, s, rec(4, v), rec(5, v))
	for _, keys := range [][]string{nil, {v}} {
		wantIDs(t, "descending", query(t, s, capture.StatementQuery{Keys: keys, MaxSeq: max}), ids(3, 2, 1))
		wantIDs(t, "ascending", query(t, s, capture.StatementQuery{Keys: keys, MaxSeq: max, Ascending: true}), ids(1, 2, 3))
		second := byID(t, s, id(2)).Seq
		wantIDs(t, "with cursor", query(t, s, capture.StatementQuery{Keys: keys, MaxSeq: max, AfterSeq: second, Ascending: true}), ids(3))
	}
}

func testVoidingStoredStatement(t *testing.T, s capture.Store) {
	v := capture.KeyVerb("v")
	insert(t, s, rec(1, v), rec(2, v))
	insert(t, s, voidRec(3, id(1)))

	if !byID(t, s, id(1)).Voided {
		t.Errorf("voided target: Voided false")
	}
	if byID(t, s, id(3)).Voided || byID(t, s, id(2)).Voided {
		t.Errorf("voiding statement or bystander marked voided")
	}
	wantIDs(t, "query by the target's verb", query(t, s, capture.StatementQuery{Keys: []string{capture.KeyVerb(voidedVerb)}}), ids(3))
	wantIDs(t, "query without keys", query(t, s, capture.StatementQuery{}), ids(3, 2))
	// The voiding statement targets record 1 by StatementRef, so it inherits v.
	wantIDs(t, "query v", query(t, s, capture.StatementQuery{Keys: []string{v}}), ids(3, 2))
}

func testVoidingArrivesFirst(t *testing.T, s capture.Store) {
	v := capture.KeyVerb("v")
	// Separate batches: the voiding statement first.
	insert(t, s, voidRec(1, id(2)))
	insert(t, s, rec(2, v))
	// One batch, voiding statement first and last.
	insert(t, s, voidRec(3, id(4)), rec(4, v))
	insert(t, s, rec(5, v), voidRec(6, id(5)))
	insert(t, s, rec(7, v))

	for _, n := range []int{2, 4, 5} {
		if !byID(t, s, id(n)).Voided {
			t.Errorf("record %d: Voided false, want true", n)
		}
	}
	if byID(t, s, id(7)).Voided {
		t.Errorf("record 7: Voided true, want false")
	}
	wantIDs(t, "query v", query(t, s, capture.StatementQuery{Keys: []string{v}}), ids(7, 6, 3, 1))
	wantIDs(t, "query without keys", query(t, s, capture.StatementQuery{}), ids(7, 6, 3, 1))
}

func testRefInheritsTargetKeys(t *testing.T, s capture.Store) {
	// Each case uses its own record numbers and keys, so the cases share the store.
	cases := []struct {
		name  string
		order []string // "T" the target, "R" the referrer; "TR" one batch, "T,R" two batches
	}{
		{"target stored first", []string{"T", "R"}},
		{"target stored later", []string{"R", "T"}},
		{"one batch, target first", []string{"TR"}},
		{"one batch, referrer first", []string{"RT"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := 10 * (i + 1)
			v1, v2, o1 := capture.KeyVerb(fmt.Sprint("v1-", i)), capture.KeyVerb(fmt.Sprint("v2-", i)), capture.KeyActivity(fmt.Sprint("o1-", i))
			target, referrer := rec(base+1, v1, o1), refRec(base+2, id(base+1), v2)
			for _, batch := range c.order {
				var recs []capture.StatementRecord
				for _, r := range batch {
					if r == 'T' {
						recs = append(recs, target)
					} else {
						recs = append(recs, referrer)
					}
				}
				insert(t, s, recs...)
			}
			both := sortedCopy(ids(base+1, base+2))
			wantIDs(t, "own key of the referrer", query(t, s, capture.StatementQuery{Keys: []string{v2}}), ids(base+2))
			wantIDs(t, "a target key", sortedCopy(query(t, s, capture.StatementQuery{Keys: []string{o1}})), both)
			wantIDs(t, "all target keys", sortedCopy(query(t, s, capture.StatementQuery{Keys: []string{o1, v1}})), both)
			if got := byID(t, s, id(base+2)).InheritedKeys; !sameSet(got, []string{v1, o1}) {
				t.Errorf("referrer InheritedKeys = %v, want %v", got, []string{v1, o1})
			}
			if got := byID(t, s, id(base+1)).InheritedKeys; len(got) != 0 {
				t.Errorf("target InheritedKeys = %v, want none", got)
			}
		})
	}
}

func testRefChainInsertionOrders(t *testing.T, s capture.Store) {
	// C targets B, B targets A: C inherits B's keys and, through B, A's.
	orders := [][]string{
		{"A", "B", "C"},
		{"C", "B", "A"},
		{"B", "C", "A"},
		{"C", "A", "B"},
		{"CBA"},
		{"A", "CB"},
	}
	for i, order := range orders {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			base := 10 * (i + 1)
			ka, kb, kc := capture.KeyActivity(fmt.Sprint("a-", i)), capture.KeyVerb(fmt.Sprint("b-", i)), capture.KeyAgent(fmt.Sprint("c-", i))
			recs := map[rune]capture.StatementRecord{
				'A': rec(base+1, ka),
				'B': refRec(base+2, id(base+1), kb),
				'C': refRec(base+3, id(base+2), kc),
			}
			for _, batch := range order {
				var b []capture.StatementRecord
				for _, r := range batch {
					b = append(b, recs[r])
				}
				insert(t, s, b...)
			}
			wantIDs(t, "A's key", sortedCopy(query(t, s, capture.StatementQuery{Keys: []string{ka}})), sortedCopy(ids(base+1, base+2, base+3)))
			wantIDs(t, "B's key", sortedCopy(query(t, s, capture.StatementQuery{Keys: []string{kb}})), sortedCopy(ids(base+2, base+3)))
			wantIDs(t, "A's and B's keys", query(t, s, capture.StatementQuery{Keys: []string{ka, kb}}), ids(base+3))
			wantIDs(t, "C's key", query(t, s, capture.StatementQuery{Keys: []string{kc}}), ids(base+3))
			if got := byID(t, s, id(base+3)).InheritedKeys; !sameSet(got, []string{ka, kb}) {
				t.Errorf("C InheritedKeys = %v, want %v", got, []string{ka, kb})
			}
			if got := byID(t, s, id(base+2)).InheritedKeys; !sameSet(got, []string{ka}) {
				t.Errorf("B InheritedKeys = %v, want %v", got, []string{ka})
			}
		})
	}
}

func testRefMixedKeysDoNotMatch(t *testing.T, s capture.Store) {
	v1, v2, o1 := capture.KeyVerb("v1"), capture.KeyVerb("v2"), capture.KeyActivity("o1")
	insert(t, s, rec(1, v1, o1), refRec(2, id(1), v2))
	// Record 2 has v2 of its own and o1 inherited: neither set holds both.
	wantIDs(t, "mixed", query(t, s, capture.StatementQuery{Keys: []string{v2, o1}}), nil)
	wantIDs(t, "own", query(t, s, capture.StatementQuery{Keys: []string{v2}}), ids(2))
	wantIDs(t, "inherited", query(t, s, capture.StatementQuery{Keys: []string{v1, o1}}), ids(2, 1))
}

func testAttachments(t *testing.T, s capture.Store) {
	first := capture.InsertBatch{
		Statements: []capture.StatementRecord{rec(1)},
		Attachments: []capture.Attachment{
			{SHA2: "aaa1", ContentType: "text/plain", Content: []byte("hello")},
			{SHA2: "bbb2", ContentType: "application/octet-stream", Content: []byte{0, 255, 10, 13}},
		},
	}
	if err := s.InsertStatements(ctx(t), first); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
	// A repeat sha2, in a later batch and twice within one batch, is a no-op.
	second := capture.InsertBatch{
		Statements: []capture.StatementRecord{rec(2)},
		Attachments: []capture.Attachment{
			{SHA2: "aaa1", ContentType: "text/x-other", Content: []byte("hello")},
			{SHA2: "ccc3", ContentType: "image/png", Content: []byte("png")},
			{SHA2: "ccc3", ContentType: "image/png", Content: []byte("png")},
		},
	}
	if err := s.InsertStatements(ctx(t), second); err != nil {
		t.Fatalf("InsertStatements with a repeated sha2: %v", err)
	}
	got, err := s.Attachments(ctx(t), []string{"aaa1", "bbb2", "ccc3", "unknown"})
	if err != nil {
		t.Fatalf("Attachments: %v", err)
	}
	if len(got) != 3 {
		t.Errorf("Attachments returned %d entries, want 3 (unknown absent)", len(got))
	}
	want := []capture.Attachment{first.Attachments[0], first.Attachments[1], second.Attachments[1]}
	for _, w := range want {
		a := got[w.SHA2]
		if a.SHA2 != w.SHA2 || a.ContentType != w.ContentType || !bytes.Equal(a.Content, w.Content) {
			t.Errorf("attachment %s = {%q %q %q}, want {%q %q %q}", w.SHA2, a.SHA2, a.ContentType, a.Content, w.SHA2, w.ContentType, w.Content)
		}
	}
	if m, err := s.Attachments(ctx(t), nil); err != nil || len(m) != 0 {
		t.Errorf("Attachments(nil) = %v, %v; want empty map, nil", m, err)
	}
}

func testActivities(t *testing.T, s capture.Store) {
	act1, act2 := "http://example.com/activities/1", "http://example.com/activities/2"
	def1 := []byte(`{"name":{"en-US":"One"},"type":"http://example.com/t"}`)
	def2 := []byte(`{"name":{"en-US":"One","de":"Eins"},"type":"http://example.com/t"}`)
	b := capture.InsertBatch{
		Statements: []capture.StatementRecord{rec(1)},
		Activities: []capture.ActivityRecord{{ID: act1, Definition: def1}, {ID: act2, Definition: []byte(`{"type":"http://example.com/u"}`)}},
	}
	if err := s.InsertStatements(ctx(t), b); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
	got, err := s.Activities(ctx(t), []string{act1, act2, "http://example.com/unknown"})
	if err != nil {
		t.Fatalf("Activities: %v", err)
	}
	if len(got) != 2 || got[act1].ID != act1 || !sameJSON(got[act1].Definition, def1) {
		t.Errorf("Activities = %v, want %s with %s and %s, unknown absent", got, act1, def1, act2)
	}
	// A later batch replaces the definition (the service has merged it already).
	b = capture.InsertBatch{Statements: []capture.StatementRecord{rec(2)}, Activities: []capture.ActivityRecord{{ID: act1, Definition: def2}}}
	if err := s.InsertStatements(ctx(t), b); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
	got, err = s.Activities(ctx(t), []string{act1, act2})
	if err != nil {
		t.Fatalf("Activities: %v", err)
	}
	if !sameJSON(got[act1].Definition, def2) {
		t.Errorf("after upsert %s = %s, want %s", act1, got[act1].Definition, def2)
	}
	if !sameJSON(got[act2].Definition, []byte(`{"type":"http://example.com/u"}`)) {
		t.Errorf("untouched %s = %s", act2, got[act2].Definition)
	}
	if m, err := s.Activities(ctx(t), nil); err != nil || len(m) != 0 {
		t.Errorf("Activities(nil) = %v, %v; want empty map, nil", m, err)
	}
}

func testPutActivities(t *testing.T, s capture.Store) {
	act1, act2 := "http://example.com/put/1", "http://example.com/put/2"
	def1 := []byte(`{"name":{"en":"One"},"type":"http://example.com/t"}`)
	def2 := []byte(`{"name":{"en":"Two"}}`)
	def1b := []byte(`{"name":{"en":"One","fr":"Un"},"type":"http://example.com/t"}`)
	if err := s.PutActivities(ctx(t), nil); err != nil {
		t.Fatalf("PutActivities(nil): %v", err)
	}
	if err := s.PutActivities(ctx(t), []capture.ActivityRecord{{ID: act1, Definition: def1}, {ID: act2, Definition: def2}}); err != nil {
		t.Fatalf("PutActivities: %v", err)
	}
	got, err := s.Activities(ctx(t), []string{act1, act2})
	if err != nil {
		t.Fatalf("Activities: %v", err)
	}
	if len(got) != 2 || !sameJSON(got[act1].Definition, def1) || !sameJSON(got[act2].Definition, def2) {
		t.Errorf("Activities = %v, want %s: %s and %s: %s", got, act1, def1, act2, def2)
	}
	// An upsert replaces one definition and leaves the other; a repeat changes nothing.
	for range 2 {
		if err := s.PutActivities(ctx(t), []capture.ActivityRecord{{ID: act1, Definition: def1b}}); err != nil {
			t.Fatalf("PutActivities: %v", err)
		}
	}
	got, err = s.Activities(ctx(t), []string{act1, act2})
	if err != nil {
		t.Fatalf("Activities: %v", err)
	}
	if !sameJSON(got[act1].Definition, def1b) || !sameJSON(got[act2].Definition, def2) {
		t.Errorf("after upsert Activities = %v, want %s: %s and %s untouched", got, act1, def1b, act2)
	}
	// Definitions put outside a write are what later statement batches see and replace.
	b := capture.InsertBatch{Statements: []capture.StatementRecord{rec(1)}, Activities: []capture.ActivityRecord{{ID: act2, Definition: def1}}}
	if err := s.InsertStatements(ctx(t), b); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
	got, err = s.Activities(ctx(t), []string{act2})
	if err != nil {
		t.Fatalf("Activities: %v", err)
	}
	if !sameJSON(got[act2].Definition, def1) {
		t.Errorf("after batch %s = %s, want %s", act2, got[act2].Definition, def1)
	}
}

func testLastSeq(t *testing.T, s capture.Store) {
	if last, err := s.LastSeq(ctx(t)); err != nil || last != 0 {
		t.Errorf("LastSeq on an empty store = %d, %v; want 0", last, err)
	}
	insert(t, s, rec(1), rec(2))
	insert(t, s, rec(3))
	var max int64
	for _, r := range []int{1, 2, 3} {
		max = maxOf(max, byID(t, s, id(r)).Seq)
	}
	if last, err := s.LastSeq(ctx(t)); err != nil || last != max {
		t.Errorf("LastSeq = %d, %v; want %d", last, err, max)
	}
}

func maxOf(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func testConcurrentInserts(t *testing.T, s capture.Store) {
	const writers, batches = 8, 50
	v := capture.KeyVerb("v")
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < batches; i++ {
				n := 1000*(w+1) + i
				if err := s.InsertStatements(ctx(t), capture.InsertBatch{Statements: []capture.StatementRecord{rec(n, v)}}); err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	var all []string
	for w := 0; w < writers; w++ {
		for i := 0; i < batches; i++ {
			all = append(all, id(1000*(w+1)+i))
		}
	}
	m, err := s.StatementsByID(ctx(t), all)
	if err != nil {
		t.Fatalf("StatementsByID: %v", err)
	}
	if len(m) != writers*batches {
		t.Fatalf("%d records stored, want %d", len(m), writers*batches)
	}
	seen := map[int64]string{}
	var maxSeq int64
	for w := 0; w < writers; w++ {
		var prev int64
		for i := 0; i < batches; i++ {
			n := 1000*(w+1) + i
			r := m[id(n)]
			if other, dup := seen[r.Seq]; dup {
				t.Fatalf("Seq %d given to %s and %s", r.Seq, other, r.ID)
			}
			seen[r.Seq] = r.ID
			maxSeq = maxOf(maxSeq, r.Seq)
			if r.Seq <= prev {
				t.Errorf("writer %d: batch %d got Seq %d, not above its previous batch's %d", w, i, r.Seq, prev)
			}
			prev = r.Seq
			if !r.Stored.Equal(at(n)) {
				t.Errorf("record %d Stored = %v, want %v as given", n, r.Stored, at(n))
			}
		}
	}
	// Paging in both directions sees every record once, in strictly monotonic Seq order.
	for _, asc := range []bool{true, false} {
		q := capture.StatementQuery{Keys: []string{v}, Limit: 64, Ascending: asc}
		var got []capture.StatementRecord
		for len(got) <= writers*batches {
			page, err := s.QueryStatements(ctx(t), q)
			if err != nil {
				t.Fatalf("QueryStatements: %v", err)
			}
			got = append(got, page...)
			if len(page) < q.Limit {
				break
			}
			q.AfterSeq = page[len(page)-1].Seq
		}
		if len(got) != writers*batches {
			t.Fatalf("ascending=%v: paging returned %d records, want %d", asc, len(got), writers*batches)
		}
		for i := 1; i < len(got); i++ {
			if (asc && got[i].Seq <= got[i-1].Seq) || (!asc && got[i].Seq >= got[i-1].Seq) {
				t.Fatalf("ascending=%v: Seq %d follows %d", asc, got[i].Seq, got[i-1].Seq)
			}
		}
	}
	if last, err := s.LastSeq(ctx(t)); err != nil || last != maxSeq {
		t.Errorf("LastSeq = %d, %v; want the highest Seq given, %d", last, err, maxSeq)
	}
}
