package reportstest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Fill stores n statements shaped like the load generator's: 5,000 learners
// with skewed activity, 20,000 articles and videos, four platforms, timestamps spread
// over a year, inserted directly into the store
// in batches of 1,000 (for benchmarks: no validation).
func Fill(tb testing.TB, s capture.StatementStore, n int) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	platforms := []string{"Browser extension", "Slack", "Cairn Q&A", "LMS"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 1000
	for done := 0; done < n; done += batch {
		recs := make([]capture.StatementRecord, 0, batch)
		for i := done; i < done+batch && i < n; i++ {
			learner := int(rng.ExpFloat64()*800) % 5000
			object := int(rng.ExpFloat64()*3000) % 20000
			typ := "http://activitystrea.ms/article"
			if object%5 == 0 {
				typ = "https://w3id.org/xapi/video/activity-type/video"
			}
			ts := start.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
			raw := fmt.Sprintf(`{"id":"%08x-0000-4000-8000-000000000000","actor":{"objectType":"Agent","mbox":"mailto:learner%d@example.com"},`+
				`"verb":{"id":"http://adlnet.gov/expapi/verbs/v%d"},"object":{"objectType":"Activity","id":"https://example.com/items/%d","definition":{"type":"%s"}},`+
				`"context":{"platform":"%s"},"timestamp":"%s","stored":"%s"}`,
				i, learner, i%10, object, typ, platforms[i%len(platforms)], ts.Format(time.RFC3339), ts.Format(time.RFC3339))
			recs = append(recs, capture.StatementRecord{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), Stored: ts, Raw: []byte(raw), Keys: []string{capture.KeyVerb("v")}})
		}
		if err := s.InsertStatements(tb.Context(), capture.InsertBatch{Statements: recs}); err != nil {
			tb.Fatal(err)
		}
	}
}
