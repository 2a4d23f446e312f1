package federation

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFilterMatches(t *testing.T) {
	st := func(s string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	course := st(`{"actor":{"mbox":"mailto:ann@Corp.example"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},
		"object":{"id":"https://lms.example/course/1","definition":{"type":"http://adlnet.gov/expapi/activities/course"}},
		"context":{"platform":"Slack"}}`)
	void := st(`{"actor":{"account":{"homePage":"https://hub.example","name":"7"}},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},
		"object":{"objectType":"StatementRef","id":"x"}}`)
	cases := []struct {
		name string
		f    Filter
		st   map[string]any
		want bool
	}{
		{"empty", Filter{}, course, true},
		{"verb", Filter{Verbs: []string{"http://adlnet.gov/expapi/verbs/completed"}}, course, true},
		{"other verb", Filter{Verbs: []string{"http://adlnet.gov/expapi/verbs/attended"}}, course, false},
		{"prefix", Filter{ActivityPrefixes: []string{"https://wiki.example/", "https://lms.example/"}}, course, true},
		{"other prefix", Filter{ActivityPrefixes: []string{"https://wiki.example/"}}, course, false},
		{"type", Filter{ActivityTypes: []string{"http://adlnet.gov/expapi/activities/course"}}, course, true},
		{"other type", Filter{ActivityTypes: []string{"http://adlnet.gov/expapi/activities/link"}}, course, false},
		{"domain any case", Filter{ActorDomains: []string{"corp.example"}}, course, true},
		{"other domain", Filter{ActorDomains: []string{"else.example"}}, course, false},
		{"homePage", Filter{ActorHomePages: []string{"https://hub.example"}}, void, true},
		{"domain or homePage", Filter{ActorDomains: []string{"corp.example"}, ActorHomePages: []string{"https://hub.example"}}, void, true},
		{"platform", Filter{Platforms: []string{"Slack"}}, course, true},
		{"no platform", Filter{Platforms: []string{"Slack"}}, void, false},
		{"activity filters pass StatementRefs", Filter{ActivityPrefixes: []string{"https://wiki.example/"}}, void, true},
		{"all kinds ANDed", Filter{Verbs: []string{"http://adlnet.gov/expapi/verbs/completed"}, Platforms: []string{"Browser extension"}}, course, false},
	}
	for _, c := range cases {
		if got := c.f.Matches(c.st); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Cap: time.Second}
	for n := range 50 {
		top := min(time.Second, 100*time.Millisecond<<min(n, 10))
		for range 20 {
			if d := b.Delay(n, 0); d < 0 || d > top {
				t.Fatalf("attempt %d: %s outside [0, %s]", n, d, top)
			}
		}
	}
	if d := b.Delay(0, 3*time.Second); d != 3*time.Second {
		t.Errorf("Retry-After 3s: waited %s", d)
	}
	if d := b.Delay(0, time.Hour); d != 10*time.Second {
		t.Errorf("Retry-After 1h: waited %s, want the 10×cap bound", d)
	}
}

func TestNormalize(t *testing.T) {
	ok := Partner{Name: "lrs-1", Endpoint: "https://lrs.example/xapi/", Auth: Auth{Key: "k", Secret: "s"}}
	p, err := ok.Normalize()
	if err != nil || p.Endpoint != "https://lrs.example/xapi" || p.Batch != DefaultBatch || p.Direction != Push || p.Privacy != PrivacyNone || p.Interval != DefaultInterval || p.Erasure != ErasureOff {
		t.Fatalf("Normalize = %+v, %v", p, err)
	}
	cases := []struct {
		edit func(*Partner)
		want string
	}{
		{func(p *Partner) { p.Name = "Bad Name" }, "name:"},
		{func(p *Partner) { p.Endpoint = "lrs.example" }, "endpoint:"},
		{func(p *Partner) { p.Direction = "sideways" }, "direction:"},
		{func(p *Partner) { p.Batch = 5000 }, "batch:"},
		{func(p *Partner) { p.Interval = time.Millisecond }, "interval:"},
		{func(p *Partner) { p.Privacy = "some" }, "privacy:"},
		{func(p *Partner) { p.Erasure = "forget" }, "erasure:"},
		{func(p *Partner) { p.Auth = Auth{} }, "credentials:"},
		{func(p *Partner) { p.Auth.TokenURL = "https://idp.example/token" }, "OAuth2 needs"},
		{func(p *Partner) {
			p.Auth = Auth{TokenURL: "https://idp.example/token", ClientID: "a", ClientSecret: "b", Key: "k"}
		}, "not both"},
	}
	for _, c := range cases {
		p := ok
		c.edit(&p)
		if _, err := p.Normalize(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error with %q, got %v", c.want, err)
		}
	}
}

func TestSealer(t *testing.T) {
	if _, err := NewSealer("short"); err == nil {
		t.Fatal("a short key was accepted")
	}
	s, _ := NewSealer("sixteen chars or more")
	other, _ := NewSealer("another key, also long")
	a := Auth{Key: "k", Secret: "the secret"}
	sealed, err := s.Seal("p", a)
	if err != nil || strings.Contains(string(sealed), "the secret") {
		t.Fatalf("Seal: %v, %q", err, sealed)
	}
	if got, err := s.Open("p", sealed); err != nil || got != a {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	if _, err := s.Open("q", sealed); err == nil {
		t.Error("credentials sealed for p opened as q's")
	}
	if _, err := other.Open("p", sealed); err == nil || !strings.Contains(err.Error(), "partner key") {
		t.Errorf("another key: %v, want an error naming the partner key", err)
	}
}
