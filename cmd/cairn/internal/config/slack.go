package config

import (
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Flag names of the Slack app's settings.
const (
	FlagSlackBotToken         = "slack-bot-token"
	FlagSlackSigningSecret    = "slack-signing-secret"
	FlagSlackLearningChannels = "slack-learning-channels"
	FlagSlackAskChannel       = "slack-ask-channel"
	FlagSlackDigestDay        = "slack-digest-day"
	FlagSlackDigestTime       = "slack-digest-time"
	FlagSlackTimeZone         = "slack-timezone"
)

// SlackSettings are the Slack app's settings (part of `cairn serve`).
func SlackSettings() []Setting {
	return []Setting{
		{Flag: FlagSlackBotToken, Env: "CAIRN_SLACK_BOT_TOKEN", Meta: "TOKEN", Secret: true, DefaultDoc: "none: Slack off",
			Usage: "the Slack app's bot token (xoxb-…); with the signing secret it turns the Slack routes on"},
		{Flag: FlagSlackSigningSecret, Env: "CAIRN_SLACK_SIGNING_SECRET", Meta: "SECRET", Secret: true, DefaultDoc: "none: Slack off",
			Usage: "the Slack app's signing secret, which verifies every request from Slack"},
		{Flag: FlagSlackLearningChannels, Env: "CAIRN_SLACK_LEARNING_CHANNELS", Meta: "IDS", DefaultDoc: "none",
			Usage: "comma-separated Slack channel ids whose shared links are recorded as learning"},
		{Flag: FlagSlackAskChannel, Env: "CAIRN_SLACK_ASK_CHANNEL", Meta: "ID", DefaultDoc: "none",
			Usage: "Slack channel id where /ask posts questions and the weekly digest goes"},
		{Flag: FlagSlackDigestDay, Env: "CAIRN_SLACK_DIGEST_DAY", Default: "monday", Meta: "DAY",
			Usage: "weekday of the weekly Slack digest, or off"},
		{Flag: FlagSlackDigestTime, Env: "CAIRN_SLACK_DIGEST_TIME", Default: "09:00", Meta: "HH:MM",
			Usage: "time of day of the weekly Slack digest"},
		{Flag: FlagSlackTimeZone, Env: "CAIRN_SLACK_TIMEZONE", Default: "UTC", Meta: "ZONE",
			Usage: "IANA time zone of the digest time and of the weeks and months in /cairn me"},
	}
}

// SlackSecret is a secret setting's value: it prints as [redacted] in logs, %v and %#v.
type SlackSecret string

// Reveal returns the secret itself.
func (s SlackSecret) Reveal() string { return string(s) }

// String keeps the secret out of %v and %s.
func (s SlackSecret) String() string { return redacted(s) }

// GoString keeps the secret out of %#v.
func (s SlackSecret) GoString() string { return redacted(s) }

// LogValue keeps the secret out of slog.
func (s SlackSecret) LogValue() slog.Value { return slog.StringValue(redacted(s)) }

func redacted(s SlackSecret) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Slack is the validated configuration of the Slack app.
type Slack struct {
	BotToken         SlackSecret
	SigningSecret    SlackSecret
	LearningChannels []string
	AskChannel       string
	DigestOff        bool
	DigestDay        time.Weekday
	DigestHour       int
	DigestMinute     int
	TimeZone         *time.Location
}

// Enabled reports whether the Slack app runs (both the token and the secret are set).
func (s Slack) Enabled() bool { return s.BotToken != "" && s.SigningSecret != "" }

// slack parses the Slack settings; a token without a secret (or the reverse) is an error.
func (p *parser) slack(values map[string]Value) Slack {
	s := Slack{
		BotToken:         SlackSecret(values[FlagSlackBotToken].Raw),
		SigningSecret:    SlackSecret(values[FlagSlackSigningSecret].Raw),
		LearningChannels: parse(p, values[FlagSlackLearningChannels], ParseSlackChannels),
	}
	if ask := parse(p, values[FlagSlackAskChannel], ParseSlackChannels); len(ask) > 1 {
		p.errs = append(p.errs, values[FlagSlackAskChannel].Errorf("one channel id, not a list"))
	} else if len(ask) == 1 {
		s.AskChannel = ask[0]
	}
	if (s.BotToken == "") != (s.SigningSecret == "") {
		missing := values[FlagSlackSigningSecret]
		if s.BotToken == "" {
			missing = values[FlagSlackBotToken]
		}
		p.errs = append(p.errs, fmt.Errorf("--%s and --%s go together: %s is not set", FlagSlackBotToken, FlagSlackSigningSecret, missing.Env))
	}
	day := strings.ToLower(strings.TrimSpace(values[FlagSlackDigestDay].Raw))
	if day == "off" {
		s.DigestOff = true
	} else {
		s.DigestDay = parse(p, values[FlagSlackDigestDay], ParseWeekday)
	}
	hm := parse(p, values[FlagSlackDigestTime], ParseClock)
	s.DigestHour, s.DigestMinute = hm[0], hm[1]
	s.TimeZone = parse(p, values[FlagSlackTimeZone], ParseTimeZone)
	return s
}

var slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)

// ParseSlackChannels parses comma-separated Slack channel ids (C… or G…); empty is none.
func ParseSlackChannels(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slackChannelID.MatchString(f) {
			return nil, fmt.Errorf("%q is not a Slack channel id (like C0123ABCD; open the channel's details to find it)", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// ParseWeekday parses an English weekday name (monday … sunday, or its first three letters).
func ParseWeekday(s string) (time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%q is not a weekday (monday … sunday, or off)", s)
}

// ParseClock parses HH:MM (24-hour) into hour and minute.
func ParseClock(s string) ([2]int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 || len(m) != 2 {
		return [2]int{}, fmt.Errorf("%q is not a time of day (HH:MM, 24-hour)", s)
	}
	return [2]int{hour, minute}, nil
}

// ParseTimeZone loads an IANA time zone ("Europe/Paris", "UTC").
func ParseTimeZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "local") {
		return nil, fmt.Errorf("name an IANA time zone such as Europe/Paris or UTC")
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a known IANA time zone", s)
	}
	return loc, nil
}
