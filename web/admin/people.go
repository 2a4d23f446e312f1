package admin

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/qa"
)

// peoplePage is how many people one page of the people list shows.
const peoplePage = 50

// People is the hub's people as the console manages them. The console has already
// checked that the caller is an admin.
type People interface {
	// ListPeople returns a page of people matching q, in id order, and whether more follow.
	ListPeople(ctx context.Context, q qa.PeopleQuery) ([]qa.Person, bool, error)
	// Person returns the person with id, or a capture.CodeNotFound error.
	Person(ctx context.Context, id int64) (qa.Person, error)
	// SetRole sets a person's role; CodeNotFound for an unknown id. A repeat is a no-op.
	SetRole(ctx context.Context, id int64, role qa.Role) error
	// SetTeam sets a person's team ("" : none); CodeInvalid for a team qa.NormalTeam
	// refuses, CodeNotFound for an unknown id. A repeat is a no-op.
	SetTeam(ctx context.Context, id int64, team string) error
}

// SlackLinks are the Slack users linked to hub people, and the administrator's fixes.
type SlackLinks interface {
	// SlackLinksOfPerson lists the links to the hub person personID (decimal id).
	SlackLinksOfPerson(ctx context.Context, personID string) ([]workspace.Link, error)
	// FixLink records userID of teamID as the hub person with email from now on.
	// CodeInvalid for empty ids, CodeNotFound when no hub person has the email.
	FixLink(ctx context.Context, teamID, userID, email string) (workspace.Link, error)
	// Unlink records userID of teamID under their own Slack account from now on.
	// CodeInvalid for empty ids; CodeUnavailable when Slack cannot be reached.
	Unlink(ctx context.Context, teamID, userID string) (workspace.Link, error)
}

// personRow is one person as the people page lists them.
type personRow struct {
	qa.Person
	Links []workspace.Link
}

// peopleList shows the hub's people, searchable by name or email, in keyset pages
// (after=<last id>).
func (c *console) peopleList(ctx *fiber.Ctx) error {
	return c.peopleListWith(ctx, nil)
}

func (c *console) peopleListWith(ctx *fiber.Ctx, extra map[string]any) error {
	text := strings.TrimSpace(ctx.Query("q"))
	after, err := strconv.ParseInt(ctx.Query("after", "0"), 10, 64)
	if err != nil || after < 0 {
		return c.page(ctx.Status(fiber.StatusBadRequest), "error", "People", map[string]any{"Message": "after must be a person id."})
	}
	list, more, err := c.cfg.People.ListPeople(ctx.UserContext(), qa.PeopleQuery{Text: text, After: after, Limit: peoplePage})
	if err != nil {
		if capture.ErrorCode(err) == capture.CodeInvalid {
			return c.page(ctx.Status(fiber.StatusBadRequest), "error", "People", map[string]any{"Message": capture.ErrorMessage(err)})
		}
		return err
	}
	rows := make([]personRow, 0, len(list))
	for _, p := range list {
		row := personRow{Person: p}
		if c.cfg.SlackLinks != nil {
			if row.Links, err = c.cfg.SlackLinks.SlackLinksOfPerson(ctx.UserContext(), strconv.FormatInt(p.ID, 10)); err != nil {
				return err
			}
		}
		rows = append(rows, row)
	}
	data := map[string]any{"People": rows, "Query": text, "Roles": []qa.Role{qa.RoleMember, qa.RoleModerator, qa.RoleAdmin},
		"Slack": c.cfg.SlackLinks != nil, "ShowReputation": !c.privacy(), "MaxTeam": qa.MaxTeam}
	if more && len(list) > 0 {
		next := url.Values{"after": {strconv.FormatInt(list[len(list)-1].ID, 10)}}
		if text != "" {
			next.Set("q", text)
		}
		data["Next"] = "/admin/people?" + next.Encode()
	}
	if after > 0 {
		first := url.Values{}
		if text != "" {
			first.Set("q", text)
		}
		data["First"] = "/admin/people?" + first.Encode()
	}
	for k, v := range extra {
		data[k] = v
	}
	return c.page(ctx, "people", "People", data)
}

// privacy reports whether the privacy rule (no per-person figures) is on.
func (c *console) privacy() bool {
	return c.cfg.Reports != nil && c.cfg.Reports.Privacy.Aggregate
}

// personParam reads the :id route parameter and the person it names, answering 400
// or 404 itself (ok false) when it cannot.
func (c *console) personParam(ctx *fiber.Ctx) (qa.Person, bool, error) {
	id, err := strconv.ParseInt(ctx.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return qa.Person{}, false, c.page(ctx.Status(fiber.StatusBadRequest), "error", "People", map[string]any{"Message": "The address names no person."})
	}
	p, err := c.cfg.People.Person(ctx.UserContext(), id)
	if capture.ErrorCode(err) == capture.CodeNotFound {
		return qa.Person{}, false, c.page(ctx.Status(fiber.StatusNotFound), "error", "People", map[string]any{"Message": "No person with id " + strconv.FormatInt(id, 10) + "."})
	}
	if err != nil {
		return qa.Person{}, false, err
	}
	return p, true, nil
}

// backToPerson answers the POST with a redirect to the people list showing p.
func backToPerson(ctx *fiber.Ctx, p qa.Person) error {
	return ctx.Redirect("/admin/people?"+url.Values{"q": {p.Email}}.Encode(), fiber.StatusSeeOther)
}

// updatePerson sets a person's role and team from the form (fields role, team); a
// bad role or team is a 400 with nothing changed.
func (c *console) updatePerson(ctx *fiber.Ctx) error {
	p, ok, err := c.personParam(ctx)
	if !ok {
		return err
	}
	role, okRole := qa.ParseRole(ctx.FormValue("role"))
	team, errTeam := qa.NormalTeam(ctx.FormValue("team"))
	switch {
	case !okRole:
		return c.peopleListWith(ctx.Status(fiber.StatusBadRequest), map[string]any{"Error": "Choose member, moderator or admin as the role."})
	case errTeam != nil:
		return c.peopleListWith(ctx.Status(fiber.StatusBadRequest), map[string]any{"Error": capture.ErrorMessage(errTeam)})
	}
	if role != p.Role {
		if err := c.cfg.People.SetRole(ctx.UserContext(), p.ID, role); err != nil {
			return err
		}
		c.log.Info("role changed from the console", "person", p.ID, "from", p.Role, "to", role)
	}
	if team != p.Team {
		if err := c.cfg.People.SetTeam(ctx.UserContext(), p.ID, team); err != nil {
			return err
		}
		c.log.Info("team changed from the console", "person", p.ID, "from", p.Team, "to", team)
	}
	return backToPerson(ctx, p)
}

// linkSlack records a Slack user (fields slack_team, slack_user) as the person.
func (c *console) linkSlack(ctx *fiber.Ctx) error {
	p, ok, err := c.personParam(ctx)
	if !ok {
		return err
	}
	team, user := strings.Clone(strings.TrimSpace(ctx.FormValue("slack_team"))), strings.Clone(strings.TrimSpace(ctx.FormValue("slack_user")))
	if !slackID(team) || !slackID(user) {
		return c.peopleListWith(ctx.Status(fiber.StatusBadRequest), map[string]any{"Error": "Give the Slack team id (T…) and user id (U… or W…) in capitals, as Slack shows them."})
	}
	if _, err := c.cfg.SlackLinks.FixLink(ctx.UserContext(), team, user, p.Email); err != nil {
		return c.linkError(ctx, err)
	}
	c.log.Info("slack link set from the console", "person", p.ID, "team", team, "user", user)
	return backToPerson(ctx, p)
}

// unlinkSlack records a Slack user linked to the person (fields slack_team,
// slack_user) under their own Slack account; 404 unless that user is linked to them.
func (c *console) unlinkSlack(ctx *fiber.Ctx) error {
	p, ok, err := c.personParam(ctx)
	if !ok {
		return err
	}
	team, user := strings.Clone(ctx.FormValue("slack_team")), strings.Clone(ctx.FormValue("slack_user"))
	links, err := c.cfg.SlackLinks.SlackLinksOfPerson(ctx.UserContext(), strconv.FormatInt(p.ID, 10))
	if err != nil {
		return err
	}
	found := false
	for _, l := range links {
		found = found || (l.TeamID == team && l.UserID == user)
	}
	if !found {
		return c.peopleListWith(ctx.Status(fiber.StatusNotFound), map[string]any{"Error": "That Slack user is not linked to " + p.Name + "."})
	}
	if _, err := c.cfg.SlackLinks.Unlink(ctx.UserContext(), team, user); err != nil {
		return c.linkError(ctx, err)
	}
	c.log.Info("slack link removed from the console", "person", p.ID, "team", team, "user", user)
	return backToPerson(ctx, p)
}

// linkError shows a Slack link failure the admin can act on; others go to the error handler.
func (c *console) linkError(ctx *fiber.Ctx, err error) error {
	switch capture.ErrorCode(err) {
	case capture.CodeInvalid:
		return c.peopleListWith(ctx.Status(fiber.StatusBadRequest), map[string]any{"Error": capture.ErrorMessage(err)})
	case capture.CodeNotFound:
		return c.peopleListWith(ctx.Status(fiber.StatusNotFound), map[string]any{"Error": capture.ErrorMessage(err)})
	case capture.CodeUnavailable:
		return c.peopleListWith(ctx.Status(fiber.StatusServiceUnavailable), map[string]any{"Error": "Slack cannot be reached right now; try again later."})
	}
	return err
}

// slackID reports whether s looks like a Slack team or user id: 2 to 20 capital
// letters and digits.
func slackID(s string) bool {
	if len(s) < 2 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
