// Package config reads Cairn's settings from command-line flags, environment variables
// and defaults, in that order of precedence, and validates them before anything starts.
//
// A secret setting X (Setting.Secret) may also be read from a file: the environment
// variable X_FILE names a file whose content, trimmed of surrounding white space, is
// the value. Setting both X and X_FILE is an error.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// FileSuffix is appended to a secret setting's environment variable to name the
// variable that points at a file holding the value.
const FileSuffix = "_FILE"

// Setting describes one value that can come from a flag, an environment variable or
// a default.
type Setting struct {
	Flag    string // flag name without dashes, e.g. "store"
	Env     string // environment variable, e.g. "CAIRN_STORE"
	Default string // used when neither flag nor environment gives a value
	// DefaultDoc describes a default computed from other settings, for usage text.
	DefaultDoc string
	Meta       string // placeholder for the value in usage text, e.g. "URL"
	Usage      string // one line for the usage text
	// Secret settings may be read from the file named by Env+FileSuffix and are never
	// logged or echoed in error messages.
	Secret bool
	// Bool settings are flags that may be given without a value (--x means --x=true).
	Bool bool
}

// Source tells where a resolved value came from.
type Source int

// The sources, from lowest to highest precedence (a file counts as the environment).
const (
	SourceDefault Source = iota
	SourceEnv
	SourceFile
	SourceFlag
)

// Value is a setting's resolved raw text and where it came from.
type Value struct {
	Setting
	Raw    string
	Source Source
}

// Origin names where the value came from, for error messages: "--store",
// "CAIRN_STORE" or "CAIRN_STORE_FILE"; a default is reported as its flag.
func (v Value) Origin() string {
	switch v.Source {
	case SourceEnv:
		return v.Env
	case SourceFile:
		return v.Env + FileSuffix
	default:
		return "--" + v.Flag
	}
}

// Errorf returns an error that starts with the value's origin, e.g.
// `--store: unsupported scheme "postgres"`.
func (v Value) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", v.Origin(), fmt.Sprintf(format, args...))
}

// Env is how settings read the process environment and files. Tests pass fakes.
type Env struct {
	Lookup   func(name string) (string, bool)  // os.LookupEnv
	ReadFile func(path string) ([]byte, error) // os.ReadFile
}

// OSEnv returns the process environment and file system.
func OSEnv() Env {
	return Env{Lookup: os.LookupEnv, ReadFile: os.ReadFile}
}

// lookup returns a non-empty environment variable; an empty one counts as unset.
func (e Env) lookup(name string) (string, bool) {
	if e.Lookup == nil {
		return "", false
	}
	v, ok := e.Lookup(name)
	return v, ok && v != ""
}

// Binding ties settings to the flags registered for them on one FlagSet.
type Binding struct {
	fs       *flag.FlagSet
	settings []Setting
	flags    map[string]*string
}

// Bind registers one string flag per setting on fs. Call Resolve after fs.Parse.
// Flags are registered without defaults so that an unset flag can fall back to the
// environment; the usage text shows the defaults instead (see WriteSettings).
func Bind(fs *flag.FlagSet, settings ...Setting) *Binding {
	b := &Binding{fs: fs, settings: settings, flags: make(map[string]*string, len(settings))}
	for _, s := range settings {
		if s.Bool {
			v := new(boolText)
			fs.Var(v, s.Flag, s.Usage)
			b.flags[s.Flag] = (*string)(v)
			continue
		}
		b.flags[s.Flag] = fs.String(s.Flag, "", s.Usage)
	}
	return b
}

// boolText is a flag value kept as text (validated by ParseBool later) that the flag
// package treats as boolean, so a bare --x stands for --x=true.
type boolText string

func (b *boolText) String() string     { return string(*b) }
func (b *boolText) Set(s string) error { *b = boolText(s); return nil }
func (b *boolText) IsBoolFlag() bool   { return true }

// Resolve returns each setting's value by precedence flag > environment (X, or the
// file named by X_FILE for secret settings) > default, keyed by flag name. It reports
// every problem at once (errors.Join): X and X_FILE both set, an unreadable or empty
// file.
func (b *Binding) Resolve(env Env) (map[string]Value, error) {
	set := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	values := make(map[string]Value, len(b.settings))
	var errs []error
	for _, s := range b.settings {
		v, err := resolve(s, set[s.Flag], *b.flags[s.Flag], env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		values[s.Flag] = v
	}
	return values, errors.Join(errs...)
}

func resolve(s Setting, flagSet bool, flagValue string, env Env) (Value, error) {
	envValue, hasEnv := env.lookup(s.Env)
	fileVar := s.Env + FileSuffix
	path, hasFile := "", false
	if s.Secret {
		path, hasFile = env.lookup(fileVar)
	}
	if hasEnv && hasFile {
		return Value{}, fmt.Errorf("%s and %s are both set; set only one", s.Env, fileVar)
	}
	switch {
	case flagSet:
		return Value{Setting: s, Raw: flagValue, Source: SourceFlag}, nil
	case hasEnv:
		return Value{Setting: s, Raw: envValue, Source: SourceEnv}, nil
	case hasFile:
		if env.ReadFile == nil {
			return Value{}, fmt.Errorf("%s: cannot read %q: no file system", fileVar, path)
		}
		content, err := env.ReadFile(path)
		if err != nil {
			return Value{}, fmt.Errorf("%s: cannot read %q: %w", fileVar, path, err)
		}
		raw := strings.TrimSpace(string(content))
		if raw == "" {
			return Value{}, fmt.Errorf("%s: file %q is empty", fileVar, path)
		}
		return Value{Setting: s, Raw: raw, Source: SourceFile}, nil
	default:
		return Value{Setting: s, Raw: s.Default, Source: SourceDefault}, nil
	}
}
