package capture

import (
	"encoding/json"
	"testing"
)

// formatStatement is a SubStatement statement like the one the format tests of the
// Statement resource post: an agent actor, a group inside, multilingual maps.
const formatStatement = `{
  "id": "7a1f3c2e-9b4d-4e8f-a1b2-c3d4e5f60718",
  "actor": {"objectType":"Agent","name":"Ada","mbox":"mailto:ada@example.org"},
  "verb": {"id":"http://adlnet.gov/expapi/verbs/attended","display":{"en-GB":"attended","en-US":"attended","de":"besucht"}},
  "object": {"objectType":"SubStatement",
    "actor": {"objectType":"Group","name":"Guild","mbox":"mailto:guild@example.org","member":[{"mbox":"mailto:b@example.org"}]},
    "verb": {"id":"http://adlnet.gov/expapi/verbs/attended","display":{"en-GB":"attended","ja-JP":"出席した"}},
    "object": {"objectType":"Activity","id":"http://example.org/unicode",
      "definition":{"name":{"en":"Other","en-GB":"attended","ko-KR":"참석"},"description":{"en-US":"Mark Franklin","en-GB":"Mark Franklin, TN"},
        "type":"http://adlnet.gov/expapi/activities/cmi.interaction","interactionType":"choice",
        "correctResponsesPattern":["a"],"choices":[{"id":"a","description":{"en-US":"A","fr":"Un"}}]}}},
  "context": {"instructor":{"objectType":"Group","member":[{"name":"T","mbox":"mailto:t@example.org"}]},
    "contextActivities":{"category":[{"objectType":"Activity","id":"http://example.org/cat","definition":{"name":{"en-US":"Cat"}}}]}},
  "authority": {"objectType":"Agent","name":"LRS","account":{"homePage":"https://lrs.example.org","name":"key"}},
  "attachments": [{"usageType":"http://example.org/use","display":{"en-US":"Shot","es":"Foto"},"contentType":"image/png","length":1,
    "sha2":"c1a7f0d2e6a4b3958f0e4b5d6c7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a","fileUrl":"http://example.org/f"}]
}`

func tree(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonEq(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	ww, _ := json.Marshal(w)
	if string(g) != string(ww) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, ww)
	}
}

func TestStatementIDsOnly(t *testing.T) {
	s := mustStatement(t, formatStatement)
	before := canonicalJSON(s)
	ids := tree(t, StatementIDsOnly(s))
	if canonicalJSON(s) != before {
		t.Fatal("StatementIDsOnly modified its argument")
	}
	jsonEq(t, "actor", ids["actor"], `{"objectType":"Agent","mbox":"mailto:ada@example.org"}`)
	jsonEq(t, "verb", ids["verb"], `{"id":"http://adlnet.gov/expapi/verbs/attended"}`)
	obj := ids["object"].(map[string]any)
	jsonEq(t, "substatement actor", obj["actor"], `{"objectType":"Group","mbox":"mailto:guild@example.org"}`)
	jsonEq(t, "substatement verb", obj["verb"], `{"id":"http://adlnet.gov/expapi/verbs/attended"}`)
	jsonEq(t, "substatement activity", obj["object"], `{"id":"http://example.org/unicode"}`)
	if obj["objectType"] != "SubStatement" {
		t.Errorf("objectType %v", obj["objectType"])
	}
	ctx := ids["context"].(map[string]any)
	jsonEq(t, "anonymous group", ctx["instructor"], `{"objectType":"Group","member":[{"mbox":"mailto:t@example.org"}]}`)
	jsonEq(t, "context activities", ctx["contextActivities"], `{"category":[{"id":"http://example.org/cat"}]}`)
	jsonEq(t, "authority", ids["authority"], `{"objectType":"Agent","account":{"homePage":"https://lrs.example.org","name":"key"}}`)
	if ids["id"] != "7a1f3c2e-9b4d-4e8f-a1b2-c3d4e5f60718" || ids["attachments"] == nil {
		t.Error("non-identifier properties were dropped")
	}
}

func TestStatementCanonical(t *testing.T) {
	s := mustStatement(t, formatStatement)
	before := canonicalJSON(s)
	defs := map[string]ActivityRecord{
		"http://example.org/cat": {ID: "http://example.org/cat",
			Definition: json.RawMessage(`{"name":{"en-US":"Category","en-GB":"Category (GB)"},"type":"http://example.org/t"}`)},
		"http://example.org/empty": {ID: "http://example.org/empty"},
	}
	c := tree(t, StatementCanonical(s, []string{"en-GB", "en"}, defs))
	if canonicalJSON(s) != before {
		t.Fatal("StatementCanonical modified its argument")
	}
	jsonEq(t, "actor untouched", c["actor"], `{"objectType":"Agent","name":"Ada","mbox":"mailto:ada@example.org"}`)
	jsonEq(t, "verb", c["verb"], `{"id":"http://adlnet.gov/expapi/verbs/attended","display":{"en-GB":"attended"}}`)
	obj := c["object"].(map[string]any)
	jsonEq(t, "substatement verb", obj["verb"], `{"id":"http://adlnet.gov/expapi/verbs/attended","display":{"en-GB":"attended"}}`)
	jsonEq(t, "substatement activity", obj["object"], `{"objectType":"Activity","id":"http://example.org/unicode",
	  "definition":{"name":{"en-GB":"attended"},"description":{"en-GB":"Mark Franklin, TN"},
	    "type":"http://adlnet.gov/expapi/activities/cmi.interaction","interactionType":"choice",
	    "correctResponsesPattern":["a"],"choices":[{"id":"a","description":{"en-US":"A"}}]}}`)
	cat := c["context"].(map[string]any)["contextActivities"].(map[string]any)["category"].([]any)[0]
	jsonEq(t, "canonical definition", cat, `{"objectType":"Activity","id":"http://example.org/cat",
	  "definition":{"name":{"en-GB":"Category (GB)"},"type":"http://example.org/t"}}`)
	att := c["attachments"].([]any)[0].(map[string]any)
	jsonEq(t, "attachment display", att["display"], `{"en-US":"Shot"}`)
}

func TestBestLanguage(t *testing.T) {
	lm := map[string]any{"en-US": 1, "en-GB": 2, "fr": 3, "zh-Hant": 4}
	tests := []struct {
		langs []string
		want  string
	}{
		{[]string{"en-GB"}, "en-GB"},
		{[]string{"EN-gb"}, "en-GB"},
		{[]string{"de", "fr"}, "fr"},
		{[]string{"fr-CA"}, "fr"},
		{[]string{"zh"}, "zh-Hant"},
		{[]string{"en"}, "en-GB"},
		{[]string{"*"}, "en-GB"},
		{[]string{"de"}, "en-GB"},
		{nil, "en-GB"},
	}
	for _, tt := range tests {
		if got := bestLanguage(lm, tt.langs); got != tt.want {
			t.Errorf("bestLanguage(%v) = %q, want %q", tt.langs, got, tt.want)
		}
	}
}

func TestActivityDefinitions(t *testing.T) {
	s := mustStatement(t, `{
	  "actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.org/v"},
	  "object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.org/v"},
	    "object":{"id":"http://example.org/a","definition":{"name":{"en":"A"}}},
	    "context":{"contextActivities":{"other":{"id":"http://example.org/b","definition":{"type":"http://example.org/t"}}}}},
	  "context":{"contextActivities":{"parent":[{"id":"http://example.org/a","definition":{"name":{"fr":"Un"},"type":"http://example.org/t2"}},
	    {"id":"http://example.org/nodef"}]}}
	}`)
	got := ActivityDefinitions(s)
	if len(got) != 2 {
		t.Fatalf("got %d records: %+v", len(got), got)
	}
	if got[0].ID != "http://example.org/a" || got[1].ID != "http://example.org/b" {
		t.Fatalf("ids %q %q", got[0].ID, got[1].ID)
	}
	jsonEq(t, "merged a", json.RawMessage(got[0].Definition), `{"name":{"en":"A","fr":"Un"},"type":"http://example.org/t2"}`)
	jsonEq(t, "b", json.RawMessage(got[1].Definition), `{"type":"http://example.org/t"}`)
}

func TestMergeActivityDefinition(t *testing.T) {
	tests := []struct {
		name, old, newer, want string
	}{
		{"no old", ``, `{"name":{"en":"A"}}`, `{"name":{"en":"A"}}`},
		{"bad newer", `{"name":{"en":"A"}}`, `nope`, `{"name":{"en":"A"}}`},
		{"maps merged, newer wins", `{"name":{"en":"A","fr":"Un"},"description":{"en":"d"}}`, `{"name":{"en":"A2","de":"Ein"}}`,
			`{"name":{"en":"A2","fr":"Un","de":"Ein"},"description":{"en":"d"}}`},
		{"others replaced", `{"type":"http://example.org/t","extensions":{"http://example.org/x":1,"http://example.org/y":2}}`,
			`{"type":"http://example.org/t2","extensions":{"http://example.org/x":3}}`,
			`{"type":"http://example.org/t2","extensions":{"http://example.org/x":3}}`},
		{"components keep older languages", `{"interactionType":"choice","choices":[{"id":"a","description":{"en":"A","fr":"Un"}}]}`,
			`{"interactionType":"choice","choices":[{"id":"a","description":{"en":"A!"}},{"id":"b"}]}`,
			`{"interactionType":"choice","choices":[{"id":"a","description":{"en":"A!","fr":"Un"}},{"id":"b"}]}`},
		{"numbers kept exactly", `{}`, `{"extensions":{"http://example.org/n":0.12123434}}`, `{"extensions":{"http://example.org/n":0.12123434}}`},
	}
	for _, tt := range tests {
		got := MergeActivityDefinition(json.RawMessage(tt.old), json.RawMessage(tt.newer))
		jsonEq(t, tt.name, json.RawMessage(got), tt.want)
	}
}

func TestDisplay(t *testing.T) {
	for _, tt := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"de": "Lesen", "en-US": "read", "en": "read (en)"}, "read"},
		{map[string]string{"de": "Lesen", "en": "read"}, "read"},
		{map[string]string{"fr": "lire", "en-GB": "read", "en-AU": "read, mate"}, "read, mate"},
		{map[string]string{"fr": "lire", "de": "Lesen"}, "Lesen"},
		{nil, ""},
	} {
		if got := Display(tt.m); got != tt.want {
			t.Errorf("Display(%v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}
