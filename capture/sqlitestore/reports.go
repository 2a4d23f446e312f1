package sqlitestore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
)

var _ reports.Store = (*Store)(nil)

// reportsMigrations hold the report aggregates (capture/reports). Actor and object
// ids are interned in rollup_names so that the distinct-count rows stay short. Team
// "*" rows count everyone; other team rows count that team's people.
var reportsMigrations = []string{
	`
CREATE TABLE rollup_state (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	through INTEGER NOT NULL,
	zone    TEXT    NOT NULL
);
CREATE TABLE rollup_names (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
CREATE TABLE rollup_ws (
	week INTEGER NOT NULL, source TEXT NOT NULL, team TEXT NOT NULL,
	statements INTEGER NOT NULL, learners INTEGER NOT NULL,
	PRIMARY KEY (week, source, team)
) WITHOUT ROWID;
CREATE TABLE rollup_wsa (
	week INTEGER NOT NULL, source TEXT NOT NULL, actor INTEGER NOT NULL,
	PRIMARY KEY (week, source, actor)
) WITHOUT ROWID;
CREATE TABLE rollup_w (
	week INTEGER NOT NULL, team TEXT NOT NULL, learners INTEGER NOT NULL,
	PRIMARY KEY (week, team)
) WITHOUT ROWID;
CREATE TABLE rollup_wa (
	week INTEGER NOT NULL, actor INTEGER NOT NULL, team TEXT NOT NULL,
	PRIMARY KEY (week, actor)
) WITHOUT ROWID;
CREATE TABLE rollup_obj (
	object INTEGER PRIMARY KEY, kind TEXT NOT NULL,
	statements INTEGER NOT NULL, learners INTEGER NOT NULL
);
CREATE INDEX rollup_obj_top ON rollup_obj (kind, learners DESC, statements DESC);
CREATE TABLE rollup_oa (
	object INTEGER NOT NULL, actor INTEGER NOT NULL,
	PRIMARY KEY (object, actor)
) WITHOUT ROWID;
CREATE TABLE rollup_ta (
	team TEXT NOT NULL, actor INTEGER NOT NULL,
	PRIMARY KEY (team, actor)
) WITHOUT ROWID;
CREATE TABLE rollup_team (team TEXT PRIMARY KEY, people INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE rollup_void_ahead (id TEXT PRIMARY KEY) WITHOUT ROWID;
`,
}

// RollupState implements reports.Store.
func (s *Store) RollupState(ctx context.Context) (int64, string, error) {
	var through int64
	var zone string
	err := s.r.QueryRowContext(ctx, `SELECT through, zone FROM rollup_state WHERE id = 1`).Scan(&through, &zone)
	if err == sql.ErrNoRows {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", internal(err, "rollup state")
	}
	return through, zone, nil
}

// VoidedAhead implements reports.Store.
func (s *Store) VoidedAhead(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.readIn(ctx, "voided ahead", `SELECT id FROM rollup_void_ahead WHERE id IN (%s)`, ids, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		out[id] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ResetRollups implements reports.Store.
func (s *Store) ResetRollups(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.w.ExecContext(ctx, `DELETE FROM rollup_state; DELETE FROM rollup_names; DELETE FROM rollup_ws; DELETE FROM rollup_wsa;
DELETE FROM rollup_w; DELETE FROM rollup_wa; DELETE FROM rollup_obj; DELETE FROM rollup_oa; DELETE FROM rollup_ta; DELETE FROM rollup_team; DELETE FROM rollup_void_ahead;`)
	if err != nil {
		return internal(err, "reset rollups")
	}
	return nil
}

type wsKey struct {
	week   reports.Day
	source reports.Source
	team   string
}

type wKey struct {
	week reports.Day
	team string
}

type counts struct{ statements, learners int64 }

// ApplyRollup implements reports.Store in one transaction. Facts are summed in memory
// first, so each aggregate row is written once per batch.
func (s *Store) ApplyRollup(ctx context.Context, b reports.Batch, zone string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	defer s.prepareWanted()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "begin rollup")
	}
	defer tx.Rollback()
	var through int64 = 0
	switch err := tx.QueryRowContext(ctx, `SELECT through FROM rollup_state WHERE id = 1`).Scan(&through); err {
	case nil, sql.ErrNoRows:
	default:
		return internal(err, "rollup state")
	}
	if through != b.After {
		return capture.Errorf(capture.CodeConflict, "report figures are at %d, not %d", through, b.After)
	}
	if err := s.applyFacts(ctx, tx, b.Facts); err != nil {
		return internal(err, "apply rollup")
	}
	for _, id := range b.VoidAhead {
		if _, err := s.txExec(ctx, tx, `INSERT OR IGNORE INTO rollup_void_ahead (id) VALUES (?)`, id); err != nil {
			return internal(err, "void ahead")
		}
	}
	for _, id := range b.VoidAheadDone {
		if _, err := s.txExec(ctx, tx, `DELETE FROM rollup_void_ahead WHERE id = ?`, id); err != nil {
			return internal(err, "void ahead")
		}
	}
	if _, err := s.txExec(ctx, tx, `INSERT INTO rollup_state (id, through, zone) VALUES (1, ?, ?)
ON CONFLICT (id) DO UPDATE SET through = excluded.through, zone = excluded.zone`, b.Through, zone); err != nil {
		return internal(err, "rollup state")
	}
	if err := tx.Commit(); err != nil {
		return internal(err, "commit rollup")
	}
	return nil
}

// rowsPerInsert is how many rows one multi-row INSERT of the rollup carries.
const rowsPerInsert = 200

// applyFacts adds facts to the aggregates in tx. Names are interned first; then each
// distinct-count table gets one multi-row INSERT … ON CONFLICT DO NOTHING RETURNING
// per chunk, whose returned rows are exactly the new (bucket, person) pairs; then
// each aggregate row is upserted once with the batch's sums.
func (s *Store) applyFacts(ctx context.Context, tx *sql.Tx, facts []reports.Fact) error {
	names, err := s.internRollupNames(ctx, tx, facts)
	if err != nil {
		return err
	}
	type wsaKey struct {
		week   reports.Day
		source reports.Source
		actor  int64
	}
	type waKey struct {
		week  reports.Day
		actor int64
	}
	type oaKey struct{ object, actor int64 }
	ws := map[wsKey]*counts{}
	w := map[wKey]int64{}
	obj := map[string]*counts{}
	kinds := map[string]reports.Kind{}
	teamOf := map[int64]string{}
	wsa, wa, oa := map[wsaKey]bool{}, map[waKey]bool{}, map[oaKey]bool{}
	add := func(k wsKey) *counts {
		c := ws[k]
		if c == nil {
			c = &counts{}
			ws[k] = c
		}
		return c
	}
	for _, f := range facts {
		add(wsKey{f.Week, f.Source, "*"}).statements += int64(f.Sign)
		if f.Team != "" {
			add(wsKey{f.Week, f.Source, f.Team}).statements += int64(f.Sign)
		}
		actor := int64(0)
		if f.Actor != "" && f.Sign > 0 {
			actor = names["a:"+f.Actor]
			teamOf[actor] = f.Team
			wsa[wsaKey{f.Week, f.Source, actor}] = true
			wa[waKey{f.Week, actor}] = true
		}
		if f.Kind == reports.KindOther || f.Object == "" {
			continue
		}
		c := obj[f.Object]
		if c == nil {
			c = &counts{}
			obj[f.Object] = c
			kinds[f.Object] = f.Kind
		}
		c.statements += int64(f.Sign)
		if actor != 0 {
			oa[oaKey{names["o:"+f.Object], actor}] = true
		}
	}
	// The new (week, source, person) pairs count a learner for the week and source.
	rows := make([][]any, 0, len(wsa))
	for k := range wsa {
		rows = append(rows, []any{k.week, k.source, k.actor})
	}
	err = s.insertNew(ctx, tx, "rollup_wsa (week, source, actor)", 3, rows, func(r *sql.Rows) error {
		var k wsaKey
		if err := r.Scan(&k.week, &k.source, &k.actor); err != nil {
			return err
		}
		add(wsKey{k.week, k.source, "*"}).learners++
		if team := teamOf[k.actor]; team != "" {
			add(wsKey{k.week, k.source, team}).learners++
		}
		return nil
	})
	if err != nil {
		return err
	}
	rows = rows[:0]
	for k := range wa {
		rows = append(rows, []any{k.week, k.actor, teamOf[k.actor]})
	}
	err = s.insertNew(ctx, tx, "rollup_wa (week, actor, team)", 3, rows, func(r *sql.Rows) error {
		var week reports.Day
		var actor int64
		var team string
		if err := r.Scan(&week, &actor, &team); err != nil {
			return err
		}
		w[wKey{week, "*"}]++
		if team != "" {
			w[wKey{week, team}]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	rows = rows[:0]
	for actor, team := range teamOf {
		if team != "" {
			rows = append(rows, []any{team, actor})
		}
	}
	people := map[string]int64{}
	err = s.insertNew(ctx, tx, "rollup_ta (team, actor)", 2, rows, func(r *sql.Rows) error {
		var team string
		var actor int64
		if err := r.Scan(&team, &actor); err != nil {
			return err
		}
		people[team]++
		return nil
	})
	if err != nil {
		return err
	}
	rows = rows[:0]
	for team, n := range people {
		rows = append(rows, []any{team, n})
	}
	if err := s.upsertRows(ctx, tx, "rollup_team (team, people)", 2, rows, "(team) DO UPDATE SET people = people + excluded.people"); err != nil {
		return err
	}
	objectName := map[int64]string{}
	rows = rows[:0]
	for k := range oa {
		rows = append(rows, []any{k.object, k.actor})
	}
	for name, id := range names {
		if name[0] == 'o' {
			objectName[id] = name[2:]
		}
	}
	err = s.insertNew(ctx, tx, "rollup_oa (object, actor)", 2, rows, func(r *sql.Rows) error {
		var object, actor int64
		if err := r.Scan(&object, &actor); err != nil {
			return err
		}
		obj[objectName[object]].learners++
		return nil
	})
	if err != nil {
		return err
	}

	rows = rows[:0]
	for k, c := range ws {
		rows = append(rows, []any{k.week, k.source, k.team, c.statements, c.learners})
	}
	if err := s.upsertRows(ctx, tx, "rollup_ws (week, source, team, statements, learners)", 5, rows,
		"(week, source, team) DO UPDATE SET statements = statements + excluded.statements, learners = learners + excluded.learners"); err != nil {
		return err
	}
	rows = rows[:0]
	for k, n := range w {
		rows = append(rows, []any{k.week, k.team, n})
	}
	if err := s.upsertRows(ctx, tx, "rollup_w (week, team, learners)", 3, rows,
		"(week, team) DO UPDATE SET learners = learners + excluded.learners"); err != nil {
		return err
	}
	rows = rows[:0]
	for k, c := range obj {
		rows = append(rows, []any{names["o:"+k], kinds[k], c.statements, c.learners})
	}
	return s.upsertRows(ctx, tx, "rollup_obj (object, kind, statements, learners)", 4, rows,
		"(object) DO UPDATE SET statements = statements + excluded.statements, learners = learners + excluded.learners")
}

// internRollupNames returns the rollup_names ids of every actor ("a:") and object
// ("o:") the facts name, inserting the missing ones in tx.
func (s *Store) internRollupNames(ctx context.Context, tx *sql.Tx, facts []reports.Fact) (map[string]int64, error) {
	names := map[string]int64{}
	for _, f := range facts {
		if f.Actor != "" {
			names["a:"+f.Actor] = 0
		}
		if f.Object != "" && f.Kind != reports.KindOther {
			names["o:"+f.Object] = 0
		}
	}
	lookup := func(want []string) error {
		for _, c := range chunks(want, idsPerIn) {
			args, n := inArgs(c)
			rows, err := s.txQuery(ctx, tx, `SELECT name, id FROM rollup_names WHERE name IN (`+placeholders(n)+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var name string
				var id int64
				if err := rows.Scan(&name, &id); err != nil {
					rows.Close()
					return err
				}
				names[name] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	all := make([]string, 0, len(names))
	for n := range names {
		all = append(all, n)
	}
	if err := lookup(all); err != nil {
		return nil, err
	}
	var missing []string
	var rows [][]any
	for n, id := range names {
		if id == 0 {
			missing = append(missing, n)
			rows = append(rows, []any{n})
		}
	}
	if len(missing) == 0 {
		return names, nil
	}
	if err := s.insertNew(ctx, tx, "rollup_names (name)", 1, rows, nil); err != nil {
		return nil, err
	}
	return names, lookup(missing)
}

// insertNew inserts rows (each of width values) into target ("table (columns)") in
// chunks, skipping rows already there, and calls scan for each row inserted (the
// RETURNING of the target's columns); scan may be nil.
func (s *Store) insertNew(ctx context.Context, tx *sql.Tx, target string, width int, rows [][]any, scan func(*sql.Rows) error) error {
	cols := target[strings.Index(target, "(")+1 : len(target)-1]
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		query := `INSERT INTO ` + target + ` VALUES ` + valueTuples(n, width) + ` ON CONFLICT DO NOTHING`
		args := make([]any, 0, n*width)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if scan == nil {
			if _, err := s.txExec(ctx, tx, query, args...); err != nil {
				return err
			}
		} else {
			res, err := s.txQuery(ctx, tx, query+` RETURNING `+cols, args...)
			if err != nil {
				return err
			}
			for res.Next() {
				if err := scan(res); err != nil {
					res.Close()
					return err
				}
			}
			res.Close()
			if err := res.Err(); err != nil {
				return err
			}
		}
		rows = rows[n:]
	}
	return nil
}

// upsertRows inserts rows into target with the conflict clause onConflict, in chunks.
func (s *Store) upsertRows(ctx context.Context, tx *sql.Tx, target string, width int, rows [][]any, onConflict string) error {
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		args := make([]any, 0, n*width)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO `+target+` VALUES `+valueTuples(n, width)+` ON CONFLICT `+onConflict, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// valueTuples returns n tuples of width placeholders: "(?, ?), (?, ?)".
func valueTuples(n, width int) string {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(tuple+", ", n), ", ")
}

// txQueryRow runs a one-row query in tx through the prepared statement cache.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := s.writeStmt(ctx, tx, query)
	if err != nil {
		return tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// teamRow is the team column value for a query: "*" for everyone.
func teamRow(team string) string {
	if team == "" {
		return "*"
	}
	return team
}

// WeeklyActivity implements reports.Store.
func (s *Store) WeeklyActivity(ctx context.Context, from, to reports.Day, team string) ([]reports.WeekSource, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT week, source, statements, learners FROM rollup_ws
WHERE week BETWEEN ? AND ? AND team = ? ORDER BY week, source`, from, to, teamRow(team))
	if err != nil {
		return nil, internal(err, "weekly activity")
	}
	defer rows.Close()
	var out []reports.WeekSource
	for rows.Next() {
		var r reports.WeekSource
		if err := rows.Scan(&r.Week, &r.Source, &r.Statements, &r.Learners); err != nil {
			return nil, internal(err, "weekly activity")
		}
		out = append(out, r)
	}
	return out, internal2(rows.Err(), "weekly activity")
}

// WeeklyLearners implements reports.Store.
func (s *Store) WeeklyLearners(ctx context.Context, from, to reports.Day, team string) ([]reports.WeekLearners, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT week, learners FROM rollup_w WHERE week BETWEEN ? AND ? AND team = ? ORDER BY week`, from, to, teamRow(team))
	if err != nil {
		return nil, internal(err, "weekly learners")
	}
	defer rows.Close()
	var out []reports.WeekLearners
	for rows.Next() {
		var r reports.WeekLearners
		if err := rows.Scan(&r.Week, &r.Learners); err != nil {
			return nil, internal(err, "weekly learners")
		}
		out = append(out, r)
	}
	return out, internal2(rows.Err(), "weekly learners")
}

// TopObjects implements reports.Store.
func (s *Store) TopObjects(ctx context.Context, kind reports.Kind, minLearners, limit int) ([]reports.ObjectCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT n.name, o.statements, o.learners FROM rollup_obj o JOIN rollup_names n ON n.id = o.object
WHERE o.kind = ? AND o.learners >= ? ORDER BY o.learners DESC, o.statements DESC LIMIT ?`, kind, minLearners, limit)
	if err != nil {
		return nil, internal(err, "top objects")
	}
	defer rows.Close()
	var out []reports.ObjectCount
	for rows.Next() {
		var r reports.ObjectCount
		if err := rows.Scan(&r.ID, &r.Statements, &r.Learners); err != nil {
			return nil, internal(err, "top objects")
		}
		r.ID = r.ID[len("o:"):]
		out = append(out, r)
	}
	return out, internal2(rows.Err(), "top objects")
}

// TeamActivity implements reports.Store.
func (s *Store) TeamActivity(ctx context.Context, from, to reports.Day, minLearners int) ([]reports.TeamCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.team, COALESCE(st.n, 0), t.people FROM rollup_team t
LEFT JOIN (SELECT team, SUM(statements) AS n FROM rollup_ws WHERE week BETWEEN ?1 AND ?2 AND team NOT IN ('*', '') GROUP BY team) st ON st.team = t.team
WHERE t.people >= ?3 ORDER BY t.team`, from, to, minLearners)
	if err != nil {
		return nil, internal(err, "team activity")
	}
	defer rows.Close()
	var out []reports.TeamCount
	for rows.Next() {
		var r reports.TeamCount
		if err := rows.Scan(&r.Team, &r.Statements, &r.Learners); err != nil {
			return nil, internal(err, "team activity")
		}
		out = append(out, r)
	}
	return out, internal2(rows.Err(), "team activity")
}

// Totals implements reports.Store.
func (s *Store) Totals(ctx context.Context) (map[reports.Source]int64, int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT source, SUM(statements) FROM rollup_ws WHERE team = '*' GROUP BY source`)
	if err != nil {
		return nil, 0, internal(err, "totals")
	}
	defer rows.Close()
	out := map[reports.Source]int64{}
	for rows.Next() {
		var src reports.Source
		var n int64
		if err := rows.Scan(&src, &n); err != nil {
			return nil, 0, internal(err, "totals")
		}
		out[src] = n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, internal(err, "totals")
	}
	var people int64
	// Actor names sort together under their "a:" prefix, a range of the unique index.
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM rollup_names WHERE name >= 'a:' AND name < 'a;'`).Scan(&people); err != nil {
		return nil, 0, internal(err, "totals")
	}
	return out, people, nil
}
