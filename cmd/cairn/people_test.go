package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
)

// TestPeopleErase erases a person from the command line: refused without
// confirmation, done with --yes, a repeat reports zero, the audit list shows both and
// names no one; pseudonymised exports carry no identifier or name.
func TestPeopleErase(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CAIRN_STORE": "sqlite:" + filepath.Join(dir, "c.db"), "CAIRN_LOG_LEVEL": "warn",
		"CAIRN_PSEUDONYM_KEY": "a pseudonym key, long enough", "CAIRN_BASE_URL": "https://cairn.example.org"}
	if code, _, errOut := runCLI(t, env, "statements", "import", filepath.Join("testdata", "erase.ndjson")); code != 0 {
		t.Fatalf("import: status %d, %s", code, errOut)
	}

	// Pseudonymised export: no identifier or name of anyone, in both formats.
	for _, format := range []string{"ndjson", "csv"} {
		code, out, errOut := runCLI(t, env, "statements", "export", "--pseudonymise", "--format", format)
		if code != 0 || strings.Count(out, "\n") < 3 {
			t.Fatalf("pseudonymised %s export: status %d, %q, %s", format, code, out, errOut)
		}
		for _, personal := range []string{"erin@example.org", "Erin Gone", "finn@example.org", "Finn Stays"} {
			if strings.Contains(out, personal) {
				t.Errorf("pseudonymised %s export holds %q", format, personal)
			}
		}
		if !strings.Contains(out, "https://cairn.example.org") {
			t.Errorf("pseudonymised %s export has no pseudonymous account: %s", format, out)
		}
	}
	if code, _, errOut := runCLI(t, map[string]string{"CAIRN_STORE": env["CAIRN_STORE"]}, "statements", "export", "--pseudonymise"); code != 2 || !strings.Contains(errOut, "pseudonym-key") {
		t.Errorf("pseudonymised export without a key: status %d, %q; want 2 naming --pseudonym-key", code, errOut)
	}

	agent := `{"mbox":"mailto:erin@example.org"}`
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"people", "erase", "--by", "Dana", "--reason", "r"}, "--agent"},
		{[]string{"people", "erase", "--agent", `{"mbox":"erin"}`, "--by", "Dana", "--reason", "r"}, "mbox"},
		{[]string{"people", "erase", "--agent", agent, "--reason", "r"}, "requestedBy"},
	} {
		if code, _, errOut := runCLI(t, env, c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: status %d, %q; want 2 naming %s", c.args, code, errOut, c.want)
		}
	}
	// The person's browser extension is connected: erasure revokes its credential.
	code, out, errOut := runCLI(t, env, "extension", "connect-code", "--email", "erin@example.org", "--json")
	var issued struct{ Code string }
	if err := json.Unmarshal([]byte(out), &issued); code != 0 || err != nil || issued.Code == "" {
		t.Fatalf("connect-code: status %d, %q, %s", code, out, errOut)
	}
	extKey := redeemCode(t, env["CAIRN_STORE"], issued.Code)

	// Without --yes and without an answer nothing happens.
	code, _, errOut = runCLI(t, env, "people", "erase", "--agent", agent, "--by", "Dana", "--reason", "ticket 9")
	if code != 1 || !strings.Contains(errOut, "nothing was erased") || !strings.Contains(errOut, "2 statements name them") {
		t.Errorf("erase without confirmation: status %d, %q", code, errOut)
	}
	var rec struct {
		StatementsDeleted, StatementsAnonymised int
	}
	code, out, errOut = runCLI(t, env, "people", "erase", "--agent", agent, "--by", "Dana", "--reason", "ticket 9 for erin@example.org", "--yes", "--json")
	if err := json.Unmarshal([]byte(out), &rec); err != nil || code != 0 || rec.StatementsDeleted != 1 || rec.StatementsAnonymised != 1 {
		t.Fatalf("erase: status %d, %+v (%v), stderr %s", code, rec, err, errOut)
	}
	if _, out, _ := runCLI(t, env, "credentials", "list", "--json"); !strings.Contains(out, `"key": "`+extKey+`"`) || strings.Contains(out, `"revoked": null`) {
		t.Errorf("after erasure the person's extension credential is not revoked:\n%s", out)
	}
	code, out, _ = runCLI(t, env, "people", "erase", "--agent", agent, "--by", "Dana", "--reason", "again", "--yes")
	if code != 0 || !strings.Contains(out, "nothing of this person was stored") {
		t.Errorf("repeat erase: status %d, %q", code, out)
	}
	code, out, _ = runCLI(t, env, "statements", "export")
	if code != 0 || strings.Count(out, "\n") != 2 || strings.Contains(out, "erin") || strings.Contains(out, "Erin") {
		t.Errorf("export after erasure: status %d, %q", code, out)
	}
	code, out, _ = runCLI(t, env, "people", "erasures", "--json")
	var list []struct{ RequestedBy, Reason, PersonHash string }
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list) != 2 || list[1].RequestedBy != "Dana" ||
		list[1].PersonHash == "" || strings.Contains(out, "erin") {
		t.Errorf("erasures --json: status %d, %s (%v)", code, out, err)
	}
	code, out, _ = runCLI(t, env, "people", "erasures")
	if code != 0 || !strings.Contains(out, "REQUESTED BY") || strings.Count(out, "Dana") != 2 {
		t.Errorf("erasures: status %d, %q", code, out)
	}
}

// The console's pseudonymiser: keyed by the pseudonym key (stable), a random key in
// privacy mode without one, none otherwise.
func TestConsolePseudonymizer(t *testing.T) {
	log := newLogger(io.Discard, config.Common{})
	apply := func(p func(map[string]any)) string {
		st := map[string]any{"actor": map[string]any{"mbox": "mailto:ivy@example.org", "name": "Ivy"}}
		p(st)
		b, _ := json.Marshal(st)
		return string(b)
	}
	keyed := config.Serve{PseudonymKey: "a pseudonym key, long enough", BaseURL: "https://cairn.example.org"}
	a, b := apply(consolePseudonymizer(keyed, log)), apply(consolePseudonymizer(keyed, log))
	if a != b || strings.Contains(a, "ivy@") || !strings.Contains(a, "https://cairn.example.org") {
		t.Errorf("keyed pseudonyms %s and %s: want one stable pseudonym", a, b)
	}
	private := config.Serve{ReportPrivacy: true, BaseURL: "https://cairn.example.org"}
	if p := consolePseudonymizer(private, log); p == nil || strings.Contains(apply(p), "ivy@") {
		t.Error("privacy mode without a key has no pseudonymiser")
	}
	if p := consolePseudonymizer(config.Serve{}, log); p != nil {
		t.Error("a pseudonymiser without key or privacy mode")
	}
}

// redeemCode exchanges a connect code for a personal credential on the store at
// storeURL ("sqlite:PATH") and returns its key.
func redeemCode(t *testing.T, storeURL, code string) string {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), strings.TrimPrefix(storeURL, "sqlite:"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cred, _, err := capture.NewCredentialService(st, "", nil).RedeemConnectCode(t.Context(), code, "Browser extension", []string{capture.ScopeStatementsWrite})
	if err != nil {
		t.Fatal(err)
	}
	return cred.Key
}
