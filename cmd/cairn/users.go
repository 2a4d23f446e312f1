package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
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
	team := fs.String("team", "", "the person's `TEAM`, for per-team reports (optional)")
	passwordFile := fs.String("password-file", "", "read the password from `FILE` (surrounding white space trimmed); without it a password is generated and printed")
	return noArgs(c, load, func(ctx context.Context, cfg config.Users) error {
		if strings.TrimSpace(*email) == "" || strings.TrimSpace(*name) == "" {
			return usageErrorf("--email and --name are required")
		}
		if *admin && *moderator {
			return usageErrorf("--admin and --moderator exclude each other")
		}
		if _, err := qa.NormalTeam(*team); err != nil {
			return usageErrorf("--team: at most %d characters of text", qa.MaxTeam)
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
		return withHub(ctx, c, cfg, func(svc *qa.Service) error {
			p, err := svc.CreatePersonInTeam(ctx, *email, *name, password, role, *team)
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
		})
	})
}

// withHub runs fn with the Q&A hub's service over cfg's store (see withStore); an
// error when the store has no hub tables.
func withHub(ctx context.Context, c *cli, cfg config.Users, fn func(*qa.Service) error) error {
	return withStore(ctx, c, cfg.Common, func(store capture.Store, logger *slog.Logger) error {
		qstore, ok := store.(qa.Store)
		if !ok {
			return fmt.Errorf("store %s has no Q&A hub tables", cfg.Store)
		}
		return fn(qa.NewService(qa.Config{Store: qstore, AgentHomePage: cfg.AgentHomePage, Logger: logger}))
	})
}

func setupUsersSetTeam(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
	load := config.BindUsers(fs)
	email := fs.String("email", "", "`EMAIL` of the person (required)")
	team := fs.String("team", "", "the `TEAM` to put them in; empty takes them out of any team")
	return noArgs(c, load, func(ctx context.Context, cfg config.Users) error {
		if strings.TrimSpace(*email) == "" {
			return usageErrorf("--email is required")
		}
		t, err := qa.NormalTeam(*team)
		if err != nil {
			return usageErrorf("--team: at most %d characters of text", qa.MaxTeam)
		}
		return withHub(ctx, c, cfg, func(svc *qa.Service) error {
			p, err := svc.PersonByEmail(ctx, *email)
			if err != nil {
				if capture.ErrorCode(err) == capture.CodeNotFound {
					return fmt.Errorf("no hub person has the email %s", strings.TrimSpace(*email))
				}
				return serviceError(err)
			}
			if err := svc.Admin().SetTeam(ctx, p.ID, t); err != nil {
				return serviceError(err)
			}
			if t == "" {
				fmt.Fprintf(c.stdout, "%s <%s> is in no team now.\n", p.Name, p.Email)
			} else {
				fmt.Fprintf(c.stdout, "%s <%s> is in team %q now.\n", p.Name, p.Email, t)
			}
			fmt.Fprintln(c.stdout, "Reports count the new team for statements rolled up from now on (a running server within a minute); cairn reports rebuild recounts all of them.")
			return nil
		})
	})
}
