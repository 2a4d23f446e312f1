package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
)

const (
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	testToken  = "xoxb-test-token"
	testTeam   = "T0ACME"
	teamURL    = "https://acme.slack.com"
	baseURL    = "https://cairn.example.com"
)

// call is one request Cairn made to the fake Slack.
type call struct {
	Method string     // Web API method ("chat.postMessage") or "response" for response_url posts
	Values url.Values // form and query values
	JSON   map[string]any
	Auth   string
}

// fakeSlack is an httptest Slack Web API that records every call and serves
// response_url posts under /response/.
type fakeSlack struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []call
	added chan struct{}
	users map[string]slack.User // users.info and users.lookupByEmail
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{added: make(chan struct{}, 1000), users: map[string]slack.User{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := call{Method: strings.TrimPrefix(r.URL.Path, "/api/"), Values: r.URL.Query(), Auth: r.Header.Get("Authorization")}
	if strings.HasPrefix(r.URL.Path, "/response/") {
		c.Method = "response"
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &c.JSON)
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		for k, v := range form {
			c.Values[k] = v
		}
	}
	f.mu.Lock()
	users := f.users
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	f.added <- struct{}{}
	w.Header().Set("Content-Type", "application/json")
	switch c.Method {
	case "response":
		io.WriteString(w, "ok")
	case "auth.test":
		io.WriteString(w, `{"ok":true,"url":"`+teamURL+`/","team":"Acme","team_id":"`+testTeam+`","user_id":"UCAIRNBOT"}`)
	case "users.info":
		u, ok := users[c.Values.Get("user")]
		if !ok {
			io.WriteString(w, `{"ok":false,"error":"user_not_found"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": u})
	case "users.lookupByEmail":
		for _, u := range users {
			if u.Profile.Email == c.Values.Get("email") {
				json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": u})
				return
			}
		}
		io.WriteString(w, `{"ok":false,"error":"users_not_found"}`)
	case "chat.postMessage":
		io.WriteString(w, `{"ok":true,"channel":"`+c.Values.Get("channel")+`","ts":"1700000000.000100"}`)
	case "chat.postEphemeral":
		io.WriteString(w, `{"ok":true,"message_ts":"1700000000.000200"}`)
	case "views.open":
		io.WriteString(w, `{"ok":true,"view":{"id":"V1"}}`)
	default:
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

// snapshot returns the calls so far with the given method ("" for all).
func (f *fakeSlack) snapshot(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// waitFor waits until n calls with method were made and returns them.
func (f *fakeSlack) waitFor(t *testing.T, method string, n int) []call {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := f.snapshot(method); len(got) >= n {
			return got
		}
		select {
		case <-f.added:
		case <-deadline:
			t.Fatalf("waited for %d %s calls; got %d (all calls: %+v)", n, method, len(f.snapshot(method)), f.snapshot(""))
		}
	}
}

// responseURL is a response_url on the fake.
func (f *fakeSlack) responseURL() string { return f.srv.URL + "/response/1" }

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// fakePeople is an in-memory hub People.
type fakePeople map[string]Person // by email

func (p fakePeople) PersonByEmail(_ context.Context, email string) (Person, error) {
	if person, ok := p[strings.ToLower(email)]; ok {
		return person, nil
	}
	return Person{}, capture.Errorf(capture.CodeNotFound, "no person with that email")
}

// fakeQuestions is an in-memory hub Questions that records its calls.
type fakeQuestions struct {
	mu         sync.Mutex
	asked      []askCall
	answers    []answerCall
	topCalls   []digestCall
	unanswered []digestCall
	top        map[string][]QuestionSummary // by tag
	open       map[string][]QuestionSummary
}

type askCall struct {
	Asker, Title, Body string
	Tags               []string
}

type answerCall struct{ Person, Question, Body string }

type digestCall struct {
	Tag          string
	Since, Until time.Time
	Limit        int
}

func (q *fakeQuestions) Ask(_ context.Context, asker, title, body string, tags []string) (Question, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.asked = append(q.asked, askCall{asker, title, body, tags})
	id := fmt.Sprintf("q%d", len(q.asked))
	return Question{ID: id, Title: title, URL: baseURL + "/q/" + id}, nil
}

func (q *fakeQuestions) Answer(_ context.Context, person, question, body string) (AnswerRef, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !strings.HasPrefix(question, "q") {
		return AnswerRef{}, capture.Errorf(capture.CodeNotFound, "no such question")
	}
	q.answers = append(q.answers, answerCall{person, question, body})
	id := fmt.Sprintf("a%d", len(q.answers))
	return AnswerRef{ID: id, URL: baseURL + "/q/" + question + "#" + id}, nil
}

func (q *fakeQuestions) TopQuestions(_ context.Context, tag string, since, until time.Time, limit int) ([]QuestionSummary, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.topCalls = append(q.topCalls, digestCall{tag, since, until, limit})
	return q.top[tag], nil
}

func (q *fakeQuestions) Unanswered(_ context.Context, tag string, until time.Time, limit int) ([]QuestionSummary, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.unanswered = append(q.unanswered, digestCall{Tag: tag, Until: until, Limit: limit})
	return q.open[tag], nil
}

func (q *fakeQuestions) snapshot() ([]askCall, []answerCall) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]askCall(nil), q.asked...), append([]answerCall(nil), q.answers...)
}

// fakePages answers page titles from a map.
type fakePages map[string]string

func (p fakePages) PageTitle(_ context.Context, u string) (string, error) {
	if t, ok := p[u]; ok {
		return t, nil
	}
	return "", fmt.Errorf("not found")
}

// harness is an App on a real SQLite store, a fake Slack and fake hub parts.
type harness struct {
	app        *App
	slack      *fakeSlack
	store      *sqlitestore.Store
	statements *capture.StatementService
	principal  capture.Principal
	clock      *clock
	questions  *fakeQuestions
}

// t0 is the harness's starting time: Wednesday 4 March 2026, 10:00 UTC.
var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

type harnessOption func(*Config)

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{slack: newFakeSlack(t), clock: &clock{t: t0}, questions: &fakeQuestions{}}
	store, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "cairn.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h.store = store
	h.statements = capture.NewStatementService(capture.StatementServiceConfig{Store: store, Now: h.clock.Now})
	authority := map[string]any{"objectType": "Agent", "name": "Cairn Slack app", "account": map[string]any{"homePage": baseURL, "name": "slack-app"}}
	key, _ := capture.AgentKeyOf(authority)
	h.principal = capture.Principal{
		Credential: capture.Credential{Key: "slack-app", Name: "Slack app", Scopes: []string{capture.ScopeStatementsWrite, capture.ScopeStatementsRead}},
		Authority:  authority, AuthorityKey: key,
	}
	h.slack.users["U1"] = slack.User{ID: "U1", Name: "ada", RealName: "Ada Lovelace", Profile: slack.UserProfile{Email: "ada@example.com"}}
	h.slack.users["U2"] = slack.User{ID: "U2", Name: "bob", RealName: "Bob Stone", Profile: slack.UserProfile{Email: "bob@example.com"}}
	cfg := Config{
		Client:        slack.New(testToken, slack.OptionAPIURL(h.slack.srv.URL+"/api/")),
		SigningSecret: testSecret,
		Statements:    h.statements,
		Principal:     h.principal,
		Workspace:     store,
		BaseURL:       baseURL,
		People:        fakePeople{"bob@example.com": {ID: "p-bob", Name: "Bob Stone", Email: "bob@example.com"}},
		Questions:     h.questions,
		Pages:         fakePages{"https://go.dev/blog/loopvar": "Fixing For Loops in Go 1.22"},
		AskChannel:    "CASK",
		Now:           h.clock.Now,
		HTTPClient:    h.slack.srv.Client(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.app = New(cfg)
	t.Cleanup(func() { h.app.Close(context.Background()) })
	return h
}

// signed returns the timestamp and signature headers of body at the harness's time.
func (h *harness) signed(body []byte) (string, string) {
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	return ts, SignatureHeader(testSecret, ts, body)
}

// fixture reads testdata/name, replacing {{SLACK}} with the fake's base URL.
func (h *harness) fixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimRight(string(raw), "\n")
	if strings.HasSuffix(name, ".form") {
		s = strings.ReplaceAll(s, "{{SLACK}}", url.QueryEscape(h.slack.srv.URL))
	} else {
		s = strings.ReplaceAll(s, "{{SLACK}}", h.slack.srv.URL)
	}
	return []byte(s)
}

// commandForm builds a slash-command body for user with text.
func (h *harness) commandForm(cmd, user, text string) []byte {
	v := url.Values{
		"token": {"ignored"}, "team_id": {testTeam}, "team_domain": {"acme"}, "channel_id": {"CGEN"},
		"user_id": {user}, "command": {cmd}, "text": {text}, "response_url": {h.slack.responseURL()},
		"trigger_id": {"13345224609.738474920.8088930838d88f008e0"}, "api_app_id": {"A123"},
	}
	return []byte(v.Encode())
}

// interactionForm wraps an interaction payload as Slack posts it.
func interactionForm(payload any) []byte {
	raw, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(raw)}}.Encode())
}

// command sends a signed slash command and returns the immediate reply text.
func (h *harness) command(t *testing.T, body []byte) string {
	t.Helper()
	ts, sig := h.signed(body)
	ct, reply, err := h.app.Command(t.Context(), ts, sig, body)
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	if ct != jsonType {
		t.Fatalf("content type %q", ct)
	}
	var msg struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.Unmarshal(reply, &msg); err != nil {
		t.Fatalf("reply is not JSON: %s", reply)
	}
	if msg.ResponseType != "ephemeral" {
		t.Fatalf("reply is %q, want ephemeral", msg.ResponseType)
	}
	return msg.Text
}

// statements reads every statement in the LRS (as the app's principal), newest first.
func (h *harness) statementsOf(t *testing.T, p capture.StatementParams) []map[string]any {
	t.Helper()
	res, err := h.statements.Read(t.Context(), capture.ReadRequest{Params: p, Principal: h.principal})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, raw := range res.Statements {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// drain closes the app, waiting for its background jobs.
func (h *harness) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.app.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// path reads a nested value of a decoded JSON object ("a.b.c").
func path(m map[string]any, p string) any {
	var cur any = m
	for _, k := range strings.Split(p, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}
