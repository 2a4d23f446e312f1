package slack

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
)

// jsonType is the content type of every reply the app sends Slack.
const jsonType = "application/json; charset=utf-8"

// command is the part of a slash-command request the app uses
// (https://api.slack.com/interactivity/slash-commands#app_command_handling).
type command struct {
	TeamID, UserID, ChannelID, Command, Text, ResponseURL, TriggerID string
}

// Command answers POST /integrations/slack/commands: it verifies the signature (see
// Verifier.Verify: CodeUnauthorized, nothing done), parses the form (CodeInvalid when it
// is not a slash command), answers at once and queues the slow work, which reports
// through the command's response_url. It returns the reply's content type and body.
func (a *App) Command(ctx context.Context, timestamp, signature string, body []byte) (string, []byte, error) {
	if err := a.verifier.Verify(timestamp, signature, body); err != nil {
		return "", nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, capture.Errorf(capture.CodeInvalid, "the body is not a form: %v", err)
	}
	if form.Get("ssl_check") == "1" {
		return jsonType, nil, nil // Slack checking the certificate: nothing to do
	}
	c := command{TeamID: form.Get("team_id"), UserID: form.Get("user_id"), ChannelID: form.Get("channel_id"),
		Command: form.Get("command"), Text: strings.TrimSpace(form.Get("text")), ResponseURL: form.Get("response_url"),
		TriggerID: form.Get("trigger_id")}
	if c.TeamID == "" || c.UserID == "" || c.Command == "" {
		return "", nil, capture.Errorf(capture.CodeInvalid, "a slash command needs team_id, user_id and command")
	}
	switch c.Command {
	case "/learned":
		return jsonType, a.learned(c), nil
	case "/ask":
		return jsonType, a.ask(c), nil
	case "/cairn":
		return jsonType, a.cairn(c), nil
	}
	return jsonType, ephemeral(fmt.Sprintf("Cairn does not know the command %s.", c.Command)), nil
}

// learned parses /learned at once and records the entry in the background: page title,
// identity, the LRS write, then an ephemeral answer with an Undo button.
func (a *App) learned(c command) []byte {
	now := a.now()
	l, err := ParseLearned(c.Text, now, a.loc)
	if err != nil {
		return ephemeral(capture.ErrorMessage(err))
	}
	ok := a.later(func(ctx context.Context) {
		title := ""
		if l.URL != "" && (l.Name == "" || l.Name == l.URL) && a.cfg.Pages != nil {
			if t, err := a.cfg.Pages.PageTitle(ctx, l.URL); err == nil {
				title = t
			} else {
				a.log.Debug("slack: no page title", "url", l.URL, "err", err)
			}
		}
		who, err := a.Identify(ctx, c.TeamID, c.UserID)
		if err != nil {
			a.log.Warn("slack: cannot identify user", "user", c.UserID, "err", err)
			a.replyEphemeral(ctx, c.ResponseURL, "Sorry, I could not record that: I cannot tell who you are right now. Please try again.")
			return
		}
		id := uuid.NewString()
		st, err := learnedStatement(id, who.Agent, l, title, a.cfg.BaseURL, now)
		if err == nil {
			err = a.write(ctx, st)
		}
		if err != nil {
			a.log.Warn("slack: /learned not recorded", "user", c.UserID, "err", err)
			a.replyEphemeral(ctx, c.ResponseURL, "Sorry, I could not record that: "+capture.ErrorMessage(err))
			return
		}
		text := describe(l, title)
		a.replyEphemeral(ctx, c.ResponseURL, text, recordedBlocks(text, id)...)
	})
	if !ok {
		return ephemeral(busyText)
	}
	return ephemeral("Recording… " + describe(l, ""))
}

// ask creates a question in the hub in the background, answers with its link and posts
// it to the ask channel with an Answer button.
func (a *App) ask(c command) []byte {
	if a.cfg.Questions == nil {
		return ephemeral("The Q&A hub is not available on this Cairn instance.")
	}
	title, body, tags, err := parseQuestion(c.Text)
	if err != nil {
		return ephemeral(capture.ErrorMessage(err))
	}
	ok := a.later(func(ctx context.Context) {
		q, who, err := a.askHub(ctx, c.TeamID, c.UserID, title, body, tags)
		if err != nil {
			a.replyEphemeral(ctx, c.ResponseURL, err.Error())
			return
		}
		a.replyEphemeral(ctx, c.ResponseURL, fmt.Sprintf("Asked: <%s|%s>", q.URL, escape(q.Title)))
		if a.cfg.AskChannel != "" {
			a.post(ctx, a.cfg.AskChannel, "New question: "+q.Title, questionBlocks(q, who.Name, tags)...)
		}
	})
	if !ok {
		return ephemeral(busyText)
	}
	return ephemeral("Asking… " + escape(title))
}

// askError is a failure to ask whose text is for the person.
type askError string

// Error returns the message for the person.
func (e askError) Error() string { return string(e) }

// askHub identifies the asker and asks in the hub; errors carry a message for the person.
func (a *App) askHub(ctx context.Context, teamID, userID, title, body string, tags []string) (Question, Identity, error) {
	who, err := a.Identify(ctx, teamID, userID)
	if err != nil {
		a.log.Warn("slack: cannot identify user", "user", userID, "err", err)
		return Question{}, who, askError("Sorry, I cannot tell who you are right now. Please try again.")
	}
	if who.PersonID == "" {
		return Question{}, who, askError("To ask, you need a Cairn Q&A account with the same email address as your Slack account. Ask an administrator to link them if they differ.")
	}
	q, err := a.cfg.Questions.Ask(ctx, who.PersonID, title, body, tags)
	if err != nil {
		a.log.Warn("slack: ask failed", "user", userID, "err", err)
		return Question{}, who, askError("Sorry, the question was not asked: " + capture.ErrorMessage(err))
	}
	return q, who, nil
}

// maxTitle is the longest question title taken from a message; the rest goes to the body.
const maxTitle = 150

// parseQuestion splits text into a title (up to the first '?' or line end), a body and
// #tags; empty text → CodeInvalid.
func parseQuestion(text string) (title, body string, tags []string, err error) {
	text = plainText(strings.TrimSpace(text))
	if text == "" {
		return "", "", nil, capture.Errorf(capture.CodeInvalid, "What is your question? e.g. `/ask How do we rotate the staging database password? #ops`")
	}
	lines := strings.SplitN(text, "\n", 2)
	first, rest := lines[0], ""
	if len(lines) == 2 {
		rest = lines[1]
	}
	if i := strings.Index(first, "?"); i >= 0 && i < len(first)-1 {
		first, rest = first[:i+1], strings.TrimSpace(first[i+1:]+"\n"+rest)
	}
	if _, tags, err = cutTags(first + "\n" + rest); err != nil {
		return "", "", nil, err
	}
	title, _, _ = cutTags(first)
	body, _, _ = cutTags(rest)
	if title == "" {
		return "", "", nil, capture.Errorf(capture.CodeInvalid, "The question needs words besides tags.")
	}
	if r := []rune(title); len(r) > maxTitle {
		title, body = string(r[:maxTitle])+"…", strings.TrimSpace(string(r[maxTitle:])+"\n"+body)
	}
	return title, strings.TrimSpace(body), tags, nil
}

// helpText is /cairn help.
const helpText = "*Cairn in Slack*\n" +
	"• `/learned read <link>`, `/learned watched <link>`, `/learned attended <event> [on YYYY-MM-DD]`, `/learned completed <course or link>`, or `/learned <anything>`: record what you learned. Add `#tags`, and a note after ` -- `.\n" +
	"• `/ask <question> #tags`: ask your colleagues in the Q&A hub.\n" +
	"• `/cairn me`: your learning this week and this month.\n" +
	"• Links shared in learning channels are recorded for whoever shares them."

// cairn answers /cairn help at once and /cairn me in the background.
func (a *App) cairn(c command) []byte {
	switch strings.ToLower(c.Text) {
	case "", "help":
		return ephemeral(helpText)
	case "me":
		now := a.now()
		ok := a.later(func(ctx context.Context) {
			who, err := a.Identify(ctx, c.TeamID, c.UserID)
			if err != nil {
				a.replyEphemeral(ctx, c.ResponseURL, "Sorry, I cannot tell who you are right now. Please try again.")
				return
			}
			sum, err := a.summarize(ctx, who, now)
			if err != nil {
				a.log.Warn("slack: /cairn me failed", "user", c.UserID, "err", err)
				a.replyEphemeral(ctx, c.ResponseURL, "Sorry, I cannot read your learning right now.")
				return
			}
			text := sum.text(who)
			a.replyEphemeral(ctx, c.ResponseURL, text, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil))
		})
		if !ok {
			return ephemeral(busyText)
		}
		return ephemeral("Looking up your learning…")
	}
	return ephemeral("I know `/cairn me` and `/cairn help`.")
}

// post sends a message to a channel (chat.postMessage, scope chat:write), logging failures.
func (a *App) post(ctx context.Context, channel, text string, blocks ...slack.Block) error {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if _, _, err := a.api.PostMessageContext(ctx, channel, opts...); err != nil {
		a.log.Warn("slack: chat.postMessage failed", "channel", channel, "err", err)
		return &capture.Error{Code: capture.CodeUnavailable, Message: "cannot post to Slack", Err: err}
	}
	return nil
}
