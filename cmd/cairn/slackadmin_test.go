package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestSlackAdminCommands(t *testing.T) {
	vars := map[string]string{"CAIRN_STORE": "sqlite:" + filepath.Join(t.TempDir(), "cairn.db")}
	code, out, errOut := runCLI(t, vars, "slack", "links")
	if code != 0 || !strings.Contains(out, "No Slack users linked yet") {
		t.Fatalf("empty links: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, vars, "slack", "link", "--team", "T0ACME", "--user", "U0ADA", "--email", "Ada@Example.com")
	if code != 0 || !strings.Contains(out, "recorded as ada@example.com") {
		t.Fatalf("link: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, vars, "slack", "links", "--json")
	var links []linkJSON
	if code != 0 || json.Unmarshal([]byte(out), &links) != nil || len(links) != 1 {
		t.Fatalf("links --json: %d %s", code, out)
	}
	var agent map[string]any
	json.Unmarshal(links[0].Agent, &agent)
	if links[0].User != "U0ADA" || links[0].Source != "admin" || agent["mbox"] != "mailto:ada@example.com" {
		t.Fatalf("link %+v agent %v", links[0], agent)
	}
	if code, _, errOut = runCLI(t, vars, "slack", "link", "--team", "T0ACME", "--user", "U0ADA", "--email", "nope"); code != exitUsage || !strings.Contains(errOut, "email") {
		t.Fatalf("bad email: %d %q", code, errOut)
	}

	for _, args := range [][]string{
		{"slack", "channel", "--channel", "C0LEARN", "--learning"},
		{"slack", "channel", "--channel", "C0GO", "--tag", "#Go"},
		{"slack", "channel", "--channel", "C0OLD", "--tag", "old"},
		{"slack", "channel", "--channel", "C0OLD", "--tag", "old", "--remove"},
	} {
		if code, _, errOut := runCLI(t, vars, args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
	}
	code, out, _ = runCLI(t, vars, "slack", "channels")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[1], "C0GO") || !strings.Contains(lines[1], "go") || !strings.HasPrefix(lines[2], "C0LEARN") {
		t.Fatalf("channels: %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"slack", "channel", "--channel", "#general", "--learning"},
		{"slack", "channel", "--channel", "C0X"},
		{"slack", "channel", "--channel", "C0X", "--learning", "--tag", "go"},
	} {
		if code, _, _ := runCLI(t, vars, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, exitUsage)
		}
	}
}
