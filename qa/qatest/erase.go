package qatest

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

// testErasePerson erases Ann: her row turns anonymous, her sessions, follows,
// notifications and invites go, her name and address leave every post, revision,
// notification and the search index, her posts and votes stay, and a repeat changes
// nothing.
func testErasePerson(t *testing.T, s qa.Store) {
	ctx := context.Background()
	ann := must[qa.Person](t, "CreatePerson")(s.CreatePerson(ctx, qa.Person{Email: "ann@example.org", Name: "Ann Lee", Role: qa.RoleAdmin,
		Reputation: 50, PasswordHash: "h", Agent: map[string]any{"mbox": "mailto:ann@example.org"}, Team: "blue", CreatedAt: t0}, ""))
	bob := person(t, s, "bob@example.com")
	later := t0.Add(time.Hour)

	// Ann's own share: 1 session, 1 follow, 2 notifications, 1 invite addressed to her.
	if err := s.CreateSession(ctx, qa.Session{TokenHash: "ann-session", PersonID: ann.ID, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(1000 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Follow(ctx, ann.ID, "widgets", true); err != nil {
		t.Fatal(err)
	}
	for _, n := range []qa.StoredNotification{
		{PersonID: ann.ID, Text: "Bob Smith answered your question"},
		{PersonID: ann.ID, Text: "Bob Smith commented"},
		{PersonID: bob.ID, Text: "Ann Lee answered your question"},
		{PersonID: bob.ID, Text: "Cy commented"},
	} {
		n.Kind, n.URL, n.CreatedAt = qa.NotifyAnswer, "u", t0
		if err := s.AddNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, inv := range []qa.Invite{{TokenHash: "inv-ann", Email: "ann@example.org"}, {TokenHash: "inv-cy", Email: "cy@example.com"}} {
		inv.CreatedBy, inv.CreatedAt, inv.ExpiresAt = bob.ID, t0, t0.Add(1000*time.Hour)
		if err := s.CreateInvite(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}

	// Texts: 4 posts, 1 revision and 1 notification name her; the rest does not.
	qAnn := question(t, s, ann.ID, "Widgets by Ann Lee fail", "Mail ann@example.org please", "widgets")
	qBob := question(t, s, bob.ID, "Widgets and the annex", "Ann Lee said so. Annex Leeway stays.", "widgets")
	edited := qBob
	edited.Body, edited.UpdatedAt = "ANN LEE said so; ask @ann@example.org. Annex Leeway stays.", later
	if err := s.EditPost(ctx, edited, qa.Revision{PostID: qBob.ID, Version: 1, EditorID: bob.ID, Title: qBob.Title, Body: qBob.Body, CreatedAt: later}); err != nil {
		t.Fatal(err)
	}
	answer(t, s, ann.ID, qBob.ID, "Works for me")
	thanks := answer(t, s, bob.ID, qAnn.ID, "Thanks, ann lee!")
	gone := question(t, s, bob.ID, "Ask Ann Lee about sprockets", "deleted later", "sprockets")
	if err := s.DeletePost(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	other := question(t, s, bob.ID, "Gadgets and widgets", "nothing personal here", "widgets")
	if err := s.ApplyVote(ctx, qa.VoteChange{VoterID: ann.ID, PostID: qBob.ID, Value: 1, At: t0}); err != nil {
		t.Fatal(err)
	}
	search := func(text string) []int64 {
		t.Helper()
		return ids(must[[]qa.Post](t, "ListQuestions "+text)(s.ListQuestions(ctx, qa.QuestionQuery{Text: text, Limit: 10})))
	}
	if got := search("lee"); !slices.Equal(got, []int64{qBob.ID, qAnn.ID}) {
		t.Fatalf("before erasure, search lee = %v", got)
	}

	anon := map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": "https://lrs.example/erased", "name": "0f3c"}}
	erase := qa.PersonErasure{PersonID: ann.ID, Agent: anon, Strings: []string{"ann@example.org", "Ann Lee"}}
	// 5 of her rows deleted + her row + 4 posts + 1 revision + 1 of bob's notifications.
	if n := must[int](t, "ErasePerson")(s.ErasePerson(ctx, erase)); n != 12 {
		t.Fatalf("ErasePerson changed %d, want 12", n)
	}

	row := must[qa.Person](t, "Person")(s.Person(ctx, ann.ID))
	if row.Name != qa.ErasedName || row.Email != qa.ErasedEmail(ann.ID) || row.PasswordHash != qa.ErasedPasswordHash ||
		row.Team != "" || row.Role != qa.RoleMember || !reflect.DeepEqual(row.Agent, anon) || row.Reputation != 50 {
		t.Fatalf("erased row = %+v", row)
	}
	if _, err := s.PersonByEmail(ctx, "ann@example.org"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("PersonByEmail(old address) = %v, want not found", err)
	}
	if _, err := s.Session(ctx, "ann-session"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("her session survived: %v", err)
	}
	if tags := must[[]string](t, "FollowedTags")(s.FollowedTags(ctx, ann.ID)); len(tags) != 0 {
		t.Fatalf("her follows survived: %v", tags)
	}
	if l := must[[]qa.StoredNotification](t, "Notifications")(s.Notifications(ctx, ann.ID, 10)); len(l) != 0 {
		t.Fatalf("her notifications survived: %+v", l)
	}
	newcomer := qa.Person{Email: "ann@example.org", Name: "New", Role: qa.RoleMember, Agent: map[string]any{"mbox": "mailto:ann@example.org"}, CreatedAt: later}
	_, err := s.CreatePerson(ctx, newcomer, "inv-ann")
	wantCode(t, "invite addressed to her", err, capture.CodeInvalid)
	newcomer.Email = "cy@example.com"
	must[qa.Person](t, "someone else's invite")(s.CreatePerson(ctx, newcomer, "inv-cy"))

	// No text names her; her posts and vote stay; words that only contain her name stay.
	var texts []string
	for id := int64(1); id <= other.ID; id++ {
		p := must[qa.Post](t, "Post")(s.Post(ctx, id))
		texts = append(texts, p.Title, p.Body)
		for _, r := range must[[]qa.Revision](t, "Revisions")(s.Revisions(ctx, id)) {
			texts = append(texts, r.Title, r.Body)
		}
	}
	for _, n := range must[[]qa.StoredNotification](t, "Notifications")(s.Notifications(ctx, bob.ID, 10)) {
		texts = append(texts, n.Text)
	}
	for _, p := range must[map[int64]qa.Person](t, "People")(s.People(ctx, []int64{ann.ID, bob.ID})) {
		texts = append(texts, p.Name, p.Email, p.Team, strings.Join(slices.Collect(maps.Keys(p.Agent)), " "))
	}
	for _, text := range texts {
		for _, trace := range []string{"ann lee", "ann@example.org"} {
			if strings.Contains(strings.ToLower(text), trace) {
				t.Fatalf("%q still names her (%q)", text, trace)
			}
		}
	}
	if p := must[qa.Post](t, "her question")(s.Post(ctx, qAnn.ID)); p.Title != "Widgets by [erased] fail" || p.Body != "Mail [erased] please" || p.AuthorID != ann.ID || p.Deleted {
		t.Fatalf("her question after erasure = %+v", p)
	}
	if p := must[qa.Post](t, "bob's question")(s.Post(ctx, qBob.ID)); p.Body != "[erased] said so; ask @[erased]. Annex Leeway stays." || p.Score != 1 {
		t.Fatalf("bob's question after erasure = %+v", p)
	}
	if r := must[[]qa.Revision](t, "Revisions")(s.Revisions(ctx, qBob.ID)); len(r) != 1 || r[0].Body != "[erased] said so. Annex Leeway stays." {
		t.Fatalf("revision after erasure = %+v", r)
	}
	if p := must[qa.Post](t, "answer")(s.Post(ctx, thanks.ID)); p.Body != "Thanks, [erased]!" {
		t.Fatalf("answer after erasure = %+v", p)
	}
	if v := must[int](t, "Vote")(s.Vote(ctx, ann.ID, qBob.ID)); v != 1 {
		t.Fatalf("her vote = %d, want it kept", v)
	}
	if l := must[[]qa.Post](t, "PostsBy")(s.PostsBy(ctx, ann.ID, qa.KindQuestion, 10)); !slices.Equal(ids(l), []int64{qAnn.ID}) {
		t.Fatalf("her questions = %v", ids(l))
	}
	if th := must[[]qa.Post](t, "Thread")(s.Thread(ctx, qAnn.ID)); !slices.Equal(ids(th), []int64{thanks.ID}) {
		t.Fatalf("her thread = %v", ids(th))
	}

	// Search follows the texts.
	for _, c := range []struct {
		text string
		want []int64
	}{
		{"lee", nil},
		{"ann", nil},
		{"example", nil},
		{"ann lee", nil},
		{"erased", []int64{qBob.ID, qAnn.ID}},
		{"widgets", []int64{other.ID, qBob.ID, qAnn.ID}},
		{"annex leeway", []int64{qBob.ID}},
	} {
		if got := search(c.text); !slices.Equal(got, c.want) {
			t.Errorf("after erasure, search %q = %v, want %v", c.text, got, c.want)
		}
	}

	if n := must[int](t, "repeat")(s.ErasePerson(ctx, erase)); n != 0 {
		t.Fatalf("repeat changed %d, want 0", n)
	}
	erase.PersonID = 0
	if n := must[int](t, "texts only")(s.ErasePerson(ctx, erase)); n != 0 {
		t.Fatalf("texts-only repeat changed %d, want 0", n)
	}
}
