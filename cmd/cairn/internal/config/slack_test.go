package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSlackSettings(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	got, err := loadServe(t,
		[]string{"--slack-signing-secret", "sig-from-flag", "--slack-learning-channels", "C0LEARN1, G0PRIV2", "--slack-digest-day", "fri", "--slack-digest-time", "16:30"},
		map[string]string{"CAIRN_SLACK_BOT_TOKEN_FILE": "slack-token.secret", "CAIRN_SLACK_ASK_CHANNEL": "C0ASK", "CAIRN_SLACK_TIMEZONE": "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	s := got.Slack
	if !s.Enabled() || s.BotToken.Reveal() != "xoxb-from-file-123" || s.SigningSecret.Reveal() != "sig-from-flag" ||
		!slices.Equal(s.LearningChannels, []string{"C0LEARN1", "G0PRIV2"}) || s.AskChannel != "C0ASK" ||
		s.DigestDay != time.Friday || s.DigestHour != 16 || s.DigestMinute != 30 || s.TimeZone.String() != paris.String() || s.DigestOff {
		t.Fatalf("Slack settings %+v", s)
	}
	// Secrets never show in printed or logged configuration.
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "slack", s, "token", s.BotToken, "secret", s.SigningSecret)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v", got, got, s), logged.String()} {
		if strings.Contains(out, "xoxb-from-file-123") || strings.Contains(out, "sig-from-flag") {
			t.Fatalf("a secret is printed: %s", out)
		}
	}

	off, err := loadServe(t, nil, map[string]string{"CAIRN_SLACK_DIGEST_DAY": "off"})
	if err != nil || !off.Slack.DigestOff || off.Slack.Enabled() {
		t.Fatalf("digest off, Slack off: %+v %v", off.Slack, err)
	}
}

func TestSlackSettingErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"token without secret", []string{"--slack-bot-token", "xoxb-1"}, nil, "CAIRN_SLACK_SIGNING_SECRET is not set"},
		{"secret without token", nil, map[string]string{"CAIRN_SLACK_SIGNING_SECRET": "s"}, "CAIRN_SLACK_BOT_TOKEN is not set"},
		{"token in env and file", nil, map[string]string{"CAIRN_SLACK_BOT_TOKEN": "a", "CAIRN_SLACK_BOT_TOKEN_FILE": "slack-token.secret", "CAIRN_SLACK_SIGNING_SECRET": "s"}, "CAIRN_SLACK_BOT_TOKEN"},
		{"channel name, not id", []string{"--slack-learning-channels", "#learning"}, nil, "not a Slack channel id"},
		{"two ask channels", []string{"--slack-ask-channel", "C01,C02"}, nil, "one channel id"},
		{"bad day", []string{"--slack-digest-day", "someday"}, nil, "not a weekday"},
		{"bad time", []string{"--slack-digest-time", "9am"}, nil, "not a time of day"},
		{"hour 24", []string{"--slack-digest-time", "24:00"}, nil, "not a time of day"},
		{"bad zone", []string{"--slack-timezone", "Mars/Olympus"}, nil, "not a known IANA time zone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadServe(t, c.args, c.env)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want it to mention %q", err, c.want)
			}
			if strings.Contains(err.Error(), "xoxb-1") {
				t.Fatalf("the error shows the token: %v", err)
			}
		})
	}
}
