package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// Block Kit messages (https://api.slack.com/block-kit) and the ids of their controls.
const (
	ActionUndo   = "undo"   // button value: the statement id to void
	ActionAnswer = "answer" // button value: the question id
	// CallbackAnswer is the answer modal's callback_id; its private_metadata is the question id.
	CallbackAnswer = "answer"
	answerBlock    = "answer"
	answerInput    = "body"
)

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}

// recordedBlocks shows what /learned recorded with an Undo button that voids statementID.
func recordedBlocks(text, statementID string) []slack.Block {
	undo := slack.NewButtonBlockElement(ActionUndo, statementID, plain("Undo"))
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(text), nil, nil),
		slack.NewActionBlock("recorded", undo),
	}
}

// questionBlocks shows a question with an Answer button.
func questionBlocks(q Question, asker string, tags []string) []slack.Block {
	line := fmt.Sprintf("*<%s|%s>*", q.URL, escape(q.Title))
	var meta []string
	if asker != "" {
		meta = append(meta, "asked by "+escape(asker))
	}
	if len(tags) > 0 {
		meta = append(meta, "#"+strings.Join(tags, " #"))
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(line), nil, nil)}
	if len(meta) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(strings.Join(meta, " · "))))
	}
	answer := slack.NewButtonBlockElement(ActionAnswer, q.ID, plain("Answer"))
	answer.Style = slack.StylePrimary
	return append(blocks, slack.NewActionBlock("question", answer))
}

// answerModal is the modal the Answer button opens (views.open).
func answerModal(questionID, title string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("Your answer"), answerInput)
	input.Multiline = true
	var blocks []slack.Block
	if title != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*"+escape(title)+"*"), nil, nil))
	}
	blocks = append(blocks, slack.NewInputBlock(answerBlock, plain("Answer"), nil, input))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackAnswer,
		PrivateMetadata: questionID,
		Title:           plain("Answer"),
		Submit:          plain("Post answer"),
		Close:           plain("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}
