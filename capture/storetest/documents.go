package storetest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// documentTests cover capture.DocumentStore.
var documentTests = []contractTest{
	{"PutGetReplace", testDocumentPutGetReplace},
	{"PutPreconditions", testDocumentPutPreconditions},
	{"Delete", testDocumentDelete},
	{"DeleteDocumentsScope", testDeleteDocumentsScope},
	{"DocumentIDs", testDocumentIDs},
	{"KindsDoNotCollide", testDocumentKindsDoNotCollide},
}

const (
	actA, actB       = "http://example.com/activities/a", "http://example.com/activities/b"
	agentG, agentH   = "mbox:mailto:g@example.com", "account:https://example.com|h"
	regR1, regR2     = "6f1c3c7e-0000-4000-8000-000000000001", "6f1c3c7e-0000-4000-8000-000000000002"
	jsonType, txtTyp = "application/json", "text/plain"
)

// stateKey addresses a State document.
func stateKey(activity, agent, registration, docID string) capture.DocumentKey {
	return capture.DocumentKey{Kind: capture.KindState, ActivityID: activity, AgentKey: agent, Registration: registration, ID: docID}
}

// doc builds a document at key with content, its ETag and Updated at(updated).
func doc(key capture.DocumentKey, contentType, content string, updated int) capture.Document {
	sum := sha1.Sum([]byte(content))
	return capture.Document{DocumentKey: key, ContentType: contentType, Content: []byte(content), ETag: hex.EncodeToString(sum[:]), Updated: at(updated)}
}

// put stores d without a precondition and fails the test on error.
func put(t *testing.T, s capture.Store, d capture.Document) {
	t.Helper()
	if err := s.PutDocument(ctx(t), d, capture.Precondition{}); err != nil {
		t.Fatalf("PutDocument(%+v): %v", d.DocumentKey, err)
	}
}

// wantDoc fails the test unless the document at want's key equals want.
func wantDoc(t *testing.T, s capture.Store, want capture.Document) {
	t.Helper()
	got, err := s.Document(ctx(t), want.DocumentKey)
	if err != nil {
		t.Errorf("Document(%+v): %v", want.DocumentKey, err)
		return
	}
	if got.DocumentKey != want.DocumentKey || got.ContentType != want.ContentType || !bytes.Equal(got.Content, want.Content) ||
		got.ETag != want.ETag || !got.Updated.Equal(want.Updated) {
		t.Errorf("Document(%+v) = {%+v %q %q %q %v}, want {%+v %q %q %q %v}", want.DocumentKey,
			got.DocumentKey, got.ContentType, got.Content, got.ETag, got.Updated,
			want.DocumentKey, want.ContentType, want.Content, want.ETag, want.Updated)
	}
}

// wantNoDoc fails the test unless the document at key is absent (CodeNotFound).
func wantNoDoc(t *testing.T, s capture.Store, key capture.DocumentKey) {
	t.Helper()
	_, err := s.Document(ctx(t), key)
	wantCode(t, "Document of an absent key", err, capture.CodeNotFound)
}

func testDocumentPutGetReplace(t *testing.T, s capture.Store) {
	key := stateKey(actA, agentG, regR1, "bookmark")
	wantNoDoc(t, s, key)
	d := doc(key, jsonType, `{"page":1}`, 1)
	put(t, s, d)
	wantDoc(t, s, d)

	d2 := doc(key, txtTyp, "page two", 2)
	put(t, s, d2)
	wantDoc(t, s, d2)

	// A repeat with the same content only moves Updated.
	d3 := doc(key, txtTyp, "page two", 3)
	put(t, s, d3)
	wantDoc(t, s, d3)

	binary := doc(stateKey(actA, agentG, "", "blob"), "application/octet-stream", "\x00\xff\x10", 4)
	put(t, s, binary)
	wantDoc(t, s, binary)
	wantNoDoc(t, s, stateKey(actA, agentG, regR2, "bookmark"))
	wantNoDoc(t, s, stateKey(actA, agentG, "", "bookmark"))
}

func testDocumentPutPreconditions(t *testing.T, s capture.Store) {
	key := stateKey(actA, agentG, "", "doc")
	v1 := doc(key, jsonType, `{"v":1}`, 1)
	v2 := doc(key, jsonType, `{"v":2}`, 2)
	v3 := doc(key, jsonType, `{"v":3}`, 3)

	err := s.PutDocument(ctx(t), v1, capture.Precondition{IfMatch: v1.ETag})
	wantCode(t, "If-Match on an absent document", err, capture.CodePreconditionFailed)
	wantNoDoc(t, s, key)

	if err := s.PutDocument(ctx(t), v1, capture.Precondition{IfNoneMatch: true}); err != nil {
		t.Fatalf("If-None-Match on an absent document: %v", err)
	}
	wantDoc(t, s, v1)

	err = s.PutDocument(ctx(t), v2, capture.Precondition{IfNoneMatch: true})
	wantCode(t, "If-None-Match on a present document", err, capture.CodePreconditionFailed)
	wantDoc(t, s, v1)

	err = s.PutDocument(ctx(t), v2, capture.Precondition{IfMatch: v3.ETag})
	wantCode(t, "If-Match with another ETag", err, capture.CodePreconditionFailed)
	wantDoc(t, s, v1)

	if err := s.PutDocument(ctx(t), v2, capture.Precondition{IfMatch: v1.ETag}); err != nil {
		t.Fatalf("If-Match with the stored ETag: %v", err)
	}
	wantDoc(t, s, v2)
}

func testDocumentDelete(t *testing.T, s capture.Store) {
	key := stateKey(actA, agentG, "", "doc")
	other := doc(stateKey(actA, agentG, "", "other"), jsonType, `{}`, 1)
	put(t, s, other)

	if err := s.DeleteDocument(ctx(t), key, capture.Precondition{}); err != nil {
		t.Errorf("deleting an absent document without If-Match: %v", err)
	}
	err := s.DeleteDocument(ctx(t), key, capture.Precondition{IfMatch: other.ETag})
	wantCode(t, "deleting an absent document with If-Match", err, capture.CodePreconditionFailed)

	d := doc(key, jsonType, `{"x":1}`, 2)
	put(t, s, d)
	err = s.DeleteDocument(ctx(t), key, capture.Precondition{IfMatch: other.ETag + "0"})
	wantCode(t, "deleting with a wrong If-Match", err, capture.CodePreconditionFailed)
	wantDoc(t, s, d)

	if err := s.DeleteDocument(ctx(t), key, capture.Precondition{IfMatch: d.ETag}); err != nil {
		t.Fatalf("deleting with the stored If-Match: %v", err)
	}
	wantNoDoc(t, s, key)

	put(t, s, d)
	if err := s.DeleteDocument(ctx(t), key, capture.Precondition{}); err != nil {
		t.Fatalf("deleting without a condition: %v", err)
	}
	wantNoDoc(t, s, key)
	wantDoc(t, s, other)
}

func testDeleteDocumentsScope(t *testing.T, s capture.Store) {
	x := doc(stateKey(actA, agentG, regR1, "x"), jsonType, `{"x":1}`, 1)
	y := doc(stateKey(actA, agentG, regR1, "y"), jsonType, `{"y":1}`, 2)
	z := doc(stateKey(actA, agentG, regR2, "z"), jsonType, `{"z":1}`, 3)
	w := doc(stateKey(actA, agentG, "", "w"), jsonType, `{"w":1}`, 4)
	otherAgent := doc(stateKey(actA, agentH, regR1, "x"), jsonType, `{}`, 5)
	otherActivity := doc(stateKey(actB, agentG, regR1, "x"), jsonType, `{}`, 6)
	profile := doc(capture.DocumentKey{Kind: capture.KindActivityProfile, ActivityID: actA, ID: "x"}, jsonType, `{}`, 7)
	agentProfile := doc(capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: agentG, ID: "x"}, jsonType, `{}`, 8)
	for _, d := range []capture.Document{x, y, z, w, otherAgent, otherActivity, profile, agentProfile} {
		put(t, s, d)
	}

	// With a registration, only that registration's documents go (scope.ID ignored).
	scope := stateKey(actA, agentG, regR1, "y")
	if err := s.DeleteDocuments(ctx(t), scope); err != nil {
		t.Fatalf("DeleteDocuments(registration): %v", err)
	}
	wantNoDoc(t, s, x.DocumentKey)
	wantNoDoc(t, s, y.DocumentKey)
	for _, d := range []capture.Document{z, w, otherAgent, otherActivity, profile, agentProfile} {
		wantDoc(t, s, d)
	}

	// Without a registration, every registration's documents go.
	if err := s.DeleteDocuments(ctx(t), stateKey(actA, agentG, "", "")); err != nil {
		t.Fatalf("DeleteDocuments(all registrations): %v", err)
	}
	wantNoDoc(t, s, z.DocumentKey)
	wantNoDoc(t, s, w.DocumentKey)
	for _, d := range []capture.Document{otherAgent, otherActivity, profile, agentProfile} {
		wantDoc(t, s, d)
	}

	if err := s.DeleteDocuments(ctx(t), stateKey(actB, agentH, "", "")); err != nil {
		t.Errorf("DeleteDocuments of an empty scope: %v", err)
	}
}

func testDocumentIDs(t *testing.T, s capture.Store) {
	docs := []capture.Document{
		doc(stateKey(actA, agentG, "", "b"), jsonType, `{}`, 1),
		doc(stateKey(actA, agentG, "", "a"), jsonType, `{}`, 3),
		doc(stateKey(actA, agentG, "", "c"), jsonType, `{}`, 5),
		doc(stateKey(actA, agentG, regR1, "r"), jsonType, `{}`, 2),
		doc(stateKey(actA, agentG, regR1, "a"), jsonType, `{}`, 6), // same id as a document without registration
		doc(stateKey(actA, agentH, "", "h"), jsonType, `{}`, 2),
		doc(stateKey(actB, agentG, "", "o"), jsonType, `{}`, 2),
		doc(capture.DocumentKey{Kind: capture.KindActivityProfile, ActivityID: actA, ID: "p2"}, jsonType, `{}`, 1),
		doc(capture.DocumentKey{Kind: capture.KindActivityProfile, ActivityID: actA, ID: "p1"}, jsonType, `{}`, 4),
		doc(capture.DocumentKey{Kind: capture.KindActivityProfile, ActivityID: actB, ID: "p3"}, jsonType, `{}`, 4),
		doc(capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: agentG, ID: "g2"}, jsonType, `{}`, 1),
		doc(capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: agentG, ID: "g1"}, jsonType, `{}`, 4),
		doc(capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: agentH, ID: "g3"}, jsonType, `{}`, 4),
	}
	for _, d := range docs {
		put(t, s, d)
	}
	activityProfiles := capture.DocumentKey{Kind: capture.KindActivityProfile, ActivityID: actA}
	agentProfiles := capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: agentG}
	cases := []struct {
		name  string
		scope capture.DocumentKey
		since time.Time
		want  []string
	}{
		{"state of every registration, without repeats", stateKey(actA, agentG, "", "ignored"), time.Time{}, []string{"a", "b", "c", "r"}},
		{"state of one registration", stateKey(actA, agentG, regR1, ""), time.Time{}, []string{"a", "r"}},
		{"state of an unknown registration", stateKey(actA, agentG, regR2, ""), time.Time{}, nil},
		{"state since (exclusive)", stateKey(actA, agentG, "", ""), at(3), []string{"a", "c"}},
		{"state of one registration since", stateKey(actA, agentG, regR1, ""), at(2), []string{"a"}},
		{"state since before all", stateKey(actA, agentG, "", ""), at(0), []string{"a", "b", "c", "r"}},
		{"state since after all", stateKey(actA, agentG, "", ""), at(6), nil},
		{"state of another agent", stateKey(actA, agentH, "", ""), time.Time{}, []string{"h"}},
		{"activity profiles", activityProfiles, time.Time{}, []string{"p1", "p2"}},
		{"activity profiles since", activityProfiles, at(2), []string{"p1"}},
		{"agent profiles", agentProfiles, time.Time{}, []string{"g1", "g2"}},
		{"agent profiles since", agentProfiles, at(1), []string{"g1"}},
	}
	for _, c := range cases {
		got, err := s.DocumentIDs(ctx(t), c.scope, c.since)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		wantIDs(t, c.name, got, c.want)
	}
}

func testDocumentKindsDoNotCollide(t *testing.T, s capture.Store) {
	state := doc(stateKey(actA, agentG, "", "same"), txtTyp, "state", 1)
	activityProfile := doc(capture.DocumentKey{Kind: capture.KindActivityProfile, ActivityID: actA, ID: "same"}, txtTyp, "activity profile", 2)
	agentProfile := doc(capture.DocumentKey{Kind: capture.KindAgentProfile, AgentKey: agentG, ID: "same"}, txtTyp, "agent profile", 3)
	all := []capture.Document{state, activityProfile, agentProfile}
	for _, d := range all {
		put(t, s, d)
	}
	for _, d := range all {
		wantDoc(t, s, d)
		got, err := s.DocumentIDs(ctx(t), d.DocumentKey, time.Time{})
		if err != nil || len(got) != 1 || got[0] != "same" {
			t.Errorf("DocumentIDs(%s) = %v, %v; want [same]", d.Kind, got, err)
		}
	}
	for i, d := range all {
		if err := s.DeleteDocument(ctx(t), d.DocumentKey, capture.Precondition{}); err != nil {
			t.Fatalf("DeleteDocument(%s): %v", d.Kind, err)
		}
		wantNoDoc(t, s, d.DocumentKey)
		for _, rest := range all[i+1:] {
			wantDoc(t, s, rest)
		}
	}
}
