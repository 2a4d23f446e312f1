// Package reportstest is the contract suite of reports.Store adapters: it writes a
// fixture of statements through a real statement service on the adapter, rolls them
// up and compares every report with figures computed by hand.
package reportstest

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
)

//go:embed testdata/statements.ndjson
var fixture []byte

// Stores is what an adapter under test provides.
type Stores interface {
	capture.StatementStore
	reports.Store
}

// Open returns a fresh, empty store.
type Open func(t *testing.T) Stores

// teams puts p1–p3 in red and p4–p6 in blue.
func teamOf(actor string) string {
	for i := 1; i <= 6; i++ {
		if actor == fmt.Sprintf("mbox:mailto:p%d@example.com", i) || strings.Contains(actor, fmt.Sprintf(":p%d@", i)) {
			if i <= 3 {
				return "red"
			}
			return "blue"
		}
	}
	return ""
}

var (
	weekA = day(2026, 11, 16)
	weekB = day(2026, 11, 23)
)

func day(y int, m time.Month, d int) reports.Day {
	return reports.DayOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC), time.UTC)
}

// load writes the fixture (and one statement from a partner) through a statement
// service, then rolls everything up in batches of batch statements.
func load(t *testing.T, s Stores, zone *time.Location, batch int) *reports.Rollup {
	t.Helper()
	ctx := t.Context()
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: s})
	creds := capture.NewCredentialService(nil, "https://cairn.example.com", nil)
	p := creds.SystemPrincipal("test", false)
	sc := bufio.NewScanner(bytes.NewReader(fixture))
	for sc.Scan() {
		stmts, _, err := capture.DecodeStatements(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Write(ctx, capture.WriteRequest{Statements: stmts, Principal: p}); err != nil {
			t.Fatalf("write fixture: %v", err)
		}
	}
	partner, _, _ := capture.DecodeStatements([]byte(`{"id":"00000000-0000-4000-8000-000000000012","actor":{"mbox":"mailto:p5@example.com"},
"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://lms.example.com/course/2"},"timestamp":"2026-11-25T12:00:00Z"}`))
	if _, err := svc.Write(ctx, capture.WriteRequest{Statements: partner, Principal: p, Origin: "partner-a"}); err != nil {
		t.Fatal(err)
	}
	r := &reports.Rollup{Feed: s, Store: s, Zone: zone, TeamOf: teamOf, Batch: batch}
	n, err := r.CatchUp(ctx)
	if err != nil || n != 12 {
		t.Fatalf("CatchUp = %d, %v; want 12 statements", n, err)
	}
	if n, err := r.Step(ctx); err != nil || n != 0 {
		t.Fatalf("Step when current = %d, %v; want 0", n, err)
	}
	return r
}

// Run runs the suite against stores from open.
func Run(t *testing.T, open Open) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	for _, batch := range []int{2, 1000} {
		t.Run(fmt.Sprintf("Figures/batch%d", batch), func(t *testing.T) { testFigures(t, open(t), berlin, batch) })
	}
	t.Run("Privacy", func(t *testing.T) { testPrivacy(t, open(t), berlin) })
	t.Run("ZoneChangeRebuilds", func(t *testing.T) { testZone(t, open(t), berlin) })
	t.Run("VoidedAhead", func(t *testing.T) { testVoidedAhead(t, open(t)) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, open(t)) })
}

func newReports(s Stores, zone *time.Location, k int) *reports.Reports {
	return &reports.Reports{Store: s, Zone: zone, Privacy: reports.Privacy{Aggregate: k > 0, K: k}}
}

// cells renders an activity report as "week source=statements ... learners=n" lines.
func cells(rep reports.ActivityReport) string {
	var b strings.Builder
	for i, w := range rep.Weeks {
		fmt.Fprintf(&b, "%s", w)
		for _, s := range reports.Sources {
			if n := rep.Statements[s][i]; n != 0 {
				fmt.Fprintf(&b, " %s=%d", s, n)
			}
		}
		fmt.Fprintf(&b, " learners=%d\n", rep.Learners[i])
	}
	return b.String()
}

func tops(t *testing.T, r *reports.Reports, kind reports.Kind) string {
	t.Helper()
	items, err := r.Top(t.Context(), kind, 10)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("%s:%d/%d", it.ID[strings.LastIndex(it.ID, "/")+1:], it.Statements, it.Learners))
	}
	return strings.Join(parts, ",")
}

func testFigures(t *testing.T, s Stores, berlin *time.Location, batch int) {
	load(t, s, berlin, batch)
	r := newReports(s, berlin, 0)
	p := reports.Period{From: weekA, To: weekB}
	rep, err := r.Activity(t.Context(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	// By hand: week A holds reads 1, 2, 4 (3 is voided) and the video play 5, by
	// p1–p4 (p3 stays counted as a learner: learner counts never shrink). Question 6
	// was asked 23:30 UTC on Sunday, 00:30 on Monday in Berlin: week B.
	want := "2026-11-16 extension=4 learners=4\n2026-11-23 qa=2 extension=1 slack=1 xapi=1 partner=1 learners=5\n"
	if got := cells(rep); got != want || rep.Suppressed != 0 {
		t.Errorf("activity:\n%s(suppressed %d)\nwant:\n%s", got, rep.Suppressed, want)
	}
	red, err := r.Activity(t.Context(), p, "red")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cells(red), "2026-11-16 extension=3 learners=3\n2026-11-23 qa=2 learners=2\n"; got != want {
		t.Errorf("red team activity:\n%swant:\n%s", got, want)
	}
	for _, tt := range []struct {
		kind reports.Kind
		want string
	}{
		{reports.KindArticle, "x:3/3,y:1/1"},
		{reports.KindVideo, "v:1/1"},
		{reports.KindQuestion, "1:1/1"},
	} {
		if got := tops(t, r, tt.kind); got != tt.want {
			t.Errorf("top %q = %q, want %q", tt.kind, got, tt.want)
		}
	}
	bySource, people, err := s.Totals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// By hand: 4 extension statements in week A and 1 in week B; people p1–p6.
	if got := fmt.Sprint(bySource); got != "map[extension:5 partner:1 qa:2 slack:1 xapi:1]" || people != 6 {
		t.Errorf("totals = %s, %d people; want map[extension:5 partner:1 qa:2 slack:1 xapi:1], 6 people", got, people)
	}
	teams, err := r.Teams(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(teams); got != "[{blue 5 3} {red 5 3}]" {
		t.Errorf("teams = %s, want [{blue 5 3} {red 5 3}]", got)
	}
}

func testPrivacy(t *testing.T, s Stores, berlin *time.Location) {
	load(t, s, berlin, 1000)
	p := reports.Period{From: weekA, To: weekB}
	for _, tt := range []struct {
		k          int
		activity   string
		suppressed int
		articles   string
		videos     string
		teams      string
	}{
		// Week B's sources each stand for one or two people: all five cells go.
		{3, "2026-11-16 extension=4 learners=4\n2026-11-23 learners=5\n", 5, "x:3/3", "", "[{blue 5 3} {red 5 3}]"},
		{4, "2026-11-16 extension=4 learners=4\n2026-11-23 learners=5\n", 5, "", "", "[]"},
		{6, "2026-11-16 learners=0\n2026-11-23 learners=0\n", 8, "", "", "[]"},
	} {
		t.Run(fmt.Sprint("k", tt.k), func(t *testing.T) {
			r := newReports(s, berlin, tt.k)
			rep, err := r.Activity(t.Context(), p, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := cells(rep); got != tt.activity || rep.Suppressed != tt.suppressed || rep.MinGroup != tt.k {
				t.Errorf("activity:\n%s(suppressed %d, min %d)\nwant:\n%s(suppressed %d)", got, rep.Suppressed, rep.MinGroup, tt.activity, tt.suppressed)
			}
			if got := tops(t, r, reports.KindArticle); got != tt.articles {
				t.Errorf("articles = %q, want %q", got, tt.articles)
			}
			if got := tops(t, r, reports.KindVideo); got != tt.videos {
				t.Errorf("videos = %q, want %q", got, tt.videos)
			}
			teams, err := r.Teams(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(teams); got != tt.teams {
				t.Errorf("teams = %s, want %s", got, tt.teams)
			}
		})
	}
}

func testZone(t *testing.T, s Stores, berlin *time.Location) {
	r := load(t, s, berlin, 1000)
	r.Zone = time.UTC
	if _, err := r.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	if through, zone, err := s.RollupState(t.Context()); err != nil || through != 12 || zone != "UTC" {
		t.Fatalf("state after the zone change = %d %q %v; want 12 UTC", through, zone, err)
	}
	rep, err := newReports(s, time.UTC, 0).Activity(t.Context(), reports.Period{From: weekA, To: weekB}, "")
	if err != nil {
		t.Fatal(err)
	}
	// In UTC the question of Sunday 23:30 belongs to week A, and its asker p1 is no
	// longer among week B's learners.
	want := "2026-11-16 qa=1 extension=4 learners=4\n2026-11-23 qa=1 extension=1 slack=1 xapi=1 partner=1 learners=4\n"
	if got := cells(rep); got != want {
		t.Errorf("activity in UTC:\n%swant:\n%s", got, want)
	}
}

// testVoidedAhead voids a statement before it arrives: it must never count.
func testVoidedAhead(t *testing.T, s Stores) {
	ctx := t.Context()
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: s})
	p := capture.NewCredentialService(nil, "https://cairn.example.com", nil).SystemPrincipal("test", false)
	write := func(js string) {
		stmts, _, err := capture.DecodeStatements([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Write(ctx, capture.WriteRequest{Statements: stmts, Principal: p}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(n int, who string) string {
		return fmt.Sprintf(`{"id":"00000000-0000-4000-8000-%012d","actor":{"mbox":"mailto:%s@example.com"},"verb":{"id":"https://w3id.org/xapi/adb/verbs/read"},
"object":{"id":"https://news.example.com/z","definition":{"type":"http://activitystrea.ms/article"}},"timestamp":"2026-11-17T10:00:00Z"}`, n, who)
	}
	write(read(1, "p1"))
	write(`{"actor":{"mbox":"mailto:admin@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"00000000-0000-4000-8000-000000000002"}}`)
	r := &reports.Rollup{Feed: s, Store: s, Batch: 1}
	if _, err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	write(read(2, "p2")) // arrives voided
	write(read(3, "p3"))
	if _, err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tops(t, newReports(s, time.UTC, 0), reports.KindArticle); got != "z:2/2" {
		t.Errorf("articles = %q, want z:2/2 (statement 2 was voided before it arrived)", got)
	}
	if left, err := s.VoidedAhead(ctx, []string{"00000000-0000-4000-8000-000000000002"}); err != nil || len(left) != 0 {
		t.Errorf("voided-ahead marks left: %v, %v", left, err)
	}
}

func testConflict(t *testing.T, s Stores) {
	ctx := context.Background()
	if err := s.ApplyRollup(ctx, reports.Batch{After: 0, Through: 5}, "UTC"); err != nil {
		t.Fatal(err)
	}
	err := s.ApplyRollup(ctx, reports.Batch{After: 0, Through: 7, Facts: []reports.Fact{{Week: weekA, Source: reports.SourceXAPI, Sign: 1}}}, "UTC")
	if capture.ErrorCode(err) != capture.CodeConflict {
		t.Errorf("ApplyRollup from a stale position = %v, want conflict", err)
	}
	if through, _, _ := s.RollupState(ctx); through != 5 {
		t.Errorf("position = %d after a refused batch, want 5", through)
	}
	if cells, _ := s.WeeklyActivity(ctx, weekA, weekA, ""); len(cells) != 0 {
		t.Errorf("a refused batch left figures: %v", cells)
	}
	if err := s.ResetRollups(ctx); err != nil {
		t.Fatal(err)
	}
	if through, zone, err := s.RollupState(ctx); through != 0 || zone != "" || err != nil {
		t.Errorf("after reset: %d %q %v", through, zone, err)
	}
}
