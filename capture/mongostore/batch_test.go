package mongostore

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/cairn-lrs/cairn/capture"
)

// These tests reproduce what a crash leaves between the steps of the batch scheme (see
// the package doc) by running the steps by hand, then check that readers never see a
// partial batch and that Open (or a later read) repairs the store.

// clock is a settable test clock for leases.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func testConfig(c *clock) config {
	return config{lease: time.Minute, grace: 10 * time.Minute, now: c.now}
}

func sid(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

func record(n int, keys ...string) capture.StatementRecord {
	return capture.StatementRecord{
		ID:     sid(n),
		Stored: time.Date(2025, 3, 1, 12, 0, n, 0, time.UTC),
		Raw:    []byte(fmt.Sprintf(`{"id":%q,"context":{"extensions":{"http://example.com/ext.with.dots":%d}}}`, sid(n), n)),
		Keys:   keys,
	}
}

func mustInsert(t *testing.T, s *Store, recs ...capture.StatementRecord) {
	t.Helper()
	if err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: recs}); err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
}

// insertPending runs steps 1 and 2 of a batch and stops, as a crashed writer would.
func insertPending(t *testing.T, s *Store, recs ...capture.StatementRecord) (string, []stmtDoc) {
	t.Helper()
	sn, err := s.snapshot(t.Context())
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	token, lo, err := s.register(t.Context(), len(recs), sn.last)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	docs := make([]stmtDoc, len(recs))
	rows := make([]any, len(recs))
	for i, r := range recs {
		docs[i] = toDoc(r)
		docs[i].Seq, docs[i].Batch = lo+int64(i), token
		rows[i] = docs[i]
	}
	if _, err := s.statements.InsertMany(t.Context(), rows); err != nil {
		t.Fatalf("InsertMany: %v", err)
	}
	return token, docs
}

func queryIDs(t *testing.T, s *Store, keys ...string) []string {
	t.Helper()
	recs, err := s.QueryStatements(t.Context(), capture.StatementQuery{Keys: keys, Limit: 100, Ascending: true})
	if err != nil {
		t.Fatalf("QueryStatements: %v", err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func byIDs(t *testing.T, s *Store, ids ...string) map[string]capture.StatementRecord {
	t.Helper()
	m, err := s.StatementsByID(t.Context(), ids)
	if err != nil {
		t.Fatalf("StatementsByID: %v", err)
	}
	return m
}

func lastSeq(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.LastSeq(t.Context())
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return n
}

func counter(t *testing.T, s *Store) counterDoc {
	t.Helper()
	c, err := s.loadCounter(t.Context())
	if err != nil {
		t.Fatalf("loadCounter: %v", err)
	}
	return c
}

func countWhere(t *testing.T, s *Store, filter bson.D) int64 {
	t.Helper()
	n, err := s.statements.CountDocuments(t.Context(), filter)
	if err != nil {
		t.Fatalf("CountDocuments: %v", err)
	}
	return n
}

func TestPendingBatchIsInvisibleAndSweptAfterItsLease(t *testing.T) {
	var clk clock
	s, uri := openFresh(t, testConfig(&clk))
	mustInsert(t, s, record(1, "v|x"))
	before := lastSeq(t, s)

	token, _ := insertPending(t, s, record(2, "v|x"), record(3, "v|x"))
	mustInsert(t, s, record(4, "v|x")) // committed, but above the pending batch

	if got := byIDs(t, s, sid(1), sid(2), sid(3), sid(4)); len(got) != 2 || got[sid(2)].ID != "" || got[sid(4)].ID == "" {
		t.Errorf("StatementsByID sees %d records (%v); want 1 and 4, not the pending 2 and 3", len(got), got)
	}
	if got := queryIDs(t, s, "v|x"); !slices.Equal(got, []string{sid(1)}) {
		t.Errorf("query while a lower batch is pending = %v; want only 1 (the watermark holds 4 back)", got)
	}
	if got := lastSeq(t, s); got != before {
		t.Errorf("LastSeq while pending = %d, want %d", got, before)
	}
	err := s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{record(3, "v|x")}})
	if capture.ErrorCode(err) != capture.CodeUnavailable {
		t.Errorf("inserting an id of the pending batch: %v; want CodeUnavailable (retry later)", err)
	}

	// Within the lease a new Open leaves the batch alone: its writer may be alive.
	openAt(t, uri, testConfig(&clk))
	if n := countWhere(t, s, bson.D{{Key: "batch", Value: token}}); n != 2 {
		t.Errorf("Open within the lease removed pending statements: %d left, want 2", n)
	}

	clk.advance(2 * time.Minute)
	s2 := openAt(t, uri, testConfig(&clk))
	if n := countWhere(t, s2, bson.D{{Key: "batch", Value: token}}); n != 0 {
		t.Errorf("after the lease, Open left %d statements of the crashed batch", n)
	}
	if b, ok := counter(t, s2).Open[token]; !ok || b.State != stateAborted {
		t.Errorf("crashed batch entry = %+v, %v; want kept as aborted during the grace period", b, ok)
	}
	if got := queryIDs(t, s2, "v|x"); !slices.Equal(got, []string{sid(1), sid(4)}) {
		t.Errorf("query after the sweep = %v; want 1, 4", got)
	}
	if got, want := lastSeq(t, s2), byIDs(t, s2, sid(4))[sid(4)].Seq; got != want {
		t.Errorf("LastSeq after the sweep = %d, want %d", got, want)
	}

	// A writer that outlived its lease cannot commit, and what it inserts late stays
	// invisible while the aborted entry is kept.
	if _, err := s.commit(t.Context(), token); capture.ErrorCode(err) != capture.CodeUnavailable {
		t.Errorf("commit after the sweep: %v; want CodeUnavailable", err)
	}
	late := toDoc(record(5, "v|x"))
	late.Seq, late.Batch = before+2, token // one of the batch's own seqs
	if _, err := s.statements.InsertOne(t.Context(), late); err != nil {
		t.Fatalf("late insert: %v", err)
	}
	if got := byIDs(t, s2, sid(5)); len(got) != 0 {
		t.Errorf("late insert of an aborted batch is visible: %v", got)
	}

	// After the grace period a read sweeps the entry and the late statement.
	clk.advance(15 * time.Minute)
	if got := queryIDs(t, s2, "v|x"); !slices.Equal(got, []string{sid(1), sid(4)}) {
		t.Errorf("query after the grace period = %v; want 1, 4", got)
	}
	if _, ok := counter(t, s2).Open[token]; ok {
		t.Errorf("aborted entry still listed after the grace period")
	}
	if n := countWhere(t, s2, bson.D{{Key: "_id", Value: sid(5)}}); n != 0 {
		t.Errorf("late statement of the aborted batch not deleted")
	}
	// The store keeps working; seqs continue above the aborted ones.
	mustInsert(t, s2, record(6, "v|x"))
	if seq := byIDs(t, s2, sid(6))[sid(6)].Seq; seq <= before+3 {
		t.Errorf("new record Seq %d reuses the aborted batch's seqs (up to %d)", seq, before+3)
	}
}

func TestCommittedBatchIsFinishedAtOpen(t *testing.T) {
	var clk clock
	s, uri := openFresh(t, testConfig(&clk))
	// 1 will be voided by 3; 2 targets 4 by StatementRef before 4 exists.
	mustInsert(t, s, record(1, "v|x"))
	ref := record(2, "v|ref")
	ref.RefTarget = sid(4)
	mustInsert(t, s, ref)

	voider := record(3, "v|voided")
	voider.RefTarget, voider.VoidTarget = sid(1), sid(1)
	token, _ := insertPending(t, s, voider, record(4, "v|target"))
	if _, err := s.commit(t.Context(), token); err != nil {
		t.Fatalf("commit: %v", err)
	}
	// Crash here: committed, effects not applied.
	if got := byIDs(t, s, sid(3), sid(4)); len(got) != 2 {
		t.Fatalf("committed batch not visible: %v", got)
	}
	if byIDs(t, s, sid(1))[sid(1)].Voided {
		t.Fatalf("target voided before the effects ran: the crash is not reproduced")
	}

	s2 := openAt(t, uri, testConfig(&clk))
	if !byIDs(t, s2, sid(1))[sid(1)].Voided {
		t.Errorf("Open did not finish voiding")
	}
	if got := byIDs(t, s2, sid(2))[sid(2)].InheritedKeys; !slices.Equal(got, []string{"v|target"}) {
		t.Errorf("referrer InheritedKeys after Open = %v, want [v|target]", got)
	}
	if got := queryIDs(t, s2, "v|target"); !slices.Equal(got, []string{sid(2), sid(4)}) {
		t.Errorf("query by the target's key = %v; want 2, 4", got)
	}
	if got := queryIDs(t, s2, "v|x"); !slices.Equal(got, []string{sid(3)}) {
		t.Errorf("query v|x = %v; want only the voiding statement 3 (it inherits v|x, 1 is voided)", got)
	}
	if n := countWhere(t, s2, bson.D{{Key: "batch", Value: bson.D{{Key: "$exists", Value: true}}}}); n != 0 {
		t.Errorf("%d statements still carry a batch token after Open", n)
	}
}

func TestFailedInsertRemovesWhatItWrote(t *testing.T) {
	var clk clock
	s, _ := openFresh(t, testConfig(&clk))
	mustInsert(t, s, record(1, "v|x"))
	last := lastSeq(t, s)
	// A foreign row holding the second seq the next batch gets makes its insertMany
	// fail after the first statement is written.
	squatter := toDoc(record(99))
	squatter.Seq, squatter.Batch = last+2, "foreign"
	if _, err := s.statements.InsertOne(t.Context(), squatter); err != nil {
		t.Fatalf("insert squatter: %v", err)
	}
	err := s.InsertStatements(t.Context(), capture.InsertBatch{
		Statements:  []capture.StatementRecord{record(2, "v|x"), record(3, "v|x")},
		Attachments: []capture.Attachment{{SHA2: "abc", ContentType: "text/plain", Content: []byte("x")}},
	})
	if err == nil {
		t.Fatalf("InsertStatements succeeded over a seq clash")
	}
	if n := countWhere(t, s, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: []string{sid(2), sid(3)}}}}}); n != 0 {
		t.Errorf("%d statements of the failed batch remain", n)
	}
	if open := counter(t, s).Open; len(open) != 0 {
		t.Errorf("failed batch left open entries: %v", open)
	}
	if a, err := s.Attachments(t.Context(), []string{"abc"}); err != nil || len(a) != 0 {
		t.Errorf("attachment of the failed batch: %v, %v; want absent", a, err)
	}
	if _, err := s.statements.DeleteOne(context.Background(), bson.D{{Key: "_id", Value: sid(99)}}); err != nil {
		t.Fatalf("delete squatter: %v", err)
	}
	mustInsert(t, s, record(2, "v|x"), record(3, "v|x"))
	if got := queryIDs(t, s, "v|x"); !slices.Equal(got, []string{sid(1), sid(2), sid(3)}) {
		t.Errorf("query after retry = %v; want 1, 2, 3", got)
	}
}

func TestRawKeepsExtensionKeysWithDots(t *testing.T) {
	s, _ := openFresh(t, defaultConfig())
	r := record(1, "v|x")
	mustInsert(t, s, r)
	var raw bson.Raw
	if err := s.statements.FindOne(t.Context(), bson.D{{Key: "_id", Value: r.ID}}).Decode(&raw); err != nil {
		t.Fatalf("FindOne: %v", err)
	}
	if v := raw.Lookup("raw"); v.Type != bson.TypeBinary {
		t.Errorf("raw is stored as BSON %v, want binary", v.Type)
	}
	if got := byIDs(t, s, r.ID)[r.ID].Raw; string(got) != string(r.Raw) {
		t.Errorf("Raw = %s, want %s", got, r.Raw)
	}
}

func TestLostCommitReplyAndFailedFinishAreCompleted(t *testing.T) {
	cases := []struct {
		name string
		// complete runs after the commit of a batch voiding record 1, in place of the
		// writer's normal finish.
		complete func(t *testing.T, s *Store, token string, docs []stmtDoc)
	}{
		{"commit reply lost: abandon finds the batch committed", func(t *testing.T, s *Store, token string, docs []stmtDoc) {
			if err := s.abandon(token, docs, capture.Errorf(capture.CodeUnavailable, "reply lost")); err != nil {
				t.Errorf("abandon of a committed batch = %v, want nil", err)
			}
		}},
		{"finish failed: the next insert retries it", func(t *testing.T, s *Store, token string, docs []stmtDoc) {
			s.unfinished.add(token, docs)
			mustInsert(t, s, record(9, "v|other"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var clk clock
			s, _ := openFresh(t, testConfig(&clk))
			mustInsert(t, s, record(1, "v|x"))
			voider := record(2, "v|voided")
			voider.RefTarget, voider.VoidTarget = sid(1), sid(1)
			token, docs := insertPending(t, s, voider)
			if _, err := s.commit(t.Context(), token); err != nil {
				t.Fatalf("commit: %v", err)
			}
			c.complete(t, s, token, docs)
			if !byIDs(t, s, sid(1))[sid(1)].Voided {
				t.Errorf("voiding not applied")
			}
			if n := countWhere(t, s, bson.D{{Key: "batch", Value: token}}); n != 0 {
				t.Errorf("%d statements still carry the batch token", n)
			}
			if got := byIDs(t, s, sid(2)); len(got) != 1 {
				t.Errorf("committed voiding statement not visible: %v", got)
			}
		})
	}
}
