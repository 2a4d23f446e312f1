package slack

import (
	"context"
	"time"
)

// The Q&A hub as the Slack app sees it. The hub implements these interfaces; the app
// only needs what is declared here.

// Person is a hub member.
type Person struct {
	ID    string
	Name  string
	Email string
	Agent map[string]any // the xAPI agent the hub records the person's actions under
}

// People finds hub members.
type People interface {
	// PersonByEmail returns the person whose verified email is email (case-insensitive),
	// or a capture.CodeNotFound error.
	PersonByEmail(ctx context.Context, email string) (Person, error)
}

// Question is a question as the hub reports it after asking.
type Question struct {
	ID    string
	Title string
	URL   string // its page on the hub
}

// AnswerRef is an answer as the hub reports it after answering.
type AnswerRef struct {
	ID  string
	URL string
}

// QuestionSummary is one line of the weekly digest.
type QuestionSummary struct {
	ID      string
	Title   string
	URL     string
	Answers int
	Votes   int
}

// Questions asks and answers in the hub.
type Questions interface {
	// Ask creates a question by the person askerID; capture.CodeInvalid (with a message
	// for the person) for a title or body the hub refuses, capture.CodeNotFound for an
	// unknown asker. Each call creates a new question.
	Ask(ctx context.Context, askerID, title, body string, tags []string) (Question, error)
	// Answer adds an answer by personID to questionID; capture.CodeNotFound for an
	// unknown question or person, capture.CodeInvalid for a body the hub refuses.
	Answer(ctx context.Context, personID, questionID, body string) (AnswerRef, error)
	// TopQuestions returns at most limit questions asked in [since, until), in tag (all
	// tags when tag is ""), best first (votes, then answers).
	TopQuestions(ctx context.Context, tag string, since, until time.Time, limit int) ([]QuestionSummary, error)
	// Unanswered returns at most limit questions asked before until that have no answer,
	// in tag (all when ""), oldest first.
	Unanswered(ctx context.Context, tag string, until time.Time, limit int) ([]QuestionSummary, error)
}
