package sqlitestore

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// benchT0 is the stored time of fixture record 0; record n is stored n seconds later.
var benchT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// benchVerbs are the fixture verbs, the first ones the most frequent.
var benchVerbs = []string{
	"http://adlnet.gov/expapi/verbs/experienced",
	"https://w3id.org/xapi/adb/verbs/read",
	"http://adlnet.gov/expapi/verbs/answered",
	"http://adlnet.gov/expapi/verbs/asked",
	"http://adlnet.gov/expapi/verbs/commented",
	"http://adlnet.gov/expapi/verbs/completed",
	"http://adlnet.gov/expapi/verbs/attended",
	"http://adlnet.gov/expapi/verbs/shared",
}

// padding fills fixture statements to about 1 KB.
var padding = strings.Repeat("x", 620)

// regOf returns the registration of fixture record n (one per 20 records).
func regOf(n int) string { return fmt.Sprintf("%08x-1111-4000-8000-000000000000", n/20) }

// fixtureRecord builds record n: 6 match keys and about 1 KB of JSON, spread over
// 1000 agents, 8 verbs (skewed), 5000 activities and 50 courses. prefix, one hex
// digit, keeps the ids of different fixture sets apart.
func fixtureRecord(prefix string, n int) capture.StatementRecord {
	id := fmt.Sprintf("%s%07x-0000-4000-8000-%012x", prefix, n, n)
	agent := fmt.Sprintf("mbox:mailto:learner%d@example.com", n%1000)
	verb := benchVerbs[min(bits.TrailingZeros(uint(n+1)), len(benchVerbs)-1)] // half the first, a quarter the second, …
	activity := fmt.Sprintf("http://example.com/activities/%d", (n*31)%5000)
	course := fmt.Sprintf("http://example.com/courses/%d", n%50)
	stored := benchT0.Add(time.Duration(n) * time.Second)
	raw := fmt.Sprintf(`{"id":%q,"actor":{"mbox":%q},"verb":{"id":%q},"object":{"id":%q},`+
		`"context":{"registration":%q,"contextActivities":{"parent":[{"id":%q}]}},"stored":%q,"result":{"response":%q}}`,
		id, strings.TrimPrefix(agent, "mbox:"), verb, activity, regOf(n), course, stored.Format(time.RFC3339Nano), padding)
	return capture.StatementRecord{
		ID:     id,
		Stored: stored,
		Raw:    []byte(raw),
		Keys: []string{
			capture.KeyAgent(agent), capture.KeyRelatedAgent(agent), capture.KeyVerb(verb),
			capture.KeyActivity(activity), capture.KeyRelatedActivity(course), capture.KeyRegistration(regOf(n)),
		},
	}
}

// fillFixture inserts fixture records 0..n-1 in batches of 500.
func fillFixture(t testing.TB, s *Store, n int) {
	t.Helper()
	const batch = 500
	for start := 0; start < n; start += batch {
		recs := make([]capture.StatementRecord, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			recs = append(recs, fixtureRecord("0", i))
		}
		if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: recs}); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
}

// realisticRecord builds record n of the load generator's shape (cmd/cairn-load):
// 8 match keys over 5,000 learners and 20,000 articles, both drawn with an
// exponential skew, 10 verbs, a parent activity and one authority, and about 800
// bytes of JSON. rng draws the values; prefix, one hex digit, keeps the ids of
// different record sets apart.
func realisticRecord(rng *rand.Rand, prefix string, n int) capture.StatementRecord {
	const learners, articles = 5000, 20000
	l := int(rng.ExpFloat64()*learners/4) % learners
	a := int(rng.ExpFloat64()*articles/8) % articles
	verb := fmt.Sprintf("http://adlnet.gov/expapi/verbs/v%d", rng.IntN(10))
	agent := fmt.Sprintf("mbox:mailto:learner%d@example.com", l)
	article := fmt.Sprintf("https://learn.example.com/items/%d", a)
	parent := fmt.Sprintf("https://learn.example.com/items/%d", a/10*10)
	authority := "account:https://lrs.example.com|load"
	id := fmt.Sprintf("%s%07x-0000-4000-8000-%012x", prefix, n, n)
	stored := benchT0.Add(time.Duration(n) * time.Millisecond)
	raw := fmt.Sprintf(`{"id":%q,"actor":{"objectType":"Agent","name":"Learner %d","mbox":%q},"verb":{"id":%q,"display":{"en-US":"v"}},`+
		`"object":{"objectType":"Activity","id":%q,"definition":{"name":{"en-US":"Item %d"},"type":"http://activitystrea.ms/article"}},`+
		`"context":{"platform":"Browser extension","contextActivities":{"parent":[{"id":%q}]}},"result":{"duration":"PT95S"},`+
		`"stored":%q,"timestamp":%q,"authority":{"objectType":"Agent","account":{"homePage":"https://lrs.example.com","name":"load"}},"version":"1.0.0"}`,
		id, l, strings.TrimPrefix(agent, "mbox:"), verb, article, a, parent, stored.Format(time.RFC3339Nano), stored.Format(time.RFC3339Nano))
	keys := []string{
		capture.KeyAgent(agent), capture.KeyRelatedAgent(agent), capture.KeyVerb(verb),
		capture.KeyActivity(article), capture.KeyRelatedActivity(article), capture.KeyAuthority(authority), capture.KeyRelatedAgent(authority),
	}
	if parent != article {
		keys = append(keys, capture.KeyRelatedActivity(parent))
	}
	return capture.StatementRecord{ID: id, Stored: stored, Raw: []byte(raw), Keys: keys}
}
