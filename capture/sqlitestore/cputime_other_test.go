//go:build !unix

package sqlitestore

import "time"

// cpuTime is unavailable here; benchmarks then report no CPU-second figures.
func cpuTime() time.Duration { return 0 }
