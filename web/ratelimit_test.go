package web

import (
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := newRateLimiter(10, 3, clock) // 10 a second, 3 at once
	steps := []struct {
		advance time.Duration
		key     string
		ok      bool
		wait    time.Duration
	}{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 100 * time.Millisecond}, // burst spent: one token takes 1/10 s
		{0, "b", true, 0},                       // another credential has its own bucket
		{50 * time.Millisecond, "a", false, 50 * time.Millisecond},
		{50 * time.Millisecond, "a", true, 0},
		{time.Hour, "a", true, 0}, // refills to the burst, not beyond
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 100 * time.Millisecond},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, wait := l.take(s.key)
		if ok != s.ok || (wait-s.wait).Abs() > time.Millisecond {
			t.Fatalf("step %d (%s): got %v, %v; want %v, %v", i, s.key, ok, wait, s.ok, s.wait)
		}
	}
	if ok, _ := newRateLimiter(0, 0, clock).take("a"); !ok {
		t.Fatal("a zero rate must admit everything")
	}
}
