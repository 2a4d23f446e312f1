package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
)

// maxAnswer is the longest answer the modal accepts (characters).
const maxAnswer = 20_000

// Interaction answers POST /integrations/slack/interactive (block actions and view
// submissions, https://api.slack.com/interactivity/handling): it verifies the signature
// (CodeUnauthorized, nothing done), and a body without a JSON payload → CodeInvalid.
// Undo voids the statement in the background; Answer opens the answer modal at once
// (its trigger expires in 3 s); a submitted answer is checked at once (an empty one is
// refused in the modal) and posted to the hub in the background.
func (a *App) Interaction(ctx context.Context, timestamp, signature string, body []byte) (string, []byte, error) {
	if err := a.verifier.Verify(timestamp, signature, body); err != nil {
		return "", nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		return "", nil, capture.Errorf(capture.CodeInvalid, "the body has no payload field")
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		return "", nil, capture.Errorf(capture.CodeInvalid, "the payload is not JSON: %v", err)
	}
	if cb.Team.ID == "" || cb.User.ID == "" {
		return "", nil, capture.Errorf(capture.CodeInvalid, "the payload names no team or user")
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			switch act.ActionID {
			case ActionUndo:
				target := act.Value
				if !a.later(func(ctx context.Context) { a.undo(ctx, cb.Team.ID, cb.User.ID, target, cb.ResponseURL) }) {
					return "", nil, capture.Errorf(capture.CodeTooManyRequests, "busy")
				}
			case ActionAnswer:
				if err := a.openAnswer(ctx, cb.TriggerID, act.Value, questionTitleIn(cb.Message)); err != nil {
					return "", nil, err
				}
			}
		}
		return jsonType, nil, nil
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID != CallbackAnswer {
			return jsonType, nil, nil
		}
		return a.submitAnswer(cb)
	}
	return jsonType, nil, nil
}

// undo voids target for the user who clicked, if that user recorded it.
func (a *App) undo(ctx context.Context, teamID, userID, target, responseURL string) {
	who, err := a.Identify(ctx, teamID, userID)
	if err != nil {
		a.replyEphemeral(ctx, responseURL, "Sorry, I cannot tell who you are right now. Please try again.")
		return
	}
	res, err := a.cfg.Statements.Read(ctx, capture.ReadRequest{
		Params: capture.StatementParams{StatementID: target, Format: capture.FormatExact}, Principal: a.cfg.Principal})
	if capture.ErrorCode(err) == capture.CodeNotFound || capture.ErrorCode(err) == capture.CodeInvalid {
		a.replyEphemeral(ctx, responseURL, "That entry is already undone.")
		return
	}
	if err != nil {
		a.log.Warn("slack: undo: cannot read the statement", "id", target, "err", err)
		a.replyEphemeral(ctx, responseURL, "Sorry, I could not undo that right now.")
		return
	}
	var st struct {
		Actor map[string]any `json:"actor"`
	}
	if json.Unmarshal(res.Statement, &st) != nil {
		a.replyEphemeral(ctx, responseURL, "Sorry, I could not undo that.")
		return
	}
	if key, err := capture.AgentKeyOf(st.Actor); err != nil || key != who.AgentKey {
		a.replyEphemeral(ctx, responseURL, "You can only undo what you recorded yourself.")
		return
	}
	void, err := voidingStatement(uuid.NewString(), who.Agent, target, a.now())
	if err == nil {
		err = a.write(ctx, void)
	}
	if err != nil {
		a.log.Warn("slack: undo failed", "id", target, "err", err)
		a.replyEphemeral(ctx, responseURL, "Sorry, I could not undo that: "+capture.ErrorMessage(err))
		return
	}
	a.replyEphemeral(ctx, responseURL, "Undone: that entry is no longer in your learning record.")
}

// questionTitleIn reads the question's title from the message that carries its Answer
// button (the link label of its first section, see questionBlocks); "" when absent.
func questionTitleIn(m slack.Message) string {
	for _, b := range m.Blocks.BlockSet {
		if sec, ok := b.(*slack.SectionBlock); ok && sec.Text != nil {
			if l := slackLink.FindStringSubmatch(sec.Text.Text); l != nil {
				return plainText(l[2])
			}
			return ""
		}
	}
	return ""
}

// openAnswer opens the answer modal (views.open) for questionID.
func (a *App) openAnswer(ctx context.Context, triggerID, questionID, title string) error {
	if triggerID == "" || questionID == "" {
		return capture.Errorf(capture.CodeInvalid, "the Answer action needs a trigger_id and a question id")
	}
	ctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel()
	if _, err := a.api.OpenViewContext(ctx, triggerID, answerModal(questionID, title)); err != nil {
		a.log.Warn("slack: views.open failed", "err", err)
		return &capture.Error{Code: capture.CodeUnavailable, Message: "cannot open the answer form", Err: err}
	}
	return nil
}

// submitAnswer checks a submitted answer and posts it to the hub in the background,
// then tells the person by direct message.
func (a *App) submitAnswer(cb slack.InteractionCallback) (string, []byte, error) {
	questionID := cb.View.PrivateMetadata
	body := ""
	if cb.View.State != nil {
		body = strings.TrimSpace(cb.View.State.Values[answerBlock][answerInput].Value)
	}
	if questionID == "" {
		return "", nil, capture.Errorf(capture.CodeInvalid, "the answer form names no question")
	}
	fail := func(msg string) (string, []byte, error) {
		out, _ := json.Marshal(map[string]any{"response_action": "errors", "errors": map[string]string{answerBlock: msg}})
		return jsonType, out, nil
	}
	switch {
	case body == "":
		return fail("Write an answer first.")
	case len([]rune(body)) > maxAnswer:
		return fail(fmt.Sprintf("Answers are limited to %d characters.", maxAnswer))
	case a.cfg.Questions == nil:
		return fail("The Q&A hub is not available on this Cairn instance.")
	}
	teamID, userID := cb.Team.ID, cb.User.ID
	if !a.later(func(ctx context.Context) {
		who, err := a.Identify(ctx, teamID, userID)
		switch {
		case err != nil:
			_ = a.post(ctx, userID, "Sorry, your answer was not posted: I cannot tell who you are right now.")
			return
		case who.PersonID == "":
			_ = a.post(ctx, userID, "Your answer was not posted: you need a Cairn Q&A account with the same email address as your Slack account.")
			return
		}
		ref, err := a.cfg.Questions.Answer(ctx, who.PersonID, questionID, body)
		if err != nil {
			a.log.Warn("slack: answer failed", "user", userID, "err", err)
			_ = a.post(ctx, userID, "Sorry, your answer was not posted: "+capture.ErrorMessage(err))
			return
		}
		_ = a.post(ctx, userID, fmt.Sprintf("Your answer is posted: <%s>", ref.URL))
	}) {
		return fail(busyText)
	}
	return jsonType, nil, nil
}

// postThread replies in a thread (chat.postMessage with thread_ts).
func (a *App) postThread(ctx context.Context, channel, thread, text string) error {
	if _, _, err := a.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(thread)); err != nil {
		a.log.Warn("slack: chat.postMessage failed", "channel", channel, "err", err)
		return err
	}
	return nil
}
