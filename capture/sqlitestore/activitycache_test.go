package sqlitestore

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

func TestActivityCacheKeepsNoStaleRead(t *testing.T) {
	c := newActivityCache()
	def := func(s string) json.RawMessage { return json.RawMessage(`{"name":{"en":"` + s + `"}}`) }
	_, missing, gen := c.lookup([]string{"a", "b", "a"})
	if len(missing) != 2 {
		t.Fatalf("missing = %v, want a and b once each", missing)
	}
	// A write lands while the read runs: what the read saw may be older.
	c.written([]capture.ActivityRecord{{ID: "a", Definition: def("new")}})
	c.fill(gen, map[string]capture.ActivityRecord{"a": {ID: "a", Definition: def("old")}, "b": {ID: "b", Definition: def("b")}})
	got, missing, gen := c.lookup([]string{"a", "b"})
	if string(got["a"].Definition) != string(def("new")) || len(missing) != 1 || missing[0] != "b" {
		t.Fatalf("after a stale fill: a = %s, missing %v; want the written a and b missing", got["a"].Definition, missing)
	}
	c.fill(gen, map[string]capture.ActivityRecord{"b": {ID: "b"}})
	got, missing, _ = c.lookup([]string{"b"})
	if r, ok := got["b"]; !ok || r.ID != "b" || r.Definition != nil || len(missing) != 0 {
		t.Fatalf("b = %+v (found %v), missing %v; want b cached without a definition", r, ok, missing)
	}
	// Callers may change what they get without changing the cache.
	got, _, _ = c.lookup([]string{"a"})
	got["a"].Definition[0] = 'X'
	if again, _, _ := c.lookup([]string{"a"}); string(again["a"].Definition) != string(def("new")) {
		t.Fatalf("cache changed through a returned definition: %s", again["a"].Definition)
	}
}

func TestActivityCacheBound(t *testing.T) {
	c := newActivityCache()
	big := json.RawMessage(`{"name":{"en":"` + strings.Repeat("x", 1<<20) + `"}}`)
	for i := 0; i < 20; i++ {
		c.written([]capture.ActivityRecord{{ID: string(rune('a' + i)), Definition: big}})
		if c.bytes > maxCachedDefinitionBytes {
			t.Fatalf("cache holds %d bytes, over %d", c.bytes, maxCachedDefinitionBytes)
		}
	}
	if _, missing, _ := c.lookup([]string{"t"}); len(missing) != 0 {
		t.Errorf("the latest definition is not cached")
	}
}

// TestActivitiesSeeEveryWrite reads definitions through the cache after statement
// writes and PutActivities replace them.
func TestActivitiesSeeEveryWrite(t *testing.T) {
	s := openTemp(t)
	id := "http://example.com/act"
	want := func(def string) {
		t.Helper()
		got, err := s.Activities(t.Context(), []string{id, "http://example.com/none"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || string(got[id].Definition) != def {
			t.Fatalf("Activities = %v, want only %s with %s", got, id, def)
		}
	}
	insert := capture.InsertBatch{Statements: []capture.StatementRecord{rec(1, 1)}, Activities: []capture.ActivityRecord{{ID: id, Definition: json.RawMessage(`{"v":1}`)}}}
	if err := s.InsertStatements(t.Context(), insert); err != nil {
		t.Fatal(err)
	}
	want(`{"v":1}`)
	if err := s.PutActivities(t.Context(), []capture.ActivityRecord{{ID: id, Definition: json.RawMessage(`{"v":2}`)}}); err != nil {
		t.Fatal(err)
	}
	want(`{"v":2}`)
	// A failed write leaves the cached definition alone.
	insert.Activities[0].Definition = json.RawMessage(`{"v":3}`)
	if err := s.InsertStatements(t.Context(), insert); capture.ErrorCode(err) != capture.CodeConflict {
		t.Fatalf("repeat insert: %v, want a conflict", err)
	}
	want(`{"v":2}`)
	// A new store on the same file reads the database.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, s.path)
	want(`{"v":2}`)
}
