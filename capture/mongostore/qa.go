package mongostore

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

// The Q&A hub's collections.
//
// FerretDB (the test server) has no multi-document transactions and no $text, so the
// adapter keeps the qa.Store contract this way:
//   - every change starts with one conditional single-document write that decides it
//     (a vote document updated only from the value the service saw, a post updated
//     only at the version the editor saw, an invite claimed only while unused); a
//     repeat or a race fails there with CodeConflict before anything else is written;
//     the dependent writes that follow (scores, counts, reputations) are $inc updates
//     in a fixed order. A crash between them can leave a count one step behind; it
//     never double-counts.
//   - search keeps each question's title and body as a "words" array of lower-cased,
//     accent-free tokens (the same tokens SQLite's FTS5 unicode61 tokenizer makes) with
//     a multikey index: all words is $all, any word is $in with the last word as a
//     prefix. This works unchanged on MongoDB, where it uses the index too.
const (
	collQAPeople        = "qaPeople"
	collQASessions      = "qaSessions"
	collQAInvites       = "qaInvites"
	collQAPosts         = "qaPosts"
	collQAVotes         = "qaVotes"
	collQARevisions     = "qaRevisions"
	collQATags          = "qaTags"
	collQAFollows       = "qaFollows"
	collQALinks         = "qaStatementLinks"
	collQANotifications = "qaNotifications"
)

var _ qa.Store = (*Store)(nil)

func (s *Store) qc(name string) *mongo.Collection { return s.db.Collection(name) }

// qaIndexes are the indexes of the hub's collections.
func (s *Store) qaIndexes() []index {
	d := func(kv ...any) bson.D {
		out := bson.D{}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, bson.E{Key: kv[i].(string), Value: kv[i+1]})
		}
		return out
	}
	return []index{
		{s.qc(collQAPeople), d("email", 1), true},
		{s.qc(collQAPosts), d("kind", 1, "deleted", 1, "_id", -1), false},
		{s.qc(collQAPosts), d("kind", 1, "deleted", 1, "score", -1, "_id", -1), false},
		{s.qc(collQAPosts), d("questionId", 1, "_id", 1), false},
		{s.qc(collQAPosts), d("tags", 1, "_id", -1), false},
		{s.qc(collQAPosts), d("words", 1, "_id", -1), false},
		{s.qc(collQAPosts), d("authorId", 1, "kind", 1, "_id", -1), false},
		{s.qc(collQAPosts), d("kind", 1, "deleted", 1, "acceptedId", 1), false},
		{s.qc(collQAPosts), d("kind", 1, "deleted", 1, "answerCount", 1, "_id", 1), false},
		{s.qc(collQAFollows), d("tag", 1, "personId", 1), false},
		{s.qc(collQAFollows), d("personId", 1, "tag", 1), false},
		{s.qc(collQALinks), d("postId", 1), false},
		{s.qc(collQANotifications), d("personId", 1, "_id", -1), false},
		{s.qc(collQARevisions), d("postId", 1, "version", -1), false},
	}
}

// nextID returns the next value of a named counter (1, 2, …).
func (s *Store) nextID(ctx context.Context, name string) (int64, error) {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	err := s.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: name}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return 0, storeErr(err, "cannot assign an id")
	}
	return doc.Seq, nil
}

// foldWord strips diacritics (like FTS5's remove_diacritics) from a lower-cased token.
var foldChain = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// searchWords splits text into the lower-case, accent-free tokens search matches on.
func searchWords(text string) []string {
	folded, _, err := transform.String(foldChain, strings.ToLower(text))
	if err != nil {
		folded = strings.ToLower(text)
	}
	var out []string
	for _, w := range strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// --- people, sessions, invites ---

type personDoc struct {
	ID           int64  `bson:"_id"`
	Email        string `bson:"email"`
	Name         string `bson:"name"`
	Role         string `bson:"role"`
	Reputation   int    `bson:"reputation"`
	PasswordHash string `bson:"passwordHash"`
	Agent        string `bson:"agent"` // the agent as JSON text: its values hold IRIs, never document keys
	Team         string `bson:"team,omitempty"`
	CreatedNs    int64  `bson:"createdNs"`
}

func (d personDoc) person() (qa.Person, error) {
	p := qa.Person{ID: d.ID, Email: d.Email, Name: d.Name, Role: qa.Role(d.Role), Reputation: d.Reputation,
		PasswordHash: d.PasswordHash, Team: d.Team, CreatedAt: time.Unix(0, d.CreatedNs).UTC()}
	if err := json.Unmarshal([]byte(d.Agent), &p.Agent); err != nil {
		return p, capture.Internal(err, "stored agent")
	}
	return p, nil
}

// CreatePerson stores p with a new ID; see qa.Store. The invite is claimed first and
// released again if the person cannot be stored.
func (s *Store) CreatePerson(ctx context.Context, p qa.Person, inviteHash string) (qa.Person, error) {
	agent, err := json.Marshal(p.Agent)
	if err != nil {
		return qa.Person{}, capture.Internal(err, "encode agent")
	}
	invites := s.qc(collQAInvites)
	if inviteHash != "" {
		res, err := invites.UpdateOne(ctx, bson.D{{Key: "_id", Value: inviteHash}, {Key: "usedBy", Value: int64(0)},
			{Key: "expiresNs", Value: bson.D{{Key: "$gt", Value: p.CreatedAt.UnixNano()}}},
			{Key: "email", Value: bson.D{{Key: "$in", Value: bson.A{"", p.Email}}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "usedBy", Value: int64(-1)}}}})
		if err != nil {
			return qa.Person{}, storeErr(err, "cannot use the invite")
		}
		if res.MatchedCount == 0 {
			return qa.Person{}, capture.Errorf(capture.CodeInvalid, "invite: this invite link is unknown, used, expired or for another address")
		}
	}
	release := func() {
		if inviteHash != "" {
			_, _ = invites.UpdateOne(ctx, bson.D{{Key: "_id", Value: inviteHash}}, bson.D{{Key: "$set", Value: bson.D{{Key: "usedBy", Value: int64(0)}}}})
		}
	}
	if _, err := s.PersonByEmail(ctx, p.Email); err == nil {
		release()
		return qa.Person{}, capture.Errorf(capture.CodeConflict, "someone already signed up with %s", p.Email)
	}
	if p.ID, err = s.nextID(ctx, collQAPeople); err != nil {
		release()
		return qa.Person{}, err
	}
	_, err = s.qc(collQAPeople).InsertOne(ctx, personDoc{ID: p.ID, Email: p.Email, Name: p.Name, Role: string(p.Role), Reputation: p.Reputation,
		PasswordHash: p.PasswordHash, Agent: string(agent), Team: p.Team, CreatedNs: p.CreatedAt.UnixNano()})
	if err != nil {
		release()
		return qa.Person{}, storeErr(err, "someone already signed up with "+p.Email)
	}
	if inviteHash != "" {
		if _, err := invites.UpdateOne(ctx, bson.D{{Key: "_id", Value: inviteHash}}, bson.D{{Key: "$set", Value: bson.D{{Key: "usedBy", Value: p.ID}}}}); err != nil {
			return p, storeErr(err, "cannot mark the invite used")
		}
	}
	return p, nil
}

func (s *Store) onePerson(ctx context.Context, filter bson.D) (qa.Person, error) {
	var d personDoc
	err := s.qc(collQAPeople).FindOne(ctx, filter).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return qa.Person{}, capture.Errorf(capture.CodeNotFound, "no such person")
	}
	if err != nil {
		return qa.Person{}, storeErr(err, "cannot read a person")
	}
	return d.person()
}

// Person returns the person with id, or CodeNotFound.
func (s *Store) Person(ctx context.Context, id int64) (qa.Person, error) {
	return s.onePerson(ctx, bson.D{{Key: "_id", Value: id}})
}

// PersonByEmail returns the person with email, or CodeNotFound.
func (s *Store) PersonByEmail(ctx context.Context, email string) (qa.Person, error) {
	return s.onePerson(ctx, bson.D{{Key: "email", Value: email}})
}

// People returns the people among ids, keyed by id.
func (s *Store) People(ctx context.Context, ids []int64) (map[int64]qa.Person, error) {
	out := map[int64]qa.Person{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.qc(collQAPeople).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, storeErr(err, "cannot read people")
	}
	var docs []personDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read people")
	}
	for _, d := range docs {
		p, err := d.person()
		if err != nil {
			return nil, err
		}
		out[p.ID] = p
	}
	return out, nil
}

// CountPeople returns how many people exist.
func (s *Store) CountPeople(ctx context.Context) (int, error) {
	n, err := s.qc(collQAPeople).CountDocuments(ctx, bson.D{})
	return int(n), storeErr(err, "cannot count people")
}

// SetRole sets a person's role; CodeNotFound for an unknown id.
func (s *Store) SetRole(ctx context.Context, id int64, role qa.Role) error {
	res, err := s.qc(collQAPeople).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "role", Value: string(role)}}}})
	if err != nil {
		return storeErr(err, "cannot set the role")
	}
	if res.MatchedCount == 0 {
		return capture.Errorf(capture.CodeNotFound, "no such person")
	}
	return nil
}

// SetTeam sets a person's team; CodeNotFound for an unknown id.
func (s *Store) SetTeam(ctx context.Context, id int64, team string) error {
	res, err := s.qc(collQAPeople).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "team", Value: team}}}})
	if err != nil {
		return storeErr(err, "cannot set the team")
	}
	if res.MatchedCount == 0 {
		return capture.Errorf(capture.CodeNotFound, "no such person")
	}
	return nil
}

// ListPeople returns a page of people in id order; see qa.Store. The text matches
// case-insensitively anywhere in the name or email.
func (s *Store) ListPeople(ctx context.Context, q qa.PeopleQuery) ([]qa.Person, error) {
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: q.After}}}}
	if q.Text != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(q.Text), Options: "i"}
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "name", Value: re}}, bson.D{{Key: "email", Value: re}}}})
	}
	cur, err := s.qc(collQAPeople).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(q.Limit)))
	if err != nil {
		return nil, storeErr(err, "cannot list people")
	}
	var docs []personDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot list people")
	}
	out := make([]qa.Person, 0, len(docs))
	for _, d := range docs {
		p, err := d.person()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

type sessionDoc struct {
	TokenHash string `bson:"_id"`
	PersonID  int64  `bson:"personId"`
	CSRF      string `bson:"csrf"`
	CreatedNs int64  `bson:"createdNs"`
	ExpiresNs int64  `bson:"expiresNs"`
}

// CreateSession stores a session (dropping expired ones); CodeConflict for a repeated token.
func (s *Store) CreateSession(ctx context.Context, sess qa.Session) error {
	_, _ = s.qc(collQASessions).DeleteMany(ctx, bson.D{{Key: "expiresNs", Value: bson.D{{Key: "$lte", Value: sess.CreatedAt.UnixNano()}}}})
	_, err := s.qc(collQASessions).InsertOne(ctx, sessionDoc{sess.TokenHash, sess.PersonID, sess.CSRF, sess.CreatedAt.UnixNano(), sess.ExpiresAt.UnixNano()})
	return storeErr(err, "session exists")
}

// Session returns the session with tokenHash, or CodeNotFound.
func (s *Store) Session(ctx context.Context, tokenHash string) (qa.Session, error) {
	var d sessionDoc
	err := s.qc(collQASessions).FindOne(ctx, bson.D{{Key: "_id", Value: tokenHash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return qa.Session{}, capture.Errorf(capture.CodeNotFound, "no such session")
	}
	if err != nil {
		return qa.Session{}, storeErr(err, "cannot read the session")
	}
	return qa.Session{TokenHash: d.TokenHash, PersonID: d.PersonID, CSRF: d.CSRF, CreatedAt: time.Unix(0, d.CreatedNs).UTC(), ExpiresAt: time.Unix(0, d.ExpiresNs).UTC()}, nil
}

// DeleteSession removes a session; an absent one is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.qc(collQASessions).DeleteOne(ctx, bson.D{{Key: "_id", Value: tokenHash}})
	return storeErr(err, "cannot delete the session")
}

// CreateInvite stores an invite; CodeConflict for a repeated token.
func (s *Store) CreateInvite(ctx context.Context, inv qa.Invite) error {
	_, err := s.qc(collQAInvites).InsertOne(ctx, bson.D{{Key: "_id", Value: inv.TokenHash}, {Key: "email", Value: inv.Email},
		{Key: "createdBy", Value: inv.CreatedBy}, {Key: "createdNs", Value: inv.CreatedAt.UnixNano()},
		{Key: "expiresNs", Value: inv.ExpiresAt.UnixNano()}, {Key: "usedBy", Value: int64(0)}})
	return storeErr(err, "invite exists")
}

// --- posts ---

type postDoc struct {
	ID          int64    `bson:"_id"`
	Kind        string   `bson:"kind"`
	QuestionID  int64    `bson:"questionId"`
	ParentID    int64    `bson:"parentId"`
	AuthorID    int64    `bson:"authorId"`
	Title       string   `bson:"title"`
	Body        string   `bson:"body"`
	Tags        []string `bson:"tags"`
	Words       []string `bson:"words,omitempty"`
	Score       int      `bson:"score"`
	AnswerCount int      `bson:"answerCount"`
	AcceptedID  int64    `bson:"acceptedId"`
	DuplicateOf int64    `bson:"duplicateOf"`
	Deleted     bool     `bson:"deleted"`
	Version     int      `bson:"version"`
	CreatedNs   int64    `bson:"createdNs"`
	UpdatedNs   int64    `bson:"updatedNs"`
}

func (d postDoc) post() qa.Post {
	return qa.Post{ID: d.ID, Kind: qa.PostKind(d.Kind), QuestionID: d.QuestionID, ParentID: d.ParentID, AuthorID: d.AuthorID,
		Title: d.Title, Body: d.Body, Tags: nilIfEmpty(d.Tags), Score: d.Score, AnswerCount: d.AnswerCount, AcceptedID: d.AcceptedID,
		DuplicateOf: d.DuplicateOf, Deleted: d.Deleted, Version: d.Version,
		CreatedAt: time.Unix(0, d.CreatedNs).UTC(), UpdatedAt: time.Unix(0, d.UpdatedNs).UTC()}
}

func (s *Store) posts(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]qa.Post, error) {
	cur, err := s.qc(collQAPosts).Find(ctx, filter, opts)
	if err != nil {
		return nil, storeErr(err, "cannot read posts")
	}
	var docs []postDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read posts")
	}
	out := make([]qa.Post, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.post())
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// tagCounts moves the question counts of tags by delta.
func (s *Store) tagCounts(ctx context.Context, tags []string, delta int) error {
	for _, t := range tags {
		_, err := s.qc(collQATags).UpdateOne(ctx, bson.D{{Key: "_id", Value: t}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "questions", Value: delta}}}},
			options.UpdateOne().SetUpsert(true))
		if err != nil {
			return storeErr(err, "cannot count tags")
		}
	}
	return nil
}

// CreatePost stores p with a new ID; see qa.Store.
func (s *Store) CreatePost(ctx context.Context, p qa.Post) (qa.Post, error) {
	posts := s.qc(collQAPosts)
	if p.Kind == qa.KindAnswer {
		res, err := posts.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.QuestionID}, {Key: "kind", Value: string(qa.KindQuestion)}, {Key: "deleted", Value: false}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "answerCount", Value: 1}}}})
		if err != nil {
			return qa.Post{}, storeErr(err, "cannot store the answer")
		}
		if res.MatchedCount == 0 {
			return qa.Post{}, capture.Errorf(capture.CodeNotFound, "no question %d", p.QuestionID)
		}
	}
	id, err := s.nextID(ctx, collQAPosts)
	if err != nil {
		return qa.Post{}, err
	}
	p.ID = id
	doc := postDoc{ID: id, Kind: string(p.Kind), QuestionID: p.QuestionID, ParentID: p.ParentID, AuthorID: p.AuthorID, Title: p.Title,
		Body: p.Body, Tags: nonNil(p.Tags), Version: p.Version, CreatedNs: p.CreatedAt.UnixNano(), UpdatedNs: p.UpdatedAt.UnixNano()}
	if p.Kind == qa.KindQuestion {
		p.QuestionID, doc.QuestionID = id, id
		doc.Words = searchWords(p.Title + " " + p.Body)
	}
	if _, err := posts.InsertOne(ctx, doc); err != nil {
		return qa.Post{}, storeErr(err, "cannot store the post")
	}
	if p.Kind == qa.KindQuestion {
		if err := s.tagCounts(ctx, p.Tags, 1); err != nil {
			return qa.Post{}, err
		}
	}
	return p, nil
}

// Post returns the post with id, or CodeNotFound.
func (s *Store) Post(ctx context.Context, id int64) (qa.Post, error) {
	var d postDoc
	err := s.qc(collQAPosts).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return qa.Post{}, capture.Errorf(capture.CodeNotFound, "no post %d", id)
	}
	if err != nil {
		return qa.Post{}, storeErr(err, "cannot read the post")
	}
	return d.post(), nil
}

// EditPost replaces a post's content at p.Version; see qa.Store.
func (s *Store) EditPost(ctx context.Context, p qa.Post, rev qa.Revision) error {
	old, err := s.Post(ctx, p.ID)
	if err != nil {
		return err
	}
	if old.Deleted {
		return capture.Errorf(capture.CodeNotFound, "post %d was deleted", p.ID)
	}
	set := bson.D{{Key: "title", Value: p.Title}, {Key: "body", Value: p.Body}, {Key: "tags", Value: nonNil(p.Tags)}, {Key: "updatedNs", Value: p.UpdatedAt.UnixNano()}}
	if old.Kind == qa.KindQuestion {
		set = append(set, bson.E{Key: "words", Value: searchWords(p.Title + " " + p.Body)})
	}
	res, err := s.qc(collQAPosts).UpdateOne(ctx, bson.D{{Key: "_id", Value: p.ID}, {Key: "version", Value: p.Version}, {Key: "deleted", Value: false}},
		bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}})
	if err != nil {
		return storeErr(err, "cannot edit the post")
	}
	if res.MatchedCount == 0 {
		return capture.Errorf(capture.CodeConflict, "this post was changed since you opened it: reload and edit again")
	}
	if _, err := s.qc(collQARevisions).InsertOne(ctx, bson.D{{Key: "_id", Value: strconv.FormatInt(rev.PostID, 10) + ":" + strconv.Itoa(rev.Version)},
		{Key: "postId", Value: rev.PostID}, {Key: "version", Value: rev.Version}, {Key: "editorId", Value: rev.EditorID}, {Key: "title", Value: rev.Title},
		{Key: "body", Value: rev.Body}, {Key: "tags", Value: nonNil(rev.Tags)}, {Key: "createdNs", Value: rev.CreatedAt.UnixNano()}}); err != nil {
		return storeErr(err, "cannot keep the revision")
	}
	if old.Kind != qa.KindQuestion {
		return nil
	}
	gone, added := qa.TagChanges(old.Tags, p.Tags)
	if err := s.tagCounts(ctx, gone, -1); err != nil {
		return err
	}
	return s.tagCounts(ctx, added, 1)
}

// Revisions returns a post's earlier contents, newest first.
func (s *Store) Revisions(ctx context.Context, postID int64) ([]qa.Revision, error) {
	cur, err := s.qc(collQARevisions).Find(ctx, bson.D{{Key: "postId", Value: postID}}, options.Find().SetSort(bson.D{{Key: "version", Value: -1}}))
	if err != nil {
		return nil, storeErr(err, "cannot read revisions")
	}
	var docs []struct {
		PostID    int64    `bson:"postId"`
		Version   int      `bson:"version"`
		EditorID  int64    `bson:"editorId"`
		Title     string   `bson:"title"`
		Body      string   `bson:"body"`
		Tags      []string `bson:"tags"`
		CreatedNs int64    `bson:"createdNs"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read revisions")
	}
	var out []qa.Revision
	for _, d := range docs {
		out = append(out, qa.Revision{PostID: d.PostID, Version: d.Version, EditorID: d.EditorID, Title: d.Title, Body: d.Body,
			Tags: nilIfEmpty(d.Tags), CreatedAt: time.Unix(0, d.CreatedNs).UTC()})
	}
	return out, nil
}

// Thread returns a question's live answers and comments, oldest first.
func (s *Store) Thread(ctx context.Context, questionID int64) ([]qa.Post, error) {
	return s.posts(ctx, bson.D{{Key: "questionId", Value: questionID}, {Key: "kind", Value: bson.D{{Key: "$ne", Value: string(qa.KindQuestion)}}},
		{Key: "deleted", Value: false}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// ListQuestions returns a keyset page of questions; see qa.Store.
func (s *Store) ListQuestions(ctx context.Context, q qa.QuestionQuery) ([]qa.Post, error) {
	filter := bson.D{{Key: "kind", Value: string(qa.KindQuestion)}, {Key: "deleted", Value: false}}
	if strings.TrimSpace(q.Text) != "" {
		words := searchWords(q.Text)
		if len(words) > 16 {
			words = words[:16]
		}
		if len(words) == 0 {
			return nil, nil
		}
		if q.AnyWord {
			last := words[len(words)-1]
			filter = append(filter, bson.E{Key: "$or", Value: bson.A{
				bson.D{{Key: "words", Value: bson.D{{Key: "$in", Value: words}}}},
				bson.D{{Key: "words", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(last)}}}},
			}})
		} else {
			filter = append(filter, bson.E{Key: "words", Value: bson.D{{Key: "$all", Value: words}}})
		}
	}
	if q.Tag != "" {
		filter = append(filter, bson.E{Key: "tags", Value: q.Tag})
	}
	if q.AuthorID != 0 {
		filter = append(filter, bson.E{Key: "authorId", Value: q.AuthorID})
	}
	if !q.Since.IsZero() {
		filter = append(filter, bson.E{Key: "createdNs", Value: bson.D{{Key: "$gte", Value: q.Since.UnixNano()}}})
	}
	if q.Sort == qa.SortUnanswered {
		filter = append(filter, bson.E{Key: "answerCount", Value: 0})
	}
	sort := bson.D{{Key: "_id", Value: -1}}
	if q.Sort == qa.SortVotes && q.Text == "" {
		sort = bson.D{{Key: "score", Value: -1}, {Key: "_id", Value: -1}}
		if q.After.ID != 0 {
			filter = append(filter, bson.E{Key: "$and", Value: bson.A{bson.D{{Key: "$or", Value: bson.A{
				bson.D{{Key: "score", Value: bson.D{{Key: "$lt", Value: q.After.Score}}}},
				bson.D{{Key: "score", Value: q.After.Score}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: q.After.ID}}}},
			}}}}})
		}
	} else if q.After.ID != 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: q.After.ID}}})
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	return s.posts(ctx, filter, options.Find().SetSort(sort).SetLimit(int64(limit)).SetProjection(bson.D{{Key: "words", Value: 0}}))
}

// PostsBy returns a person's live posts of kind, newest first.
func (s *Store) PostsBy(ctx context.Context, authorID int64, kind qa.PostKind, limit int) ([]qa.Post, error) {
	if limit <= 0 {
		limit = 20
	}
	return s.posts(ctx, bson.D{{Key: "authorId", Value: authorID}, {Key: "kind", Value: string(kind)}, {Key: "deleted", Value: false}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
}

// DeletePost marks a post (and its dependants) deleted; see qa.Store. The post's own
// flag is claimed first, so a repeat changes nothing.
func (s *Store) DeletePost(ctx context.Context, id int64) error {
	p, err := s.Post(ctx, id)
	if err != nil {
		return err
	}
	posts := s.qc(collQAPosts)
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "deleted", Value: true}}}}
	res, err := posts.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "deleted", Value: false}}, set)
	if err != nil {
		return storeErr(err, "cannot delete the post")
	}
	if res.MatchedCount == 0 {
		return nil
	}
	switch p.Kind {
	case qa.KindQuestion:
		if _, err := posts.UpdateMany(ctx, bson.D{{Key: "questionId", Value: id}, {Key: "deleted", Value: false}}, set); err != nil {
			return storeErr(err, "cannot delete the thread")
		}
		return s.tagCounts(ctx, p.Tags, -1)
	case qa.KindAnswer:
		if _, err := posts.UpdateMany(ctx, bson.D{{Key: "parentId", Value: id}, {Key: "kind", Value: string(qa.KindComment)}}, set); err != nil {
			return storeErr(err, "cannot delete the comments")
		}
		if _, err := posts.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.QuestionID}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "answerCount", Value: -1}}}}); err != nil {
			return storeErr(err, "cannot count answers")
		}
		_, err := posts.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.QuestionID}, {Key: "acceptedId", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "acceptedId", Value: int64(0)}}}})
		return storeErr(err, "cannot un-accept the answer")
	}
	return nil
}

// CloseAsDuplicate records that question id duplicates question of.
func (s *Store) CloseAsDuplicate(ctx context.Context, id, of int64) error {
	res, err := s.qc(collQAPosts).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "kind", Value: string(qa.KindQuestion)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "duplicateOf", Value: of}}}})
	if err != nil {
		return storeErr(err, "cannot close the question")
	}
	if res.MatchedCount == 0 {
		return capture.Errorf(capture.CodeNotFound, "no question %d", id)
	}
	return nil
}

// --- votes and accepted answers ---

func voteID(voter, post int64) string {
	return strconv.FormatInt(post, 10) + ":" + strconv.FormatInt(voter, 10)
}

// Vote returns a person's vote on a post.
func (s *Store) Vote(ctx context.Context, voterID, postID int64) (int, error) {
	var d struct {
		Value int `bson:"value"`
	}
	err := s.qc(collQAVotes).FindOne(ctx, bson.D{{Key: "_id", Value: voteID(voterID, postID)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	return d.Value, storeErr(err, "cannot read the vote")
}

// applyReputation moves reputations, keeping each at or above the floor.
func (s *Store) applyReputation(ctx context.Context, deltas []qa.ReputationDelta) error {
	people := s.qc(collQAPeople)
	for _, d := range deltas {
		if _, err := people.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.PersonID}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "reputation", Value: d.Delta}}}}); err != nil {
			return storeErr(err, "cannot move reputation")
		}
		if _, err := people.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.PersonID}, {Key: "reputation", Value: bson.D{{Key: "$lt", Value: qa.MinReputation}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "reputation", Value: qa.MinReputation}}}}); err != nil {
			return storeErr(err, "cannot move reputation")
		}
	}
	return nil
}

// ApplyVote applies a vote change; see qa.Store. The vote document changes only from
// c.Prev, which decides conflicts before the score and reputations move.
func (s *Store) ApplyVote(ctx context.Context, c qa.VoteChange) error {
	p, err := s.Post(ctx, c.PostID)
	if err != nil {
		return err
	}
	if p.Deleted {
		return capture.Errorf(capture.CodeNotFound, "no post %d", c.PostID)
	}
	votes := s.qc(collQAVotes)
	id := voteID(c.VoterID, c.PostID)
	stale := capture.Errorf(capture.CodeConflict, "your vote on this post changed meanwhile")
	switch {
	case c.Prev == 0:
		_, err := votes.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "value", Value: c.Value}, {Key: "atNs", Value: c.At.UnixNano()}})
		if mongo.IsDuplicateKeyError(err) {
			return stale
		}
		if err != nil {
			return storeErr(err, "cannot store the vote")
		}
	case c.Value == 0:
		res, err := votes.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "value", Value: c.Prev}})
		if err != nil {
			return storeErr(err, "cannot withdraw the vote")
		}
		if res.DeletedCount == 0 {
			return stale
		}
	default:
		res, err := votes.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "value", Value: c.Prev}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "value", Value: c.Value}, {Key: "atNs", Value: c.At.UnixNano()}}}})
		if err != nil {
			return storeErr(err, "cannot change the vote")
		}
		if res.MatchedCount == 0 {
			return stale
		}
	}
	if _, err := s.qc(collQAPosts).UpdateOne(ctx, bson.D{{Key: "_id", Value: c.PostID}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "score", Value: c.Value - c.Prev}}}}); err != nil {
		return storeErr(err, "cannot count the vote")
	}
	return s.applyReputation(ctx, c.Reputation)
}

// Accept sets a question's accepted answer; see qa.Store.
func (s *Store) Accept(ctx context.Context, c qa.AcceptChange) error {
	if _, err := s.Post(ctx, c.QuestionID); err != nil {
		return err
	}
	res, err := s.qc(collQAPosts).UpdateOne(ctx, bson.D{{Key: "_id", Value: c.QuestionID}, {Key: "acceptedId", Value: c.Prev}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "acceptedId", Value: c.AnswerID}}}})
	if err != nil {
		return storeErr(err, "cannot accept the answer")
	}
	if res.MatchedCount == 0 {
		return capture.Errorf(capture.CodeConflict, "the accepted answer changed meanwhile")
	}
	return s.applyReputation(ctx, c.Reputation)
}

// --- tags and follows ---

func (s *Store) followers(ctx context.Context, tag string) (int, error) {
	n, err := s.qc(collQAFollows).CountDocuments(ctx, bson.D{{Key: "tag", Value: tag}})
	return int(n), storeErr(err, "cannot count followers")
}

// Tags returns the most used tags starting with prefix.
func (s *Store) Tags(ctx context.Context, prefix string, limit int) ([]qa.Tag, error) {
	if limit <= 0 {
		limit = 50
	}
	filter := bson.D{{Key: "questions", Value: bson.D{{Key: "$gt", Value: 0}}}}
	if prefix != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(prefix)}}})
	}
	cur, err := s.qc(collQATags).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "questions", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, storeErr(err, "cannot read tags")
	}
	var docs []struct {
		Name      string `bson:"_id"`
		Questions int    `bson:"questions"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read tags")
	}
	var out []qa.Tag
	for _, d := range docs {
		n, err := s.followers(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, qa.Tag{Name: d.Name, Questions: d.Questions, Followers: n})
	}
	return out, nil
}

// Tag returns one tag or CodeNotFound.
func (s *Store) Tag(ctx context.Context, name string) (qa.Tag, error) {
	var d struct {
		Questions int `bson:"questions"`
	}
	err := s.qc(collQATags).FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return qa.Tag{}, capture.Errorf(capture.CodeNotFound, "no tag %q", name)
	}
	if err != nil {
		return qa.Tag{}, storeErr(err, "cannot read the tag")
	}
	n, err := s.followers(ctx, name)
	return qa.Tag{Name: name, Questions: d.Questions, Followers: n}, err
}

// Follow starts or stops a person following a tag.
func (s *Store) Follow(ctx context.Context, personID int64, tag string, on bool) error {
	id := strconv.FormatInt(personID, 10) + "|" + tag
	if !on {
		_, err := s.qc(collQAFollows).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		return storeErr(err, "cannot unfollow")
	}
	_, err := s.qc(collQAFollows).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "personId", Value: personID}, {Key: "tag", Value: tag}}}}, options.UpdateOne().SetUpsert(true))
	return storeErr(err, "cannot follow")
}

type followDoc struct {
	PersonID int64  `bson:"personId"`
	Tag      string `bson:"tag"`
}

func (s *Store) follows(ctx context.Context, filter bson.D, sort bson.D) ([]followDoc, error) {
	cur, err := s.qc(collQAFollows).Find(ctx, filter, options.Find().SetSort(sort))
	if err != nil {
		return nil, storeErr(err, "cannot read follows")
	}
	var docs []followDoc
	return docs, storeErr(cur.All(ctx, &docs), "cannot read follows")
}

// FollowedTags returns the tags a person follows, sorted.
func (s *Store) FollowedTags(ctx context.Context, personID int64) ([]string, error) {
	docs, err := s.follows(ctx, bson.D{{Key: "personId", Value: personID}}, bson.D{{Key: "tag", Value: 1}})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range docs {
		out = append(out, d.Tag)
	}
	return out, nil
}

// TagFollowers returns the people following any of tags, each once.
func (s *Store) TagFollowers(ctx context.Context, tags []string) ([]int64, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	docs, err := s.follows(ctx, bson.D{{Key: "tag", Value: bson.D{{Key: "$in", Value: tags}}}}, bson.D{{Key: "personId", Value: 1}})
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, d := range docs {
		if !slices.Contains(out, d.PersonID) {
			out = append(out, d.PersonID)
		}
	}
	return out, nil
}

// --- statement links and notifications ---

// LinkStatements records statement links; repeats are no-ops.
func (s *Store) LinkStatements(ctx context.Context, links []qa.StatementLink) error {
	for _, l := range links {
		_, err := s.qc(collQALinks).UpdateOne(ctx, bson.D{{Key: "_id", Value: strconv.FormatInt(l.PostID, 10) + "|" + l.StatementID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "postId", Value: l.PostID}, {Key: "statementId", Value: l.StatementID}}}}, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return storeErr(err, "cannot link statements")
		}
	}
	return nil
}

// StatementsOf returns the statement ids linked to the posts, each once.
func (s *Store) StatementsOf(ctx context.Context, postIDs []int64) ([]string, error) {
	if len(postIDs) == 0 {
		return nil, nil
	}
	cur, err := s.qc(collQALinks).Find(ctx, bson.D{{Key: "postId", Value: bson.D{{Key: "$in", Value: postIDs}}}}, options.Find().SetSort(bson.D{{Key: "statementId", Value: 1}}))
	if err != nil {
		return nil, storeErr(err, "cannot read statement links")
	}
	var docs []struct {
		StatementID string `bson:"statementId"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read statement links")
	}
	var out []string
	for _, d := range docs {
		if !slices.Contains(out, d.StatementID) {
			out = append(out, d.StatementID)
		}
	}
	return out, nil
}

type notificationDoc struct {
	ID        int64  `bson:"_id"`
	PersonID  int64  `bson:"personId"`
	Kind      string `bson:"kind"`
	Text      string `bson:"text"`
	URL       string `bson:"url"`
	CreatedNs int64  `bson:"createdNs"`
	Read      bool   `bson:"read"`
}

// AddNotification stores a notification.
func (s *Store) AddNotification(ctx context.Context, n qa.StoredNotification) error {
	id, err := s.nextID(ctx, collQANotifications)
	if err != nil {
		return err
	}
	_, err = s.qc(collQANotifications).InsertOne(ctx, notificationDoc{ID: id, PersonID: n.PersonID, Kind: string(n.Kind), Text: n.Text, URL: n.URL, CreatedNs: n.CreatedAt.UnixNano()})
	return storeErr(err, "cannot store the notification")
}

// Notifications returns a person's newest notifications.
func (s *Store) Notifications(ctx context.Context, personID int64, limit int) ([]qa.StoredNotification, error) {
	if limit <= 0 {
		limit = 50
	}
	cur, err := s.qc(collQANotifications).Find(ctx, bson.D{{Key: "personId", Value: personID}}, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, storeErr(err, "cannot read notifications")
	}
	var docs []notificationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read notifications")
	}
	var out []qa.StoredNotification
	for _, d := range docs {
		out = append(out, qa.StoredNotification{ID: d.ID, PersonID: d.PersonID, Kind: qa.NotificationKind(d.Kind), Text: d.Text, URL: d.URL,
			CreatedAt: time.Unix(0, d.CreatedNs).UTC(), Read: d.Read})
	}
	return out, nil
}

// UnreadNotifications counts a person's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, personID int64) (int, error) {
	n, err := s.qc(collQANotifications).CountDocuments(ctx, bson.D{{Key: "personId", Value: personID}, {Key: "read", Value: false}})
	return int(n), storeErr(err, "cannot count notifications")
}

// MarkNotificationsRead marks a person's notifications read.
func (s *Store) MarkNotificationsRead(ctx context.Context, personID int64) error {
	_, err := s.qc(collQANotifications).UpdateMany(ctx, bson.D{{Key: "personId", Value: personID}, {Key: "read", Value: false}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "read", Value: true}}}})
	return storeErr(err, "cannot mark notifications read")
}

// TopAnswerers returns the most helpful answerers; see qa.Store. Live answers are
// read (author and score only) and summed per author here: a $group summing "$score"
// answered 0 on FerretDB; accepted answers are counted from the live questions'
// acceptedId (indexed) and those answers' authors.
func (s *Store) TopAnswerers(ctx context.Context, limit int) ([]qa.Answerer, error) {
	posts := s.qc(collQAPosts)
	cur, err := posts.Find(ctx, bson.D{{Key: "kind", Value: string(qa.KindAnswer)}, {Key: "deleted", Value: false}},
		options.Find().SetProjection(bson.D{{Key: "authorId", Value: 1}, {Key: "score", Value: 1}}))
	if err != nil {
		return nil, storeErr(err, "cannot rank answerers")
	}
	byAuthor := map[int64]*qa.Answerer{}
	for cur.Next(ctx) {
		var d struct {
			AuthorID int64 `bson:"authorId"`
			Score    int   `bson:"score"`
		}
		if err := cur.Decode(&d); err != nil {
			_ = cur.Close(ctx)
			return nil, storeErr(err, "cannot rank answerers")
		}
		a := byAuthor[d.AuthorID]
		if a == nil {
			a = &qa.Answerer{PersonID: d.AuthorID}
			byAuthor[d.AuthorID] = a
		}
		a.Answers++
		a.Score += d.Score
	}
	if err := cur.Err(); err != nil {
		_ = cur.Close(ctx)
		return nil, storeErr(err, "cannot rank answerers")
	}
	_ = cur.Close(ctx)
	cur, err = posts.Find(ctx, bson.D{{Key: "kind", Value: string(qa.KindQuestion)}, {Key: "deleted", Value: false},
		{Key: "acceptedId", Value: bson.D{{Key: "$ne", Value: int64(0)}}}}, options.Find().SetProjection(bson.D{{Key: "acceptedId", Value: 1}}))
	if err != nil {
		return nil, storeErr(err, "cannot rank answerers")
	}
	var questions []struct {
		AcceptedID int64 `bson:"acceptedId"`
	}
	if err := cur.All(ctx, &questions); err != nil {
		return nil, storeErr(err, "cannot rank answerers")
	}
	accepted := map[int64]int{}
	if len(questions) > 0 {
		ids := make([]int64, len(questions))
		for i, q := range questions {
			ids[i] = q.AcceptedID
		}
		cur, err = posts.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}, {Key: "kind", Value: string(qa.KindAnswer)},
			{Key: "deleted", Value: false}}, options.Find().SetProjection(bson.D{{Key: "authorId", Value: 1}}))
		if err != nil {
			return nil, storeErr(err, "cannot rank answerers")
		}
		var answers []struct {
			AuthorID int64 `bson:"authorId"`
		}
		if err := cur.All(ctx, &answers); err != nil {
			return nil, storeErr(err, "cannot rank answerers")
		}
		for _, a := range answers {
			accepted[a.AuthorID]++
		}
	}
	out := make([]qa.Answerer, 0, len(byAuthor))
	for _, a := range byAuthor {
		a.Accepted = accepted[a.PersonID]
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b qa.Answerer) int {
		switch {
		case a.Accepted != b.Accepted:
			return b.Accepted - a.Accepted
		case a.Score != b.Score:
			return b.Score - a.Score
		case a.Answers != b.Answers:
			return b.Answers - a.Answers
		}
		return int(a.PersonID - b.PersonID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// OldestUnanswered returns live questions without answers, oldest first; see qa.Store.
func (s *Store) OldestUnanswered(ctx context.Context, limit int) ([]qa.Post, error) {
	cur, err := s.qc(collQAPosts).Find(ctx, bson.D{{Key: "kind", Value: string(qa.KindQuestion)}, {Key: "deleted", Value: false},
		{Key: "answerCount", Value: 0}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, storeErr(err, "cannot list unanswered questions")
	}
	var docs []postDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot list unanswered questions")
	}
	out := make([]qa.Post, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.post())
	}
	return out, nil
}
