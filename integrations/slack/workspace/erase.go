package workspace

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
)

// ErasePart removes the Slack links of an erased person (erasure.Part): the links
// whose agent is one of the person's agents or whose verified email is one of their
// mbox addresses. The Slack user can link again later; nothing else is kept.
type ErasePart struct{ Store Store }

var (
	_ erasure.Part     = ErasePart{}
	_ erasure.Resolver = ErasePart{}
)

// OtherAgents returns the agents of the person's links (by agent or verified email):
// the Slack account agent (design.md §5) their Slack statements carry when they had
// no hub account, so that the erasure finds those statements too.
func (p ErasePart) OtherAgents(ctx context.Context, person erasure.Person) ([]map[string]any, error) {
	links, err := p.Store.SlackLinks(ctx)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, l := range links {
		var a map[string]any
		if linkOf(l, person) && json.Unmarshal(l.Agent, &a) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// Name implements erasure.Part.
func (ErasePart) Name() string { return "slack links" }

// ErasePerson removes the person's links and returns how many (a repeat call: 0).
func (p ErasePart) ErasePerson(ctx context.Context, person erasure.Person) (int, error) {
	links, err := p.Store.SlackLinks(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range links {
		if !linkOf(l, person) {
			continue
		}
		if err := p.Store.DeleteSlackLink(ctx, l.TeamID, l.UserID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func linkOf(l Link, person erasure.Person) bool {
	if l.Email != "" && slices.ContainsFunc(person.Mboxes, func(m string) bool { return strings.EqualFold(m, l.Email) }) {
		return true
	}
	var a map[string]any
	if json.Unmarshal(l.Agent, &a) != nil {
		return false
	}
	k, err := capture.AgentKeyOf(a)
	return err == nil && slices.Contains(person.AgentKeys, k)
}
