// Package workspace holds what Cairn keeps about the Slack workspace it is installed
// in: the link from each Slack user to a hub person or an xAPI agent, and the roles of
// channels (learning channels, tag channels). Store adapters live in
// capture/sqlitestore and capture/mongostore; workspacetest is their contract suite.
package workspace

import (
	"context"
	"encoding/json"
	"time"
)

// Source says how a Link was made.
type Source string

// The link sources.
const (
	// SourceEmail: the Slack user's verified email matched a hub person.
	SourceEmail Source = "email"
	// SourceAccount: no hub person matched; the agent is the Slack account
	// (design.md §5: account{homePage "https://<team>.slack.com", name "<user id>"}).
	SourceAccount Source = "account"
	// SourceAdmin: an administrator set the link; automatic resolution never replaces it.
	SourceAdmin Source = "admin"
)

// Link ties one Slack user to the identity Cairn records their learning under.
type Link struct {
	TeamID    string
	UserID    string
	PersonID  string          // hub person id; "" when the user has no hub account
	Email     string          // the verified email the link was made from, if any
	Agent     json.RawMessage // the xAPI agent object statements carry as actor
	Source    Source
	UpdatedAt time.Time // UTC
}

// Role is what Cairn does with a channel.
type Role string

// The channel roles.
const (
	RoleLearning Role = "learning" // links shared here become "shared" statements
	RoleTag      Role = "tag"      // new questions in Tag are posted here, with a weekly digest
)

// Channel is one channel's role; Tag is set for RoleTag only.
type Channel struct {
	ChannelID string
	Role      Role
	Tag       string
}

// Store keeps links and channel roles. Methods are safe for concurrent use.
type Store interface {
	// SlackLink returns the link of userID in teamID, or a capture.CodeNotFound error.
	SlackLink(ctx context.Context, teamID, userID string) (Link, error)
	// PutSlackLink creates or replaces the link of l.TeamID and l.UserID; a repeat call
	// with the same link changes nothing.
	PutSlackLink(ctx context.Context, l Link) error
	// SlackLinks lists every link ordered by team, then user.
	SlackLinks(ctx context.Context) ([]Link, error)
	// SlackLinksOfPerson lists the links whose PersonID is personID (for the person's
	// profile), ordered by team, then user; none is an empty list, not an error.
	SlackLinksOfPerson(ctx context.Context, personID string) ([]Link, error)
	// DeleteSlackLink removes the link of userID in teamID (the person's erasure);
	// removing an absent link is not an error.
	DeleteSlackLink(ctx context.Context, teamID, userID string) error
	// PutSlackChannel records c; recording an existing channel role again is a no-op.
	PutSlackChannel(ctx context.Context, c Channel) error
	// DeleteSlackChannel removes c; removing an absent one is not an error.
	DeleteSlackChannel(ctx context.Context, c Channel) error
	// SlackChannels lists every channel role ordered by channel, role, then tag.
	SlackChannels(ctx context.Context) ([]Channel, error)
}
