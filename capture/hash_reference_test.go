package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"sort"
	"testing"
	"time"
)

// referenceStatementHash is StatementHash as first written: canonicalise a deep copy
// in place, then hash its canonical JSON. StatementHash must give the same hashes
// (stored statements carry them), only cheaper.
func referenceStatementHash(s Statement) string {
	c, _ := deepCopy(map[string]any(s)).(map[string]any)
	if c == nil {
		c = map[string]any{}
	}
	for _, k := range []string{"id", "stored", "authority", "version"} {
		delete(c, k)
	}
	referenceCanonicalize(c)
	sum := sha256.Sum256([]byte(canonicalJSON(c)))
	return hex.EncodeToString(sum[:])
}

func referenceCanonicalize(m map[string]any) {
	referenceAgent(m["actor"])
	if verb, ok := m["verb"].(map[string]any); ok {
		delete(verb, "display")
	}
	if obj, ok := m["object"].(map[string]any); ok {
		switch objectTypeOf(obj) {
		case objectTypeActivity:
			delete(obj, "definition")
		case objectTypeAgent, objectTypeGroup:
			referenceAgent(obj)
		case objectTypeStatementRef:
			lowerString(obj, "id")
		case objectTypeSubStatement:
			referenceCanonicalize(obj)
		}
	}
	if ctx, ok := m["context"].(map[string]any); ok {
		lowerString(ctx, "registration")
		referenceAgent(ctx["instructor"])
		referenceAgent(ctx["team"])
		if ref, ok := ctx["statement"].(map[string]any); ok {
			lowerString(ref, "id")
		}
		if ca, ok := ctx["contextActivities"].(map[string]any); ok {
			for k, v := range ca {
				if single, ok := v.(map[string]any); ok {
					v = []any{single}
					ca[k] = v
				}
				if arr, ok := v.([]any); ok {
					for _, e := range arr {
						if a, ok := e.(map[string]any); ok {
							delete(a, "definition")
						}
					}
				}
			}
		}
	}
	if ts, ok := m["timestamp"].(string); ok {
		if t, ok := parseTimestamp(ts); ok {
			m["timestamp"] = t.UTC().Format(time.RFC3339Nano)
		}
	}
}

func referenceAgent(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if s, ok := m["mbox"].(string); ok {
		m["mbox"] = normalizeMbox(s)
	}
	lowerString(m, "mbox_sha1sum")
	members, ok := m["member"].([]any)
	if !ok {
		return
	}
	for _, e := range members {
		referenceAgent(e)
	}
	sort.SliceStable(members, func(i, j int) bool {
		return canonicalJSON(members[i]) < canonicalJSON(members[j])
	})
}

// TestStatementHashMatchesReference hashes every statement fixture, valid and
// invalid, and a few shapes the fixtures lack, both ways, and checks that hashing
// leaves the statement unchanged.
func TestStatementHashMatchesReference(t *testing.T) {
	var bodies [][]byte
	for _, f := range fixtureFiles(t, "valid") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	for _, f := range fixtureFiles(t, "invalid") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx invalidFixture
		if err := json.Unmarshal(b, &fx); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, fx.Statement)
	}
	bodies = append(bodies,
		[]byte(`{"actor":{"objectType":"Group","member":[{"mbox":"mailto:B@X.ORG"},{"mbox_sha1sum":"ABCDEF"},"odd",{"mbox":"mailto:a@Y.org"}]},
		  "verb":{"id":"http://x/v","display":{"en":"v"}},
		  "object":{"objectType":"SubStatement","actor":{"mbox":"mailto:s@EXAMPLE.com"},"verb":{"id":"http://x/w","display":{"en":"w"}},
		    "object":{"id":"http://x/o","definition":{"name":{"en":"o"}}},"timestamp":"2024-01-01T01:00:00+01:00",
		    "context":{"registration":"AAAAAAAA-1111-4000-8000-000000000000","contextActivities":{"grouping":{"id":"http://x/g","definition":{}}}}},
		  "context":{"instructor":{"mbox":"mailto:i@EXAMPLE.com"},"team":{"objectType":"Group","member":[{"mbox":"mailto:z@Q.com"},{"mbox":"mailto:y@q.com"}]},
		    "statement":{"objectType":"StatementRef","id":"AAAAAAAA-1111-4000-8000-000000000000"},
		    "contextActivities":{"parent":[{"id":"http://x/p","definition":{"type":"http://t"}},"odd"],"other":{"id":"http://x/q"}}},
		  "timestamp":"2024-01-01T00:00:00.5-02:30"}`),
		[]byte(`{"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://x/v"},"object":{"objectType":"StatementRef","id":"AAAAAAAA-1111-4000-8000-000000000000"}}`),
		[]byte(`{"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://x/v"},"object":{"objectType":"Agent","mbox":"mailto:o@B.C"},"context":null,"timestamp":"not a time"}`),
		[]byte(`{}`),
	)
	hashed := 0
	for i, body := range bodies {
		stmts, _, err := DecodeStatements(body)
		if err != nil && i >= len(bodies)-4 {
			t.Fatalf("body %d does not decode: %v", i, err)
		}
		if err != nil {
			continue // some invalid fixtures are not statements at all
		}
		for _, s := range stmts {
			hashed++
			before := canonicalJSON(s)
			got, want := StatementHash(s), referenceStatementHash(s)
			if got != want {
				t.Errorf("body %d: StatementHash = %s, reference %s\n%s", i, got, want, body)
			}
			if canonicalJSON(s) != before {
				t.Errorf("body %d: StatementHash modified its argument", i)
			}
		}
	}
	if hashed < 30 {
		t.Errorf("only %d of %d bodies decoded", hashed, len(bodies))
	}
}

// BenchmarkStatementHash compares StatementHash with the reference on a statement of
// the load generator's shape.
func BenchmarkStatementHash(b *testing.B) {
	body := []byte(`{"actor":{"objectType":"Agent","name":"Learner 17","mbox":"mailto:learner17@example.com"},
	  "verb":{"id":"https://w3id.org/xapi/adb/verbs/read","display":{"en-US":"read"}},
	  "object":{"objectType":"Activity","id":"https://learn.example.com/items/4711",
	    "definition":{"name":{"en-US":"Item 4711"},"type":"http://activitystrea.ms/article"}},
	  "result":{"duration":"PT95S"},
	  "context":{"platform":"Browser extension","contextActivities":{"parent":[{"id":"https://learn.example.com/items/4710"}]}},
	  "timestamp":"2026-11-27T23:00:00.123456Z"}`)
	stmts, _, err := DecodeStatements(body)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		hash func(Statement) string
	}{{"current", StatementHash}, {"reference", referenceStatementHash}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.hash(stmts[0])
			}
		})
	}
}
