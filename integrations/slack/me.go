package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// maxSummaryStatements bounds the statements /cairn me reads (a month of one person's
// learning is far below it).
const maxSummaryStatements = 5000

// summary is one person's learning this week and this month.
type summary struct {
	week, month map[string]int // kind → count
	top         []itemCount    // most frequent items this month
	truncated   bool
}

type itemCount struct {
	name  string
	count int
}

// startOfWeek returns Monday 00:00 of t's week in loc; startOfMonth the 1st 00:00.
func startOfWeek(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func startOfMonth(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
}

// stmtView holds the statement fields the summaries and the digest read.
type stmtView struct {
	Verb struct {
		ID string `json:"id"`
	} `json:"verb"`
	Object struct {
		ID         string `json:"id"`
		Definition struct {
			Type string            `json:"type"`
			Name map[string]string `json:"name"`
		} `json:"definition"`
	} `json:"object"`
	Timestamp string `json:"timestamp"`
	Stored    string `json:"stored"`
}

func (s stmtView) itemName() string {
	for _, lang := range []string{"en-US", "en"} {
		if n := s.Object.Definition.Name[lang]; n != "" {
			return n
		}
	}
	for _, n := range s.Object.Definition.Name {
		return n
	}
	return s.Object.ID
}

// eachStatement calls fn for every statement matching p, newest first, stopping after
// limit statements (then it reports true).
func (a *App) eachStatement(ctx context.Context, p capture.StatementParams, limit int, fn func(stmtView)) (bool, error) {
	p.Format = capture.FormatExact
	req := capture.ReadRequest{Params: p, Principal: a.cfg.Principal}
	seen := 0
	for {
		res, err := a.cfg.Statements.Read(ctx, req)
		if err != nil {
			return false, err
		}
		for _, raw := range res.Statements {
			var v stmtView
			if json.Unmarshal(raw, &v) == nil {
				fn(v)
			}
			if seen++; seen >= limit {
				return true, nil
			}
		}
		if res.More == "" {
			return false, nil
		}
		req = capture.ReadRequest{More: res.More, Principal: a.cfg.Principal}
	}
}

// summarize reads who's statements stored since the start of the month (or of the week,
// when that is earlier) and counts them by kind.
func (a *App) summarize(ctx context.Context, who Identity, now time.Time) (summary, error) {
	week, month := startOfWeek(now, a.loc), startOfMonth(now, a.loc)
	since := month
	if week.Before(since) {
		since = week
	}
	s := summary{week: map[string]int{}, month: map[string]int{}}
	items := map[string]*itemCount{}
	var err error
	s.truncated, err = a.eachStatement(ctx, capture.StatementParams{AgentKey: who.AgentKey, Since: since.Add(-time.Nanosecond)}, maxSummaryStatements, func(v stmtView) {
		at, perr := time.Parse(time.RFC3339Nano, v.Stored)
		if perr != nil {
			return
		}
		kind := activityKind(v.Verb.ID, v.Object.Definition.Type)
		if !at.Before(week) {
			s.week[kind]++
		}
		if !at.Before(month) {
			s.month[kind]++
			name := v.itemName()
			if items[name] == nil {
				items[name] = &itemCount{name: name}
			}
			items[name].count++
		}
	})
	if err != nil {
		return summary{}, err
	}
	for _, it := range items {
		s.top = append(s.top, *it)
	}
	sort.Slice(s.top, func(i, j int) bool {
		if s.top[i].count != s.top[j].count {
			return s.top[i].count > s.top[j].count
		}
		return s.top[i].name < s.top[j].name
	})
	if len(s.top) > 3 {
		s.top = s.top[:3]
	}
	return s, nil
}

// kindOrder is the order kinds are listed in.
var kindOrder = []string{"read", "watched", "attended", "completed", "shared", "learned", "asked", "answered"}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range kindOrder {
		if n := m[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "nothing yet"
	}
	return strings.Join(parts, ", ")
}

// text renders the summary as Slack mrkdwn.
func (s summary) text(who Identity) string {
	var b strings.Builder
	b.WriteString("*Your learning*\n")
	fmt.Fprintf(&b, "This week: %s\nThis month: %s\n", counts(s.week), counts(s.month))
	if len(s.top) > 0 {
		b.WriteString("Top this month:\n")
		for _, it := range s.top {
			fmt.Fprintf(&b, "• %s (%d)\n", escape(it.name), it.count)
		}
	}
	if s.truncated {
		fmt.Fprintf(&b, "_(counted from your latest %d entries)_\n", maxSummaryStatements)
	}
	switch who.Source {
	case workspace.SourceEmail, workspace.SourceAdmin:
		b.WriteString("_Recorded under your Cairn Q&A account._")
	default:
		b.WriteString("_Recorded under your Slack account: no Cairn Q&A account has your Slack email address._")
	}
	return b.String()
}
