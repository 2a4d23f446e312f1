package sqlitestore

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// queryPlan returns the EXPLAIN QUERY PLAN details of the SQL that QueryStatements
// runs for q, one line per plan step.
func queryPlan(t *testing.T, s *Store, q capture.StatementQuery) []string {
	t.Helper()
	keys, err := s.orderKeys(t.Context(), q)
	if err != nil {
		t.Fatalf("orderKeys: %v", err)
	}
	q.Keys = keys
	query, args := statementQuerySQL(q)
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v\n%s", err, query)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("scan plan: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("plan: %v", err)
	}
	return plan
}

func TestQueryPlansUseIndexes(t *testing.T) {
	s := openTemp(t)
	fillFixture(t, s, 500)
	agent := capture.KeyAgent("mbox:mailto:learner3@example.com")
	verb := capture.KeyVerb(benchVerbs[1])
	activity := capture.KeyActivity("http://example.com/activities/7")
	related := capture.KeyRelatedActivity("http://example.com/courses/2")
	since, until := benchT0.Add(10*time.Second), benchT0.Add(400*time.Second)
	cases := []struct {
		name string
		q    capture.StatementQuery
	}{
		{"agent", capture.StatementQuery{Keys: []string{agent}}},
		{"verb", capture.StatementQuery{Keys: []string{verb}}},
		{"activity", capture.StatementQuery{Keys: []string{activity}}},
		{"related activities", capture.StatementQuery{Keys: []string{related}}},
		{"agent and verb", capture.StatementQuery{Keys: []string{verb, agent}}},
		{"verb, activity, registration", capture.StatementQuery{Keys: []string{verb, activity, capture.KeyRegistration(regOf(3))}}},
		{"verb ascending with cursor", capture.StatementQuery{Keys: []string{verb}, Ascending: true, AfterSeq: 10, MaxSeq: 400}},
		{"agent since until", capture.StatementQuery{Keys: []string{agent}, Since: since, Until: until}},
		{"verb since ascending", capture.StatementQuery{Keys: []string{verb}, Since: since, Ascending: true}},
	}
	for _, c := range cases {
		c.q.Limit = 100
		plan := queryPlan(t, s, c.q)
		text := strings.Join(plan, "\n")
		usesKeyIndex := false
		for _, line := range plan {
			if strings.Contains(line, " k1 ") && (strings.Contains(line, "USING PRIMARY KEY") || strings.Contains(line, "USING INDEX") || strings.Contains(line, "USING COVERING INDEX")) {
				usesKeyIndex = true
			}
			if strings.HasPrefix(line, "SCAN") && line != "SCAN CONSTANT ROW" {
				t.Errorf("%s: plan scans a table: %q\n%s", c.name, line, text)
			}
			if strings.Contains(line, "TEMP B-TREE") {
				t.Errorf("%s: plan sorts: %q\n%s", c.name, line, text)
			}
		}
		if !usesKeyIndex {
			t.Errorf("%s: plan does not walk the key index:\n%s", c.name, text)
		}
		if testing.Verbose() {
			fmt.Printf("%s:\n  %s\n", c.name, strings.Join(plan, "\n  "))
		}
	}
}

func TestOrderKeysDrivesFromTheSparsestKey(t *testing.T) {
	s := openTemp(t)
	fillFixture(t, s, 2000)
	common, half := capture.KeyVerb(benchVerbs[0]), capture.KeyVerb(benchVerbs[1]) // 1 in 2, 1 in 4
	course := capture.KeyRelatedActivity("http://example.com/courses/3")           // 1 in 50
	unknown := capture.KeyAgent("mbox:mailto:nobody@example.com")
	cases := []struct {
		name  string
		q     capture.StatementQuery
		first string
	}{
		{"rare course before a common verb", capture.StatementQuery{Keys: []string{common, course}}, course},
		{"the rarer of two verbs", capture.StatementQuery{Keys: []string{common, half}}, half},
		{"ascending", capture.StatementQuery{Keys: []string{common, half}, Ascending: true}, half},
		{"an unknown key", capture.StatementQuery{Keys: []string{common, unknown, course}}, unknown},
		{"duplicates collapse", capture.StatementQuery{Keys: []string{course, course}}, course},
	}
	for _, c := range cases {
		keys, err := s.orderKeys(t.Context(), c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(keys) == 0 || keys[0] != c.first || len(keys) != len(slices.Compact(slices.Sorted(slices.Values(c.q.Keys)))) {
			t.Errorf("%s: orderKeys = %v, want %s first and no repeats", c.name, keys, c.first)
		}
	}
}
