package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/xapiclient"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// eraserDeps are what newEraser wires beyond the store.
type eraserDeps struct {
	baseURL      string
	pseudonymKey string                    // keys the person hash of audit records; "" for none
	partnerKey   string                    // opens partner credentials for erasure notices; "" for none
	afterReset   func()                    // wakes the report rollup; may be nil
	parts        []erasure.Part            // the hub's part joins here
	credentials  erasure.CredentialBinding // credentials bound to people; nil until such a binding exists
	logger       *slog.Logger
}

// newEraser wires an Eraser over store: audit records, report figures, Slack links
// and partner notices as far as the store keeps them.
func newEraser(store capture.Store, d eraserDeps) (*erasure.Eraser, error) {
	audit, ok := store.(erasure.AuditStore)
	if !ok {
		return nil, errors.New("this store keeps no erasure records")
	}
	cfg := erasure.Config{Store: store, Audit: audit, HomePage: d.baseURL, AfterReset: d.afterReset, Logger: d.logger, Parts: d.parts,
		Credentials: d.credentials, Revoker: store}
	if d.pseudonymKey != "" {
		cfg.AuditKey = []byte("cairn erasure audit v1\x00" + d.pseudonymKey)
	}
	if rs, ok := store.(reports.Store); ok {
		cfg.Rollups = rs
	}
	if ws, ok := store.(workspace.Store); ok {
		cfg.Parts = append(cfg.Parts, workspace.ErasePart{Store: ws})
	}
	if fs, ok := store.(federation.Store); ok {
		sealer, err := newSealer(d.partnerKey)
		if err != nil {
			return nil, err
		}
		cfg.Recaller = &federation.Recaller{
			Partners: federation.NewPartners(fs, sealer, nil),
			Connect:  xapiclient.Connect(&http.Client{Timeout: partnerHTTPTimeout}),
			HomePage: d.baseURL,
		}
	}
	return erasure.New(cfg), nil
}

// repeatFlag collects every value of a flag given several times.
type repeatFlag []string

func (r *repeatFlag) String() string     { return strings.Join(*r, " ") }
func (r *repeatFlag) Set(v string) error { *r = append(*r, v); return nil }

func setupPeopleErase(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindPeople(fs)
	var agents repeatFlag
	fs.Var(&agents, "agent", "an xAPI agent of the person as `JSON`, e.g. '{\"mbox\":\"mailto:ann@example.org\"}'; repeat for each identifier they used (add \"name\" to have it blanked in the reason)")
	by := fs.String("by", "", "`NAME` of who requested the erasure (required; kept in the audit record)")
	reason := fs.String("reason", "", "`TEXT`: why, e.g. a ticket number (required; the person's identifiers are blanked out)")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	asJSON := fs.Bool("json", false, "print the audit record as JSON")
	return noArgs(c, load, func(ctx context.Context, cfg config.People) error {
		req := erasure.Request{RequestedBy: *by, Reason: *reason}
		for _, a := range agents {
			req.Agents = append(req.Agents, json.RawMessage(a))
		}
		if _, err := erasure.ParseRequest(req); err != nil {
			return usageErrorf("%s", strings.Replace(capture.ErrorMessage(err), "agents", "--agent", 1))
		}
		logger := newLogger(c.stderr, cfg.Common)
		store, err := openStore(ctx, cfg.Store, logger)
		if err != nil {
			return err
		}
		defer store.Close()
		eraser, err := newEraser(store, eraserDeps{baseURL: cfg.BaseURL, pseudonymKey: cfg.PseudonymKey, partnerKey: cfg.PartnerKey, logger: logger,
			credentials: personalCredentials{capture.NewCredentialService(store, cfg.BaseURL, nil)}, parts: hubParts(hubServiceOf(store, cfg.BaseURL))})
		if err != nil {
			return err
		}
		if !*yes {
			person, found, err := eraser.Preview(ctx, req)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "This erases the person known as %s: %d statements name them; their own are removed, the others rewritten; their documents, hub content, links and partner copies (where configured) follow. It cannot be undone.\nType yes to erase: ",
				strings.Join(person.AgentKeys, ", "), found)
			line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
			if !strings.EqualFold(strings.TrimSpace(line), "yes") {
				return errors.New("not confirmed: nothing was erased")
			}
		}
		rec, err := eraser.Erase(ctx, req)
		if rec.ID != "" {
			if *asJSON {
				if werr := writeJSON(c.stdout, rec); werr != nil {
					return werr
				}
			} else {
				printErasure(c, rec)
			}
		}
		return serviceError(err)
	})
}

func printErasure(c *cli, r erasure.Record) {
	fmt.Fprintf(c.stdout, "Erasure %s done at %s by %s.\n", r.ID, r.At.Format("2006-01-02 15:04:05Z07:00"), r.RequestedBy)
	fmt.Fprintf(c.stdout, "  statements removed: %d, anonymised: %d; documents removed: %d; credentials revoked: %d\n",
		r.StatementsDeleted, r.StatementsAnonymised, r.Documents, r.Credentials)
	for _, p := range r.Parts {
		fmt.Fprintf(c.stdout, "  %s: %d\n", p.Name, p.Count)
	}
	for _, p := range r.Partners {
		fmt.Fprintf(c.stdout, "  partner %s: %d voided, %d not told %s\n", p.Partner, p.Voided, p.Failed, orDash(p.Error))
	}
	if r.FiguresRebuilt {
		fmt.Fprintln(c.stdout, "  report figures are being rebuilt (by the running server, or at its next start)")
	}
	if r.Total() == 0 && len(r.Errors) == 0 {
		fmt.Fprintln(c.stdout, "  nothing of this person was stored (erased before, or never recorded)")
	}
}

func setupPeopleErasures(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindPeople(fs)
	limit := fs.Int("limit", 100, "most records to list, `N`")
	asJSON := fs.Bool("json", false, "print a JSON array of the records")
	return noArgs(c, load, func(ctx context.Context, cfg config.People) error {
		if *limit < 1 {
			return usageErrorf("--limit must be positive")
		}
		store, err := openStore(ctx, cfg.Store, newLogger(c.stderr, cfg.Common))
		if err != nil {
			return err
		}
		defer store.Close()
		audit, ok := store.(erasure.AuditStore)
		if !ok {
			return errors.New("this store keeps no erasure records")
		}
		list, err := audit.Erasures(ctx, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c.stdout, list)
		}
		if len(list) == 0 {
			fmt.Fprintln(c.stdout, "No erasures.")
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tID\tREQUESTED BY\tREASON\tREMOVED\tANONYMISED\tDOCUMENTS\tPARTNERS VOIDED\tERRORS")
		for _, r := range list {
			voided := 0
			for _, p := range r.Partners {
				voided += p.Voided
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.At.Format("2006-01-02 15:04Z07:00"), r.ID, r.RequestedBy,
				oneLine(r.Reason, 40), r.StatementsDeleted, r.StatementsAnonymised, r.Documents, voided, len(r.Errors))
		}
		return tw.Flush()
	})
}

// oneLine returns s on one line, cut to n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// consolePseudonymizer returns what the administration console pseudonymises exports
// and, in privacy mode, statement views with (web/admin Config.Pseudonymize): the
// export pseudonymiser under the pseudonym key. With --report-privacy and no key it
// uses a random key made now, so that the privacy mode never shows an identifier (its
// pseudonyms then change at each start); without either it returns nil (pseudonymised
// exports are refused).
func consolePseudonymizer(cfg config.Serve, logger *slog.Logger) func(map[string]any) {
	key := cfg.PseudonymKey
	if key == "" && cfg.ReportPrivacy {
		b := make([]byte, 24)
		rand.Read(b)
		key = hex.EncodeToString(b)
		logger.Warn("privacy mode without --pseudonym-key: console pseudonyms change at each start")
	}
	if key == "" {
		return nil
	}
	p, err := exportPseudonymizer(key, cfg.BaseURL)
	if err != nil {
		logger.Error("pseudonymised exports are off", "err", err)
		return nil
	}
	return p
}

// personalCredentials finds the credentials bound to a person being erased: the
// personal credentials (browser extension) of each of their agents.
type personalCredentials struct{ creds *capture.CredentialService }

// CredentialsOf implements erasure.CredentialBinding.
func (p personalCredentials) CredentialsOf(ctx context.Context, person erasure.Person) ([]string, error) {
	var keys []string
	for _, agentKey := range person.AgentKeys {
		list, err := p.creds.PersonalCredentials(ctx, agentKey)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			keys = append(keys, c.Key)
		}
	}
	return keys, nil
}
