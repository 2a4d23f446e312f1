package adminapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

// POST /api/admin/erasures checks, previews (dryRun) and erases; GET lists the audit
// records; only admin credentials reach either.
func TestErasuresAPI(t *testing.T) {
	l := start(t)
	admin, xapi := l.cred(t, capture.ScopeAdmin), l.cred(t, capture.ScopeAll)
	stmts := `[{"actor":{"mbox":"mailto:gus@example.org","name":"Gus Gone"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://example.org/a"}},
	{"actor":{"mbox":"mailto:hal@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"objectType":"Agent","mbox":"mailto:gus@example.org"}}]`
	if code, body := call(t, http.MethodPost, l.url+"/xapi/statements", xapi, stmts); code != 200 {
		t.Fatalf("POST statements: %d %s", code, body)
	}
	url := l.url + "/api/admin/erasures"
	person := `"agents":[{"mbox":"mailto:gus@example.org"}],"requestedBy":"Dana","reason":"ticket 5"`
	if code, _ := call(t, http.MethodPost, url, xapi, "{"+person+"}"); code != 403 {
		t.Errorf("erase with a non-admin credential: %d, want 403", code)
	}
	if code, _ := call(t, http.MethodGet, url, [2]string{}, ""); code != 401 {
		t.Errorf("list without credentials: %d, want 401", code)
	}
	for _, bad := range []string{`{`, `{"agents":[],"requestedBy":"D","reason":"r"}`, `{"agents":[{"mbox":"gus"}],"requestedBy":"D","reason":"r"}`, `{` + person + `,"extra":1}`} {
		if code, body := call(t, http.MethodPost, url, admin, bad); code != 400 {
			t.Errorf("POST %s: %d %s, want 400", bad, code, body)
		}
	}
	code, body := call(t, http.MethodPost, url, admin, "{"+person+`,"dryRun":true}`)
	if code != 200 || !strings.Contains(string(body), `"statements":2`) {
		t.Errorf("dry run: %d %s", code, body)
	}
	code, body = call(t, http.MethodPost, url, admin, "{"+person+"}")
	var rec struct {
		ID                                      string
		StatementsDeleted, StatementsAnonymised int
	}
	if err := json.Unmarshal(body, &rec); err != nil || code != 201 || rec.StatementsDeleted != 1 || rec.StatementsAnonymised != 1 {
		t.Fatalf("erase: %d %s", code, body)
	}
	code, body = call(t, http.MethodGet, l.url+"/xapi/statements", xapi, "")
	if code != 200 || strings.Contains(string(body), "gus@example.org") || strings.Contains(string(body), "Gus Gone") || !strings.Contains(string(body), "hal@example.org") {
		t.Errorf("statements after erasure: %d %s", code, body)
	}
	code, body = call(t, http.MethodGet, url+"?limit=5", admin, "")
	if code != 200 || !strings.Contains(string(body), rec.ID) || strings.Contains(string(body), "gus") {
		t.Errorf("list: %d %s", code, body)
	}
	if code, _ := call(t, http.MethodGet, url+"?limit=0", admin, ""); code != 400 {
		t.Errorf("list limit=0: %d, want 400", code)
	}
}
