package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/integrations/slack"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// withWorkspace opens the configured store, runs fn with its Slack workspace records
// and closes the store.
func withWorkspace(ctx context.Context, c *cli, cfg config.Common, fn func(workspace.Store) error) error {
	return withStore(ctx, c, cfg, func(store capture.Store, _ *slog.Logger) error {
		ws, ok := store.(workspace.Store)
		if !ok {
			return fmt.Errorf("the store %s cannot keep Slack records", cfg.Store)
		}
		return fn(ws)
	})
}

// linkJSON is one link in `slack links --json`.
type linkJSON struct {
	Team    string          `json:"team"`
	User    string          `json:"user"`
	Person  string          `json:"person,omitempty"`
	Email   string          `json:"email,omitempty"`
	Source  string          `json:"source"`
	Agent   json.RawMessage `json:"agent"`
	Updated time.Time       `json:"updated"`
}

func setupSlackLinks(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	asJSON := fs.Bool("json", false, "print a JSON array")
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		return withWorkspace(ctx, c, cfg, func(ws workspace.Store) error {
			links, err := ws.SlackLinks(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				out := make([]linkJSON, 0, len(links))
				for _, l := range links {
					out = append(out, linkJSON{l.TeamID, l.UserID, l.PersonID, l.Email, string(l.Source), l.Agent, l.UpdatedAt.UTC()})
				}
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			if len(links) == 0 {
				fmt.Fprintln(c.stdout, "No Slack users linked yet: links are made when people first use the Slack app.")
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TEAM\tUSER\tPERSON\tEMAIL\tSOURCE\tUPDATED")
			for _, l := range links {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.TeamID, l.UserID, dash(l.PersonID), dash(l.Email), l.Source, l.UpdatedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		})
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func setupSlackLink(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	team := fs.String("team", "", "Slack `TEAM` id, e.g. T0123ABCD (required)")
	user := fs.String("user", "", "Slack `USER` id, e.g. U0123ABCD (required)")
	email := fs.String("email", "", "the `EMAIL` address the user's learning is recorded under (required)")
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		l, err := slack.AdminLink(ctx, nil, strings.TrimSpace(*team), strings.TrimSpace(*user), *email, time.Now())
		if err != nil {
			return serviceError(err)
		}
		return withWorkspace(ctx, c, cfg, func(ws workspace.Store) error {
			if err := ws.PutSlackLink(ctx, l); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Slack user %s of %s is now recorded as %s (from the next request on; a running server may take up to 10 minutes to notice).\n", l.UserID, l.TeamID, l.Email)
			return nil
		})
	})
}

func setupSlackChannel(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	channel := fs.String("channel", "", "Slack `CHANNEL` id, e.g. C0123ABCD (required)")
	learning := fs.Bool("learning", false, "links shared in the channel are recorded as learning")
	tag := fs.String("tag", "", "new questions with `TAG` are posted in the channel, which also gets the tag's weekly digest")
	remove := fs.Bool("remove", false, "remove the role instead of adding it")
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		ids, err := config.ParseSlackChannels(*channel)
		if err != nil || len(ids) != 1 {
			return usageErrorf("--channel takes one Slack channel id, e.g. C0123ABCD")
		}
		t := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(*tag)), "#")
		if *learning == (t != "") {
			return usageErrorf("give exactly one of --learning and --tag")
		}
		ch := workspace.Channel{ChannelID: ids[0], Role: workspace.RoleLearning}
		if t != "" {
			ch = workspace.Channel{ChannelID: ids[0], Role: workspace.RoleTag, Tag: t}
		}
		return withWorkspace(ctx, c, cfg, func(ws workspace.Store) error {
			if *remove {
				return ws.DeleteSlackChannel(ctx, ch)
			}
			return ws.PutSlackChannel(ctx, ch)
		})
	})
}

func setupSlackChannels(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		return withWorkspace(ctx, c, cfg, func(ws workspace.Store) error {
			chans, err := ws.SlackChannels(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CHANNEL\tROLE\tTAG")
			for _, ch := range chans {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.ChannelID, ch.Role, dash(ch.Tag))
			}
			return tw.Flush()
		})
	})
}
