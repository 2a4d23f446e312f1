package slack

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// TestVerifierKnownVector checks a request signed by Slack's documented scheme, as
// published with slack-go's own tests.
func TestVerifierKnownVector(t *testing.T) {
	body := `{"token":"aF5ynEYQH0dFN9imlgcADxDB","team_id":"XXXXXXXXX","api_app_id":"YYYYYYYYY","event":{"type":"app_mention","user":"AAAAAAAAA","text":"<@EEEEEEEEE> hello world","client_msg_id":"477cc591-ch73-a14z-4db8-g0cd76321bec","ts":"1531431954.000073","channel":"TTTTTTTTT","event_ts":"1531431954.000073"},"type":"event_callback","event_id":"TvBP7LRED7","event_time":1531431954,"authed_users":["EEEEEEEEE"]}`
	v := NewVerifier("e6b19c573432dcc6b075501d51b51bb8", func() time.Time { return time.Unix(1531431954+30, 0) })
	if err := v.Verify("1531431954", "v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c", []byte(body)); err != nil {
		t.Fatalf("Verify of Slack's example: %v", err)
	}
}

func TestVerifier(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	body := []byte("token=x&team_id=T1&command=%2Flearned&text=read+https%3A%2F%2Fgo.dev")
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	sign := func(secret, stamp string, b []byte) string { return SignatureHeader(secret, stamp, b) }
	cases := []struct {
		name      string
		timestamp string
		signature string
		body      []byte
		ok        bool
	}{
		{"valid", ts(0), sign(testSecret, ts(0), body), body, true},
		{"valid 4m59s old", ts(-299 * time.Second), sign(testSecret, ts(-299*time.Second), body), body, true},
		{"missing signature", ts(0), "", body, false},
		{"missing timestamp", "", sign(testSecret, ts(0), body), body, false},
		{"timestamp not a number", "soon", sign(testSecret, "soon", body), body, false},
		{"no v0 prefix", ts(0), sign(testSecret, ts(0), body)[3:], body, false},
		{"v1 scheme", ts(0), "v1=" + sign(testSecret, ts(0), body)[3:], body, false},
		{"not hex", ts(0), "v0=zz", body, false},
		{"short signature", ts(0), sign(testSecret, ts(0), body)[:40], body, false},
		{"wrong secret", ts(0), sign("another-secret", ts(0), body), body, false},
		{"body changed", ts(0), sign(testSecret, ts(0), body), append([]byte("x"), body...), false},
		{"timestamp changed", ts(-time.Second), sign(testSecret, ts(0), body), body, false},
		{"stale: 5m01s old", ts(-301 * time.Second), sign(testSecret, ts(-301*time.Second), body), body, false},
		{"from the future: 6m ahead", ts(6 * time.Minute), sign(testSecret, ts(6*time.Minute), body), body, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := NewVerifier(testSecret, func() time.Time { return now })
			err := v.Verify(c.timestamp, c.signature, c.body)
			if c.ok && err != nil {
				t.Fatalf("Verify: %v, want ok", err)
			}
			if !c.ok && capture.ErrorCode(err) != capture.CodeUnauthorized {
				t.Fatalf("Verify: %v, want unauthorized", err)
			}
		})
	}
}

func TestVerifierRefusesReplays(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	clock := &clock{t: now}
	v := NewVerifier(testSecret, clock.Now)
	body := []byte(`{"type":"event_callback"}`)
	stamp := strconv.FormatInt(now.Unix(), 10)
	sig := SignatureHeader(testSecret, stamp, body)
	if err := v.Verify(stamp, sig, body); err != nil {
		t.Fatal(err)
	}
	clock.Set(now.Add(4 * time.Minute))
	if err := v.Verify(stamp, sig, body); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Fatalf("replay within the window: %v, want unauthorized", err)
	}
	if err := v.Verify(stamp, "v0="+strings.ToUpper(sig[3:]), body); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Fatalf("replay with the signature in upper case: %v, want unauthorized", err)
	}
	// The same body at another time is another request.
	stamp2 := strconv.FormatInt(now.Add(4*time.Minute).Unix(), 10)
	if err := v.Verify(stamp2, SignatureHeader(testSecret, stamp2, body), body); err != nil {
		t.Fatalf("same body, new timestamp: %v", err)
	}
	clock.Set(now.Add(6 * time.Minute))
	if err := v.Verify(stamp, sig, body); capture.ErrorCode(err) != capture.CodeUnauthorized {
		t.Fatalf("replay after the window: %v, want unauthorized (stale)", err)
	}
}
