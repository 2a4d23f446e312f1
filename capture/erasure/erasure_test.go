package erasure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/capture/mongostore"
	"github.com/cairn-lrs/cairn/capture/mongostore/mongotest"
	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/capture/transfer"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/xapiclient"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// fullStore is every store interface an erasure touches; both adapters have them all.
type fullStore interface {
	capture.Store
	reports.Store
	federation.Store
	workspace.Store
	erasure.AuditStore
}

const baseURL = "https://cairn.example.org"

// The erased person: every identifier and name, as they must never be found again.
var aliceTraces = []string{
	"alice@example.org", "Alice Erasable", "alice-7", "https://openid.example.org/alice", "UALICE",
}

// The fixture: Alice (two identifiers) acts, is mentioned in every place an agent can
// stand, and has documents and a Slack link; Bob and Carol learn beside her.
func fixture() string {
	return `[
{"id":"00000000-0000-4000-8000-000000000001","actor":{"name":"Alice Erasable","mbox":"mailto:alice@example.org"},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://courses.example.org/go"},
 "timestamp":"2026-05-04T10:00:00Z"},
{"id":"00000000-0000-4000-8000-000000000002","actor":{"account":{"homePage":"https://hr.example.org","name":"alice-7"}},
 "verb":{"id":"https://w3id.org/xapi/adb/verbs/read"},"object":{"id":"https://blog.example.org/a1",
 "definition":{"type":"http://activitystrea.ms/article"}},"timestamp":"2026-05-05T10:00:00Z"},
{"id":"00000000-0000-4000-8000-000000000003","actor":{"name":"Bob Kept","mbox":"mailto:bob@example.org"},
 "verb":{"id":"http://id.tincanapi.com/verb/mentored"},"object":{"objectType":"Agent","name":"Alice Erasable","mbox":"mailto:alice@example.org"},
 "context":{"instructor":{"openid":"https://openid.example.org/alice"}},"timestamp":"2026-05-05T11:00:00Z"},
{"id":"00000000-0000-4000-8000-000000000004","actor":{"name":"Bob Kept","mbox":"mailto:bob@example.org"},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/attended"},"object":{"id":"https://events.example.org/gophercon"},
 "context":{"team":{"objectType":"Group","name":"Team Blue","member":[
   {"name":"Alice Erasable","mbox":"mailto:alice@example.org"},{"name":"Carol Kept","mbox":"mailto:carol@example.org"}]}},
 "timestamp":"2026-05-06T10:00:00Z"},
{"id":"00000000-0000-4000-8000-000000000005","actor":{"name":"Carol Kept","mbox":"mailto:carol@example.org"},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"objectType":"StatementRef","id":"00000000-0000-4000-8000-000000000001"},
 "timestamp":"2026-05-06T11:00:00Z"},
{"id":"00000000-0000-4000-8000-000000000006","actor":{"name":"Carol Kept","mbox":"mailto:carol@example.org"},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/commented"},"object":{"objectType":"SubStatement",
   "actor":{"name":"Alice Erasable","mbox":"mailto:alice@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/asked"},
   "object":{"id":"https://hub.example.org/q/1"}},"timestamp":"2026-05-07T10:00:00Z"},
{"id":"00000000-0000-4000-8000-000000000007","actor":{"name":"Bob Kept","mbox":"mailto:bob@example.org"},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://courses.example.org/go"},
 "timestamp":"2026-05-07T11:00:00Z"},
{"id":"00000000-0000-4000-8000-000000000008","actor":{"account":{"homePage":"https://acme.slack.com","name":"UALICE"}},
 "verb":{"id":"http://adlnet.gov/expapi/verbs/shared"},"object":{"id":"https://blog.example.org/a2"},
 "context":{"platform":"Slack"},"timestamp":"2026-05-08T10:00:00Z"}
]`
}

func sid(n int) string { return "00000000-0000-4000-8000-00000000000" + string(rune('0'+n)) }

// partner is an xAPI partner LRS that records every statement posted to it.
type partner struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []map[string]any
	raws [][]byte
}

func newPartner(t *testing.T) *partner {
	p := &partner{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/xapi/statements" {
			http.Error(w, "not here", http.StatusNotFound)
			return
		}
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		var sts []map[string]any
		if err := json.Unmarshal(body.Bytes(), &sts); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		var ids []string
		for _, st := range sts {
			p.got = append(p.got, st)
			b, _ := json.Marshal(st)
			p.raws = append(p.raws, b)
			id, _ := st["id"].(string)
			ids = append(ids, id)
		}
		p.mu.Unlock()
		w.Header().Set("X-Experience-API-Version", "1.0.3")
		json.NewEncoder(w).Encode(ids)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// voidsOf returns the targets of the voiding statements the partner received.
func (p *partner) voidsOf() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, st := range p.got {
		if verb, _ := st["verb"].(map[string]any); verb["id"] == capture.VerbVoided {
			obj, _ := st["object"].(map[string]any)
			out = append(out, obj["id"].(string))
		}
	}
	slices.Sort(out)
	return out
}

func (p *partner) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

// hubPart stands for the Q&A hub's part (on another branch): it records what it was
// given and reports 4 items the first time, none after.
type hubPart struct {
	mu     sync.Mutex
	calls  int
	person erasure.Person
}

func (h *hubPart) Name() string { return "qa" }
func (h *hubPart) ErasePerson(ctx context.Context, p erasure.Person) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	h.person = p
	if h.calls == 1 {
		return 4, nil
	}
	return 0, nil
}

// binding binds credentials to agent keys.
type binding map[string]string

func (b binding) CredentialsOf(_ context.Context, p erasure.Person) ([]string, error) {
	var keys []string
	for _, k := range p.AgentKeys {
		if c, ok := b[k]; ok {
			keys = append(keys, c)
		}
	}
	return keys, nil
}

func TestEraseSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cairn.db")
	s, err := sqlitestore.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	runErasure(t, s)
	// The database file and its WAL, byte for byte.
	dbFileTraces(t, path)
}

func TestEraseMongo(t *testing.T) {
	if testing.Short() {
		t.Skip("FerretDB run skipped in -short")
	}
	var srv mongotest.Server
	t.Cleanup(srv.Stop)
	s, err := mongostore.Open(t.Context(), srv.DatabaseURI(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	runErasure(t, s)
}

func runErasure(t *testing.T, s fullStore) {
	ctx := t.Context()
	principal := capture.Principal{
		Credential:   capture.Credential{Key: "k", Scopes: []string{capture.ScopeAll}},
		Authority:    map[string]any{"objectType": "Agent", "name": "Importer", "account": map[string]any{"homePage": baseURL, "name": "k"}},
		AuthorityKey: "account:" + baseURL + "|k",
	}
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: s})
	stmts, _, err := capture.DecodeStatements([]byte(fixture()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Write(ctx, capture.WriteRequest{Statements: stmts, Principal: principal}); err != nil {
		t.Fatalf("write fixture: %v", err)
	}
	// Documents: Alice's state and agent profile; Bob's state stays.
	for _, d := range []capture.Document{
		{DocumentKey: capture.DocumentKey{Kind: capture.KindState, ActivityID: "https://courses.example.org/go", AgentKey: "mbox:mailto:alice@example.org", ID: "bookmark"}, Content: []byte(`{"page":"Alice Erasable's page"}`)},
		{DocumentKey: capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: "account:https://hr.example.org|alice-7", ID: "prefs"}, Content: []byte(`{"name":"Alice Erasable"}`)},
		{DocumentKey: capture.DocumentKey{Kind: capture.KindState, ActivityID: "https://courses.example.org/go", AgentKey: "mbox:mailto:bob@example.org", ID: "bookmark"}, Content: []byte(`{"page":3}`)},
	} {
		d.ContentType, d.ETag, d.Updated = "application/json", "e", time.Now().UTC()
		if err := s.PutDocument(ctx, d, capture.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	// Slack links: Alice by email, Bob by agent.
	for _, l := range []workspace.Link{
		{TeamID: "T1", UserID: "UALICE", Email: "alice@example.org", Agent: json.RawMessage(`{"account":{"homePage":"https://acme.slack.com","name":"UALICE"}}`), Source: workspace.SourceAccount},
		{TeamID: "T1", UserID: "UBOB", Email: "bob@example.org", Agent: json.RawMessage(`{"mbox":"mailto:bob@example.org"}`), Source: workspace.SourceEmail},
	} {
		if err := s.PutSlackLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	// Report figures as they stand before: 5 actor identities (Alice's three, Bob, Carol).
	rollup := &reports.Rollup{Feed: s, Store: s}
	if _, err := rollup.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, people, err := s.Totals(ctx); err != nil || people != 5 {
		t.Fatalf("people before erasure = %d, %v; want 5", people, err)
	}

	// Two push partners have received everything: one asked for erasure notices.
	sealer, err := federation.NewSealer("a partner key, long enough")
	if err != nil {
		t.Fatal(err)
	}
	partners := federation.NewPartners(s, sealer, nil)
	voidP, quietP := newPartner(t), newPartner(t)
	for _, p := range []federation.Partner{
		{Name: "told", Endpoint: voidP.srv.URL + "/xapi", Erasure: federation.ErasureVoid, Auth: federation.Auth{Key: "a", Secret: "b"}},
		{Name: "quiet", Endpoint: quietP.srv.URL + "/xapi", Auth: federation.Auth{Key: "a", Secret: "b"}},
	} {
		if _, err := partners.Add(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	connect := xapiclient.Connect(&http.Client{Timeout: 5 * time.Second})
	mgr := federation.NewManager(federation.Config{Partners: partners, Feed: s, Statements: svc, Sealer: sealer,
		Connect: connect, HomePage: baseURL, Holder: "test", Poll: 20 * time.Millisecond})
	mgr.Start(ctx)
	// Generous: on FerretDB under a loaded machine the pushers' first lease and batch
	// can take several seconds.
	// Delivered means acknowledged: the pusher moves its cursor after the partner's
	// answer, which the recall reads, so wait for the cursors too.
	last, err := s.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pushedAll := func() bool {
		for _, name := range []string{"told", "quiet"} {
			if st, err := s.JobState(ctx, name, federation.Push); err != nil || st.PushSeq < last {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(60 * time.Second)
	for voidP.count() < 8 || quietP.count() < 8 || !pushedAll() {
		if time.Now().After(deadline) {
			t.Fatalf("partners got %d and %d statements, want 8 each (all acknowledged: %v)", voidP.count(), quietP.count(), pushedAll())
		}
		time.Sleep(20 * time.Millisecond)
	}
	mgr.Stop()

	// A credential bound to Alice (the binding comes from the hub) and one of Bob's.
	for _, key := range []string{"alice-cred", "bob-cred"} {
		if err := s.CreateCredential(ctx, capture.Credential{Key: key, Name: key, SecretHash: "x", Scopes: []string{capture.ScopeAll}, CreatedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
	}
	hub := &hubPart{}
	eraser := erasure.New(erasure.Config{
		Store: s, Audit: s, Rollups: s,
		Recaller:    &federation.Recaller{Partners: partners, Connect: connect, HomePage: baseURL, Wait: 10 * time.Millisecond},
		Parts:       []erasure.Part{workspace.ErasePart{Store: s}, hub},
		Credentials: binding{"mbox:mailto:alice@example.org": "alice-cred"}, Revoker: s,
		HomePage: baseURL, AuditKey: []byte("audit key"),
		Page: 2, // several pages of statements
	})
	req := erasure.Request{
		Agents: []json.RawMessage{
			json.RawMessage(`{"mbox":"mailto:alice@example.org"}`),
			json.RawMessage(`{"account":{"homePage":"https://hr.example.org","name":"alice-7"}}`),
			json.RawMessage(`{"openid":"https://openid.example.org/alice"}`),
		},
		RequestedBy: "Dana Admin",
		Reason:      "Request by Alice Erasable (alice@example.org), ticket 4711",
	}
	rec, err := eraser.Erase(ctx, req)
	if err != nil {
		t.Fatalf("Erase: %v", err)
	}
	// Hand count: 1, 2 and 8 are Alice's (deleted; 8 under the Slack account that her
	// Slack link names); 3, 4 and 6 mention her (anonymised).
	if rec.Agents != 4 || rec.StatementsDeleted != 3 || rec.StatementsAnonymised != 3 || rec.Documents != 2 || rec.Credentials != 1 || !rec.FiguresRebuilt {
		t.Errorf("record = %+v; want 4 identifiers, 3 deleted, 3 anonymised, 2 documents, 1 credential, figures rebuilt", rec)
	}
	for key, revoked := range map[string]bool{"alice-cred": true, "bob-cred": false} {
		c, err := s.Credential(ctx, key)
		if err != nil || c.RevokedAt.IsZero() == revoked {
			t.Errorf("credential %s: revoked at %v, %v; want revoked %v", key, c.RevokedAt, err, revoked)
		}
	}
	if len(rec.Parts) != 2 || rec.Parts[0] != (erasure.PartCount{Name: "slack links", Count: 1}) || rec.Parts[1] != (erasure.PartCount{Name: "qa", Count: 4}) {
		t.Errorf("parts = %+v; want slack links 1, qa 4", rec.Parts)
	}
	if !slices.Contains(hub.person.Names, "Alice Erasable") || len(hub.person.AgentKeys) != 4 {
		t.Errorf("the hub part got %+v; want her 4 agent keys and her name", hub.person)
	}
	if got := voidP.voidsOf(); !slices.Equal(got, []string{sid(1), sid(2), sid(8)}) {
		t.Errorf("partner told: voided %v, want %v", got, []string{sid(1), sid(2), sid(8)})
	}
	if got := quietP.voidsOf(); len(got) != 0 {
		t.Errorf("partner without erasure notices got voids for %v", got)
	}
	if len(rec.Partners) != 1 || rec.Partners[0] != (federation.Recall{Partner: "told", Voided: 3}) {
		t.Errorf("record partners = %+v; want told: 3 voided", rec.Partners)
	}
	voidP.mu.Lock()
	for _, raw := range voidP.raws[8:] {
		noTrace(t, "a voiding statement sent to the partner", raw)
	}
	voidP.mu.Unlock()

	// Statements: Alice's are gone; the others remain, rewritten where they named her.
	feed, err := s.StatementsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, r := range feed {
		left = append(left, r.ID)
		noTrace(t, "stored statement "+r.ID, r.Raw)
	}
	if want := []string{sid(3), sid(4), sid(5), sid(6), sid(7)}; !slices.Equal(left, want) {
		t.Errorf("statements left = %v, want %v", left, want)
	}
	full, err := s.StatementsByID(ctx, left)
	if err != nil {
		t.Fatal(err)
	}
	// Every place she stood now holds one anonymous account, the same in each.
	anon := map[string]bool{}
	for id, places := range map[string]int{sid(3): 2, sid(4): 1, sid(6): 1} {
		raw := string(full[id].Raw)
		if n := strings.Count(raw, `"homePage":"`+baseURL+`/erased"`); n != places {
			t.Errorf("statement %s has %d anonymous accounts, want %d: %s", id, n, places, raw)
		}
		if !strings.Contains(raw, "Kept") {
			t.Errorf("statement %s lost the others in it: %s", id, raw)
		}
		var st struct {
			Object struct{ Account struct{ Name string } } `json:"object"`
		}
		json.Unmarshal(full[id].Raw, &st)
		if st.Object.Account.Name != "" {
			anon[st.Object.Account.Name] = true
		}
	}
	if len(anon) != 1 {
		t.Errorf("anonymous account names %v, want one", anon)
	}
	for _, r := range full {
		for _, k := range append(slices.Clone(r.Keys), r.InheritedKeys...) {
			for _, tr := range aliceTraces {
				if strings.Contains(k, tr) {
					t.Errorf("statement %s keeps the key %q", r.ID, k)
				}
			}
		}
	}
	if len(full[sid(5)].InheritedKeys) != 0 {
		t.Errorf("the reference to Alice's statement still inherits %v", full[sid(5)].InheritedKeys)
	}
	// Queries for her find nothing; the anonymous account is what stands in her place.
	for _, k := range []string{"mbox:mailto:alice@example.org", "account:https://hr.example.org|alice-7", "openid:https://openid.example.org/alice", "account:https://acme.slack.com|UALICE"} {
		got, err := s.QueryStatements(ctx, capture.StatementQuery{Keys: []string{capture.KeyRelatedAgent(k)}, Limit: 10})
		if err != nil || len(got) != 0 {
			t.Errorf("related query for %s = %d statements, %v; want none", k, len(got), err)
		}
	}

	// Documents.
	for _, k := range []capture.DocumentKey{
		{Kind: capture.KindState, ActivityID: "https://courses.example.org/go", AgentKey: "mbox:mailto:alice@example.org", ID: "bookmark"},
		{Kind: capture.KindAgentProfile, AgentKey: "account:https://hr.example.org|alice-7", ID: "prefs"},
	} {
		if _, err := s.Document(ctx, k); capture.ErrorCode(err) != capture.CodeNotFound {
			t.Errorf("document %+v: %v, want not found", k, err)
		}
	}
	if _, err := s.Document(ctx, capture.DocumentKey{Kind: capture.KindState, ActivityID: "https://courses.example.org/go", AgentKey: "mbox:mailto:bob@example.org", ID: "bookmark"}); err != nil {
		t.Errorf("Bob's document: %v", err)
	}

	// Slack links.
	links, err := s.SlackLinks(ctx)
	if err != nil || len(links) != 1 || links[0].UserID != "UBOB" {
		t.Errorf("Slack links after erasure = %+v, %v; want Bob's only", links, err)
	}

	// Exports (NDJSON and CSV) of everything.
	for _, f := range []transfer.Format{transfer.NDJSON, transfer.CSV} {
		var buf bytes.Buffer
		n, err := transfer.Export(ctx, svc, principal, transfer.Filter{}, f, &buf, nil)
		if err != nil || n != 5 {
			t.Errorf("export %s: %d statements, %v; want 5", f, n, err)
		}
		noTrace(t, "the "+string(f)+" export", buf.Bytes())
	}

	// Report figures, rebuilt: Bob and Carol remain.
	if _, err := rollup.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, people, err := s.Totals(ctx); err != nil || people != 2 {
		t.Errorf("people after erasure = %d, %v; want 2", people, err)
	}
	figures, _ := s.WeeklyActivity(ctx, reports.DayOf(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.UTC), reports.DayOf(time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC), time.UTC), "")
	total := 0
	for _, w := range figures {
		total += int(w.Statements)
	}
	if total != 5 {
		t.Errorf("weekly figures count %d statements, want 5 (%+v)", total, figures)
	}

	// The audit record: counts and who, but nothing that names her.
	list, err := s.Erasures(ctx, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("Erasures = %v, %v; want 1", list, err)
	}
	b, _ := json.Marshal(list[0])
	noTrace(t, "the audit record", b)
	if list[0].RequestedBy != "Dana Admin" || list[0].PersonHash != erasure.PersonHash([]byte("audit key"), []string{
		"account:https://hr.example.org|alice-7", "mbox:mailto:alice@example.org", "openid:https://openid.example.org/alice"}) ||
		!strings.Contains(list[0].Reason, "ticket 4711") {
		t.Errorf("audit record = %s", b)
	}

	// A repeat is a no-op with zero counts, and tells the partners nothing more. The
	// statements that carried her name are gone: the request names her, so that the
	// reason is blanked again.
	req.Agents[0] = json.RawMessage(`{"name":"Alice Erasable","mbox":"mailto:alice@example.org"}`)
	before := voidP.count()
	again, err := eraser.Erase(ctx, req)
	if err != nil || again.Total() != 0 || len(again.Partners) != 0 {
		t.Errorf("repeat erasure = %+v, %v; want zero counts", again, err)
	}
	if voidP.count() != before {
		t.Errorf("a repeat erasure sent %d more statements to the partner", voidP.count()-before)
	}
	if n, _ := s.StatementsAfter(ctx, 0, 100); len(n) != 5 {
		t.Errorf("after the repeat %d statements, want 5", len(n))
	}
}

// Bad requests are refused with a message naming the field, and nothing is erased.
func TestParseRequest(t *testing.T) {
	good := []json.RawMessage{json.RawMessage(`{"mbox":"mailto:a@example.org"}`)}
	for _, c := range []struct {
		name string
		req  erasure.Request
		want string
	}{
		{"no agents", erasure.Request{RequestedBy: "x", Reason: "y"}, "agents"},
		{"not an object", erasure.Request{Agents: []json.RawMessage{json.RawMessage(`"a"`)}, RequestedBy: "x", Reason: "y"}, "agents[0]"},
		{"two identifiers", erasure.Request{Agents: []json.RawMessage{json.RawMessage(`{"mbox":"mailto:a@example.org","openid":"https://o.example.org/a"}`)}, RequestedBy: "x", Reason: "y"}, "agents[0]"},
		{"a group", erasure.Request{Agents: []json.RawMessage{json.RawMessage(`{"objectType":"Group","mbox":"mailto:a@example.org"}`)}, RequestedBy: "x", Reason: "y"}, "objectType"},
		{"no requester", erasure.Request{Agents: good, Reason: "y"}, "requestedBy"},
		{"blank reason", erasure.Request{Agents: good, RequestedBy: "x", Reason: "  "}, "reason"},
		{"long reason", erasure.Request{Agents: good, RequestedBy: "x", Reason: strings.Repeat("r", 2001)}, "reason"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := erasure.ParseRequest(c.req)
			if capture.ErrorCode(err) != capture.CodeInvalid || !strings.Contains(capture.ErrorMessage(err), c.want) {
				t.Errorf("ParseRequest = %v; want invalid naming %q", err, c.want)
			}
		})
	}
	p, err := erasure.ParseRequest(erasure.Request{Agents: append(good, good[0], json.RawMessage(`{"name":"A B","openid":"https://o.example.org/a"}`)), RequestedBy: "x", Reason: "y"})
	if err != nil || len(p.AgentKeys) != 2 || !slices.Equal(p.Names, []string{"A B"}) || !slices.Equal(p.Mboxes, []string{"a@example.org", "a@example.org"}) {
		t.Errorf("ParseRequest = %+v, %v; want 2 distinct keys and the name", p, err)
	}
}

// noTrace fails when b holds any of Alice's identifiers or her name.
func noTrace(t *testing.T, what string, b []byte) {
	t.Helper()
	lower := bytes.ToLower(b)
	for _, tr := range aliceTraces {
		if i := bytes.Index(lower, bytes.ToLower([]byte(tr))); i >= 0 {
			t.Errorf("%s holds %q: …%q…", what, tr, b[max(0, i-80):min(len(b), i+len(tr)+80)])
		}
	}
}

// dbFileTraces searches the SQLite database file and its WAL byte for byte.
func dbFileTraces(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		noTrace(t, "the database file "+filepath.Base(p), b)
	}
}
