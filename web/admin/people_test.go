package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/qa"
)

// testLinks keeps Slack links in the real workspace store and stands in for the Slack
// app's resolution: a fix links the hub person with the email, an unlink records the
// user under a Slack account of https://acme.slack.com.
type testLinks struct {
	ws  workspace.Store
	hub *qa.Service
}

func (l testLinks) SlackLinksOfPerson(ctx context.Context, id string) ([]workspace.Link, error) {
	return l.ws.SlackLinksOfPerson(ctx, id)
}

func (l testLinks) FixLink(ctx context.Context, team, user, email string) (workspace.Link, error) {
	p, err := l.hub.PersonByEmail(ctx, email)
	if err != nil {
		return workspace.Link{}, err
	}
	agent, _ := json.Marshal(p.Agent)
	link := workspace.Link{TeamID: team, UserID: user, PersonID: strconv.FormatInt(p.ID, 10), Email: p.Email, Agent: agent, Source: workspace.SourceAdmin, UpdatedAt: time.Now()}
	return link, l.ws.PutSlackLink(ctx, link)
}

func (l testLinks) Unlink(ctx context.Context, team, user string) (workspace.Link, error) {
	agent, _ := json.Marshal(map[string]any{"account": map[string]any{"homePage": "https://acme.slack.com", "name": user}})
	link := workspace.Link{TeamID: team, UserID: user, Agent: agent, Source: workspace.SourceAdmin, UpdatedAt: time.Now()}
	return link, l.ws.PutSlackLink(ctx, link)
}

// person stores a hub person directly.
func (e env) person(t *testing.T, email, name, team string) qa.Person {
	t.Helper()
	p, err := e.store.CreatePerson(t.Context(), qa.Person{Email: email, Name: name, Role: qa.RoleMember, Reputation: 7, PasswordHash: "h",
		Agent: map[string]any{"mbox": "mailto:" + email}, Team: team, CreatedAt: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPeoplePage(t *testing.T) {
	e := newEnv(t)
	ana := e.person(t, "ana@example.com", "Ana Alves", "Sales")
	e.person(t, "bo@example.com", "Bo Berg", "")
	for i := range 55 {
		e.person(t, "p"+strconv.Itoa(i)+"@example.org", "Person "+strconv.Itoa(i), "")
	}
	if code, _, _ := e.do(t, http.MethodGet, "/admin/people", nil, "", false); code != 403 {
		t.Fatalf("people page without admin: %d", code)
	}
	code, _, body := e.do(t, http.MethodGet, "/admin/people", nil, "", true)
	if code != 200 || !strings.Contains(body, "<td>Ana Alves</td><td>ana@example.com</td><td>7</td><td>2026-10-01 09:00:00 UTC</td>") ||
		!strings.Contains(body, `name="team" value="Sales"`) || strings.Count(body, `<tr id="person-`) != 50 {
		t.Fatalf("first page: %d, %d rows\n%s", code, strings.Count(body, `<tr id="person-`), body)
	}
	next := regexp.MustCompile(`href="(/admin/people\?after=\d+)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("first page has no next link")
	}
	_, _, body = e.do(t, http.MethodGet, strings.ReplaceAll(next[1], "&amp;", "&"), nil, "", true)
	if n := strings.Count(body, `<tr id="person-`); n != 7 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, "Person 54") {
		t.Fatalf("second page: %d rows", n)
	}
	_, _, body = e.do(t, http.MethodGet, "/admin/people?q=BERG", nil, "", true)
	if strings.Count(body, `<tr id="person-`) != 1 || !strings.Contains(body, "Bo Berg") {
		t.Fatalf("search by name: %s", body)
	}
	if code, _, _ := e.do(t, http.MethodGet, "/admin/people?after=x", nil, "", true); code != 400 {
		t.Fatalf("after=x: %d, want 400", code)
	}

	// Role and team change: refused without the form's token, and with bad values.
	target := "/admin/people/" + strconv.FormatInt(ana.ID, 10)
	if code, body := e.post(t, target, url.Values{"role": {"admin"}, "team": {"Support"}}); code != 403 || !strings.Contains(body, "form has expired") {
		t.Fatalf("change without CSRF: %d", code)
	}
	for _, f := range []url.Values{
		{"role": {"owner"}, "team": {"Support"}},
		{"role": {"admin"}, "team": {strings.Repeat("t", qa.MaxTeam+1)}},
		{"role": {"admin"}, "team": {"a\x01b"}},
	} {
		f.Set("csrf", "token-1")
		if code, _ := e.post(t, target, f); code != 400 {
			t.Errorf("change %v: %d, want 400", f, code)
		}
	}
	if p, _ := e.hub.Person(t.Context(), ana.ID); p.Role != qa.RoleMember || p.Team != "Sales" {
		t.Fatalf("a refused change wrote: %+v", p)
	}
	if code, _ := e.post(t, "/admin/people/9999", url.Values{"csrf": {"token-1"}, "role": {"admin"}}); code != 404 {
		t.Fatalf("unknown person: %d, want 404", code)
	}
	code, hdr, _ := e.do(t, http.MethodPost, target, strings.NewReader(url.Values{"csrf": {"token-1"}, "role": {"moderator"}, "team": {"  Support "}}.Encode()), "application/x-www-form-urlencoded", true)
	if code != 303 || hdr.Get("Location") != "/admin/people?q=ana%40example.com" {
		t.Fatalf("change: %d %q", code, hdr.Get("Location"))
	}
	if p, _ := e.hub.Person(t.Context(), ana.ID); p.Role != qa.RoleModerator || p.Team != "Support" {
		t.Fatalf("after the change: role %q team %q", p.Role, p.Team)
	}
}

func TestPeopleSlackLinks(t *testing.T) {
	e := newEnv(t)
	ana := e.person(t, "ana@example.com", "Ana Alves", "")
	base := "/admin/people/" + strconv.FormatInt(ana.ID, 10) + "/slack"
	if code, _ := e.post(t, base, url.Values{"slack_team": {"T1"}, "slack_user": {"U1"}}); code != 403 {
		t.Fatalf("link without CSRF: %d", code)
	}
	if code, _ := e.post(t, base, url.Values{"csrf": {"token-1"}, "slack_team": {"T1"}, "slack_user": {"u1; drop"}}); code != 400 {
		t.Fatalf("bad user id: %d, want 400", code)
	}
	if code, _ := e.post(t, base, url.Values{"csrf": {"token-1"}, "slack_team": {"T0TEAM"}, "slack_user": {"U0ANA"}}); code != 303 {
		t.Fatalf("link: %d", code)
	}
	l, err := e.store.SlackLink(t.Context(), "T0TEAM", "U0ANA")
	if err != nil || l.PersonID != strconv.FormatInt(ana.ID, 10) || l.Source != workspace.SourceAdmin {
		t.Fatalf("stored link %+v, %v", l, err)
	}
	_, _, body := e.do(t, http.MethodGet, "/admin/people?q=ana", nil, "", true)
	if !strings.Contains(body, "<code>T0TEAM/U0ANA</code> (admin)") {
		t.Fatalf("people page does not show the link:\n%s", body)
	}
	// Removing a link the person does not have is a 404 and writes nothing.
	if code, _ := e.post(t, base+"/remove", url.Values{"csrf": {"token-1"}, "slack_team": {"T0TEAM"}, "slack_user": {"U0BO"}}); code != 404 {
		t.Fatalf("remove someone else's link: %d, want 404", code)
	}
	if code, _ := e.post(t, base+"/remove", url.Values{"csrf": {"token-1"}, "slack_team": {"T0TEAM"}, "slack_user": {"U0ANA"}}); code != 303 {
		t.Fatalf("remove: %d", code)
	}
	if l, err := e.store.SlackLink(t.Context(), "T0TEAM", "U0ANA"); err != nil || l.PersonID != "" {
		t.Fatalf("after remove: %+v, %v", l, err)
	}
	if links, _ := e.store.SlackLinksOfPerson(t.Context(), strconv.FormatInt(ana.ID, 10)); len(links) != 0 {
		t.Fatalf("person still has links %+v", links)
	}
}

func TestSettingsPage(t *testing.T) {
	e := newEnv(t)
	if code, _, _ := e.do(t, http.MethodGet, "/admin/settings", nil, "", false); code != 403 {
		t.Fatalf("settings without admin: %d", code)
	}
	code, _, body := e.do(t, http.MethodGet, "/admin/settings", nil, "", true)
	if code != 200 || !strings.Contains(body, `<th scope="row">Time zone</th><td><code>Europe/Paris</code></td><td>CAIRN_TIMEZONE</td>`) || !strings.Contains(body, "restart Cairn") {
		t.Fatalf("settings page: %d\n%s", code, body)
	}
}

// hubFixture stores three people, answers, votes and an accepted answer: Bo has the
// accepted answer, Ana the higher score; one question stays unanswered.
func (e env) hubFixture(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	asker := e.person(t, "asker@example.com", "Asker", "")
	ana := e.person(t, "ana@example.com", "Ana Alves", "")
	bo := e.person(t, "bo@example.com", "Bo Berg", "")
	at := time.Date(2026, 10, 2, 8, 0, 0, 0, time.UTC)
	post := func(p qa.Post) qa.Post {
		p.Version, p.CreatedAt, p.UpdatedAt = 1, at, at
		out, err := e.store.CreatePost(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	q1 := post(qa.Post{Kind: qa.KindQuestion, AuthorID: asker.ID, Title: "How do I rotate keys?", Body: "b", Tags: []string{"x"}})
	post(qa.Post{Kind: qa.KindQuestion, AuthorID: asker.ID, Title: "Nobody knows this one", Body: "b", Tags: []string{"x"}})
	a1 := post(qa.Post{Kind: qa.KindAnswer, QuestionID: q1.ID, ParentID: q1.ID, AuthorID: ana.ID, Body: "a"})
	b1 := post(qa.Post{Kind: qa.KindAnswer, QuestionID: q1.ID, ParentID: q1.ID, AuthorID: bo.ID, Body: "b"})
	for _, v := range []int64{asker.ID, bo.ID} {
		if err := e.store.ApplyVote(ctx, qa.VoteChange{VoterID: v, PostID: a1.ID, Value: 1, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.Accept(ctx, qa.AcceptChange{QuestionID: q1.ID, AnswerID: b1.ID}); err != nil {
		t.Fatal(err)
	}
}

func TestReportHubLists(t *testing.T) {
	for _, tt := range []struct {
		name    string
		privacy *reports.Privacy
		want    []string
		notWant []string
	}{
		{"open", nil, []string{"<tr><td>Bo Berg</td><td>1</td><td>0</td><td>1</td></tr>\n<tr><td>Ana Alves</td><td>0</td><td>2</td><td>1</td></tr>"}, []string{"answerers-hidden"}},
		{"privacy", &reports.Privacy{Aggregate: true, K: 2}, []string{`id="answerers-hidden"`}, []string{"Bo Berg", "Ana Alves", `id="answerers"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, tt.privacy)
			e.hubFixture(t)
			code, _, body := e.do(t, http.MethodGet, "/admin/reports", nil, "", true)
			if code != 200 {
				t.Fatalf("reports: %d %s", code, body)
			}
			// The unanswered question names no one and shows either way.
			tt.want = append(tt.want, `<a href="/questions/2">Nobody knows this one</a></td><td>2026-10-02 08:00:00 UTC</td>`)
			tt.notWant = append(tt.notWant, "How do I rotate keys?")
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("report page lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("report page shows %q", w)
				}
			}
		})
	}
}

// TestPeoplePrivacy: under the privacy rule the people page shows no reputation.
func TestPeoplePrivacy(t *testing.T) {
	e := newEnvWith(t, &reports.Privacy{Aggregate: true, K: 5})
	e.person(t, "ana@example.com", "Ana Alves", "")
	_, _, body := e.do(t, http.MethodGet, "/admin/people", nil, "", true)
	if strings.Contains(body, "<td>7</td>") || strings.Contains(body, ">Reputation<") || !strings.Contains(body, "Ana Alves") {
		t.Fatalf("people page under privacy:\n%s", body)
	}
}
