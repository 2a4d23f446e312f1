package federation_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/mongostore"
	"github.com/cairn-lrs/cairn/capture/mongostore/mongotest"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/xapiclient"
	"net/http"
)

// mongo is the in-process FerretDB (or CAIRN_TEST_MONGO_URI) of the lease tests.
var mongo mongotest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	mongo.Stop()
	os.Exit(code)
}

// dyingStore is a federation store whose holder dies: it never releases its leases.
type dyingStore struct{ federation.Store }

func (dyingStore) ReleaseLease(context.Context, string, string) error { return nil }

// countingRemote counts the statements one instance POSTs.
type countingRemote struct {
	federation.Remote
	n *atomic.Int64
}

func (r countingRemote) PostStatements(ctx context.Context, stmts [][]byte, atts []capture.Attachment) (int, error) {
	code, err := r.Remote.PostStatements(ctx, stmts, atts)
	if err == nil {
		r.n.Add(int64(len(stmts)))
	}
	return code, err
}

// Two Cairn instances on one MongoDB: only the lease holder pushes; when it dies
// without releasing, the other takes the job over after the lease expires and
// continues from the shared cursor, and the partner holds every statement once.
func TestLeaseTakeoverOnMongo(t *testing.T) {
	b := newInstance(t, "b")
	uri := mongo.DatabaseURI(t)
	open := func() *mongostore.Store {
		s, err := mongostore.Open(t.Context(), uri, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s1, s2 := open(), open()
	sealer, _ := federation.NewSealer(partnerKey)
	cred, secret, err := b.creds.Create(t.Context(), "from mongo", []string{capture.ScopeAll}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := federation.NewPartners(s1, sealer, nil).Add(t.Context(), federation.Partner{
		Name: "b", Endpoint: b.url + "/xapi", Batch: 20, Auth: federation.Auth{Key: cred.Key, Secret: secret}}); err != nil {
		t.Fatal(err)
	}
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: s1, Logger: testLogger(t)})
	write := func(ns []int) {
		var stmts []capture.Statement
		for _, n := range ns {
			st, _, err := capture.DecodeStatements([]byte(statement(n)))
			if err != nil {
				t.Fatal(err)
			}
			stmts = append(stmts, st[0])
		}
		p := capture.Principal{Credential: capture.Credential{Key: "k", Scopes: []string{capture.ScopeAll}},
			Authority: map[string]any{"objectType": "Agent", "mbox": "mailto:lrs@example.org"}}
		if _, err := svc.Write(t.Context(), capture.WriteRequest{Statements: stmts, Principal: p}); err != nil {
			t.Fatal(err)
		}
	}
	var n1, n2 atomic.Int64
	manager := func(holder string, st federation.Store, feed capture.StatementStore, n *atomic.Int64) *federation.Manager {
		connect := xapiclient.Connect(&http.Client{Timeout: 2 * time.Second})
		m := federation.NewManager(federation.Config{
			Partners: federation.NewPartners(st, sealer, nil), Feed: feed, Sealer: sealer, HomePage: "http://cairn.example",
			Connect: func(p federation.Partner) (federation.Remote, error) {
				r, err := connect(p)
				return countingRemote{r, n}, err
			},
			Holder: holder, Logger: testLogger(t), Backoff: fastBackoff,
			Poll: 100 * time.Millisecond, Reload: 100 * time.Millisecond, LeaseTTL: time.Second,
		})
		m.Start(context.Background())
		t.Cleanup(m.Stop)
		return m
	}
	write(seq(1, 40))
	m1 := manager("h1", dyingStore{s1}, s1, &n1)
	waitFor(t, "h1 delivers the first 40", 10*time.Second, func() bool { return len(b.all(t)) == 40 })
	manager("h2", s2, s2, &n2)
	write(seq(41, 60))
	waitFor(t, "the next 20 delivered", 10*time.Second, func() bool { return len(b.all(t)) == 60 })
	if n2.Load() != 0 {
		t.Fatalf("h2 pushed %d statements while h1 held the lease", n2.Load())
	}
	m1.Stop() // dies: its lease is not released
	before1, before2 := n1.Load(), n2.Load()
	write(seq(61, 100))
	// The cursor, not the partner's count: a POST the partner stored may still be
	// waiting for its answer (and be sent again after a timeout).
	waitFor(t, "h2 takes over and delivers the rest", 15*time.Second, func() bool {
		st, _ := s2.JobState(t.Context(), "b", federation.Push)
		last, _ := s2.LastSeq(t.Context())
		return len(b.all(t)) == 100 && st.PushSeq == last
	})
	if n1.Load() != before1 {
		t.Fatalf("h1 pushed %d statements after it died", n1.Load()-before1)
	}
	if n2.Load()-before2 < 40 {
		t.Fatalf("h2 pushed %d statements after taking over (%d before), want at least 40", n2.Load()-before2, before2)
	}
	seen := map[string]int{}
	for _, r := range b.all(t) {
		seen[r.ID]++
	}
	for _, id := range sids(seq(1, 100)) {
		if seen[id] != 1 {
			t.Errorf("b holds %s %d times", id, seen[id])
		}
	}
	st, _ := s2.JobState(t.Context(), "b", federation.Push)
	if last, _ := s2.LastSeq(t.Context()); st.PushSeq != last {
		t.Errorf("shared cursor %d, want the last seq %d", st.PushSeq, last)
	}
}
