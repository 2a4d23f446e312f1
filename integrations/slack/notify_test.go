package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

func TestDeliver(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	for _, c := range []workspace.Channel{
		{ChannelID: "CGO", Role: workspace.RoleTag, Tag: "go"},
		{ChannelID: "CBACKEND", Role: workspace.RoleTag, Tag: "go"},
		{ChannelID: "COPS", Role: workspace.RoleTag, Tag: "ops"},
	} {
		if err := h.store.PutSlackChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	q := Notification{QuestionID: "q9", QuestionTitle: "Why does go vet flag this?", QuestionURL: baseURL + "/q/q9", ActorName: "Ada"}

	n := q
	n.Kind, n.Tag = NewQuestionInTag, "go"
	if err := h.app.Deliver(ctx, n); err != nil {
		t.Fatal(err)
	}
	posts := h.slack.snapshot("chat.postMessage")
	if len(posts) != 2 || posts[0].Values.Get("channel") != "CBACKEND" || posts[1].Values.Get("channel") != "CGO" {
		t.Fatalf("new question posted to %+v, want CBACKEND and CGO", posts)
	}
	if buttonValue(posts[0], ActionAnswer) != "q9" {
		t.Fatalf("no Answer button for q9 in %s", posts[0].Values.Get("blocks"))
	}
	n.Tag = "rust" // followed by no channel
	if err := h.app.Deliver(ctx, n); err != nil || len(h.slack.snapshot("chat.postMessage")) != 2 {
		t.Fatalf("unfollowed tag: %v", err)
	}

	h.slack.users["U3"] = slack.User{ID: "U3", Name: "cy", Profile: slack.UserProfile{Email: "cy@example.com"}}
	n = q
	n.Kind, n.RecipientEmail, n.AnswerURL = NewAnswer, "cy@example.com", baseURL+"/q/q9#a2"
	if err := h.app.Deliver(ctx, n); err != nil {
		t.Fatal(err)
	}
	lookups := h.slack.snapshot("users.lookupByEmail")
	dm := h.slack.snapshot("chat.postMessage")[2]
	if len(lookups) != 1 || dm.Values.Get("channel") != "U3" || !strings.Contains(dm.Values.Get("text"), "Ada answered your question") ||
		!strings.Contains(dm.Values.Get("text"), baseURL+"/q/q9#a2") {
		t.Fatalf("answer DM %v after lookups %v", dm.Values, lookups)
	}

	n.Kind, n.RecipientEmail, n.RecipientSlackID = AnswerAccepted, "", "U2"
	if err := h.app.Deliver(ctx, n); err != nil {
		t.Fatal(err)
	}
	dm = h.slack.snapshot("chat.postMessage")[3]
	if dm.Values.Get("channel") != "U2" || !strings.Contains(dm.Values.Get("text"), "Ada accepted your answer") {
		t.Fatalf("accept DM %v", dm.Values)
	}
	if len(h.slack.snapshot("users.lookupByEmail")) != 1 {
		t.Fatal("a known Slack id was looked up by email")
	}

	bad := []struct {
		name string
		n    Notification
		code capture.Code
	}{
		{"unknown kind", Notification{Kind: "poke", QuestionTitle: "x", QuestionURL: "u"}, capture.CodeInvalid},
		{"no title", Notification{Kind: NewAnswer, RecipientSlackID: "U2"}, capture.CodeInvalid},
		{"no tag", Notification{Kind: NewQuestionInTag, QuestionID: "q", QuestionTitle: "x", QuestionURL: "u"}, capture.CodeInvalid},
		{"no recipient", Notification{Kind: NewAnswer, QuestionTitle: "x", QuestionURL: "u"}, capture.CodeInvalid},
		{"recipient not on Slack", Notification{Kind: NewAnswer, QuestionTitle: "x", QuestionURL: "u", RecipientEmail: "ghost@example.com"}, capture.CodeNotFound},
	}
	for _, b := range bad {
		if err := h.app.Deliver(ctx, b.n); capture.ErrorCode(err) != b.code {
			t.Errorf("%s: err %v, want %s", b.name, err, b.code)
		}
	}
}

func TestDigestWithFakeClock(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	if err := h.store.PutSlackChannel(ctx, workspace.Channel{ChannelID: "CGO", Role: workspace.RoleTag, Tag: "go"}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.PutSlackChannel(ctx, workspace.Channel{ChannelID: "CRUST", Role: workspace.RoleTag, Tag: "rust"}); err != nil {
		t.Fatal(err)
	}
	h.questions.top = map[string][]QuestionSummary{
		"":   {{ID: "q1", Title: "How do we deploy?", URL: baseURL + "/q/q1", Votes: 5, Answers: 2}},
		"go": {{ID: "q2", Title: "Generics or interfaces?", URL: baseURL + "/q/q2", Votes: 3, Answers: 1}},
	}
	h.questions.open = map[string][]QuestionSummary{"": {{ID: "q3", Title: "Who owns billing?", URL: baseURL + "/q/q3"}}}

	// Reads stored at controlled times: one before the digest week, three in it.
	read := func(at time.Time, user, text string) {
		h.clock.Set(at)
		n := len(h.slack.snapshot("response"))
		h.command(t, h.commandForm("/learned", user, text))
		h.slack.waitFor(t, "response", n+1)
	}
	runAt := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC) // Monday 09:00
	read(runAt.Add(-8*24*time.Hour), "U1", "read https://example.com/old-news")
	read(runAt.Add(-3*24*time.Hour), "U1", "read https://go.dev/blog/loopvar")
	read(runAt.Add(-2*24*time.Hour), "U2", "read https://go.dev/blog/loopvar")
	read(runAt.Add(-1*24*time.Hour), "U2", "read https://sqlite.org/wal.html")
	before := len(h.slack.snapshot("chat.postMessage"))

	if err := h.app.RunDigest(ctx, runAt); err != nil {
		t.Fatal(err)
	}
	posts := h.slack.snapshot("chat.postMessage")[before:]
	byChannel := map[string]string{}
	for _, p := range posts {
		byChannel[p.Values.Get("channel")] = p.Values.Get("blocks")
	}
	if len(posts) != 3 || byChannel["CASK"] == "" || byChannel["CGO"] == "" || byChannel["CRUST"] == "" {
		t.Fatalf("digest posted to %v, want CASK, CGO and CRUST once each", byChannel)
	}
	ask := byChannel["CASK"]
	for _, want := range []string{"Weekly digest, 2 Mar – 9 Mar 2026", "How do we deploy?", "5 votes, 2 answers", "Who owns billing?",
		"Fixing For Loops in Go 1.22", "read 2×", "sqlite.org/wal.html", "read 1×"} {
		if !strings.Contains(ask, want) {
			t.Errorf("ask-channel digest lacks %q:\n%s", want, ask)
		}
	}
	if strings.Contains(ask, "old-news") {
		t.Errorf("digest counts a read from before the week")
	}
	if !strings.Contains(byChannel["CGO"], "Generics or interfaces?") || strings.Contains(byChannel["CGO"], "How do we deploy?") {
		t.Errorf("#go digest: %s", byChannel["CGO"])
	}
	if !strings.Contains(byChannel["CRUST"], "#rust") {
		t.Errorf("#rust digest: %s", byChannel["CRUST"])
	}
	for _, c := range h.questions.topCalls {
		if !c.Since.Equal(runAt.Add(-7*24*time.Hour)) || !c.Until.Equal(runAt) || c.Limit != digestItems {
			t.Errorf("TopQuestions(%+v), want the week before %v", c, runAt)
		}
	}
	if len(h.questions.topCalls) != 3 || h.questions.topCalls[1].Tag != "go" {
		t.Errorf("TopQuestions calls %+v", h.questions.topCalls)
	}
}

func TestDigestQuietWeekPostsNothing(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Questions = nil })
	if err := h.app.RunDigest(t.Context(), t0); err != nil {
		t.Fatal(err)
	}
	if n := len(h.slack.snapshot("chat.postMessage")); n != 0 {
		t.Fatalf("%d posts for an empty week", n)
	}
}
