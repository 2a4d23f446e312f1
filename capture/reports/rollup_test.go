package reports_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
)

// TestRunCatchesUpAndStops writes statements while Run is woken after each write,
// then checks that Run includes every statement once writes stop, and returns when
// its context ends.
func TestRunCatchesUpAndStops(t *testing.T) {
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wake := make(chan struct{}, 1)
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: st, Committed: func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}})
	p := capture.NewCredentialService(st, "https://cairn.example.com", nil).SystemPrincipal("test", false)
	r := &reports.Rollup{Feed: st, Store: st, Batch: 7}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		r.Run(ctx, time.Hour, wake)
		close(done)
	}()
	const n = 120
	for i := range n {
		stmts, _, err := capture.DecodeStatements([]byte(fmt.Sprintf(`{"actor":{"mbox":"mailto:p%d@example.com"},
"verb":{"id":"https://w3id.org/xapi/adb/verbs/read"},"object":{"id":"https://news.example.com/%d","definition":{"type":"http://activitystrea.ms/article"}}}`, i%9, i%4)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Write(ctx, capture.WriteRequest{Statements: stmts, Principal: p}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		through, _, err := st.RollupState(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if through == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rolled up through %d of %d statements", through, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	top, err := (&reports.Reports{Store: st}).Top(t.Context(), reports.KindArticle, 10)
	if err != nil {
		t.Fatal(err)
	}
	var statements int64
	for _, it := range top {
		statements += it.Statements
	}
	if len(top) != 4 || statements != n || top[0].Learners != 9 {
		t.Errorf("top articles %+v: want 4 articles, %d statements in all, 9 readers of the first", top, n)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestDayWeek(t *testing.T) {
	for _, tt := range []struct{ date, monday string }{
		{"2026-11-23", "2026-11-23"}, {"2026-11-29", "2026-11-23"}, {"2026-11-30", "2026-11-30"}, {"1970-01-01", "1969-12-29"}, {"2027-01-01", "2026-12-28"},
	} {
		d, _ := time.Parse("2006-01-02", tt.date)
		if got := reports.DayOf(d, time.UTC).Week().String(); got != tt.monday {
			t.Errorf("week of %s = %s, want %s", tt.date, got, tt.monday)
		}
	}
}

func TestSourceAndKind(t *testing.T) {
	for _, tt := range []struct {
		platform, origin string
		want             reports.Source
	}{
		{"Cairn Q&A", "", reports.SourceQA}, {"Slack", "", reports.SourceSlack}, {"Browser extension", "", reports.SourceExtension},
		{"Moodle", "", reports.SourceXAPI}, {"", "", reports.SourceXAPI}, {"Slack", "partner-a", reports.SourcePartner},
	} {
		if got := reports.SourceOf(tt.platform, tt.origin); got != tt.want {
			t.Errorf("SourceOf(%q, %q) = %q, want %q", tt.platform, tt.origin, got, tt.want)
		}
	}
	for typ, want := range map[string]reports.Kind{
		"http://activitystrea.ms/article": reports.KindArticle, "https://w3id.org/xapi/video/activity-type/video": reports.KindVideo,
		"http://adlnet.gov/expapi/activities/question": reports.KindQuestion, "http://adlnet.gov/expapi/activities/course": reports.KindOther,
	} {
		if got := reports.KindOf(typ); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", typ, got, want)
		}
	}
}
