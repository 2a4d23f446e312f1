// Package mongotest gives tests a MongoDB wire-protocol server: a real MongoDB when
// CAIRN_TEST_MONGO_URI is set, else one in-process FerretDB (SQLite backend, temp
// directory, free loopback port) shared by every test of the binary.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// EnvURI names the variable that points the tests at a real MongoDB.
const EnvURI = "CAIRN_TEST_MONGO_URI"

// Server is a started wire-protocol server. Its zero value is ready to use; the first
// URI call starts FerretDB unless EnvURI is set.
type Server struct {
	once   sync.Once
	base   string
	authDB string // the database credentials of CAIRN_TEST_MONGO_URI authenticate against
	err    error
	dir    string
	cancel context.CancelFunc
	done   chan error
}

// URI returns the server's base URI (path "/"); it fails t when the server cannot
// start. Repeat calls return the same server.
func (s *Server) URI(t testing.TB) string {
	t.Helper()
	s.once.Do(s.start)
	if s.err != nil {
		t.Fatalf("mongotest: %v", s.err)
	}
	return s.base
}

// DatabaseURI returns the server's URI with a path naming a database unique to this
// call, so that every test starts from an empty database; the caller drops it. Credentials
// in CAIRN_TEST_MONGO_URI keep authenticating against their original database.
func (s *Server) DatabaseURI(t testing.TB) string {
	t.Helper()
	base := s.URI(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("mongotest: parse %q: %v", base, err)
	}
	u.Path = "/" + DatabaseName(t)
	if u.User != nil {
		q := u.Query()
		if !q.Has("authSource") {
			q.Set("authSource", s.authDB)
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// DatabaseName returns a fresh database name derived from t's name (MongoDB limits
// names to 63 bytes and forbids some characters).
func DatabaseName(t testing.TB) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("mongotest: random: %v", err)
	}
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return "t_" + name + "_" + hex.EncodeToString(b[:])
}

// Stop shuts FerretDB down and removes its directory; a no-op for a real MongoDB or a
// server never started. Call it from TestMain after m.Run.
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	os.RemoveAll(s.dir)
}

func (s *Server) start() {
	if uri := os.Getenv(EnvURI); uri != "" {
		u, err := url.Parse(uri)
		if err != nil {
			s.err = fmt.Errorf("%s: %w", EnvURI, err)
			return
		}
		s.authDB = strings.TrimPrefix(u.Path, "/")
		if s.authDB == "" {
			s.authDB = "admin"
		}
		u.Path = "/"
		s.base = u.String()
		return
	}
	dir, err := os.MkdirTemp("", "cairn-ferretdb-")
	if err != nil {
		s.err = err
		return
	}
	// Test data need no fsync (synchronous off), and immediate transactions make
	// concurrent writers wait for the SQLite lock instead of failing to upgrade to it.
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/?_pragma=synchronous(off)&_txlock=immediate",
	})
	if err != nil {
		os.RemoveAll(dir)
		s.err = fmt.Errorf("start FerretDB: %w", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.dir, s.cancel, s.done = dir, cancel, make(chan error, 1)
	go func() { s.done <- f.Run(ctx) }()
	s.base = f.MongoDBURI()
}
