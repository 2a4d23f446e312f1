package capture_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

// undefinedRecorder collects what a StatementService's Undefined hook receives.
type undefinedRecorder struct {
	mu    sync.Mutex
	calls [][]string
}

func (r *undefinedRecorder) hook(ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, slices.Clone(ids))
}

func (r *undefinedRecorder) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// activityStatement returns a statement whose object is obj and whose context activities
// are parents (both JSON), with a fixed actor and verb.
func activityStatement(t *testing.T, obj string, parents ...string) capture.Statement {
	t.Helper()
	ctx := ""
	if len(parents) > 0 {
		list := "["
		for i, p := range parents {
			if i > 0 {
				list += ","
			}
			list += p
		}
		ctx = `,"context":{"contextActivities":{"parent":` + list + `]}}`
	}
	return decodeOne(t, []byte(`{"actor":{"mbox":"mailto:ada@example.com"},
		"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":`+obj+ctx+`}`))
}

func TestUndefinedHook(t *testing.T) {
	const (
		page    = "https://example.com/articles/1"
		other   = "http://example.org/talk"
		defined = "https://example.com/defined"
		stored  = "https://example.com/stored"
	)
	e := newEnv(t)
	rec := &undefinedRecorder{}
	svc := capture.NewStatementService(capture.StatementServiceConfig{Store: e.store, Undefined: rec.hook})
	// A definition stored by an earlier statement counts as defined.
	if _, err := svc.Write(context.Background(), capture.WriteRequest{Principal: e.all, Statements: []capture.Statement{
		activityStatement(t, `{"id":"`+stored+`","definition":{"name":{"en":"Stored"}}}`),
	}}); err != nil {
		t.Fatal(err)
	}
	rec.take()

	cases := []struct {
		name  string
		stmts []capture.Statement
		want  [][]string
	}{
		{"undefined https object", []capture.Statement{activityStatement(t, `{"id":"`+page+`"}`)}, [][]string{{page}}},
		{"defined object", []capture.Statement{activityStatement(t, `{"id":"`+defined+`","definition":{"name":{"en":"D"}}}`)}, nil},
		{"non-http ids", []capture.Statement{
			activityStatement(t, `{"id":"urn:example:activity:1"}`, `{"id":"tag:example.com,2026:x"}`),
			activityStatement(t, `{"id":"ftp://example.com/file"}`),
		}, nil},
		{"stored definition", []capture.Statement{activityStatement(t, `{"id":"`+stored+`"}`)}, nil},
		{"context activity, object repeated", []capture.Statement{
			activityStatement(t, `{"id":"`+page+`"}`, `{"id":"`+other+`"}`),
			activityStatement(t, `{"id":"`+page+`"}`),
		}, [][]string{{page, other}}},
		{"defined elsewhere in the batch", []capture.Statement{
			activityStatement(t, `{"id":"`+other+`"}`),
			activityStatement(t, `{"id":"`+other+`","definition":{"name":{"en":"Talk"}}}`),
		}, nil},
		{"agent object", []capture.Statement{activityStatement(t, `{"objectType":"Agent","mbox":"mailto:bob@example.com"}`)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := svc.Write(context.Background(), capture.WriteRequest{Principal: e.all, Statements: c.stmts}); err != nil {
				t.Fatal(err)
			}
			if got := rec.take(); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("hook calls = %v, want %v", got, c.want)
			}
		})
	}
}

func TestDefineActivity(t *testing.T) {
	const (
		page     = "https://example.com/articles/2"
		supplied = "https://example.com/supplied"
	)
	ctx := context.Background()
	e := newEnv(t)
	pageDef := json.RawMessage(`{"name":{"en":"From the page"},"type":"http://adlnet.gov/expapi/activities/link"}`)
	if err := e.stmts.DefineActivity(ctx, page, pageDef); err != nil {
		t.Fatalf("DefineActivity: %v", err)
	}
	if err := e.stmts.DefineActivity(ctx, page, json.RawMessage(`{"name":{"en":"Second"}}`)); err != nil {
		t.Fatalf("repeat DefineActivity: %v", err)
	}
	e.mustWrite(t, activityStatement(t, `{"id":"`+supplied+`","definition":{"name":{"en":"By the statement"}}}`))
	if err := e.stmts.DefineActivity(ctx, supplied, pageDef); err != nil {
		t.Fatalf("DefineActivity over a supplied definition: %v", err)
	}
	for _, c := range []struct{ id, wantName string }{
		{page, "From the page"},
		{supplied, "By the statement"},
	} {
		raw, err := e.stmts.Activity(ctx, c.id)
		if err != nil {
			t.Fatalf("Activity(%s): %v", c.id, err)
		}
		var got struct {
			ID         string `json:"id"`
			Definition struct {
				Name map[string]string `json:"name"`
			} `json:"definition"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != c.id || got.Definition.Name["en"] != c.wantName || len(got.Definition.Name) != 1 {
			t.Errorf("Activity(%s) = %s, want name {en: %q}", c.id, raw, c.wantName)
		}
	}
	for _, bad := range []string{``, `null`, `{}`, `[1]`, `"x"`} {
		if err := e.stmts.DefineActivity(ctx, "https://example.com/bad", json.RawMessage(bad)); capture.ErrorCode(err) != capture.CodeInvalid {
			t.Errorf("DefineActivity(%q) = %v, want CodeInvalid", bad, err)
		}
	}
	if _, err := e.stmts.Activity(ctx, "https://example.com/bad"); capture.ErrorCode(err) != capture.CodeNotFound {
		t.Errorf("Activity after refused definitions = %v, want CodeNotFound", err)
	}
}
