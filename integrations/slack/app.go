package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// PageTitles looks up the title of a web page (page enrichment).
type PageTitles interface {
	// PageTitle returns the page's title, "" when it states none; any error means
	// "unknown" and is not shown to the person.
	PageTitle(ctx context.Context, url string) (string, error)
}

// Config wires an App. Client, SigningSecret, Statements, Principal, Workspace and
// BaseURL are required; the rest may be zero.
type Config struct {
	Client        *slack.Client // bot-token client (https://api.slack.com/web)
	SigningSecret string
	Statements    *capture.StatementService
	// Principal is the app's own credential: its Authority is the authority of every
	// statement the app writes; it must allow statement reads and writes.
	Principal capture.Principal
	Workspace workspace.Store
	BaseURL   string // the instance's public URL, no trailing slash: IRIs of named activities

	People    People     // nil: no hub; every user is recorded under their Slack account
	Questions Questions  // nil: no hub; /ask, Answer and the question digest are unavailable
	Pages     PageTitles // nil: links are recorded without looking up their titles

	LearningChannels []string // channel ids whose shared links are recorded (with those in Workspace)
	AskChannel       string   // channel id where /ask posts questions and the weekly digest goes; "" none

	HTTPClient *http.Client   // for response_url follow-ups; nil: a client with a 10 s timeout
	Location   *time.Location // weeks, months and dates; nil: UTC
	Now        func() time.Time
	Logger     *slog.Logger
	Workers    int // background jobs run at once; 0: 4
	QueueSize  int // background jobs waiting; 0: 256
}

// App is the Slack app: it verifies and answers Slack's requests and runs the slow part
// of each (identity lookups, page titles, LRS writes, posts) in bounded background
// workers. Safe for concurrent use; Close stops it.
type App struct {
	cfg      Config
	api      *slack.Client
	verifier *Verifier
	log      *slog.Logger
	now      func() time.Time
	loc      *time.Location
	http     *http.Client

	idMu     sync.Mutex
	ids      map[string]cachedIdentity
	teamURL  string // https://<team>.slack.com, from auth.test
	botUser  string
	eventsMu sync.Mutex
	events   map[string]time.Time // event ids handled, for Slack's retries

	jobsMu   sync.RWMutex
	closed   bool
	jobs     chan func(context.Context)
	jobsCtx  context.Context
	stopJobs context.CancelFunc
	workers  sync.WaitGroup
}

// jobTimeout bounds one background job.
const jobTimeout = 30 * time.Second

// New returns a running App for cfg.
func New(cfg Config) *App {
	a := &App{cfg: cfg, api: cfg.Client, log: cfg.Logger, now: cfg.Now, loc: cfg.Location, http: cfg.HTTPClient,
		ids: map[string]cachedIdentity{}, events: map[string]time.Time{}}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.loc == nil {
		a.loc = time.UTC
	}
	if a.http == nil {
		a.http = &http.Client{Timeout: 10 * time.Second}
	}
	a.verifier = NewVerifier(cfg.SigningSecret, a.now)
	workers, queue := cfg.Workers, cfg.QueueSize
	if workers <= 0 {
		workers = 4
	}
	if queue <= 0 {
		queue = 256
	}
	a.jobs = make(chan func(context.Context), queue)
	a.jobsCtx, a.stopJobs = context.WithCancel(context.Background())
	for range workers {
		a.workers.Add(1)
		go func() {
			defer a.workers.Done()
			for job := range a.jobs {
				a.run(job)
			}
		}()
	}
	return a
}

// run runs one job under the job timeout, logging a panic instead of crashing.
func (a *App) run(job func(context.Context)) {
	ctx, cancel := context.WithTimeout(a.jobsCtx, jobTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("slack: background job panicked", "panic", r)
		}
	}()
	job(ctx)
}

// later queues job for a worker; false when the queue is full or the app is closed.
func (a *App) later(job func(context.Context)) bool {
	a.jobsMu.RLock()
	defer a.jobsMu.RUnlock()
	if a.closed {
		return false
	}
	select {
	case a.jobs <- job:
		return true
	default:
		return false
	}
}

// Close stops taking background jobs and waits for the queued ones until ctx ends;
// then it cancels those still running and returns ctx's error. A repeat call returns nil.
func (a *App) Close(ctx context.Context) error {
	a.jobsMu.Lock()
	if a.closed {
		a.jobsMu.Unlock()
		return nil
	}
	a.closed = true
	close(a.jobs)
	a.jobsMu.Unlock()
	done := make(chan struct{})
	go func() { a.workers.Wait(); close(done) }()
	select {
	case <-done:
		a.stopJobs()
		return nil
	case <-ctx.Done():
		a.stopJobs()
		<-done
		return ctx.Err()
	}
}

// busyText answers when the background queue is full.
const busyText = "Cairn is busy right now; please try again in a minute."

// ephemeral encodes a reply only the caller sees (slash commands).
func ephemeral(text string, blocks ...slack.Block) []byte {
	msg := slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text}
	if len(blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	out, _ := json.Marshal(msg)
	return out
}

// respond posts msg to a response_url (https://api.slack.com/interactivity/handling#message_responses).
func (a *App) respond(ctx context.Context, responseURL string, msg slack.WebhookMessage) {
	if responseURL == "" {
		return
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.http, &msg); err != nil {
		// A response_url is a short-lived capability: it stays out of the logs.
		a.log.Warn("slack: response_url post failed", "err", strings.ReplaceAll(err.Error(), responseURL, "<response_url>"))
	}
}

// replyEphemeral replaces the caller's pending ephemeral message with text and blocks.
func (a *App) replyEphemeral(ctx context.Context, responseURL, text string, blocks ...slack.Block) {
	msg := slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: true, Text: text}
	if len(blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	a.respond(ctx, responseURL, msg)
}

// learningChannels returns the configured learning channels and those in the workspace store.
func (a *App) learningChannels(ctx context.Context) []string {
	out := slices.Clone(a.cfg.LearningChannels)
	chans, err := a.cfg.Workspace.SlackChannels(ctx)
	if err != nil {
		a.log.Warn("slack: cannot read channel roles", "err", err)
		return out
	}
	for _, c := range chans {
		if c.Role == workspace.RoleLearning {
			out = append(out, c.ChannelID)
		}
	}
	return out
}

// tagChannels returns the channels that follow tag.
func (a *App) tagChannels(ctx context.Context, tag string) ([]string, error) {
	chans, err := a.cfg.Workspace.SlackChannels(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range chans {
		if c.Role == workspace.RoleTag && c.Tag == tag {
			out = append(out, c.ChannelID)
		}
	}
	return out, nil
}

// write stores statements under the app's principal.
func (a *App) write(ctx context.Context, stmts ...capture.Statement) error {
	_, err := a.cfg.Statements.Write(ctx, capture.WriteRequest{Statements: stmts, Principal: a.cfg.Principal})
	return err
}
