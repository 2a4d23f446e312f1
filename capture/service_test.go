package capture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
)

// env is a set of services over a fresh embedded store.
type env struct {
	store *sqlitestore.Store
	stmts *capture.StatementService
	docs  *capture.DocumentService
	creds *capture.CredentialService
	all   capture.Principal
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "cairn.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{
		store: st,
		stmts: capture.NewStatementService(capture.StatementServiceConfig{Store: st, MaxBatch: 50, MaxLimit: 10}),
		docs:  capture.NewDocumentService(st, nil),
		creds: capture.NewCredentialService(st, "https://lrs.example.com", nil),
	}
	e.all = e.principal(t, capture.ScopeAll)
	return e
}

func (e *env) principal(t *testing.T, scopes ...string) capture.Principal {
	t.Helper()
	ctx := context.Background()
	c, secret, err := e.creds.Create(ctx, "test "+scopes[0], scopes, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.creds.Authenticate(ctx, c.Key, secret)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fixture(t *testing.T, name string) capture.Statement {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "service", name))
	if err != nil {
		t.Fatal(err)
	}
	return decodeOne(t, b)
}

func decodeOne(t *testing.T, b []byte) capture.Statement {
	t.Helper()
	var s capture.Statement
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) write(t *testing.T, p capture.Principal, stmts ...capture.Statement) ([]string, error) {
	t.Helper()
	return e.stmts.Write(context.Background(), capture.WriteRequest{Statements: stmts, Principal: p})
}

func (e *env) mustWrite(t *testing.T, stmts ...capture.Statement) []string {
	t.Helper()
	ids, err := e.write(t, e.all, stmts...)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (e *env) query(t *testing.T, p capture.Principal, params capture.StatementParams) []capture.Statement {
	t.Helper()
	res, err := e.stmts.Read(context.Background(), capture.ReadRequest{Params: params, Principal: p})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]capture.Statement, len(res.Statements))
	for i, r := range res.Statements {
		out[i] = decodeOne(t, r)
	}
	return out
}

// queryAll follows more links to the end of a query's results.
func (e *env) queryAll(t *testing.T, p capture.Principal, params capture.StatementParams) []capture.Statement {
	t.Helper()
	var out []capture.Statement
	req := capture.ReadRequest{Params: params, Principal: p}
	for {
		res, err := e.stmts.Read(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Statements {
			out = append(out, decodeOne(t, r))
		}
		if res.More == "" {
			return out
		}
		req = capture.ReadRequest{More: res.More, Principal: p}
	}
}

func ids(stmts []capture.Statement) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i], _ = s["id"].(string)
	}
	return out
}

func TestWriteFillsLRSProperties(t *testing.T) {
	e := newEnv(t)
	id := e.mustWrite(t, fixture(t, "statement.json"))[0]
	got := e.query(t, e.all, capture.StatementParams{StatementID: id})
	if len(got) != 0 {
		t.Fatalf("a single fetch must not come back as a page")
	}
	res, err := e.stmts.Read(context.Background(), capture.ReadRequest{Params: capture.StatementParams{StatementID: id}, Principal: e.all})
	if err != nil {
		t.Fatal(err)
	}
	st := decodeOne(t, res.Statement)
	for _, prop := range []string{"id", "stored", "timestamp", "version", "authority"} {
		if st[prop] == nil {
			t.Errorf("%s not filled in: %s", prop, res.Statement)
		}
	}
	auth, _ := st["authority"].(map[string]any)
	acct, _ := auth["account"].(map[string]any)
	if acct["homePage"] != "https://lrs.example.com" || acct["name"] != e.all.Credential.Key {
		t.Errorf("authority = %v, want the credential's account", auth)
	}
	if st["version"] != "1.0.0" {
		t.Errorf("version = %v, want 1.0.0", st["version"])
	}
	// Both times are the record's stored time, to the microsecond.
	for _, prop := range []string{"stored", "timestamp"} {
		if v, _ := st[prop].(string); v != res.Stored.Format("2006-01-02T15:04:05.000000Z") {
			t.Errorf("%s = %q, want the stored time %v", prop, v, res.Stored)
		}
	}
	if res.Stored.IsZero() || res.ConsistentThrough.Before(res.Stored) {
		t.Errorf("stored %v, consistent through %v", res.Stored, res.ConsistentThrough)
	}
}

func TestSameIDRules(t *testing.T) {
	e := newEnv(t)
	a := fixture(t, "statement.json")
	a["id"] = "0b2a4d3e-5f60-4c71-8d92-a3b4c5d6e7f8"
	e.mustWrite(t, a)
	last1, _ := e.store.LastSeq(context.Background())

	same := fixture(t, "statement.json")
	same["id"] = "0B2A4D3E-5F60-4C71-8D92-A3B4C5D6E7F8"
	if _, err := e.write(t, e.all, same); err != nil {
		t.Fatalf("an identical repeat must be accepted: %v", err)
	}
	if last2, _ := e.store.LastSeq(context.Background()); last2 != last1 {
		t.Fatalf("an identical repeat was stored again (seq %d → %d)", last1, last2)
	}

	changed := fixture(t, "other.json")
	changed["id"] = a["id"]
	fresh := fixture(t, "statement.json")
	_, err := e.write(t, e.all, fresh, changed)
	if capture.ErrorCode(err) != capture.CodeConflict {
		t.Fatalf("same id, other content: got %v, want conflict", err)
	}
	if last3, _ := e.store.LastSeq(context.Background()); last3 != last1 {
		t.Fatalf("a rejected batch stored something (seq %d → %d)", last1, last3)
	}
}

// TestRepeatAgainstFilledTimestamp: the timestamp the LRS fills in for a statement sent
// without one compares as absent against a repeat without one, and as itself against
// a copy read back from the LRS (a partner's copy, an export); a timestamp the client
// gave is compared as given.
func TestRepeatAgainstFilledTimestamp(t *testing.T) {
	const ts = "2026-03-04T05:06:07.123Z"
	cases := []struct {
		name         string
		firstHasTS   bool
		repeat       string // "sent": what was sent first; "read": the stored copy as read back
		changeTS     bool   // the repeat's timestamp moves by an hour
		dropTS       bool   // the repeat has no timestamp
		wantConflict bool
	}{
		{name: "repeat as sent, no timestamp", repeat: "sent"},
		{name: "copy read back, filled timestamp", repeat: "read"},
		{name: "copy read back, filled timestamp changed", repeat: "read", changeTS: true, wantConflict: true},
		{name: "repeat as sent, client timestamp", firstHasTS: true, repeat: "sent"},
		{name: "copy read back, client timestamp", firstHasTS: true, repeat: "read"},
		{name: "client timestamp dropped from the repeat", firstHasTS: true, repeat: "sent", dropTS: true, wantConflict: true},
		{name: "client timestamp changed", firstHasTS: true, repeat: "sent", changeTS: true, wantConflict: true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := fmt.Sprintf("0b2a4d3e-5f60-4c71-8d92-a3b4c5d6e7%02d", i)
			first := fixture(t, "statement.json")
			first["id"] = id
			if tc.firstHasTS {
				first["timestamp"] = ts
			}
			e.mustWrite(t, first)
			last, _ := e.store.LastSeq(context.Background())

			repeat := fixture(t, "statement.json")
			repeat["id"] = id
			if tc.firstHasTS {
				repeat["timestamp"] = ts
			}
			if tc.repeat == "read" {
				res, err := e.stmts.Read(context.Background(), capture.ReadRequest{Params: capture.StatementParams{StatementID: id}, Principal: e.all})
				if err != nil {
					t.Fatal(err)
				}
				repeat = decodeOne(t, res.Statement)
			}
			if tc.changeTS {
				got, _ := time.Parse(time.RFC3339Nano, repeat["timestamp"].(string))
				repeat["timestamp"] = got.Add(time.Hour).Format(time.RFC3339Nano)
			}
			if tc.dropTS {
				delete(repeat, "timestamp")
			}
			_, err := e.write(t, e.all, repeat)
			if got := capture.ErrorCode(err) == capture.CodeConflict; got != tc.wantConflict || (err != nil && !got) {
				t.Fatalf("repeat: err %v, want conflict %v", err, tc.wantConflict)
			}
			if now, _ := e.store.LastSeq(context.Background()); now != last {
				t.Fatalf("the repeat was stored (seq %d → %d)", last, now)
			}
		})
	}
}

func TestBatchRules(t *testing.T) {
	e := newEnv(t)
	dup := fixture(t, "statement.json")
	dup["id"] = "1b2a4d3e-5f60-4c71-8d92-a3b4c5d6e7f8"
	dup2 := fixture(t, "other.json")
	dup2["id"] = dup["id"]
	tests := []struct {
		name  string
		stmts []capture.Statement
		code  capture.Code
	}{
		{"duplicate ids in one batch", []capture.Statement{dup, dup2}, capture.CodeInvalid},
		{"over the batch limit", slices.Repeat([]capture.Statement{fixture(t, "other.json")}, 51), capture.CodeTooLarge},
		{"one invalid statement", []capture.Statement{fixture(t, "other.json"), {"actor": map[string]any{"mbox": "ada@example.com"}}}, capture.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.write(t, e.all, tt.stmts...)
			if capture.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if n, _ := e.store.LastSeq(context.Background()); n != 0 {
				t.Fatalf("a rejected batch stored %d statements", n)
			}
		})
	}
}

func voiding(target string) capture.Statement {
	return capture.Statement{
		"actor":  map[string]any{"mbox": "mailto:admin@example.com"},
		"verb":   map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"},
		"object": map[string]any{"objectType": "StatementRef", "id": target},
	}
}

func TestVoiding(t *testing.T) {
	e := newEnv(t)
	target := e.mustWrite(t, fixture(t, "statement.json"))[0]
	voidID := e.mustWrite(t, voiding(target))[0]
	ctx := context.Background()

	_, err := e.stmts.Read(ctx, capture.ReadRequest{Params: capture.StatementParams{StatementID: target}, Principal: e.all})
	if capture.ErrorCode(err) != capture.CodeNotFound {
		t.Errorf("voided statement by statementId: got %v, want not found", err)
	}
	if _, err := e.stmts.Read(ctx, capture.ReadRequest{Params: capture.StatementParams{VoidedStatementID: target}, Principal: e.all}); err != nil {
		t.Errorf("voided statement by voidedStatementId: %v", err)
	}
	if _, err := e.write(t, e.all, voiding(voidID)); capture.ErrorCode(err) != capture.CodeInvalid {
		t.Errorf("voiding a voiding statement: got %v, want invalid", err)
	}
	// A query that the voided statement matches returns the voiding statement that
	// targets it (xAPI 1.0.3 Communication 2.1.3, filter conditions for StatementRefs).
	got := ids(e.query(t, e.all, capture.StatementParams{VerbID: "https://w3id.org/xapi/adb/verbs/read"}))
	if !slices.Equal(got, []string{voidID}) {
		t.Errorf("verb query = %v, want only the voiding statement %s", got, voidID)
	}
}

func TestQueryFiltersAndPaging(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := 0; i < 25; i++ {
		s := fixture(t, "statement.json")
		if i%2 == 1 {
			s = fixture(t, "other.json")
		}
		id := e.mustWrite(t, s)[0]
		if i%2 == 0 {
			want = append(want, id)
		}
	}
	slices.Reverse(want)
	agent := capture.StatementParams{AgentKey: "mbox:mailto:ada@example.com"}
	ctx := context.Background()
	var got []string
	res, err := e.stmts.Read(ctx, capture.ReadRequest{Params: agent, Principal: e.all})
	for pages := 1; ; pages++ {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Statements {
			got = append(got, decodeOne(t, r)["id"].(string))
		}
		if res.More == "" {
			if pages != 2 {
				t.Errorf("13 statements at 10 a page took %d pages", pages)
			}
			break
		}
		// A write between pages does not shift the pages.
		e.mustWrite(t, fixture(t, "statement.json"))
		res, err = e.stmts.Read(ctx, capture.ReadRequest{More: res.More, Principal: e.all})
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged agent query:\n got %v\nwant %v", got, want)
	}

	tests := []struct {
		name   string
		params capture.StatementParams
		count  int
	}{
		{"related activity through parent", capture.StatementParams{ActivityID: "https://example.com/topics/botany", RelatedActivities: true, Limit: 100}, 14},
		{"activity without related does not match parent", capture.StatementParams{ActivityID: "https://example.com/topics/botany", Limit: 100}, 0},
		{"registration", capture.StatementParams{Registration: "6c5d5e3a-08e2-4e1a-9b5f-3d1d0c9b1a11", Limit: 100}, 14},
		{"verb and agent", capture.StatementParams{VerbID: "http://adlnet.gov/expapi/verbs/attended", AgentKey: "mbox:mailto:grace@example.com", Limit: 100}, 12},
		{"verb and other agent", capture.StatementParams{VerbID: "http://adlnet.gov/expapi/verbs/attended", AgentKey: "mbox:mailto:ada@example.com", Limit: 100}, 0},
		{"until before everything", capture.StatementParams{Until: time.Unix(0, 0), Limit: 100}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.queryAll(t, e.all, tt.params); len(got) != tt.count {
				t.Errorf("got %d statements, want %d", len(got), tt.count)
			}
		})
	}
}

func TestReadMineOnly(t *testing.T) {
	e := newEnv(t)
	writer := e.principal(t, capture.ScopeStatementsWrite, capture.ScopeStatementsReadMine)
	if _, err := e.write(t, writer, fixture(t, "statement.json")); err != nil {
		t.Fatal(err)
	}
	e.mustWrite(t, fixture(t, "other.json"))
	if !writer.MineOnly() {
		t.Fatal("statements/read/mine alone must limit reads")
	}
	if got := e.query(t, writer, capture.StatementParams{}); len(got) != 1 {
		t.Errorf("mine-only read saw %d statements, want 1", len(got))
	}
	if got := e.query(t, e.all, capture.StatementParams{}); len(got) != 2 {
		t.Errorf("full read saw %d statements, want 2", len(got))
	}
}

func TestConcurrentWritesKeepStoredOrder(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := e.write(t, e.all, fixture(t, "other.json")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	recs, err := e.store.QueryStatements(context.Background(), capture.StatementQuery{Ascending: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 80 {
		t.Fatalf("stored %d, want 80", len(recs))
	}
	for i := 1; i < len(recs); i++ {
		if !recs[i].Stored.After(recs[i-1].Stored) || recs[i].Seq <= recs[i-1].Seq {
			t.Fatalf("record %d: stored %v seq %d after stored %v seq %d", i, recs[i].Stored, recs[i].Seq, recs[i-1].Stored, recs[i-1].Seq)
		}
	}
}

func TestCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, secret, err := e.creds.Create(ctx, "reporting", []string{capture.ScopeStatementsRead}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretHash == "" || bytes.Contains([]byte(c.SecretHash), []byte(secret)) {
		t.Fatalf("secret not stored hashed: %q", c.SecretHash)
	}
	tests := []struct {
		name        string
		key, secret string
		code        capture.Code
	}{
		{"right", c.Key, secret, ""},
		{"right again (verified cache)", c.Key, secret, ""},
		{"wrong secret", c.Key, secret + "x", capture.CodeUnauthorized},
		{"unknown key", "nobody", secret, capture.CodeUnauthorized},
		{"empty", "", "", capture.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.creds.Authenticate(ctx, tt.key, tt.secret)
			if capture.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want %q", err, tt.code)
			}
		})
	}
	if err := e.creds.Revoke(ctx, c.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := e.creds.Authenticate(ctx, c.Key, secret); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Fatalf("revoked credential: got %v", err)
	}
	for _, bad := range [][]string{nil, {"everything"}} {
		if _, _, err := e.creds.Create(ctx, "x", bad, false); capture.ErrorCode(err) != capture.CodeInvalid {
			t.Errorf("scopes %v: got %v, want invalid", bad, err)
		}
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		scopes []string
		res    capture.Resource
		write  bool
		want   bool
	}{
		{[]string{"all"}, capture.ResStatements, true, true},
		{[]string{"all/read"}, capture.ResStatements, true, false},
		{[]string{"all/read"}, capture.ResState, false, true},
		{[]string{"statements/read"}, capture.ResStatements, false, true},
		{[]string{"statements/read"}, capture.ResStatements, true, false},
		{[]string{"statements/write"}, capture.ResStatements, false, false},
		{[]string{"statements/read/mine"}, capture.ResStatements, false, true},
		{[]string{"state"}, capture.ResState, true, true},
		{[]string{"state"}, capture.ResAgentProfile, true, false},
		{[]string{"profile"}, capture.ResActivityProfile, true, true},
		{[]string{"profile"}, capture.ResStatements, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v %s write=%v", tt.scopes, tt.res, tt.write), func(t *testing.T) {
			p := capture.Principal{Credential: capture.Credential{Scopes: tt.scopes}}
			if got := p.Allows(tt.res, tt.write); got != tt.want {
				t.Errorf("Allows = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDocuments(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := capture.DocumentKey{Kind: capture.KindActivityProfile, ActivityID: "https://example.com/a", ID: "prefs"}
	_, err := e.docs.Put(ctx, capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`{"a":1}`)})
	if capture.ErrorCode(err) != capture.CodeInvalid {
		t.Fatalf("profile PUT without a precondition: got %v, want invalid", err)
	}
	if _, err := e.docs.Get(ctx, key); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Fatalf("a rejected PUT stored the document: %v", err)
	}
	etag, err := e.docs.Put(ctx, capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`{"a":1}`), Cond: capture.Precondition{IfNoneMatch: true}, HasCond: true})
	if err != nil {
		t.Fatal(err)
	}
	if etag != capture.ETagOf([]byte(`{"a":1}`)) {
		t.Errorf("etag %q is not the SHA-1 of the content", etag)
	}
	steps := []struct {
		name string
		w    capture.DocumentWrite
		code capture.Code
		want string
	}{
		{"profile PUT over existing without precondition", capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`{"b":2}`)}, capture.CodeConflict, `{"a":1}`},
		{"PUT with a stale If-Match", capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`{"b":2}`), Cond: capture.Precondition{IfMatch: "0000"}, HasCond: true}, capture.CodePreconditionFailed, `{"a":1}`},
		{"PUT with If-None-Match over existing", capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`{"b":2}`), Cond: capture.Precondition{IfNoneMatch: true}, HasCond: true}, capture.CodePreconditionFailed, `{"a":1}`},
		{"POST merges", capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`{"b":2}`), Merge: true}, "", `{"a":1,"b":2}`},
		{"POST of non-JSON over JSON", capture.DocumentWrite{Key: key, ContentType: "text/plain", Content: []byte(`hello`), Merge: true}, capture.CodeInvalid, `{"a":1,"b":2}`},
		{"POST of a JSON array", capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`[1]`), Merge: true}, capture.CodeInvalid, `{"a":1,"b":2}`},
		{"PUT with the right If-Match", capture.DocumentWrite{Key: key, ContentType: "application/json", Content: []byte(`{"c":3}`), Cond: capture.Precondition{IfMatch: capture.ETagOf([]byte(`{"a":1,"b":2}`))}, HasCond: true}, "", `{"c":3}`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			_, err := e.docs.Put(ctx, s.w)
			if capture.ErrorCode(err) != s.code {
				t.Fatalf("got %v, want %q", err, s.code)
			}
			d, err := e.docs.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Content) != s.want {
				t.Errorf("document = %s, want %s", d.Content, s.want)
			}
		})
	}
}

// TestGroupCommitIsolatesWrites runs many concurrent writes, some of which must fail
// (a conflicting id) and some of which repeat one client id: every write gets its own
// outcome, and each id is stored once.
func TestGroupCommitIsolatesWrites(t *testing.T) {
	e := newEnv(t)
	taken := fixture(t, "statement.json")
	taken["id"] = "2b2a4d3e-5f60-4c71-8d92-a3b4c5d6e7f8"
	e.mustWrite(t, taken)

	const writers = 24
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st capture.Statement
			switch w % 3 {
			case 0: // conflicts with the stored statement
				st = fixture(t, "other.json")
				st["id"] = taken["id"]
			case 1: // the same new id from several writers, same content
				st = fixture(t, "other.json")
				st["id"] = "3b2a4d3e-5f60-4c71-8d92-a3b4c5d6e7f8"
			default:
				st = fixture(t, "other.json")
			}
			_, errs[w] = e.write(t, e.all, st)
		}()
	}
	wg.Wait()
	for w, err := range errs {
		want := capture.Code("")
		if w%3 == 0 {
			want = capture.CodeConflict
		}
		if capture.ErrorCode(err) != want {
			t.Errorf("writer %d: got %v, want %q", w, err, want)
		}
	}
	// 1 taken + 1 shared id + 8 fresh.
	if n, _ := e.store.LastSeq(context.Background()); n != 10 {
		t.Errorf("stored %d statements, want 10", n)
	}
}
