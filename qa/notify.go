package qa

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NotificationKind says why someone is told.
type NotificationKind string

// The notification kinds.
const (
	NotifyAnswer      NotificationKind = "answer"                // an answer to my question
	NotifyComment     NotificationKind = "comment"               // a comment on my post
	NotifyAccepted    NotificationKind = "accepted"              // my answer was accepted
	NotifyMention     NotificationKind = "mention"               // someone wrote @my-email
	NotifyFollowedTag NotificationKind = "followed_tag_question" // a new question in a tag I follow
)

// Notification is plain data about one event for one recipient, enough for any
// delivery (the in-app inbox, a chat message) to render it.
type Notification struct {
	Kind           NotificationKind
	RecipientID    int64
	RecipientEmail string
	ActorID        int64
	ActorName      string
	QuestionID     int64
	QuestionTitle  string
	URL            string // absolute link to the post
	Tag            string // NotifyFollowedTag: the followed tag
	Excerpt        string // start of the answer or comment text
	At             time.Time
}

// Text returns a one-line description of n.
func (n Notification) Text() string {
	switch n.Kind {
	case NotifyAnswer:
		return fmt.Sprintf("%s answered your question “%s”", n.ActorName, n.QuestionTitle)
	case NotifyComment:
		return fmt.Sprintf("%s commented on your post in “%s”", n.ActorName, n.QuestionTitle)
	case NotifyAccepted:
		return fmt.Sprintf("%s accepted your answer to “%s”", n.ActorName, n.QuestionTitle)
	case NotifyMention:
		return fmt.Sprintf("%s mentioned you in “%s”", n.ActorName, n.QuestionTitle)
	case NotifyFollowedTag:
		return fmt.Sprintf("New question in [%s] by %s: “%s”", n.Tag, n.ActorName, n.QuestionTitle)
	}
	return n.QuestionTitle
}

// Notifier delivers notifications. Notify returns an error when this delivery failed;
// the action that caused it stands anyway.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Notifiers delivers each notification to every notifier in turn, joining their errors.
type Notifiers []Notifier

// Notify calls every notifier and returns their errors joined.
func (ns Notifiers) Notify(ctx context.Context, n Notification) error {
	var errs []error
	for _, x := range ns {
		if err := x.Notify(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Inbox is the in-app delivery: it stores each notification in its recipient's inbox.
type Inbox struct{ Store Store }

// Notify stores n in the recipient's inbox.
func (b Inbox) Notify(ctx context.Context, n Notification) error {
	return b.Store.AddNotification(ctx, StoredNotification{
		PersonID: n.RecipientID, Kind: n.Kind, Text: n.Text(), URL: n.URL, CreatedAt: n.At,
	})
}
