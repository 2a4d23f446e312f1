package main

import (
	"log/slog"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/qa"
	"github.com/cairn-lrs/cairn/web/hub"
	"github.com/gofiber/fiber/v2"
)

// mountHub serves the Q&A hub at / on app when the store keeps the hub's data; the
// hub records every action through statements. It reports whether the hub is served.
func mountHub(app *fiber.App, store capture.Store, statements *capture.StatementService, credentials *capture.CredentialService, cfg config.Serve, logger *slog.Logger) bool {
	qstore, ok := store.(qa.Store)
	if !ok {
		logger.Warn("the Q&A hub is not served: this store has no Q&A tables", "store_kind", cfg.Store.Kind)
		return false
	}
	svc := qa.NewService(qa.Config{
		Store: qstore, Statements: statements, Notifier: qa.Inbox{Store: qstore},
		BaseURL: cfg.BaseURL, AgentHomePage: cfg.AgentHomePage, Signup: qa.SignupMode(cfg.Signup), Logger: logger,
	})
	hub.New(hub.Config{Service: svc, Credentials: credentials, Logger: logger,
		SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://")}).Mount(app)
	return true
}
