package transfer_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/capture/transfer"
)

// newService returns a statement service over a fresh embedded store and a principal
// that may read and write everything.
func newService(t *testing.T) (*capture.StatementService, capture.Principal) {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "cairn.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: st})
	creds := capture.NewCredentialService(st, "https://cairn.example.com", nil)
	return svc, creds.SystemPrincipal("import", true)
}

type wantReport struct {
	Lines      int      `json:"lines"`
	Accepted   int      `json:"accepted"`
	Stored     []string `json:"stored"`
	Rejections []struct {
		Line   int    `json:"line"`
		ID     string `json:"id"`
		Reason string `json:"reason"` // a part of the reason
	} `json:"rejections"`
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exportIDs exports everything as NDJSON and returns the statement ids in order.
func exportIDs(t *testing.T, svc *capture.StatementService, p capture.Principal, f transfer.Filter) []string {
	t.Helper()
	var out bytes.Buffer
	n, err := transfer.Export(t.Context(), svc, p, f, transfer.NDJSON, &out, nil)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		var st struct{ ID string }
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		ids = append(ids, st.ID)
	}
	if n != len(ids) {
		t.Errorf("Export returned %d, wrote %d lines", n, len(ids))
	}
	return ids
}

func TestImport(t *testing.T) {
	input := readFixture(t, "import.ndjson")
	var want wantReport
	if err := json.Unmarshal(readFixture(t, "import.want.json"), &want); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 3, 500} {
		t.Run(fmt.Sprint("batch", batch), func(t *testing.T) {
			svc, p := newService(t)
			var progressed []int
			rep, err := transfer.Import(t.Context(), svc, bytes.NewReader(input), transfer.ImportOptions{Principal: p, BatchSize: batch}, func(r transfer.ImportReport) {
				progressed = append(progressed, r.Lines)
			})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if rep.Lines != want.Lines || rep.Accepted != want.Accepted || rep.Rejected != len(want.Rejections) {
				t.Errorf("report lines/accepted/rejected = %d/%d/%d, want %d/%d/%d", rep.Lines, rep.Accepted, rep.Rejected, want.Lines, want.Accepted, len(want.Rejections))
			}
			if len(rep.Rejections) != len(want.Rejections) {
				t.Fatalf("rejections = %+v, want %+v", rep.Rejections, want.Rejections)
			}
			for i, w := range want.Rejections {
				got := rep.Rejections[i]
				if got.Line != w.Line || got.ID != w.ID || !strings.Contains(got.Reason, w.Reason) {
					t.Errorf("rejection %d = %+v, want line %d id %q reason containing %q", i, got, w.Line, w.ID, w.Reason)
				}
			}
			if len(progressed) == 0 || progressed[len(progressed)-1] != want.Lines {
				t.Errorf("progress calls %v, want the last at %d lines", progressed, want.Lines)
			}
			if got := exportIDs(t, svc, p, transfer.Filter{}); strings.Join(got, ",") != strings.Join(want.Stored, ",") {
				t.Errorf("stored %v, want %v", got, want.Stored)
			}
			// A second run of the same file stores nothing new.
			again, err := transfer.Import(t.Context(), svc, bytes.NewReader(input), transfer.ImportOptions{Principal: p, BatchSize: batch}, nil)
			if err != nil || again.Accepted != want.Accepted || again.Rejected != len(want.Rejections) {
				t.Errorf("second import = %+v, %v; want the same counts", again, err)
			}
			if got := exportIDs(t, svc, p, transfer.Filter{}); len(got) != len(want.Stored) {
				t.Errorf("after a second import %d statements, want %d", len(got), len(want.Stored))
			}
		})
	}
}

func TestImportLineLimit(t *testing.T) {
	svc, p := newService(t)
	good := strings.SplitN(string(readFixture(t, "import.ndjson")), "\n", 2)[0]
	long := `{"id":"` + strings.Repeat("x", 4000) + `"}`
	input := long + "\n" + good + "\n" + long // the last line has no newline
	rep, err := transfer.Import(t.Context(), svc, strings.NewReader(input), transfer.ImportOptions{Principal: p, MaxLine: len(good)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 3 || rep.Accepted != 1 || rep.Rejected != 2 || rep.Rejections[0].Line != 1 || rep.Rejections[1].Line != 3 ||
		!strings.Contains(rep.Rejections[0].Reason, "longer than") {
		t.Errorf("report = %+v; want lines 1 and 3 rejected as too long, line 2 stored", rep)
	}
}

func TestExportFilters(t *testing.T) {
	svc, p := newService(t)
	if _, err := transfer.Import(t.Context(), svc, bytes.NewReader(readFixture(t, "import.ndjson")), transfer.ImportOptions{Principal: p}, nil); err != nil {
		t.Fatal(err)
	}
	completed := "http://adlnet.gov/expapi/verbs/completed"
	_, learner1, err := capture.ParseAgentJSON(`{"mbox":"mailto:learner1@example.com"}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter transfer.Filter
		want   string
	}{
		{"all", transfer.Filter{}, "1,2,4,5"},
		{"verb", transfer.Filter{Params: capture.StatementParams{VerbID: completed}}, "2"},
		{"platform", transfer.Filter{Platform: "Slack"}, "1,4"},
		{"agent and platform", transfer.Filter{Params: capture.StatementParams{AgentKey: learner1}, Platform: "Slack"}, "1,4"},
		{"nothing", transfer.Filter{Platform: "Nowhere"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var short []string
			for _, id := range exportIDs(t, svc, p, tt.filter) {
				short = append(short, strings.TrimLeft(id[len(id)-12:], "0"))
			}
			if got := strings.Join(short, ","); got != tt.want {
				t.Errorf("exported %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExportCSV(t *testing.T) {
	svc, p := newService(t)
	if _, err := transfer.Import(t.Context(), svc, bytes.NewReader(readFixture(t, "import.ndjson")), transfer.ImportOptions{Principal: p}, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n, err := transfer.Export(t.Context(), svc, p, transfer.Filter{}, transfer.CSV, &out, nil)
	if err != nil || n != 4 {
		t.Fatalf("Export = %d, %v; want 4 rows", n, err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0], ",") != strings.Join(transfer.CSVHeader, ",") {
		t.Fatalf("rows = %d, header %v", len(rows), rows[0])
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	second := rows[2]
	for name, want := range map[string]string{
		"id":                  "00000000-0000-4000-8000-000000000002",
		"actor":               "mailto:learner2@example.com",
		"verb":                "http://adlnet.gov/expapi/verbs/completed",
		"verb_display":        "completed",
		"object_type":         "Activity",
		"object_name":         "Article 2",
		"activity_type":       "http://activitystrea.ms/article",
		"result_success":      "true",
		"result_score_scaled": "0.75",
		"result_duration":     "PT5M",
	} {
		if got := second[col[name]]; got != want {
			t.Errorf("row 2 %s = %q, want %q", name, got, want)
		}
	}
	if got := rows[3][col["actor_name"]]; got != `'=HYPERLINK("http://evil")` {
		t.Errorf("formula name exported as %q, want it defused with a leading apostrophe", got)
	}
}

func TestParseFormat(t *testing.T) {
	for in, ok := range map[string]bool{"ndjson": true, "csv": true, "json": false, "": false} {
		if _, err := transfer.ParseFormat(in); (err == nil) != ok {
			t.Errorf("ParseFormat(%q) error = %v", in, err)
		}
	}
}

// Rewrite changes each selected statement before it is written, in both formats; the
// filter still selects on the stored statement.
func TestExportRewrite(t *testing.T) {
	svc, p := newService(t)
	if _, err := transfer.Import(t.Context(), svc, bytes.NewReader(readFixture(t, "import.ndjson")), transfer.ImportOptions{Principal: p}, nil); err != nil {
		t.Fatal(err)
	}
	_, learner1, err := capture.ParseAgentJSON(`{"mbox":"mailto:learner1@example.com"}`)
	if err != nil {
		t.Fatal(err)
	}
	hide := func(st map[string]any) {
		st["actor"] = map[string]any{"account": map[string]any{"homePage": "https://cairn.example.com", "name": "p1"}}
	}
	f := transfer.Filter{Params: capture.StatementParams{AgentKey: learner1}, Rewrite: hide}
	for _, format := range []transfer.Format{transfer.NDJSON, transfer.CSV} {
		var out bytes.Buffer
		n, err := transfer.Export(t.Context(), svc, p, f, format, &out, nil)
		if err != nil || n != 2 {
			t.Fatalf("%s export: %d, %v; want 2", format, n, err)
		}
		if strings.Contains(out.String(), "learner1") || strings.Count(out.String(), "https://cairn.example.com") < 2 {
			t.Errorf("%s export not rewritten:\n%s", format, out.String())
		}
	}
}
