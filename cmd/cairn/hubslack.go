package main

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack"
	"github.com/cairn-lrs/cairn/qa"
)

// hubForSlack lets the Slack app find hub members and ask and answer in the hub.
type hubForSlack struct{ svc *qa.Service }

var (
	_ slack.People    = hubForSlack{}
	_ slack.Questions = hubForSlack{}
)

func slackPerson(p qa.Person) slack.Person {
	return slack.Person{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, Email: p.Email, Agent: p.Agent}
}

// PersonByEmail implements slack.People.
func (h hubForSlack) PersonByEmail(ctx context.Context, email string) (slack.Person, error) {
	p, err := h.svc.PersonByEmail(ctx, email)
	if err != nil {
		return slack.Person{}, err
	}
	return slackPerson(p), nil
}

// person returns the hub person with the decimal id; CodeNotFound for any other text.
func (h hubForSlack) person(ctx context.Context, id string) (qa.Person, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return qa.Person{}, capture.Errorf(capture.CodeNotFound, "no hub person %q", id)
	}
	return h.svc.Person(ctx, n)
}

// Ask implements slack.Questions.
func (h hubForSlack) Ask(ctx context.Context, askerID, title, body string, tags []string) (slack.Question, error) {
	p, err := h.person(ctx, askerID)
	if err != nil {
		return slack.Question{}, err
	}
	q, err := h.svc.Ask(ctx, p, title, body, tags)
	if err != nil {
		return slack.Question{}, err
	}
	return slack.Question{ID: strconv.FormatInt(q.ID, 10), Title: q.Title, URL: h.svc.QuestionIRI(q.ID)}, nil
}

// Answer implements slack.Questions.
func (h hubForSlack) Answer(ctx context.Context, personID, questionID, body string) (slack.AnswerRef, error) {
	p, err := h.person(ctx, personID)
	if err != nil {
		return slack.AnswerRef{}, err
	}
	qid, err := strconv.ParseInt(questionID, 10, 64)
	if err != nil || qid <= 0 {
		return slack.AnswerRef{}, capture.Errorf(capture.CodeNotFound, "no question %q", questionID)
	}
	a, err := h.svc.Answer(ctx, p, qid, body)
	if err != nil {
		return slack.AnswerRef{}, err
	}
	return slack.AnswerRef{ID: strconv.FormatInt(a.ID, 10), URL: h.svc.AnswerURL(qid, a.ID)}, nil
}

// questionsFor lists up to limit questions of a sort asked since since and before until.
func (h hubForSlack) questionsFor(ctx context.Context, tag string, sort qa.Sort, since, until time.Time, limit int) ([]slack.QuestionSummary, error) {
	out := []slack.QuestionSummary{}
	q := qa.QuestionQuery{Tag: tag, Since: since, Sort: sort, Limit: 100}
	for len(out) < limit {
		page, more, err := h.svc.Questions(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if !until.IsZero() && !p.CreatedAt.Before(until) {
				continue
			}
			if len(out) < limit {
				out = append(out, slack.QuestionSummary{ID: strconv.FormatInt(p.ID, 10), Title: p.Title, URL: h.svc.QuestionIRI(p.ID), Answers: p.AnswerCount, Votes: p.Score})
			}
		}
		if !more || len(page) == 0 {
			break
		}
		last := page[len(page)-1]
		q.After = qa.Cursor{Score: last.Score, ID: last.ID}
	}
	return out, nil
}

// TopQuestions implements slack.Questions.
func (h hubForSlack) TopQuestions(ctx context.Context, tag string, since, until time.Time, limit int) ([]slack.QuestionSummary, error) {
	return h.questionsFor(ctx, tag, qa.SortVotes, since, until, limit)
}

// Unanswered implements slack.Questions: oldest first.
func (h hubForSlack) Unanswered(ctx context.Context, tag string, until time.Time, limit int) ([]slack.QuestionSummary, error) {
	list, err := h.questionsFor(ctx, tag, qa.SortUnanswered, time.Time{}, until, 1000)
	if err != nil {
		return nil, err
	}
	slices.Reverse(list) // the hub lists the newest unanswered first
	return list[:min(limit, len(list))], nil
}

// slackNotifier delivers the hub's notifications to Slack once the Slack app runs: a
// new question in a followed tag to the tag's channels (once per question and tag, not
// once per follower), an answer or an accept as a direct message. Other kinds stay in
// the hub's inbox only. Deliveries run in the background, so a slow Slack never slows
// the hub; when more than slackQueue wait, new ones are dropped and logged.
type slackNotifier struct {
	app   atomic.Pointer[slack.App]
	log   *slog.Logger
	mu    sync.Mutex
	seen  map[string]time.Time // question|tag posted to channels, for a day
	queue chan slack.Notification
	done  chan struct{}
}

// slackQueue bounds the notifications waiting for Slack.
const slackQueue = 256

// start begins delivering to app.
func (s *slackNotifier) start(app *slack.App, log *slog.Logger) {
	s.log = log
	s.queue, s.done = make(chan slack.Notification, slackQueue), make(chan struct{})
	s.app.Store(app)
	go func() {
		defer close(s.done)
		for n := range s.queue {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := app.Deliver(ctx, n); err != nil {
				s.log.Warn("slack notification not delivered", "kind", n.Kind, "question", n.QuestionID, "err", err)
			}
			cancel()
		}
	}()
}

// stop delivers what is queued and returns once done (or ctx ends); later
// notifications are dropped.
func (s *slackNotifier) stop(ctx context.Context) {
	app := s.app.Swap(nil)
	if app == nil {
		return
	}
	s.mu.Lock()
	close(s.queue)
	s.mu.Unlock()
	select {
	case <-s.done:
	case <-ctx.Done():
	}
}

// Notify implements qa.Notifier: it queues the Slack delivery and returns at once; nil
// when Slack is off or the kind is not for Slack.
func (s *slackNotifier) Notify(ctx context.Context, n qa.Notification) error {
	if s.app.Load() == nil {
		return nil
	}
	out := slack.Notification{QuestionID: strconv.FormatInt(n.QuestionID, 10), QuestionTitle: n.QuestionTitle,
		QuestionURL: n.URL, ActorName: n.ActorName, RecipientEmail: n.RecipientEmail}
	switch n.Kind {
	case qa.NotifyFollowedTag:
		key := out.QuestionID + "|" + n.Tag
		s.mu.Lock()
		if s.seen == nil {
			s.seen = map[string]time.Time{}
		}
		for k, at := range s.seen {
			if time.Since(at) > 24*time.Hour {
				delete(s.seen, k)
			}
		}
		_, dup := s.seen[key]
		s.seen[key] = time.Now()
		s.mu.Unlock()
		if dup {
			return nil
		}
		out.Kind, out.Tag, out.RecipientEmail = slack.NewQuestionInTag, n.Tag, ""
	case qa.NotifyAnswer:
		out.Kind, out.AnswerURL = slack.NewAnswer, n.URL
	case qa.NotifyAccepted:
		out.Kind, out.AnswerURL = slack.AnswerAccepted, n.URL
	default:
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app.Load() == nil {
		return nil // stopped meanwhile
	}
	select {
	case s.queue <- out:
	default:
		s.log.Warn("slack notification dropped: too many waiting", "kind", out.Kind, "question", out.QuestionID)
	}
	return nil
}
