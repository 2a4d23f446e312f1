package sqlitestore

import (
	"path/filepath"
	"testing"

	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/capture/reports/reportstest"
)

// BenchmarkRollup rolls up 20,000 stored statements from the start (reset included)
// and reports statements a CPU second.
func BenchmarkRollup(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "r.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 20_000
	reportstest.Fill(b, s, n)
	r := &reports.Rollup{Feed: s, Store: s}
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := s.ResetRollups(b.Context()); err != nil {
			b.Fatal(err)
		}
		if got, err := r.CatchUp(b.Context()); err != nil || got != n {
			b.Fatalf("CatchUp = %d, %v", got, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "statements/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "statements/cpu-s")
	}
}
