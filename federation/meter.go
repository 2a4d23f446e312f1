package federation

import (
	"sync"
	"time"
)

// meterWindow is the span throughput is averaged over.
const meterWindow = time.Minute

// meter measures statements a second over the last meterWindow.
type meter struct {
	mu      sync.Mutex
	samples []sample
}

type sample struct {
	at time.Time
	n  int
}

// add records n statements done at now.
func (m *meter) add(now time.Time, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = append(m.samples, sample{now, n})
	m.prune(now)
}

func (m *meter) prune(now time.Time) {
	i := 0
	for i < len(m.samples) && now.Sub(m.samples[i].at) > meterWindow {
		i++
	}
	m.samples = m.samples[i:]
}

// rate returns statements a second over the window ending at now.
func (m *meter) rate(now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune(now)
	if len(m.samples) == 0 {
		return 0
	}
	total := 0
	for _, s := range m.samples {
		total += s.n
	}
	span := now.Sub(m.samples[0].at)
	if span < time.Second {
		span = time.Second
	}
	return float64(total) / span.Seconds()
}
