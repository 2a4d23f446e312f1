package storetest

import (
	"slices"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

func init() {
	statementTests = append(statementTests, contractTest{"StatementsAfterFeed", testStatementsAfterFeed})
}

// StatementsAfter walks every stored record in seq order, voided and voiding ones
// included, with their origin, from an exclusive cursor.
func testStatementsAfterFeed(t *testing.T, s capture.Store) {
	ctx := t.Context()
	if _, err := s.StatementsAfter(ctx, 0, 0); capture.ErrorCode(err) != capture.CodeInvalid {
		t.Fatalf("limit 0: got %v, want invalid", err)
	}
	if got, err := s.StatementsAfter(ctx, 0, 10); err != nil || len(got) != 0 {
		t.Fatalf("empty store: got %d records, %v", len(got), err)
	}
	a, b := rec(1), rec(2)
	b.Origin = "partner-b"
	insert(t, s, a, b)
	insert(t, s, voidRec(3, id(1)))
	insert(t, s, rec(4))

	all, err := s.StatementsAfter(ctx, 0, 10)
	if err != nil {
		t.Fatalf("StatementsAfter: %v", err)
	}
	var gotIDs []string
	var seqs []int64
	for _, r := range all {
		gotIDs = append(gotIDs, r.ID)
		seqs = append(seqs, r.Seq)
	}
	if want := ids(1, 2, 3, 4); !slices.Equal(gotIDs, want) {
		t.Fatalf("feed ids %v, want %v", gotIDs, want)
	}
	if !slices.IsSorted(seqs) || seqs[0] <= 0 {
		t.Fatalf("feed seqs %v not increasing from 1", seqs)
	}
	if !all[0].Voided || all[2].VoidTarget != id(1) || all[1].Origin != "partner-b" || string(all[3].Raw) != string(rec(4).Raw) {
		t.Fatalf("feed records lost fields: %+v", all)
	}
	page, err := s.StatementsAfter(ctx, seqs[1], 1)
	if err != nil || len(page) != 1 || page[0].ID != id(3) {
		t.Fatalf("after seq %d limit 1: %v %v, want %s", seqs[1], page, err, id(3))
	}
	rest, err := s.StatementsAfter(ctx, seqs[3], 5)
	if err != nil || len(rest) != 0 {
		t.Fatalf("after the last seq: %d records, %v", len(rest), err)
	}
}
