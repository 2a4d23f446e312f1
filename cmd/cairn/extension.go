package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/web/extensionapi"
)

func setupExtensionConnectCode(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindCommon(fs)
	email := fs.String("email", "", "`EMAIL` of the person whose extension connects (required; the statements' actor mbox)")
	name := fs.String("name", "", "`NAME` of the person (the actor's name)")
	ttl := fs.Duration("ttl", 15*time.Minute, "how long the code stays valid (at most 24h)")
	asJSON := fs.Bool("json", false, `print exactly {"code":"…","expires":"…"}`)
	return noArgs(c, load, func(ctx context.Context, cfg config.Common) error {
		if strings.TrimSpace(*email) == "" {
			return usageErrorf("--email is required")
		}
		agent, err := extensionapi.AgentFor(*email, *name)
		if err != nil {
			return serviceError(err)
		}
		return withCredentials(ctx, c, cfg, func(svc *capture.CredentialService) error {
			code, expires, err := svc.IssueConnectCode(ctx, agent, *ttl)
			if err != nil {
				return serviceError(err)
			}
			if *asJSON {
				return json.NewEncoder(c.stdout).Encode(struct {
					Code    string    `json:"code"`
					Expires time.Time `json:"expires"`
				}{code, expires})
			}
			fmt.Fprintf(c.stdout, "Connect code for %s (single use, valid until %s):\n%s\n", strings.TrimSpace(*email), expires.Format(time.RFC3339), code)
			fmt.Fprintln(c.stdout, "Paste it with this Cairn's URL into the browser extension's options and press Connect.")
			return nil
		})
	})
}
