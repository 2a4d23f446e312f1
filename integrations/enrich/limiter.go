package enrich

import (
	"context"
	"sync"
	"time"
)

// hostLimiter spaces the starts of requests to one host by at least delay. Each caller
// reserves the next free slot for its host and sleeps until then; the table forgets hosts
// whose slot has passed once it grows beyond maxHosts.
type hostLimiter struct {
	mu       sync.Mutex
	delay    time.Duration
	next     map[string]time.Time
	maxHosts int
}

func newHostLimiter(delay time.Duration) *hostLimiter {
	return &hostLimiter{delay: delay, next: map[string]time.Time{}, maxHosts: 4096}
}

// wait returns when a request to host may start, or ctx's error if ctx ends first (the
// reserved slot is then lost, which only makes later requests wait less than they could).
func (l *hostLimiter) wait(ctx context.Context, host string) error {
	if l.delay <= 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next[host]
	if at.Before(now) {
		at = now
	}
	l.next[host] = at.Add(l.delay)
	if len(l.next) > l.maxHosts {
		for h, t := range l.next {
			if t.Before(now) {
				delete(l.next, h)
			}
		}
	}
	l.mu.Unlock()

	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
