package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/cairn-lrs/cairn/capture"
)

func TestStoreErr(t *testing.T) {
	dup := mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000, Message: "E11000 duplicate key"}}}
	passthrough := capture.Errorf(capture.CodePreconditionFailed, "kept")
	cases := []struct {
		name string
		err  error
		want capture.Code
	}{
		{"nil", nil, ""},
		{"duplicate key", dup, capture.CodeConflict},
		{"wrapped duplicate key", fmt.Errorf("insert: %w", dup), capture.CodeConflict},
		{"server selection", topology.ServerSelectionError{Wrapped: errors.New("no server")}, capture.CodeUnavailable},
		{"disconnected client", mongo.ErrClientDisconnected, capture.CodeUnavailable},
		{"deadline", context.DeadlineExceeded, capture.CodeUnavailable},
		{"cancelled", context.Canceled, capture.CodeUnavailable},
		{"document too large", driver.ErrDocumentTooLarge, capture.CodeTooLarge},
		{"other server error", mongo.CommandError{Code: 2, Message: "bad value"}, capture.CodeInternal},
		{"application error", passthrough, capture.CodePreconditionFailed},
	}
	for _, c := range cases {
		err := storeErr(c.err, "message")
		if got := capture.ErrorCode(err); got != c.want {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.want)
		}
		if c.err != nil && !strings.Contains(err.Error(), c.err.Error()) {
			t.Errorf("%s: %v does not carry its cause %v", c.name, err, c.err)
		}
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s, err := Open(t.Context(), server.DatabaseURI(t), quietLogger())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	checks := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return s.Ping(t.Context()) }},
		{"LastSeq", func() error { _, err := s.LastSeq(t.Context()); return err }},
		{"InsertStatements", func() error {
			return s.InsertStatements(t.Context(), capture.InsertBatch{Statements: []capture.StatementRecord{record(1)}})
		}},
		{"Document", func() error {
			_, err := s.Document(t.Context(), capture.DocumentKey{Kind: capture.KindState})
			return err
		}},
		{"Credential", func() error { _, err := s.Credential(t.Context(), "k"); return err }},
	}
	for _, c := range checks {
		if got := capture.ErrorCode(c.call()); got != capture.CodeUnavailable {
			t.Errorf("%s on a closed store: code %q, want %q", c.name, got, capture.CodeUnavailable)
		}
	}
}
