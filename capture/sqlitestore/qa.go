package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/qa"
)

// qaMigrations hold the Q&A hub's tables (schema set "qa").
//
// Questions, answers and comments are rows of qa_posts. Question lists walk partial
// indexes in key order and stop after a page (keyset pagination): newest by id, votes
// by (score, id), unanswered by id among questions with no answer, a tag through
// qa_post_tags (tag, post_id). Full-text search is an FTS5 table over question titles
// and bodies whose rowid is the question id, read in rowid order.
var qaMigrations = []string{
	// 1: initial schema.
	`
CREATE TABLE qa_people (
	id            INTEGER PRIMARY KEY,
	email         TEXT    NOT NULL UNIQUE,
	name          TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	reputation    INTEGER NOT NULL,
	password_hash TEXT    NOT NULL,
	agent         TEXT    NOT NULL,            -- JSON object: the person's xAPI agent
	created_at    INTEGER NOT NULL             -- unix nanoseconds, UTC
);
CREATE TABLE qa_sessions (
	token_hash TEXT PRIMARY KEY,
	person_id  INTEGER NOT NULL,
	csrf       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE qa_invites (
	token_hash TEXT PRIMARY KEY,
	email      TEXT    NOT NULL,
	created_by INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_by    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE qa_posts (
	id           INTEGER PRIMARY KEY,
	kind         TEXT    NOT NULL,
	question_id  INTEGER NOT NULL,
	parent_id    INTEGER NOT NULL,
	author_id    INTEGER NOT NULL,
	title        TEXT    NOT NULL,
	body         TEXT    NOT NULL,
	tags         TEXT    NOT NULL,            -- JSON array
	score        INTEGER NOT NULL DEFAULT 0,
	answer_count INTEGER NOT NULL DEFAULT 0,
	accepted_id  INTEGER NOT NULL DEFAULT 0,
	duplicate_of INTEGER NOT NULL DEFAULT 0,
	deleted      INTEGER NOT NULL DEFAULT 0,
	version      INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX qa_posts_thread ON qa_posts (question_id, id) WHERE kind <> 'question';
CREATE INDEX qa_questions_newest ON qa_posts (id) WHERE kind = 'question' AND deleted = 0;
CREATE INDEX qa_questions_votes ON qa_posts (score, id) WHERE kind = 'question' AND deleted = 0;
CREATE INDEX qa_questions_unanswered ON qa_posts (id) WHERE kind = 'question' AND deleted = 0 AND answer_count = 0;
CREATE INDEX qa_posts_author ON qa_posts (author_id, kind, id);
CREATE TABLE qa_post_tags (
	tag     TEXT    NOT NULL,
	post_id INTEGER NOT NULL,
	PRIMARY KEY (tag, post_id)
) WITHOUT ROWID;
CREATE TABLE qa_tags (
	name      TEXT PRIMARY KEY,
	questions INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE qa_follows (
	person_id INTEGER NOT NULL,
	tag       TEXT    NOT NULL,
	PRIMARY KEY (person_id, tag)
) WITHOUT ROWID;
CREATE INDEX qa_follows_tag ON qa_follows (tag, person_id);
CREATE TABLE qa_votes (
	post_id    INTEGER NOT NULL,
	voter_id   INTEGER NOT NULL,
	value      INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (post_id, voter_id)
) WITHOUT ROWID;
CREATE TABLE qa_revisions (
	post_id    INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	editor_id  INTEGER NOT NULL,
	title      TEXT    NOT NULL,
	body       TEXT    NOT NULL,
	tags       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (post_id, version)
) WITHOUT ROWID;
CREATE TABLE qa_statement_links (
	post_id      INTEGER NOT NULL,
	statement_id TEXT    NOT NULL,
	PRIMARY KEY (post_id, statement_id)
) WITHOUT ROWID;
CREATE TABLE qa_notifications (
	id         INTEGER PRIMARY KEY,
	person_id  INTEGER NOT NULL,
	kind       TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	url        TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	read       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX qa_notifications_person ON qa_notifications (person_id, id);
CREATE VIRTUAL TABLE qa_search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
`,
	// 2: people carry a team. The most helpful answerers are kept per person in
	// qa_answerer_stats by triggers on qa_posts, so the report reads ten rows of an
	// index at any size: a live answer counts 1 and its score; a live question with an
	// accepted answer counts 1 accepted to that answer's author (deleting an accepted
	// answer un-accepts it, deleting a question deletes its thread). Unanswered
	// questions oldest first walk qa_questions_unanswered upwards.
	`
ALTER TABLE qa_people ADD COLUMN team TEXT NOT NULL DEFAULT '';
CREATE TABLE qa_answerer_stats (
	person_id INTEGER PRIMARY KEY,
	answers   INTEGER NOT NULL DEFAULT 0,
	accepted  INTEGER NOT NULL DEFAULT 0,
	score     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX qa_answerer_rank ON qa_answerer_stats (accepted DESC, score DESC, answers DESC, person_id) WHERE answers > 0;
INSERT INTO qa_answerer_stats (person_id, answers, score)
	SELECT author_id, count(*), sum(score) FROM qa_posts WHERE kind = 'answer' AND deleted = 0 GROUP BY author_id;
UPDATE qa_answerer_stats SET accepted = (
	SELECT count(*) FROM qa_posts q JOIN qa_posts a ON a.id = q.accepted_id
	WHERE q.kind = 'question' AND q.deleted = 0 AND q.accepted_id <> 0 AND a.author_id = qa_answerer_stats.person_id);
CREATE TRIGGER qa_answer_added AFTER INSERT ON qa_posts WHEN new.kind = 'answer' AND new.deleted = 0 BEGIN
	INSERT INTO qa_answerer_stats (person_id, answers, score) VALUES (new.author_id, 1, new.score)
	ON CONFLICT (person_id) DO UPDATE SET answers = answers + 1, score = score + excluded.score;
END;
CREATE TRIGGER qa_answer_changed AFTER UPDATE OF score, deleted ON qa_posts WHEN new.kind = 'answer'
	AND (old.score <> new.score OR old.deleted <> new.deleted) BEGIN
	INSERT INTO qa_answerer_stats (person_id, answers, score)
	VALUES (new.author_id, (new.deleted = 0) - (old.deleted = 0),
		(CASE WHEN new.deleted = 0 THEN new.score ELSE 0 END) - (CASE WHEN old.deleted = 0 THEN old.score ELSE 0 END))
	ON CONFLICT (person_id) DO UPDATE SET answers = answers + excluded.answers, score = score + excluded.score;
END;
CREATE TRIGGER qa_answer_removed AFTER DELETE ON qa_posts WHEN old.kind = 'answer' AND old.deleted = 0 BEGIN
	UPDATE qa_answerer_stats SET answers = answers - 1, score = score - old.score WHERE person_id = old.author_id;
END;
CREATE TRIGGER qa_accepted_changed AFTER UPDATE OF accepted_id, deleted ON qa_posts WHEN new.kind = 'question'
	AND (old.accepted_id <> new.accepted_id OR old.deleted <> new.deleted) BEGIN
	UPDATE qa_answerer_stats SET accepted = accepted - 1
	WHERE old.deleted = 0 AND old.accepted_id <> 0 AND person_id = (SELECT author_id FROM qa_posts WHERE id = old.accepted_id);
	INSERT INTO qa_answerer_stats (person_id, accepted)
	SELECT author_id, 1 FROM qa_posts WHERE new.deleted = 0 AND new.accepted_id <> 0 AND id = new.accepted_id
	ON CONFLICT (person_id) DO UPDATE SET accepted = accepted + 1;
END;
CREATE TRIGGER qa_question_added AFTER INSERT ON qa_posts WHEN new.kind = 'question' AND new.deleted = 0 AND new.accepted_id <> 0 BEGIN
	INSERT INTO qa_answerer_stats (person_id, accepted)
	SELECT author_id, 1 FROM qa_posts WHERE id = new.accepted_id
	ON CONFLICT (person_id) DO UPDATE SET accepted = accepted + 1;
END;
CREATE TRIGGER qa_question_removed AFTER DELETE ON qa_posts WHEN old.kind = 'question' AND old.deleted = 0 AND old.accepted_id <> 0 BEGIN
	UPDATE qa_answerer_stats SET accepted = accepted - 1
	WHERE person_id = (SELECT author_id FROM qa_posts WHERE id = old.accepted_id);
END;
`,
}

var _ qa.Store = (*Store)(nil)

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func notFound(format string, args ...any) error {
	return capture.Errorf(capture.CodeNotFound, format, args...)
}

func conflict(format string, args ...any) error {
	return capture.Errorf(capture.CodeConflict, format, args...)
}

// --- people, sessions, invites ---

const personColumns = `id, email, name, role, reputation, password_hash, agent, team, created_at`

func scanPerson(row interface{ Scan(...any) error }) (qa.Person, error) {
	var p qa.Person
	var role, agent string
	var created int64
	if err := row.Scan(&p.ID, &p.Email, &p.Name, &role, &p.Reputation, &p.PasswordHash, &agent, &p.Team, &created); err != nil {
		return p, err
	}
	p.Role = qa.Role(role)
	p.CreatedAt = fromNanos(created)
	if err := json.Unmarshal([]byte(agent), &p.Agent); err != nil {
		return p, fmt.Errorf("decode stored agent: %w", err)
	}
	return p, nil
}

// CreatePerson stores p with a new ID; see qa.Store.
func (s *Store) CreatePerson(ctx context.Context, p qa.Person, inviteHash string) (qa.Person, error) {
	agent, err := json.Marshal(p.Agent)
	if err != nil {
		return qa.Person{}, internal(err, "create person")
	}
	err = s.writeTx(ctx, "create person", func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `INSERT INTO qa_people (email, name, role, reputation, password_hash, agent, team, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Email, p.Name, string(p.Role), p.Reputation, p.PasswordHash, string(agent), p.Team, nanos(p.CreatedAt))
		if isUniqueViolation(err) {
			return conflict("someone already signed up with %s", p.Email)
		}
		if err != nil {
			return err
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if inviteHash == "" {
			return nil
		}
		res, err = s.txExec(ctx, tx, `UPDATE qa_invites SET used_by = ? WHERE token_hash = ? AND used_by = 0 AND expires_at > ? AND (email = '' OR email = ?)`,
			p.ID, inviteHash, nanos(p.CreatedAt), p.Email)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return capture.Errorf(capture.CodeInvalid, "invite: this invite link is unknown, used, expired or for another address")
		}
		return nil
	})
	return p, err
}

// Person returns the person with id, or CodeNotFound.
func (s *Store) Person(ctx context.Context, id int64) (qa.Person, error) {
	return s.onePerson(ctx, `SELECT `+personColumns+` FROM qa_people WHERE id = ?`, id)
}

// PersonByEmail returns the person with email, or CodeNotFound.
func (s *Store) PersonByEmail(ctx context.Context, email string) (qa.Person, error) {
	return s.onePerson(ctx, `SELECT `+personColumns+` FROM qa_people WHERE email = ?`, email)
}

func (s *Store) onePerson(ctx context.Context, query string, arg any) (qa.Person, error) {
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return qa.Person{}, internal(err, "person")
	}
	p, err := scanPerson(st.QueryRowContext(ctx, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return qa.Person{}, notFound("no such person")
	}
	if err != nil {
		return qa.Person{}, internal(err, "person")
	}
	return p, nil
}

// People returns the people among ids, keyed by id.
func (s *Store) People(ctx context.Context, ids []int64) (map[int64]qa.Person, error) {
	out := make(map[int64]qa.Person, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+personColumns+` FROM qa_people WHERE id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, internal(err, "people")
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, internal(err, "people")
		}
		out[p.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "people")
	}
	return out, nil
}

// CountPeople returns how many people exist.
func (s *Store) CountPeople(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM qa_people`).Scan(&n); err != nil {
		return 0, internal(err, "count people")
	}
	return n, nil
}

// SetRole sets a person's role; CodeNotFound for an unknown id.
func (s *Store) SetRole(ctx context.Context, id int64, role qa.Role) error {
	return s.writeTx(ctx, "set role", func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `UPDATE qa_people SET role = ? WHERE id = ?`, string(role), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("no such person")
		}
		return nil
	})
}

// SetTeam sets a person's team; CodeNotFound for an unknown id.
func (s *Store) SetTeam(ctx context.Context, id int64, team string) error {
	return s.writeTx(ctx, "set team", func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `UPDATE qa_people SET team = ? WHERE id = ?`, team, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("no such person")
		}
		return nil
	})
}

// likePattern makes text a LIKE pattern matching it anywhere, with \ as the escape.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(text)) + "%"
}

// ListPeople returns a page of people in id order; see qa.Store. The text matches
// case-insensitively (ASCII letters) anywhere in the name or email.
func (s *Store) ListPeople(ctx context.Context, q qa.PeopleQuery) ([]qa.Person, error) {
	query := `SELECT ` + personColumns + ` FROM qa_people WHERE id > ?`
	args := []any{q.After}
	if q.Text != "" {
		query += ` AND (lower(name) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`
		pat := likePattern(q.Text)
		args = append(args, pat, pat)
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, q.Limit)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, internal(err, "list people")
	}
	defer rows.Close()
	var out []qa.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, internal(err, "list people")
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "list people")
	}
	return out, nil
}

// CreateSession stores a session; CodeConflict for a repeated token.
func (s *Store) CreateSession(ctx context.Context, sess qa.Session) error {
	return s.writeTx(ctx, "create session", func(tx *sql.Tx) error {
		// Expired sessions go when new ones come, so the table stays small.
		if _, err := s.txExec(ctx, tx, `DELETE FROM qa_sessions WHERE expires_at <= ?`, nanos(sess.CreatedAt)); err != nil {
			return err
		}
		_, err := s.txExec(ctx, tx, `INSERT INTO qa_sessions (token_hash, person_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			sess.TokenHash, sess.PersonID, sess.CSRF, nanos(sess.CreatedAt), nanos(sess.ExpiresAt))
		if isUniqueViolation(err) {
			return conflict("session exists")
		}
		return err
	})
}

// Session returns the session with tokenHash, or CodeNotFound.
func (s *Store) Session(ctx context.Context, tokenHash string) (qa.Session, error) {
	st, err := s.readStmt(ctx, `SELECT token_hash, person_id, csrf, created_at, expires_at FROM qa_sessions WHERE token_hash = ?`)
	if err != nil {
		return qa.Session{}, internal(err, "session")
	}
	var sess qa.Session
	var created, expires int64
	err = st.QueryRowContext(ctx, tokenHash).Scan(&sess.TokenHash, &sess.PersonID, &sess.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return qa.Session{}, notFound("no such session")
	}
	if err != nil {
		return qa.Session{}, internal(err, "session")
	}
	sess.CreatedAt, sess.ExpiresAt = fromNanos(created), fromNanos(expires)
	return sess, nil
}

// DeleteSession removes a session; an absent one is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.writeTx(ctx, "delete session", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM qa_sessions WHERE token_hash = ?`, tokenHash)
		return err
	})
}

// CreateInvite stores an invite; CodeConflict for a repeated token.
func (s *Store) CreateInvite(ctx context.Context, inv qa.Invite) error {
	return s.writeTx(ctx, "create invite", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO qa_invites (token_hash, email, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			inv.TokenHash, inv.Email, inv.CreatedBy, nanos(inv.CreatedAt), nanos(inv.ExpiresAt))
		if isUniqueViolation(err) {
			return conflict("invite exists")
		}
		return err
	})
}

// --- posts ---

const postColumns = `id, kind, question_id, parent_id, author_id, title, body, tags, score, answer_count, accepted_id, duplicate_of, deleted, version, created_at, updated_at`

func scanPost(row interface{ Scan(...any) error }) (qa.Post, error) {
	var p qa.Post
	var kind, tags string
	var created, updated int64
	if err := row.Scan(&p.ID, &kind, &p.QuestionID, &p.ParentID, &p.AuthorID, &p.Title, &p.Body, &tags, &p.Score, &p.AnswerCount,
		&p.AcceptedID, &p.DuplicateOf, &p.Deleted, &p.Version, &created, &updated); err != nil {
		return p, err
	}
	p.Kind = qa.PostKind(kind)
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	var err error
	p.Tags, err = decodeList(tags)
	return p, err
}

func scanPosts(rows *sql.Rows) ([]qa.Post, error) {
	defer rows.Close()
	var out []qa.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func encodeTags(tags []string) string {
	b, _ := json.Marshal(nonNil(tags))
	return string(b)
}

// addTags indexes a question under tags and counts them.
func (s *Store) addTags(ctx context.Context, tx *sql.Tx, id int64, tags []string) error {
	for _, t := range tags {
		if _, err := s.txExec(ctx, tx, `INSERT INTO qa_post_tags (tag, post_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, t, id); err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO qa_tags (name, questions) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET questions = questions + 1`, t); err != nil {
			return err
		}
	}
	return nil
}

// dropTags reverses addTags.
func (s *Store) dropTags(ctx context.Context, tx *sql.Tx, id int64, tags []string) error {
	for _, t := range tags {
		if _, err := s.txExec(ctx, tx, `DELETE FROM qa_post_tags WHERE tag = ? AND post_id = ?`, t, id); err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `UPDATE qa_tags SET questions = max(0, questions - 1) WHERE name = ?`, t); err != nil {
			return err
		}
	}
	return nil
}

// CreatePost stores p with a new ID; see qa.Store.
func (s *Store) CreatePost(ctx context.Context, p qa.Post) (qa.Post, error) {
	err := s.writeTx(ctx, "create post", func(tx *sql.Tx) error {
		if p.Kind == qa.KindAnswer {
			res, err := s.txExec(ctx, tx, `UPDATE qa_posts SET answer_count = answer_count + 1 WHERE id = ? AND kind = 'question' AND deleted = 0`, p.QuestionID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return notFound("no question %d", p.QuestionID)
			}
		}
		res, err := s.txExec(ctx, tx, `INSERT INTO qa_posts (kind, question_id, parent_id, author_id, title, body, tags, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(p.Kind), p.QuestionID, p.ParentID, p.AuthorID, p.Title, p.Body, encodeTags(p.Tags), p.Version, nanos(p.CreatedAt), nanos(p.UpdatedAt))
		if err != nil {
			return err
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if p.Kind != qa.KindQuestion {
			return nil
		}
		p.QuestionID = p.ID
		if _, err := s.txExec(ctx, tx, `UPDATE qa_posts SET question_id = id WHERE id = ?`, p.ID); err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO qa_search (rowid, title, body) VALUES (?, ?, ?)`, p.ID, p.Title, p.Body); err != nil {
			return err
		}
		return s.addTags(ctx, tx, p.ID, p.Tags)
	})
	return p, err
}

// Post returns the post with id, or CodeNotFound.
func (s *Store) Post(ctx context.Context, id int64) (qa.Post, error) {
	st, err := s.readStmt(ctx, `SELECT `+postColumns+` FROM qa_posts WHERE id = ?`)
	if err != nil {
		return qa.Post{}, internal(err, "post")
	}
	p, err := scanPost(st.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return qa.Post{}, notFound("no post %d", id)
	}
	if err != nil {
		return qa.Post{}, internal(err, "post")
	}
	return p, nil
}

// txPost reads a post inside a write transaction.
func (s *Store) txPost(ctx context.Context, tx *sql.Tx, id int64) (qa.Post, error) {
	rows, err := s.txQuery(ctx, tx, `SELECT `+postColumns+` FROM qa_posts WHERE id = ?`, id)
	if err != nil {
		return qa.Post{}, err
	}
	list, err := scanPosts(rows)
	if err != nil {
		return qa.Post{}, err
	}
	if len(list) == 0 {
		return qa.Post{}, notFound("no post %d", id)
	}
	return list[0], nil
}

// EditPost replaces a post's content at p.Version; see qa.Store.
func (s *Store) EditPost(ctx context.Context, p qa.Post, rev qa.Revision) error {
	return s.writeTx(ctx, "edit post", func(tx *sql.Tx) error {
		old, err := s.txPost(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if old.Deleted {
			return notFound("post %d was deleted", p.ID)
		}
		if old.Version != p.Version {
			return conflict("this post was changed since you opened it: reload and edit again")
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO qa_revisions (post_id, version, editor_id, title, body, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			rev.PostID, rev.Version, rev.EditorID, rev.Title, rev.Body, encodeTags(rev.Tags), nanos(rev.CreatedAt)); err != nil {
			return err
		}
		if _, err := s.txExec(ctx, tx, `UPDATE qa_posts SET title = ?, body = ?, tags = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			p.Title, p.Body, encodeTags(p.Tags), nanos(p.UpdatedAt), p.ID); err != nil {
			return err
		}
		if old.Kind != qa.KindQuestion {
			return nil
		}
		if _, err := s.txExec(ctx, tx, `UPDATE qa_search SET title = ?, body = ? WHERE rowid = ?`, p.Title, p.Body, p.ID); err != nil {
			return err
		}
		gone, added := qa.TagChanges(old.Tags, p.Tags)
		if err := s.dropTags(ctx, tx, p.ID, gone); err != nil {
			return err
		}
		return s.addTags(ctx, tx, p.ID, added)
	})
}

// Revisions returns a post's earlier contents, newest first.
func (s *Store) Revisions(ctx context.Context, postID int64) ([]qa.Revision, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT post_id, version, editor_id, title, body, tags, created_at FROM qa_revisions WHERE post_id = ? ORDER BY version DESC`, postID)
	if err != nil {
		return nil, internal(err, "revisions")
	}
	defer rows.Close()
	var out []qa.Revision
	for rows.Next() {
		var r qa.Revision
		var tags string
		var created int64
		if err := rows.Scan(&r.PostID, &r.Version, &r.EditorID, &r.Title, &r.Body, &tags, &created); err != nil {
			return nil, internal(err, "revisions")
		}
		r.CreatedAt = fromNanos(created)
		if r.Tags, err = decodeList(tags); err != nil {
			return nil, internal(err, "revisions")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "revisions")
	}
	return out, nil
}

// Thread returns a question's live answers and comments, oldest first.
func (s *Store) Thread(ctx context.Context, questionID int64) ([]qa.Post, error) {
	st, err := s.readStmt(ctx, `SELECT `+postColumns+` FROM qa_posts WHERE question_id = ? AND kind <> 'question' AND deleted = 0 ORDER BY id`)
	if err != nil {
		return nil, internal(err, "thread")
	}
	rows, err := st.QueryContext(ctx, questionID)
	if err != nil {
		return nil, internal(err, "thread")
	}
	out, err := scanPosts(rows)
	if err != nil {
		return nil, internal(err, "thread")
	}
	return out, nil
}

// ftsQuery turns free text into an FTS5 query of quoted words (no operator a user
// types has any effect): all words, or with anyWord any of them, the last as a prefix.
func ftsQuery(text string, anyWord bool) string {
	words := strings.Fields(text)
	if len(words) > 16 {
		words = words[:16]
	}
	parts := make([]string, 0, len(words))
	for i, w := range words {
		q := `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		if anyWord && i == len(words)-1 {
			q += "*"
		}
		parts = append(parts, q)
	}
	sep := " "
	if anyWord {
		sep = " OR "
	}
	return strings.Join(parts, sep)
}

// ListQuestions returns a keyset page of questions; see qa.Store.
func (s *Store) ListQuestions(ctx context.Context, q qa.QuestionQuery) ([]qa.Post, error) {
	var where []string
	var args []any
	from := `qa_posts p`
	order := `p.id DESC`
	cursorCol := `p.id`
	switch {
	case strings.TrimSpace(q.Text) != "":
		fts := ftsQuery(q.Text, q.AnyWord)
		if fts == "" {
			return nil, nil
		}
		from = `qa_search JOIN qa_posts p ON p.id = qa_search.rowid`
		where = append(where, `qa_search MATCH ?`)
		args = append(args, fts)
		order = `qa_search.rowid DESC`
		cursorCol = `qa_search.rowid`
	case q.Tag != "":
		from = `qa_post_tags t JOIN qa_posts p ON p.id = t.post_id`
		where = append(where, `t.tag = ?`)
		args = append(args, q.Tag)
		if q.Sort != qa.SortVotes {
			order = `t.post_id DESC`
			cursorCol = `t.post_id`
		}
	}
	if q.Text != "" && q.Tag != "" {
		where = append(where, `EXISTS (SELECT 1 FROM qa_post_tags t WHERE t.tag = ? AND t.post_id = p.id)`)
		args = append(args, q.Tag)
	}
	where = append(where, `p.kind = 'question'`, `p.deleted = 0`)
	if q.AuthorID != 0 {
		where = append(where, `p.author_id = ?`)
		args = append(args, q.AuthorID)
	}
	if !q.Since.IsZero() {
		where = append(where, `p.created_at >= ?`)
		args = append(args, nanos(q.Since))
	}
	sortVotes := q.Sort == qa.SortVotes && q.Text == ""
	if q.Sort == qa.SortUnanswered {
		where = append(where, `p.answer_count = 0`)
	}
	if sortVotes {
		order = `p.score DESC, p.id DESC`
		if q.After.ID != 0 {
			where = append(where, `(p.score, p.id) < (?, ?)`)
			args = append(args, q.After.Score, q.After.ID)
		}
	} else if q.After.ID != 0 {
		where = append(where, cursorCol+` < ?`)
		args = append(args, q.After.ID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	cols := strings.ReplaceAll(`p.`+postColumns, `, `, `, p.`)
	query := `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY ` + order + ` LIMIT ?`
	args = append(args, limit)
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return nil, internal(err, "list questions")
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, internal(err, "list questions")
	}
	out, err := scanPosts(rows)
	if err != nil {
		return nil, internal(err, "list questions")
	}
	return out, nil
}

// PostsBy returns a person's live posts of kind, newest first.
func (s *Store) PostsBy(ctx context.Context, authorID int64, kind qa.PostKind, limit int) ([]qa.Post, error) {
	if limit <= 0 {
		limit = 20
	}
	st, err := s.readStmt(ctx, `SELECT `+postColumns+` FROM qa_posts WHERE author_id = ? AND kind = ? AND deleted = 0 ORDER BY id DESC LIMIT ?`)
	if err != nil {
		return nil, internal(err, "posts by")
	}
	rows, err := st.QueryContext(ctx, authorID, string(kind), limit)
	if err != nil {
		return nil, internal(err, "posts by")
	}
	out, err := scanPosts(rows)
	if err != nil {
		return nil, internal(err, "posts by")
	}
	return out, nil
}

// DeletePost marks a post (and its dependants) deleted; see qa.Store.
func (s *Store) DeletePost(ctx context.Context, id int64) error {
	return s.writeTx(ctx, "delete post", func(tx *sql.Tx) error {
		p, err := s.txPost(ctx, tx, id)
		if err != nil || p.Deleted {
			return err
		}
		switch p.Kind {
		case qa.KindQuestion:
			if _, err := s.txExec(ctx, tx, `UPDATE qa_posts SET deleted = 1 WHERE question_id = ?`, id); err != nil {
				return err
			}
			if _, err := s.txExec(ctx, tx, `DELETE FROM qa_search WHERE rowid = ?`, id); err != nil {
				return err
			}
			return s.dropTags(ctx, tx, id, p.Tags)
		case qa.KindAnswer:
			if _, err := s.txExec(ctx, tx, `UPDATE qa_posts SET deleted = 1 WHERE id = ? OR (parent_id = ? AND kind = 'comment')`, id, id); err != nil {
				return err
			}
			_, err := s.txExec(ctx, tx, `UPDATE qa_posts SET answer_count = max(0, answer_count - 1),
				accepted_id = CASE WHEN accepted_id = ? THEN 0 ELSE accepted_id END WHERE id = ?`, id, p.QuestionID)
			return err
		default:
			_, err := s.txExec(ctx, tx, `UPDATE qa_posts SET deleted = 1 WHERE id = ?`, id)
			return err
		}
	})
}

// CloseAsDuplicate records that question id duplicates question of.
func (s *Store) CloseAsDuplicate(ctx context.Context, id, of int64) error {
	return s.writeTx(ctx, "close question", func(tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `UPDATE qa_posts SET duplicate_of = ? WHERE id = ? AND kind = 'question'`, of, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("no question %d", id)
		}
		return nil
	})
}

// --- votes and accepted answers ---

// Vote returns a person's vote on a post.
func (s *Store) Vote(ctx context.Context, voterID, postID int64) (int, error) {
	st, err := s.readStmt(ctx, `SELECT value FROM qa_votes WHERE post_id = ? AND voter_id = ?`)
	if err != nil {
		return 0, internal(err, "vote")
	}
	var v int
	err = st.QueryRowContext(ctx, postID, voterID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, internal(err, "vote")
	}
	return v, nil
}

// applyReputation moves reputations inside tx.
func (s *Store) applyReputation(ctx context.Context, tx *sql.Tx, deltas []qa.ReputationDelta) error {
	for _, d := range deltas {
		if _, err := s.txExec(ctx, tx, `UPDATE qa_people SET reputation = max(?, reputation + ?) WHERE id = ?`, qa.MinReputation, d.Delta, d.PersonID); err != nil {
			return err
		}
	}
	return nil
}

// ApplyVote applies a vote change; see qa.Store.
func (s *Store) ApplyVote(ctx context.Context, c qa.VoteChange) error {
	return s.writeTx(ctx, "vote", func(tx *sql.Tx) error {
		var cur int
		rows, err := s.txQuery(ctx, tx, `SELECT value FROM qa_votes WHERE post_id = ? AND voter_id = ?`, c.PostID, c.VoterID)
		if err != nil {
			return err
		}
		if rows.Next() {
			if err := rows.Scan(&cur); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if cur != c.Prev {
			return conflict("your vote on this post changed meanwhile")
		}
		if c.Value == 0 {
			_, err = s.txExec(ctx, tx, `DELETE FROM qa_votes WHERE post_id = ? AND voter_id = ?`, c.PostID, c.VoterID)
		} else {
			_, err = s.txExec(ctx, tx, `INSERT INTO qa_votes (post_id, voter_id, value, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (post_id, voter_id) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`, c.PostID, c.VoterID, c.Value, nanos(c.At))
		}
		if err != nil {
			return err
		}
		res, err := s.txExec(ctx, tx, `UPDATE qa_posts SET score = score + ? WHERE id = ? AND deleted = 0`, c.Value-c.Prev, c.PostID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("no post %d", c.PostID)
		}
		return s.applyReputation(ctx, tx, c.Reputation)
	})
}

// Accept sets a question's accepted answer; see qa.Store.
func (s *Store) Accept(ctx context.Context, c qa.AcceptChange) error {
	return s.writeTx(ctx, "accept", func(tx *sql.Tx) error {
		q, err := s.txPost(ctx, tx, c.QuestionID)
		if err != nil {
			return err
		}
		if q.AcceptedID != c.Prev {
			return conflict("the accepted answer changed meanwhile")
		}
		if _, err := s.txExec(ctx, tx, `UPDATE qa_posts SET accepted_id = ? WHERE id = ?`, c.AnswerID, c.QuestionID); err != nil {
			return err
		}
		return s.applyReputation(ctx, tx, c.Reputation)
	})
}

// --- tags and follows ---

// Tags returns the most used tags starting with prefix.
func (s *Store) Tags(ctx context.Context, prefix string, limit int) ([]qa.Tag, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name, questions, (SELECT count(*) FROM qa_follows f WHERE f.tag = name)
		FROM qa_tags WHERE questions > 0 AND substr(name, 1, ?) = ? ORDER BY questions DESC, name LIMIT ?`, len(prefix), prefix, limit)
	if err != nil {
		return nil, internal(err, "tags")
	}
	defer rows.Close()
	var out []qa.Tag
	for rows.Next() {
		var t qa.Tag
		if err := rows.Scan(&t.Name, &t.Questions, &t.Followers); err != nil {
			return nil, internal(err, "tags")
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "tags")
	}
	return out, nil
}

// Tag returns one tag or CodeNotFound.
func (s *Store) Tag(ctx context.Context, name string) (qa.Tag, error) {
	t := qa.Tag{Name: name}
	err := s.r.QueryRowContext(ctx, `SELECT questions, (SELECT count(*) FROM qa_follows f WHERE f.tag = ?) FROM qa_tags WHERE name = ?`, name, name).Scan(&t.Questions, &t.Followers)
	if errors.Is(err, sql.ErrNoRows) {
		return qa.Tag{}, notFound("no tag %q", name)
	}
	if err != nil {
		return qa.Tag{}, internal(err, "tag")
	}
	return t, nil
}

// Follow starts or stops a person following a tag.
func (s *Store) Follow(ctx context.Context, personID int64, tag string, on bool) error {
	return s.writeTx(ctx, "follow", func(tx *sql.Tx) error {
		var err error
		if on {
			_, err = s.txExec(ctx, tx, `INSERT INTO qa_follows (person_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING`, personID, tag)
		} else {
			_, err = s.txExec(ctx, tx, `DELETE FROM qa_follows WHERE person_id = ? AND tag = ?`, personID, tag)
		}
		return err
	})
}

// FollowedTags returns the tags a person follows, sorted.
func (s *Store) FollowedTags(ctx context.Context, personID int64) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT tag FROM qa_follows WHERE person_id = ? ORDER BY tag`, personID)
	if err != nil {
		return nil, internal(err, "followed tags")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, internal(err, "followed tags")
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "followed tags")
	}
	return out, nil
}

// TagFollowers returns the people following any of tags, each once.
func (s *Store) TagFollowers(ctx context.Context, tags []string) ([]int64, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	args := make([]any, len(tags))
	for i, t := range tags {
		args[i] = t
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT person_id FROM qa_follows WHERE tag IN (`+placeholders(len(tags))+`) ORDER BY person_id`, args...)
	if err != nil {
		return nil, internal(err, "tag followers")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, internal(err, "tag followers")
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "tag followers")
	}
	return out, nil
}

// --- statement links and notifications ---

// LinkStatements records statement links; repeats are no-ops.
func (s *Store) LinkStatements(ctx context.Context, links []qa.StatementLink) error {
	if len(links) == 0 {
		return nil
	}
	return s.writeTx(ctx, "link statements", func(tx *sql.Tx) error {
		for _, l := range links {
			if _, err := s.txExec(ctx, tx, `INSERT INTO qa_statement_links (post_id, statement_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, l.PostID, l.StatementID); err != nil {
				return err
			}
		}
		return nil
	})
}

// StatementsOf returns the statement ids linked to the posts, each once.
func (s *Store) StatementsOf(ctx context.Context, postIDs []int64) ([]string, error) {
	if len(postIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(postIDs))
	for i, id := range postIDs {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT statement_id FROM qa_statement_links WHERE post_id IN (`+placeholders(len(postIDs))+`) ORDER BY statement_id`, args...)
	if err != nil {
		return nil, internal(err, "statements of posts")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, internal(err, "statements of posts")
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "statements of posts")
	}
	return out, nil
}

// AddNotification stores a notification.
func (s *Store) AddNotification(ctx context.Context, n qa.StoredNotification) error {
	return s.writeTx(ctx, "add notification", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO qa_notifications (person_id, kind, text, url, created_at) VALUES (?, ?, ?, ?, ?)`,
			n.PersonID, string(n.Kind), n.Text, n.URL, nanos(n.CreatedAt))
		return err
	})
}

// Notifications returns a person's newest notifications.
func (s *Store) Notifications(ctx context.Context, personID int64, limit int) ([]qa.StoredNotification, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, person_id, kind, text, url, created_at, read FROM qa_notifications WHERE person_id = ? ORDER BY id DESC LIMIT ?`, personID, limit)
	if err != nil {
		return nil, internal(err, "notifications")
	}
	defer rows.Close()
	var out []qa.StoredNotification
	for rows.Next() {
		var n qa.StoredNotification
		var kind string
		var created int64
		if err := rows.Scan(&n.ID, &n.PersonID, &kind, &n.Text, &n.URL, &created, &n.Read); err != nil {
			return nil, internal(err, "notifications")
		}
		n.Kind, n.CreatedAt = qa.NotificationKind(kind), fromNanos(created)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "notifications")
	}
	return out, nil
}

// UnreadNotifications counts a person's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, personID int64) (int, error) {
	st, err := s.readStmt(ctx, `SELECT count(*) FROM qa_notifications WHERE person_id = ? AND read = 0`)
	if err != nil {
		return 0, internal(err, "unread notifications")
	}
	var n int
	if err := st.QueryRowContext(ctx, personID).Scan(&n); err != nil {
		return 0, internal(err, "unread notifications")
	}
	return n, nil
}

// MarkNotificationsRead marks a person's notifications read.
func (s *Store) MarkNotificationsRead(ctx context.Context, personID int64) error {
	return s.writeTx(ctx, "mark notifications read", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `UPDATE qa_notifications SET read = 1 WHERE person_id = ? AND read = 0`, personID)
		return err
	})
}

// TopAnswerers returns the most helpful answerers; see qa.Store. It reads the first
// rows of qa_answerer_rank (the per-person figures the qa_posts triggers keep).
func (s *Store) TopAnswerers(ctx context.Context, limit int) ([]qa.Answerer, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT person_id, answers, accepted, score FROM qa_answerer_stats INDEXED BY qa_answerer_rank
		WHERE answers > 0 ORDER BY accepted DESC, score DESC, answers DESC, person_id LIMIT ?`, limit)
	if err != nil {
		return nil, internal(err, "top answerers")
	}
	defer rows.Close()
	var out []qa.Answerer
	for rows.Next() {
		var a qa.Answerer
		if err := rows.Scan(&a.PersonID, &a.Answers, &a.Accepted, &a.Score); err != nil {
			return nil, internal(err, "top answerers")
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "top answerers")
	}
	return out, nil
}

// OldestUnanswered returns live questions without answers, oldest first; see qa.Store.
func (s *Store) OldestUnanswered(ctx context.Context, limit int) ([]qa.Post, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+postColumns+` FROM qa_posts INDEXED BY qa_questions_unanswered
		WHERE kind = 'question' AND deleted = 0 AND answer_count = 0 ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, internal(err, "unanswered questions")
	}
	out, err := scanPosts(rows)
	if err != nil {
		return nil, internal(err, "unanswered questions")
	}
	return out, nil
}
