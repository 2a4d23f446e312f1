package admin_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/capture/reports/reportstest"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/web/admin"
)

// BenchmarkReportPages fills an embedded store with CAIRN_BENCH_STATEMENTS statements
// (default 100,000; docs/PERFORMANCE.md uses 1,000,000) and a hub of
// CAIRN_BENCH_HUB=QUESTIONS:ANSWERS (default 10000:50000; docs/PERFORMANCE.md uses
// 100000:500000), rolls the statements up with teams, and reports the server time
// p50/p95 of each console page that reads the figures (the report pages with the
// hub's most helpful answerers and unanswered questions).
func BenchmarkReportPages(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CAIRN_BENCH_STATEMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	nq, na := 10_000, 50_000
	if v := os.Getenv("CAIRN_BENCH_HUB"); v != "" {
		if _, err := fmt.Sscanf(v, "%d:%d", &nq, &na); err != nil || nq < 10 {
			b.Fatalf("CAIRN_BENCH_HUB=%q: want QUESTIONS:ANSWERS", v)
		}
	}
	path := filepath.Join(b.TempDir(), "c.db")
	start := time.Now()
	fillHub(b, path, nq, na)
	b.Logf("hub of %d questions and %d answers stored in %s", nq, na, time.Since(start).Round(time.Second))
	st, err := sqlitestore.Open(b.Context(), path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start = time.Now()
	reportstest.Fill(b, st, n)
	filled := time.Since(start)
	teamOf := func(actor string) string { return "team " + strconv.Itoa(len(actor)%7) }
	start = time.Now()
	if _, err := (&reports.Rollup{Feed: st, Store: st, TeamOf: teamOf, Batch: 5000}).CatchUp(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d statements: stored in %s, rolled up in %s", n, filled.Round(time.Second), time.Since(start).Round(time.Second))
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: st})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	hubSvc := qa.NewService(qa.Config{Store: st})
	// The hub's two lists alone, as the report page reads them.
	b.Run("hub-lists", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			t0 := time.Now()
			top, err := hubSvc.TopAnswerers(b.Context(), 10)
			if err != nil || len(top) != 10 {
				b.Fatalf("TopAnswerers: %d, %v", len(top), err)
			}
			if _, err := hubSvc.OldestUnanswered(b.Context(), 10); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	})
	now := func() time.Time { return time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC) }
	admin.Mount(app, admin.Config{
		Access: testAccess{}, Statements: svc, Credentials: capture.NewCredentialService(st, "https://cairn.example.com", nil),
		Reports: &reports.Reports{Store: st, ActivityByID: svc.Activity, Now: now},
		Hub:     hubSvc,
		Status: func(ctx context.Context) (admin.Status, error) {
			n, size, err := st.Stats(ctx)
			return admin.Status{Statements: n, StoreBytes: size}, err
		},
	})
	pages := []struct{ name, path string }{
		{"reports-12-weeks", "/admin/reports"},
		{"reports-52-weeks", "/admin/reports?weeks=52"},
		{"reports-team", "/admin/reports?weeks=52&team=team+3"},
		{"status", "/admin/"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				req := httptest.NewRequest("GET", p.path, nil)
				req.Header.Set("X-Admin", "yes")
				t0 := time.Now()
				resp, err := app.Test(req, -1)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != 200 {
					b.Fatalf("%s: %d", p.path, resp.StatusCode)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
