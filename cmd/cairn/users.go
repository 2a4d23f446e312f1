package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
	"github.com/cairn-lrs/cairn/qa"
)

// maxPasswordFile bounds what --password-file may hold.
const maxPasswordFile = 4096

func setupUsersCreate(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindUsers(fs)
	email := fs.String("email", "", "`EMAIL` the person signs in with (required)")
	name := fs.String("name", "", "display `NAME` (required)")
	admin := fs.Bool("admin", false, "make the person an admin (how the first admin is made)")
	moderator := fs.Bool("moderator", false, "make the person a moderator")
	passwordFile := fs.String("password-file", "", "read the password from `FILE` (surrounding white space trimmed); without it a password is generated and printed")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unexpected argument %q", args[0])
		}
		cfg, err := load(c.env)
		if err != nil {
			return usageError{err}
		}
		if strings.TrimSpace(*email) == "" || strings.TrimSpace(*name) == "" {
			return usageErrorf("--email and --name are required")
		}
		if *admin && *moderator {
			return usageErrorf("--admin and --moderator exclude each other")
		}
		role := qa.RoleMember
		if *admin {
			role = qa.RoleAdmin
		} else if *moderator {
			role = qa.RoleModerator
		}
		password, generated := "", false
		if *passwordFile != "" {
			b, err := os.ReadFile(*passwordFile)
			if err != nil {
				return usageErrorf("--password-file: %v", err)
			}
			if len(b) > maxPasswordFile {
				return usageErrorf("--password-file: larger than %d bytes", maxPasswordFile)
			}
			password = strings.TrimSpace(string(b))
		} else {
			raw := make([]byte, 15)
			if _, err := rand.Read(raw); err != nil {
				return err
			}
			password, generated = base64.RawURLEncoding.EncodeToString(raw), true
		}
		logger := newLogger(c.stderr, cfg.Common)
		store, err := openStore(ctx, cfg.Store, logger)
		if err != nil {
			return err
		}
		defer store.Close()
		qstore, ok := store.(qa.Store)
		if !ok {
			return fmt.Errorf("store %s has no Q&A hub tables", cfg.Store)
		}
		svc := qa.NewService(qa.Config{Store: qstore, AgentHomePage: cfg.AgentHomePage, Logger: logger})
		p, err := svc.CreatePerson(ctx, *email, *name, password, role)
		if err != nil {
			if capture.ErrorCode(err) == capture.CodeConflict {
				return fmt.Errorf("%s", capture.ErrorMessage(err))
			}
			return serviceError(err)
		}
		fmt.Fprintf(c.stdout, "Created %s %q <%s> (id %d).\n", p.Role, p.Name, p.Email, p.ID)
		if generated {
			fmt.Fprintf(c.stdout, "password: %s\nKeep it now: it cannot be shown again.\n", password)
		}
		return nil
	}
}
