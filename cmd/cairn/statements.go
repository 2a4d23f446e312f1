package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/transfer"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/federation"
)

// progressEvery is how often a long export or import logs how far it got.
const progressEvery = 2 * time.Second

// withStatements opens the configured store, runs fn with a statement service and a
// credential service over it, and closes the store.
func withStatements(ctx context.Context, c *cli, cfg config.Common, baseURL string, fn func(*capture.StatementService, *capture.CredentialService, *slog.Logger) error) error {
	return withStore(ctx, c, cfg, func(store capture.Store, logger *slog.Logger) error {
		svc := capture.NewStatementService(capture.StatementServiceConfig{Store: store, Logger: logger})
		return fn(svc, capture.NewCredentialService(store, baseURL, nil), logger)
	})
}

// throttled returns fn wrapped so that it runs at most once per progressEvery.
func throttled[T any](fn func(T)) func(T) {
	var last time.Time
	return func(v T) {
		if now := time.Now(); now.Sub(last) >= progressEvery {
			last = now
			fn(v)
		}
	}
}

func setupStatementsExport(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindExport(fs)
	pseudonymise := fs.Bool("pseudonymise", false, "replace every agent identifier with a keyed pseudonym and every name with a label (needs --pseudonym-key or --partner-key)")
	format := fs.String("format", "ndjson", "`FORMAT`: ndjson (statements exactly as stored) or csv (one row each)")
	output := fs.String("output", "-", "`FILE` to write; - for standard output")
	platform := fs.String("platform", "", "keep only statements whose context.platform is `PLATFORM`")
	filters := map[string]*string{}
	for _, f := range []struct{ name, meta, usage string }{
		{"agent", "JSON", "keep statements about this agent, as the xAPI agent parameter"},
		{"verb", "IRI", "keep statements with this verb id"},
		{"activity", "IRI", "keep statements with this activity as object"},
		{"registration", "UUID", "keep statements with this registration"},
		{"since", "TIME", "keep statements stored after this ISO 8601 time"},
		{"until", "TIME", "keep statements stored at or before this ISO 8601 time"},
		{"related_agents", "BOOL", "with --agent: match the agent anywhere in the statement"},
		{"related_activities", "BOOL", "with --activity: match the activity anywhere in the statement"},
	} {
		filters[f.name] = fs.String(f.name, "", "`"+f.meta+"`: "+f.usage)
	}
	return noArgs(c, load, func(ctx context.Context, ecfg config.Export) error {
		cfg := ecfg.Common
		f, err := transfer.ParseFormat(*format)
		if err != nil {
			return usageError{err}
		}
		q := url.Values{}
		for name, v := range filters {
			if *v != "" {
				q.Set(name, *v)
			}
		}
		params, err := capture.ParseStatementParams(q)
		if err != nil {
			return usageErrorf("%s", capture.ErrorMessage(err))
		}
		filter := transfer.Filter{Params: params, Platform: *platform}
		if *pseudonymise {
			if filter.Rewrite, err = exportPseudonymizer(ecfg.PseudonymKey, ecfg.BaseURL); err != nil {
				return usageError{err}
			}
		}
		var w io.Writer = c.stdout
		if *output != "-" {
			file, err := os.Create(*output)
			if err != nil {
				return err
			}
			defer file.Close()
			w = file
		}
		return withStatements(ctx, c, cfg, "", func(svc *capture.StatementService, creds *capture.CredentialService, log *slog.Logger) error {
			start := time.Now()
			n, err := transfer.Export(ctx, svc, creds.SystemPrincipal("export", false), filter, f, w,
				throttled(func(n int) {
					log.Info("exporting", "statements", n, "elapsed", time.Since(start).Round(time.Millisecond))
				}))
			if err != nil {
				return fmt.Errorf("after %d statements: %w", n, err)
			}
			if file, ok := w.(*os.File); ok && file != os.Stdout {
				if err := file.Close(); err != nil {
					return err
				}
			}
			log.Info("export done", "statements", n, "format", string(f), "elapsed", time.Since(start).Round(time.Millisecond))
			return nil
		})
	})
}

// exportPseudonymizer returns the rewrite of pseudonymised exports: the federation
// pseudonymiser keyed by key under the name "export", with accounts on baseURL. The
// console (web/admin Config.Pseudonymize) takes the same, so a person has one
// pseudonym in every export.
func exportPseudonymizer(key, baseURL string) (func(map[string]any), error) {
	if key == "" {
		return nil, fmt.Errorf("pseudonymised exports need a key: set --%s (or --%s)", config.FlagPseudonymKey, config.FlagPartnerKey)
	}
	sealer, err := federation.NewSealer(key)
	if err != nil {
		return nil, errors.New(capture.ErrorMessage(err))
	}
	return sealer.NewPseudonymizer(federation.PrivacyPseudonymise, "export", baseURL).Apply, nil
}

func setupStatementsImport(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	base := config.Bind(fs, config.Setting{Flag: config.FlagBaseURL, Env: "CAIRN_BASE_URL", Default: config.DefaultBaseURL(config.DefaultAddr), Meta: "URL",
		Usage: "public URL of this instance; the homePage of the authority given to statements that carry none"})
	batch := fs.Int("batch", 500, "statements per write (`N`, 1 to 1000)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageErrorf("want exactly one FILE (- for standard input)")
		}
		cfg, err := load(c.env)
		if err != nil {
			return usageError{err}
		}
		values, err := base.Resolve(c.env)
		if err != nil {
			return usageError{err}
		}
		baseURL, err := config.ParseBaseURL(values[config.FlagBaseURL].Raw)
		if err != nil {
			return usageError{values[config.FlagBaseURL].Errorf("%v", err)}
		}
		if *batch < 1 || *batch > 1000 {
			return usageErrorf("--batch must be between 1 and 1000")
		}
		var r io.Reader = os.Stdin
		if args[0] != "-" {
			file, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer file.Close()
			r = file
		}
		var rep transfer.ImportReport
		err = withStatements(ctx, c, cfg, baseURL, func(svc *capture.StatementService, creds *capture.CredentialService, log *slog.Logger) error {
			start := time.Now()
			// Imports carry statements from elsewhere (an export, another LRS): their
			// authority is kept; those without one get the import's.
			rep, err = transfer.Import(ctx, svc, r, transfer.ImportOptions{Principal: creds.SystemPrincipal("import", true), BatchSize: *batch},
				throttled(func(r transfer.ImportReport) {
					log.Info("importing", "lines", r.Lines, "accepted", r.Accepted, "rejected", r.Rejected, "elapsed", time.Since(start).Round(time.Millisecond))
				}))
			log.Info("import done", "lines", rep.Lines, "accepted", rep.Accepted, "rejected", rep.Rejected, "elapsed", time.Since(start).Round(time.Millisecond))
			return err
		})
		if err != nil {
			return fmt.Errorf("stopped at line %d: %w", rep.Lines, err)
		}
		if *asJSON {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(c.stdout, "%d lines: %d statements accepted, %d rejected.\n", rep.Lines, rep.Accepted, rep.Rejected)
			for _, r := range rep.Rejections {
				fmt.Fprintf(c.stdout, "line %d: %s\n", r.Line, r.Reason)
			}
			if len(rep.Rejections) < rep.Rejected {
				fmt.Fprintf(c.stdout, "(%d more rejections not listed)\n", rep.Rejected-len(rep.Rejections))
			}
		}
		if rep.Rejected > 0 {
			return errRejected
		}
		return nil
	}
}

// errRejected makes `statements import` exit 1 when some lines were not stored.
var errRejected = fmt.Errorf("some lines were rejected (listed above)")
