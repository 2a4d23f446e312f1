package capture

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// invalidFixture is one file of testdata/statements/invalid: a statement and the
// substring its validation error must contain.
type invalidFixture struct {
	Error     string          `json:"error"`
	Statement json.RawMessage `json:"statement"`
}

func fixtureFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "statements", dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in testdata/statements/%s", dir)
	}
	return files
}

func decodeOne(t *testing.T, body []byte) Statement {
	t.Helper()
	stmts, batch, err := DecodeStatements(body)
	if err != nil {
		t.Fatalf("DecodeStatements: %v", err)
	}
	if batch || len(stmts) != 1 {
		t.Fatalf("DecodeStatements: got batch=%v len=%d, want one statement", batch, len(stmts))
	}
	return stmts[0]
}

func TestValidateStatementValidFixtures(t *testing.T) {
	files := fixtureFiles(t, "valid")
	if len(files) < 15 {
		t.Fatalf("only %d valid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := decodeOne(t, body)
			if err := ValidateStatement(s); err != nil {
				t.Fatalf("ValidateStatement: %v", err)
			}
			// What was validated and normalised re-marshals, re-validates and keeps its hash.
			raw, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			again := decodeOne(t, raw)
			if err := ValidateStatement(again); err != nil {
				t.Fatalf("re-validate: %v", err)
			}
			if StatementHash(s) != StatementHash(again) {
				t.Fatal("hash changed after a round trip")
			}
			if len(MatchKeys(s)) == 0 {
				t.Fatal("no match keys")
			}
		})
	}
}

func TestValidateStatementInvalidFixtures(t *testing.T) {
	files := fixtureFiles(t, "invalid")
	if len(files) < 60 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var fx invalidFixture
			if err := json.Unmarshal(body, &fx); err != nil {
				t.Fatal(err)
			}
			if fx.Error == "" || len(fx.Statement) == 0 {
				t.Fatal("fixture needs error and statement")
			}
			s := decodeOne(t, fx.Statement)
			err = ValidateStatement(s)
			if err == nil {
				t.Fatalf("ValidateStatement accepted it; want error containing %q", fx.Error)
			}
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("code %q, want invalid", ErrorCode(err))
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, fx.Error) {
				t.Fatalf("message %q does not contain %q", msg, fx.Error)
			}
		})
	}
}

func TestValidateStatementNormalises(t *testing.T) {
	body := `{
	  "id": "7A1F3C2E-9B4D-4E8F-A1B2-C3D4E5F60718",
	  "actor": {"mbox": "mailto:ada@example.org"},
	  "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
	  "object": {"objectType": "SubStatement",
	    "actor": {"mbox": "mailto:ada@example.org"},
	    "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
	    "object": {"objectType": "StatementRef", "id": "5E6F7A8B-9C0D-4E1F-A2B3-C4D5E6F7A8B9"},
	    "context": {"registration": "0F8A2B6C-1D3E-4F5A-8B7C-9D0E1F2A3B4C",
	      "contextActivities": {"parent": {"id": "http://example.org/p"}}}},
	  "context": {"registration": "0F8A2B6C-1D3E-4F5A-8B7C-9D0E1F2A3B4C",
	    "statement": {"objectType": "StatementRef", "id": "5E6F7A8B-9C0D-4E1F-A2B3-C4D5E6F7A8B9"},
	    "contextActivities": {"category": {"id": "http://example.org/c"}, "other": [{"id": "http://example.org/o"}]}}
	}`
	s := decodeOne(t, []byte(body))
	if err := ValidateStatement(s); err != nil {
		t.Fatal(err)
	}
	got := canonicalJSON(s)
	for _, want := range []string{
		`"id":"7a1f3c2e-9b4d-4e8f-a1b2-c3d4e5f60718"`,
		`"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c"`,
		`"id":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"`,
		`"category":[{"id":"http://example.org/c"}]`,
		`"parent":[{"id":"http://example.org/p"}]`,
		`"other":[{"id":"http://example.org/o"}]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("normalised statement lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "0F8A2B6C") || strings.Contains(got, "5E6F7A8B") {
		t.Errorf("upper-case UUID left in %s", got)
	}
}

func TestDecodeStatements(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		n       int
		batch   bool
		wantErr string
	}{
		{"one statement", `{"actor":{}}`, 1, false, ""},
		{"batch", `[{"a":1},{"b":2}]`, 2, true, ""},
		{"empty batch", `[]`, 0, true, ""},
		{"whitespace around", " \n{\"a\":1}\t ", 1, false, ""},
		{"duplicate key", `{"actor":{},"actor":{}}`, 0, false, "actor: duplicate key"},
		{"nested duplicate key", `{"actor":{"mbox":"a","mbox":"b"}}`, 0, false, "actor.mbox: duplicate key"},
		{"duplicate key in batch", `[{"a":1},{"verb":{"id":1,"id":2}}]`, 0, true, "[1].verb.id: duplicate key"},
		{"trailing data", `{"a":1}{"b":2}`, 0, false, "unexpected data after"},
		{"trailing comma", `{"a":1,}`, 0, false, "malformed JSON"},
		{"truncated", `{"a":`, 0, false, ""},
		{"empty body", ``, 0, false, ""},
		{"number", `42`, 0, false, "must be a statement object or an array"},
		{"string", `"x"`, 0, false, "must be a statement object or an array"},
		{"null", `null`, 0, false, "must be a statement object or an array"},
		{"array of non-objects", `[{"a":1},3]`, 0, true, "[1]: a statement must be a JSON object"},
		{"invalid utf-8", "{\"a\":\"\xff\"}", 0, false, "UTF-8"},
		{"single quotes", `{'a':1}`, 0, false, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts, _, err := DecodeStatements([]byte(tt.body))
			wantFail := tt.wantErr != "" || tt.name == "truncated" || tt.name == "empty body"
			if wantFail {
				if err == nil {
					t.Fatalf("accepted %q", tt.body)
				}
				if ErrorCode(err) != CodeInvalid {
					t.Fatalf("code %q", ErrorCode(err))
				}
				if !strings.Contains(ErrorMessage(err), tt.wantErr) {
					t.Fatalf("message %q lacks %q", ErrorMessage(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(stmts) != tt.n {
				t.Fatalf("got %d statements, want %d", len(stmts), tt.n)
			}
		})
	}
}

func TestDecodeStatementsKeepsNumbers(t *testing.T) {
	s := decodeOne(t, []byte(`{"result":{"score":{"raw":12.125,"min":0.12123434,"max":1e2}}}`))
	score := s["result"].(map[string]any)["score"].(map[string]any)
	for k, want := range map[string]string{"raw": "12.125", "min": "0.12123434", "max": "1e2"} {
		n, ok := score[k].(json.Number)
		if !ok || string(n) != want {
			t.Errorf("%s = %#v, want json.Number %s", k, score[k], want)
		}
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"min":0.12123434`) {
		t.Errorf("number not kept exactly: %s", raw)
	}
}

func TestValidateStatementBatchOfFixtures(t *testing.T) {
	// A batch body decodes into statements that validate one by one.
	var parts []string
	for _, f := range fixtureFiles(t, "valid")[:3] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, string(b))
	}
	stmts, batch, err := DecodeStatements([]byte("[" + strings.Join(parts, ",") + "]"))
	if err != nil || !batch || len(stmts) != 3 {
		t.Fatalf("batch decode: %v %v %d", err, batch, len(stmts))
	}
	for i, s := range stmts {
		if err := ValidateStatement(s); err != nil {
			t.Errorf("statement %d: %v", i, err)
		}
	}
}
