package hub_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

type apiCall struct {
	method, path, body string
	header             map[string]string
}

func (s *server) api(t *testing.T, c *client, call apiCall) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(call.method, s.URL+call.path, strings.NewReader(call.body))
	if call.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range call.header {
		req.Header.Set(k, v)
	}
	hc := http.DefaultClient
	if c != nil {
		hc = c.http
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func TestAPI(t *testing.T) {
	s := startServer(t, qa.SignupOpen)
	ana := s.client(t)
	ana.signUp("ana@example.com", "Ana")
	if _, err := s.svc.SignUp(t.Context(), "bo@example.com", "Bo", "correct horse battery", ""); err != nil {
		t.Fatal(err)
	}
	writer, wsecret, err := s.creds.Create(t.Context(), "slack app", []string{capture.ScopeStatementsWrite, capture.ScopeAdmin}, false)
	if err != nil {
		t.Fatal(err)
	}
	plain, psecret, err := s.creds.Create(t.Context(), "plain writer", []string{capture.ScopeStatementsWrite}, false)
	if err != nil {
		t.Fatal(err)
	}
	reader, rsecret, err := s.creds.Create(t.Context(), "reader", []string{capture.ScopeStatementsRead}, false)
	if err != nil {
		t.Fatal(err)
	}
	basic := func(key, secret, person string) map[string]string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(key, secret)
		h := map[string]string{"Authorization": req.Header.Get("Authorization")}
		if person != "" {
			h["X-Cairn-Person"] = person
		}
		return h
	}
	tok := ana.token()
	session := map[string]string{"X-CSRF-Token": tok}

	status, q := s.api(t, ana, apiCall{"POST", "/api/questions", `{"title":"How do I use the JSON API?","body":"details","tags":["api"]}`, session})
	if status != http.StatusCreated || q["id"] != float64(1) || q["url"] != s.URL+"/questions/1" {
		t.Fatalf("POST /api/questions with a session: %d %v", status, q)
	}
	status, a := s.api(t, nil, apiCall{"POST", "/api/questions/1/answers", `{"body":"Like this."}`, basic(writer.Key, wsecret, "bo@example.com")})
	if status != http.StatusCreated || a["kind"] != "answer" {
		t.Fatalf("POST answer with a credential: %d %v", status, a)
	}
	if status, v := s.api(t, nil, apiCall{"POST", "/api/posts/1/vote", `{"value":1}`, basic(writer.Key, wsecret, "bo@example.com")}); status != 200 || v["score"] != float64(1) {
		t.Fatalf("vote: %d %v", status, v)
	}
	if status, _ := s.api(t, ana, apiCall{"POST", "/api/answers/2/accept", "", session}); status != http.StatusNoContent {
		t.Fatalf("accept: %d", status)
	}
	status, list := s.api(t, nil, apiCall{"GET", "/api/questions?q=json", "", basic(reader.Key, rsecret, "")})
	if qs, _ := list["questions"].([]any); status != 200 || len(qs) != 1 || qs[0].(map[string]any)["acceptedAnswerId"] != float64(2) {
		t.Fatalf("search: %d %v", status, list)
	}
	status, sim := s.api(t, ana, apiCall{"GET", "/api/similar?title=json+thing", "", nil})
	_ = sim
	if status != 200 {
		t.Fatalf("similar: %d", status)
	}

	cases := []struct {
		name   string
		c      *client
		call   apiCall
		status int
		msg    string
	}{
		{"no credentials", nil, apiCall{"GET", "/api/questions", "", nil}, 401, "sign in"},
		{"wrong secret", nil, apiCall{"GET", "/api/questions", "", basic(reader.Key, "wrong", "")}, 401, "wrong credentials"},
		{"session write without CSRF", ana, apiCall{"POST", "/api/questions", `{"title":"A title long enough","body":"b","tags":["x"]}`, nil}, 403, "this form has expired"},
		{"credential write without person", nil, apiCall{"POST", "/api/questions", `{"title":"A title long enough","body":"b","tags":["x"]}`, basic(writer.Key, wsecret, "")}, 400, "X-Cairn-Person"},
		{"read-only credential writes", nil, apiCall{"POST", "/api/questions", `{"title":"A title long enough","body":"b","tags":["x"]}`, basic(reader.Key, rsecret, "bo@example.com")}, 403, "may not write"},
		{"acting for someone without the admin scope", nil, apiCall{"POST", "/api/questions", `{"title":"A title long enough","body":"b","tags":["x"]}`, basic(plain.Key, psecret, "bo@example.com")}, 403, "admin scope"},
		{"unknown person", nil, apiCall{"POST", "/api/questions", `{"title":"A title long enough","body":"b","tags":["x"]}`, basic(writer.Key, wsecret, "zed@example.com")}, 404, "no hub account"},
		{"bad JSON", ana, apiCall{"POST", "/api/questions", `{"title":`, session}, 400, "body:"},
		{"unknown field", ana, apiCall{"POST", "/api/questions", `{"title":"A title long enough","body":"b","tags":["x"],"admin":true}`, session}, 400, "unknown field"},
		{"empty title", ana, apiCall{"POST", "/api/questions", `{"title":"","body":"b","tags":["x"]}`, session}, 400, "title: must be 10 to 150"},
		{"too many tags", ana, apiCall{"POST", "/api/questions", `{"title":"A title long enough","body":"b","tags":["a","b","c","d","e","f"]}`, session}, 400, "at most 5 tags"},
		{"second vote", nil, apiCall{"POST", "/api/posts/1/vote", `{"value":1}`, basic(writer.Key, wsecret, "bo@example.com")}, 409, "already voted"},
		{"vote without value", nil, apiCall{"POST", "/api/posts/1/vote", `{}`, basic(writer.Key, wsecret, "bo@example.com")}, 400, "value:"},
		{"accept someone else's", nil, apiCall{"POST", "/api/answers/2/accept", "", basic(writer.Key, wsecret, "bo@example.com")}, 403, "only the person who asked"},
		{"unknown question", ana, apiCall{"GET", "/api/questions/99", "", nil}, 404, "no post 99"},
		{"bad page position", ana, apiCall{"GET", "/api/questions?after=x", "", nil}, 400, "after:"},
	}
	for _, c := range cases {
		status, body := s.api(t, c.c, c.call)
		msg, _ := body["error"].(map[string]any)["message"].(string)
		if status != c.status || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, status, msg, c.status, c.msg)
		}
	}
	list2, _, _ := s.svc.Questions(t.Context(), qa.QuestionQuery{})
	if len(list2) != 1 {
		t.Errorf("refused API calls wrote questions: %d", len(list2))
	}
}
