package federation_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/federation"
)

// recordingRemote is a partner that records the statements posted to it, or refuses
// them all with status fail.
type recordingRemote struct {
	federation.Remote
	mu    *sync.Mutex
	posts *[][]byte
	fail  int
}

func (r recordingRemote) PostStatements(ctx context.Context, stmts [][]byte, _ []capture.Attachment) (int, error) {
	if r.fail != 0 {
		return 0, &federation.RemoteError{Status: r.fail, Message: "down"}
	}
	r.mu.Lock()
	*r.posts = append(*r.posts, stmts...)
	r.mu.Unlock()
	return 200, nil
}

// Recall voids at a partner exactly the erased statements it received: settled by its
// cursor, passing its filter, not from it, not refused, not voiding statements; off
// and pull-only partners hear nothing; an unreachable partner is reported.
func TestRecallVoidsWhatWasDelivered(t *testing.T) {
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := federation.NewSealer(partnerKey)
	partners := federation.NewPartners(st, sealer, nil)
	auth := federation.Auth{Key: "k", Secret: "s"}
	for _, p := range []federation.Partner{
		{Name: "told", Endpoint: "https://told.example/xapi", Auth: auth, Erasure: federation.ErasureVoid},
		{Name: "filtered", Endpoint: "https://filtered.example/xapi", Auth: auth, Erasure: federation.ErasureVoid,
			Filter: federation.Filter{Verbs: []string{"http://adlnet.gov/expapi/verbs/completed"}}},
		{Name: "down", Endpoint: "https://down.example/xapi", Auth: auth, Erasure: federation.ErasureVoid},
		{Name: "off", Endpoint: "https://off.example/xapi", Auth: auth},
		{Name: "puller", Endpoint: "https://puller.example/xapi", Auth: auth, Erasure: federation.ErasureVoid, Direction: federation.Pull},
	} {
		if _, err := partners.Add(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := st.PutJobState(ctx, p.Name, federation.Push, federation.State{PushSeq: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddDeadLetters(ctx, []federation.DeadLetter{{ID: "dl-1", Partner: "told", Direction: federation.Push, StatementID: sid(3), Seq: 3}}); err != nil {
		t.Fatal(err)
	}
	raw := func(n int, verb string) []byte {
		b, _ := json.Marshal(map[string]any{"id": sid(n), "actor": map[string]any{"mbox": "mailto:erased@example.org"},
			"verb": map[string]any{"id": verb}, "object": map[string]any{"id": "https://example.org/x"}})
		return b
	}
	const done, read = "http://adlnet.gov/expapi/verbs/completed", "https://w3id.org/xapi/adb/verbs/read"
	erased := []capture.StatementRecord{
		{Seq: 1, ID: sid(1), Raw: raw(1, done)},
		{Seq: 2, ID: sid(2), Raw: raw(2, read)},
		{Seq: 3, ID: sid(3), Raw: raw(3, done)},                     // refused by told
		{Seq: 4, ID: sid(4), Raw: raw(4, done), Origin: "told"},     // came from told
		{Seq: 5, ID: sid(5), Raw: raw(5, done), VoidTarget: sid(9)}, // a voiding statement
		{Seq: 6, ID: sid(6), Raw: raw(6, done)},                     // after every cursor
	}
	var mu sync.Mutex
	posts := map[string]*[][]byte{}
	connect := func(p federation.Partner) (federation.Remote, error) {
		mu.Lock()
		defer mu.Unlock()
		if posts[p.Name] == nil {
			posts[p.Name] = &[][]byte{}
		}
		r := recordingRemote{mu: &mu, posts: posts[p.Name]}
		if p.Name == "down" {
			r.fail = 503
		}
		return r, nil
	}
	rc := &federation.Recaller{Partners: partners, Connect: connect, HomePage: "https://cairn.example.org", Attempts: 2, Wait: 1}
	got, err := rc.Recall(ctx, erased)
	if err != nil {
		t.Fatal(err)
	}
	want := []federation.Recall{
		{Partner: "down", Failed: 4, Error: "partner answered 503: down"},
		{Partner: "filtered", Voided: 3},
		{Partner: "told", Voided: 2},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Recall = %+v\nwant %+v", got, want)
	}
	targets := func(name string) []string {
		var out []string
		if posts[name] == nil {
			return nil
		}
		for _, b := range *posts[name] {
			var v struct {
				Actor  map[string]any `json:"actor"`
				Verb   struct{ ID string }
				Object struct{ ObjectType, ID string }
			}
			json.Unmarshal(b, &v)
			if v.Verb.ID != capture.VerbVoided || v.Object.ObjectType != "StatementRef" || strings.Contains(string(b), "erased@example.org") {
				t.Errorf("%s got %s, want a voiding statement that names no one", name, b)
			}
			out = append(out, v.Object.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := targets("told"); !slices.Equal(got, []string{sid(1), sid(2)}) {
		t.Errorf("told voided %v", got)
	}
	if got := targets("filtered"); !slices.Equal(got, []string{sid(1), sid(3), sid(4)}) {
		t.Errorf("filtered voided %v", got)
	}
	if posts["off"] != nil || posts["puller"] != nil {
		t.Error("a partner without erasure notices, or pull-only, was contacted")
	}
	if none, err := rc.Recall(ctx, nil); err != nil || none != nil {
		t.Errorf("Recall(nil) = %v, %v", none, err)
	}
}
