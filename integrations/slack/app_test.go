package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// endpoint is one of the three request kinds with its fixture folder.
type endpoint struct {
	name   string
	dir    string
	handle func(a *App) func(context.Context, string, string, []byte) (string, []byte, error)
}

var endpoints = []endpoint{
	{"commands", "commands", func(a *App) func(context.Context, string, string, []byte) (string, []byte, error) { return a.Command }},
	{"events", "events", func(a *App) func(context.Context, string, string, []byte) (string, []byte, error) { return a.Event }},
	{"interactions", "interactions", func(a *App) func(context.Context, string, string, []byte) (string, []byte, error) {
		return a.Interaction
	}},
}

// body returns the request body of a fixture as Slack sends it.
func (h *harness) body(t *testing.T, dir, name string) []byte {
	raw := h.fixture(t, filepath.Join(dir, name))
	if dir == "interactions" {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return []byte("payload=" + string(raw)) // malformed fixtures stay malformed
		}
		return interactionForm(json.RawMessage(raw))
	}
	return raw
}

func fixtureNames(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestUnsignedRequestsRecordNothing sends every fixture unsigned, badly signed, stale
// and replayed: each is refused as unauthorized and nothing reaches Slack or the LRS.
func TestUnsignedRequestsRecordNothing(t *testing.T) {
	for _, ep := range endpoints {
		for _, name := range fixtureNames(t, ep.dir) {
			t.Run(ep.name+"/"+name, func(t *testing.T) {
				h := newHarness(t, func(c *Config) { c.LearningChannels = []string{"CLEARN"} })
				handle := ep.handle(h.app)
				body := h.body(t, ep.dir, name)
				now := h.clock.Now()
				stamp := strconv.FormatInt(now.Unix(), 10)
				stale := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
				bad := []struct{ what, ts, sig string }{
					{"unsigned", "", ""},
					{"no timestamp", "", SignatureHeader(testSecret, stamp, body)},
					{"wrong secret", stamp, SignatureHeader("not-the-secret", stamp, body)},
					{"signed other body", stamp, SignatureHeader(testSecret, stamp, append(body, ' '))},
					{"stale", stale, SignatureHeader(testSecret, stale, body)},
				}
				for _, b := range bad {
					if _, _, err := handle(t.Context(), b.ts, b.sig, body); capture.ErrorCode(err) != capture.CodeUnauthorized {
						t.Fatalf("%s: err %v, want unauthorized", b.what, err)
					}
				}
				h.drain(t)
				if calls := h.slack.snapshot(""); len(calls) != 0 {
					t.Fatalf("refused requests reached Slack: %+v", calls)
				}
				if st := h.statementsOf(t, capture.StatementParams{}); len(st) != 0 {
					t.Fatalf("refused requests stored %d statements", len(st))
				}
			})
		}
	}
}

// TestReplaysAreRefused accepts a signed request once and refuses the same request again.
func TestReplaysAreRefused(t *testing.T) {
	for _, ep := range endpoints {
		for _, name := range fixtureNames(t, ep.dir) {
			t.Run(ep.name+"/"+name, func(t *testing.T) {
				h := newHarness(t, func(c *Config) { c.LearningChannels = []string{"CLEARN"} })
				handle := ep.handle(h.app)
				body := h.body(t, ep.dir, name)
				ts, sig := h.signed(body)
				_, _, first := handle(t.Context(), ts, sig, body)
				if c := capture.ErrorCode(first); c == capture.CodeUnauthorized {
					t.Fatalf("first delivery refused: %v", first)
				}
				h.drain(t)
				calls, stmts := len(h.slack.snapshot("")), len(h.statementsOf(t, capture.StatementParams{}))
				h.clock.Set(h.clock.Now().Add(2 * time.Minute))
				if _, _, err := handle(t.Context(), ts, sig, body); capture.ErrorCode(err) != capture.CodeUnauthorized {
					t.Fatalf("replay: err %v, want unauthorized", err)
				}
				if c, s := len(h.slack.snapshot("")), len(h.statementsOf(t, capture.StatementParams{})); c != calls || s != stmts {
					t.Fatalf("replay changed things: calls %d→%d, statements %d→%d", calls, c, stmts, s)
				}
			})
		}
	}
}

func TestMalformedPayloads(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name string
		ep   int
		body []byte
	}{
		{"command: not a form", 0, []byte("team_id=%zz&command=/learned")},
		{"command: no user", 0, []byte("team_id=T0ACME&command=%2Flearned&text=x")},
		{"command: empty", 0, []byte("")},
		{"event: truncated JSON", 1, h.fixture(t, "events/malformed.json")},
		{"event: no type", 1, h.fixture(t, "events/no_type.json")},
		{"event: callback without event", 1, []byte(`{"type":"event_callback","team_id":"T0ACME","event_id":"Ev9"}`)},
		{"event: url_verification without challenge", 1, []byte(`{"type":"url_verification"}`)},
		{"event: not an object", 1, []byte(`[1,2]`)},
		{"interaction: no payload", 2, []byte("foo=bar")},
		{"interaction: payload not JSON", 2, h.body(t, "interactions", "malformed.json")},
		{"interaction: no team", 2, h.body(t, "interactions", "no_team.json")},
		{"interaction: not a form", 2, []byte("payload=%zz")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, sig := h.signed(c.body)
			_, _, err := endpoints[c.ep].handle(h.app)(t.Context(), ts, sig, c.body)
			if capture.ErrorCode(err) != capture.CodeInvalid || capture.ErrorMessage(err) == "" {
				t.Fatalf("err %v, want invalid with a message", err)
			}
		})
	}
	h.drain(t)
	if calls := h.slack.snapshot(""); len(calls) != 0 {
		t.Fatalf("malformed requests reached Slack: %+v", calls)
	}
}

// buttonValue returns the value of the button with actionID in a posted message.
func buttonValue(c call, actionID string) string {
	blocks, _ := c.JSON["blocks"].([]any)
	if c.JSON == nil {
		_ = json.Unmarshal([]byte(c.Values.Get("blocks")), &blocks)
	}
	for _, b := range blocks {
		elems, _ := b.(map[string]any)["elements"].([]any)
		for _, e := range elems {
			m, _ := e.(map[string]any)
			if m["action_id"] == actionID {
				s, _ := m["value"].(string)
				return s
			}
		}
	}
	return ""
}

func TestLearnedRecordsEachKind(t *testing.T) {
	cases := []struct {
		fixture, verb, typ, objectID, name, reply string
		tags                                      []string
	}{
		{"learned_read.form", VerbRead, TypeArticle, "https://go.dev/blog/loopvar", "Fixing For Loops in Go 1.22", "You read *Fixing For Loops in Go 1.22*", []string{"go"}},
		{"learned_watched.form", VerbCompleted, TypeVideo, "https://www.youtube.com/watch?v=oV9rvDllKEg", "", "You watched <https://www.youtube.com/watch?v=oV9rvDllKEg>", []string{"talks"}},
		{"learned_attended.form", VerbAttended, TypeMeeting, baseURL + "/activities/event/gophercon-eu", "GopherCon EU", "You attended *GopherCon EU* on Fri 20 Feb 2026", []string{"conference"}},
		{"learned_completed.form", VerbCompleted, TypeCourse, baseURL + "/activities/course/intro-to-kubernetes", "Intro to Kubernetes", "You completed *Intro to Kubernetes*", []string{"k8s"}},
		{"learned_free.form", VerbExperienced, "", "", "that SQLite WAL mode needs shared memory", "You learned: *that SQLite WAL mode needs shared memory*", nil},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			h := newHarness(t)
			reply := h.command(t, h.fixture(t, "commands/"+c.fixture))
			if !strings.HasPrefix(reply, "Recording…") {
				t.Fatalf("immediate reply %q, want Recording…", reply)
			}
			resp := h.slack.waitFor(t, "response", 1)[0]
			if text, _ := resp.JSON["text"].(string); !strings.HasPrefix(text, c.reply) {
				t.Fatalf("response text %q, want prefix %q", text, c.reply)
			}
			if resp.JSON["replace_original"] != true || resp.JSON["response_type"] != "ephemeral" {
				t.Fatalf("response %v: want an ephemeral replacement", resp.JSON)
			}
			id := buttonValue(resp, ActionUndo)
			if id == "" {
				t.Fatalf("no Undo button in %v", resp.JSON)
			}
			res, err := h.statements.Read(t.Context(), capture.ReadRequest{Params: capture.StatementParams{StatementID: id}, Principal: h.principal})
			if err != nil {
				t.Fatalf("statement %s not in the LRS: %v", id, err)
			}
			var st map[string]any
			json.Unmarshal(res.Statement, &st)
			checks := map[string]any{
				"verb.id":                      c.verb,
				"actor.account.homePage":       teamURL,
				"actor.account.name":           "U1",
				"actor.name":                   "Ada Lovelace",
				"context.platform":             "Slack",
				"authority.account.name":       "slack-app",
				"object.definition.name.en-US": nilIfEmpty(c.name),
				"object.definition.type":       nilIfEmpty(c.typ),
			}
			if c.objectID != "" {
				checks["object.id"] = c.objectID
			}
			for p, want := range checks {
				if got := path(st, p); got != want {
					t.Errorf("%s = %v, want %v", p, got, want)
				}
			}
			ext, _ := path(st, "context.extensions").(map[string]any)
			tags, _ := ext[ExtTags].([]any)
			if len(tags) != len(c.tags) || (len(c.tags) > 0 && tags[0] != c.tags[0]) {
				t.Errorf("tags = %v, want %v", tags, c.tags)
			}
			if c.fixture == "learned_read.form" && path(st, "result.response") != "finally clear" {
				t.Errorf("note = %v", path(st, "result.response"))
			}
			if c.fixture == "learned_attended.form" && !strings.HasPrefix(path(st, "timestamp").(string), "2026-02-20T00:00:00") {
				t.Errorf("timestamp = %v, want the attended day", path(st, "timestamp"))
			}
		})
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestLearnedInvalidAnswersAtOnce(t *testing.T) {
	h := newHarness(t)
	reply := h.command(t, h.fixture(t, "commands/learned_invalid.form"))
	if !strings.Contains(reply, "takes a link") {
		t.Fatalf("reply %q", reply)
	}
	h.drain(t)
	if n := len(h.slack.snapshot("")); n != 0 {
		t.Fatalf("%d Slack calls for an invalid entry", n)
	}
	if st := h.statementsOf(t, capture.StatementParams{}); len(st) != 0 {
		t.Fatalf("invalid entry stored %d statements", len(st))
	}
}

func TestUndoVoidsOnlyYourOwn(t *testing.T) {
	h := newHarness(t)
	h.command(t, h.fixture(t, "commands/learned_read.form"))
	id := buttonValue(h.slack.waitFor(t, "response", 1)[0], ActionUndo)

	interact := func(fixture string) call {
		n := len(h.slack.snapshot("response"))
		raw := strings.ReplaceAll(string(h.fixture(t, "interactions/"+fixture)), "{{STATEMENT}}", id)
		body := interactionForm(json.RawMessage(raw))
		ts, sig := h.signed(body)
		if _, _, err := h.app.Interaction(t.Context(), ts, sig, body); err != nil {
			t.Fatalf("Interaction: %v", err)
		}
		return h.slack.waitFor(t, "response", n+1)[n]
	}

	// Bob (U2) cannot undo Ada's entry.
	resp := interact("undo_other_user.json")
	if text := resp.JSON["text"].(string); !strings.Contains(text, "only undo what you recorded") {
		t.Fatalf("other user's undo answered %q", text)
	}
	if _, err := h.statements.Read(t.Context(), capture.ReadRequest{Params: capture.StatementParams{StatementID: id}, Principal: h.principal}); err != nil {
		t.Fatalf("statement gone after another user's undo: %v", err)
	}

	resp = interact("undo.json")
	if text := resp.JSON["text"].(string); !strings.HasPrefix(text, "Undone") || resp.JSON["replace_original"] != true {
		t.Fatalf("undo answered %v", resp.JSON)
	}
	if _, err := h.statements.Read(t.Context(), capture.ReadRequest{Params: capture.StatementParams{StatementID: id}, Principal: h.principal}); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("voided statement still readable by statementId: %v", err)
	}
	if _, err := h.statements.Read(t.Context(), capture.ReadRequest{Params: capture.StatementParams{VoidedStatementID: id}, Principal: h.principal}); err != nil {
		t.Fatalf("voided statement not readable by voidedStatementId: %v", err)
	}
	voids := h.statementsOf(t, capture.StatementParams{VerbID: VerbVoided})
	if len(voids) != 1 || path(voids[0], "object.id") != id || path(voids[0], "actor.account.name") != "U1" {
		t.Fatalf("voiding statements %v", voids)
	}
	h.clock.Set(h.clock.Now().Add(time.Second)) // a new signature for the second click
	resp = interact("undo.json")
	if text := resp.JSON["text"].(string); !strings.Contains(text, "already undone") {
		t.Fatalf("second undo answered %q", text)
	}
	if voids := h.statementsOf(t, capture.StatementParams{VerbID: VerbVoided}); len(voids) != 1 {
		t.Fatalf("second undo wrote another voiding statement")
	}
}

func TestIdentityByVerifiedEmailAndAdminFix(t *testing.T) {
	h := newHarness(t)
	h.command(t, h.fixture(t, "commands/learned_read_hub_person.form"))
	h.slack.waitFor(t, "response", 1)
	st := h.statementsOf(t, capture.StatementParams{})
	if len(st) != 1 || path(st[0], "actor.mbox") != "mailto:bob@example.com" {
		t.Fatalf("actor of a hub person: %v", path(st[0], "actor"))
	}
	link, err := h.store.SlackLink(t.Context(), testTeam, "U2")
	if err != nil || link.PersonID != "p-bob" || link.Source != workspace.SourceEmail || link.Email != "bob@example.com" {
		t.Fatalf("stored link %+v, %v", link, err)
	}
	if infos := h.slack.snapshot("users.info"); len(infos) != 1 || infos[0].Values.Get("user") != "U2" || infos[0].Values.Get("token") != testToken {
		t.Fatalf("users.info calls %+v", infos)
	}
	// Ada has no hub person: her Slack account, and the link says so.
	who, err := h.app.Identify(t.Context(), testTeam, "U1")
	if err != nil || who.PersonID != "" || who.Source != workspace.SourceAccount {
		t.Fatalf("Identify(U1) = %+v, %v", who, err)
	}
	// Cached: no second users.info for Bob.
	if _, err := h.app.Identify(t.Context(), testTeam, "U2"); err != nil {
		t.Fatal(err)
	}
	if n := len(h.slack.snapshot("users.info")); n != 2 {
		t.Fatalf("users.info called %d times, want 2 (one per user)", n)
	}
	// The administrator links Ada to Bob's hub account (e.g. a shared address fixed later).
	if _, err := h.app.FixLink(t.Context(), testTeam, "U1", "Bob@Example.com"); err != nil {
		t.Fatal(err)
	}
	who, err = h.app.Identify(t.Context(), testTeam, "U1")
	if err != nil || who.PersonID != "p-bob" || who.Source != workspace.SourceAdmin {
		t.Fatalf("after FixLink: %+v, %v", who, err)
	}
	if _, err := h.app.FixLink(t.Context(), testTeam, "U1", "nobody@example.com"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("FixLink to an unknown email: %v, want not_found", err)
	}
	if _, err := h.app.FixLink(t.Context(), testTeam, "U1", "not-an-email"); capture.ErrorCode(err) != capture.CodeInvalid {
		t.Fatalf("FixLink to a non-email: %v, want invalid", err)
	}
	// An admin link survives the periodic re-resolution of account links.
	h.clock.Set(h.clock.Now().Add(48 * time.Hour))
	who, _ = h.app.Identify(t.Context(), testTeam, "U1")
	if who.Source != workspace.SourceAdmin {
		t.Fatalf("admin link replaced: %+v", who)
	}
	// The administrator removes the link to Bob: Ada is her Slack account again, and
	// re-resolution does not bring Bob back.
	if _, err := h.app.Unlink(t.Context(), testTeam, ""); capture.ErrorCode(err) != capture.CodeInvalid {
		t.Fatalf("Unlink without a user: %v, want invalid", err)
	}
	if _, err := h.app.Unlink(t.Context(), testTeam, "U1"); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(h.clock.Now().Add(48 * time.Hour))
	who, err = h.app.Identify(t.Context(), testTeam, "U1")
	if err != nil || who.PersonID != "" || who.Source != workspace.SourceAdmin || fmt.Sprint(who.Agent["account"]) != fmt.Sprint(map[string]any{"homePage": teamURL, "name": "U1"}) {
		t.Fatalf("after Unlink: %+v, %v", who, err)
	}
	link, err = h.store.SlackLink(t.Context(), testTeam, "U1")
	if err != nil || link.PersonID != "" || link.Email != "" {
		t.Fatalf("stored link after Unlink: %+v, %v", link, err)
	}
}

func TestAccountLinkRecheckedForNewHubMembers(t *testing.T) {
	people := fakePeople{}
	h := newHarness(t, func(c *Config) { c.People = people })
	if who, _ := h.app.Identify(t.Context(), testTeam, "U1"); who.Source != workspace.SourceAccount {
		t.Fatalf("first: %+v", who)
	}
	people["ada@example.com"] = Person{ID: "p-ada", Name: "Ada", Email: "ada@example.com"}
	h.clock.Set(h.clock.Now().Add(time.Hour))
	if who, _ := h.app.Identify(t.Context(), testTeam, "U1"); who.Source != workspace.SourceAccount {
		t.Fatalf("within a day the account link stays: %+v", who)
	}
	h.clock.Set(h.clock.Now().Add(25 * time.Hour))
	if who, _ := h.app.Identify(t.Context(), testTeam, "U1"); who.PersonID != "p-ada" {
		t.Fatalf("after a day the hub person is found: %+v", who)
	}
}

func TestAskPostsQuestionWithAnswerButton(t *testing.T) {
	h := newHarness(t)
	reply := h.command(t, h.fixture(t, "commands/ask.form"))
	if !strings.HasPrefix(reply, "Asking…") {
		t.Fatalf("reply %q", reply)
	}
	resp := h.slack.waitFor(t, "response", 1)[0]
	if text := resp.JSON["text"].(string); text != "Asked: <"+baseURL+"/q/q1|How do we rotate the staging DB password?>" {
		t.Fatalf("response %q", text)
	}
	asked, _ := h.questions.snapshot()
	want := askCall{"p-bob", "How do we rotate the staging DB password?", "Asking for the runbook.", []string{"ops", "security"}}
	if len(asked) != 1 || asked[0].Asker != want.Asker || asked[0].Title != want.Title || asked[0].Body != want.Body || !slices.Equal(asked[0].Tags, want.Tags) {
		t.Fatalf("hub asked %+v, want %+v", asked, want)
	}
	post := h.slack.waitFor(t, "chat.postMessage", 1)[0]
	if post.Values.Get("channel") != "CASK" || buttonValue(post, ActionAnswer) != "q1" {
		t.Fatalf("posted %v, want the question in CASK with an Answer button for q1", post.Values)
	}
	if !strings.Contains(post.Values.Get("blocks"), "asked by Bob Stone") {
		t.Fatalf("post blocks %s", post.Values.Get("blocks"))
	}
}

func TestAskWithoutHubAccount(t *testing.T) {
	h := newHarness(t)
	h.command(t, h.fixture(t, "commands/ask_no_hub_account.form"))
	resp := h.slack.waitFor(t, "response", 1)[0]
	if text := resp.JSON["text"].(string); !strings.Contains(text, "you need a Cairn Q&A account") {
		t.Fatalf("response %q", text)
	}
	h.drain(t)
	if asked, _ := h.questions.snapshot(); len(asked) != 0 {
		t.Fatalf("asked without an account: %+v", asked)
	}
	if n := len(h.slack.snapshot("chat.postMessage")); n != 0 {
		t.Fatalf("%d posts", n)
	}
}

func TestAskWithoutHub(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Questions = nil })
	if reply := h.command(t, h.fixture(t, "commands/ask.form")); !strings.Contains(reply, "not available") {
		t.Fatalf("reply %q", reply)
	}
}

func TestAnswerButtonModalAndSubmission(t *testing.T) {
	h := newHarness(t)
	send := func(fixture string) (string, []byte) {
		body := h.body(t, "interactions", fixture)
		ts, sig := h.signed(body)
		ct, reply, err := h.app.Interaction(t.Context(), ts, sig, body)
		if err != nil {
			t.Fatalf("%s: %v", fixture, err)
		}
		return ct, reply
	}
	if _, reply := send("answer_button.json"); len(reply) != 0 {
		t.Fatalf("button reply %s, want empty", reply)
	}
	// views.open is called before the handler returns (the trigger expires in 3 s).
	opens := h.slack.snapshot("views.open")
	if len(opens) != 1 || opens[0].JSON["trigger_id"] != "13345224609.8534564800.answerTrigger" ||
		path(opens[0].JSON, "view.callback_id") != CallbackAnswer || path(opens[0].JSON, "view.private_metadata") != "q7" {
		t.Fatalf("views.open calls %+v", opens)
	}
	if view := fmt.Sprint(opens[0].JSON["view"]); !strings.Contains(view, "*How do we rotate the staging DB password? &amp; why*") {
		t.Errorf("the modal does not show the question's title: %s", view)
	}
	_, reply := send("answer_submit_empty.json")
	var errs map[string]any
	json.Unmarshal(reply, &errs)
	if errs["response_action"] != "errors" || path(errs, "errors.answer") == nil {
		t.Fatalf("empty answer reply %s", reply)
	}
	if _, reply := send("answer_submit.json"); len(reply) != 0 {
		t.Fatalf("submission reply %s, want empty (closes the modal)", reply)
	}
	dm := h.slack.waitFor(t, "chat.postMessage", 1)[0]
	if dm.Values.Get("channel") != "U2" || !strings.Contains(dm.Values.Get("text"), baseURL+"/q/q7#a1") {
		t.Fatalf("DM %v", dm.Values)
	}
	_, answers := h.questions.snapshot()
	if len(answers) != 1 || answers[0] != (answerCall{"p-bob", "q7", "Use the vault CLI: `vault write db/rotate-root/staging`."}) {
		t.Fatalf("hub answers %+v", answers)
	}
}

func TestCairnHelpAndMe(t *testing.T) {
	h := newHarness(t)
	for _, f := range []string{"cairn_help.form", "cairn_empty.form"} {
		if reply := h.command(t, h.fixture(t, "commands/"+f)); !strings.Contains(reply, "/learned read <link>") {
			t.Fatalf("%s: %q", f, reply)
		}
	}
	// Ada's month: an entry last month (not counted), two reads of the same page and a
	// course earlier this month (1 March, before this week), a watch this week.
	record := func(at time.Time, text string) {
		h.clock.Set(at)
		n := len(h.slack.snapshot("response"))
		h.command(t, h.commandForm("/learned", "U1", text))
		h.slack.waitFor(t, "response", n+1)
	}
	record(time.Date(2026, 2, 27, 9, 0, 0, 0, time.UTC), "read https://example.com/old")
	record(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), "read https://go.dev/blog/loopvar")
	record(time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC), "completed Intro to Kubernetes")
	record(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), "read https://go.dev/blog/loopvar")
	record(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), "watched https://www.youtube.com/watch?v=x")
	h.clock.Set(t0)
	n := len(h.slack.snapshot("response"))
	if reply := h.command(t, h.fixture(t, "commands/cairn_me.form")); !strings.Contains(reply, "Looking up") {
		t.Fatalf("reply %q", reply)
	}
	text := h.slack.waitFor(t, "response", n+1)[n].JSON["text"].(string)
	for _, want := range []string{
		"This week: read 1, watched 1\n",
		"This month: read 2, watched 1, completed 1\n",
		"• Fixing For Loops in Go 1.22 (2)",
		"Recorded under your Slack account",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/cairn me says:\n%s\nwant it to contain %q", text, want)
		}
	}
}

func TestEvents(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.LearningChannels = []string{"CLEARN"} })
	send := func(name string) []byte {
		body := h.fixture(t, "events/"+name)
		ts, sig := h.signed(body)
		_, reply, err := h.app.Event(t.Context(), ts, sig, body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return reply
	}
	if reply := send("url_verification.json"); string(reply) != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
		t.Fatalf("url_verification reply %s", reply)
	}
	for _, f := range []string{"message_other_channel.json", "message_bot.json", "message_edited.json", "unknown_type.json", "message_links.json"} {
		send(f)
	}
	// Slack retries a delivery with a new signature but the same event id.
	h.clock.Set(h.clock.Now().Add(time.Second))
	send("message_links.json")
	send("app_mention.json")
	thread := h.slack.waitFor(t, "chat.postMessage", 1)[0]
	h.drain(t)

	shared := h.statementsOf(t, capture.StatementParams{VerbID: VerbShared})
	var links []string
	for _, s := range shared {
		if path(s, "actor.account.name") != "U1" || path(s, "object.definition.type") != TypeLink || path(s, "context.platform") != "Slack" {
			t.Errorf("shared statement %v", s)
		}
		links = append(links, path(s, "object.id").(string))
	}
	slices.Sort(links)
	if !slices.Equal(links, []string{"https://go.dev/blog/loopvar", "https://sqlite.org/wal.html"}) {
		t.Fatalf("shared links %v, want the two distinct links of the learning-channel message, once", links)
	}
	if all := h.statementsOf(t, capture.StatementParams{}); len(all) != 2 {
		t.Fatalf("%d statements, want only the 2 shared ones", len(all))
	}
	asked, _ := h.questions.snapshot()
	if len(asked) != 1 || asked[0].Asker != "p-bob" || asked[0].Title != "Which Postgres version runs in production?" || !slices.Equal(asked[0].Tags, []string{"databases"}) {
		t.Fatalf("app_mention asked %+v", asked)
	}
	if thread.Values.Get("channel") != "CGEN" || thread.Values.Get("thread_ts") != "1772618400.000500" || !strings.Contains(thread.Values.Get("text"), baseURL+"/q/q1") {
		t.Fatalf("thread reply %v", thread.Values)
	}
}

func TestLearningChannelFromWorkspaceStore(t *testing.T) {
	h := newHarness(t)
	if err := h.store.PutSlackChannel(t.Context(), workspace.Channel{ChannelID: "CLEARN", Role: workspace.RoleLearning}); err != nil {
		t.Fatal(err)
	}
	body := h.fixture(t, "events/message_links.json")
	ts, sig := h.signed(body)
	if _, _, err := h.app.Event(t.Context(), ts, sig, body); err != nil {
		t.Fatal(err)
	}
	h.drain(t)
	if n := len(h.statementsOf(t, capture.StatementParams{VerbID: VerbShared})); n != 2 {
		t.Fatalf("%d shared statements, want 2", n)
	}
}

func TestBackgroundQueueBoundedAndClosed(t *testing.T) {
	h := newHarness(t)
	h.drain(t)
	if reply := h.command(t, h.fixture(t, "commands/learned_read.form")); reply != busyText {
		t.Fatalf("after Close: %q, want the busy text", reply)
	}
	if err := h.app.Close(t.Context()); err != nil {
		t.Fatalf("repeat Close: %v", err)
	}
}

func TestIdentityWhenUsersInfoIsRefused(t *testing.T) {
	h := newHarness(t)
	who, err := h.app.Identify(t.Context(), testTeam, "U9UNKNOWN") // the fake answers user_not_found
	if err != nil {
		t.Fatal(err)
	}
	if who.Source != workspace.SourceAccount || path(who.Agent, "account.homePage") != teamURL || path(who.Agent, "account.name") != "U9UNKNOWN" {
		t.Fatalf("identity %+v, want the Slack account", who)
	}
}

func TestAppMentionProblemsAreEphemeral(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{"app_mention_no_account.json", "app_mention_empty.json"} {
		body := h.fixture(t, "events/"+name)
		ts, sig := h.signed(body)
		if _, _, err := h.app.Event(t.Context(), ts, sig, body); err != nil {
			t.Fatal(err)
		}
	}
	h.drain(t)
	eph := h.slack.snapshot("chat.postEphemeral")
	if len(eph) != 2 {
		t.Fatalf("ephemeral posts %+v, want 2", eph)
	}
	texts := eph[0].Values.Get("text") + "\n" + eph[1].Values.Get("text")
	for _, e := range eph {
		if e.Values.Get("user") != "U1" || e.Values.Get("channel") != "CGEN" {
			t.Errorf("ephemeral to %v", e.Values)
		}
	}
	if !strings.Contains(texts, "you need a Cairn Q&A account") || !strings.Contains(texts, "What is your question?") {
		t.Errorf("ephemeral texts %q", texts)
	}
	if n := len(h.slack.snapshot("chat.postMessage")); n != 0 {
		t.Errorf("%d public posts for failed mentions", n)
	}
	if asked, _ := h.questions.snapshot(); len(asked) != 0 {
		t.Errorf("asked %+v", asked)
	}
}

func TestCommandSSLCheck(t *testing.T) {
	h := newHarness(t)
	body := h.fixture(t, "commands/ssl_check.form")
	ts, sig := h.signed(body)
	if _, reply, err := h.app.Command(t.Context(), ts, sig, body); err != nil || len(reply) != 0 {
		t.Fatalf("ssl_check: %q, %v; want an empty 200", reply, err)
	}
}
