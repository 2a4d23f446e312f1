package main

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/qa"
	adminconsole "github.com/cairn-lrs/cairn/web/admin"
	"github.com/cairn-lrs/cairn/web/hub"
	"github.com/gofiber/fiber/v2"
)

// newHubService returns the Q&A hub's service when the store keeps the hub's data
// (nil otherwise); the hub records every action through statements and notifies
// through its in-app inbox and extra (e.g. Slack).
func newHubService(store capture.Store, statements *capture.StatementService, extra qa.Notifier, cfg config.Serve, logger *slog.Logger) *qa.Service {
	qstore, ok := store.(qa.Store)
	if !ok {
		logger.Warn("the Q&A hub is not served: this store has no Q&A tables", "store_kind", cfg.Store.Kind)
		return nil
	}
	return qa.NewService(qa.Config{
		Store: qstore, Statements: statements, Notifier: qa.Notifiers{qa.Inbox{Store: qstore}, extra},
		BaseURL: cfg.BaseURL, AgentHomePage: cfg.AgentHomePage, Signup: qa.SignupMode(cfg.Signup), Logger: logger,
	})
}

// mountHub serves the hub of svc at / on app; nil svc serves nothing. Profiles show
// the person's Slack links when the store keeps them.
func mountHub(app *fiber.App, svc *qa.Service, store capture.Store, credentials *capture.CredentialService, cfg config.Serve, logger *slog.Logger) *hub.Hub {
	if svc == nil {
		return nil
	}
	hc := hub.Config{Service: svc, Credentials: credentials, Logger: logger,
		SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://")}
	if ws, ok := store.(workspace.Store); ok {
		hc.LinkedAccounts = slackAccounts(ws)
	}
	h := hub.New(hc)
	h.Mount(app)
	return h
}

// slackAccounts lists a hub person's Slack links for their profile.
func slackAccounts(ws workspace.Store) func(ctx context.Context, personID int64) ([]hub.LinkedAccount, error) {
	return func(ctx context.Context, personID int64) ([]hub.LinkedAccount, error) {
		links, err := ws.SlackLinksOfPerson(ctx, strconv.FormatInt(personID, 10))
		if err != nil {
			return nil, err
		}
		out := make([]hub.LinkedAccount, 0, len(links))
		for _, l := range links {
			note := "matched by email"
			switch l.Source {
			case workspace.SourceAdmin:
				note = "set by an admin"
			case workspace.SourceAccount:
				note = "Slack account"
			}
			out = append(out, hub.LinkedAccount{Service: "Slack", Name: l.UserID + " in workspace " + l.TeamID, Note: note})
		}
		return out, nil
	}
}

// storeStatus returns what the console's status page shows about store: statements
// (counted on the embedded store; elsewhere the highest sequence number, which counts
// erased statements too), the last stored time and, on the embedded store, the bytes
// on disk.
func storeStatus(store capture.Store) func(ctx context.Context) (adminconsole.Status, error) {
	return func(ctx context.Context) (adminconsole.Status, error) {
		var st adminconsole.Status
		last, err := store.LastSeq(ctx)
		if err != nil {
			return st, err
		}
		st.Statements = last
		if last > 0 {
			recs, err := store.StatementsAfter(ctx, last-1, 1)
			if err != nil {
				return st, err
			}
			if len(recs) == 1 {
				st.LastStored = recs[0].Stored
			}
		}
		if sized, ok := store.(interface {
			Stats(context.Context) (int64, int64, error)
		}); ok {
			// The embedded store counts its statements (erasure removes some) and
			// knows its size on disk.
			n, bytes, err := sized.Stats(ctx)
			if err != nil {
				return st, err
			}
			st.Statements, st.StoreBytes = n, bytes
		}
		return st, nil
	}
}
