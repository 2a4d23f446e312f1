package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatementsImportExport imports a file with good and bad lines, then exports
// what was stored in both formats and with a filter, on the embedded store.
func TestStatementsImportExport(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CAIRN_STORE": "sqlite:" + filepath.Join(dir, "c.db"), "CAIRN_LOG_LEVEL": "warn"}

	code, out, errOut := runCLI(t, env, "statements", "import", "--json", filepath.Join("testdata", "import.ndjson"))
	var rep struct {
		Lines, Accepted, Rejected int
		Rejections                []struct{ Line int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("import --json output %q: %v (stderr %s)", out, err, errOut)
	}
	if code != 1 || rep.Lines != 11 || rep.Accepted != 5 || rep.Rejected != 5 || !strings.Contains(errOut, "some lines were rejected") {
		t.Errorf("import: status %d, report %+v, stderr %q; want status 1, 11 lines, 5 accepted, 5 rejected", code, rep, errOut)
	}

	code, out, errOut = runCLI(t, env, "statements", "import", "--batch", "0", "x")
	if code != 2 || !strings.Contains(errOut, "--batch") {
		t.Errorf("import --batch 0: status %d, stderr %q", code, errOut)
	}

	csvFile := filepath.Join(dir, "out.csv")
	code, _, errOut = runCLI(t, env, "statements", "export", "--format", "csv", "--output", csvFile)
	if code != 0 {
		t.Fatalf("export csv: status %d, stderr %s", code, errOut)
	}
	f, err := os.Open(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 5 || rows[0][0] != "id" {
		t.Errorf("csv export: %d rows, %v; want a header and 4 rows", len(rows), err)
	}

	code, out, errOut = runCLI(t, env, "statements", "export", "--platform", "Slack", "--verb", "http://adlnet.gov/expapi/verbs/experienced")
	if lines := strings.Count(out, "\n"); code != 0 || lines != 2 {
		t.Errorf("filtered export: status %d, %d lines, stderr %s; want 2", code, lines, errOut)
	}

	code, out, errOut = runCLI(t, env, "reports", "rebuild", "--timezone", "Europe/Berlin")
	if code != 0 || !strings.Contains(out, "rebuilt from 4 statements") || !strings.Contains(out, "Europe/Berlin") {
		t.Errorf("reports rebuild: status %d, stdout %q, stderr %s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, env, "reports", "rebuild", "--timezone", "Nowhere/Else")
	if code != 2 || !strings.Contains(errOut, "unknown time zone") {
		t.Errorf("reports rebuild with a bad zone: status %d, stderr %q", code, errOut)
	}

	code, _, errOut = runCLI(t, env, "statements", "export", "--verb", "not an iri")
	if code != 2 || !strings.Contains(errOut, "verb") {
		t.Errorf("export with a bad verb: status %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, env, "statements", "export", "--format", "xml")
	if code != 2 || !strings.Contains(errOut, "ndjson or csv") {
		t.Errorf("export --format xml: status %d, stderr %q", code, errOut)
	}
}
