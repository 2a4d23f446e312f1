package capture

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseStatementParams(t *testing.T) {
	const id = "6690E6C9-3EF0-4ED3-8B37-7F3964730BEE"
	agent := `{"objectType":"Agent","name":"Ada","mbox":"mailto:ada@Example.ORG"}`
	tests := []struct {
		name    string
		query   url.Values
		want    StatementParams
		wantErr string // substring; "" means success
	}{
		{"none", url.Values{}, StatementParams{Format: FormatExact}, ""},
		{"statementId lower-cased", url.Values{"statementId": {id}},
			StatementParams{StatementID: strings.ToLower(id), Format: FormatExact}, ""},
		{"voidedStatementId with format and attachments",
			url.Values{"voidedStatementId": {id}, "format": {"ids"}, "attachments": {"true"}},
			StatementParams{VoidedStatementID: strings.ToLower(id), Format: FormatIdentifiers, Attachments: true}, ""},
		{"all filters", url.Values{
			"agent": {agent}, "verb": {"http://adlnet.gov/expapi/verbs/attended"},
			"activity": {"http://www.example.com/meetings/occurances/34534"}, "registration": {id},
			"related_activities": {"true"}, "related_agents": {"false"}, "since": {"2012-06-01T19:09:13.245Z"},
			"until": {"2012-06-01T21:09:13.245+02:00"}, "limit": {"25"}, "format": {"canonical"},
			"attachments": {"false"}, "ascending": {"true"}},
			StatementParams{AgentKey: "mbox:mailto:ada@example.org", VerbID: "http://adlnet.gov/expapi/verbs/attended",
				ActivityID: "http://www.example.com/meetings/occurances/34534", Registration: strings.ToLower(id),
				RelatedActivities: true, Since: time.Date(2012, 6, 1, 19, 9, 13, 245000000, time.UTC),
				Until: time.Date(2012, 6, 1, 19, 9, 13, 245000000, time.UTC), Limit: 25, Format: FormatCanonical,
				Ascending: true}, ""},
		{"group agent", url.Values{"agent": {`{"objectType":"Group","account":{"homePage":"https://acme.slack.com","name":"T1"}}`}},
			StatementParams{AgentKey: "account:https://acme.slack.com|T1", Format: FormatExact}, ""},
		{"limit zero", url.Values{"limit": {"0"}}, StatementParams{Format: FormatExact}, ""},
		{"unknown parameter", url.Values{"foo": {"bar"}}, StatementParams{}, "foo: is not a parameter"},
		{"wrong case", url.Values{"LIMIT": {"1"}}, StatementParams{}, "LIMIT: is not a parameter"},
		{"wrong case statementId", url.Values{"StatementId": {id}}, StatementParams{}, "StatementId: is not a parameter"},
		{"repeated", url.Values{"verb": {"http://a.example/1", "http://a.example/2"}}, StatementParams{}, "verb: must be given once"},
		{"bad statementId", url.Values{"statementId": {"wrong"}}, StatementParams{}, "statementId: must be a UUID"},
		{"bad voidedStatementId", url.Values{"voidedStatementId": {"wrong"}}, StatementParams{}, "voidedStatementId: must be a UUID"},
		{"agent not JSON", url.Values{"agent": {"wrong"}}, StatementParams{}, "agent:"},
		{"agent without IFI", url.Values{"agent": {`{"objectType":"Agent","name":"x"}`}}, StatementParams{}, "agent:"},
		{"agent anonymous group", url.Values{"agent": {`{"objectType":"Group","member":[{"mbox":"mailto:a@example.org"}]}`}}, StatementParams{}, "agent:"},
		{"verb not IRI", url.Values{"verb": {"not.a.valid.iri.com/verb"}}, StatementParams{}, "verb: must be an absolute IRI"},
		{"activity not IRI", url.Values{"activity": {"not.a.valid.iri.com/activity"}}, StatementParams{}, "activity: must be an absolute IRI"},
		{"bad registration", url.Values{"registration": {"wrong"}}, StatementParams{}, "registration: must be a UUID"},
		{"bad boolean", url.Values{"ascending": {"yes"}}, StatementParams{}, "ascending: must be true or false"},
		{"boolean case", url.Values{"related_agents": {"True"}}, StatementParams{}, "related_agents: must be true or false"},
		{"bad since", url.Values{"since": {"yesterday"}}, StatementParams{}, "since: must be an ISO 8601 timestamp"},
		{"bad until", url.Values{"until": {"2012-06-01"}}, StatementParams{}, "until: must be an ISO 8601 timestamp"},
		{"negative limit", url.Values{"limit": {"-1"}}, StatementParams{}, "limit: must be a non-negative integer"},
		{"fractional limit", url.Values{"limit": {"1.5"}}, StatementParams{}, "limit: must be a non-negative integer"},
		{"signed limit", url.Values{"limit": {"+5"}}, StatementParams{}, "limit: must be a non-negative integer"},
		{"huge limit", url.Values{"limit": {"99999999999999999999999"}}, StatementParams{}, "limit: must be a non-negative integer"},
		{"bad format", url.Values{"format": {"full"}}, StatementParams{}, "format: must be ids, exact or canonical"},
		{"both ids", url.Values{"statementId": {id}, "voidedStatementId": {id}}, StatementParams{}, "must not be used with"},
		{"statementId with agent", url.Values{"statementId": {id}, "agent": {agent}}, StatementParams{}, "agent: must not be used with statementId"},
		{"statementId with limit", url.Values{"statementId": {id}, "limit": {"1"}}, StatementParams{}, "limit: must not be used with statementId"},
		{"statementId with ascending", url.Values{"statementId": {id}, "ascending": {"false"}}, StatementParams{}, "ascending: must not be used with statementId"},
		{"voidedStatementId with since", url.Values{"voidedStatementId": {id}, "since": {"2012-06-01T19:09:13.245Z"}}, StatementParams{}, "since: must not be used with voidedStatementId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatementParams(tt.query)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				if ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), tt.wantErr) {
					t.Fatalf("error %v, want invalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseAgentJSON(t *testing.T) {
	tests := []struct {
		raw     string
		key     string
		wantErr string
	}{
		{`{"mbox":"mailto:Ada@EXAMPLE.org"}`, "mbox:mailto:Ada@example.org", ""},
		{`{"objectType":"Agent","mbox_sha1sum":"EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"}`, "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9", ""},
		{`{"openid":"https://openid.example.org/ada"}`, "openid:https://openid.example.org/ada", ""},
		{`{"name":"Rick James","objectType":"Agent","account":{"homePage":"http://www.example.com/agentId/1","name":"Rick James"}}`,
			"account:http://www.example.com/agentId/1|Rick James", ""},
		{`{"objectType":"Group","mbox":"mailto:team@example.org","member":[{"mbox":"mailto:a@example.org"}]}`, "mbox:mailto:team@example.org", ""},
		{`not JSON`, "", "agent: must be an Agent as JSON"},
		{`true`, "", "agent: must be an Agent as a JSON object"},
		{`{"name":"Rick James","objectType":"Agent"}`, "", "agent: an Agent must have one of"},
		{`{"mbox":"mailto:a@example.org","openid":"https://openid.example.org/a"}`, "", "exactly one"},
		{`{"mbox":"a@example.org"}`, "", "agent.mbox: must be a mailto IRI"},
		{`{"mbox":"mailto:a@example.org","mbox":"mailto:b@example.org"}`, "", "duplicate key"},
		{`{"objectType":"Person","mbox":"mailto:a@example.org"}`, "", "agent.objectType"},
		{`{"objectType":"Group","member":[{"mbox":"mailto:a@example.org"}]}`, "", "agent: must have exactly one"},
		{`{"account":{"homePage":"www.example.com","name":"x"}}`, "", "agent.account.homePage"},
	}
	for _, tt := range tests {
		agent, key, err := ParseAgentJSON(tt.raw)
		if tt.wantErr != "" {
			if err == nil || ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), tt.wantErr) {
				t.Errorf("ParseAgentJSON(%s) error %v, want invalid containing %q", tt.raw, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAgentJSON(%s): %v", tt.raw, err)
			continue
		}
		if key != tt.key {
			t.Errorf("ParseAgentJSON(%s) key %q, want %q", tt.raw, key, tt.key)
		}
		if again, err := AgentKeyOf(agent); err != nil || again != key {
			t.Errorf("AgentKeyOf(returned agent) = %q, %v", again, err)
		}
	}
}

func TestAgentKeyOf(t *testing.T) {
	for _, bad := range []map[string]any{
		{},
		{"name": "x"},
		{"mbox": 5},
		{"mbox": ""},
		{"account": "x"},
		{"account": map[string]any{"homePage": "https://x.example"}},
		{"mbox": "mailto:a@example.org", "openid": "https://x.example"},
	} {
		if _, err := AgentKeyOf(bad); err == nil || ErrorCode(err) != CodeInvalid {
			t.Errorf("AgentKeyOf(%v) error %v, want invalid", bad, err)
		}
	}
	a, _ := AgentKeyOf(map[string]any{"mbox": "mailto:a@example.org"})
	b, _ := AgentKeyOf(map[string]any{"objectType": "Agent", "name": "A", "mbox": "mailto:a@EXAMPLE.ORG"})
	if a != b || a == "" {
		t.Errorf("same agent, different keys: %q %q", a, b)
	}
	c, _ := AgentKeyOf(map[string]any{"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"})
	if c == a {
		t.Error("different IFIs share a key")
	}
}
