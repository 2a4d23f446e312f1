package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

var _ workspace.Store = (*Store)(nil)

// slackMigrations hold the Slack app's tables: user links and channel roles.
var slackMigrations = []string{
	// 1: initial schema.
	`
CREATE TABLE slack_links (
	team_id    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	person_id  TEXT    NOT NULL,           -- '' when the user has no hub account
	email      TEXT    NOT NULL,
	agent      BLOB    NOT NULL,           -- xAPI agent JSON
	source     TEXT    NOT NULL,
	updated_at INTEGER NOT NULL,           -- unix nanoseconds, UTC
	PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX slack_links_person ON slack_links (person_id) WHERE person_id <> '';

CREATE TABLE slack_channels (
	channel_id TEXT NOT NULL,
	role       TEXT NOT NULL,
	tag        TEXT NOT NULL,
	PRIMARY KEY (channel_id, role, tag)
) WITHOUT ROWID;
`,
}

const slackLinkColumns = `team_id, user_id, person_id, email, agent, source, updated_at`

func scanSlackLink(row interface{ Scan(...any) error }) (workspace.Link, error) {
	var l workspace.Link
	var agent []byte
	var src string
	var updated int64
	if err := row.Scan(&l.TeamID, &l.UserID, &l.PersonID, &l.Email, &agent, &src, &updated); err != nil {
		return l, err
	}
	l.Agent, l.Source, l.UpdatedAt = agent, workspace.Source(src), time.Unix(0, updated).UTC()
	return l, nil
}

// SlackLink returns the link of userID in teamID, or CodeNotFound.
func (s *Store) SlackLink(ctx context.Context, teamID, userID string) (workspace.Link, error) {
	st, err := s.readStmt(ctx, `SELECT `+slackLinkColumns+` FROM slack_links WHERE team_id = ? AND user_id = ?`)
	if err != nil {
		return workspace.Link{}, internal(err, "slack link")
	}
	l, err := scanSlackLink(st.QueryRowContext(ctx, teamID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return workspace.Link{}, capture.Errorf(capture.CodeNotFound, "no link for Slack user %s", userID)
	}
	if err != nil {
		return workspace.Link{}, internal(err, "slack link")
	}
	return l, nil
}

// PutSlackLink creates or replaces the link of l.TeamID and l.UserID.
func (s *Store) PutSlackLink(ctx context.Context, l workspace.Link) error {
	return s.writeTx(ctx, "put slack link", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO slack_links (`+slackLinkColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (team_id, user_id) DO UPDATE SET person_id = excluded.person_id, email = excluded.email,
			agent = excluded.agent, source = excluded.source, updated_at = excluded.updated_at`,
			l.TeamID, l.UserID, l.PersonID, l.Email, nonNilBytes(l.Agent), string(l.Source), l.UpdatedAt.UnixNano())
		return err
	})
}

// DeleteSlackLink removes the link of userID in teamID; an absent one is not an error.
func (s *Store) DeleteSlackLink(ctx context.Context, teamID, userID string) error {
	return s.writeTx(ctx, "delete slack link", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM slack_links WHERE team_id = ? AND user_id = ?`, teamID, userID)
		return err
	})
}

// SlackLinks lists every link ordered by team, then user.
func (s *Store) SlackLinks(ctx context.Context) ([]workspace.Link, error) {
	return s.slackLinks(ctx, `SELECT `+slackLinkColumns+` FROM slack_links ORDER BY team_id, user_id`)
}

// SlackLinksOfPerson lists the links of personID ordered by team, then user.
func (s *Store) SlackLinksOfPerson(ctx context.Context, personID string) ([]workspace.Link, error) {
	if personID == "" {
		return []workspace.Link{}, nil
	}
	return s.slackLinks(ctx, `SELECT `+slackLinkColumns+` FROM slack_links WHERE person_id = ? ORDER BY team_id, user_id`, personID)
}

func (s *Store) slackLinks(ctx context.Context, query string, args ...any) ([]workspace.Link, error) {
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return nil, internal(err, "slack links")
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, internal(err, "slack links")
	}
	defer rows.Close()
	out := []workspace.Link{}
	for rows.Next() {
		l, err := scanSlackLink(rows)
		if err != nil {
			return nil, internal(err, "slack links")
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "slack links")
	}
	return out, nil
}

// PutSlackChannel records c; a repeat is a no-op.
func (s *Store) PutSlackChannel(ctx context.Context, c workspace.Channel) error {
	return s.writeTx(ctx, "put slack channel", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `INSERT INTO slack_channels (channel_id, role, tag) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			c.ChannelID, string(c.Role), c.Tag)
		return err
	})
}

// DeleteSlackChannel removes c; removing an absent one is not an error.
func (s *Store) DeleteSlackChannel(ctx context.Context, c workspace.Channel) error {
	return s.writeTx(ctx, "delete slack channel", func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, `DELETE FROM slack_channels WHERE channel_id = ? AND role = ? AND tag = ?`,
			c.ChannelID, string(c.Role), c.Tag)
		return err
	})
}

// SlackChannels lists every channel role ordered by channel, role, then tag.
func (s *Store) SlackChannels(ctx context.Context) ([]workspace.Channel, error) {
	st, err := s.readStmt(ctx, `SELECT channel_id, role, tag FROM slack_channels ORDER BY channel_id, role, tag`)
	if err != nil {
		return nil, internal(err, "slack channels")
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, internal(err, "slack channels")
	}
	defer rows.Close()
	out := []workspace.Channel{}
	for rows.Next() {
		var c workspace.Channel
		var role string
		if err := rows.Scan(&c.ChannelID, &role, &c.Tag); err != nil {
			return nil, internal(err, "slack channels")
		}
		c.Role = workspace.Role(role)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "slack channels")
	}
	return out, nil
}
