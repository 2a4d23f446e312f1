package hub_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
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
	// A token from another session does not pass either.
	if status, _, _ := ana.post("/ask", url.Values{"csrf": {bo.token()}, "title": {"A long enough title"}, "body": {"b"}, "tags": {"x"}}); status != http.StatusForbidden {
		t.Errorf("another session's CSRF token: %d", status)
	}
	anon := s.client(t)
	if status, loc, _ := anon.post("/ask", url.Values{"csrf": {"x"}}); status != http.StatusForbidden {
		t.Errorf("anonymous post with a forged token: %d %s", status, loc)
	}
	if status, _, _ := anon.get("/ask"); status != http.StatusSeeOther {
		t.Errorf("anonymous ask page: %d", status)
	}
}

func TestRecordLearningPages(t *testing.T) {
	s := startServer(t, qa.SignupOpen)
	ana, bo := s.client(t), s.client(t)
	ana.signUp("ana@example.com", "Ana")
	bo.signUp("bo@example.com", "Bo")
	tok := ana.token()
	bad := []struct {
		form url.Values
		msg  string
	}{
		{url.Values{"kind": {"book"}, "title": {""}}, "title: must be 3 to 200"},
		{url.Values{"kind": {"juggling"}, "title": {"Something"}}, "kind: choose"},
		{url.Values{"kind": {"book"}, "title": {"A book"}, "url": {"javascript:alert(1)"}}, "url: must be an http"},
		{url.Values{"kind": {"book"}, "title": {"A book"}, "date": {"yesterday"}}, "date: use the form"},
		{url.Values{"kind": {"book"}, "title": {"A book"}, "minutes": {"-5"}}, "duration:"},
	}
	for _, b := range bad {
		b.form.Set("csrf", tok)
		status, _, body := ana.post("/learning", b.form)
		if status != 400 || !strings.Contains(body, b.msg) {
			t.Errorf("%v: %d, want 400 with %q", b.form, status, b.msg)
		}
	}
	status, loc, _ := ana.post("/learning", url.Values{"csrf": {tok}, "kind": {"conference"}, "title": {"GopherCon EU"},
		"url": {"https://gophercon.eu/"}, "date": {"2026-06-17"}, "minutes": {"480"}, "note": {"Talks on generics"}, "tags": {"go"}})
	if status != 303 || loc != "/people/1#learning" {
		t.Fatalf("record: %d %s", status, loc)
	}
	_, body, _ := ana.get("/people/1")
	contains(t, "own profile", body, "attended <strong>GopherCon EU</strong>", "PT8H", "Talks on generics", `action="/learning/`)
	_, other, _ := bo.get("/people/1")
	if strings.Contains(other, "GopherCon EU") {
		t.Error("another person sees the learning record")
	}
	items, _, err := s.svc.LearningRecord(t.Context(), qa.Person{Agent: map[string]any{"mbox": "mailto:ana@example.com"}}, 10, "")
	if err != nil || len(items) != 1 {
		t.Fatalf("learning record: %v %v", items, err)
	}
	btok := bo.token()
	if status, _, _ := bo.post("/learning/"+items[0].ID+"/void", url.Values{"csrf": {btok}}); status != 403 {
		t.Errorf("someone else voids the entry: %d", status)
	}
	if status, _, _ := ana.post("/learning/"+items[0].ID+"/void", url.Values{"csrf": {tok}}); status != 303 {
		t.Errorf("void own entry: %d", status)
	}
	_, body, _ = ana.get("/people/1")
	if strings.Contains(body, "GopherCon EU") {
		t.Error("a voided entry is still shown")
	}
}

func TestInviteOnlySignup(t *testing.T) {
	s := startServer(t, qa.SignupInvite)
	if _, err := s.svc.CreatePerson(t.Context(), "admin@example.com", "Admin", "correct horse battery", qa.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin, guest := s.client(t), s.client(t)
	_, _, tok := admin.get("/signin")
	if status, _, _ := admin.post("/signin", url.Values{"csrf": {tok}, "email": {"admin@example.com"}, "password": {"correct horse battery"}}); status != 303 {
		t.Fatalf("admin sign-in: %d", status)
	}
	_, _, gtok := guest.get("/signup")
	status, _, body := guest.post("/signup", url.Values{"csrf": {gtok}, "email": {"g@example.com"}, "name": {"G"}, "password": {"correct horse battery"}, "password2": {"correct horse battery"}})
	if status != 403 || !strings.Contains(body, "by invitation only") {
		t.Errorf("sign-up without invite: %d", status)
	}
	if status, _, _ := guest.get("/admin/invites"); status != 303 {
		t.Errorf("a visitor on the admin page: %d", status)
	}
	_, body, atok := admin.get("/admin/invites")
	_, _, body = admin.post("/admin/invites", url.Values{"csrf": {atok}, "email": {""}})
	link := regexp.MustCompile(`/signup\?invite=([A-Za-z0-9_-]+)`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("no invite link on the page:\n%.500s", body)
	}
	_, page, gtok := guest.get("/signup?invite=" + link[1])
	contains(t, "invite sign-up page", page, `name="invite" value="`+link[1]+`"`)
	if status, loc, body := guest.post("/signup", url.Values{"csrf": {gtok}, "invite": {link[1]}, "email": {"g@example.com"}, "name": {"G"},
		"password": {"correct horse battery"}, "password2": {"correct horse battery"}}); status != 303 || loc != "/" {
		t.Fatalf("sign-up with invite: %d %s %.300s", status, loc, body)
	}
	intruder := s.client(t)
	_, _, itok := intruder.get("/signin")
	for i := range 6 {
		status, _, _ = intruder.post("/signin", url.Values{"csrf": {itok}, "email": {"admin@example.com"}, "password": {"wrong password " + strconv.Itoa(i)}})
	}
	if status != 429 {
		t.Errorf("sixth wrong password: %d, want 429", status)
	}
}

func TestAdminSetsRoles(t *testing.T) {
	s := startServer(t, qa.SignupOpen)
	if _, err := s.svc.CreatePerson(t.Context(), "admin@example.com", "Admin", "correct horse battery", qa.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin, bo := s.client(t), s.client(t)
	bo.signUp("bo@example.com", "Bo")
	_, _, tok := admin.get("/signin")
	admin.post("/signin", url.Values{"csrf": {tok}, "email": {"admin@example.com"}, "password": {"correct horse battery"}})
	atok := admin.token()
	_, page, _ := admin.get("/people/2")
	contains(t, "profile seen by an admin", page, `action="/people/2/role"`)
	if status, _, _ := bo.post("/people/2/role", url.Values{"csrf": {bo.token()}, "role": {"admin"}}); status != 403 {
		t.Errorf("a member makes themself admin: %d", status)
	}
	if status, _, _ := admin.post("/people/2/role", url.Values{"csrf": {atok}, "role": {"overlord"}}); status != 400 {
		t.Errorf("unknown role: %d", status)
	}
	if status, _, _ := admin.post("/people/2/role", url.Values{"csrf": {atok}, "role": {"moderator"}}); status != 303 {
		t.Errorf("set moderator: %d", status)
	}
	if p, _ := s.svc.Person(t.Context(), 2); p.Role != qa.RoleModerator {
		t.Errorf("role = %s", p.Role)
	}
}

// TestExtensionOnProfile: a person makes a one-time connect code on their profile, the
// extension redeems it for a credential bound to their agent, the profile lists it
// and the person disconnects it; nobody else can.
func TestExtensionOnProfile(t *testing.T) {
	s := startServer(t, qa.SignupOpen)
	ana, bo := s.client(t), s.client(t)
	ana.signUp("ana@example.com", "Ana")
	bo.signUp("bo@example.com", "Bo")
	tok := ana.token()
	if status, _, _ := ana.post("/me/extension/code", url.Values{}); status != 403 {
		t.Errorf("connect code without the CSRF token: %d, want 403", status)
	}
	status, _, body := ana.post("/me/extension/code", url.Values{"csrf": {tok}})
	m := regexp.MustCompile(`id="connect-code">([^<]+)<`).FindStringSubmatch(body)
	if status != 200 || m == nil {
		t.Fatalf("connect code: %d, no code shown", status)
	}
	cred, secret, err := s.creds.RedeemConnectCode(t.Context(), m[1], "Browser extension", []string{capture.ScopeStatementsWrite, capture.ScopeStatementsRead})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.creds.Authenticate(t.Context(), cred.Key, secret); err != nil || p.AgentKey == "" {
		t.Fatalf("the extension's credential: %+v, %v; want one bound to Ana", p, err)
	}
	if _, _, err := s.creds.RedeemConnectCode(t.Context(), m[1], "again", []string{capture.ScopeStatementsWrite}); err == nil {
		t.Error("a connect code worked twice")
	}
	_, body, _ = ana.get("/people/1")
	contains(t, "own profile", body, `id="extension-credentials"`, "/me/extension/credentials/"+cred.Key+"/revoke")
	_, other, _ := bo.get("/people/1")
	if strings.Contains(other, cred.Key) || strings.Contains(other, `id="make-connect-code"`) {
		t.Error("another person sees Ana's extension connection")
	}
	if status, _, _ := bo.post("/me/extension/credentials/"+cred.Key+"/revoke", url.Values{"csrf": {bo.token()}}); status != 404 {
		t.Errorf("Bo disconnects Ana's extension: %d, want 404", status)
	}
	if status, _, _ := ana.post("/me/extension/credentials/"+cred.Key+"/revoke", url.Values{"csrf": {tok}}); status != 303 {
		t.Errorf("disconnect: %d, want 303", status)
	}
	if _, err := s.creds.Authenticate(t.Context(), cred.Key, secret); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Errorf("after disconnecting, the credential authenticates: %v", err)
	}
}
