package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/qa"
)

var generatedPassword = regexp.MustCompile(`(?m)^password: (\S+)$`)

func TestUsersCreate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cairn.db")
	env := map[string]string{"CAIRN_STORE": "sqlite:" + db, "CAIRN_LOG_LEVEL": "warn"}
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("  a file password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, env, "users", "create", "--email", "Admin@Example.com", "--name", "First Admin", "--admin")
	m := generatedPassword.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("users create --admin: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, env, "users", "create", "--email", "mo@example.com", "--name", "Mo", "--password-file", pwFile,
		"--agent-home-page", "https://sso.example.com")
	if code != 0 || generatedPassword.MatchString(out) {
		t.Fatalf("users create --password-file: %d\n%s\n%s", code, out, errOut)
	}
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"users", "create", "--email", "admin@example.com", "--name", "Again"}, 1},
		{[]string{"users", "create", "--email", "not-an-email", "--name", "X"}, 2},
		{[]string{"users", "create", "--name", "X"}, 2},
		{[]string{"users", "create", "--email", "x@example.com", "--name", "X", "--password-file", filepath.Join(dir, "missing")}, 2},
		{[]string{"users"}, 2},
	}
	for _, c := range cases {
		if code, _, errOut := runCLI(t, env, c.args...); code != c.code {
			t.Errorf("%v: status %d, want %d (%s)", c.args, code, c.code, errOut)
		}
	}

	st, err := sqlitestore.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := qa.NewService(qa.Config{Store: st})
	admin, _, _, err := svc.SignIn(t.Context(), "admin@example.com", m[1], "cli-test")
	if err != nil || admin.Role != qa.RoleAdmin || admin.Agent["mbox"] != "mailto:admin@example.com" {
		t.Fatalf("sign in with the generated password: %+v, %v", admin, err)
	}
	mo, _, _, err := svc.SignIn(t.Context(), "mo@example.com", "a file password", "cli-test")
	if err != nil || mo.Role != qa.RoleMember {
		t.Fatalf("sign in with the file password: %+v, %v", mo, err)
	}
	if acc, _ := mo.Agent["account"].(map[string]any); acc["homePage"] != "https://sso.example.com" || acc["name"] != "mo@example.com" {
		t.Errorf("account agent = %v", mo.Agent)
	}
}

func TestUsersTeams(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cairn.db")
	env := map[string]string{"CAIRN_STORE": "sqlite:" + db, "CAIRN_LOG_LEVEL": "warn"}
	if code, out, errOut := runCLI(t, env, "users", "create", "--email", "ana@example.com", "--name", "Ana", "--team", " Sales "); code != 0 {
		t.Fatalf("users create --team: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, env, "users", "create", "--email", "bo@example.com", "--name", "Bo"); code != 0 {
		t.Fatalf("users create: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, env, "users", "set-team", "--email", "BO@example.com", "--team", "Support")
	if code != 0 || !strings.Contains(out, `Bo <bo@example.com> is in team "Support" now.`) || !strings.Contains(out, "cairn reports rebuild") {
		t.Fatalf("users set-team: %d\n%s\n%s", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"users", "set-team", "--email", "nobody@example.com", "--team", "X"}, 1},
		{[]string{"users", "set-team", "--team", "X"}, 2},
		{[]string{"users", "set-team", "--email", "bo@example.com", "--team", strings.Repeat("x", qa.MaxTeam+1)}, 2},
		{[]string{"users", "create", "--email", "cy@example.com", "--name", "Cy", "--team", strings.Repeat("x", qa.MaxTeam+1)}, 2},
	} {
		if code, _, errOut := runCLI(t, env, c.args...); code != c.code {
			t.Errorf("%v: status %d, want %d (%s)", c.args[:3], code, c.code, errOut)
		}
	}
	st, err := sqlitestore.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]string{"ana@example.com": "Sales", "bo@example.com": "Support"}
	for email, team := range want {
		if p, err := st.PersonByEmail(t.Context(), email); err != nil || p.Team != team {
			t.Errorf("%s: team %q, %v; want %q", email, p.Team, err, team)
		}
	}
	if _, err := st.PersonByEmail(t.Context(), "cy@example.com"); err == nil {
		t.Error("a refused --team still created the person")
	}
}

func TestTeamDirectory(t *testing.T) {
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := qa.NewService(qa.Config{Store: st})
	ana, err := svc.CreatePersonInTeam(t.Context(), "ana@example.com", "Ana", "a long password", qa.RoleMember, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	d := newTeamDirectory(st, slog.New(slog.DiscardHandler))
	d.now = func() time.Time { return now }
	key, _ := capture.AgentKeyOf(map[string]any{"mbox": "mailto:ana@example.com"})
	if got := d.TeamOf(key); got != "Sales" {
		t.Fatalf("TeamOf(ana) = %q, want Sales", got)
	}
	if got := d.TeamOf("mbox:mailto:nobody@example.com"); got != "" {
		t.Fatalf("TeamOf(unknown) = %q", got)
	}
	// A change in the store shows after teamsMaxAge, or at once after Forget (the console).
	if err := svc.Admin().SetTeam(t.Context(), ana.ID, "Support"); err != nil {
		t.Fatal(err)
	}
	if got := d.TeamOf(key); got != "Sales" {
		t.Fatalf("TeamOf within the cache age = %q, want the cached Sales", got)
	}
	now = now.Add(teamsMaxAge + time.Second)
	if got := d.TeamOf(key); got != "Support" {
		t.Fatalf("TeamOf after the cache age = %q, want Support", got)
	}
	cp := consolePeople{svc.Admin(), d}
	if err := cp.SetTeam(t.Context(), ana.ID, "Ops"); err != nil {
		t.Fatal(err)
	}
	if got := d.TeamOf(key); got != "Ops" {
		t.Fatalf("TeamOf after a console change = %q, want Ops", got)
	}
}
