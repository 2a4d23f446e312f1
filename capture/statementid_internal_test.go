package capture

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestNewStatementID: server-assigned ids are version-4 UUIDs of variant 10 whose text
// sorts with the time they were made, and do not repeat within one millisecond.
func TestNewStatementID(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 2, 30, 0, 0, time.UTC)
	cases := []struct {
		name   string
		a, b   time.Time
		before bool // the id made at a sorts before the one made at b
	}{
		{"a millisecond later", t0, t0.Add(time.Millisecond), true},
		{"a year later", t0, t0.AddDate(1, 0, 0), true},
		{"earlier", t0.Add(time.Second), t0, false},
	}
	for _, tc := range cases {
		a, b := newStatementID(tc.a), newStatementID(tc.b)
		if (a < b) != tc.before {
			t.Errorf("%s: %s < %s is %v, want %v", tc.name, a, b, a < b, tc.before)
		}
	}
	seen := map[string]bool{}
	for range 10000 {
		id := newStatementID(t0)
		u, err := uuid.Parse(id)
		if err != nil || !isUUID(id) {
			t.Fatalf("%s is not a UUID: %v", id, err)
		}
		if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d variant %v, want 4 and RFC 4122", id, u.Version(), u.Variant())
		}
		if id[:13] != "01a21ffc-f040" {
			t.Fatalf("%s does not start with the milliseconds of %v (01a21ffcf040)", id, t0)
		}
		if seen[id] {
			t.Fatalf("%s made twice", id)
		}
		seen[id] = true
	}
}
