package capture

import (
	"slices"
	"strings"
	"testing"
)

func mustStatement(t *testing.T, body string) Statement {
	t.Helper()
	s := decodeOne(t, []byte(body))
	if err := ValidateStatement(s); err != nil {
		t.Fatalf("ValidateStatement: %v", err)
	}
	return s
}

func TestMatchKeys(t *testing.T) {
	s := mustStatement(t, `{
	  "actor": {"objectType":"Group","mbox":"mailto:team@example.org","member":[{"mbox":"mailto:a@example.org"}]},
	  "verb": {"id":"http://adlnet.gov/expapi/verbs/planned"},
	  "object": {"objectType":"SubStatement",
	    "actor": {"objectType":"Group","member":[{"mbox":"mailto:b@example.org"},{"openid":"https://openid.example.org/c"}]},
	    "verb": {"id":"http://adlnet.gov/expapi/verbs/attended"},
	    "object": {"id":"http://example.org/conf"},
	    "context": {"registration":"0F8A2B6C-1D3E-4F5A-8B7C-9D0E1F2A3B4C",
	      "instructor": {"mbox":"mailto:sub-instructor@example.org"},
	      "contextActivities": {"parent": {"id":"http://example.org/sub-parent"}}}},
	  "context": {"registration":"ec531277-b57b-4c15-8d91-d292c5b2b8f7",
	    "instructor": {"account":{"homePage":"https://acme.slack.com","name":"U1"}},
	    "team": {"objectType":"Group","openid":"https://openid.example.org/team","member":[{"mbox":"mailto:d@example.org"}]},
	    "contextActivities": {"grouping":[{"id":"http://example.org/g1"},{"id":"http://example.org/g2"}],
	      "category":{"id":"http://example.org/cat"}}},
	  "authority": {"objectType":"Group","member":[
	    {"account":{"homePage":"https://cairn.example.org/oauth","name":"consumer"}},{"mbox":"mailto:user@example.org"}]}
	}`)
	want := []string{
		KeyAgent("mbox:mailto:team@example.org"),
		KeyRelatedAgent("mbox:mailto:team@example.org"),
		KeyRelatedAgent("mbox:mailto:a@example.org"),
		KeyVerb("http://adlnet.gov/expapi/verbs/planned"),
		KeyRelatedAgent("mbox:mailto:b@example.org"),
		KeyRelatedAgent("openid:https://openid.example.org/c"),
		KeyRelatedActivity("http://example.org/conf"),
		KeyRegistration("0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c"),
		KeyRelatedAgent("mbox:mailto:sub-instructor@example.org"),
		KeyRelatedActivity("http://example.org/sub-parent"),
		KeyRegistration("ec531277-b57b-4c15-8d91-d292c5b2b8f7"),
		KeyRelatedAgent("account:https://acme.slack.com|U1"),
		KeyRelatedAgent("openid:https://openid.example.org/team"),
		KeyRelatedAgent("mbox:mailto:d@example.org"),
		KeyRelatedActivity("http://example.org/g1"),
		KeyRelatedActivity("http://example.org/g2"),
		KeyRelatedActivity("http://example.org/cat"),
		KeyAuthority("account:https://cairn.example.org/oauth|consumer"),
		KeyAuthority("mbox:mailto:user@example.org"),
		KeyRelatedAgent("account:https://cairn.example.org/oauth|consumer"),
		KeyRelatedAgent("mbox:mailto:user@example.org"),
	}
	slices.Sort(want)
	got := MatchKeys(s)
	if !slices.Equal(got, want) {
		t.Errorf("MatchKeys:\n got  %q\n want %q", got, want)
	}
	// The SubStatement's verb and activity are not the statement's own.
	for _, k := range []string{KeyVerb("http://adlnet.gov/expapi/verbs/attended"), KeyActivity("http://example.org/conf"),
		KeyAgent("mbox:mailto:b@example.org")} {
		if slices.Contains(got, k) {
			t.Errorf("MatchKeys has %q", k)
		}
	}
}

func TestMatchKeysActivityAndAgentObjects(t *testing.T) {
	act := mustStatement(t, `{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.org/v"},
	  "object":{"id":"http://example.org/act"},"authority":{"mbox":"mailto:lrs@example.org"}}`)
	want := []string{KeyAgent("mbox:mailto:a@example.org"), KeyRelatedAgent("mbox:mailto:a@example.org"),
		KeyVerb("http://example.org/v"), KeyActivity("http://example.org/act"), KeyRelatedActivity("http://example.org/act"),
		KeyAuthority("mbox:mailto:lrs@example.org"), KeyRelatedAgent("mbox:mailto:lrs@example.org")}
	slices.Sort(want)
	if got := MatchKeys(act); !slices.Equal(got, want) {
		t.Errorf("activity object:\n got  %q\n want %q", got, want)
	}
	agentObj := mustStatement(t, `{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.org/v"},
	  "object":{"objectType":"Agent","mbox":"mailto:b@example.org"}}`)
	got := MatchKeys(agentObj)
	for _, k := range []string{KeyAgent("mbox:mailto:b@example.org"), KeyRelatedAgent("mbox:mailto:b@example.org")} {
		if !slices.Contains(got, k) {
			t.Errorf("agent object: missing %q in %q", k, got)
		}
	}
	ref := mustStatement(t, `{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.org/v"},
	  "object":{"objectType":"StatementRef","id":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"}}`)
	for _, k := range MatchKeys(ref) {
		if strings.HasPrefix(k, KeyActivity("")) || strings.HasPrefix(k, KeyRelatedActivity("")) {
			t.Errorf("StatementRef object gave activity key %q", k)
		}
	}
}

func TestRefAndVoidTarget(t *testing.T) {
	tests := []struct {
		body       string
		ref, voids string
	}{
		{`{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},
		   "object":{"objectType":"StatementRef","id":"5E6F7A8B-9C0D-4E1F-A2B3-C4D5E6F7A8B9"}}`,
			"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"},
		{`{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/commented"},
		   "object":{"objectType":"StatementRef","id":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"}}`,
			"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", ""},
		{`{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/commented"},
		   "object":{"id":"http://example.org/a"}}`, "", ""},
	}
	for _, tt := range tests {
		s := decodeOne(t, []byte(tt.body)) // unvalidated: the targets lower-case on their own
		if got := RefTarget(s); got != tt.ref {
			t.Errorf("RefTarget = %q, want %q", got, tt.ref)
		}
		if got := VoidTarget(s); got != tt.voids {
			t.Errorf("VoidTarget = %q, want %q", got, tt.voids)
		}
	}
}

func TestStatementHash(t *testing.T) {
	base := `{"id":"7a1f3c2e-9b4d-4e8f-a1b2-c3d4e5f60718",
	  "actor":{"objectType":"Group","name":"G","member":[{"mbox":"mailto:a@example.org"},{"mbox":"mailto:b@example.org"}]},
	  "verb":{"id":"http://example.org/v","display":{"en-US":"did"}},
	  "object":{"id":"http://example.org/act","definition":{"name":{"en-US":"Act"}}},
	  "result":{"score":{"raw":1,"max":10}},
	  "context":{"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c","contextActivities":{"parent":[{"id":"http://example.org/p"}]}},
	  "timestamp":"2024-05-01T10:20:30.000Z"}`
	same := map[string]string{
		"other id, stored, authority, version": `{"id":"00000000-0000-0000-0000-000000000001","stored":"2025-01-01T00:00:00Z",
		  "authority":{"mbox":"mailto:lrs@example.org"},"version":"1.0.3",
		  "actor":{"objectType":"Group","name":"G","member":[{"mbox":"mailto:a@example.org"},{"mbox":"mailto:b@example.org"}]},
		  "verb":{"id":"http://example.org/v","display":{"en-US":"did"}},
		  "object":{"id":"http://example.org/act","definition":{"name":{"en-US":"Act"}}},
		  "result":{"score":{"raw":1,"max":10}},
		  "context":{"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c","contextActivities":{"parent":[{"id":"http://example.org/p"}]}},
		  "timestamp":"2024-05-01T10:20:30.000Z"}`,
		"members reordered, keys reordered, numbers rewritten, zone changed, UUID case, single context activity, display and definition changed": `{
		  "timestamp":"2024-05-01T12:20:30+02:00",
		  "context":{"contextActivities":{"parent":{"id":"http://example.org/p"}},"registration":"0F8A2B6C-1D3E-4F5A-8B7C-9D0E1F2A3B4C"},
		  "result":{"score":{"max":1e1,"raw":1.0}},
		  "object":{"id":"http://example.org/act","definition":{"name":{"fr":"Acte"}}},
		  "verb":{"display":{"en-GB":"done"},"id":"http://example.org/v"},
		  "actor":{"member":[{"mbox":"mailto:b@EXAMPLE.org"},{"mbox":"mailto:a@example.org"}],"name":"G","objectType":"Group"}}`,
	}
	different := map[string]string{
		"verb id": `{"actor":{"objectType":"Group","name":"G","member":[{"mbox":"mailto:a@example.org"},{"mbox":"mailto:b@example.org"}]},
		  "verb":{"id":"http://example.org/other"},"object":{"id":"http://example.org/act"},"result":{"score":{"raw":1,"max":10}},
		  "context":{"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c","contextActivities":{"parent":[{"id":"http://example.org/p"}]}},
		  "timestamp":"2024-05-01T10:20:30.000Z"}`,
		"timestamp instant": `{"actor":{"objectType":"Group","name":"G","member":[{"mbox":"mailto:a@example.org"},{"mbox":"mailto:b@example.org"}]},
		  "verb":{"id":"http://example.org/v"},"object":{"id":"http://example.org/act"},"result":{"score":{"raw":1,"max":10}},
		  "context":{"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c","contextActivities":{"parent":[{"id":"http://example.org/p"}]}},
		  "timestamp":"2024-05-01T10:20:30.001Z"}`,
		"member removed": `{"actor":{"objectType":"Group","name":"G","member":[{"mbox":"mailto:a@example.org"}]},
		  "verb":{"id":"http://example.org/v"},"object":{"id":"http://example.org/act"},"result":{"score":{"raw":1,"max":10}},
		  "context":{"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c","contextActivities":{"parent":[{"id":"http://example.org/p"}]}},
		  "timestamp":"2024-05-01T10:20:30.000Z"}`,
		"no timestamp": `{"actor":{"objectType":"Group","name":"G","member":[{"mbox":"mailto:a@example.org"},{"mbox":"mailto:b@example.org"}]},
		  "verb":{"id":"http://example.org/v"},"object":{"id":"http://example.org/act"},"result":{"score":{"raw":1,"max":10}},
		  "context":{"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c","contextActivities":{"parent":[{"id":"http://example.org/p"}]}}}`,
		"duration form": `{"actor":{"objectType":"Group","name":"G","member":[{"mbox":"mailto:a@example.org"},{"mbox":"mailto:b@example.org"}]},
		  "verb":{"id":"http://example.org/v"},"object":{"id":"http://example.org/act"},"result":{"score":{"raw":1,"max":10},"duration":"PT60S"},
		  "context":{"registration":"0f8a2b6c-1d3e-4f5a-8b7c-9d0e1f2a3b4c","contextActivities":{"parent":[{"id":"http://example.org/p"}]}},
		  "timestamp":"2024-05-01T10:20:30.000Z"}`,
	}
	h := StatementHash(decodeOne(t, []byte(base)))
	if len(h) != 64 {
		t.Fatalf("hash %q is not hex SHA-256", h)
	}
	for name, body := range same {
		if got := StatementHash(decodeOne(t, []byte(body))); got != h {
			t.Errorf("%s: hash differs", name)
		}
	}
	for name, body := range different {
		if got := StatementHash(decodeOne(t, []byte(body))); got == h {
			t.Errorf("%s: hash equal", name)
		}
	}
	// Hashing does not change the statement.
	s := decodeOne(t, []byte(base))
	before := canonicalJSON(s)
	StatementHash(s)
	if canonicalJSON(s) != before {
		t.Error("StatementHash modified its argument")
	}
}
