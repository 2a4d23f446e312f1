package config

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseStore(t *testing.T) {
	tests := []struct {
		in      string
		want    Store
		wantErr string
	}{
		{in: "sqlite:./data/cairn.db", want: Store{Kind: StoreSQLite, Location: "./data/cairn.db"}},
		{in: "sqlite:/var/lib/cairn/c.db", want: Store{Kind: StoreSQLite, Location: "/var/lib/cairn/c.db"}},
		{in: "SQLite:c.db", want: Store{Kind: StoreSQLite, Location: "c.db"}},
		{in: "mongodb://localhost:27017/cairn", want: Store{Kind: StoreMongoDB, Location: "mongodb://localhost:27017/cairn"}},
		{in: "mongodb+srv://u:p@cluster0.example.net/cairn", want: Store{Kind: StoreMongoDB, Location: "mongodb+srv://u:p@cluster0.example.net/cairn"}},
		{in: "mongodb://a:1,b:2/cairn?replicaSet=rs", want: Store{Kind: StoreMongoDB, Location: "mongodb://a:1,b:2/cairn?replicaSet=rs"}},
		{in: "", wantErr: "empty (want sqlite:PATH or mongodb://…)"},
		{in: "sqlite://c.db", wantErr: "sqlite: takes a plain path"},
		{in: "mongodb:localhost", wantErr: "mongodb: want mongodb://HOST[:PORT]/DATABASE"},
		{in: "mongodb://user:pw@/cairn", wantErr: "mongodb: URI has no host"},
		{in: "postgres://u:pw@h/db", wantErr: `unsupported scheme "postgres"`},
		{in: "user:hunter2@db:27017", wantErr: `unsupported scheme "user"`},
		{in: "/abs/path.db", wantErr: "no scheme"},
		{in: "my db:x", wantErr: "no scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStore(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				for _, secret := range []string{"pw", "hunter2"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q reveals %q", err, secret)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestStoreNeverShowsPassword(t *testing.T) {
	tests := []struct{ uri, want string }{
		{"mongodb://localhost/cairn", "mongodb://localhost/cairn"},
		{"mongodb://cairn:s3cret@db:27017/cairn", "mongodb://cairn:xxxxx@db:27017/cairn"},
		{"mongodb://cairn:p%40ss:w@rd@a:1,b:2/cairn?replicaSet=rs0", "mongodb://cairn:xxxxx@a:1,b:2/cairn?replicaSet=rs0"},
		{"mongodb+srv://onlyuser@cluster.example.net", "mongodb+srv://onlyuser@cluster.example.net"},
		{"mongodb://u:s3cret@h?tls=true&tlsCertificateKeyFilePassword=s3cret&authMechanismProperties=AWS_SESSION_TOKEN:s3cret",
			"mongodb://u:xxxxx@h?tls=true&tlsCertificateKeyFilePassword=xxxxx&authMechanismProperties=xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			s := Store{Kind: StoreMongoDB, Location: tt.uri}
			var logged strings.Builder
			slog.New(slog.NewTextHandler(&logged, nil)).Info("open", "store", s)
			for name, out := range map[string]string{
				"String": s.String(), "%v": fmt.Sprintf("%v", s), "%+v": fmt.Sprintf("%+v", s),
				"%#v": fmt.Sprintf("%#v", s), "slog": logged.String(),
			} {
				if !strings.Contains(out, tt.want) {
					t.Errorf("%s: %q does not contain %q", name, out, tt.want)
				}
				if strings.Contains(out, "s3cret") || strings.Contains(out, "w@rd") {
					t.Errorf("%s: %q reveals the password", name, out)
				}
			}
		})
	}
	if got := (Store{Kind: StoreSQLite, Location: "./data/cairn.db"}).String(); got != "sqlite:./data/cairn.db" {
		t.Errorf("sqlite store prints as %q", got)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{in: "1", want: 1},
		{in: "16777216", want: 16 << 20},
		{in: "512B", want: 512},
		{in: "64KiB", want: 64 << 10},
		{in: "16MiB", want: 16 << 20},
		{in: "16 MiB", want: 16 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "1025MiB", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-5", wantErr: true},
		{in: "1.5MiB", wantErr: true},
		{in: "16M", wantErr: true},
		{in: "16mib", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseMemoryLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "150MiB", want: 150 << 20},
		{in: " 2 GiB ", want: 2 << 30},
		{in: "33554432", want: 32 << 20},
		{in: "1024GiB", want: 1 << 40},
		{in: "1025GiB", wantErr: true},
		{in: "31MiB", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "150M", wantErr: true},
		{in: "off", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMemoryLimit(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseMemoryLimit(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDefaultBaseURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080"},
		{":8080", "http://localhost:8080"},
		{"0.0.0.0:80", "http://localhost:80"},
		{"[::]:8080", "http://localhost:8080"},
		{"[::1]:8080", "http://[::1]:8080"},
		{"lrs.internal:9000", "http://lrs.internal:9000"},
	}
	for _, tt := range tests {
		if got := DefaultBaseURL(tt.addr); got != tt.want {
			t.Errorf("DefaultBaseURL(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "https://lrs.example.com", want: "https://lrs.example.com"},
		{in: "https://lrs.example.com/cairn/", want: "https://lrs.example.com/cairn"},
		{in: "lrs.example.com", wantErr: "is not an http:// or https:// URL"},
		{in: "http://", wantErr: "has no host"},
		{in: "https://u:p@lrs.example.com", wantErr: "must not contain user information"},
		{in: "https://lrs.example.com#x", wantErr: "must not have a query or fragment"},
	}
	for _, tt := range tests {
		got, err := ParseBaseURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseBaseURL(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBaseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestStoreScrub(t *testing.T) {
	s := Store{Kind: StoreMongoDB, Location: "mongodb://cairn:p%40ss@db:27017/cairn"}
	tests := []struct{ in, want string }{
		{"dial mongodb://cairn:p%40ss@db:27017/cairn: refused", "dial mongodb://cairn:xxxxx@db:27017/cairn: refused"},
		{"auth failed for password p@ss", "auth failed for password xxxxx"},
		{"auth failed for password p%40ss", "auth failed for password xxxxx"},
		{"server selection timeout", "server selection timeout"},
	}
	for _, tt := range tests {
		if got := s.Scrub(tt.in); got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := (Store{Kind: StoreSQLite, Location: "x.db"}).Scrub("open x.db: denied"); got != "open x.db: denied" {
		t.Errorf("sqlite Scrub changed the message: %q", got)
	}
}
