// Package reports turns the statement feed into pre-aggregated learning figures —
// activity per week by source, active learners per week, the most used articles,
// videos and questions — so that report pages read a few hundred rows however many
// statements are stored. A Rollup follows the store's sequence (the feed every
// statement enters in order) and applies each batch of facts together with its
// cursor; Reports reads the aggregates, holding back any group of fewer than k people
// when the organisation asks for it.
package reports

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Source is where a statement came from, as the reports group them.
type Source string

// The sources.
const (
	SourceQA        Source = "qa"        // the peer Q&A hub
	SourceExtension Source = "extension" // the browser extension
	SourceSlack     Source = "slack"     // the Slack app
	SourcePartner   Source = "partner"   // pulled or pushed in from a partner LRS
	SourceXAPI      Source = "xapi"      // any other xAPI client
)

// Sources lists every source in display order.
var Sources = []Source{SourceQA, SourceExtension, SourceSlack, SourceXAPI, SourcePartner}

// Label names a source for people.
func (s Source) Label() string {
	switch s {
	case SourceQA:
		return "Q&A hub"
	case SourceExtension:
		return "Browser extension"
	case SourceSlack:
		return "Slack"
	case SourcePartner:
		return "Partners"
	}
	return "xAPI clients"
}

// SourceOf classifies a statement by its origin (a partner name, "" for local writes)
// and context.platform, which Cairn's capture sources set (design.md §5).
func SourceOf(platform, origin string) Source {
	if origin != "" {
		return SourcePartner
	}
	switch platform {
	case "Cairn Q&A":
		return SourceQA
	case "Browser extension":
		return SourceExtension
	case "Slack":
		return SourceSlack
	}
	return SourceXAPI
}

// Kind is what a statement's object activity is, for the top lists.
type Kind string

// The kinds with top lists; other activities are KindOther and not ranked.
const (
	KindArticle  Kind = "article"
	KindVideo    Kind = "video"
	KindQuestion Kind = "question"
	KindOther    Kind = ""
)

// Kinds lists the ranked kinds.
var Kinds = []Kind{KindArticle, KindVideo, KindQuestion}

// KindOf classifies an activity by its definition type (design.md §5 vocabulary).
func KindOf(activityType string) Kind {
	switch activityType {
	case "http://activitystrea.ms/article", "http://activitystrea.ms/schema/1.0/article", "http://id.tincanapi.com/activitytype/blog":
		return KindArticle
	case "https://w3id.org/xapi/video/activity-type/video", "http://activitystrea.ms/video", "http://activitystrea.ms/schema/1.0/video":
		return KindVideo
	case "http://adlnet.gov/expapi/activities/question":
		return KindQuestion
	}
	return KindOther
}

// Day is a civil date counted in days since 1970-01-01; weeks are named by their
// Monday.
type Day int32

// DayOf returns the civil date of t in zone.
func DayOf(t time.Time, zone *time.Location) Day {
	y, m, d := t.In(zone).Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Week returns the Monday of d's week (ISO 8601 weeks start on Monday).
func (d Day) Week() Day {
	// 1970-01-01 was a Thursday: day 0 has weekday index 3 counting from Monday.
	return d - (d+3)%7
}

// Time returns midnight UTC of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format("2006-01-02") }

// Fact is what one statement adds to the aggregates.
type Fact struct {
	Week   Day
	Source Source
	Actor  string // capture.AgentKeyOf the actor; "" for an anonymous group (no learner counted)
	Team   string // the actor's team, "" when unknown
	Object string // object activity id; "" when the object is not an activity
	Kind   Kind
	// Sign is +1 for a statement stored, -1 for one voided later: statement counts
	// follow it; learner counts only grow (a person seen in a week stays seen until a
	// rebuild).
	Sign int
}

// statementFields are the parts of a statement a fact is made of.
type statementFields struct {
	Timestamp string          `json:"timestamp"`
	Stored    string          `json:"stored"`
	Actor     json.RawMessage `json:"actor"`
	Verb      struct {
		ID string `json:"id"`
	} `json:"verb"`
	Object struct {
		ObjectType string `json:"objectType"`
		ID         string `json:"id"`
		Definition struct {
			Type string `json:"type"`
		} `json:"definition"`
	} `json:"object"`
	Context struct {
		Platform string `json:"platform"`
	} `json:"context"`
}

const voidedVerb = "http://adlnet.gov/expapi/verbs/voided"

// FactOf returns the fact of a stored statement, bucketed by its timestamp (when the
// learning happened) in zone; ok is false for statements that are not learning
// (voiding statements) or that do not decode. teamOf (may be nil) names an actor's team.
func FactOf(raw []byte, origin string, zone *time.Location, teamOf func(actorKey string) string) (f Fact, ok bool) {
	var s statementFields
	if json.Unmarshal(raw, &s) != nil || s.Verb.ID == voidedVerb {
		return Fact{}, false
	}
	at, err := capture.ParseTimestamp(s.Timestamp)
	if err != nil {
		if at, err = capture.ParseTimestamp(s.Stored); err != nil {
			return Fact{}, false
		}
	}
	day := DayOf(at, zone)
	f = Fact{Week: day.Week(), Source: SourceOf(s.Context.Platform, origin), Sign: 1}
	var actor map[string]any
	if json.Unmarshal(s.Actor, &actor) == nil {
		if key, err := capture.AgentKeyOf(actor); err == nil {
			f.Actor = key
		}
	}
	if f.Actor != "" && teamOf != nil {
		f.Team = teamOf(f.Actor)
	}
	if s.Object.ObjectType == "" || strings.EqualFold(s.Object.ObjectType, "Activity") {
		f.Object, f.Kind = s.Object.ID, KindOf(s.Object.Definition.Type)
	}
	return f, true
}

// Batch is the facts of consecutive statements of the feed, from After (exclusive) to
// Through (inclusive).
type Batch struct {
	After, Through int64
	Facts          []Fact
	VoidAhead      []string // ids voided before they were stored or rolled up: they never count
	VoidAheadDone  []string // such ids now met in the feed (and skipped): forget them
}

// WeekSource is one week's figures for one source (and team, when asked).
type WeekSource struct {
	Week       Day
	Source     Source
	Statements int64
	Learners   int64
}

// WeekLearners is how many people learned in a week.
type WeekLearners struct {
	Week     Day
	Learners int64
}

// ObjectCount is one activity's use.
type ObjectCount struct {
	ID         string
	Statements int64
	Learners   int64
}

// TeamCount is one team's figures.
type TeamCount struct {
	Team       string
	Statements int64 // in the period asked
	Learners   int64 // the team's people seen so far: the size of the group the figures stand for
}

// Store keeps the aggregates. Every method returns CodeUnavailable or CodeInternal
// when the store fails.
type Store interface {
	// RollupState returns the feed position the aggregates include (0 when empty) and
	// the time zone name they were bucketed in ("" when empty).
	RollupState(ctx context.Context) (through int64, zone string, err error)
	// ApplyRollup adds b's facts and moves the position to b.Through, both or neither
	// (where the store has transactions; see the adapter). CodeConflict when the
	// position is not b.After (another process applied it): nothing changes.
	ApplyRollup(ctx context.Context, b Batch, zone string) error
	// VoidedAhead reports which of ids are marked voided ahead (Batch.VoidAhead and not
	// yet VoidAheadDone).
	VoidedAhead(ctx context.Context, ids []string) (map[string]bool, error)
	// ResetRollups removes every aggregate and the position.
	ResetRollups(ctx context.Context) error
	// WeeklyActivity returns statements and distinct learners per week and source for
	// weeks in [from, to], ordered by week then source; team "" means everyone.
	WeeklyActivity(ctx context.Context, from, to Day, team string) ([]WeekSource, error)
	// WeeklyLearners returns distinct learners per week (any source) in [from, to],
	// ordered by week; team "" means everyone.
	WeeklyLearners(ctx context.Context, from, to Day, team string) ([]WeekLearners, error)
	// TopObjects returns up to limit activities of kind used by at least minLearners
	// people, by learners then statements, most first (all time: per-period lists
	// would double the rollup's work).
	TopObjects(ctx context.Context, kind Kind, minLearners int, limit int) ([]ObjectCount, error)
	// Totals returns the statements counted per source and the number of distinct
	// people seen, over all time.
	Totals(ctx context.Context) (statements map[Source]int64, people int64, err error)
	// TeamActivity returns, by team name, each team's statements for weeks in
	// [from, to] and its people seen so far; teams of fewer than minLearners people
	// are left out.
	TeamActivity(ctx context.Context, from, to Day, minLearners int) ([]TeamCount, error)
}
