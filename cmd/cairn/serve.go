package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"runtime/debug"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/web"
	adminconsole "github.com/cairn-lrs/cairn/web/admin"
	"github.com/cairn-lrs/cairn/web/adminapi"
	"github.com/cairn-lrs/cairn/web/extensionapi"
	"github.com/cairn-lrs/cairn/web/slackroutes"
)

// credentialHint tells an operator how to make the first credential.
const credentialHint = "cairn credentials create --name NAME --scopes all"

func setupServe(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindServe(fs)
	return noArgs(c, load, func(ctx context.Context, cfg config.Serve) error {
		return serve(ctx, c, cfg)
	})
}

// serve runs the LRS until ctx is done (SIGINT or SIGTERM), then stops accepting
// connections, lets requests in flight finish within cfg.ShutdownTimeout and closes
// the store, which makes every acknowledged write durable. It returns an error when
// the server cannot start or the shutdown is not clean.
func serve(ctx context.Context, c *cli, cfg config.Serve) error {
	logger := newLogger(c.stderr, cfg.Common)
	if cfg.MemoryLimit > 0 {
		// A soft limit: the runtime collects garbage sooner as the heap nears it, and
		// never fails an allocation because of it.
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	debug.SetGCPercent(cfg.GCPercent)
	store, err := openStore(ctx, cfg.Store, logger)
	if err != nil {
		return err
	}
	var enricher *enrichment
	var reporter *reporting
	var fed *federationRunner
	var slackApp *slackIntegration
	toSlack := &slackNotifier{}
	closeStore := func() error {
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		toSlack.stop(stopCtx)
		slackApp.stop(stopCtx) // its workers write to the store
		cancel()
		if fed != nil {
			fed.stop() // pushers read and pullers write the store
		}
		if enricher != nil {
			enricher.stop() // its workers write to the store
		}
		if reporter != nil {
			reporter.stop()
		}
		if err := store.Close(); err != nil {
			return fmt.Errorf("close store: %s", cfg.Store.Scrub(err.Error()))
		}
		return nil
	}

	credentials := capture.NewCredentialService(store, cfg.BaseURL, nil)
	if creds, err := credentials.List(ctx); err != nil {
		logger.Warn("cannot list credentials", "err", err)
	} else if len(creds) == 0 {
		logger.Warn("no credentials yet: every xAPI request will be refused until one exists; create one with: "+credentialHint,
			"store", cfg.Store)
	}

	stmtCfg := capture.StatementServiceConfig{Store: store, MaxBatch: cfg.MaxBatch, Logger: logger}
	if cfg.Enrich {
		enricher = newEnrichment(cfg, logger)
		stmtCfg.Undefined = enricher.Undefined
	}
	reporter = newReporting(store, cfg, logger)
	var wake atomic.Pointer[federationRunner]
	stmtCfg.Committed = func() {
		if f := wake.Load(); f != nil {
			f.Wake()
		}
		if reporter != nil {
			reporter.Committed()
		}
	}
	statements := capture.NewStatementService(stmtCfg)
	if enricher != nil {
		enricher.start(ctx, statements)
	}
	if reporter != nil {
		reporter.start(ctx, statements)
	}
	if cfg.PartnerKey != "" {
		if fed, err = startFederation(context.WithoutCancel(ctx), store, statements, cfg, logger); err != nil {
			return errors.Join(fmt.Errorf("federation: %w", err), closeStore())
		}
		wake.Store(fed)
	} else if fs, ok := store.(federation.Store); ok {
		if parts, err := fs.Partners(ctx); err == nil && len(parts) > 0 {
			logger.Warn("partners are configured but no partner key is set: nothing is pushed or pulled; set --partner-key or CAIRN_PARTNER_KEY")
		}
	}
	admin := adminapi.Config{Credentials: credentials}
	hubSvc := newHubService(store, statements, toSlack, cfg, logger)
	deps := eraserDeps{baseURL: cfg.BaseURL, pseudonymKey: cfg.PseudonymKey, partnerKey: cfg.PartnerKey, logger: logger,
		credentials: personalCredentials{credentials}, parts: hubParts(hubSvc)}
	if reporter != nil {
		deps.afterReset = reporter.Committed
	}
	if admin.Eraser, err = newEraser(store, deps); err != nil {
		logger.Warn("erasure is off", "err", err)
	}
	var origin func(context.Context, string) (string, error)
	if fed != nil {
		admin.Partners, admin.Manager = fed.partners, fed.mgr
		origin = fed.partners.OriginOf
	} else if fs, ok := store.(federation.Store); ok {
		admin.Partners = federation.NewPartners(fs, nil, nil)
		origin = admin.Partners.OriginOf
	}

	app := web.New(web.Config{
		Statements:  statements,
		Documents:   capture.NewDocumentService(store, nil),
		Credentials: credentials,
		Ready:       store.Ping,
		Logger:      logger,
		BodyLimit:   cfg.BodyLimit,
		WriteBudget: int64(cfg.WriteBudget),
		RateLimit:   cfg.RateLimit,
		Version:     shortVersion(),
		Origin:      origin,
		Mount:       func(app *fiber.App) { adminapi.Mount(app, admin) },
	})
	if slackApp, err = startSlack(cfg, store, statements, enricher, hubSvc, logger); err != nil {
		return errors.Join(err, closeStore())
	}
	if slackApp != nil {
		toSlack.start(slackApp.app, logger)
	}
	slackroutes.Mount(app, slackApp.handler())
	extCfg := extensionapi.Config{Credentials: credentials, XAPIEndpoint: cfg.BaseURL + "/xapi"}
	hub := mountHub(app, hubSvc, store, credentials, cfg, logger)
	// The partners page is registered before the console so that its own same-origin
	// check, not the console's form tokens, guards its forms.
	if hub != nil {
		adminapi.MountPage(app, admin, hub.RequireAdmin)
	} else {
		adminapi.MountPage(app, admin, adminapi.BasicAdmin(credentials))
	}
	if hub != nil {
		extCfg.Person = func(c *fiber.Ctx) (extensionapi.Identity, bool) {
			p, ok := hub.CurrentPerson(c)
			return extensionapi.Identity{Name: p.Name, Email: p.Email, Person: p.Agent}, ok
		}
		console := adminconsole.Config{Access: hub, Statements: statements, Credentials: credentials, Status: storeStatus(store), Logger: logger,
			Eraser: admin.Eraser, Privacy: cfg.ReportPrivacy, Pseudonymize: consolePseudonymizer(cfg, logger),
			People: consolePeople{hubSvc.Admin(), reporter.teamDirectory()}, Hub: hubSvc, Settings: consoleSettings(cfg)}
		if ws, ok := store.(workspace.Store); ok {
			console.SlackLinks = consoleLinks{ws: ws, app: slackApp.slackApp(), hub: hubSvc}
		}

		if reporter != nil {
			console.Reports = reporter.reports
		}
		adminconsole.Mount(app, console)
	}
	extSettings := extensionapi.DefaultSettings()
	extSettings.Deny = cfg.ExtensionDeny
	extCfg.Settings = extSettings
	extensionapi.Mount(app, extCfg)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen: %w", err), closeStore())
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	logger.Info("cairn started", "addr", ln.Addr().String(), "store_kind", cfg.Store.Kind, "store", cfg.Store,
		"base_url", cfg.BaseURL, "version", shortVersion())

	select {
	case <-ctx.Done():
	case err := <-served:
		// The listener failed before any signal: nothing is in flight any more.
		logger.Error("server stopped", "err", err)
		return errors.Join(fmt.Errorf("serve: %w", err), closeStore())
	}

	logger.Info("cairn stopping", "reason", context.Cause(ctx), "timeout", cfg.ShutdownTimeout)
	var errs []error
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: requests still running after %s: %w", cfg.ShutdownTimeout, err))
	}
	if err := closeStore(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		logger.Error("cairn stopped uncleanly", "err", err)
		return err
	}
	logger.Info("cairn stopped")
	return nil
}
