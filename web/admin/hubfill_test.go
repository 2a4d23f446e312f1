package admin_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/qa"
)

// fillHub gives the embedded store at path 1,000 people, nq questions and na answers
// with plain INSERTs in one transaction (the rows the store writes, minus search and
// tags, which the report page does not read): answers spread over the questions, scores
// 0..9, a third of the questions with an accepted answer, every tenth unanswered.
func fillHub(tb testing.TB, path string, nq, na int) {
	tb.Helper()
	st, err := sqlitestore.Open(tb.Context(), path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var people []int64
	for i := range 1000 {
		p, err := st.CreatePerson(tb.Context(), qa.Person{Email: fmt.Sprintf("p%d@example.com", i), Name: fmt.Sprintf("Person %d", i), Role: qa.RoleMember,
			PasswordHash: "x", Agent: map[string]any{"mbox": fmt.Sprintf("mailto:p%d@example.com", i)}, CreatedAt: time.Now()}, "")
		if err != nil {
			tb.Fatal(err)
		}
		people = append(people, p.ID)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=synchronous(off)&_pragma=journal_mode(wal)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO qa_posts (id, kind, question_id, parent_id, author_id, title, body, tags, score, answer_count, accepted_id, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, 1, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	answersOf := make([]int, nq+1)
	open := func(q int) bool { return q%10 == 0 }
	for left := na; left > 0; {
		if q := 1 + rng.IntN(nq); !open(q) {
			answersOf[q]++
			left--
		}
	}
	t0 := time.Now().Add(-time.Duration(nq) * time.Minute)
	id := int64(nq)
	for q := 1; q <= nq; q++ {
		at := t0.Add(time.Duration(q) * time.Minute).UnixNano()
		var accepted int64
		if answersOf[q] > 0 && q%3 == 0 {
			accepted = id + 1
		}
		if _, err := ins.Exec(q, "question", q, q, people[rng.IntN(len(people))], fmt.Sprintf("Question %d about something", q), "body", rng.IntN(20), answersOf[q], accepted, at, at); err != nil {
			tb.Fatal(err)
		}
		for range answersOf[q] {
			id++
			if _, err := ins.Exec(id, "answer", q, q, people[rng.IntN(len(people))], "", "an answer", rng.IntN(10), 0, 0, at, at); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA optimize; ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}
