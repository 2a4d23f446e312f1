package capture_test

import (
	"context"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

// TestAuthority checks who the stored authority names (xAPI 1.0.3 Data 2.4.9): the
// credential's own account, unless the credential is trusted and the statement
// carries one (federation relays keep the original authority).
func TestAuthority(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, secret, err := e.creds.Create(ctx, "partner relay", []string{capture.ScopeAll}, true)
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := e.creds.Authenticate(ctx, c.Key, secret)
	if err != nil {
		t.Fatal(err)
	}
	submitted := map[string]any{"objectType": "Agent", "mbox": "mailto:lrs@partner.example"}
	tests := []struct {
		name      string
		principal capture.Principal
		authority map[string]any // in the statement; nil: none
		wantMbox  string         // "" → the credential's own account
	}{
		{"untrusted, authority submitted", e.all, submitted, ""},
		{"untrusted, none submitted", e.all, nil, ""},
		{"trusted, authority submitted", trusted, submitted, "mailto:lrs@partner.example"},
		{"trusted, none submitted", trusted, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := fixture(t, "other.json")
			if tt.authority != nil {
				st["authority"] = tt.authority
			}
			ids, err := e.write(t, tt.principal, st)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.stmts.Read(ctx, capture.ReadRequest{Params: capture.StatementParams{StatementID: ids[0]}, Principal: e.all})
			if err != nil {
				t.Fatal(err)
			}
			auth, _ := decodeOne(t, res.Statement)["authority"].(map[string]any)
			if tt.wantMbox != "" {
				if auth["mbox"] != tt.wantMbox {
					t.Errorf("authority = %v, want the submitted one", auth)
				}
				return
			}
			acct, _ := auth["account"].(map[string]any)
			if acct["name"] != tt.principal.Credential.Key || acct["homePage"] != "https://lrs.example.com" {
				t.Errorf("authority = %v, want the account of credential %s", auth, tt.principal.Credential.Key)
			}
		})
	}
}
