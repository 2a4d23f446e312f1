package qa_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/qa"
)

const base = "https://hub.example.com"

type fixture struct {
	svc   *qa.Service
	store *sqlitestore.Store
	stmts *capture.StatementService
	now   time.Time
}

func newFixture(t *testing.T, mode qa.SignupMode) *fixture {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "cairn.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: st, now: time.Now().UTC()}
	f.stmts = capture.NewStatementService(capture.StatementServiceConfig{Store: st})
	f.svc = qa.NewService(qa.Config{Store: st, Statements: f.stmts, Notifier: qa.Inbox{Store: st}, BaseURL: base,
		Signup: mode, Now: func() time.Time { return f.now }})
	return f
}

func (f *fixture) signUp(t *testing.T, email string) qa.Person {
	t.Helper()
	p, err := f.svc.SignUp(context.Background(), email, strings.Split(email, "@")[0], "correct horse battery", "")
	if err != nil {
		t.Fatalf("SignUp(%s): %v", email, err)
	}
	return p
}

func (f *fixture) reload(t *testing.T, p qa.Person) qa.Person {
	t.Helper()
	p, err := f.svc.Person(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// statements returns the non-voided statements about activity, oldest first.
func (f *fixture) statements(t *testing.T, params capture.StatementParams) []map[string]any {
	t.Helper()
	params.Ascending = true
	res, err := f.stmts.Read(context.Background(), capture.ReadRequest{Params: params,
		Principal: capture.Principal{Credential: capture.Credential{Scopes: []string{capture.ScopeAll}}}})
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

func verbOf(st map[string]any) string { return st["verb"].(map[string]any)["id"].(string) }

func code(t *testing.T, what string, err error, want capture.Code) {
	t.Helper()
	if got := capture.ErrorCode(err); got != want {
		t.Errorf("%s: %v (code %q), want %q", what, err, got, want)
	}
}

func TestAskAnswerVoteAccept(t *testing.T) {
	f := newFixture(t, qa.SignupOpen)
	ctx := context.Background()
	ana, bo := f.signUp(t, "ana@example.com"), f.signUp(t, "bo@example.com")
	if err := f.svc.Follow(ctx, bo, "postgres", true); err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.Ask(ctx, ana, "Why is my vacuum slow?", "Autovacuum takes **hours**. cc @bo@example.com", []string{"Postgres", "ops"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.Answer(ctx, bo, q.ID, "Raise `maintenance_work_mem`.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Comment(ctx, ana, a.ID, "Thanks, trying it"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Vote(ctx, ana, a.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Vote(ctx, bo, q.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Accept(ctx, ana, a.ID); err != nil {
		t.Fatal(err)
	}
	// Reputation: bo 1 + 10 (upvote) + 15 (accepted); ana 1 + 10 (upvote) + 2 (accepting).
	if got := f.reload(t, bo).Reputation; got != 26 {
		t.Errorf("answerer reputation = %d, want 26", got)
	}
	if got := f.reload(t, ana).Reputation; got != 13 {
		t.Errorf("asker reputation = %d, want 13", got)
	}
	th, err := f.svc.Thread(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if th.Question.AcceptedID != a.ID || th.Question.Score != 1 || len(th.Answers) != 1 || th.Answers[0].Score != 1 || len(th.Comments[a.ID]) != 1 {
		t.Fatalf("thread = %+v", th)
	}
	if th.Answers[0].AuthorName != "bo" {
		t.Errorf("answer author name = %q", th.Answers[0].AuthorName)
	}

	// Statements: one per action, with vocabulary, platform, parent and definitions.
	anaKey, _ := capture.AgentKeyOf(ana.Agent)
	boKey, _ := capture.AgentKeyOf(bo.Agent)
	var anaVerbs, boVerbs []string
	for _, st := range f.statements(t, capture.StatementParams{AgentKey: anaKey}) {
		anaVerbs = append(anaVerbs, verbOf(st))
	}
	for _, st := range f.statements(t, capture.StatementParams{AgentKey: boKey}) {
		boVerbs = append(boVerbs, verbOf(st))
	}
	if want := []string{qa.VerbAsked, qa.VerbCommented, qa.VerbVotedUp, qa.VerbAccepted}; !slices.Equal(anaVerbs, want) {
		t.Errorf("asker's verbs = %v, want %v", anaVerbs, want)
	}
	if want := []string{qa.VerbAnswered, qa.VerbVotedUp}; !slices.Equal(boVerbs, want) {
		t.Errorf("answerer's verbs = %v, want %v", boVerbs, want)
	}
	answered := f.statements(t, capture.StatementParams{VerbID: qa.VerbAnswered})[0]
	obj := answered["object"].(map[string]any)
	if obj["id"] != base+"/answers/"+itoa(a.ID) {
		t.Errorf("answer activity id = %v", obj["id"])
	}
	cx := answered["context"].(map[string]any)
	parent := cx["contextActivities"].(map[string]any)["parent"].([]any)[0].(map[string]any)
	if cx["platform"] != qa.Platform || parent["id"] != base+"/questions/"+itoa(q.ID) {
		t.Errorf("answered context = %v", cx)
	}
	asked := f.statements(t, capture.StatementParams{VerbID: qa.VerbAsked})[0]
	def := asked["object"].(map[string]any)["definition"].(map[string]any)
	if def["type"] != qa.ActivityTypeQuestion || def["name"].(map[string]any)["en-US"] != "Why is my vacuum slow?" || def["description"] == nil {
		t.Errorf("question definition = %v", def)
	}
	auth := asked["authority"].(map[string]any)["account"].(map[string]any)
	if auth["homePage"] != base || auth["name"] != qa.AuthorityName {
		t.Errorf("authority = %v", auth)
	}

	// Notifications: bo (followed tag, mention), ana (answer).
	bn, _, _ := f.svc.Notifications(ctx, bo, 10)
	an, unread, _ := f.svc.Notifications(ctx, ana, 10)
	kinds := func(ns []qa.StoredNotification) []qa.NotificationKind {
		var out []qa.NotificationKind
		for _, n := range ns {
			out = append(out, n.Kind)
		}
		slices.Sort(out)
		return out
	}
	if got := kinds(bn); !slices.Equal(got, []qa.NotificationKind{qa.NotifyAccepted, qa.NotifyComment, qa.NotifyFollowedTag, qa.NotifyMention}) {
		t.Errorf("bo's notifications = %v", got)
	}
	if got := kinds(an); !slices.Equal(got, []qa.NotificationKind{qa.NotifyAnswer}) || unread != 1 {
		t.Errorf("ana's notifications = %v (unread %d)", got, unread)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBadInputWritesNothing(t *testing.T) {
	f := newFixture(t, qa.SignupOpen)
	ctx := context.Background()
	ana, bo, cy := f.signUp(t, "ana@example.com"), f.signUp(t, "bo@example.com"), f.signUp(t, "cy@example.com")
	q, err := f.svc.Ask(ctx, ana, "A valid question title", "body", []string{"go"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.Answer(ctx, bo, q.ID, "an answer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Vote(ctx, cy, a.ID, 1); err != nil {
		t.Fatal(err)
	}
	before := len(f.statements(t, capture.StatementParams{}))
	long := strings.Repeat("x", qa.MaxTitle+1)
	cases := []struct {
		name string
		run  func() error
		want capture.Code
	}{
		{"empty title", func() error { _, err := f.svc.Ask(ctx, ana, "  ", "body", []string{"go"}); return err }, capture.CodeInvalid},
		{"short title", func() error { _, err := f.svc.Ask(ctx, ana, "short", "body", []string{"go"}); return err }, capture.CodeInvalid},
		{"oversized title", func() error { _, err := f.svc.Ask(ctx, ana, long, "body", []string{"go"}); return err }, capture.CodeInvalid},
		{"empty body", func() error {
			_, err := f.svc.Ask(ctx, ana, "A valid question title", " \n ", []string{"go"})
			return err
		}, capture.CodeInvalid},
		{"oversized body", func() error {
			_, err := f.svc.Ask(ctx, ana, "A valid question title", strings.Repeat("b", qa.MaxBody+1), []string{"go"})
			return err
		}, capture.CodeInvalid},
		{"no tags", func() error { _, err := f.svc.Ask(ctx, ana, "A valid question title", "b", nil); return err }, capture.CodeInvalid},
		{"too many tags", func() error {
			_, err := f.svc.Ask(ctx, ana, "A valid question title", "b", []string{"a", "b", "c", "d", "e", "f"})
			return err
		}, capture.CodeInvalid},
		{"empty answer", func() error { _, err := f.svc.Answer(ctx, bo, q.ID, ""); return err }, capture.CodeInvalid},
		{"answer to unknown question", func() error { _, err := f.svc.Answer(ctx, bo, 9999, "x"); return err }, capture.CodeNotFound},
		{"second vote", func() error { _, err := f.svc.Vote(ctx, cy, a.ID, 1); return err }, capture.CodeConflict},
		{"vote on own post", func() error { _, err := f.svc.Vote(ctx, bo, a.ID, 1); return err }, capture.CodeForbidden},
		{"down vote without reputation", func() error { _, err := f.svc.Vote(ctx, cy, q.ID, -1); return err }, capture.CodeForbidden},
		{"vote value", func() error { _, err := f.svc.Vote(ctx, cy, q.ID, 2); return err }, capture.CodeInvalid},
		{"accept on someone else's question", func() error { return f.svc.Accept(ctx, bo, a.ID) }, capture.CodeForbidden},
		{"accept a question", func() error { return f.svc.Accept(ctx, ana, q.ID) }, capture.CodeNotFound},
		{"edit without the right", func() error {
			_, err := f.svc.Edit(ctx, cy, q.ID, 1, "A valid question title", "mine now", []string{"go"})
			return err
		}, capture.CodeForbidden},
		{"stale edit form", func() error {
			_, err := f.svc.Edit(ctx, ana, q.ID, 0, "A valid question title", "new", []string{"go"})
			return err
		}, capture.CodeConflict},
		{"delete someone else's post", func() error { return f.svc.Delete(ctx, cy, q.ID) }, capture.CodeForbidden},
		{"close without privilege", func() error { return f.svc.CloseAsDuplicate(ctx, cy, q.ID, q.ID) }, capture.CodeForbidden},
		{"comment too short", func() error { _, err := f.svc.Comment(ctx, cy, q.ID, "x"); return err }, capture.CodeInvalid},
		{"search too long", func() error {
			_, _, err := f.svc.Questions(ctx, qa.QuestionQuery{Text: strings.Repeat("q", 201)})
			return err
		}, capture.CodeInvalid},
	}
	for _, c := range cases {
		code(t, c.name, c.run(), c.want)
	}
	list, _, err := f.svc.Questions(ctx, qa.QuestionQuery{})
	if err != nil || len(list) != 1 || list[0].Version != 1 || list[0].Body != "body" {
		t.Errorf("questions after bad input = %+v, %v", list, err)
	}
	if after := len(f.statements(t, capture.StatementParams{})); after != before {
		t.Errorf("bad input wrote %d statements", after-before)
	}
	if got := f.reload(t, bo).Reputation; got != 11 {
		t.Errorf("reputation moved on refused actions: %d", got)
	}
}

func TestEditKeepsRevisionsAndDeleteVoids(t *testing.T) {
	f := newFixture(t, qa.SignupOpen)
	ctx := context.Background()
	ana, bo := f.signUp(t, "ana@example.com"), f.signUp(t, "bo@example.com")
	mod, err := f.svc.CreatePerson(ctx, "mod@example.com", "Mod", "correct horse battery", qa.RoleModerator)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := f.svc.Ask(ctx, ana, "The first title we had", "v1 body", []string{"go"})
	dup, _ := f.svc.Ask(ctx, bo, "The same question again", "dup body", []string{"go"})
	if _, err := f.svc.Edit(ctx, ana, q.ID, 1, "The second title we had", "v2 body", []string{"go", "sql"}); err != nil {
		t.Fatal(err)
	}
	revs, err := f.svc.Revisions(ctx, q.ID)
	if err != nil || len(revs) != 1 || revs[0].Title != "The first title we had" {
		t.Fatalf("revisions = %+v, %v", revs, err)
	}
	if err := f.svc.CloseAsDuplicate(ctx, mod, dup.ID, q.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Answer(ctx, ana, dup.ID, "answering a closed one")
	code(t, "answer a closed question", err, capture.CodeConflict)

	a, _ := f.svc.Answer(ctx, bo, q.ID, "an answer")
	if _, err := f.svc.Vote(ctx, ana, a.ID, 1); err != nil {
		t.Fatal(err)
	}
	live := len(f.statements(t, capture.StatementParams{ActivityID: f.svc.QuestionIRI(q.ID), RelatedActivities: true}))
	if live != 3 {
		t.Fatalf("statements about the question before delete = %d, want 3", live)
	}
	if err := f.svc.Delete(ctx, mod, q.ID); err != nil {
		t.Fatal(err)
	}
	// What remains are the voiding statements, which match through their StatementRef.
	for _, st := range f.statements(t, capture.StatementParams{ActivityID: f.svc.QuestionIRI(q.ID), RelatedActivities: true}) {
		if verbOf(st) != qa.VerbVoided {
			t.Errorf("statement left after delete: %v", verbOf(st))
		}
	}
	code(t, "second delete", f.svc.Delete(ctx, mod, q.ID), capture.CodeNotFound)
	_, err = f.svc.Question(ctx, q.ID)
	code(t, "deleted question", err, capture.CodeNotFound)
}

func TestSignInThrottleAndInvites(t *testing.T) {
	f := newFixture(t, qa.SignupInvite)
	ctx := context.Background()
	_, err := f.svc.SignUp(ctx, "x@example.com", "X", "correct horse battery", "")
	code(t, "sign-up without invite", err, capture.CodeForbidden)
	admin, err := f.svc.CreatePerson(ctx, "admin@example.com", "Admin", "correct horse battery", qa.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.svc.CreateInvite(ctx, admin, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateInvite(ctx, qa.Person{Role: qa.RoleMember}, "")
	code(t, "member invites", err, capture.CodeForbidden)
	if _, err := f.svc.SignUp(ctx, "x@example.com", "X", "correct horse battery", tok); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.SignUp(ctx, "y@example.com", "Y", "correct horse battery", tok)
	code(t, "reused invite", err, capture.CodeInvalid)
	_, err = f.svc.SignUp(ctx, "y@example.com", "Y", "short", tok)
	code(t, "short password", err, capture.CodeInvalid)

	p, sess, cookie, err := f.svc.SignIn(ctx, "X@example.com", "correct horse battery", "10.0.0.1")
	if err != nil || p.Email != "x@example.com" || sess.CSRF == "" {
		t.Fatalf("SignIn = %+v, %v", p, err)
	}
	got, _, err := f.svc.SessionPerson(ctx, cookie)
	if err != nil || got.ID != p.ID {
		t.Fatalf("SessionPerson = %+v, %v", got, err)
	}
	f.now = f.now.Add(qa.SessionTTL)
	_, _, err = f.svc.SessionPerson(ctx, cookie)
	code(t, "expired session", err, capture.CodeUnauthorized)
	for range 5 {
		_, _, _, err = f.svc.SignIn(ctx, "x@example.com", "wrong password!", "10.0.0.2")
		code(t, "wrong password", err, capture.CodeUnauthorized)
	}
	_, _, _, err = f.svc.SignIn(ctx, "x@example.com", "correct horse battery", "10.0.0.3")
	code(t, "sign-in after 5 failures", err, capture.CodeTooManyRequests)
	f.now = f.now.Add(16 * time.Minute)
	if _, _, _, err := f.svc.SignIn(ctx, "x@example.com", "correct horse battery", "10.0.0.3"); err != nil {
		t.Fatalf("sign-in after the window: %v", err)
	}
}

func TestRecordLearning(t *testing.T) {
	f := newFixture(t, qa.SignupOpen)
	ctx := context.Background()
	ana, bo := f.signUp(t, "ana@example.com"), f.signUp(t, "bo@example.com")
	id, err := f.svc.RecordLearning(ctx, ana, qa.LearningEntry{Kind: qa.LearnBook, Title: "Designing Data-Intensive Applications",
		URL: "https://example.com/ddia", Date: f.now.Add(-48 * time.Hour), Duration: 90 * time.Minute, Note: "chapters 1-3", Tags: []string{"databases"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.stmts.Read(ctx, capture.ReadRequest{Params: capture.StatementParams{StatementID: id},
		Principal: capture.Principal{Credential: capture.Credential{Scopes: []string{capture.ScopeAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	var st [1]map[string]any
	if err := json.Unmarshal(res.Statement, &st[0]); err != nil {
		t.Fatal(err)
	}
	if verbOf(st[0]) != "https://w3id.org/xapi/adb/verbs/read" || st[0]["result"].(map[string]any)["duration"] != "PT1H30M" {
		t.Errorf("book statement = %v", st[0])
	}
	items, _, err := f.svc.LearningRecord(ctx, ana, 10, "")
	if err != nil || len(items) != 1 || !items[0].SelfReported || items[0].Object != "Designing Data-Intensive Applications" {
		t.Fatalf("learning record = %+v, %v", items, err)
	}
	bad := []qa.LearningEntry{
		{Kind: "dance", Title: "x y z"},
		{Kind: qa.LearnBook, Title: ""},
		{Kind: qa.LearnBook, Title: "A book", URL: "javascript:alert(1)"},
		{Kind: qa.LearnBook, Title: "A book", Date: f.now.Add(72 * time.Hour)},
		{Kind: qa.LearnBook, Title: "A book", Duration: -time.Minute},
	}
	for _, e := range bad {
		_, err := f.svc.RecordLearning(ctx, ana, e)
		code(t, "bad entry "+string(e.Kind)+e.Title+e.URL, err, capture.CodeInvalid)
	}
	code(t, "void someone else's entry", f.svc.VoidLearning(ctx, bo, id), capture.CodeForbidden)
	if err := f.svc.VoidLearning(ctx, ana, id); err != nil {
		t.Fatal(err)
	}
	items, _, _ = f.svc.LearningRecord(ctx, ana, 10, "")
	if len(items) != 0 {
		t.Errorf("learning record after void = %+v", items)
	}
	q, _ := f.svc.Ask(ctx, ana, "A question to not void", "body", []string{"go"})
	asked := f.statements(t, capture.StatementParams{ActivityID: f.svc.QuestionIRI(q.ID)})
	code(t, "void a hub statement", f.svc.VoidLearning(ctx, ana, asked[0]["id"].(string)), capture.CodeForbidden)
}

func TestChangedVoteAndAcceptReplaceTheirStatements(t *testing.T) {
	f := newFixture(t, qa.SignupOpen)
	ctx := context.Background()
	ana, bo := f.signUp(t, "ana@example.com"), f.signUp(t, "bo@example.com")
	mod, err := f.svc.CreatePerson(ctx, "mod@example.com", "Mod", "correct horse battery", qa.RoleModerator)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := f.svc.Ask(ctx, ana, "Which vote counts in the record?", "body", []string{"go"})
	a1, _ := f.svc.Answer(ctx, bo, q.ID, "first")
	a2, _ := f.svc.Answer(ctx, mod, q.ID, "second")
	modKey, _ := capture.AgentKeyOf(mod.Agent)
	anaKey, _ := capture.AgentKeyOf(ana.Agent)
	verbs := func(key string, activity string) []string {
		var out []string
		for _, st := range f.statements(t, capture.StatementParams{AgentKey: key, ActivityID: activity}) {
			if verbOf(st) != qa.VerbVoided { // voiding statements match through their StatementRef
				out = append(out, verbOf(st))
			}
		}
		return out
	}
	steps := []struct {
		value int
		want  []string
	}{
		{1, []string{qa.VerbVotedUp}},
		{-1, []string{qa.VerbVotedDown}},
		{0, nil},
		{1, []string{qa.VerbVotedUp}},
	}
	for _, st := range steps {
		if _, err := f.svc.Vote(ctx, mod, q.ID, st.value); err != nil {
			t.Fatalf("vote %d: %v", st.value, err)
		}
		if got := verbs(modKey, f.svc.QuestionIRI(q.ID)); !slices.Equal(got, st.want) {
			t.Errorf("after vote %d the record holds %v, want %v", st.value, got, st.want)
		}
	}
	if err := f.svc.Accept(ctx, ana, a1.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Accept(ctx, ana, a2.ID); err != nil {
		t.Fatal(err)
	}
	if got := verbs(anaKey, f.svc.AnswerIRI(a1.ID)); len(got) != 0 {
		t.Errorf("the replaced accept is still recorded: %v", got)
	}
	if got := verbs(anaKey, f.svc.AnswerIRI(a2.ID)); !slices.Equal(got, []string{qa.VerbAccepted}) {
		t.Errorf("accept of the second answer: %v", got)
	}
	// bo lost the accepted-answer reputation, mod (a moderator) got it.
	if got := f.reload(t, bo).Reputation; got != 1 {
		t.Errorf("first answerer's reputation after the switch = %d, want 1", got)
	}
}

func TestTeamsAndPeopleList(t *testing.T) {
	f := newFixture(t, qa.SignupOpen)
	ctx := context.Background()
	ana := f.signUp(t, "ana@example.com")
	admin, err := f.svc.CreatePersonInTeam(ctx, "root@example.com", "Root", "correct horse battery", qa.RoleAdmin, "  Ops ")
	if err != nil || admin.Team != "Ops" {
		t.Fatalf("CreatePersonInTeam: %+v, %v", admin, err)
	}
	_, err = f.svc.CreatePersonInTeam(ctx, "cy@example.com", "Cy", "correct horse battery", qa.RoleMember, strings.Repeat("t", qa.MaxTeam+1))
	code(t, "a team too long", err, capture.CodeInvalid)
	if _, err := f.svc.PersonByEmail(ctx, "cy@example.com"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("a refused team created the person: %v", err)
	}
	code(t, "a member sets a team", f.svc.SetTeam(ctx, ana, ana.ID, "Sales"), capture.CodeForbidden)
	code(t, "a team with a control character", f.svc.SetTeam(ctx, admin, ana.ID, "Sa\nles"), capture.CodeInvalid)
	code(t, "unknown person", f.svc.SetTeam(ctx, admin, 9999, "Sales"), capture.CodeNotFound)
	if err := f.svc.SetTeam(ctx, admin, ana.ID, " Sales "); err != nil {
		t.Fatal(err)
	}
	if p := f.reload(t, ana); p.Team != "Sales" {
		t.Fatalf("team = %q, want Sales", p.Team)
	}
	code(t, "admin role unknown", f.svc.Admin().SetRole(ctx, ana.ID, "owner"), capture.CodeInvalid)
	page, more, err := f.svc.ListPeople(ctx, qa.PeopleQuery{Limit: 1})
	if err != nil || len(page) != 1 || !more || page[0].ID != ana.ID {
		t.Fatalf("ListPeople first page: %v %v %v", page, more, err)
	}
	page, more, err = f.svc.ListPeople(ctx, qa.PeopleQuery{After: ana.ID, Limit: 1})
	if err != nil || len(page) != 1 || more || page[0].ID != admin.ID {
		t.Fatalf("ListPeople last page: %v %v %v", page, more, err)
	}
	_, _, err = f.svc.ListPeople(ctx, qa.PeopleQuery{Text: strings.Repeat("x", 255)})
	code(t, "a search too long", err, capture.CodeInvalid)
}
