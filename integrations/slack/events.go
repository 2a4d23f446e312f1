package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
)

// envelope is the outer Events API payload (https://api.slack.com/apis/events-api#callback-field).
type envelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	TeamID    string          `json:"team_id"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// innerEvent holds the fields of message and app_mention events the app uses.
type innerEvent struct {
	Type     string `json:"type"`
	Subtype  string `json:"subtype"`
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Text     string `json:"text"`
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
}

// eventMemory is how long handled event ids are remembered; Slack retries a delivery
// up to three times within minutes (https://api.slack.com/apis/events-api#retries).
const eventMemory = time.Hour

// maxSharedLinks bounds the links recorded from one message.
const maxSharedLinks = 10

var mentionPattern = regexp.MustCompile(`<@[A-Z0-9]+(?:\|[^>]*)?>`)

// Event answers POST /integrations/slack/events: it verifies the signature
// (CodeUnauthorized, nothing done), answers url_verification with its challenge and
// acknowledges event callbacks at once, recording links shared in learning channels
// and asking app mentions in the hub in the background. A delivery whose event id was
// already handled is acknowledged and ignored. A body that is not an event → CodeInvalid.
func (a *App) Event(ctx context.Context, timestamp, signature string, body []byte) (string, []byte, error) {
	if err := a.verifier.Verify(timestamp, signature, body); err != nil {
		return "", nil, err
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return "", nil, capture.Errorf(capture.CodeInvalid, "the body is not an Events API payload: %v", err)
	}
	switch env.Type {
	case "url_verification":
		if env.Challenge == "" {
			return "", nil, capture.Errorf(capture.CodeInvalid, "url_verification without a challenge")
		}
		out, _ := json.Marshal(map[string]string{"challenge": env.Challenge})
		return jsonType, out, nil
	case "event_callback":
	case "":
		return "", nil, capture.Errorf(capture.CodeInvalid, "the payload has no type")
	default:
		return jsonType, []byte(`{}`), nil
	}
	var ev innerEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil || ev.Type == "" {
		return "", nil, capture.Errorf(capture.CodeInvalid, "event_callback without a valid event")
	}
	if env.TeamID == "" {
		return "", nil, capture.Errorf(capture.CodeInvalid, "event_callback without team_id")
	}
	if env.EventID != "" && !a.firstDelivery(env.EventID) {
		return jsonType, []byte(`{}`), nil
	}
	if ev.BotID != "" || ev.User == "" {
		return jsonType, []byte(`{}`), nil // the app's own posts and other bots
	}
	switch ev.Type {
	case "message":
		if ev.Subtype == "" && slices.Contains(a.learningChannels(ctx), ev.Channel) {
			if links := sharedLinks(ev.Text); len(links) > 0 {
				if !a.later(func(ctx context.Context) { a.recordShared(ctx, env.TeamID, ev, links) }) {
					return "", nil, a.busy(env.EventID)
				}
			}
		}
	case "app_mention":
		if a.cfg.Questions != nil {
			if !a.later(func(ctx context.Context) { a.askMention(ctx, env.TeamID, ev) }) {
				return "", nil, a.busy(env.EventID)
			}
		}
	}
	return jsonType, []byte(`{}`), nil
}

// firstDelivery records eventID and reports whether it is new.
func (a *App) firstDelivery(eventID string) bool {
	now := a.now()
	a.eventsMu.Lock()
	defer a.eventsMu.Unlock()
	if _, seen := a.events[eventID]; seen {
		return false
	}
	if len(a.events) > 10_000 {
		for id, t := range a.events {
			if now.Sub(t) > eventMemory {
				delete(a.events, id)
			}
		}
	}
	a.events[eventID] = now
	return true
}

// busy forgets eventID, so that Slack's retry of it is handled, and returns the
// CodeTooManyRequests error that makes Slack retry.
func (a *App) busy(eventID string) error {
	a.eventsMu.Lock()
	delete(a.events, eventID)
	a.eventsMu.Unlock()
	return capture.Errorf(capture.CodeTooManyRequests, "Cairn is busy; retry later")
}

// sharedLinks returns the distinct http(s) links Slack marked up in a message.
func sharedLinks(text string) []string {
	var out []string
	for _, m := range slackLink.FindAllStringSubmatch(text, -1) {
		if u, ok := webURL(m[1]); ok && !slices.Contains(out, u) {
			out = append(out, u)
		}
		if len(out) == maxSharedLinks {
			break
		}
	}
	return out
}

// recordShared writes one "shared" statement per link for the message's author.
func (a *App) recordShared(ctx context.Context, teamID string, ev innerEvent, links []string) {
	who, err := a.Identify(ctx, teamID, ev.User)
	if err != nil {
		a.log.Warn("slack: cannot identify user", "user", ev.User, "err", err)
		return
	}
	now := a.now()
	stmts := make([]capture.Statement, 0, len(links))
	for _, link := range links {
		st, err := sharedStatement(uuid.NewString(), who.Agent, link, now)
		if err != nil {
			a.log.Warn("slack: shared link not recorded", "url", link, "err", err)
			continue
		}
		stmts = append(stmts, st)
	}
	if err := a.write(ctx, stmts...); err != nil {
		a.log.Warn("slack: shared links not recorded", "user", ev.User, "err", err)
	}
}

// askMention asks the text of an app mention in the hub and replies in its thread.
func (a *App) askMention(ctx context.Context, teamID string, ev innerEvent) {
	thread := ev.ThreadTS
	if thread == "" {
		thread = ev.TS
	}
	// Problems are for the asker only (chat.postEphemeral); the question's link is for
	// the thread.
	private := func(text string) {
		if _, err := a.api.PostEphemeralContext(ctx, ev.Channel, ev.User, slack.MsgOptionText(text, false), slack.MsgOptionTS(thread)); err != nil {
			a.log.Warn("slack: chat.postEphemeral failed", "channel", ev.Channel, "err", err)
		}
	}
	text := strings.TrimSpace(mentionPattern.ReplaceAllString(ev.Text, ""))
	title, body, tags, err := parseQuestion(text)
	if err != nil {
		private(capture.ErrorMessage(err))
		return
	}
	q, _, err := a.askHub(ctx, teamID, ev.User, title, body, tags)
	if err != nil {
		private(err.Error())
		return
	}
	_ = a.postThread(ctx, ev.Channel, thread, fmt.Sprintf("Asked in the Q&A hub: <%s|%s>", q.URL, escape(q.Title)))
}
