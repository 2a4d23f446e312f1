package mongostore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

var _ workspace.Store = (*Store)(nil)

// slackLinkDoc is one document of the slackLinks collection; _id is "team|user".
type slackLinkDoc struct {
	ID        string    `bson:"_id"`
	TeamID    string    `bson:"teamId"`
	UserID    string    `bson:"userId"`
	PersonID  string    `bson:"personId"`
	Email     string    `bson:"email"`
	Agent     string    `bson:"agent"` // xAPI agent JSON, kept as text (its keys are not field names)
	Source    string    `bson:"source"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

func (d slackLinkDoc) link() workspace.Link {
	return workspace.Link{TeamID: d.TeamID, UserID: d.UserID, PersonID: d.PersonID, Email: d.Email,
		Agent: []byte(d.Agent), Source: workspace.Source(d.Source), UpdatedAt: d.UpdatedAt.UTC()}
}

// slackChanDoc is one document of the slackChannels collection; _id is "channel|role|tag".
type slackChanDoc struct {
	ID        string `bson:"_id"`
	ChannelID string `bson:"channelId"`
	Role      string `bson:"role"`
	Tag       string `bson:"tag"`
}

func slackChanID(c workspace.Channel) string { return c.ChannelID + "|" + string(c.Role) + "|" + c.Tag }

// SlackLink returns the link of userID in teamID, or CodeNotFound.
func (s *Store) SlackLink(ctx context.Context, teamID, userID string) (workspace.Link, error) {
	var d slackLinkDoc
	err := s.slackLinks.FindOne(ctx, bson.D{{Key: "_id", Value: teamID + "|" + userID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return workspace.Link{}, capture.Errorf(capture.CodeNotFound, "no link for Slack user %s", userID)
	}
	if err != nil {
		return workspace.Link{}, storeErr(err, "cannot read the Slack link")
	}
	return d.link(), nil
}

// PutSlackLink creates or replaces the link of l.TeamID and l.UserID.
func (s *Store) PutSlackLink(ctx context.Context, l workspace.Link) error {
	d := slackLinkDoc{ID: l.TeamID + "|" + l.UserID, TeamID: l.TeamID, UserID: l.UserID, PersonID: l.PersonID,
		Email: l.Email, Agent: string(l.Agent), Source: string(l.Source), UpdatedAt: l.UpdatedAt.UTC()}
	_, err := s.slackLinks.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, d, options.Replace().SetUpsert(true))
	return storeErr(err, "cannot store the Slack link")
}

// DeleteSlackLink removes the link of userID in teamID; an absent one is not an error.
func (s *Store) DeleteSlackLink(ctx context.Context, teamID, userID string) error {
	_, err := s.slackLinks.DeleteOne(ctx, bson.D{{Key: "_id", Value: teamID + "|" + userID}})
	return storeErr(err, "cannot delete the Slack link")
}

// SlackLinks lists every link ordered by team, then user.
func (s *Store) SlackLinks(ctx context.Context) ([]workspace.Link, error) {
	return s.findSlackLinks(ctx, bson.D{})
}

// SlackLinksOfPerson lists the links of personID ordered by team, then user.
func (s *Store) SlackLinksOfPerson(ctx context.Context, personID string) ([]workspace.Link, error) {
	if personID == "" {
		return []workspace.Link{}, nil
	}
	return s.findSlackLinks(ctx, bson.D{{Key: "personId", Value: personID}})
}

func (s *Store) findSlackLinks(ctx context.Context, filter bson.D) ([]workspace.Link, error) {
	cur, err := s.slackLinks.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "teamId", Value: 1}, {Key: "userId", Value: 1}}))
	if err != nil {
		return nil, storeErr(err, "cannot list Slack links")
	}
	var docs []slackLinkDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot list Slack links")
	}
	out := make([]workspace.Link, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.link())
	}
	return out, nil
}

// PutSlackChannel records c; a repeat is a no-op.
func (s *Store) PutSlackChannel(ctx context.Context, c workspace.Channel) error {
	d := slackChanDoc{ID: slackChanID(c), ChannelID: c.ChannelID, Role: string(c.Role), Tag: c.Tag}
	_, err := s.slackChans.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, d, options.Replace().SetUpsert(true))
	return storeErr(err, "cannot store the Slack channel")
}

// DeleteSlackChannel removes c; removing an absent one is not an error.
func (s *Store) DeleteSlackChannel(ctx context.Context, c workspace.Channel) error {
	_, err := s.slackChans.DeleteOne(ctx, bson.D{{Key: "_id", Value: slackChanID(c)}})
	return storeErr(err, "cannot delete the Slack channel")
}

// SlackChannels lists every channel role ordered by channel, role, then tag.
func (s *Store) SlackChannels(ctx context.Context) ([]workspace.Channel, error) {
	cur, err := s.slackChans.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{
		{Key: "channelId", Value: 1}, {Key: "role", Value: 1}, {Key: "tag", Value: 1}}))
	if err != nil {
		return nil, storeErr(err, "cannot list Slack channels")
	}
	var docs []slackChanDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeErr(err, "cannot list Slack channels")
	}
	out := make([]workspace.Channel, 0, len(docs))
	for _, d := range docs {
		out = append(out, workspace.Channel{ChannelID: d.ChannelID, Role: workspace.Role(d.Role), Tag: d.Tag})
	}
	return out, nil
}
