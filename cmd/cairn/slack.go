package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	_ "time/tzdata" // the digest's time zone must load on hosts without zoneinfo

	"github.com/go-co-op/gocron/v2"
	goslack "github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/integrations/slack"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/web/slackroutes"
)

// digestTimeout bounds one run of the weekly digest.
const digestTimeout = 10 * time.Minute

// slackIntegration is the running Slack app and the scheduler of its weekly digest.
type slackIntegration struct {
	app   *slack.App
	sched gocron.Scheduler // nil when the digest is off
	job   gocron.Job
	log   *slog.Logger
}

// slackPrincipal is the credential the Slack app writes and reads statements under; its
// authority is an account on the instance named "slack".
func slackPrincipal(baseURL string) (capture.Principal, error) {
	authority := map[string]any{"objectType": "Agent", "name": "Cairn Slack app",
		"account": map[string]any{"homePage": baseURL, "name": "slack"}}
	key, err := capture.AgentKeyOf(authority)
	if err != nil {
		return capture.Principal{}, err
	}
	return capture.Principal{
		Credential: capture.Credential{Key: "slack", Name: "Cairn Slack app",
			Scopes: []string{capture.ScopeStatementsWrite, capture.ScopeStatementsRead}},
		Authority: authority, AuthorityKey: key,
	}, nil
}

// pageTitles looks page titles up through the guarded enrichment fetcher.
type pageTitles struct{ e *enrichment }

// PageTitle returns the fetched page's title.
func (p pageTitles) PageTitle(ctx context.Context, url string) (string, error) {
	page, err := p.e.fetcher.Fetch(ctx, url)
	return page.Title, err
}

// startSlack starts the Slack app when its settings are present (nil, nil otherwise)
// and schedules its weekly digest. With the Q&A hub (hubSvc not nil) Slack users are
// matched to hub people and /ask and Answer go to the hub; without it users are
// recorded under their Slack accounts and /ask answers that the hub is unavailable.
func startSlack(cfg config.Serve, store capture.Store, statements *capture.StatementService, enricher *enrichment, hubSvc *qa.Service, logger *slog.Logger) (*slackIntegration, error) {
	sc := cfg.Slack
	if !sc.Enabled() {
		return nil, nil
	}
	ws, ok := store.(workspace.Store)
	if !ok {
		return nil, fmt.Errorf("slack: the store cannot keep Slack links")
	}
	principal, err := slackPrincipal(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	appCfg := slack.Config{
		Client:           goslack.New(sc.BotToken.Reveal(), goslack.OptionHTTPClient(&http.Client{Timeout: 15 * time.Second})),
		SigningSecret:    sc.SigningSecret.Reveal(),
		Statements:       statements,
		Principal:        principal,
		Workspace:        ws,
		BaseURL:          cfg.BaseURL,
		LearningChannels: sc.LearningChannels,
		AskChannel:       sc.AskChannel,
		Location:         sc.TimeZone,
		Logger:           logger,
	}
	if enricher != nil {
		appCfg.Pages = pageTitles{enricher}
	}
	if hubSvc != nil {
		appCfg.People, appCfg.Questions = hubForSlack{hubSvc}, hubForSlack{hubSvc}
	}
	s := &slackIntegration{app: slack.New(appCfg), log: logger}
	if !sc.DigestOff {
		if err := s.schedule(sc, time.Now); err != nil {
			s.app.Close(context.Background())
			return nil, err
		}
	}
	logger.Info("slack app on", "learning_channels", sc.LearningChannels, "ask_channel", sc.AskChannel,
		"digest", s.digestText(sc))
	return s, nil
}

// schedule runs the digest weekly at the configured day, time and zone with gocron;
// a run still going when the next is due is skipped. now is the clock each run is
// given.
func (s *slackIntegration) schedule(sc config.Slack, now func() time.Time) error {
	sched, err := gocron.NewScheduler(gocron.WithLocation(sc.TimeZone))
	if err != nil {
		return fmt.Errorf("slack digest scheduler: %w", err)
	}
	job, err := sched.NewJob(
		gocron.WeeklyJob(1, gocron.NewWeekdays(sc.DigestDay), gocron.NewAtTimes(gocron.NewAtTime(uint(sc.DigestHour), uint(sc.DigestMinute), 0))),
		gocron.NewTask(func() {
			ctx, cancel := context.WithTimeout(context.Background(), digestTimeout)
			defer cancel()
			if err := s.app.RunDigest(ctx, now()); err != nil {
				s.log.Warn("slack digest failed", "err", err)
			}
		}),
		gocron.WithName("slack-digest"),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
	)
	if err != nil {
		sched.Shutdown()
		return fmt.Errorf("slack digest schedule: %w", err)
	}
	sched.Start()
	s.sched, s.job = sched, job
	return nil
}

func (s *slackIntegration) digestText(sc config.Slack) string {
	if sc.DigestOff {
		return "off"
	}
	return fmt.Sprintf("%s %02d:%02d %s", sc.DigestDay, sc.DigestHour, sc.DigestMinute, sc.TimeZone)
}

// handler returns the routes' handler; nil (routes answer 404) when Slack is off.
func (s *slackIntegration) handler() slackroutes.Handler {
	if s == nil {
		return nil
	}
	return s.app
}

// stop ends the scheduler and waits for the app's background work until ctx ends.
func (s *slackIntegration) stop(ctx context.Context) {
	if s == nil {
		return
	}
	if s.sched != nil {
		if err := s.sched.Shutdown(); err != nil {
			s.log.Warn("slack digest scheduler stop", "err", err)
		}
	}
	if err := s.app.Close(ctx); err != nil {
		s.log.Warn("slack: background work cut short at shutdown", "err", err)
	}
}

// slackApp returns the running Slack app; nil when Slack is not configured.
func (s *slackIntegration) slackApp() *slack.App {
	if s == nil {
		return nil
	}
	return s.app
}
