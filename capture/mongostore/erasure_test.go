package mongostore

import (
	"testing"

	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/capture/erasure/erasuretest"
)

func TestErasureAuditContract(t *testing.T) {
	erasuretest.Run(t, func(t *testing.T) erasure.AuditStore {
		s, _ := openFresh(t, defaultConfig())
		return s
	})
}
