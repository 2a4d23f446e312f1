package mongostore

import (
	"context"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
)

var _ reports.Store = (*Store)(nil)

// Report aggregate collections (capture/reports). Distinct-count collections hold one
// document per (bucket, person) whose _id makes repeats duplicate-key errors; team "*"
// documents count everyone.
const (
	collRollupState     = "rollupState"
	collRollupWS        = "rollupWeekSource"
	collRollupWSA       = "rollupWeekSourceActor"
	collRollupW         = "rollupWeek"
	collRollupWA        = "rollupWeekActor"
	collRollupObj       = "rollupObject"
	collRollupOA        = "rollupObjectActor"
	collRollupVoidAhead = "rollupVoidAhead"
	collRollupTA        = "rollupTeamActor"
	collRollupTeam      = "rollupTeam"
)

// reportIndexes are the indexes the report queries use.
func (s *Store) reportIndexes() []index {
	return []index{
		{s.db.Collection(collRollupWS), bson.D{{Key: "team", Value: 1}, {Key: "week", Value: 1}}, false},
		{s.db.Collection(collRollupW), bson.D{{Key: "team", Value: 1}, {Key: "week", Value: 1}}, false},
		{s.db.Collection(collRollupWA), bson.D{{Key: "week", Value: 1}, {Key: "team", Value: 1}}, false},
		{s.db.Collection(collRollupObj), bson.D{{Key: "kind", Value: 1}, {Key: "learners", Value: -1}, {Key: "statements", Value: -1}}, false},
	}
}

// RollupState implements reports.Store.
func (s *Store) RollupState(ctx context.Context) (int64, string, error) {
	var st struct {
		Through int64  `bson:"through"`
		Zone    string `bson:"zone"`
	}
	err := s.db.Collection(collRollupState).FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&st)
	if err == mongo.ErrNoDocuments {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", storeErr(err, "cannot read the report state")
	}
	return st.Through, st.Zone, nil
}

// VoidedAhead implements reports.Store.
func (s *Store) VoidedAhead(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.db.Collection(collRollupVoidAhead).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, storeErr(err, "cannot read voided-ahead marks")
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read voided-ahead marks")
	}
	for _, d := range docs {
		out[d.ID] = true
	}
	return out, nil
}

// ResetRollups implements reports.Store.
func (s *Store) ResetRollups(ctx context.Context) error {
	for _, name := range []string{collRollupState, collRollupWS, collRollupWSA, collRollupW, collRollupWA, collRollupObj, collRollupOA, collRollupTA, collRollupTeam, collRollupVoidAhead} {
		if _, err := s.db.Collection(name).DeleteMany(ctx, bson.D{}); err != nil {
			return storeErr(err, "cannot reset the report figures")
		}
	}
	return nil
}

// ApplyRollup implements reports.Store. Without multi-document transactions the
// position moves first (a compare-and-set on After), then the facts are applied: a
// crash in between leaves that batch partly counted, never counted twice, and two
// instances never apply the same batch.
func (s *Store) ApplyRollup(ctx context.Context, b reports.Batch, zone string) error {
	state := s.db.Collection(collRollupState)
	res, err := state.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "through", Value: b.After}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "through", Value: b.Through}, {Key: "zone", Value: zone}}}})
	if err != nil {
		return storeErr(err, "cannot move the report position")
	}
	if res.MatchedCount == 0 {
		if b.After != 0 {
			return capture.Errorf(capture.CodeConflict, "report figures are not at %d", b.After)
		}
		if _, err := state.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "through", Value: b.Through}, {Key: "zone", Value: zone}}); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return capture.Errorf(capture.CodeConflict, "report figures are not at %d", b.After)
			}
			return storeErr(err, "cannot move the report position")
		}
	}
	if err := s.applyFacts(ctx, b.Facts); err != nil {
		return err
	}
	for _, id := range b.VoidAhead {
		if _, err := s.db.Collection(collRollupVoidAhead).InsertOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil && !mongo.IsDuplicateKeyError(err) {
			return storeErr(err, "cannot mark a statement voided ahead")
		}
	}
	if len(b.VoidAheadDone) > 0 {
		if _, err := s.db.Collection(collRollupVoidAhead).DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: b.VoidAheadDone}}}}); err != nil {
			return storeErr(err, "cannot clear voided-ahead marks")
		}
	}
	return nil
}

// isNew inserts a distinct-count document and reports whether it was not there.
func (s *Store) isNew(ctx context.Context, coll string, doc bson.D) (bool, error) {
	_, err := s.db.Collection(coll).InsertOne(ctx, doc)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, storeErr(err, "cannot update the report figures")
	}
	return true, nil
}

func (s *Store) applyFacts(ctx context.Context, facts []reports.Fact) error {
	type counts struct{ statements, learners int64 }
	ws := map[[3]string]*counts{}
	w := map[[2]string]int64{}
	obj := map[string]*counts{}
	kinds := map[string]reports.Kind{}
	for _, f := range facts {
		week := fmt.Sprint(int32(f.Week))
		teams := []string{"*"}
		if f.Team != "" {
			teams = append(teams, f.Team)
		}
		newWS, newW := false, false
		var err error
		counted := f.Actor != "" && f.Sign > 0
		if counted {
			if newWS, err = s.isNew(ctx, collRollupWSA, bson.D{{Key: "_id", Value: week + "|" + string(f.Source) + "|" + f.Actor}}); err != nil {
				return err
			}
			if newW, err = s.isNew(ctx, collRollupWA, bson.D{{Key: "_id", Value: week + "|" + f.Actor},
				{Key: "week", Value: int32(f.Week)}, {Key: "actor", Value: f.Actor}, {Key: "team", Value: f.Team}}); err != nil {
				return err
			}
		}
		if counted && f.Team != "" {
			fresh, err := s.isNew(ctx, collRollupTA, bson.D{{Key: "_id", Value: f.Team + "|" + f.Actor}})
			if err != nil {
				return err
			}
			if fresh {
				if _, err := s.db.Collection(collRollupTeam).UpdateOne(ctx, bson.D{{Key: "_id", Value: f.Team}},
					bson.D{{Key: "$inc", Value: bson.D{{Key: "people", Value: int64(1)}}}}, options.UpdateOne().SetUpsert(true)); err != nil {
					return storeErr(err, "cannot update the report figures")
				}
			}
		}
		for _, team := range teams {
			k := [3]string{week, string(f.Source), team}
			if ws[k] == nil {
				ws[k] = &counts{}
			}
			ws[k].statements += int64(f.Sign)
			if newWS {
				ws[k].learners++
			}
			if newW {
				w[[2]string{week, team}]++
			}
		}
		if f.Kind == reports.KindOther || f.Object == "" {
			continue
		}
		k := f.Object
		if obj[k] == nil {
			obj[k] = &counts{}
			kinds[k] = f.Kind
		}
		obj[k].statements += int64(f.Sign)
		if counted {
			fresh, err := s.isNew(ctx, collRollupOA, bson.D{{Key: "_id", Value: f.Actor + "|" + f.Object}})
			if err != nil {
				return err
			}
			if fresh {
				obj[k].learners++
			}
		}
	}
	upsert := options.UpdateOne().SetUpsert(true)
	inc := func(coll, id string, set bson.D, incs bson.D) error {
		_, err := s.db.Collection(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$setOnInsert", Value: set}, {Key: "$inc", Value: incs}}, upsert)
		return storeErr(err, "cannot update the report figures")
	}
	keys := make([][3]string, 0, len(ws))
	for k := range ws {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		c := ws[k]
		var week int32
		fmt.Sscan(k[0], &week)
		if err := inc(collRollupWS, k[0]+"|"+k[1]+"|"+k[2], bson.D{{Key: "week", Value: week}, {Key: "source", Value: k[1]}, {Key: "team", Value: k[2]}},
			bson.D{{Key: "statements", Value: c.statements}, {Key: "learners", Value: c.learners}}); err != nil {
			return err
		}
	}
	for k, n := range w {
		var week int32
		fmt.Sscan(k[0], &week)
		if err := inc(collRollupW, k[0]+"|"+k[1], bson.D{{Key: "week", Value: week}, {Key: "team", Value: k[1]}}, bson.D{{Key: "learners", Value: n}}); err != nil {
			return err
		}
	}
	for k, c := range obj {
		if err := inc(collRollupObj, k, bson.D{{Key: "object", Value: k}, {Key: "kind", Value: string(kinds[k])}},
			bson.D{{Key: "statements", Value: c.statements}, {Key: "learners", Value: c.learners}}); err != nil {
			return err
		}
	}
	return nil
}

func teamValue(team string) string {
	if team == "" {
		return "*"
	}
	return team
}

// WeeklyActivity implements reports.Store.
func (s *Store) WeeklyActivity(ctx context.Context, from, to reports.Day, team string) ([]reports.WeekSource, error) {
	cur, err := s.db.Collection(collRollupWS).Find(ctx, bson.D{{Key: "team", Value: teamValue(team)},
		{Key: "week", Value: bson.D{{Key: "$gte", Value: int32(from)}, {Key: "$lte", Value: int32(to)}}}})
	if err != nil {
		return nil, storeErr(err, "cannot read weekly activity")
	}
	var docs []struct {
		Week       int32  `bson:"week"`
		Source     string `bson:"source"`
		Statements int64  `bson:"statements"`
		Learners   int64  `bson:"learners"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read weekly activity")
	}
	out := make([]reports.WeekSource, 0, len(docs))
	for _, d := range docs {
		out = append(out, reports.WeekSource{Week: reports.Day(d.Week), Source: reports.Source(d.Source), Statements: d.Statements, Learners: d.Learners})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Week != out[j].Week {
			return out[i].Week < out[j].Week
		}
		return out[i].Source < out[j].Source
	})
	return out, nil
}

// WeeklyLearners implements reports.Store.
func (s *Store) WeeklyLearners(ctx context.Context, from, to reports.Day, team string) ([]reports.WeekLearners, error) {
	cur, err := s.db.Collection(collRollupW).Find(ctx, bson.D{{Key: "team", Value: teamValue(team)},
		{Key: "week", Value: bson.D{{Key: "$gte", Value: int32(from)}, {Key: "$lte", Value: int32(to)}}}},
		options.Find().SetSort(bson.D{{Key: "week", Value: 1}}))
	if err != nil {
		return nil, storeErr(err, "cannot read weekly learners")
	}
	var docs []struct {
		Week     int32 `bson:"week"`
		Learners int64 `bson:"learners"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read weekly learners")
	}
	out := make([]reports.WeekLearners, 0, len(docs))
	for _, d := range docs {
		out = append(out, reports.WeekLearners{Week: reports.Day(d.Week), Learners: d.Learners})
	}
	return out, nil
}

// TopObjects implements reports.Store.
func (s *Store) TopObjects(ctx context.Context, kind reports.Kind, minLearners, limit int) ([]reports.ObjectCount, error) {
	cur, err := s.db.Collection(collRollupObj).Find(ctx, bson.D{{Key: "kind", Value: string(kind)},
		{Key: "learners", Value: bson.D{{Key: "$gte", Value: int64(minLearners)}}}},
		options.Find().SetSort(bson.D{{Key: "learners", Value: -1}, {Key: "statements", Value: -1}, {Key: "object", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, storeErr(err, "cannot read top activities")
	}
	var docs []struct {
		Object     string `bson:"object"`
		Statements int64  `bson:"statements"`
		Learners   int64  `bson:"learners"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read top activities")
	}
	out := make([]reports.ObjectCount, 0, len(docs))
	for _, d := range docs {
		out = append(out, reports.ObjectCount{ID: d.Object, Statements: d.Statements, Learners: d.Learners})
	}
	return out, nil
}

// TeamActivity implements reports.Store.
func (s *Store) TeamActivity(ctx context.Context, from, to reports.Day, minLearners int) ([]reports.TeamCount, error) {
	cur, err := s.db.Collection(collRollupTeam).Find(ctx, bson.D{{Key: "people", Value: bson.D{{Key: "$gte", Value: int64(minLearners)}}}})
	if err != nil {
		return nil, storeErr(err, "cannot read team activity")
	}
	var teams []struct {
		Team   string `bson:"_id"`
		People int64  `bson:"people"`
	}
	if err := cur.All(ctx, &teams); err != nil {
		return nil, storeErr(err, "cannot read team activity")
	}
	weeks := bson.D{{Key: "$gte", Value: int32(from)}, {Key: "$lte", Value: int32(to)}}
	cur, err = s.db.Collection(collRollupWS).Find(ctx, bson.D{{Key: "week", Value: weeks}, {Key: "team", Value: bson.D{{Key: "$nin", Value: bson.A{"*", ""}}}}})
	if err != nil {
		return nil, storeErr(err, "cannot read team activity")
	}
	var docs []struct {
		Team       string `bson:"team"`
		Statements int64  `bson:"statements"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot read team activity")
	}
	statements := map[string]int64{}
	for _, d := range docs {
		statements[d.Team] += d.Statements
	}
	out := []reports.TeamCount{}
	for _, t := range teams {
		out = append(out, reports.TeamCount{Team: t.Team, Statements: statements[t.Team], Learners: t.People})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Team < out[j].Team })
	return out, nil
}

// Totals implements reports.Store; people are the distinct actors of the week-person
// documents.
func (s *Store) Totals(ctx context.Context) (map[reports.Source]int64, int64, error) {
	cur, err := s.db.Collection(collRollupWS).Find(ctx, bson.D{{Key: "team", Value: "*"}})
	if err != nil {
		return nil, 0, storeErr(err, "cannot read totals")
	}
	var docs []struct {
		Source     string `bson:"source"`
		Statements int64  `bson:"statements"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, 0, storeErr(err, "cannot read totals")
	}
	out := map[reports.Source]int64{}
	for _, d := range docs {
		out[reports.Source(d.Source)] += d.Statements
	}
	actors, err := s.db.Collection(collRollupWA).Distinct(ctx, "actor", bson.D{}).Raw()
	if err != nil {
		return nil, 0, storeErr(err, "cannot read totals")
	}
	values, err := actors.Values()
	if err != nil {
		return nil, 0, storeErr(err, "cannot read totals")
	}
	return out, int64(len(values)), nil
}
