package mongostore

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/mongostore/mongotest"
	"github.com/cairn-lrs/cairn/capture/reports/reportstest"
	"github.com/cairn-lrs/cairn/capture/storetest"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/qa/qatest"
)

// server is the wire-protocol server of this test binary: FerretDB, or the MongoDB
// that CAIRN_TEST_MONGO_URI names.
var server mongotest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

// quietLogger discards the store's logs unless the test runs with -v.
func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// openAt opens a store on uri with cfg and closes it when t ends.
func openAt(t *testing.T, uri string, cfg config) *Store {
	t.Helper()
	s, err := open(t.Context(), uri, quietLogger(), cfg)
	if err != nil {
		t.Fatalf("Open(%s): %v", uri, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// openFresh opens a store on a new database that is dropped when t ends.
func openFresh(t *testing.T, cfg config) (*Store, string) {
	t.Helper()
	uri := server.DatabaseURI(t)
	s := openAt(t, uri, cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.db.Drop(ctx); err != nil {
			t.Errorf("drop database: %v", err)
		}
	})
	return s, uri
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) capture.Store {
		s, _ := openFresh(t, defaultConfig())
		return s
	})
}

func TestReportsContract(t *testing.T) {
	reportstest.Run(t, func(t *testing.T) reportstest.Stores {
		s, _ := openFresh(t, defaultConfig())
		return s
	})
}

func TestOpenTwice(t *testing.T) {
	s1, uri := openFresh(t, defaultConfig())
	rec := capture.StatementRecord{ID: "00000001-0000-4000-8000-000000000001", Stored: time.Now().UTC(), Raw: []byte(`{}`), Keys: []string{"v|x"}}
	if err := s1.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{rec}}); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
	s2 := openAt(t, uri, defaultConfig())
	s3 := openAt(t, uri, defaultConfig())
	for i, s := range []*Store{s2, s3} {
		m, err := s.StatementsByID(t.Context(), []string{rec.ID})
		if err != nil || len(m) != 1 {
			t.Errorf("store %d: StatementsByID = %v, %v; want the record", i+2, m, err)
		}
	}
	cur, err := s3.statements.Indexes().List(t.Context())
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	var ixs []bson.M
	if err := cur.All(t.Context(), &ixs); err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	if want := 9; len(ixs) != want { // _id and the eight of createIndexes
		t.Errorf("statements has %d indexes after three Opens, want %d", len(ixs), want)
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		uri  string
		code capture.Code
	}{
		{"http://example.com/", capture.CodeInvalid},
		{"mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=200&connectTimeoutMS=200", capture.CodeUnavailable},
	}
	for _, c := range cases {
		s, err := Open(t.Context(), c.uri, quietLogger())
		if s != nil {
			s.Close()
		}
		if got := capture.ErrorCode(err); got != c.code {
			t.Errorf("Open(%q) error %v (%q), want %q", c.uri, err, got, c.code)
		}
	}
}

func TestDatabaseName(t *testing.T) {
	cases := []struct {
		uri, want string
		code      capture.Code
	}{
		{"mongodb://localhost", DefaultDatabase, ""},
		{"mongodb://localhost/", DefaultDatabase, ""},
		{"mongodb://u:p@a:27017,b:27018/lrs?replicaSet=rs0&authSource=admin", "lrs", ""},
		{"mongodb://localhost/?retryWrites=true", DefaultDatabase, ""},
		{"postgres://localhost/x", "", capture.CodeInvalid},
		{"mongodb://", "", capture.CodeInvalid},
	}
	for _, c := range cases {
		got, err := databaseName(c.uri)
		if got != c.want || capture.ErrorCode(err) != c.code {
			t.Errorf("databaseName(%q) = %q, %v; want %q, code %q", c.uri, got, err, c.want, c.code)
		}
	}
}

// BSON dates keep milliseconds; the service stamps microseconds, and a client's since
// is often the stored value of a statement it has read.
func TestTimesKeepSubMillisecondPrecision(t *testing.T) {
	s, _ := openFresh(t, defaultConfig())
	base := time.Date(2025, 3, 1, 12, 0, 0, 123_000_000, time.UTC)
	us := func(n int) time.Time { return base.Add(time.Duration(n) * time.Microsecond) }
	var recs []capture.StatementRecord
	for n := range 3 {
		r := record(n+1, "v|x")
		r.Stored = us(n)
		recs = append(recs, r)
	}
	mustInsert(t, s, recs...)
	if got := byIDs(t, s, sid(2))[sid(2)].Stored; !got.Equal(us(1)) {
		t.Errorf("Stored = %v, want %v", got.Format(time.RFC3339Nano), us(1).Format(time.RFC3339Nano))
	}
	queries := []struct {
		name string
		q    capture.StatementQuery
		want []string
	}{
		{"since", capture.StatementQuery{Since: us(1)}, []string{sid(3)}},
		{"until", capture.StatementQuery{Until: us(1)}, []string{sid(1), sid(2)}},
		{"since and until", capture.StatementQuery{Since: us(0), Until: us(1)}, []string{sid(2)}},
	}
	for _, c := range queries {
		c.q.Limit, c.q.Ascending = 10, true
		recs, err := s.QueryStatements(t.Context(), c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}

	key := capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: "mbox:mailto:a@example.com"}
	for n, id := range []string{"a", "b"} {
		key.ID = id
		d := capture.Document{DocumentKey: key, ContentType: "text/plain", Content: []byte(id), ETag: id, Updated: us(n + 1)}
		if err := s.PutDocument(t.Context(), d, capture.Precondition{}); err != nil {
			t.Fatalf("PutDocument: %v", err)
		}
	}
	if got, err := s.DocumentIDs(t.Context(), key, us(1)); err != nil || !slices.Equal(got, []string{"b"}) {
		t.Errorf("DocumentIDs since the first update = %v, %v; want [b]", got, err)
	}
	key.ID = "a"
	if d, err := s.Document(t.Context(), key); err != nil || !d.Updated.Equal(us(1)) {
		t.Errorf("Document Updated = %v, %v; want %v", d.Updated, err, us(1))
	}
}

func TestQAContract(t *testing.T) {
	qatest.Run(t, func(t *testing.T) qa.Store {
		s, _ := openFresh(t, defaultConfig())
		return s
	})
}
