package hub_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/qa"
)

func TestPagesFlowAndBadInput(t *testing.T) {
	s := startServer(t, qa.SignupOpen)
	ana, bo := s.client(t), s.client(t)
	ana.signUp("ana@example.com", "Ana")
	bo.signUp("bo@example.com", "Bo")
	tok := ana.token()

	status, loc, body := ana.post("/ask", url.Values{"csrf": {tok}, "title": {"How do I rotate nginx logs?"}, "body": {"Details *here*"}, "tags": {"nginx ops"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/questions/") {
		t.Fatalf("ask: %d %s %s", status, loc, body)
	}
	qpath := loc
	status, body, _ = bo.get(qpath)
	if status != 200 {
		t.Fatalf("question page: %d", status)
	}
	contains(t, "question page", body, "How do I rotate nginx logs?", "<em>here</em>", `href="/tags/nginx"`, "Your answer")

	cases := []struct {
		name   string
		c      *client
		path   string
		form   url.Values
		status int
		msg    string
	}{
		{"empty title", ana, "/ask", url.Values{"title": {""}, "body": {"b"}, "tags": {"x"}}, 400, "title: must be 10 to 150 characters"},
		{"oversized title", ana, "/ask", url.Values{"title": {strings.Repeat("t", 151)}, "body": {"b"}, "tags": {"x"}}, 400, "title: must be"},
		{"oversized body", ana, "/ask", url.Values{"title": {"A long enough title"}, "body": {strings.Repeat("b", qa.MaxBody+1)}, "tags": {"x"}}, 400, "body: must be"},
		{"too many tags", ana, "/ask", url.Values{"title": {"A long enough title"}, "body": {"b"}, "tags": {"a b c d e f"}}, 400, "tags: at most 5 tags"},
		{"missing CSRF", ana, "/ask", url.Values{"title": {"A long enough title"}, "body": {"b"}, "tags": {"x"}}, 403, "this form has expired"},
		{"empty answer", bo, qpath + "/answers", url.Values{"body": {"  "}}, 400, "body: must be 1 to"},
		{"vote on own question", ana, "/posts/1/vote", url.Values{"value": {"1"}}, 403, "you cannot vote on your own post"},
		{"down vote without reputation", bo, "/posts/1/vote", url.Values{"value": {"-1"}}, 403, "voting down needs 125 reputation"},
		{"edit without the right", bo, "/posts/1/edit", url.Values{"version": {"1"}, "title": {"Taken over title"}, "body": {"x"}, "tags": {"x"}}, 403, "can edit this post"},
		{"stale edit form", ana, "/posts/1/edit", url.Values{"version": {"0"}, "title": {"A newer title here"}, "body": {"x"}, "tags": {"x"}}, 409, "changed since you opened it"},
	}
	for _, c := range cases {
		f := c.form
		if c.name != "missing CSRF" {
			f.Set("csrf", c.c.token())
		}
		status, _, body := c.c.post(c.path, f)
		if status != c.status || !strings.Contains(body, c.msg) {
			t.Errorf("%s: %d, want %d with %q; body:\n%.400s", c.name, status, c.status, c.msg, body)
		}
	}
	// A failed ask keeps what was typed.
	_, _, body = ana.post("/ask", url.Values{"csrf": {tok}, "title": {"short"}, "body": {"kept body"}, "tags": {"kept"}})
	contains(t, "failed ask form", body, ">kept body</textarea>", `value="kept"`)

	// Answer, vote, accept through forms; a second vote is refused.
	btok := bo.token()
	status, loc, _ = bo.post(qpath+"/answers", url.Values{"csrf": {btok}, "body": {"Use logrotate"}})
	if status != http.StatusSeeOther {
		t.Fatalf("answer: %d", status)
	}
	if status, _, _ := bo.post("/posts/1/vote", url.Values{"csrf": {btok}, "value": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("vote: %d", status)
	}
	if status, _, body := bo.post("/posts/1/vote", url.Values{"csrf": {btok}, "value": {"1"}}); status != http.StatusConflict || !strings.Contains(body, "already voted") {
		t.Errorf("second vote: %d", status)
	}
	if status, _, body := bo.post("/posts/2/accept", url.Values{"csrf": {btok}}); status != http.StatusForbidden || !strings.Contains(body, "only the person who asked") {
		t.Errorf("accept on someone else's question: %d", status)
	}
	if status, _, _ := ana.post("/posts/2/accept", url.Values{"csrf": {tok}}); status != http.StatusSeeOther {
		t.Fatalf("accept: %d", status)
	}
	_, body, _ = ana.get(qpath)
	contains(t, "accepted question page", body, "Accepted answer", "Use logrotate")
	th, err := s.svc.Thread(t.Context(), 1)
	if err != nil || th.Question.Score != 1 || th.Question.AcceptedID != 2 || len(th.Answers) != 1 {
		t.Errorf("stored thread after forms = %+v, %v", th.Question, err)
	}
	list, _, _ := s.svc.Questions(t.Context(), qa.QuestionQuery{})
	if len(list) != 1 {
		t.Errorf("rejected forms wrote questions: %d", len(list))
	}

	for _, p := range []string{"/", "/?sort=votes", "/?q=nginx", "/tags", "/tags/nginx", "/people/1", "/privileges", "/notifications", "/learning/new", "/ask", "/posts/1/revisions"} {
		if status, body, _ := ana.get(p); status != 200 || !strings.Contains(body, "</html>") {
			t.Errorf("GET %s: %d", p, status)
		}
	}
	if status, _, _ := ana.get("/questions/999"); status != 404 {
		t.Errorf("unknown question: %d", status)
	}
	if status, _, _ := ana.get("/?sort=random"); status != 400 {
		t.Errorf("bad sort: %d", status)
	}
	anon := s.client(t)
	if status, loc, _ := anon.post("/ask", url.Values{"csrf": {"x"}}); status != http.StatusForbidden {
		t.Errorf("anonymous post with a forged token: %d %s", status, loc)
	}
	if status, _, _ := anon.get("/ask"); status != http.StatusSeeOther {
		t.Errorf("anonymous ask page: %d", status)
	}
}
