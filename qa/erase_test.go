package qa_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

func TestScrubText(t *testing.T) {
	words := []string{"Ann Lee", "ann@example.org", "Åsa Berg", "x", "erased", "Al"}
	for _, c := range []struct{ in, want string }{
		{"Ask Ann Lee.", "Ask [erased]."},
		{"ANN LEE and ann lee", "[erased] and [erased]"},
		{"mail ann@example.org or @ann@example.org", "mail [erased] or @[erased]"},
		{"Annex Leeway and Joann Lee stay", "Annex Leeway and Joann Lee stay"},
		{"ÅSA BERG wrote", "[erased] wrote"},
		{"Al said: total recall", "[erased] said: total recall"},
		{"x marks the spot, erased stays", "x marks the spot, erased stays"},
		{"nothing here", "nothing here"},
	} {
		got, changed := qa.ScrubText(c.in, words)
		if got != c.want || changed != (c.in != c.want) {
			t.Errorf("ScrubText(%q) = %q, %v; want %q", c.in, got, changed, c.want)
		}
	}
}

// TestServiceErasePerson: the person is found by any case of their mbox, their row
// and texts are erased, they can no longer sign in, a repeat changes nothing; an
// account agent on another homePage finds no one.
func TestServiceErasePerson(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, qa.SignupOpen)
	ann := f.signUp(t, "ann@example.com")
	bob := f.signUp(t, "bob@example.com")
	q, err := f.svc.Ask(ctx, bob, "Who runs the deploys here?", "I think @ann@example.com does, ann knows", []string{"deploys"})
	if err != nil {
		t.Fatal(err)
	}
	anon := map[string]any{"account": map[string]any{"homePage": base + "/erased", "name": "a1"}}
	if _, err := f.svc.ErasePerson(ctx, nil, nil, map[string]any{"name": "no id"}); capture.ErrorCode(err) != capture.CodeInvalid {
		t.Fatalf("anonymous without an identifier: %v, want invalid", err)
	}
	other := []map[string]any{{"account": map[string]any{"homePage": "https://elsewhere.example", "name": "ann@example.com"}}}
	if people, err := f.svc.PeopleOf(ctx, other); err != nil || len(people) != 0 {
		t.Fatalf("PeopleOf(account elsewhere) = %v, %v; want no one", people, err)
	}
	agents := []map[string]any{{"mbox": "mailto:ANN@example.com"}}
	n, err := f.svc.ErasePerson(ctx, agents, nil, anon)
	if err != nil || n < 3 { // her row, her mention notification, bob's question
		t.Fatalf("ErasePerson = %d, %v", n, err)
	}
	row := f.reload(t, ann)
	if row.Name != qa.ErasedName || row.Email != qa.ErasedEmail(ann.ID) {
		t.Fatalf("row after erasure: %+v", row)
	}
	if _, _, _, err := f.svc.SignIn(ctx, "ann@example.com", "correct horse battery", "c"); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Fatalf("sign-in after erasure: %v, want unauthorized", err)
	}
	got, err := f.svc.Question(ctx, q.ID)
	if err != nil || strings.Contains(got.Body, "ann@example.com") || !strings.Contains(got.Body, "[erased] knows") {
		t.Fatalf("question after erasure: %q, %v", got.Body, err) // her name ("ann") is scrubbed too
	}
	if n, err := f.svc.ErasePerson(ctx, agents, nil, anon); err != nil || n != 0 {
		t.Fatalf("repeat = %d, %v; want 0", n, err)
	}
}
