package reports

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Privacy is the organisation's reporting rule. With Aggregate set, every figure
// stands for at least K people: a week, source, team or item with fewer is left out,
// and no report names a person.
type Privacy struct {
	Aggregate bool
	K         int // 0: 5
}

func (p Privacy) min() int {
	if !p.Aggregate {
		return 1
	}
	if p.K <= 0 {
		return 5
	}
	return p.K
}

// Reports answers the report pages from a Store.
type Reports struct {
	Store   Store
	Zone    *time.Location // nil: UTC
	Privacy Privacy
	// ActivityByID returns the stored canonical Activity object (JSON) for an id, for
	// the names of top items; nil or an error leaves the id as the name.
	ActivityByID func(ctx context.Context, id string) (json.RawMessage, error)
	Now          func() time.Time // nil: time.Now
}

// Period is a range of whole weeks, From and To being Mondays.
type Period struct{ From, To Day }

// LastWeeks returns the n weeks ending with the current one in the report zone.
func (r *Reports) LastWeeks(n int) Period {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	zone := r.Zone
	if zone == nil {
		zone = time.UTC
	}
	to := DayOf(now(), zone).Week()
	return Period{From: to - Day(7*(n-1)), To: to}
}

// Weeks lists the Mondays of p.
func (p Period) Weeks() []Day {
	var out []Day
	for w := p.From; w <= p.To; w += 7 {
		out = append(out, w)
	}
	return out
}

// ActivityReport is statements per week and source, and learners per week.
type ActivityReport struct {
	Weeks      []Day
	Statements map[Source][]int64 // aligned with Weeks; a suppressed cell is 0
	Learners   []int64            // distinct people per week (any source); suppressed: 0
	Suppressed int                // cells left out under the privacy rule
	MinGroup   int                // the smallest group a figure may stand for
}

// Activity returns the activity report of p for everyone (team "") or one team.
func (r *Reports) Activity(ctx context.Context, p Period, team string) (ActivityReport, error) {
	weeks := p.Weeks()
	rep := ActivityReport{Weeks: weeks, Statements: map[Source][]int64{}, Learners: make([]int64, len(weeks)), MinGroup: r.Privacy.min()}
	for _, s := range Sources {
		rep.Statements[s] = make([]int64, len(weeks))
	}
	index := func(w Day) int { return int(w-p.From) / 7 }
	cells, err := r.Store.WeeklyActivity(ctx, p.From, p.To, team)
	if err != nil {
		return ActivityReport{}, err
	}
	for _, c := range cells {
		i := index(c.Week)
		if i < 0 || i >= len(weeks) || rep.Statements[c.Source] == nil || c.Statements <= 0 {
			continue
		}
		if c.Learners < int64(rep.MinGroup) {
			rep.Suppressed++
			continue
		}
		rep.Statements[c.Source][i] = c.Statements
	}
	learners, err := r.Store.WeeklyLearners(ctx, p.From, p.To, team)
	if err != nil {
		return ActivityReport{}, err
	}
	for _, l := range learners {
		i := index(l.Week)
		if i < 0 || i >= len(weeks) {
			continue
		}
		if l.Learners < int64(rep.MinGroup) {
			rep.Suppressed++
			continue
		}
		rep.Learners[i] = l.Learners
	}
	return rep, nil
}

// TopItem is one ranked activity with its display name.
type TopItem struct {
	ObjectCount
	Name string
}

// Top returns up to limit activities of kind, by people then statements, all time;
// under the privacy rule only those used by at least K.
func (r *Reports) Top(ctx context.Context, kind Kind, limit int) ([]TopItem, error) {
	objs, err := r.Store.TopObjects(ctx, kind, r.Privacy.min(), limit)
	if err != nil {
		return nil, err
	}
	out := make([]TopItem, 0, len(objs))
	for _, o := range objs {
		out = append(out, TopItem{ObjectCount: o, Name: r.name(ctx, o.ID)})
	}
	return out, nil
}

// name is an activity's English (or first) name, or its id.
func (r *Reports) name(ctx context.Context, id string) string {
	if r.ActivityByID == nil {
		return id
	}
	raw, err := r.ActivityByID(ctx, id)
	if err != nil {
		return id
	}
	var a struct {
		Definition struct {
			Name map[string]string `json:"name"`
		} `json:"definition"`
	}
	if json.Unmarshal(raw, &a) != nil || len(a.Definition.Name) == 0 {
		return id
	}
	return capture.Display(a.Definition.Name)
}

// Teams returns each team's figures over p; under the privacy rule teams of fewer
// than K people are left out.
func (r *Reports) Teams(ctx context.Context, p Period) ([]TeamCount, error) {
	return r.Store.TeamActivity(ctx, p.From, p.To, r.Privacy.min())
}
