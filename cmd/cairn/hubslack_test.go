package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/integrations/slack"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/qa"
)

// recordingSlack is a Slack Web API that records chat.postMessage calls and knows
// one user by email.
type recordingSlack struct {
	mu    sync.Mutex
	posts []url.Values
}

func (r *recordingSlack) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	form, _ := url.ParseQuery(string(body))
	w.Header().Set("Content-Type", "application/json")
	switch strings.TrimPrefix(req.URL.Path, "/api/") {
	case "users.lookupByEmail":
		if form.Get("email") == "asker@example.com" || req.URL.Query().Get("email") == "asker@example.com" {
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": map[string]any{"id": "UASKER"}})
			return
		}
		io.WriteString(w, `{"ok":false,"error":"users_not_found"}`)
	case "chat.postMessage":
		r.mu.Lock()
		r.posts = append(r.posts, form)
		r.mu.Unlock()
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`)
	default:
		io.WriteString(w, `{"ok":true}`)
	}
}

func (r *recordingSlack) snapshot() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]url.Values(nil), r.posts...)
}

// TestHubAndSlackWired asks and answers through the Slack side of the hub, and checks
// that the hub's notifications reach Slack: one channel post per new question in a
// followed tag however many follow it, and a direct message to the asker on an answer.
func TestHubAndSlackWired(t *testing.T) {
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	statements := capture.NewStatementService(capture.StatementServiceConfig{Store: st})
	cfg := config.Serve{BaseURL: "https://cairn.example.com", Signup: "open"}
	toSlack := &slackNotifier{}
	svc := newHubService(st, statements, toSlack, cfg, discardLogger())
	if svc == nil {
		t.Fatal("no hub on the embedded store")
	}
	fake := &recordingSlack{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	if err := st.PutSlackChannel(ctx, workspace.Channel{ChannelID: "CGO", Role: workspace.RoleTag, Tag: "go"}); err != nil {
		t.Fatal(err)
	}
	principal, err := slackPrincipal(cfg.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	app := slack.New(slack.Config{
		Client:     goslack.New("xoxb-test", goslack.OptionAPIURL(srv.URL+"/api/")),
		Statements: statements, Principal: principal, Workspace: st, BaseURL: cfg.BaseURL,
		People: hubForSlack{svc}, Questions: hubForSlack{svc}, Logger: discardLogger(),
	})
	defer app.Close(context.Background())
	toSlack.start(app, discardLogger())
	defer toSlack.stop(context.Background())

	asker, err := svc.CreatePerson(ctx, "asker@example.com", "Asker", "correct horse battery", qa.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	helper, err := svc.CreatePerson(ctx, "helper@example.com", "Helper", "correct horse battery", qa.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []qa.Person{asker, helper} {
		if err := svc.Follow(ctx, p, "go", true); err != nil {
			t.Fatal(err)
		}
	}
	h := hubForSlack{svc}
	if p, err := h.PersonByEmail(ctx, "HELPER@example.com"); err != nil || p.Name != "Helper" || p.Agent == nil {
		t.Errorf("PersonByEmail = %+v, %v", p, err)
	}
	if _, err := h.Ask(ctx, "not-a-number", "A title long enough?", "body", []string{"go"}); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Errorf("Ask by an unknown id = %v, want not found", err)
	}
	q, err := h.Ask(ctx, fmtID(asker.ID), "How do goroutines leak?", "When do they never end?", []string{"go"})
	if err != nil {
		t.Fatal(err)
	}
	if q.URL != "https://cairn.example.com/questions/"+q.ID {
		t.Errorf("question URL %q", q.URL)
	}
	if top, err := h.Unanswered(ctx, "go", time.Now().Add(time.Minute), 5); err != nil || len(top) != 1 || top[0].Title != q.Title {
		t.Errorf("Unanswered = %+v, %v", top, err)
	}
	a, err := h.Answer(ctx, fmtID(helper.ID), q.ID, "When nothing reads from their channel.")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.URL, "/questions/"+q.ID) {
		t.Errorf("answer URL %q does not point into its question", a.URL)
	}
	if top, err := h.TopQuestions(ctx, "", time.Now().Add(-time.Hour), time.Now().Add(time.Minute), 5); err != nil || len(top) != 1 || top[0].Answers != 1 {
		t.Errorf("TopQuestions = %+v, %v", top, err)
	}
	if top, err := h.Unanswered(ctx, "go", time.Now().Add(time.Minute), 5); err != nil || len(top) != 0 {
		t.Errorf("Unanswered after the answer = %+v, %v", top, err)
	}

	// Deliveries run in the background: wait for the two expected posts, then for
	// any stray one.
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.snapshot()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	toSlack.stop(context.Background())
	var tagPosts, dms int
	for _, p := range fake.snapshot() {
		switch p.Get("channel") {
		case "CGO":
			tagPosts++
		case "UASKER":
			dms++
			if !strings.Contains(p.Get("text"), "How do goroutines leak?") {
				t.Errorf("the DM does not name the question: %q", p.Get("text"))
			}
		}
	}
	if tagPosts != 1 || dms != 1 {
		t.Errorf("Slack got %d posts in the tag channel (want 1, though two people follow the tag) and %d DMs to the asker (want 1)", tagPosts, dms)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }
