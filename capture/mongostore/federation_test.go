package mongostore

import (
	"testing"

	"github.com/cairn-lrs/cairn/federation"
	"github.com/cairn-lrs/cairn/federation/fedtest"
)

func TestFederationContract(t *testing.T) {
	fedtest.Run(t, func(t *testing.T) federation.Store {
		s, _ := openFresh(t, defaultConfig())
		return s
	})
}
