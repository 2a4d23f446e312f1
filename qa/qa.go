// Package qa is the peer Q&A hub's domain: people and their sign-in, questions,
// answers and comments (posts), votes, accepted answers, tags and follows, revisions,
// reputation and privilege gates on the Apache Answer model, notifications and search.
// Every action is recorded as an xAPI statement through the LRS core's statement
// service (design.md §5); the package knows no web framework and no database.
package qa

import (
	"strings"
	"time"
)

// Role is what a person may do beyond their reputation's privileges.
type Role string

// The roles. Moderators close and delete any post and edit any post; admins also
// manage people and invites.
const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// ParseRole returns the role named s, or false.
func ParseRole(s string) (Role, bool) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleMember, RoleModerator, RoleAdmin:
		return r, true
	}
	return "", false
}

// Moderates reports whether r may moderate (close, delete, edit any post).
func (r Role) Moderates() bool { return r == RoleModerator || r == RoleAdmin }

// Person is one hub account. Agent is the xAPI agent its statements carry, fixed
// when the person is created (mbox by default, or an account on a configured homePage).
type Person struct {
	ID           int64
	Email        string // lower case, unique
	Name         string
	Role         Role
	Reputation   int
	PasswordHash string // capture.HashSecret encoding; never shown
	Agent        map[string]any
	Team         string // the team reports group the person under; "" : none
	CreatedAt    time.Time
}

// PeopleQuery selects people for an administrator's list, in id order.
type PeopleQuery struct {
	Text  string // case-insensitive part of the name or email; "" : everyone
	After int64  // the last id of the previous page; 0: the start
	Limit int
}

// Answerer is one person's standing as an answerer: their answers that are not
// deleted, how many of them were accepted and the sum of their scores.
type Answerer struct {
	PersonID int64
	Name     string // filled by the service
	Answers  int
	Accepted int
	Score    int
}

// PostKind says what a post is.
type PostKind string

// The post kinds.
const (
	KindQuestion PostKind = "question"
	KindAnswer   PostKind = "answer"
	KindComment  PostKind = "comment"
)

// Post is a question, an answer or a comment. QuestionID is the thread it belongs to
// (a question's own id); ParentID is the post a comment is on, or an answer's question.
type Post struct {
	ID          int64
	Kind        PostKind
	QuestionID  int64
	ParentID    int64
	AuthorID    int64
	AuthorName  string // filled on read
	Title       string // questions only
	Body        string // markdown
	Tags        []string
	Score       int // upvotes minus downvotes
	AnswerCount int // questions: answers not deleted
	AcceptedID  int64
	DuplicateOf int64 // a question closed as a duplicate of this one; 0: open
	Deleted     bool
	Version     int // 1 at creation, +1 per edit; a stale edit form carries an older one
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Revision is a post's content before one edit.
type Revision struct {
	PostID    int64
	Version   int // the version this content had
	EditorID  int64
	Title     string
	Body      string
	Tags      []string
	CreatedAt time.Time // when it was replaced
}

// Tag is a tag with the number of questions carrying it.
type Tag struct {
	Name      string
	Questions int
	Followers int
}

// Session is a signed-in browser. TokenHash is the SHA-256 of the cookie value; CSRF
// is the token every form of this session must carry.
type Session struct {
	TokenHash string
	PersonID  int64
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Invite lets one person sign up while sign-up is invite-only.
type Invite struct {
	TokenHash string
	Email     string // "" : any address
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedBy    int64 // 0: unused
}

// Sort orders a question list.
type Sort string

// The sorts. Newest and unanswered are by id, votes by score then id; a text search
// is always newest first.
const (
	SortNewest     Sort = "newest"
	SortVotes      Sort = "votes"
	SortUnanswered Sort = "unanswered"
)

// ParseSort returns the sort named s ("" is newest), or false.
func ParseSort(s string) (Sort, bool) {
	switch Sort(s) {
	case "", SortNewest:
		return SortNewest, true
	case SortVotes, SortUnanswered:
		return Sort(s), true
	}
	return "", false
}

// Cursor is the position after which a keyset page starts: the last row of the
// previous page (Score is used by SortVotes only). The zero Cursor is the start.
type Cursor struct {
	Score int
	ID    int64
}

// QuestionQuery selects questions that are not deleted.
type QuestionQuery struct {
	Text     string // full-text match over titles and bodies; "" : none
	AnyWord  bool   // Text matches questions with any of its words (similar questions) instead of all
	Tag      string
	AuthorID int64
	Since    time.Time // zero: no bound; else created at or after
	Sort     Sort
	After    Cursor
	Limit    int
}

// StatementLink ties a recorded statement to the post whose deletion voids it.
type StatementLink struct {
	PostID      int64
	StatementID string
}

// StoredNotification is one entry of a person's in-app inbox.
type StoredNotification struct {
	ID        int64
	PersonID  int64
	Kind      NotificationKind
	Text      string
	URL       string
	CreatedAt time.Time
	Read      bool
}
