package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/xapiclient"
	"github.com/cairn-lrs/cairn/web"
)

// partnerKey is the partner key every test instance uses.
const partnerKey = "test partner key, long enough"

// instance is one Cairn LRS in the test process: its own SQLite store and port.
type instance struct {
	name       string
	url        string // base URL, without /xapi
	store      *sqlitestore.Store
	statements *capture.StatementService
	creds      *capture.CredentialService
	partners   *federation.Partners
	sealer     *federation.Sealer
	key, sec   string // a credential with scope all
	mgr        *federation.Manager
	mgrWake    atomic.Pointer[federation.Manager]
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("FED_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newInstance starts a Cairn instance serving /xapi on a free port until t ends.
func newInstance(t testing.TB, name string) *instance {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), name+".db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{name: name, url: "http://" + ln.Addr().String(), store: st}
	in.sealer, err = federation.NewSealer(partnerKey)
	if err != nil {
		t.Fatal(err)
	}
	in.partners = federation.NewPartners(st, in.sealer, nil)
	in.creds = capture.NewCredentialService(st, in.url, nil)
	in.statements = capture.NewStatementService(capture.StatementServiceConfig{Store: st, Logger: testLogger(t), Committed: func() {
		if m := in.mgrWake.Load(); m != nil {
			m.Wake()
		}
	}})
	cred, secret, err := in.creds.Create(t.Context(), "all", []string{capture.ScopeAll}, false)
	if err != nil {
		t.Fatal(err)
	}
	in.key, in.sec = cred.Key, secret
	app := web.New(web.Config{
		Statements: in.statements, Documents: capture.NewDocumentService(st, nil), Credentials: in.creds,
		Ready: st.Ping, Logger: testLogger(t), Origin: in.partners.OriginOf,
	})
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		if in.mgr != nil {
			in.mgr.Stop()
		}
		app.ShutdownWithTimeout(5 * time.Second)
		<-done
		st.Close()
	})
	return in
}

// fastBackoff keeps retries quick in tests.
var fastBackoff = federation.Backoff{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond}

// startManager runs a federation manager for in (replacing any running one).
func (in *instance) startManager(t testing.TB, holder string, edit func(*federation.Config)) *federation.Manager {
	t.Helper()
	if in.mgr != nil {
		in.mgr.Stop()
	}
	cfg := federation.Config{
		Partners: in.partners, Feed: in.store, Statements: in.statements, Sealer: in.sealer,
		Connect: xapiclient.Connect(&http.Client{Timeout: 2 * time.Second}), HomePage: in.url, Holder: holder,
		Logger: testLogger(t), Backoff: fastBackoff, Poll: 200 * time.Millisecond, Reload: 200 * time.Millisecond, LeaseTTL: 3 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	m := federation.NewManager(cfg)
	in.mgr = m
	in.mgrWake.Store(m)
	m.Start(context.Background())
	return m
}

// addPartner registers partner p on in, authenticating with a fresh credential of target.
func (in *instance) addPartner(t testing.TB, p federation.Partner, target *instance) federation.Partner {
	t.Helper()
	if p.Auth == (federation.Auth{}) {
		cred, secret, err := target.creds.Create(t.Context(), "partner "+in.name, []string{capture.ScopeAll}, false)
		if err != nil {
			t.Fatal(err)
		}
		p.Auth = federation.Auth{Key: cred.Key, Secret: secret}
	}
	out, err := in.partners.Add(t.Context(), p)
	if err != nil {
		t.Fatalf("add partner %s on %s: %v", p.Name, in.name, err)
	}
	return out
}

// post writes raw statements to in through its HTTP API and fails the test unless 200.
func (in *instance) post(t testing.TB, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.url+"/xapi/statements", strings.NewReader(body))
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(in.key, in.sec)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST to %s: %d %s", in.name, resp.StatusCode, b)
	}
}

// all returns every statement in's store holds, in seq order.
func (in *instance) all(t testing.TB) []capture.StatementRecord {
	t.Helper()
	recs, err := in.store.StatementsAfter(t.Context(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// statement returns a statement with id n, actor a person, and a distinct activity.
func statement(n int) string {
	return fmt.Sprintf(`{"id":%q,"actor":{"name":"Person Number %d","mbox":"mailto:person%d@example.org"},
		"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"en-US":"experienced"}},
		"object":{"id":"https://courses.example.com/item/%d","definition":{"type":"http://adlnet.gov/expapi/activities/link"}},
		"result":{"score":{"scaled":0.%d}},"timestamp":"2026-01-01T00:00:%02d.000Z"}`, sid(n), n, n, n, n%10, n%60)
}

// sid returns the statement id of fixture n.
func sid(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

// batchOf joins the statements of ns into a JSON array.
func batchOf(ns ...int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = statement(n)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// seq returns a..b inclusive.
func seq(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}

// hashOf returns the equivalence hash of a raw statement.
func hashOf(t testing.TB, raw []byte) string {
	t.Helper()
	stmts, _, err := capture.DecodeStatements(raw)
	if err != nil {
		t.Fatalf("stored statement does not parse: %v", err)
	}
	return capture.StatementHash(stmts[0])
}

// assertSame checks that dst holds exactly the statements of src with ids want, each
// once and with the same content, and nothing else.
func assertSame(t testing.TB, src, dst *instance, want []string) {
	t.Helper()
	srcByID := map[string]capture.StatementRecord{}
	for _, r := range src.all(t) {
		srcByID[r.ID] = r
	}
	seen := map[string]int{}
	for _, r := range dst.all(t) {
		seen[r.ID]++
		s, ok := srcByID[r.ID]
		if !ok {
			t.Errorf("%s holds %s, which %s never had", dst.name, r.ID, src.name)
			continue
		}
		if hashOf(t, s.Raw) != hashOf(t, r.Raw) {
			t.Errorf("%s: content of %s differs from %s's:\n%s\n%s", dst.name, r.ID, src.name, s.Raw, r.Raw)
		}
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("%s holds %s %d times, want once", dst.name, id, seen[id])
		}
		delete(seen, id)
	}
	for id := range seen {
		t.Errorf("%s holds %s, which it should not", dst.name, id)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fault is what the proxy does with one request.
type fault int

const (
	pass  fault = iota
	drop        // close the connection without an answer
	stall       // wait past the client's timeout, then close
	err500
	err503
	tooMany  // 429 with Retry-After: 1
	slowPass // pass the request on, then hold the answer for stallFor
)

// proxy is a fault-injecting reverse proxy in front of a partner.
type proxy struct {
	url    string
	target *url.URL
	lrs    *instance
	rp     *httputil.ReverseProxy

	mu       sync.Mutex
	plan     []fault         // faults for the next requests, in order
	reject   map[string]bool // statement ids answered 400 when POSTed
	stallFor time.Duration
	lagCT    time.Time // when set, Consistent-Through answers are replaced by it
	posts    int       // POSTs that reached the partner
	posted   map[string]int
	onPost   func() // called (outside the lock) when a POST arrives, before it is passed on
	// conflictIfHeld answers 409 to a POST naming any id the partner holds, as LRSs do
	// that refuse every repeat, identical or not.
	conflictIfHeld bool
}

func newProxy(t testing.TB, target *instance) *proxy {
	u, _ := url.Parse(target.url)
	p := &proxy{target: u, lrs: target, reject: map[string]bool{}, posted: map[string]int{}, stallFor: 3 * time.Second}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ModifyResponse = func(resp *http.Response) error {
		p.mu.Lock()
		ct := p.lagCT
		p.mu.Unlock()
		if !ct.IsZero() && resp.Header.Get("X-Experience-API-Consistent-Through") != "" {
			resp.Header.Set("X-Experience-API-Consistent-Through", ct.UTC().Format(time.RFC3339Nano))
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *proxy) setPlan(f ...fault) { p.mu.Lock(); p.plan = f; p.mu.Unlock() }

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	isPost := r.Method == http.MethodPost
	p.mu.Lock()
	f := pass
	if isPost && len(p.plan) > 0 {
		f, p.plan = p.plan[0], p.plan[1:]
	}
	var ids []string
	rejected := false
	if isPost {
		ids = postedIDs(r.Header.Get("Content-Type"), body)
		for _, id := range ids {
			rejected = rejected || p.reject[id]
		}
	}
	onPost := p.onPost
	p.mu.Unlock()
	if isPost && onPost != nil {
		onPost()
	}
	switch f {
	case drop, stall:
		if f == stall {
			time.Sleep(p.stallFor)
		}
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case err500, err503:
		code := map[fault]int{err500: 500, err503: 503}[f]
		http.Error(w, "injected failure", code)
		return
	case tooMany:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	if isPost && p.conflictIfHeld {
		if held, _ := p.lrs.store.StatementsByID(r.Context(), ids); len(held) > 0 {
			http.Error(w, `{"message":"statement id already exists"}`, http.StatusConflict)
			return
		}
	}
	if rejected {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"message":"statement rejected by partner policy"}`))
		return
	}
	if f == slowPass {
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		p.mu.Lock()
		for _, id := range ids {
			p.posted[id]++
		}
		p.mu.Unlock()
		time.Sleep(p.stallFor)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	if isPost {
		rec := &statusRecorder{ResponseWriter: w}
		p.rp.ServeHTTP(rec, r)
		if rec.status/100 == 2 {
			p.mu.Lock()
			p.posts++
			for _, id := range ids {
				p.posted[id]++
			}
			p.mu.Unlock()
		}
		return
	}
	p.rp.ServeHTTP(w, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = 200
	}
	return s.ResponseWriter.Write(b)
}

// postedIDs returns the statement ids of a POST body (JSON or the first part of a
// multipart/mixed body).
func postedIDs(contentType string, body []byte) []string {
	if strings.HasPrefix(contentType, "multipart/") {
		start := bytes.IndexByte(body, '[')
		end := bytes.Index(body, []byte("]\r\n--"))
		if start < 0 || end < 0 {
			return nil
		}
		body = body[start : end+1]
	}
	var stmts []struct {
		ID string `json:"id"`
	}
	json.Unmarshal(body, &stmts)
	var ids []string
	for _, s := range stmts {
		ids = append(ids, s.ID)
	}
	return ids
}

// sids returns the statement ids of fixtures ns.
func sids(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = sid(n)
	}
	return out
}

// without returns ns without the values in drop.
func without(ns []int, drop ...int) []int {
	return slices.DeleteFunc(slices.Clone(ns), func(n int) bool { return slices.Contains(drop, n) })
}

// postErr is post for goroutines.
func (in *instance) postErr(body string) error {
	req, _ := http.NewRequest(http.MethodPost, in.url+"/xapi/statements", strings.NewReader(body))
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(in.key, in.sec)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("POST to %s: %d %s", in.name, resp.StatusCode, b)
	}
	return nil
}
