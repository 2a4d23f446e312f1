package main

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/integrations/slack"
)

const cmdTestSigningSecret = "cmd-test-signing-secret-91c2"

// serveFor runs `cairn serve` with vars until the test ends and returns its base URL and logs.
func serveFor(t *testing.T, vars map[string]string) (string, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	vars["CAIRN_ADDR"] = addr
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		run(ctx, []string{"serve", "--log-level", "debug", "--enrich=false", "--shutdown-timeout", "5s"}, envOf(vars), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	waitReady(t, "http://"+addr, exited, 30*time.Second)
	return "http://" + addr, &stderr
}

func postSlack(t *testing.T, base, path, body string, signed bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/integrations/slack"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if signed {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", slack.SignatureHeader(cmdTestSigningSecret, ts, []byte(body)))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, b.String()
}

func TestServeSlackRoutes(t *testing.T) {
	help := url.Values{"team_id": {"T1"}, "user_id": {"U1"}, "command": {"/cairn"}, "text": {"help"}}.Encode()
	for _, store := range storeURLs() {
		t.Run(store.kind, func(t *testing.T) {
			base, _ := serveFor(t, map[string]string{"CAIRN_STORE": store.url(t)})
			for _, p := range []string{"/commands", "/events", "/interactive"} {
				if code, _ := postSlack(t, base, p, help, true); code != http.StatusNotFound {
					t.Errorf("without Slack settings %s answered %d, want 404", p, code)
				}
			}

			base, logs := serveFor(t, map[string]string{
				"CAIRN_STORE": store.url(t), "CAIRN_SLACK_BOT_TOKEN_FILE": "slack-token.secret",
				"CAIRN_SLACK_SIGNING_SECRET": cmdTestSigningSecret, "CAIRN_SLACK_ASK_CHANNEL": "C0ASK",
			})
			if code, body := postSlack(t, base, "/commands", help, true); code != http.StatusOK || !strings.Contains(body, "/learned read") {
				t.Errorf("signed /cairn help: %d %s", code, body)
			}
			if code, _ := postSlack(t, base, "/commands", help, false); code != http.StatusUnauthorized {
				t.Errorf("unsigned: %d, want 401", code)
			}
			if code, _ := postSlack(t, base, "/events", `{"type":`, true); code != http.StatusBadRequest {
				t.Errorf("malformed event: %d, want 400", code)
			}
			out := logs.String()
			if !strings.Contains(out, "slack app on") || !strings.Contains(out, "Monday 09:00 UTC") {
				t.Errorf("start not logged:\n%s", out)
			}
			for _, secret := range []string{"xoxb-cmd-test-token-7f3a", cmdTestSigningSecret} {
				if strings.Contains(out, secret) {
					t.Errorf("the logs show a Slack secret")
				}
			}
		})
	}
}

func TestSlackDigestSchedule(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	s := &slackIntegration{app: slack.New(slack.Config{}), log: newLogger(&syncBuffer{}, config.Common{})}
	defer s.stop(context.Background())
	if err := s.schedule(config.Slack{DigestDay: time.Thursday, DigestHour: 16, DigestMinute: 45, TimeZone: paris}, time.Now); err != nil {
		t.Fatal(err)
	}
	next, err := s.job.NextRun()
	if err != nil {
		t.Fatal(err)
	}
	local := next.In(paris)
	if local.Weekday() != time.Thursday || local.Hour() != 16 || local.Minute() != 45 || local.Second() != 0 {
		t.Fatalf("next digest at %v, want a Thursday 16:45 in Paris", local)
	}
	if d := time.Until(next); d <= 0 || d > 7*24*time.Hour+time.Hour {
		t.Fatalf("next digest in %s, want within the coming week", d)
	}
}
