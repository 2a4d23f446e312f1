package sqlitestore

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-lrs/cairn/qa"
)

// TestAnswererStatsBackfill opens a database whose hub was written before the
// answerer figures existed: the migration counts its answers, scores and accepted
// answers, and the triggers keep counting from there.
func TestAnswererStatsBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range qaMigrations[:1] {
		if _, err := db.ExecContext(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	// People 1..3; question 10 (accepted answer 11 by person 2), question 20 (deleted,
	// accepted answer 21 by person 3, deleted with it); answers 12 (person 3, score 4)
	// and 13 (person 2, deleted, score 9).
	if _, err := db.ExecContext(t.Context(), `
INSERT INTO qa_people (id, email, name, role, reputation, password_hash, agent, created_at) VALUES
	(1, 'a@example.com', 'A', 'member', 1, 'h', '{}', 0), (2, 'b@example.com', 'B', 'member', 1, 'h', '{}', 0), (3, 'c@example.com', 'C', 'member', 1, 'h', '{}', 0);
INSERT INTO qa_posts (id, kind, question_id, parent_id, author_id, title, body, tags, score, answer_count, accepted_id, deleted, version, created_at, updated_at) VALUES
	(10, 'question', 10, 10, 1, 'q', 'b', '[]', 0, 2, 11, 0, 1, 0, 0),
	(11, 'answer', 10, 10, 2, '', 'b', '[]', 1, 0, 0, 0, 1, 0, 0),
	(12, 'answer', 10, 10, 3, '', 'b', '[]', 4, 0, 0, 0, 1, 0, 0),
	(13, 'answer', 10, 10, 2, '', 'b', '[]', 9, 0, 0, 1, 1, 0, 0),
	(20, 'question', 20, 20, 1, 'q', 'b', '[]', 0, 1, 21, 1, 1, 0, 0),
	(21, 'answer', 20, 20, 3, '', 'b', '[]', 2, 0, 0, 1, 1, 0, 0);
CREATE TABLE schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO schema_versions (name, version) VALUES ('qa', 1);`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path)
	want := []qa.Answerer{{PersonID: 2, Answers: 1, Accepted: 1, Score: 1}, {PersonID: 3, Answers: 1, Accepted: 0, Score: 4}}
	if got, err := s.TopAnswerers(t.Context(), 10); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after the migration: %+v, %v; want %+v", got, err, want)
	}
	// The triggers carry on from the backfilled figures: un-accept 11, accept 12.
	if err := s.Accept(t.Context(), qa.AcceptChange{QuestionID: 10, Prev: 11, AnswerID: 12}); err != nil {
		t.Fatal(err)
	}
	want = []qa.Answerer{{PersonID: 3, Answers: 1, Accepted: 1, Score: 4}, {PersonID: 2, Answers: 1, Accepted: 0, Score: 1}}
	if got, err := s.TopAnswerers(t.Context(), 10); err != nil || !slices.Equal(got, want) {
		t.Fatalf("after accepting another answer: %+v, %v; want %+v", got, err, want)
	}
}

// BenchmarkAnswerWrites measures one answer, one vote on it and one accept (three hub
// writes) with the answerer-figure triggers and, for comparison, with them dropped.
func BenchmarkAnswerWrites(b *testing.B) {
	for _, withTriggers := range []bool{true, false} {
		name := "triggers"
		if !withTriggers {
			name = "no-triggers"
		}
		b.Run(name, func(b *testing.B) {
			s := openTemp(b)
			ctx := b.Context()
			if !withTriggers {
				for _, tr := range []string{"qa_answer_added", "qa_answer_changed", "qa_answer_removed", "qa_accepted_changed", "qa_question_added", "qa_question_removed"} {
					if _, err := s.w.ExecContext(ctx, `DROP TRIGGER `+tr); err != nil {
						b.Fatal(err)
					}
				}
			}
			var people []int64
			for i := range 2 {
				p, err := s.CreatePerson(ctx, qa.Person{Email: string(rune('a'+i)) + "@example.com", Name: "P", Role: qa.RoleMember, PasswordHash: "h", Agent: map[string]any{}}, "")
				if err != nil {
					b.Fatal(err)
				}
				people = append(people, p.ID)
			}
			for b.Loop() {
				q, err := s.CreatePost(ctx, qa.Post{Kind: qa.KindQuestion, AuthorID: people[0], Title: "A question", Body: "b", Version: 1})
				if err != nil {
					b.Fatal(err)
				}
				a, err := s.CreatePost(ctx, qa.Post{Kind: qa.KindAnswer, QuestionID: q.ID, ParentID: q.ID, AuthorID: people[1], Body: "a", Version: 1})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.ApplyVote(ctx, qa.VoteChange{VoterID: people[0], PostID: a.ID, Value: 1}); err != nil {
					b.Fatal(err)
				}
				if err := s.Accept(ctx, qa.AcceptChange{QuestionID: q.ID, AnswerID: a.ID}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
