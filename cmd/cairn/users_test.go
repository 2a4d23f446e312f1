package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

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
