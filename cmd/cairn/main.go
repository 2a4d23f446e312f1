// Command cairn runs the Cairn Learning Record Store and administers it.
//
// Usage: cairn COMMAND [flags]; `cairn help` lists the commands and settings. Exit
// status: 0 success, 1 failure, 2 invalid command line or settings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // time zones on machines without a zoneinfo database

	"github.com/cairn-lrs/cairn/cmd/cairn/internal/config"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts a graceful shutdown, a second one ends the
		// process at once (default signal handling).
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], config.OSEnv(), os.Stdout, os.Stderr))
}

// cli holds what every command writes to and reads from.
type cli struct {
	env            config.Env
	stdout, stderr io.Writer
}

// command is one sub-command.
type command struct {
	name     string // "serve", "credentials create"
	synopsis string // arguments after the name, for usage text
	summary  string
	settings func() []config.Setting
	// setup registers the command's flags on fs and returns the function that runs it
	// with the positional arguments once fs is parsed.
	setup func(c *cli, fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{name: "serve", synopsis: "[flags]", summary: "run the LRS (xAPI under /xapi, /healthz, /readyz) and the Q&A hub at /",
			settings: config.ServeSettings, setup: setupServe},
		{name: "credentials create", synopsis: "--name NAME --scopes all[,statements/read,...] [--trusted] [--json]",
			summary: "create an API credential and print its key and secret", settings: config.CommonSettings, setup: setupCredentialsCreate},
		{name: "credentials list", synopsis: "[--json]", summary: "list credentials (key, name, scopes, created, last used, revoked)",
			settings: config.CommonSettings, setup: setupCredentialsList},
		{name: "credentials revoke", synopsis: "KEY", summary: "revoke a credential; requests made with it fail from then on",
			settings: config.CommonSettings, setup: setupCredentialsRevoke},
		{name: "statements export", synopsis: "[--format ndjson|csv] [--output FILE] [--pseudonymise] [--agent JSON] [--verb IRI] [--activity IRI] [--platform P] [--since T] [--until T]",
			summary: "stream the statements a filter selects, oldest first, as NDJSON or CSV", settings: config.ExportSettings, setup: setupStatementsExport},
		{name: "statements import", synopsis: "[--batch N] [--json] FILE|-",
			summary: "store NDJSON statements, each checked like a POST; report rejected lines (exit 1 if any)", settings: config.CommonSettings, setup: setupStatementsImport},
		{name: "reports rebuild", synopsis: "[--timezone ZONE]",
			summary: "recompute the report figures from every stored statement (stop serve first)", settings: config.CommonSettings, setup: setupReportsRebuild},
		{name: "partner add", synopsis: "--name NAME --endpoint URL (--key KEY --secret SECRET | --token-url URL --client-id ID --client-secret SECRET) [--direction push|pull|both] [--batch N] [--interval D] [--privacy none|pseudonymise|strip] [filters]",
			summary: "add a partner LRS to push statements to or pull them from", settings: config.PartnerSettings, setup: setupPartnerAdd},
		{name: "partner list", synopsis: "[--json]", summary: "list partners with their state, lag, counts and last error",
			settings: config.PartnerSettings, setup: setupPartnerList},
		{name: "partner show", synopsis: "NAME", summary: "print one partner's settings and figures as JSON", settings: config.PartnerSettings, setup: setupPartnerShow},
		{name: "partner remove", synopsis: "NAME", summary: "remove a partner with its cursors and dead letters", settings: config.PartnerSettings, setup: setupPartnerRemove},
		{name: "partner pause", synopsis: "NAME", summary: "stop pushing to and pulling from a partner, keeping its cursors", settings: config.PartnerSettings, setup: setupPartnerPause},
		{name: "partner resume", synopsis: "NAME", summary: "resume a paused partner", settings: config.PartnerSettings, setup: setupPartnerResume},
		{name: "partner test", synopsis: "NAME", summary: "check a partner's /about, xAPI version and credentials, saying what is wrong", settings: config.PartnerSettings, setup: setupPartnerTest},
		{name: "partner sync", synopsis: "NAME", summary: "pull from a partner now (with SQLite, while serve is stopped; else use the admin API)", settings: config.PartnerSettings, setup: setupPartnerSync},
		{name: "partner deadletters list", synopsis: "[--partner NAME] [--json]", summary: "list statements a partner refused or Cairn could not store",
			settings: config.PartnerSettings, setup: setupDeadLettersList},
		{name: "partner deadletters show", synopsis: "ID", summary: "print one dead letter as JSON", settings: config.PartnerSettings, setup: setupDeadLettersShow},
		{name: "partner deadletters replay", synopsis: "ID", summary: "send a dead letter's statement again; removed when it goes through", settings: config.PartnerSettings, setup: setupDeadLettersReplay},
		{name: "partner deadletters discard", synopsis: "ID", summary: "drop a dead letter", settings: config.PartnerSettings, setup: setupDeadLettersDiscard},
		{name: "people erase", synopsis: "--agent JSON [--agent JSON ...] --by NAME --reason TEXT [--yes] [--json]",
			summary: "erase a person: remove their statements and documents, anonymise mentions, tell partners, keep an audit record", settings: config.PeopleSettings, setup: setupPeopleErase},
		{name: "people erasures", synopsis: "[--limit N] [--json]", summary: "list the audit records of erasures, newest first",
			settings: config.PeopleSettings, setup: setupPeopleErasures},
		{name: "slack links", synopsis: "[--json]", summary: "list Slack users and who their learning is recorded as",
			settings: config.CommonSettings, setup: setupSlackLinks},
		{name: "slack link", synopsis: "--team TEAM --user USER --email EMAIL", summary: "fix who a Slack user's learning is recorded as",
			settings: config.CommonSettings, setup: setupSlackLink},
		{name: "slack channels", summary: "list Slack channel roles (learning channels, tag channels)",
			settings: config.CommonSettings, setup: setupSlackChannels},
		{name: "slack channel", synopsis: "--channel ID (--learning | --tag TAG) [--remove]", summary: "give a Slack channel a role, or remove it",
			settings: config.CommonSettings, setup: setupSlackChannel},
		{name: "users create", synopsis: "--email EMAIL --name NAME [--admin|--moderator] [--team TEAM] [--password-file FILE]",
			summary: "create a Q&A hub account; prints a generated password when no file is given", settings: config.UsersSettings, setup: setupUsersCreate},
		{name: "users set-team", synopsis: "--email EMAIL --team TEAM",
			summary: "put a hub person in a team for per-team reports (empty TEAM: none)", settings: config.UsersSettings, setup: setupUsersSetTeam},
		{name: "extension connect-code", synopsis: "--email EMAIL [--name NAME] [--ttl 15m] [--json]",
			summary:  "print a single-use code that connects a person's browser extension (a personal credential)",
			settings: config.CommonSettings, setup: setupExtensionConnectCode},
		{name: "version", summary: "print the version", settings: func() []config.Setting { return nil },
			setup: func(c *cli, fs *flag.FlagSet) func(context.Context, []string) error {
				return func(_ context.Context, args []string) error {
					if len(args) > 0 {
						return usageErrorf("unexpected argument %q", args[0])
					}
					fmt.Fprintln(c.stdout, versionLine())
					return nil
				}
			}},
	}
}

// usageError is a mistake in the command line or the settings (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// noArgs returns a command that takes no positional argument: it loads the settings
// with load and runs fn with them. An argument or a bad setting is a usage error.
func noArgs[C any](c *cli, load func(config.Env) (C, error), fn func(context.Context, C) error) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unexpected argument %q", args[0])
		}
		cfg, err := load(c.env)
		if err != nil {
			return usageError{err}
		}
		return fn(ctx, cfg)
	}
}

// oneArg returns a command that takes exactly one non-blank positional argument (what
// names it in the usage error): it loads the settings with load and runs
// fn with them and the trimmed argument. Any other argument count or a bad setting is
// a usage error.
func oneArg[C any](c *cli, what string, load func(config.Env) (C, error), fn func(context.Context, C, string) error) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
			return usageErrorf("want exactly one %s", what)
		}
		cfg, err := load(c.env)
		if err != nil {
			return usageError{err}
		}
		return fn(ctx, cfg, strings.TrimSpace(args[0]))
	}
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, env config.Env, stdout, stderr io.Writer) int {
	c := &cli{env: env, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return c.help(args[1:])
	}
	cmd, rest, ok := findCommand(args)
	if !ok {
		if args[0] == "users" {
			fmt.Fprintf(stderr, "cairn users: want a sub-command: create or set-team\n")
			fmt.Fprintln(stderr, "Run 'cairn help' for usage.")
			return exitUsage
		}
		if args[0] == "credentials" {
			fmt.Fprintf(stderr, "cairn credentials: want a sub-command: create, list or revoke\n")
			fmt.Fprintln(stderr, "Run 'cairn help' for usage.")
			return exitUsage
		}
		if args[0] == "partner" {
			fmt.Fprintf(stderr, "cairn partner: want a sub-command: add, list, show, remove, pause, resume, test, sync or deadletters list|show|replay|discard\n")
			fmt.Fprintln(stderr, "Run 'cairn help' for usage.")
			return exitUsage
		}
		fmt.Fprintf(stderr, "cairn: unknown command %q\nRun 'cairn help' for usage.\n", strings.Join(args[:min(len(args), 2)], " "))
		return exitUsage
	}

	fs := flag.NewFlagSet("cairn "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	runCmd := cmd.setup(c, fs)
	positional, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		c.commandUsage(stdout, cmd, fs)
		return exitOK
	}
	if err == nil {
		err = runCmd(ctx, positional)
	}
	if err == nil {
		return exitOK
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "cairn %s: %s\n", cmd.name, line)
	}
	var ue usageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintf(stderr, "Run 'cairn help %s' for usage.\n", cmd.name)
		return exitUsage
	}
	return exitFailure
}

// flagError marks errors from flag parsing.
type flagError struct{ error }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

// parseInterleaved parses flags that may follow positional arguments
// (`revoke KEY --store …`) and returns the positional ones; "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, flagError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// findCommand matches the longest command name at the start of args.
func findCommand(args []string) (command, []string, bool) {
	for _, cmd := range commands() {
		words := strings.Fields(cmd.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == cmd.name {
			return cmd, args[len(words):], true
		}
	}
	return command{}, nil, false
}

// help prints the overview, or one command's usage; exit status 2 for an unknown command.
func (c *cli) help(args []string) int {
	if len(args) == 0 {
		c.usage(c.stdout)
		return exitOK
	}
	if len(args) == 1 && (args[0] == "credentials" || args[0] == "partner") {
		fmt.Fprintln(c.stdout, "Usage:")
		for _, cmd := range commands() {
			if strings.HasPrefix(cmd.name, args[0]+" ") {
				fmt.Fprintf(c.stdout, "  cairn %s %s\n        %s\n", cmd.name, cmd.synopsis, cmd.summary)
			}
		}
		fmt.Fprintf(c.stdout, "\nRun 'cairn help %s SUB-COMMAND' for its flags.\n", args[0])
		return exitOK
	}
	cmd, rest, ok := findCommand(args)
	if !ok || len(rest) > 0 {
		fmt.Fprintf(c.stderr, "cairn help: unknown command %q\n", strings.Join(args, " "))
		return exitUsage
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	cmd.setup(c, fs)
	c.commandUsage(c.stdout, cmd, fs)
	return exitOK
}

// usage writes the overview: commands and settings.
func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, `Cairn is a conformant xAPI 1.0.3 Learning Record Store that captures informal learning.

Usage: cairn COMMAND [flags]

Commands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-28s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "  %-28s %s\n", "help [COMMAND]", "show this text, or a command's flags")
	fmt.Fprint(w, `
Settings (a flag wins over its environment variable, which wins over the default):
`)
	config.WriteSettings(w, config.ServeSettings())
	fmt.Fprint(w, `
The credentials commands take --store, --log-level and --log-format; the users
commands also take --agent-home-page; the partner commands also take --partner-key and
--base-url.
A secret setting X can instead be read from the file named by X_FILE (surrounding
white space is trimmed); setting both X and X_FILE is an error.

Exit status: 0 success, 1 failure, 2 invalid command line or settings.
`)
}

// commandUsage writes one command's synopsis, own flags and settings.
func (c *cli) commandUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: cairn %s %s\n\n%s.\n", cmd.name, cmd.synopsis, capitalize(cmd.summary))
	settings := cmd.settings()
	isSetting := map[string]bool{}
	for _, s := range settings {
		isSetting[s.Flag] = true
	}
	header := false
	fs.VisitAll(func(f *flag.Flag) {
		if isSetting[f.Name] {
			return
		}
		if !header {
			fmt.Fprint(w, "\nFlags:\n")
			header = true
		}
		meta, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s\n        %s\n", strings.TrimSpace(f.Name+" "+meta), usage)
	})
	if len(settings) > 0 {
		fmt.Fprint(w, "\nSettings (flag, environment variable):\n")
		config.WriteSettings(w, settings)
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// versionLine returns "cairn VERSION (REVISION) GOVERSION OS/ARCH" from the build
// information the Go toolchain embeds in the binary.
func versionLine() string {
	version, revision := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if revision != "" && modified {
			revision += "+modified"
		}
	}
	line := "cairn " + version
	if revision != "" {
		line += " (" + revision + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", line, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// shortVersion is the version that the HTTP API reports.
func shortVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
