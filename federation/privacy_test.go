package federation_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/xapiclient"
)

// Real people's identifiers and names in the privacy fixtures.
var personal = []string{
	"alice@example.org", "Alice Real", "bob@example.org", "Bob Real", "0f1e2d3c4b5a69788796a5b4c3d2e1f001234567",
	"https://openid.example.org/carol", "Carol Real", "dave-account-7", "Dave Real", "erin@example.org", "Erin Real",
	"frank@example.org", "Frank Real", "grace-sub", "Grace Real", "Team Red",
}

// privacyStatements names people in every place an agent can stand.
func privacyStatements() string {
	return `[
	{"id":"` + sid(1) + `","actor":{"name":"Alice Real","mbox":"mailto:alice@example.org"},
	 "verb":{"id":"http://adlnet.gov/expapi/verbs/mentored"},
	 "object":{"objectType":"Agent","name":"Bob Real","mbox":"mailto:bob@example.org"},
	 "context":{"instructor":{"name":"Carol Real","openid":"https://openid.example.org/carol"},
	   "team":{"objectType":"Group","name":"Team Red","member":[
	     {"name":"Dave Real","account":{"homePage":"https://hr.example.org","name":"dave-account-7"}},
	     {"mbox_sha1sum":"0f1e2d3c4b5a69788796a5b4c3d2e1f001234567"}]}}},
	{"id":"` + sid(2) + `","actor":{"objectType":"Group","name":"Team Red","member":[
	     {"name":"Erin Real","mbox":"mailto:erin@example.org"}]},
	 "verb":{"id":"http://adlnet.gov/expapi/verbs/attended"},
	 "object":{"objectType":"SubStatement","actor":{"name":"Frank Real","mbox":"mailto:frank@example.org"},
	   "verb":{"id":"http://adlnet.gov/expapi/verbs/asked"},
	   "object":{"objectType":"Agent","name":"Grace Real","account":{"homePage":"https://hr.example.org","name":"grace-sub"}}}},
	{"id":"` + sid(3) + `","actor":{"name":"Alice Real","mbox":"mailto:alice@example.org"},
	 "verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://courses.example.com/x"}}
	]`
}

// No mbox, mbox_sha1sum, openid, account name or display name of a real person reaches
// a pseudonymise or strip partner; pseudonyms are stable per person and partner and
// differ between partners.
func TestPrivacyNothingPersonalLeaves(t *testing.T) {
	a, b, c := newInstance(t, "a"), newInstance(t, "b"), newInstance(t, "c")
	a.addPartner(t, federation.Partner{Name: "b", Endpoint: b.url + "/xapi", Privacy: federation.PrivacyPseudonymise}, b)
	a.addPartner(t, federation.Partner{Name: "c", Endpoint: c.url + "/xapi", Privacy: federation.PrivacyStrip}, c)
	a.post(t, privacyStatements())
	a.startManager(t, "h1", nil)
	waitFor(t, "both partners served", 10*time.Second, func() bool { return a.caughtUp(t, "b") && a.caughtUp(t, "c") })

	actorAccount := func(raw []byte) (string, string) {
		var st struct {
			Actor struct {
				Name    string `json:"name"`
				Account struct{ HomePage, Name string }
			} `json:"actor"`
		}
		json.Unmarshal(raw, &st)
		return st.Actor.Account.Name, st.Actor.Name
	}
	pseudonyms := map[string]string{}
	for _, dst := range []*instance{b, c} {
		recs := dst.all(t)
		if len(recs) != 3 {
			t.Fatalf("%s holds %d statements, want 3", dst.name, len(recs))
		}
		for _, r := range recs {
			raw := string(r.Raw)
			for _, p := range personal {
				if strings.Contains(raw, p) {
					t.Errorf("%s received %q in %s", dst.name, p, raw)
				}
			}
			for _, field := range []string{`"mbox"`, `"mbox_sha1sum"`, `"openid"`} {
				if strings.Contains(raw, field) {
					t.Errorf("%s received a %s identifier: %s", dst.name, field, raw)
				}
			}
			if !strings.Contains(raw, `"homePage":"`+a.url+`"`) {
				t.Errorf("%s: no pseudonymous account on %s: %s", dst.name, a.url, raw)
			}
		}
		first, name1 := actorAccount(recs[0].Raw)
		third, name3 := actorAccount(recs[2].Raw)
		if first == "" || first != third {
			t.Errorf("%s: Alice's pseudonyms %q and %q, want one stable value", dst.name, first, third)
		}
		if dst == c && (name1 != "" || name3 != "") {
			t.Errorf("strip kept names %q, %q", name1, name3)
		}
		if dst == b && (name1 == "" || name1 != name3) {
			t.Errorf("pseudonymise labels %q, %q: want one stable label", name1, name3)
		}
		pseudonyms[dst.name] = first
	}
	if pseudonyms["b"] == pseudonyms["c"] {
		t.Error("two partners received the same pseudonym for Alice")
	}
}

// Statements that came from a partner are never pushed back to it: with a and b
// pushing to each other, each statement crosses once and the chain stops.
func TestNoLoopsBetweenTwoPushingInstances(t *testing.T) {
	a, b := newInstance(t, "a"), newInstance(t, "b")
	pa, pb := newProxy(t, a), newProxy(t, b)
	toB := a.addPartner(t, federation.Partner{Name: "b", Endpoint: pb.url + "/xapi"}, b)
	toA := b.addPartner(t, federation.Partner{Name: "a", Endpoint: pa.url + "/xapi"}, a)
	// Each side binds the credential the other pushes with to that partner.
	if _, err := a.partners.Update(t.Context(), "b", func(p *federation.Partner) { p.InboundKey = toA.Auth.Key }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.partners.Update(t.Context(), "a", func(p *federation.Partner) { p.InboundKey = toB.Auth.Key }); err != nil {
		t.Fatal(err)
	}
	a.post(t, batchOf(seq(1, 30)...))
	b.post(t, batchOf(seq(101, 130)...))
	// A generous timeout: a POST answered late would be sent twice, which this test counts.
	slowOK := func(c *federation.Config) { c.Connect = xapiclient.Connect(&http.Client{Timeout: 20 * time.Second}) }
	a.startManager(t, "ha", slowOK)
	b.startManager(t, "hb", slowOK)
	waitFor(t, "both sides hold 60 and are caught up", 10*time.Second, func() bool {
		return len(a.all(t)) == 60 && len(b.all(t)) == 60 && a.caughtUp(t, "b") && b.caughtUp(t, "a")
	})
	time.Sleep(500 * time.Millisecond) // a few more poll rounds: nothing may bounce back
	for _, c := range []struct {
		px   *proxy
		from []int
		name string
	}{{pb, seq(1, 30), "a→b"}, {pa, seq(101, 130), "b→a"}} {
		c.px.mu.Lock()
		if len(c.px.posted) != 30 {
			t.Errorf("%s: %d distinct statements POSTed, want 30", c.name, len(c.px.posted))
		}
		for _, id := range sids(c.from) {
			if c.px.posted[id] != 1 {
				t.Errorf("%s: %s POSTed %d times, want once", c.name, id, c.px.posted[id])
			}
		}
		c.px.mu.Unlock()
	}
	for _, r := range a.all(t) {
		if want := map[bool]string{true: "", false: "b"}[r.Seq <= 30]; r.Origin != want {
			t.Errorf("a: %s origin %q, want %q", r.ID, r.Origin, want)
		}
	}
	if st := b.state(t, "a", federation.Push); st.Delivered != 30 {
		t.Errorf("b delivered %d to a, want 30", st.Delivered)
	}
}
