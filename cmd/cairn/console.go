package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/integrations/slack"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/qa"
	adminconsole "github.com/cairn-lrs/cairn/web/admin"
)

// teamsMaxAge is how long the report rollup trusts its copy of the people's teams.
const teamsMaxAge = time.Minute

// teamDirectory names the team of a statement's actor for the report rollup, from the
// hub's people: a map from agent key (capture.AgentKeyOf) to team, loaded whole (a
// few bytes a person) and reloaded when older than teamsMaxAge or after a change. A
// team change therefore counts for statements rolled up after it; `cairn reports
// rebuild` recounts every statement with the teams of the day.
type teamDirectory struct {
	store qa.Store
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	byAgent map[string]string
	loaded  time.Time
}

// newTeamDirectory returns the directory over store, or nil when the store keeps no hub.
func newTeamDirectory(store capture.Store, logger *slog.Logger) *teamDirectory {
	qs, ok := store.(qa.Store)
	if !ok {
		return nil
	}
	return &teamDirectory{store: qs, log: logger, now: time.Now}
}

// TeamOf returns the team of the person whose agent key is actor, "" when no person
// has it or they have no team (reports.Rollup.TeamOf). When the people cannot be read
// it keeps the last copy and logs the failure.
func (d *teamDirectory) TeamOf(actor string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byAgent == nil || d.now().Sub(d.loaded) > teamsMaxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		m, err := d.load(ctx)
		cancel()
		if err != nil {
			d.log.Warn("reports: cannot read the people's teams; keeping the last copy", "err", err)
			if d.byAgent == nil {
				d.byAgent = map[string]string{}
			}
		} else {
			d.byAgent = m
		}
		d.loaded = d.now()
	}
	return d.byAgent[actor]
}

// Forget makes the next TeamOf read the teams afresh.
func (d *teamDirectory) Forget() {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.byAgent = nil
	d.mu.Unlock()
}

// load reads every person with a team, in pages.
func (d *teamDirectory) load(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	var after int64
	for {
		page, err := d.store.ListPeople(ctx, qa.PeopleQuery{After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if p.Team == "" {
				continue
			}
			if key, err := capture.AgentKeyOf(p.Agent); err == nil {
				out[key] = p.Team
			}
		}
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// consolePeople is the hub's person management for the console; a team change makes
// the report rollup read the teams afresh.
type consolePeople struct {
	qa.Admin
	teams *teamDirectory
}

// SetTeam sets a person's team (see qa.Admin.SetTeam) and refreshes the rollup's teams.
func (p consolePeople) SetTeam(ctx context.Context, id int64, team string) error {
	if err := p.Admin.SetTeam(ctx, id, team); err != nil {
		return err
	}
	p.teams.Forget()
	return nil
}

// consoleLinks shows and fixes Slack links from the console: through the running
// Slack app when Slack is configured (so its cache forgets the old link at once),
// else in the store directly; removing a link needs Slack (the workspace's URL names
// the account agent).
type consoleLinks struct {
	ws  workspace.Store
	app *slack.App // nil: Slack not configured
	hub *qa.Service
}

// SlackLinksOfPerson lists the links of the hub person personID.
func (l consoleLinks) SlackLinksOfPerson(ctx context.Context, personID string) ([]workspace.Link, error) {
	return l.ws.SlackLinksOfPerson(ctx, personID)
}

// FixLink records userID of teamID as the hub person with email; see slack.App.FixLink.
func (l consoleLinks) FixLink(ctx context.Context, teamID, userID, email string) (workspace.Link, error) {
	if l.app != nil {
		return l.app.FixLink(ctx, teamID, userID, email)
	}
	link, err := slack.AdminLink(ctx, hubForSlack{l.hub}, teamID, userID, email, time.Now())
	if err != nil {
		return link, err
	}
	return link, l.ws.PutSlackLink(ctx, link)
}

// Unlink records userID of teamID under their Slack account; see slack.App.Unlink.
// CodeUnavailable when Slack is not configured.
func (l consoleLinks) Unlink(ctx context.Context, teamID, userID string) (workspace.Link, error) {
	if l.app == nil {
		return workspace.Link{}, capture.Errorf(capture.CodeUnavailable, "Slack is not configured")
	}
	return l.app.Unlink(ctx, teamID, userID)
}

// consoleSettings lists the organisation settings the console's settings page shows,
// with where each value came from.
func consoleSettings(cfg config.Serve) []adminconsole.Setting {
	from := func(flag string) string {
		if o, ok := cfg.Origins[flag]; ok {
			return o
		}
		return "default"
	}
	change := func(flag, env string) string { return "--" + flag + " or " + env }
	privacy := "off: reports show figures about single people"
	if cfg.ReportPrivacy {
		privacy = "on: every report figure stands for at least k people; no per-person lists"
	}
	home := cfg.AgentHomePage
	if home == "" {
		home = "none (mbox agents)"
	}
	zone := "UTC"
	if cfg.Timezone != nil {
		zone = cfg.Timezone.String()
	}
	return []adminconsole.Setting{
		{Name: "Time zone", Value: zone, From: from(config.FlagTimezone), Change: change(config.FlagTimezone, "CAIRN_TIMEZONE"),
			Effect: "where report weeks start (Monday 00:00 there); statements stay stored in UTC; changing it needs cairn reports rebuild"},
		{Name: "Privacy mode", Value: privacy, From: from(config.FlagReportPrivacy), Change: change(config.FlagReportPrivacy, "CAIRN_REPORT_PRIVACY"),
			Effect: "which report figures and lists are shown"},
		{Name: "Smallest group (k)", Value: strconv.Itoa(cfg.ReportMinGroup), From: from(config.FlagReportMinGroup), Change: change(config.FlagReportMinGroup, "CAIRN_REPORT_MIN_GROUP"),
			Effect: "under the privacy mode, the fewest people a figure may stand for"},
		{Name: "Sign-up", Value: cfg.Signup, From: from(config.FlagSignup), Change: change(config.FlagSignup, "CAIRN_SIGNUP"),
			Effect: "who may make a hub account: anyone (open) or invited people (invite)"},
		{Name: "Agent home page", Value: home, From: from(config.FlagAgentHomePage), Change: change(config.FlagAgentHomePage, "CAIRN_AGENT_HOME_PAGE"),
			Effect: "the xAPI agent of people made from now on: an account on this home page, or their mbox"},
	}
}
