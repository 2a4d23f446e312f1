package storetest

import (
	"bytes"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

func init() {
	statementTests = append(statementTests,
		contractTest{"StatementsMentioning", testStatementsMentioning},
		contractTest{"EraseStatements", testEraseStatements},
		contractTest{"EraseKeepsSeqsUnique", testEraseKeepsSeqsUnique},
	)
	documentTests = append(documentTests, contractTest{"DeleteAgentDocuments", testDeleteAgentDocuments})
}

const (
	erasedAgent = "mbox:mailto:erased@example.org"
	otherAgent  = "mbox:mailto:other@example.org"
)

// StatementsMentioning finds the person in every role, voided statements included,
// and not statements that only inherit the person through a StatementRef.
func testStatementsMentioning(t *testing.T, s capture.Store) {
	insert(t, s,
		rec(1, capture.KeyAgent(erasedAgent), capture.KeyRelatedAgent(erasedAgent)),
		rec(2, capture.KeyAgent(otherAgent), capture.KeyRelatedAgent(erasedAgent)),
		rec(3, capture.KeyAgent(otherAgent), capture.KeyAuthority(erasedAgent)),
		rec(4, capture.KeyAgent(otherAgent)),
		refRec(5, id(1), capture.KeyAgent(otherAgent)),
	)
	insert(t, s, voidRec(6, id(1)))
	keys := []string{erasedAgent, "mbox:mailto:nobody@example.org"}
	got, err := s.StatementsMentioning(ctx(t), keys, 0, 100)
	if err != nil {
		t.Fatalf("StatementsMentioning: %v", err)
	}
	var gotIDs []string
	for _, r := range got {
		gotIDs = append(gotIDs, r.ID)
	}
	wantIDs(t, "statements mentioning the person", gotIDs, ids(1, 2, 3))
	if len(got) > 0 && (!got[0].Voided || len(got[0].Keys) != 2) {
		t.Errorf("record 1 = voided %v keys %v; want voided with its 2 keys", got[0].Voided, got[0].Keys)
	}
	// Pages: two at a time from the start, then the rest after the second.
	first, err := s.StatementsMentioning(ctx(t), keys, 0, 2)
	if err != nil || len(first) != 2 || first[0].ID != id(1) || first[1].ID != id(2) {
		t.Fatalf("first page = %d records, %v; want 1 and 2", len(first), err)
	}
	rest, err := s.StatementsMentioning(ctx(t), keys, first[1].Seq, 2)
	if err != nil || len(rest) != 1 || rest[0].ID != id(3) {
		t.Errorf("second page = %d records, %v; want 3", len(rest), err)
	}
	if none, err := s.StatementsMentioning(ctx(t), nil, 0, 10); err != nil || len(none) != 0 {
		t.Errorf("StatementsMentioning(nil) = %v, %v; want none", none, err)
	}
	if _, err := s.StatementsMentioning(ctx(t), keys, 0, 0); capture.ErrorCode(err) != capture.CodeInvalid {
		t.Errorf("StatementsMentioning with limit 0: %v, want invalid", err)
	}
}

// EraseStatements deletes records with their keys and unused attachments, rewrites
// others in place, recomputes inherited keys, and a repeat call changes nothing.
func testEraseStatements(t *testing.T, s capture.Store) {
	a, b := rec(1, capture.KeyAgent(erasedAgent)), rec(2, capture.KeyAgent(otherAgent), capture.KeyRelatedAgent(erasedAgent))
	a.AttachSHA2 = []string{"only1", "shared"}
	c := rec(3, capture.KeyAgent(otherAgent))
	c.AttachSHA2 = []string{"shared"}
	err := s.InsertStatements(ctx(t), capture.InsertBatch{
		Statements: []capture.StatementRecord{a, b, c},
		Attachments: []capture.Attachment{
			{SHA2: "only1", ContentType: "text/plain", Content: []byte("secret of erased")},
			{SHA2: "shared", ContentType: "text/plain", Content: []byte("shared")},
		},
	})
	if err != nil {
		t.Fatalf("InsertStatements: %v", err)
	}
	insert(t, s, refRec(4, id(1), capture.KeyAgent(otherAgent)), refRec(5, id(2), capture.KeyVerb("http://example.com/v")))
	before := byID(t, s, id(2))

	rewritten := b
	rewritten.Raw = []byte(`{"id":"` + id(2) + `","rewritten":true}`)
	rewritten.Keys = []string{capture.KeyAgent(otherAgent), capture.KeyRelatedAgent("account:https://cairn.example/erased|x1")}
	batch := capture.EraseBatch{Delete: []string{id(1), id(99)}, Replace: []capture.StatementRecord{rewritten}}
	for round := range 2 {
		if err := s.EraseStatements(ctx(t), batch); err != nil {
			t.Fatalf("EraseStatements (round %d): %v", round+1, err)
		}
		m, err := s.StatementsByID(ctx(t), ids(1, 2, 3, 4, 5))
		if err != nil {
			t.Fatalf("StatementsByID: %v", err)
		}
		if _, ok := m[id(1)]; ok || len(m) != 4 {
			t.Fatalf("round %d: after erasure %d records, 1 present %v; want 4 without 1", round+1, len(m), ok)
		}
		got := m[id(2)]
		if !bytes.Equal(got.Raw, rewritten.Raw) || got.Seq != before.Seq || !got.Stored.Equal(before.Stored) {
			t.Errorf("round %d: rewritten record = seq %d stored %v raw %s; want seq %d stored %v and the new raw",
				round+1, got.Seq, got.Stored, got.Raw, before.Seq, before.Stored)
		}
		if len(m[id(4)].InheritedKeys) != 0 {
			t.Errorf("round %d: referrer of the erased statement still inherits %v", round+1, m[id(4)].InheritedKeys)
		}
		if !sameSet(m[id(5)].InheritedKeys, rewritten.Keys) {
			t.Errorf("round %d: referrer of the rewritten statement inherits %v, want %v", round+1, m[id(5)].InheritedKeys, rewritten.Keys)
		}
		wantIDs(t, "agent query for the erased person", query(t, s, capture.StatementQuery{Keys: []string{capture.KeyAgent(erasedAgent)}}), nil)
		wantIDs(t, "related query for the erased person", query(t, s, capture.StatementQuery{Keys: []string{capture.KeyRelatedAgent(erasedAgent)}}), nil)
		wantIDs(t, "related query for the anonymous account",
			query(t, s, capture.StatementQuery{Keys: []string{capture.KeyRelatedAgent("account:https://cairn.example/erased|x1")}, Ascending: true}), ids(2, 5))
		mentioning, err := s.StatementsMentioning(ctx(t), []string{erasedAgent}, 0, 100)
		if err != nil || len(mentioning) != 0 {
			t.Errorf("round %d: StatementsMentioning after erasure = %d records, %v; want none", round+1, len(mentioning), err)
		}
		atts, err := s.Attachments(ctx(t), []string{"only1", "shared"})
		if err != nil {
			t.Fatalf("Attachments: %v", err)
		}
		if _, ok := atts["only1"]; ok {
			t.Errorf("round %d: the erased statement's own attachment is still stored", round+1)
		}
		if _, ok := atts["shared"]; !ok {
			t.Errorf("round %d: an attachment another statement uses was removed", round+1)
		}
		feed, err := s.StatementsAfter(ctx(t), 0, 100)
		if err != nil || len(feed) != 4 {
			t.Errorf("round %d: feed holds %d records, %v; want 4", round+1, len(feed), err)
		}
	}
	if err := s.EraseStatements(ctx(t), capture.EraseBatch{}); err != nil {
		t.Errorf("empty EraseStatements: %v", err)
	}
}

// Sequence numbers of erased statements are not given again: a new statement after
// erasing the newest one gets a higher seq.
func testEraseKeepsSeqsUnique(t *testing.T, s capture.Store) {
	insert(t, s, rec(1), rec(2))
	last := byID(t, s, id(2)).Seq
	if err := s.EraseStatements(ctx(t), capture.EraseBatch{Delete: []string{id(2)}}); err != nil {
		t.Fatalf("EraseStatements: %v", err)
	}
	insert(t, s, rec(3))
	if got := byID(t, s, id(3)).Seq; got <= last {
		t.Errorf("seq after erasing the newest = %d, want > %d", got, last)
	}
}

// DeleteAgentDocuments removes the person's state and agent profile documents in
// every activity and registration, and nothing else.
func testDeleteAgentDocuments(t *testing.T, s capture.Store) {
	mine := []capture.DocumentKey{
		stateKey("http://example.com/a1", erasedAgent, "", "s1"),
		stateKey("http://example.com/a2", erasedAgent, "0f6a2b38-2d1f-4e0b-9d8c-1a2b3c4d5e6f", "s2"),
		{Kind: capture.KindAgentProfile, AgentKey: erasedAgent, ID: "p1"},
	}
	kept := []capture.DocumentKey{
		stateKey("http://example.com/a1", otherAgent, "", "s1"),
		{Kind: capture.KindAgentProfile, AgentKey: otherAgent, ID: "p1"},
		{Kind: capture.KindActivityProfile, ActivityID: "http://example.com/a1", ID: "ap"},
	}
	for i, k := range append(append([]capture.DocumentKey{}, mine...), kept...) {
		put(t, s, doc(k, "text/plain", "content", i))
	}
	for round, want := range []int{3, 0} {
		n, err := s.DeleteAgentDocuments(ctx(t), []string{erasedAgent, "mbox:mailto:nobody@example.org"})
		if err != nil || n != want {
			t.Errorf("DeleteAgentDocuments round %d = %d, %v; want %d", round+1, n, err, want)
		}
	}
	for _, k := range mine {
		wantNoDoc(t, s, k)
	}
	for _, k := range kept {
		if _, err := s.Document(ctx(t), k); err != nil {
			t.Errorf("document %+v of another was removed: %v", k, err)
		}
	}
}
