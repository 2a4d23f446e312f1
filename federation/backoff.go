package federation

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces retries: attempt n (from 0) waits a uniformly random time in
// [0, min(Cap, Base·2ⁿ)) ("full jitter"), but never less than a partner's Retry-After.
type Backoff struct {
	Base time.Duration // 0: 500 ms
	Cap  time.Duration // 0: 5 min
}

// Delay returns the wait before retry attempt n, at least retryAfter (itself capped at
// 10·Cap so that a partner cannot stall a job for ever).
func (b Backoff) Delay(n int, retryAfter time.Duration) time.Duration {
	base, ceiling := b.Base, b.Cap
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if ceiling <= 0 {
		ceiling = 5 * time.Minute
	}
	top := base
	for i := 0; i < n && top < ceiling; i++ {
		top *= 2 // at most doubles past ceiling: no overflow
	}
	top = min(top, ceiling)
	d := time.Duration(rand.Int64N(int64(top) + 1))
	return max(d, min(retryAfter, 10*ceiling))
}
