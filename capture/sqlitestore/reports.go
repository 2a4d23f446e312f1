package sqlitestore

import (
	"context"
	"database/sql"

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
	month INTEGER NOT NULL, object INTEGER NOT NULL, kind TEXT NOT NULL,
	statements INTEGER NOT NULL, learners INTEGER NOT NULL,
	PRIMARY KEY (month, object)
) WITHOUT ROWID;
CREATE INDEX rollup_obj_top ON rollup_obj (kind, month, learners DESC, statements DESC);
CREATE TABLE rollup_oa (
	month INTEGER NOT NULL, object INTEGER NOT NULL, actor INTEGER NOT NULL,
	PRIMARY KEY (month, object, actor)
) WITHOUT ROWID;
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
DELETE FROM rollup_w; DELETE FROM rollup_wa; DELETE FROM rollup_obj; DELETE FROM rollup_oa; DELETE FROM rollup_void_ahead;`)
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

type objKey struct {
	month  int32
	object string
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

func (s *Store) applyFacts(ctx context.Context, tx *sql.Tx, facts []reports.Fact) error {
	names := map[string]int64{}
	nameID := func(name string) (int64, error) {
		if id, ok := names[name]; ok {
			return id, nil
		}
		var id int64
		err := s.txQueryRow(ctx, tx, `INSERT INTO rollup_names (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name).Scan(&id)
		names[name] = id
		return id, err
	}
	// isNew inserts a distinct-count row and reports whether it was not there.
	isNew := func(query string, args ...any) (bool, error) {
		res, err := s.txExec(ctx, tx, query, args...)
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		return n == 1, err
	}
	ws := map[wsKey]*counts{}
	w := map[wKey]int64{}
	obj := map[objKey]*counts{}
	kinds := map[objKey]reports.Kind{}
	add := func(m map[wsKey]*counts, k wsKey) *counts {
		c := m[k]
		if c == nil {
			c = &counts{}
			m[k] = c
		}
		return c
	}
	for _, f := range facts {
		teams := []string{"*"}
		if f.Team != "" {
			teams = append(teams, f.Team)
		}
		var actor int64
		var err error
		if f.Actor != "" && f.Sign > 0 {
			if actor, err = nameID("a:" + f.Actor); err != nil {
				return err
			}
		}
		newWS, newW := false, false
		if actor != 0 {
			if newWS, err = isNew(`INSERT OR IGNORE INTO rollup_wsa (week, source, actor) VALUES (?, ?, ?)`, f.Week, f.Source, actor); err != nil {
				return err
			}
			if newW, err = isNew(`INSERT OR IGNORE INTO rollup_wa (week, actor, team) VALUES (?, ?, ?)`, f.Week, actor, f.Team); err != nil {
				return err
			}
		}
		for _, team := range teams {
			c := add(ws, wsKey{f.Week, f.Source, team})
			c.statements += int64(f.Sign)
			if newWS {
				c.learners++
			}
			if newW {
				w[wKey{f.Week, team}]++
			}
		}
		if f.Kind == reports.KindOther || f.Object == "" {
			continue
		}
		object, err := nameID("o:" + f.Object)
		if err != nil {
			return err
		}
		for _, month := range []int32{f.Month, 0} {
			k := objKey{month, f.Object}
			c := obj[k]
			if c == nil {
				c = &counts{}
				obj[k] = c
				kinds[k] = f.Kind
			}
			c.statements += int64(f.Sign)
			if actor != 0 {
				fresh, err := isNew(`INSERT OR IGNORE INTO rollup_oa (month, object, actor) VALUES (?, ?, ?)`, month, object, actor)
				if err != nil {
					return err
				}
				if fresh {
					c.learners++
				}
			}
		}
	}
	for k, c := range ws {
		if _, err := s.txExec(ctx, tx, `INSERT INTO rollup_ws (week, source, team, statements, learners) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (week, source, team) DO UPDATE SET statements = statements + excluded.statements, learners = learners + excluded.learners`,
			k.week, k.source, k.team, c.statements, c.learners); err != nil {
			return err
		}
	}
	for k, n := range w {
		if _, err := s.txExec(ctx, tx, `INSERT INTO rollup_w (week, team, learners) VALUES (?, ?, ?)
ON CONFLICT (week, team) DO UPDATE SET learners = learners + excluded.learners`, k.week, k.team, n); err != nil {
			return err
		}
	}
	for k, c := range obj {
		object := names["o:"+k.object]
		if _, err := s.txExec(ctx, tx, `INSERT INTO rollup_obj (month, object, kind, statements, learners) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (month, object) DO UPDATE SET statements = statements + excluded.statements, learners = learners + excluded.learners`,
			k.month, object, kinds[k], c.statements, c.learners); err != nil {
			return err
		}
	}
	return nil
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
func (s *Store) TopObjects(ctx context.Context, kind reports.Kind, month int32, minLearners, limit int) ([]reports.ObjectCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT n.name, o.statements, o.learners FROM rollup_obj o JOIN rollup_names n ON n.id = o.object
WHERE o.kind = ? AND o.month = ? AND o.learners >= ? ORDER BY o.learners DESC, o.statements DESC LIMIT ?`, kind, month, minLearners, limit)
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
	rows, err := s.r.QueryContext(ctx, `SELECT l.team, COALESCE(st.n, 0), l.learners FROM
(SELECT team, COUNT(DISTINCT actor) AS learners FROM rollup_wa WHERE week BETWEEN ?1 AND ?2 AND team != '' GROUP BY team) l
LEFT JOIN (SELECT team, SUM(statements) AS n FROM rollup_ws WHERE week BETWEEN ?1 AND ?2 AND team NOT IN ('*', '') GROUP BY team) st ON st.team = l.team
WHERE l.learners >= ?3 ORDER BY l.team`, from, to, minLearners)
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

// internal2 is internal for a possibly nil error.
func internal2(err error, op string) error {
	if err == nil {
		return nil
	}
	return internal(err, op)
}
