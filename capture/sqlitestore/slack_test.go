package sqlitestore

import (
	"testing"

	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace/workspacetest"
)

func TestSlackWorkspaceContract(t *testing.T) {
	workspacetest.Run(t, func(t *testing.T) workspace.Store { return openTemp(t) })
}
