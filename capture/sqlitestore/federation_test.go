package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/cairn-lrs/cairn/capture/sqlitestore"
	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/fedtest"
)

func TestFederationContract(t *testing.T) {
	fedtest.Run(t, func(t *testing.T) federation.Store {
		s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "fed.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
