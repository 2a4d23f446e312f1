package slack

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// listUnder returns the "- item" entries (comments stripped) that follow the line
// ending in key, until the indentation drops.
func listUnder(text, key string) []string {
	var out []string
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != key {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		for _, m := range lines[i+1:] {
			trimmed := strings.TrimSpace(m)
			if len(m)-len(strings.TrimLeft(m, " ")) <= indent || !strings.HasPrefix(trimmed, "- ") {
				break
			}
			item, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "- "), "#")
			out = append(out, strings.TrimSpace(item))
		}
	}
	return out
}

// TestManifest checks that the manifest asks for exactly the scopes and events the
// app uses and points at the three routes.
func TestManifest(t *testing.T) {
	raw, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	scopes := listUnder(text, "bot:")
	slices.Sort(scopes)
	want := []string{"app_mentions:read", "channels:history", "chat:write", "commands", "groups:history", "users:read", "users:read.email"}
	if !slices.Equal(scopes, want) {
		t.Errorf("bot scopes %v, want exactly %v", scopes, want)
	}
	events := listUnder(text, "bot_events:")
	slices.Sort(events)
	if !slices.Equal(events, []string{"app_mention", "message.channels", "message.groups"}) {
		t.Errorf("bot events %v", events)
	}
	for _, cmd := range []string{"/learned", "/ask", "/cairn"} {
		if !strings.Contains(text, "command: "+cmd+"\n      url: https://cairn.example.com/integrations/slack/commands") {
			t.Errorf("command %s does not post to /integrations/slack/commands", cmd)
		}
	}
	for _, u := range []string{"request_url: https://cairn.example.com/integrations/slack/events", "request_url: https://cairn.example.com/integrations/slack/interactive"} {
		if !strings.Contains(text, u) {
			t.Errorf("manifest lacks %q", u)
		}
	}
}
