package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/xapiclient"
)

// partnerHTTPTimeout bounds one request to a partner; partnerLease is how long a job's
// lease lasts unless renewed (renewed every third of it, and before each request, so a
// request never outlives the lease it started under).
const (
	partnerHTTPTimeout = 30 * time.Second
	partnerLease       = 90 * time.Second
)

// fedStore returns the federation side of a store; every adapter has one.
func fedStore(store capture.Store) (federation.Store, error) {
	fs, ok := store.(federation.Store)
	if !ok {
		return nil, errors.New("this store keeps no partners")
	}
	return fs, nil
}

// newSealer returns the sealer of key, or nil when no key is configured.
func newSealer(key string) (*federation.Sealer, error) {
	if key == "" {
		return nil, nil
	}
	return federation.NewSealer(key)
}

// holderID names this process in leases.
func holderID() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// newFederation wires the partner service and a (not started) manager over store.
func newFederation(store capture.Store, statements *capture.StatementService, key, baseURL string, logger *slog.Logger) (*federation.Partners, *federation.Manager, error) {
	fs, err := fedStore(store)
	if err != nil {
		return nil, nil, err
	}
	sealer, err := newSealer(key)
	if err != nil {
		return nil, nil, err
	}
	partners := federation.NewPartners(fs, sealer, nil)
	mgr := federation.NewManager(federation.Config{
		Partners: partners, Feed: store, Statements: statements, Sealer: sealer,
		Connect: xapiclient.Connect(&http.Client{Timeout: partnerHTTPTimeout}), HomePage: baseURL,
		Holder: holderID(), Logger: logger, LeaseTTL: partnerLease,
	})
	return partners, mgr, nil
}

// withPartners opens the configured store, runs fn with the partner service and a
// manager over it, and closes the store.
func withPartners(ctx context.Context, c *cli, cfg config.Partners, fn func(*federation.Partners, *federation.Manager) error) error {
	return withStore(ctx, c, cfg.Common, func(store capture.Store, logger *slog.Logger) error {
		statements := capture.NewStatementService(capture.StatementServiceConfig{Store: store, Logger: logger})
		partners, mgr, err := newFederation(store, statements, cfg.PartnerKey, cfg.BaseURL, logger)
		if err != nil {
			return err
		}
		return fn(partners, mgr)
	})
}

// listFlag is a comma-separated list flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func setupPartnerAdd(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindPartners(fs)
	var p federation.Partner
	fs.StringVar(&p.Name, "name", "", "`NAME` of the partner: lower-case letters, digits, '.', '_', '-' (required)")
	fs.StringVar(&p.Endpoint, "endpoint", "", "the partner's xAPI base `URL`, e.g. https://lrs.example.com/xapi (required)")
	fs.StringVar(&p.Auth.Key, "key", "", "HTTP Basic `KEY` (username) at the partner")
	fs.StringVar(&p.Auth.Secret, "secret", "", "HTTP Basic `SECRET` (password) at the partner")
	fs.StringVar(&p.Auth.TokenURL, "token-url", "", "OAuth2 client-credentials token `URL` (instead of --key/--secret)")
	fs.StringVar(&p.Auth.ClientID, "client-id", "", "OAuth2 client `ID`")
	fs.StringVar(&p.Auth.ClientSecret, "client-secret", "", "OAuth2 client `SECRET`")
	fs.StringVar(&p.Auth.Scopes, "oauth-scopes", "", "OAuth2 `SCOPES`, separated by spaces (optional)")
	direction := fs.String("direction", "push", "`DIRECTION`: push (forward Cairn's statements), pull (sync theirs) or both")
	fs.IntVar(&p.Batch, "batch", federation.DefaultBatch, fmt.Sprintf("statements per POST and per pulled page, `N` from 1 to %d", federation.MaxBatch))
	fs.DurationVar(&p.Interval, "interval", federation.DefaultInterval, "`DURATION` between pulls")
	privacy := fs.String("privacy", "none", "`LEVEL` of what the partner learns about people: none, pseudonymise or strip")
	erasure := fs.String("erasure", "off", "`NOTICE` the partner gets when a person is erased: off, or void (a voiding statement for each erased statement it received)")
	fs.Var((*listFlag)(&p.Filter.Verbs), "verbs", "push only statements with these verb `IDS` (comma-separated)")
	fs.Var((*listFlag)(&p.Filter.ActivityPrefixes), "activity-prefixes", "push only statements whose activity id starts with one of these `PREFIXES`")
	fs.Var((*listFlag)(&p.Filter.ActivityTypes), "activity-types", "push only statements whose activity has one of these `TYPES`")
	fs.Var((*listFlag)(&p.Filter.ActorDomains), "actor-domains", "push only statements whose actor's mbox is at one of these `DOMAINS` (or matches --actor-homepages)")
	fs.Var((*listFlag)(&p.Filter.ActorHomePages), "actor-homepages", "push only statements whose actor's account is on one of these `HOMEPAGES` (or matches --actor-domains)")
	fs.Var((*listFlag)(&p.Filter.Platforms), "platforms", "push only statements whose context.platform is one of these `NAMES`")
	fs.StringVar(&p.InboundKey, "inbound-key", "", "`KEY` of the Cairn credential this partner pushes with: its statements are never pushed back")
	fs.BoolVar(&p.Paused, "paused", false, "add the partner paused")
	return noArgs(c, load, func(ctx context.Context, cfg config.Partners) error {
		p.Direction, p.Privacy = federation.Direction(*direction), federation.Privacy(*privacy)
		p.Erasure = federation.ErasureNotice(*erasure)
		return withPartners(ctx, c, cfg, func(svc *federation.Partners, _ *federation.Manager) error {
			added, err := svc.Add(ctx, p)
			if err != nil {
				if capture.ErrorCode(err) == capture.CodeConflict {
					return fmt.Errorf("a partner named %q exists (remove it first, or pick another name)", p.Name)
				}
				return serviceError(err)
			}
			fmt.Fprintf(c.stdout, "Added partner %s: %s, batch %d, privacy %s.\n", added.Name, added.Direction, added.Batch, added.Privacy)
			fmt.Fprintf(c.stdout, "Check it with: cairn partner test %s\n", added.Name)
			return nil
		})
	})
}

func setupPartnerList(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindPartners(fs)
	asJSON := fs.Bool("json", false, "print a JSON array of partners with their state and figures")
	return noArgs(c, load, func(ctx context.Context, cfg config.Partners) error {
		return withPartners(ctx, c, cfg, func(_ *federation.Partners, mgr *federation.Manager) error {
			all, err := mgr.StatusAll(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(c.stdout, nonNilSlice(all))
			}
			if len(all) == 0 {
				fmt.Fprintln(c.stdout, "No partners. Add one with: cairn partner add --name NAME --endpoint URL --key KEY --secret SECRET")
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tJOB\tSTATE\tENDPOINT\tLAG\tDELIVERED\tFAILED\tDEAD\tLAST SUCCESS\tLAST ERROR")
			for _, s := range all {
				for _, j := range s.Jobs {
					lag := fmt.Sprintf("%.1fs", j.LagSeconds)
					if j.LagItems >= 0 {
						lag = fmt.Sprintf("%d / %.1fs", j.LagItems, j.LagSeconds)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.Name, j.Direction, s.State, s.Endpoint, lag,
						j.Delivered, j.Failed, j.DeadLetters, formatTime(j.LastSuccess, "never"), orDash(j.LastError))
				}
			}
			return tw.Flush()
		})
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func setupPartnerShow(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindPartners(fs)
	return oneArg(c, "NAME (see 'cairn partner list')", load, func(ctx context.Context, cfg config.Partners, name string) error {
		return withPartners(ctx, c, cfg, func(_ *federation.Partners, mgr *federation.Manager) error {
			s, err := mgr.Status(ctx, name)
			if err != nil {
				return notFoundPartner(err, name)
			}
			return writeJSON(c.stdout, s)
		})
	})
}

func notFoundPartner(err error, name string) error {
	if capture.ErrorCode(err) == capture.CodeNotFound {
		return fmt.Errorf("no partner named %q (see 'cairn partner list')", name)
	}
	return serviceError(err)
}

// setupPartnerAction makes the commands that take one partner NAME.
func setupPartnerAction(act func(ctx context.Context, c *cli, svc *federation.Partners, mgr *federation.Manager, name string) error) func(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	return func(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
		load := config.BindPartners(fs)
		return oneArg(c, "NAME (see 'cairn partner list')", load, func(ctx context.Context, cfg config.Partners, name string) error {
			return withPartners(ctx, c, cfg, func(svc *federation.Partners, mgr *federation.Manager) error {
				return notFoundPartner(act(ctx, c, svc, mgr, name), name)
			})
		})
	}
}

var setupPartnerRemove = setupPartnerAction(func(ctx context.Context, c *cli, svc *federation.Partners, _ *federation.Manager, name string) error {
	if err := svc.Remove(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Removed partner %s with its cursors and dead letters.\n", name)
	return nil
})

var setupPartnerPause = setupPartnerAction(func(ctx context.Context, c *cli, svc *federation.Partners, _ *federation.Manager, name string) error {
	if _, err := svc.SetPaused(ctx, name, true); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Paused partner %s: nothing is pushed or pulled until it is resumed; its cursors are kept.\n", name)
	return nil
})

var setupPartnerResume = setupPartnerAction(func(ctx context.Context, c *cli, svc *federation.Partners, _ *federation.Manager, name string) error {
	if _, err := svc.SetPaused(ctx, name, false); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Resumed partner %s.\n", name)
	return nil
})

var setupPartnerTest = setupPartnerAction(func(ctx context.Context, c *cli, _ *federation.Partners, mgr *federation.Manager, name string) error {
	notes, err := mgr.TestPartner(ctx, name)
	for _, n := range notes {
		fmt.Fprintf(c.stdout, "ok: %s\n", n)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Partner %s is reachable and speaks xAPI 1.0.x.\n", name)
	return nil
})

var setupPartnerSync = setupPartnerAction(func(ctx context.Context, c *cli, _ *federation.Partners, mgr *federation.Manager, name string) error {
	res, err := mgr.Pull(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Pulled from %s: %d statements stored over %d pages, %d dead letters.\n", name, res.Stored, res.Pages, res.DeadLettered)
	return nil
})

func setupDeadLettersList(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindPartners(fs)
	partner := fs.String("partner", "", "only the letters of partner `NAME`")
	asJSON := fs.Bool("json", false, "print a JSON array")
	return noArgs(c, load, func(ctx context.Context, cfg config.Partners) error {
		return withPartners(ctx, c, cfg, func(svc *federation.Partners, _ *federation.Manager) error {
			letters, err := svc.Store().DeadLetters(ctx, *partner, 0)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(c.stdout, nonNilSlice(letters))
			}
			if len(letters) == 0 {
				fmt.Fprintln(c.stdout, "No dead letters.")
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPARTNER\tJOB\tSTATEMENT\tSTATUS\tAT\tREASON")
			for _, l := range letters {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", l.ID, l.Partner, l.Direction, l.StatementID, l.Status, formatTime(l.At, "-"), l.Reason)
			}
			return tw.Flush()
		})
	})
}

// setupLetterAction makes the dead-letter commands that take one ID.
func setupLetterAction(act func(ctx context.Context, c *cli, svc *federation.Partners, mgr *federation.Manager, id string) error) func(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	return func(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
		load := config.BindPartners(fs)
		return oneArg(c, "dead letter ID (see 'cairn partner deadletters list')", load, func(ctx context.Context, cfg config.Partners, id string) error {
			return withPartners(ctx, c, cfg, func(svc *federation.Partners, mgr *federation.Manager) error {
				err := act(ctx, c, svc, mgr, id)
				if capture.ErrorCode(err) == capture.CodeNotFound {
					return fmt.Errorf("%s", capture.ErrorMessage(err))
				}
				return serviceError(err)
			})
		})
	}
}

var setupDeadLettersShow = setupLetterAction(func(ctx context.Context, c *cli, svc *federation.Partners, _ *federation.Manager, id string) error {
	l, err := svc.Store().DeadLetter(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(c.stdout, l)
})

var setupDeadLettersReplay = setupLetterAction(func(ctx context.Context, c *cli, _ *federation.Partners, mgr *federation.Manager, id string) error {
	if err := mgr.ReplayDeadLetter(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Replayed dead letter %s: delivered, and removed from the list.\n", id)
	return nil
})

var setupDeadLettersDiscard = setupLetterAction(func(ctx context.Context, c *cli, svc *federation.Partners, _ *federation.Manager, id string) error {
	if err := svc.Store().DeleteDeadLetter(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Discarded dead letter %s.\n", id)
	return nil
})
