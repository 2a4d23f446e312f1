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
)

// withCredentials opens the configured store, runs fn with a credential service over
// it and closes the store.
func withCredentials(ctx context.Context, c *cli, cfg config.Common, fn func(*capture.CredentialService) error) error {
	// The base URL only shapes authorities of authenticated requests, which these
	// commands never make.
	return withStore(ctx, c, cfg, func(store capture.Store, _ *slog.Logger) error {
		return fn(capture.NewCredentialService(store, "", nil))
	})
}

// serviceError turns an invalid-request error of a service into a usage error.
func serviceError(err error) error {
	if capture.ErrorCode(err) == capture.CodeInvalid {
		return usageError{err}
	}
	return err
}

func setupCredentialsCreate(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	name := fs.String("name", "", "`NAME` saying what the credential is for, e.g. \"course player\" (required)")
	scopes := fs.String("scopes", "", "`SCOPES` separated by commas (required), from: "+strings.Join(capture.KnownScopes, ", "))
	trusted := fs.Bool("trusted", false, "keep the authority a statement carries instead of setting the credential's own")
	asJSON := fs.Bool("json", false, `print exactly {"key":"…","secret":"…"}`)
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		if strings.TrimSpace(*name) == "" {
			return usageErrorf("--name is required")
		}
		var scopeList []string
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopeList = append(scopeList, s)
			}
		}
		if len(scopeList) == 0 {
			return usageErrorf("--scopes is required (e.g. all, or statements/write,statements/read/mine)")
		}
		return withCredentials(ctx, c, cfg, func(svc *capture.CredentialService) error {
			cred, secret, err := svc.Create(ctx, *name, scopeList, *trusted)
			if err != nil {
				return serviceError(err)
			}
			if *asJSON {
				return json.NewEncoder(c.stdout).Encode(struct {
					Key    string `json:"key"`
					Secret string `json:"secret"`
				}{cred.Key, secret})
			}
			fmt.Fprintf(c.stdout, "Created credential %q (scopes %s).\nkey:    %s\nsecret: %s\n", cred.Name, strings.Join(cred.Scopes, ","), cred.Key, secret)
			fmt.Fprintln(c.stdout, "Keep the secret now: it cannot be shown again. Use key and secret as HTTP Basic username and password.")
			return nil
		})
	})
}

// credentialJSON is one credential in `credentials list --json`; times are RFC 3339
// UTC, null when never used or not revoked. The secret hash is never printed.
type credentialJSON struct {
	Key      string     `json:"key"`
	Name     string     `json:"name"`
	Scopes   []string   `json:"scopes"`
	Trusted  bool       `json:"trusted"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"lastUsed"`
	Revoked  *time.Time `json:"revoked"`
	Owner    string     `json:"owner,omitempty"` // agent key of a personal credential's person
}

// ownerOf returns the agent key of a personal credential's person, "" for others.
func ownerOf(c capture.Credential) string {
	if c.Agent == nil {
		return ""
	}
	k, _ := capture.AgentKeyOf(c.Agent)
	return k
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func setupCredentialsList(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	asJSON := fs.Bool("json", false, "print a JSON array")
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		return withCredentials(ctx, c, cfg, func(svc *capture.CredentialService) error {
			creds, err := svc.List(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				out := make([]credentialJSON, 0, len(creds))
				for _, cr := range creds {
					out = append(out, credentialJSON{
						Key: cr.Key, Name: cr.Name, Scopes: cr.Scopes, Trusted: cr.Trusted, Created: cr.CreatedAt.UTC(),
						LastUsed: optionalTime(cr.LastUsedAt), Revoked: optionalTime(cr.RevokedAt), Owner: ownerOf(cr),
					})
				}
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			if len(creds) == 0 {
				fmt.Fprintln(c.stdout, "No credentials. Create one with: "+credentialHint)
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tNAME\tSCOPES\tTRUSTED\tCREATED\tLAST USED\tREVOKED\tOWNER")
			for _, cr := range creds {
				trusted := "no"
				if cr.Trusted {
					trusted = "yes"
				}
				owner := ownerOf(cr)
				if owner == "" {
					owner = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cr.Key, cr.Name, strings.Join(cr.Scopes, ","), trusted,
					formatTime(cr.CreatedAt, "-"), formatTime(cr.LastUsedAt, "never"), formatTime(cr.RevokedAt, "-"), owner)
			}
			return tw.Flush()
		})
	})
}

func formatTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

func setupCredentialsRevoke(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	return oneArg(c, "KEY (see 'cairn credentials list')", load, func(ctx context.Context, cfg config.Common, key string) error {
		return withCredentials(ctx, c, cfg, func(svc *capture.CredentialService) error {
			if err := svc.Revoke(ctx, key); err != nil {
				if capture.ErrorCode(err) == capture.CodeNotFound {
					return fmt.Errorf("no credential with key %q", key)
				}
				return err
			}
			fmt.Fprintf(c.stdout, "Revoked credential %s.\n", key)
			return nil
		})
	})
}
