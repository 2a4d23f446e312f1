package slack

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// Digest sizes.
const (
	digestPeriod      = 7 * 24 * time.Hour
	digestItems       = 5
	maxDigestReadings = 20_000 // read statements counted for "most read"
)

// Digest is one channel's weekly digest.
type Digest struct {
	Since, Until time.Time
	Tag          string // "" for all tags
	Top          []QuestionSummary
	Unanswered   []QuestionSummary
	MostRead     []ReadCount
}

// ReadCount is an article and how many read statements name it.
type ReadCount struct {
	URL   string
	Name  string
	Count int
}

// RunDigest posts the weekly digest for the week ending at now: to the ask channel (all
// tags) and to each tag channel (its tag): top questions, unanswered ones, and the most
// read articles from the LRS. A channel with nothing to report gets no post. Every
// channel is tried; the failures are returned joined. Run it from a scheduler with the
// scheduler's clock.
func (a *App) RunDigest(ctx context.Context, now time.Time) error {
	since := now.Add(-digestPeriod)
	mostRead, err := a.mostRead(ctx, since, now)
	if err != nil {
		return err
	}
	type target struct{ channel, tag string }
	var targets []target
	if a.cfg.AskChannel != "" {
		targets = append(targets, target{a.cfg.AskChannel, ""})
	}
	chans, err := a.cfg.Workspace.SlackChannels(ctx)
	if err != nil {
		return err
	}
	for _, c := range chans {
		if c.Role == workspace.RoleTag {
			targets = append(targets, target{c.ChannelID, c.Tag})
		}
	}
	var errs []error
	for _, t := range targets {
		d := Digest{Since: since, Until: now, Tag: t.tag, MostRead: mostRead}
		if a.cfg.Questions != nil {
			if d.Top, err = a.cfg.Questions.TopQuestions(ctx, t.tag, since, now, digestItems); err != nil {
				errs = append(errs, fmt.Errorf("digest for %s: top questions: %w", t.channel, err))
				continue
			}
			if d.Unanswered, err = a.cfg.Questions.Unanswered(ctx, t.tag, now, digestItems); err != nil {
				errs = append(errs, fmt.Errorf("digest for %s: unanswered: %w", t.channel, err))
				continue
			}
		}
		if len(d.Top)+len(d.Unanswered)+len(d.MostRead) == 0 {
			continue
		}
		if err := a.post(ctx, t.channel, d.title(a.loc), d.Blocks(a.loc)...); err != nil {
			errs = append(errs, fmt.Errorf("digest for %s: %w", t.channel, err))
		}
	}
	return errors.Join(errs...)
}

// mostRead counts the read statements stored in (since, until] by article.
func (a *App) mostRead(ctx context.Context, since, until time.Time) ([]ReadCount, error) {
	counts := map[string]*ReadCount{}
	_, err := a.eachStatement(ctx, capture.StatementParams{VerbID: VerbRead, Since: since, Until: until}, maxDigestReadings, func(v stmtView) {
		c := counts[v.Object.ID]
		if c == nil {
			c = &ReadCount{URL: v.Object.ID}
			counts[v.Object.ID] = c
		}
		if n := v.itemName(); n != v.Object.ID && c.Name == "" {
			c.Name = n
		}
		c.Count++
	})
	if err != nil {
		return nil, err
	}
	out := make([]ReadCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].URL < out[j].URL
	})
	if len(out) > digestItems {
		out = out[:digestItems]
	}
	return out, nil
}

func (d Digest) title(loc *time.Location) string {
	t := fmt.Sprintf("Weekly digest, %s – %s", d.Since.In(loc).Format("2 Jan"), d.Until.In(loc).Format("2 Jan 2006"))
	if d.Tag != "" {
		t += " · #" + d.Tag
	}
	return t
}

// Blocks renders the digest as Block Kit sections.
func (d Digest) Blocks(loc *time.Location) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(plain(d.title(loc)))}
	section := func(head string, lines []string) {
		if len(lines) > 0 {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*"+head+"*\n"+strings.Join(lines, "\n")), nil, nil))
		}
	}
	var lines []string
	for _, q := range d.Top {
		lines = append(lines, fmt.Sprintf("• <%s|%s> (%d votes, %d answers)", q.URL, escape(q.Title), q.Votes, q.Answers))
	}
	section("Top questions", lines)
	lines = nil
	for _, q := range d.Unanswered {
		lines = append(lines, fmt.Sprintf("• <%s|%s>", q.URL, escape(q.Title)))
	}
	section("Waiting for an answer", lines)
	lines = nil
	for _, r := range d.MostRead {
		name := r.Name
		if name == "" {
			name = r.URL
		}
		lines = append(lines, fmt.Sprintf("• <%s|%s> (read %d×)", r.URL, escape(name), r.Count))
	}
	section("Most read", lines)
	return blocks
}
