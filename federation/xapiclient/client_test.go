package xapiclient

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/federation"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"Thu, 01 Jan 2026 00:00:30 GMT", 30 * time.Second},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0}, // in the past
		{"soon", 0},
	}
	for _, c := range cases {
		if got := retryAfter(c.in, now); got != c.want {
			t.Errorf("retryAfter(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// A partner behind OAuth2 client credentials: the client fetches a token once, sends
// it as a Bearer token with the version header, and reads errors and Retry-After.
func TestOAuth2AndErrors(t *testing.T) {
	var tokens, posts atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if r.FormValue("grant_type") != "client_credentials" || id != "cid" || secret != "csecret" {
			http.Error(w, `{"error":"invalid_client"}`, 401)
			return
		}
		tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
	})
	mux.HandleFunc("/xapi/about", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("/about got credentials")
		}
		w.Write([]byte(`{"version":["1.0.3"]}`))
	})
	mux.HandleFunc("/xapi/statements", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Experience-API-Version") != "1.0.3" {
			http.Error(w, "no", 401)
			return
		}
		if posts.Add(1) == 2 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(429)
			json.NewEncoder(w).Encode(map[string]string{"message": "slow down"})
			return
		}
		w.Write([]byte(`["x"]`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := New(federation.Partner{Endpoint: srv.URL + "/xapi/", Auth: federation.Auth{TokenURL: srv.URL + "/token", ClientID: "cid", ClientSecret: "csecret"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.About(t.Context()); err != nil || len(v) != 1 || v[0] != "1.0.3" {
		t.Fatalf("About: %v %v", v, err)
	}
	if _, err := c.PostStatements(t.Context(), [][]byte{[]byte(`{}`)}, nil); err != nil {
		t.Fatalf("first POST: %v", err)
	}
	_, err = c.PostStatements(t.Context(), [][]byte{[]byte(`{}`)}, nil)
	var re *federation.RemoteError
	if !errors.As(err, &re) || re.Status != 429 || re.RetryAfter != 3*time.Second || !strings.Contains(re.Message, "slow down") {
		t.Fatalf("second POST: %v, want 429 with Retry-After 3s and the message", err)
	}
	if tokens.Load() != 1 {
		t.Errorf("%d tokens fetched, want 1 (cached)", tokens.Load())
	}
}
