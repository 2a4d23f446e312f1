package hub_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/web"
	"github.com/cairn-lrs/cairn/web/hub"
)

// TestHubLoad is a load run, not a timed test: with CAIRN_HUB_LOAD=QUESTIONS:ANSWERS
// (e.g. 100000:500000) it fills an embedded store with that many questions and
// answers (200 questions with 50 answers each, the rest spread over the others),
// then serves the main pages in-process through the whole app and prints the server
// time percentiles of each. Results: docs/PERFORMANCE.md.
func TestHubLoad(t *testing.T) {
	spec := os.Getenv("CAIRN_HUB_LOAD")
	if spec == "" {
		t.Skip("load run: set CAIRN_HUB_LOAD=QUESTIONS:ANSWERS, e.g. 100000:500000")
	}
	qs, as, ok := strings.Cut(spec, ":")
	nq, err1 := strconv.Atoi(qs)
	na, err2 := strconv.Atoi(as)
	if !ok || err1 != nil || err2 != nil || nq < 1000 {
		t.Fatalf("CAIRN_HUB_LOAD=%q: want QUESTIONS:ANSWERS with at least 1000 questions", spec)
	}
	dir := os.Getenv("CAIRN_HUB_LOAD_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "hubload.db")
	start := time.Now()
	if _, err := os.Stat(path); err != nil {
		fill(t, path, nq, na)
	}
	t.Logf("store ready in %s", time.Since(start).Round(time.Second))

	st, err := sqlitestore.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const base = "http://hub.example.com"
	stmts := capture.NewStatementService(capture.StatementServiceConfig{Store: st})
	svc := qa.NewService(qa.Config{Store: st, Statements: stmts, BaseURL: base})
	app := web.New(web.Config{Statements: stmts, Documents: capture.NewDocumentService(st, nil), Credentials: capture.NewCredentialService(st, base, nil), Ready: st.Ping, Logger: logger()})
	hub.New(hub.Config{Service: svc, Logger: logger()}).Mount(app)

	rng := rand.New(rand.NewPCG(1, 2))
	vocab := words()
	deep := func() string { // a page position about halfway down the newest list
		return fmt.Sprintf("/?after=0:%d", nq/2)
	}
	cases := []struct {
		name string
		path func() string
	}{
		{"question list, newest, first page", func() string { return "/" }},
		{"question list, newest, page at 50%", deep},
		{"question list, by votes", func() string { return "/?sort=votes" }},
		{"question list, unanswered", func() string { return "/?sort=unanswered" }},
		{"tag page", func() string { return fmt.Sprintf("/tags/tag%d", rng.IntN(50)) }},
		{"question page with 50 answers", func() string { return fmt.Sprintf("/questions/%d", 1+rng.IntN(200)) }},
		{"question page, typical", func() string { return fmt.Sprintf("/questions/%d", 201+rng.IntN(nq-200)) }},
		{"search, one word", func() string { return "/?q=" + vocab[rng.IntN(len(vocab))] }},
		{"search, two words", func() string { return "/?q=" + vocab[rng.IntN(len(vocab))] + "+" + vocab[rng.IntN(200)] }},
		{"similar questions (API)", nil},
	}
	fmt.Printf("\n%d questions, %d answers, SQLite, in-process requests (server time)\n\n", nq, na)
	fmt.Println("| page | requests | p50 | p95 | p99 | max |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	const n = 300
	for _, c := range cases {
		if c.path == nil {
			continue
		}
		var lat []time.Duration
		for i := range n + 20 {
			req := httptest.NewRequest("GET", c.path(), nil)
			t0 := time.Now()
			res, err := app.Test(req, -1)
			d := time.Since(t0)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("%s: %v %v", c.name, res.Status, err)
			}
			res.Body.Close()
			if i >= 20 { // warm-up
				lat = append(lat, d)
			}
		}
		slices.Sort(lat)
		pct := func(p float64) string {
			return fmt.Sprintf("%.2f ms", float64(lat[int(p*float64(len(lat)-1))].Microseconds())/1000)
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s |\n", c.name, len(lat), pct(0.5), pct(0.95), pct(0.99), pct(1))
	}
}

// words is the vocabulary of generated posts: word0 … word1999, skewed by position.
func words() []string {
	out := make([]string, 2000)
	for i := range out {
		out[i] = "word" + strconv.Itoa(i)
	}
	return out
}

// fill builds the load store with plain INSERTs in one transaction: the same rows the
// store writes (posts, tags, search index), much faster than one write per post.
func fill(t *testing.T, path string, nq, na int) {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var people []qa.Person
	for i := range 1000 {
		p, err := st.CreatePerson(ctx, qa.Person{Email: fmt.Sprintf("p%d@example.com", i), Name: fmt.Sprintf("Person %d", i), Role: qa.RoleMember,
			Reputation: 1 + i, PasswordHash: "x", Agent: map[string]any{"mbox": fmt.Sprintf("mailto:p%d@example.com", i)}, CreatedAt: time.Now()}, "")
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, p)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(off)&_pragma=journal_mode(wal)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	prep := func(q string) *sql.Stmt {
		s, err := tx.Prepare(q)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	insPost := prep(`INSERT INTO qa_posts (id, kind, question_id, parent_id, author_id, title, body, tags, score, answer_count, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`)
	insFTS := prep(`INSERT INTO qa_search (rowid, title, body) VALUES (?, ?, ?)`)
	insTag := prep(`INSERT INTO qa_post_tags (tag, post_id) VALUES (?, ?)`)
	rng := rand.New(rand.NewPCG(7, 9))
	vocab := words()
	word := func() string { // skewed: low numbers are common
		return vocab[int(float64(len(vocab))*rng.Float64()*rng.Float64())]
	}
	text := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = word()
		}
		return strings.Join(w, " ")
	}
	answersOf := make([]int, nq+1)
	left := na
	for q := 1; q <= 200 && left >= 50; q++ {
		answersOf[q] = 50
		left -= 50
	}
	for left > 0 {
		q := 201 + rng.IntN(nq-200)
		answersOf[q]++
		left--
	}
	tagCount := map[string]int{}
	t0 := time.Now().Add(-time.Duration(nq) * time.Minute)
	for q := 1; q <= nq; q++ {
		var tags []string
		for range 1 + rng.IntN(3) {
			tg := fmt.Sprintf("tag%d", int(200*rng.Float64()*rng.Float64()))
			if !slices.Contains(tags, tg) {
				tags = append(tags, tg)
			}
		}
		tj, _ := json.Marshal(tags)
		title, body := "How to "+text(8)+"?", text(60)
		at := t0.Add(time.Duration(q) * time.Minute).UnixNano()
		if _, err := insPost.Exec(q, "question", q, q, people[rng.IntN(len(people))].ID, title, body, string(tj), rng.IntN(20)-3, answersOf[q], at, at); err != nil {
			t.Fatal(err)
		}
		if _, err := insFTS.Exec(q, title, body); err != nil {
			t.Fatal(err)
		}
		for _, tg := range tags {
			if _, err := insTag.Exec(tg, q); err != nil {
				t.Fatal(err)
			}
			tagCount[tg]++
		}
	}
	id := nq
	for q := 1; q <= nq; q++ {
		for range answersOf[q] {
			id++
			at := t0.Add(time.Duration(q)*time.Minute + time.Second).UnixNano()
			if _, err := insPost.Exec(id, "answer", q, q, people[rng.IntN(len(people))].ID, "", text(40), "[]", rng.IntN(10), 0, at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	for tg, n := range tagCount {
		if _, err := tx.Exec(`INSERT INTO qa_tags (name, questions) VALUES (?, ?)`, tg, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA optimize; ANALYZE`); err != nil {
		t.Fatal(err)
	}
}
