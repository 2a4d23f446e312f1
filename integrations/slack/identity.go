package slack

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// Identity is who a Slack user is recorded as.
type Identity struct {
	Agent    map[string]any // xAPI actor
	AgentKey string         // capture.AgentKeyOf(Agent)
	PersonID string         // hub person, "" when none
	Name     string
	Source   workspace.Source
}

type cachedIdentity struct {
	id Identity
	at time.Time
}

// Identity caching: resolved identities are kept in memory for identityTTL (at most
// maxCachedIdentities of them); a stored account link (no hub person found) is looked
// up again after accountRecheck, so people who join the hub later get linked.
const (
	identityTTL         = 10 * time.Minute
	maxCachedIdentities = 10_000
	accountRecheck      = 24 * time.Hour
)

// Identify returns who userID of teamID is recorded as: the stored link; else, with
// users.info (scope users:read.email), the hub person whose email is the user's
// Slack email (Slack verifies it at sign-in); else the Slack account agent (design.md
// §5). The result is stored as the user's link and cached. Errors from Slack or the
// store are CodeUnavailable or CodeInternal.
func (a *App) Identify(ctx context.Context, teamID, userID string) (Identity, error) {
	key := teamID + "|" + userID
	now := a.now()
	a.idMu.Lock()
	if c, ok := a.ids[key]; ok && now.Sub(c.at) < identityTTL {
		a.idMu.Unlock()
		return c.id, nil
	}
	a.idMu.Unlock()

	link, err := a.cfg.Workspace.SlackLink(ctx, teamID, userID)
	switch {
	case err == nil && (link.Source != workspace.SourceAccount || a.cfg.People == nil || now.Sub(link.UpdatedAt) < accountRecheck):
	case err == nil || capture.ErrorCode(err) == capture.CodeNotFound:
		if link, err = a.resolve(ctx, teamID, userID); err != nil {
			return Identity{}, err
		}
		if err := a.cfg.Workspace.PutSlackLink(ctx, link); err != nil {
			return Identity{}, err
		}
	default:
		return Identity{}, err
	}
	id, err := identityOf(link)
	if err != nil {
		return Identity{}, err
	}
	a.remember(key, id, now)
	return id, nil
}

func (a *App) remember(key string, id Identity, now time.Time) {
	a.idMu.Lock()
	defer a.idMu.Unlock()
	if len(a.ids) >= maxCachedIdentities {
		clear(a.ids)
	}
	a.ids[key] = cachedIdentity{id: id, at: now}
}

// forget drops the cached identity of one user.
func (a *App) forget(teamID, userID string) {
	a.idMu.Lock()
	delete(a.ids, teamID+"|"+userID)
	a.idMu.Unlock()
}

func identityOf(l workspace.Link) (Identity, error) {
	var agent map[string]any
	if err := json.Unmarshal(l.Agent, &agent); err != nil {
		return Identity{}, capture.Internal(err, "stored Slack link has no valid agent")
	}
	key, err := capture.AgentKeyOf(agent)
	if err != nil {
		return Identity{}, capture.Internal(err, "stored Slack link has no valid agent")
	}
	name, _ := agent["name"].(string)
	return Identity{Agent: agent, AgentKey: key, PersonID: l.PersonID, Name: name, Source: l.Source}, nil
}

// resolve makes a fresh link for userID from users.info and the hub.
func (a *App) resolve(ctx context.Context, teamID, userID string) (workspace.Link, error) {
	user, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		if ctx.Err() != nil {
			return workspace.Link{}, &capture.Error{Code: capture.CodeUnavailable, Message: "cannot look up the Slack user", Err: err}
		}
		// Refused (e.g. a scope the workspace withholds) or unreachable: the Slack
		// account stands in, and the daily recheck of account links tries again.
		a.log.Warn("slack: users.info failed; recording under the Slack account", "user", userID, "err", err)
		user = &slack.User{}
	}
	name := user.RealName
	if name == "" {
		name = user.Name
	}
	email := strings.ToLower(strings.TrimSpace(user.Profile.Email))
	l := workspace.Link{TeamID: teamID, UserID: userID, Email: email, UpdatedAt: a.now().UTC()}
	if email != "" && a.cfg.People != nil && !user.IsBot {
		p, err := a.cfg.People.PersonByEmail(ctx, email)
		switch {
		case err == nil:
			l.PersonID, l.Source = p.ID, workspace.SourceEmail
			l.Agent, err = personAgent(p)
			return l, err
		case capture.ErrorCode(err) != capture.CodeNotFound:
			return workspace.Link{}, err
		}
	}
	home, err := a.team(ctx)
	if err != nil {
		return workspace.Link{}, err
	}
	agent := map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": home, "name": userID}}
	if name != "" {
		agent["name"] = name
	}
	l.Source = workspace.SourceAccount
	l.Agent, err = json.Marshal(agent)
	return l, err
}

// personAgent returns the agent a hub person is recorded as: the hub's, else their mbox.
func personAgent(p Person) (json.RawMessage, error) {
	agent := p.Agent
	if agent == nil {
		agent = map[string]any{"objectType": "Agent", "mbox": "mailto:" + p.Email}
		if p.Name != "" {
			agent["name"] = p.Name
		}
	}
	if _, err := capture.AgentKeyOf(agent); err != nil {
		return nil, capture.Internal(err, "hub person has no valid agent")
	}
	return json.Marshal(agent)
}

// team returns https://<team>.slack.com from auth.test (cached after the first success).
func (a *App) team(ctx context.Context) (string, error) {
	a.idMu.Lock()
	home := a.teamURL
	a.idMu.Unlock()
	if home != "" {
		return home, nil
	}
	res, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return "", &capture.Error{Code: capture.CodeUnavailable, Message: "cannot reach Slack (auth.test)", Err: err}
	}
	home = strings.TrimSuffix(res.URL, "/")
	a.idMu.Lock()
	a.teamURL, a.botUser = home, res.UserID
	a.idMu.Unlock()
	return home, nil
}

// FixLink is the administrator's correction of a user's link: userID of teamID is
// recorded from now on as the hub person with email (CodeNotFound if the hub has none),
// or, without a hub, as the agent mailto:email. Automatic resolution never replaces it;
// a repeat call with the same email changes nothing but the time. Statements already
// written keep their actor.
func (a *App) FixLink(ctx context.Context, teamID, userID, email string) (workspace.Link, error) {
	l, err := AdminLink(ctx, a.cfg.People, teamID, userID, email, a.now())
	if err != nil {
		return l, err
	}
	if err := a.cfg.Workspace.PutSlackLink(ctx, l); err != nil {
		return workspace.Link{}, err
	}
	a.forget(teamID, userID)
	return l, nil
}

// Unlink is the administrator's removal of a user's link to a hub person: userID of
// teamID is recorded from now on under their Slack account agent (account{homePage the
// workspace URL, name userID}), as an admin link that automatic resolution never
// replaces. Empty ids → CodeInvalid; Slack unreachable → CodeUnavailable. A repeat
// call changes nothing but the time. Statements already written keep their actor.
func (a *App) Unlink(ctx context.Context, teamID, userID string) (workspace.Link, error) {
	if teamID == "" || userID == "" {
		return workspace.Link{}, capture.Errorf(capture.CodeInvalid, "a link needs a team id and a user id")
	}
	home, err := a.team(ctx)
	if err != nil {
		return workspace.Link{}, err
	}
	l := workspace.Link{TeamID: teamID, UserID: userID, Source: workspace.SourceAdmin, UpdatedAt: a.now().UTC()}
	if l.Agent, err = json.Marshal(map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": home, "name": userID}}); err != nil {
		return workspace.Link{}, capture.Internal(err, "encode agent")
	}
	if err := a.cfg.Workspace.PutSlackLink(ctx, l); err != nil {
		return workspace.Link{}, err
	}
	a.forget(teamID, userID)
	return l, nil
}

// AdminLink builds an administrator's link of userID in teamID to email: the hub person
// with that email when people is set (CodeNotFound if none), else the agent
// mailto:email. Empty ids or an email without '@' → CodeInvalid.
func AdminLink(ctx context.Context, people People, teamID, userID, email string, now time.Time) (workspace.Link, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if teamID == "" || userID == "" || !strings.Contains(email, "@") {
		return workspace.Link{}, capture.Errorf(capture.CodeInvalid, "a link needs a team id, a user id and an email address")
	}
	l := workspace.Link{TeamID: teamID, UserID: userID, Email: email, Source: workspace.SourceAdmin, UpdatedAt: now.UTC()}
	p := Person{Email: email}
	if people != nil {
		var err error
		if p, err = people.PersonByEmail(ctx, email); err != nil {
			return workspace.Link{}, err
		}
		l.PersonID = p.ID
	}
	var err error
	l.Agent, err = personAgent(p)
	return l, err
}
