// Package qatest is the contract test suite that every qa.Store adapter must pass. An
// adapter's test calls Run with a function that opens a fresh, empty store.
package qatest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

// Run runs every contract subtest; open must return a fresh, empty store for the
// subtest it is given and register its cleanup on t.
func Run(t *testing.T, open func(t *testing.T) qa.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s qa.Store)
	}{
		{"People", testPeople},
		{"Invites", testInvites},
		{"Sessions", testSessions},
		{"PostsAndThread", testPosts},
		{"EditKeepsRevisions", testEdit},
		{"ListKeysetPages", testList},
		{"Search", testSearch},
		{"Votes", testVotes},
		{"Accept", testAccept},
		{"Delete", testDelete},
		{"TagsAndFollows", testFollows},
		{"StatementLinks", testLinks},
		{"Notifications", testNotifications},
		{"TeamsAndPeopleList", testTeams},
		{"TopAnswerers", testTopAnswerers},
		{"OldestUnanswered", testOldestUnanswered},
		{"ErasePerson", testErasePerson},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func wantCode(t *testing.T, what string, err error, code capture.Code) {
	t.Helper()
	if got := capture.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func person(t *testing.T, s qa.Store, email string) qa.Person {
	t.Helper()
	p, err := s.CreatePerson(context.Background(), qa.Person{Email: email, Name: "N " + email, Role: qa.RoleMember, Reputation: 1,
		PasswordHash: "h", Agent: map[string]any{"mbox": "mailto:" + email}, CreatedAt: t0}, "")
	if err != nil {
		t.Fatalf("CreatePerson(%s): %v", email, err)
	}
	return p
}

func question(t *testing.T, s qa.Store, author int64, title, body string, tags ...string) qa.Post {
	t.Helper()
	q, err := s.CreatePost(context.Background(), qa.Post{Kind: qa.KindQuestion, AuthorID: author, Title: title, Body: body, Tags: tags, Version: 1, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatalf("CreatePost(question): %v", err)
	}
	return q
}

func answer(t *testing.T, s qa.Store, author, qid int64, body string) qa.Post {
	t.Helper()
	a, err := s.CreatePost(context.Background(), qa.Post{Kind: qa.KindAnswer, QuestionID: qid, ParentID: qid, AuthorID: author, Body: body, Version: 1, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatalf("CreatePost(answer): %v", err)
	}
	return a
}

func ids(posts []qa.Post) []int64 {
	out := make([]int64, len(posts))
	for i, p := range posts {
		out[i] = p.ID
	}
	return out
}

func testPeople(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a := person(t, s, "ana@example.com")
	if a.ID == 0 {
		t.Fatal("CreatePerson gave no ID")
	}
	b := person(t, s, "bo@example.com")
	if b.ID == a.ID {
		t.Fatal("two people share an ID")
	}
	_, err := s.CreatePerson(ctx, qa.Person{Email: "ana@example.com", Name: "x", Role: qa.RoleMember, Agent: map[string]any{}, CreatedAt: t0}, "")
	wantCode(t, "second person with the same email", err, capture.CodeConflict)
	got := must[qa.Person](t, "PersonByEmail")(s.PersonByEmail(ctx, "ana@example.com"))
	if got.ID != a.ID || got.Name != a.Name || got.Agent["mbox"] != "mailto:ana@example.com" || !got.CreatedAt.Equal(t0) || got.Reputation != 1 {
		t.Fatalf("PersonByEmail = %+v, want %+v", got, a)
	}
	_, err = s.Person(ctx, 9999)
	wantCode(t, "unknown person", err, capture.CodeNotFound)
	if err := s.SetRole(ctx, b.ID, qa.RoleModerator); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "SetRole unknown", s.SetRole(ctx, 9999, qa.RoleAdmin), capture.CodeNotFound)
	m := must[map[int64]qa.Person](t, "People")(s.People(ctx, []int64{a.ID, b.ID, 9999}))
	if len(m) != 2 || m[b.ID].Role != qa.RoleModerator {
		t.Fatalf("People = %+v", m)
	}
	if n := must[int](t, "CountPeople")(s.CountPeople(ctx)); n != 2 {
		t.Fatalf("CountPeople = %d, want 2", n)
	}
}

func testInvites(t *testing.T, s qa.Store) {
	ctx := context.Background()
	admin := person(t, s, "admin@example.com")
	if err := s.CreateInvite(ctx, qa.Invite{TokenHash: "inv1", CreatedBy: admin.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateInvite(ctx, qa.Invite{TokenHash: "inv2", Email: "only@example.com", CreatedBy: admin.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "repeated invite", s.CreateInvite(ctx, qa.Invite{TokenHash: "inv1", CreatedAt: t0, ExpiresAt: t0}), capture.CodeConflict)
	p := qa.Person{Email: "new@example.com", Name: "New", Role: qa.RoleMember, Agent: map[string]any{"mbox": "mailto:new@example.com"}, CreatedAt: t0.Add(time.Minute)}
	_, err := s.CreatePerson(ctx, p, "unknown")
	wantCode(t, "unknown invite", err, capture.CodeInvalid)
	_, err = s.CreatePerson(ctx, p, "inv2")
	wantCode(t, "invite for another address", err, capture.CodeInvalid)
	if _, err := s.PersonByEmail(ctx, p.Email); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("a refused invite left a person behind: %v", err)
	}
	late := p
	late.CreatedAt = t0.Add(2 * time.Hour)
	_, err = s.CreatePerson(ctx, late, "inv1")
	wantCode(t, "expired invite", err, capture.CodeInvalid)
	must[qa.Person](t, "CreatePerson with invite")(s.CreatePerson(ctx, p, "inv1"))
	p2 := p
	p2.Email = "other@example.com"
	_, err = s.CreatePerson(ctx, p2, "inv1")
	wantCode(t, "used invite", err, capture.CodeInvalid)
}

func testSessions(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a := person(t, s, "ana@example.com")
	sess := qa.Session{TokenHash: "tok", PersonID: a.ID, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "repeated session", s.CreateSession(ctx, sess), capture.CodeConflict)
	got := must[qa.Session](t, "Session")(s.Session(ctx, "tok"))
	if got.PersonID != a.ID || got.CSRF != "c" || !got.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Fatalf("Session = %+v", got)
	}
	if err := s.DeleteSession(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "tok"); err != nil {
		t.Fatalf("repeat DeleteSession: %v", err)
	}
	_, err := s.Session(ctx, "tok")
	wantCode(t, "deleted session", err, capture.CodeNotFound)
}

func testPosts(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a, b := person(t, s, "a@example.com"), person(t, s, "b@example.com")
	q := question(t, s, a.ID, "How do I rotate logs?", "Body **md**", "linux", "ops")
	if q.ID == 0 || q.QuestionID != q.ID {
		t.Fatalf("question ids: %+v", q)
	}
	ans := answer(t, s, b.ID, q.ID, "Use logrotate")
	c, err := s.CreatePost(ctx, qa.Post{Kind: qa.KindComment, QuestionID: q.ID, ParentID: ans.ID, AuthorID: a.ID, Body: "thanks", Version: 1, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreatePost(ctx, qa.Post{Kind: qa.KindAnswer, QuestionID: 9999, ParentID: 9999, AuthorID: b.ID, Body: "x", Version: 1, CreatedAt: t0, UpdatedAt: t0})
	wantCode(t, "answer to an unknown question", err, capture.CodeNotFound)
	got := must[qa.Post](t, "Post")(s.Post(ctx, q.ID))
	if got.AnswerCount != 1 || got.Title != q.Title || !slices.Equal(got.Tags, []string{"linux", "ops"}) || got.Version != 1 || got.Kind != qa.KindQuestion {
		t.Fatalf("Post(question) = %+v", got)
	}
	th := must[[]qa.Post](t, "Thread")(s.Thread(ctx, q.ID))
	if !slices.Equal(ids(th), []int64{ans.ID, c.ID}) {
		t.Fatalf("Thread = %v, want [%d %d]", ids(th), ans.ID, c.ID)
	}
	by := must[[]qa.Post](t, "PostsBy")(s.PostsBy(ctx, b.ID, qa.KindAnswer, 10))
	if !slices.Equal(ids(by), []int64{ans.ID}) {
		t.Fatalf("PostsBy = %v", ids(by))
	}
	_, err = s.Post(ctx, 9999)
	wantCode(t, "unknown post", err, capture.CodeNotFound)
	if err := s.CloseAsDuplicate(ctx, q.ID, 42); err != nil {
		t.Fatal(err)
	}
	if got := must[qa.Post](t, "Post")(s.Post(ctx, q.ID)); got.DuplicateOf != 42 {
		t.Fatalf("DuplicateOf = %d", got.DuplicateOf)
	}
	wantCode(t, "close unknown", s.CloseAsDuplicate(ctx, 9999, q.ID), capture.CodeNotFound)
}

func testEdit(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a := person(t, s, "a@example.com")
	q := question(t, s, a.ID, "Original title here", "original body", "go", "sql")
	edited := q
	edited.Title, edited.Body, edited.Tags, edited.UpdatedAt = "Edited title here", "edited body", []string{"go", "fts"}, t0.Add(time.Hour)
	rev := qa.Revision{PostID: q.ID, Version: 1, EditorID: a.ID, Title: q.Title, Body: q.Body, Tags: q.Tags, CreatedAt: t0.Add(time.Hour)}
	if err := s.EditPost(ctx, edited, rev); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "stale edit", s.EditPost(ctx, edited, rev), capture.CodeConflict)
	got := must[qa.Post](t, "Post")(s.Post(ctx, q.ID))
	if got.Version != 2 || got.Title != "Edited title here" || !slices.Equal(got.Tags, []string{"go", "fts"}) {
		t.Fatalf("after edit: %+v", got)
	}
	revs := must[[]qa.Revision](t, "Revisions")(s.Revisions(ctx, q.ID))
	if len(revs) != 1 || revs[0].Title != "Original title here" || revs[0].Version != 1 || !slices.Equal(revs[0].Tags, []string{"go", "sql"}) {
		t.Fatalf("Revisions = %+v", revs)
	}
	if l := must[[]qa.Post](t, "list sql")(s.ListQuestions(ctx, qa.QuestionQuery{Tag: "sql", Limit: 10})); len(l) != 0 {
		t.Fatalf("tag sql still lists the question after the edit removed it")
	}
	if l := must[[]qa.Post](t, "list fts")(s.ListQuestions(ctx, qa.QuestionQuery{Tag: "fts", Limit: 10})); len(l) != 1 {
		t.Fatalf("tag fts does not list the edited question")
	}
	if l := must[[]qa.Post](t, "search")(s.ListQuestions(ctx, qa.QuestionQuery{Text: "edited", Limit: 10})); len(l) != 1 {
		t.Fatalf("search does not find the edited text")
	}
	if l := must[[]qa.Post](t, "search")(s.ListQuestions(ctx, qa.QuestionQuery{Text: "original", Limit: 10})); len(l) != 0 {
		t.Fatalf("search still finds the replaced text")
	}
}

func testList(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a, b := person(t, s, "a@example.com"), person(t, s, "b@example.com")
	var qs []qa.Post
	for i := range 7 {
		tag := "even"
		if i%2 == 1 {
			tag = "odd"
		}
		qs = append(qs, question(t, s, a.ID, fmt.Sprintf("Question number %d", i), "body", tag))
	}
	answer(t, s, b.ID, qs[1].ID, "an answer")
	answer(t, s, b.ID, qs[4].ID, "an answer")
	for i, score := range map[int]int{2: 3, 5: 1, 0: 1} {
		if err := s.ApplyVote(ctx, qa.VoteChange{VoterID: b.ID, PostID: qs[i].ID, Value: 1, At: t0}); err != nil {
			t.Fatal(err)
		}
		for v := 1; v < score; v++ {
			voter := person(t, s, fmt.Sprintf("v%d-%d@example.com", i, v))
			if err := s.ApplyVote(ctx, qa.VoteChange{VoterID: voter.ID, PostID: qs[i].ID, Value: 1, At: t0}); err != nil {
				t.Fatal(err)
			}
		}
	}
	pages := func(q qa.QuestionQuery) [][]int64 {
		var out [][]int64
		for {
			page := must[[]qa.Post](t, "ListQuestions")(s.ListQuestions(ctx, q))
			if len(page) == 0 {
				return out
			}
			out = append(out, ids(page))
			last := page[len(page)-1]
			q.After = qa.Cursor{Score: last.Score, ID: last.ID}
		}
	}
	id := func(i ...int) []int64 {
		var out []int64
		for _, x := range i {
			out = append(out, qs[x].ID)
		}
		return out
	}
	cases := []struct {
		name string
		q    qa.QuestionQuery
		want [][]int64
	}{
		{"newest", qa.QuestionQuery{Sort: qa.SortNewest, Limit: 3}, [][]int64{id(6, 5, 4), id(3, 2, 1), id(0)}},
		{"votes", qa.QuestionQuery{Sort: qa.SortVotes, Limit: 2}, [][]int64{id(2, 5), id(0, 6), id(4, 3), id(1)}},
		{"unanswered", qa.QuestionQuery{Sort: qa.SortUnanswered, Limit: 4}, [][]int64{id(6, 5, 3, 2), id(0)}},
		{"tag", qa.QuestionQuery{Tag: "odd", Limit: 2}, [][]int64{id(5, 3), id(1)}},
		{"tag by votes", qa.QuestionQuery{Tag: "odd", Sort: qa.SortVotes, Limit: 2}, [][]int64{id(5, 3), id(1)}},
		{"tag unanswered", qa.QuestionQuery{Tag: "even", Sort: qa.SortUnanswered, Limit: 5}, [][]int64{id(6, 2, 0)}},
		{"author", qa.QuestionQuery{AuthorID: b.ID, Limit: 5}, nil},
		{"since", qa.QuestionQuery{Since: t0.Add(time.Second), Limit: 5}, nil},
	}
	for _, c := range cases {
		if got := pages(c.q); !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("%s: pages %v, want %v", c.name, got, c.want)
		}
	}
}

func testSearch(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a := person(t, s, "a@example.com")
	q1 := question(t, s, a.ID, "Rotating nginx logs daily", "How do I rotate access logs?", "nginx")
	q2 := question(t, s, a.ID, "Postgres vacuum settings", "Autovacuum seems slow with nginx in front", "postgres")
	q3 := question(t, s, a.ID, "Kubernetes ingress timeouts", "Requests time out after 60 seconds", "k8s")
	cases := []struct {
		name string
		q    qa.QuestionQuery
		want []int64
	}{
		{"title word", qa.QuestionQuery{Text: "vacuum"}, []int64{q2.ID}},
		{"body word", qa.QuestionQuery{Text: "seconds"}, []int64{q3.ID}},
		{"title and body, newest first", qa.QuestionQuery{Text: "nginx"}, []int64{q2.ID, q1.ID}},
		{"all words", qa.QuestionQuery{Text: "nginx rotate"}, []int64{q1.ID}},
		{"any word", qa.QuestionQuery{Text: "vacuum ingress", AnyWord: true}, []int64{q3.ID, q2.ID}},
		{"prefix of last word when any", qa.QuestionQuery{Text: "kubern", AnyWord: true}, []int64{q3.ID}},
		{"case and accents", qa.QuestionQuery{Text: "NGÍNX"}, []int64{q2.ID, q1.ID}},
		{"with tag", qa.QuestionQuery{Text: "nginx", Tag: "postgres"}, []int64{q2.ID}},
		{"operators are words", qa.QuestionQuery{Text: `nginx" OR "x NEAR(`}, nil},
		{"cursor", qa.QuestionQuery{Text: "nginx", After: qa.Cursor{ID: q2.ID}}, []int64{q1.ID}},
		{"nothing", qa.QuestionQuery{Text: "zebra"}, nil},
	}
	for _, c := range cases {
		c.q.Limit = 10
		got, err := s.ListQuestions(ctx, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(ids(got), c.want) {
			t.Errorf("%s: got %v, want %v", c.name, ids(got), c.want)
		}
	}
}

func testVotes(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a, b := person(t, s, "a@example.com"), person(t, s, "b@example.com")
	q := question(t, s, a.ID, "A question to vote on", "body", "x")
	up := qa.VoteChange{VoterID: b.ID, PostID: q.ID, Prev: 0, Value: 1, At: t0, Reputation: []qa.ReputationDelta{{PersonID: a.ID, Delta: 10}}}
	if err := s.ApplyVote(ctx, up); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "second vote with a stale Prev", s.ApplyVote(ctx, up), capture.CodeConflict)
	if v := must[int](t, "Vote")(s.Vote(ctx, b.ID, q.ID)); v != 1 {
		t.Fatalf("Vote = %d", v)
	}
	if p := must[qa.Person](t, "Person")(s.Person(ctx, a.ID)); p.Reputation != 11 {
		t.Fatalf("reputation after upvote = %d, want 11", p.Reputation)
	}
	down := qa.VoteChange{VoterID: b.ID, PostID: q.ID, Prev: 1, Value: -1, At: t0, Reputation: []qa.ReputationDelta{{PersonID: a.ID, Delta: -50}}}
	if err := s.ApplyVote(ctx, down); err != nil {
		t.Fatal(err)
	}
	if p := must[qa.Post](t, "Post")(s.Post(ctx, q.ID)); p.Score != -1 {
		t.Fatalf("score = %d, want -1", p.Score)
	}
	if p := must[qa.Person](t, "Person")(s.Person(ctx, a.ID)); p.Reputation != qa.MinReputation {
		t.Fatalf("reputation = %d, want the floor %d", p.Reputation, qa.MinReputation)
	}
	if err := s.ApplyVote(ctx, qa.VoteChange{VoterID: b.ID, PostID: q.ID, Prev: -1, Value: 0, At: t0}); err != nil {
		t.Fatal(err)
	}
	if v := must[int](t, "Vote")(s.Vote(ctx, b.ID, q.ID)); v != 0 {
		t.Fatalf("withdrawn vote = %d", v)
	}
	if p := must[qa.Post](t, "Post")(s.Post(ctx, q.ID)); p.Score != 0 {
		t.Fatalf("score = %d, want 0", p.Score)
	}
	wantCode(t, "vote on an unknown post", s.ApplyVote(ctx, qa.VoteChange{VoterID: b.ID, PostID: 9999, Value: 1, At: t0}), capture.CodeNotFound)
	if v := must[int](t, "Vote")(s.Vote(ctx, b.ID, 9999)); v != 0 {
		t.Fatalf("a failed vote was kept: %d", v)
	}
}

func testAccept(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a, b := person(t, s, "a@example.com"), person(t, s, "b@example.com")
	q := question(t, s, a.ID, "A question to accept", "body", "x")
	ans := answer(t, s, b.ID, q.ID, "answer")
	c := qa.AcceptChange{QuestionID: q.ID, Prev: 0, AnswerID: ans.ID, Reputation: []qa.ReputationDelta{{PersonID: b.ID, Delta: 15}, {PersonID: a.ID, Delta: 2}}}
	if err := s.Accept(ctx, c); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "stale accept", s.Accept(ctx, c), capture.CodeConflict)
	if p := must[qa.Post](t, "Post")(s.Post(ctx, q.ID)); p.AcceptedID != ans.ID {
		t.Fatalf("AcceptedID = %d", p.AcceptedID)
	}
	if p := must[qa.Person](t, "Person")(s.Person(ctx, b.ID)); p.Reputation != 16 {
		t.Fatalf("answerer reputation = %d, want 16", p.Reputation)
	}
	if p := must[qa.Person](t, "Person")(s.Person(ctx, b.ID)); p.Reputation != 16 {
		t.Fatalf("reputation moved twice: %d", p.Reputation)
	}
}

func testDelete(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a, b := person(t, s, "a@example.com"), person(t, s, "b@example.com")
	q := question(t, s, a.ID, "Delete me question", "searchable body", "gone")
	ans := answer(t, s, b.ID, q.ID, "answer")
	ans2 := answer(t, s, b.ID, q.ID, "answer two")
	if err := s.Accept(ctx, qa.AcceptChange{QuestionID: q.ID, AnswerID: ans.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePost(ctx, ans.ID); err != nil {
		t.Fatal(err)
	}
	p := must[qa.Post](t, "Post")(s.Post(ctx, q.ID))
	if p.AnswerCount != 1 || p.AcceptedID != 0 {
		t.Fatalf("after deleting the accepted answer: count %d accepted %d", p.AnswerCount, p.AcceptedID)
	}
	if th := must[[]qa.Post](t, "Thread")(s.Thread(ctx, q.ID)); !slices.Equal(ids(th), []int64{ans2.ID}) {
		t.Fatalf("Thread = %v", ids(th))
	}
	if err := s.DeletePost(ctx, ans.ID); err != nil {
		t.Fatalf("repeat delete: %v", err)
	}
	if p := must[qa.Post](t, "Post")(s.Post(ctx, q.ID)); p.AnswerCount != 1 {
		t.Fatalf("repeat delete counted twice: %d", p.AnswerCount)
	}
	if err := s.DeletePost(ctx, q.ID); err != nil {
		t.Fatal(err)
	}
	if p := must[qa.Post](t, "Post")(s.Post(ctx, ans2.ID)); !p.Deleted {
		t.Fatal("deleting a question left its answer")
	}
	for _, lq := range []qa.QuestionQuery{{Limit: 5}, {Text: "searchable", Limit: 5}, {Tag: "gone", Limit: 5}} {
		if l := must[[]qa.Post](t, "list")(s.ListQuestions(ctx, lq)); len(l) != 0 {
			t.Fatalf("deleted question listed by %+v", lq)
		}
	}
	if tg, err := s.Tag(ctx, "gone"); err == nil && tg.Questions != 0 {
		t.Fatalf("tag count after delete = %d", tg.Questions)
	}
	wantCode(t, "delete unknown", s.DeletePost(ctx, 9999), capture.CodeNotFound)
}

func testFollows(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a, b := person(t, s, "a@example.com"), person(t, s, "b@example.com")
	question(t, s, a.ID, "First go question", "b", "go", "sql")
	question(t, s, a.ID, "Second go question", "b", "go")
	tags := must[[]qa.Tag](t, "Tags")(s.Tags(ctx, "", 10))
	if len(tags) != 2 || tags[0].Name != "go" || tags[0].Questions != 2 || tags[1].Name != "sql" {
		t.Fatalf("Tags = %+v", tags)
	}
	if tags := must[[]qa.Tag](t, "Tags")(s.Tags(ctx, "s", 10)); len(tags) != 1 || tags[0].Name != "sql" {
		t.Fatalf("Tags(s) = %+v", tags)
	}
	for range 2 {
		if err := s.Follow(ctx, b.ID, "go", true); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Follow(ctx, a.ID, "sql", true); err != nil {
		t.Fatal(err)
	}
	if tg := must[qa.Tag](t, "Tag")(s.Tag(ctx, "go")); tg.Followers != 1 || tg.Questions != 2 {
		t.Fatalf("Tag(go) = %+v", tg)
	}
	_, err := s.Tag(ctx, "nope")
	wantCode(t, "unknown tag", err, capture.CodeNotFound)
	if f := must[[]int64](t, "TagFollowers")(s.TagFollowers(ctx, []string{"go", "sql", "x"})); !slices.Equal(f, []int64{a.ID, b.ID}) {
		t.Fatalf("TagFollowers = %v", f)
	}
	if err := s.Follow(ctx, b.ID, "go", false); err != nil {
		t.Fatal(err)
	}
	if f := must[[]string](t, "FollowedTags")(s.FollowedTags(ctx, b.ID)); len(f) != 0 {
		t.Fatalf("FollowedTags after unfollow = %v", f)
	}
}

func testLinks(t *testing.T, s qa.Store) {
	ctx := context.Background()
	links := []qa.StatementLink{{PostID: 1, StatementID: "s1"}, {PostID: 1, StatementID: "s2"}, {PostID: 2, StatementID: "s3"}, {PostID: 3, StatementID: "s4"}}
	for range 2 {
		if err := s.LinkStatements(ctx, links); err != nil {
			t.Fatal(err)
		}
	}
	got := must[[]string](t, "StatementsOf")(s.StatementsOf(ctx, []int64{1, 2}))
	slices.Sort(got)
	if !slices.Equal(got, []string{"s1", "s2", "s3"}) {
		t.Fatalf("StatementsOf = %v", got)
	}
}

func testNotifications(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a := person(t, s, "a@example.com")
	for i := range 3 {
		if err := s.AddNotification(ctx, qa.StoredNotification{PersonID: a.ID, Kind: qa.NotifyAnswer, Text: fmt.Sprint("n", i), URL: "u", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	list := must[[]qa.StoredNotification](t, "Notifications")(s.Notifications(ctx, a.ID, 2))
	if len(list) != 2 || list[0].Text != "n2" || list[0].Read {
		t.Fatalf("Notifications = %+v", list)
	}
	if n := must[int](t, "Unread")(s.UnreadNotifications(ctx, a.ID)); n != 3 {
		t.Fatalf("unread = %d", n)
	}
	if err := s.MarkNotificationsRead(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if n := must[int](t, "Unread")(s.UnreadNotifications(ctx, a.ID)); n != 0 {
		t.Fatalf("unread after mark = %d", n)
	}
}

func testTeams(t *testing.T, s qa.Store) {
	ctx := context.Background()
	ana := person(t, s, "ana@example.com")
	bo := person(t, s, "bo@example.com")
	cy, err := s.CreatePerson(ctx, qa.Person{Email: "cy_x@example.org", Name: "Cy Ånström", Role: qa.RoleMember, PasswordHash: "h",
		Agent: map[string]any{"mbox": "mailto:cy_x@example.org"}, Team: "Support", CreatedAt: t0}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := must[qa.Person](t, "Person")(s.Person(ctx, cy.ID)); got.Team != "Support" {
		t.Fatalf("team at creation = %q, want Support", got.Team)
	}
	if got := must[qa.Person](t, "Person")(s.Person(ctx, ana.ID)); got.Team != "" {
		t.Fatalf("team of a person created without one = %q", got.Team)
	}
	if err := s.SetTeam(ctx, ana.ID, "Sales"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTeam(ctx, ana.ID, "Sales"); err != nil {
		t.Fatalf("repeat SetTeam: %v", err)
	}
	wantCode(t, "SetTeam unknown", s.SetTeam(ctx, 9999, "x"), capture.CodeNotFound)
	if got := must[qa.Person](t, "PersonByEmail")(s.PersonByEmail(ctx, "ana@example.com")); got.Team != "Sales" {
		t.Fatalf("team after SetTeam = %q, want Sales", got.Team)
	}
	if err := s.SetTeam(ctx, ana.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := must[map[int64]qa.Person](t, "People")(s.People(ctx, []int64{ana.ID, cy.ID})); got[ana.ID].Team != "" || got[cy.ID].Team != "Support" {
		t.Fatalf("People teams = %q, %q", got[ana.ID].Team, got[cy.ID].Team)
	}
	personIDs := func(ps []qa.Person) []int64 {
		out := make([]int64, len(ps))
		for i, p := range ps {
			out[i] = p.ID
		}
		return out
	}
	for _, c := range []struct {
		q    qa.PeopleQuery
		want []int64
	}{
		{qa.PeopleQuery{Limit: 10}, []int64{ana.ID, bo.ID, cy.ID}},
		{qa.PeopleQuery{Limit: 2}, []int64{ana.ID, bo.ID}},
		{qa.PeopleQuery{After: bo.ID, Limit: 2}, []int64{cy.ID}},
		{qa.PeopleQuery{Text: "example.com", Limit: 10}, []int64{ana.ID, bo.ID}},
		{qa.PeopleQuery{Text: "N BO", Limit: 10}, []int64{bo.ID}},
		{qa.PeopleQuery{Text: "cy_", Limit: 10}, []int64{cy.ID}},
		{qa.PeopleQuery{Text: "%", Limit: 10}, []int64{}},
		{qa.PeopleQuery{Text: "y_x", After: cy.ID, Limit: 10}, []int64{}},
	} {
		got := personIDs(must[[]qa.Person](t, "ListPeople")(s.ListPeople(ctx, c.q)))
		if !slices.Equal(got, c.want) {
			t.Errorf("ListPeople(%+v) = %v, want %v", c.q, got, c.want)
		}
	}
}

func testTopAnswerers(t *testing.T, s qa.Store) {
	ctx := context.Background()
	asker, a, b, c := person(t, s, "asker@example.com"), person(t, s, "a@example.com"), person(t, s, "b@example.com"), person(t, s, "c@example.com")
	if got := must[[]qa.Answerer](t, "TopAnswerers")(s.TopAnswerers(ctx, 10)); len(got) != 0 {
		t.Fatalf("TopAnswerers with no answers = %+v", got)
	}
	q1 := question(t, s, asker.ID, "First question here", "body", "x")
	q2 := question(t, s, asker.ID, "Second question here", "body", "x")
	q3 := question(t, s, asker.ID, "Third question here", "body", "x")
	// a: one accepted answer with score 1. b: two answers, score 5, none accepted.
	// c: one accepted answer (score 0) and one deleted accepted answer with score 9.
	a1 := answer(t, s, a.ID, q1.ID, "a1")
	vote := func(voter, post int64) {
		t.Helper()
		if err := s.ApplyVote(ctx, qa.VoteChange{VoterID: voter, PostID: post, Value: 1, At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	vote(asker.ID, a1.ID)
	b1, b2 := answer(t, s, b.ID, q1.ID, "b1"), answer(t, s, b.ID, q2.ID, "b2")
	for _, v := range []int64{asker.ID, a.ID, c.ID} {
		vote(v, b1.ID)
	}
	vote(asker.ID, b2.ID)
	vote(a.ID, b2.ID)
	c1 := answer(t, s, c.ID, q2.ID, "c1")
	c2 := answer(t, s, c.ID, q3.ID, "c2")
	vote(asker.ID, c2.ID)
	for _, acc := range []qa.AcceptChange{{QuestionID: q1.ID, AnswerID: a1.ID}, {QuestionID: q2.ID, AnswerID: c1.ID}, {QuestionID: q3.ID, AnswerID: c2.ID}} {
		if err := s.Accept(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeletePost(ctx, c2.ID); err != nil {
		t.Fatal(err)
	}
	got := must[[]qa.Answerer](t, "TopAnswerers")(s.TopAnswerers(ctx, 10))
	want := []qa.Answerer{
		{PersonID: a.ID, Answers: 1, Accepted: 1, Score: 1},
		{PersonID: c.ID, Answers: 1, Accepted: 1, Score: 0},
		{PersonID: b.ID, Answers: 2, Accepted: 0, Score: 5},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("TopAnswerers = %+v, want %+v", got, want)
	}
	if got := must[[]qa.Answerer](t, "TopAnswerers")(s.TopAnswerers(ctx, 1)); len(got) != 1 || got[0].PersonID != a.ID {
		t.Fatalf("TopAnswerers(1) = %+v", got)
	}
	// Deleting a question takes its thread's answers and its accepted answer away;
	// withdrawing a vote takes its score away.
	if err := s.DeletePost(ctx, q1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyVote(ctx, qa.VoteChange{VoterID: a.ID, PostID: b2.ID, Prev: 1, Value: 0, At: t0}); err != nil {
		t.Fatal(err)
	}
	got = must[[]qa.Answerer](t, "TopAnswerers")(s.TopAnswerers(ctx, 10))
	want = []qa.Answerer{{PersonID: c.ID, Answers: 1, Accepted: 1, Score: 0}, {PersonID: b.ID, Answers: 1, Accepted: 0, Score: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("TopAnswerers after deleting a question = %+v, want %+v", got, want)
	}
}

func testOldestUnanswered(t *testing.T, s qa.Store) {
	ctx := context.Background()
	a := person(t, s, "a@example.com")
	q1 := question(t, s, a.ID, "Oldest open question", "body", "x")
	q2 := question(t, s, a.ID, "Answered question", "body", "x")
	q3 := question(t, s, a.ID, "Deleted question", "body", "x")
	q4 := question(t, s, a.ID, "Newer open question", "body", "x")
	q5 := question(t, s, a.ID, "Newest open question", "body", "x")
	answer(t, s, a.ID, q2.ID, "answer")
	if err := s.DeletePost(ctx, q3.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(must[[]qa.Post](t, "OldestUnanswered")(s.OldestUnanswered(ctx, 10))); !slices.Equal(got, []int64{q1.ID, q4.ID, q5.ID}) {
		t.Fatalf("OldestUnanswered = %v, want %v", got, []int64{q1.ID, q4.ID, q5.ID})
	}
	got := must[[]qa.Post](t, "OldestUnanswered")(s.OldestUnanswered(ctx, 2))
	if !slices.Equal(ids(got), []int64{q1.ID, q4.ID}) || got[0].Title != "Oldest open question" {
		t.Fatalf("OldestUnanswered(2) = %+v", got)
	}
}
