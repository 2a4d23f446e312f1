package capture_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
)

// benchStatement returns the i-th statement of a plausible informal-learning stream.
func benchStatement(i int) capture.Statement {
	return capture.Statement{
		"actor": map[string]any{"objectType": "Agent", "name": fmt.Sprintf("Learner %d", i%5000), "mbox": fmt.Sprintf("mailto:learner%d@example.com", i%5000)},
		"verb":  map[string]any{"id": "https://w3id.org/xapi/adb/verbs/read", "display": map[string]any{"en-US": "read"}},
		"object": map[string]any{
			"objectType": "Activity", "id": fmt.Sprintf("https://learn.example.com/items/%d", i%20000),
			"definition": map[string]any{"name": map[string]any{"en-US": fmt.Sprintf("Item %d", i%20000)}, "type": "http://activitystrea.ms/article"},
		},
		"result":  map[string]any{"duration": "PT95S"},
		"context": map[string]any{"platform": "Browser extension", "contextActivities": map[string]any{"parent": []any{map[string]any{"id": fmt.Sprintf("https://learn.example.com/items/%d", i%2000*10)}}}},
	}
}

// BenchmarkServiceWrite measures StatementService.Write on the embedded store: the
// validation, hashing, key extraction and insert that a POST performs, without HTTP.
func BenchmarkServiceWrite(b *testing.B) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc := capture.NewStatementService(capture.StatementServiceConfig{Store: st})
			creds := capture.NewCredentialService(st, "https://lrs.example.com", nil)
			c, secret, err := creds.Create(ctx, "bench", []string{capture.ScopeAll}, false)
			if err != nil {
				b.Fatal(err)
			}
			p, err := creds.Authenticate(ctx, c.Key, secret)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch := make([]capture.Statement, size)
				for j := range batch {
					batch[j] = benchStatement(n)
					n++
				}
				if _, err := svc.Write(ctx, capture.WriteRequest{Statements: batch, Principal: p}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "statements/s")
		})
	}
}
