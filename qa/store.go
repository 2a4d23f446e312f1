package qa

import (
	"context"
	"slices"
	"time"
)

// VoteChange is one person's vote on a post being set, changed or withdrawn, with the
// reputation it moves. The store applies it whole or not at all.
type VoteChange struct {
	VoterID int64
	PostID  int64
	Prev    int // the vote the service saw: -1, 0 (none) or 1
	Value   int // the new vote: -1, 0 (withdraw) or 1
	At      time.Time
	// Reputation adds Delta to each listed person, never below MinReputation.
	Reputation []ReputationDelta
}

// ReputationDelta moves one person's reputation.
type ReputationDelta struct {
	PersonID int64
	Delta    int
}

// AcceptChange sets the accepted answer of a question, with the reputation it moves.
type AcceptChange struct {
	QuestionID int64
	Prev       int64 // the accepted answer the service saw (0: none)
	AnswerID   int64 // 0: un-accept
	Reputation []ReputationDelta
}

// Store keeps the hub's data. Every method is atomic: on error nothing is written.
// Errors are *capture.Error: CodeNotFound, CodeConflict as stated, CodeInternal or
// CodeUnavailable when the database fails.
type Store interface {
	// CreatePerson stores p with a new ID and returns it. CodeConflict when the email is
	// taken. With inviteHash set, the invite must exist, be unused, unexpired at
	// p.CreatedAt and (when it names one) for p.Email, else CodeInvalid; it is marked
	// used by the new person in the same transaction.
	CreatePerson(ctx context.Context, p Person, inviteHash string) (Person, error)
	// Person returns the person with id, or CodeNotFound.
	Person(ctx context.Context, id int64) (Person, error)
	// PersonByEmail returns the person with the (lower-case) email, or CodeNotFound.
	PersonByEmail(ctx context.Context, email string) (Person, error)
	// People returns the people with the given ids, keyed by id; unknown ids are absent.
	People(ctx context.Context, ids []int64) (map[int64]Person, error)
	// CountPeople returns how many people exist.
	CountPeople(ctx context.Context) (int, error)
	// SetRole sets a person's role; CodeNotFound for an unknown id. A repeat is a no-op.
	SetRole(ctx context.Context, id int64, role Role) error
	// SetTeam sets a person's team ("" : none); CodeNotFound for an unknown id. A
	// repeat is a no-op.
	SetTeam(ctx context.Context, id int64, team string) error
	// ListPeople returns at most q.Limit people matching q with ids above q.After, in
	// id order.
	ListPeople(ctx context.Context, q PeopleQuery) ([]Person, error)

	// CreateSession stores s; CodeConflict if its TokenHash exists.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with tokenHash (expired ones too), or CodeNotFound.
	Session(ctx context.Context, tokenHash string) (Session, error)
	// DeleteSession removes a session; removing an absent one is not an error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// CreateInvite stores inv; CodeConflict if its TokenHash exists.
	CreateInvite(ctx context.Context, inv Invite) error

	// CreatePost stores p with a new ID (and QuestionID = ID for a question) and
	// returns it. An answer increments its question's AnswerCount. Tags of a question
	// are counted in the tag list.
	CreatePost(ctx context.Context, p Post) (Post, error)
	// Post returns the post with id (deleted ones too, flagged), or CodeNotFound.
	Post(ctx context.Context, id int64) (Post, error)
	// EditPost replaces p.ID's title, body and tags, bumps its Version and keeps rev
	// (the content before). CodeConflict when the stored Version is not p.Version (a
	// stale edit), CodeNotFound for an unknown or deleted post.
	EditPost(ctx context.Context, p Post, rev Revision) error
	// Revisions returns a post's earlier contents, newest first.
	Revisions(ctx context.Context, postID int64) ([]Revision, error)
	// Thread returns the answers and comments of a question that are not deleted, oldest first.
	Thread(ctx context.Context, questionID int64) ([]Post, error)
	// ListQuestions returns at most q.Limit questions matching q in q.Sort order,
	// starting after q.After.
	ListQuestions(ctx context.Context, q QuestionQuery) ([]Post, error)
	// PostsBy returns a person's posts of kind that are not deleted, newest first.
	PostsBy(ctx context.Context, authorID int64, kind PostKind, limit int) ([]Post, error)
	// DeletePost marks the post (and, for a question, its whole thread) deleted; an
	// answer decrements its question's AnswerCount and is un-accepted. CodeNotFound for
	// an unknown post; deleting a deleted post is a no-op.
	DeletePost(ctx context.Context, id int64) error
	// CloseAsDuplicate records that question id duplicates question of. CodeNotFound
	// for an unknown question.
	CloseAsDuplicate(ctx context.Context, id, of int64) error

	// TopAnswerers returns at most limit authors of answers that are not deleted, most
	// accepted answers first, then highest total score, most answers, lowest id.
	TopAnswerers(ctx context.Context, limit int) ([]Answerer, error)
	// OldestUnanswered returns at most limit questions that are not deleted and have no
	// answer, oldest first.
	OldestUnanswered(ctx context.Context, limit int) ([]Post, error)

	// Vote returns voterID's vote on postID: -1, 0 (none) or 1.
	Vote(ctx context.Context, voterID, postID int64) (int, error)
	// ApplyVote applies c: CodeConflict when the stored vote is not c.Prev (a
	// concurrent or repeated vote); the post's Score moves by Value-Prev.
	ApplyVote(ctx context.Context, c VoteChange) error
	// Accept applies c: CodeConflict when the stored accepted answer is not c.Prev.
	Accept(ctx context.Context, c AcceptChange) error

	// Tags returns the tags with the most questions (prefix "" : all), most used first.
	Tags(ctx context.Context, prefix string, limit int) ([]Tag, error)
	// Tag returns one tag, or CodeNotFound when no question ever carried it.
	Tag(ctx context.Context, name string) (Tag, error)
	// Follow makes personID follow (or with on false, stop following) tag; repeats are no-ops.
	Follow(ctx context.Context, personID int64, tag string, on bool) error
	// FollowedTags returns the tags a person follows, sorted.
	FollowedTags(ctx context.Context, personID int64) ([]string, error)
	// TagFollowers returns the ids of the people following any of tags, each once.
	TagFollowers(ctx context.Context, tags []string) ([]int64, error)

	// LinkStatements records which statements belong to which posts; repeats are no-ops.
	LinkStatements(ctx context.Context, links []StatementLink) error
	// StatementsOf returns the ids of the statements linked to the posts, each once.
	StatementsOf(ctx context.Context, postIDs []int64) ([]string, error)

	// AddNotification stores n in its person's inbox with a new ID.
	AddNotification(ctx context.Context, n StoredNotification) error
	// Notifications returns a person's newest notifications, at most limit.
	Notifications(ctx context.Context, personID int64, limit int) ([]StoredNotification, error)
	// UnreadNotifications counts a person's unread notifications.
	UnreadNotifications(ctx context.Context, personID int64) (int, error)
	// ErasePerson erases a person's share of the hub (GDPR Art. 17): unless e.PersonID
	// is 0 or its row was erased before, the row gets ErasedName, ErasedEmail,
	// ErasedPasswordHash, e.Agent, the member role and no team, and the person's
	// sessions, follows and notifications and the invites addressed to their email go;
	// in every post title and body (deleted ones too), revision and notification text,
	// ScrubText replaces e.Strings, and the search index follows. Their posts and votes
	// stay (now by ErasedName). It returns how many rows or documents changed; a repeat
	// returns 0. SQLite does it in one transaction; Mongo in single-document writes
	// that each can be repeated, the person row last.
	ErasePerson(ctx context.Context, e PersonErasure) (int, error)
	// MarkNotificationsRead marks all of a person's notifications read; a repeat is a no-op.
	MarkNotificationsRead(ctx context.Context, personID int64) error
}

// TagChanges returns the tags of before that after lacks (gone) and those of after
// that before lacks (added), each in its list's order: what an edit of a question's
// tags changes in the stores' tag counts and indexes.
func TagChanges(before, after []string) (gone, added []string) {
	for _, t := range before {
		if !slices.Contains(after, t) {
			gone = append(gone, t)
		}
	}
	for _, t := range after {
		if !slices.Contains(before, t) {
			added = append(added, t)
		}
	}
	return gone, added
}
