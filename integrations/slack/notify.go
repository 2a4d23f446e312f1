package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
)

// NotificationKind is what the hub tells someone about.
type NotificationKind string

// The notifications delivered to Slack.
const (
	NewQuestionInTag NotificationKind = "new_question_in_tag" // → the tag's channels
	NewAnswer        NotificationKind = "answer"              // → DM to the asker
	AnswerAccepted   NotificationKind = "accepted"            // → DM to the answerer
)

// Notification is one hub event to deliver, as plain data.
type Notification struct {
	Kind          NotificationKind
	Tag           string // NewQuestionInTag: the followed tag
	QuestionID    string
	QuestionTitle string
	QuestionURL   string
	AnswerURL     string // NewAnswer, AnswerAccepted
	ActorName     string // who asked, answered or accepted
	// The recipient of a direct message: the Slack user id when known, else the email
	// looked up with users.lookupByEmail (scope users:read.email).
	RecipientSlackID string
	RecipientEmail   string
}

// Deliver posts n to Slack: a new question to each channel following its tag (none is
// not an error), an answer or an accept as a direct message. Unknown kinds or missing
// fields → CodeInvalid; a recipient Slack does not know → CodeNotFound; Slack
// unreachable or refusing → CodeUnavailable. A repeat call posts again.
func (a *App) Deliver(ctx context.Context, n Notification) error {
	if n.QuestionTitle == "" || n.QuestionURL == "" {
		return capture.Errorf(capture.CodeInvalid, "a notification needs the question's title and URL")
	}
	switch n.Kind {
	case NewQuestionInTag:
		if n.Tag == "" || n.QuestionID == "" {
			return capture.Errorf(capture.CodeInvalid, "a new-question notification needs a tag and a question id")
		}
		chans, err := a.tagChannels(ctx, n.Tag)
		if err != nil {
			return err
		}
		q := Question{ID: n.QuestionID, Title: n.QuestionTitle, URL: n.QuestionURL}
		for _, ch := range chans {
			if err := a.post(ctx, ch, fmt.Sprintf("New question in #%s: %s", n.Tag, n.QuestionTitle), questionBlocks(q, n.ActorName, []string{n.Tag})...); err != nil {
				return err
			}
		}
		return nil
	case NewAnswer, AnswerAccepted:
		user, err := a.recipient(ctx, n)
		if err != nil {
			return err
		}
		var text string
		if n.Kind == NewAnswer {
			text = fmt.Sprintf("%s answered your question *<%s|%s>*", escape(actor(n.ActorName)), n.QuestionURL, escape(n.QuestionTitle))
		} else {
			text = fmt.Sprintf("%s accepted your answer to *<%s|%s>*", escape(actor(n.ActorName)), n.QuestionURL, escape(n.QuestionTitle))
		}
		if n.AnswerURL != "" {
			text += fmt.Sprintf(" (<%s|see the answer>)", n.AnswerURL)
		}
		return a.post(ctx, user, text, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	return capture.Errorf(capture.CodeInvalid, "unknown notification kind %q", n.Kind)
}

func actor(name string) string {
	if name == "" {
		return "Someone"
	}
	return name
}

// recipient returns the Slack user id a direct message goes to.
func (a *App) recipient(ctx context.Context, n Notification) (string, error) {
	if n.RecipientSlackID != "" {
		return n.RecipientSlackID, nil
	}
	if n.RecipientEmail == "" {
		return "", capture.Errorf(capture.CodeInvalid, "a direct notification needs a Slack user id or an email")
	}
	u, err := a.api.GetUserByEmailContext(ctx, n.RecipientEmail)
	if err != nil {
		if err.Error() == "users_not_found" {
			return "", capture.Errorf(capture.CodeNotFound, "no Slack user has that email address")
		}
		return "", &capture.Error{Code: capture.CodeUnavailable, Message: "cannot look up the Slack user", Err: err}
	}
	return u.ID, nil
}
