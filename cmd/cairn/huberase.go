package main

import (
	"context"
	"maps"
	"slices"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/erasure"
	"github.com/cairn-lrs/cairn/qa"
)

// hubErasePart erases a person's share of the Q&A hub (erasure.Part): their person
// row turns anonymous and their names and addresses leave every hub text and the
// search index (qa.Service.ErasePerson). As an erasure.Resolver it adds the agent
// their hub statements carry (an account agent when the hub has an agent homePage),
// named, so that those statements are erased too.
type hubErasePart struct{ svc *qa.Service }

// hubParts returns the hub's erasure part when the hub is served (svc not nil).
func hubParts(svc *qa.Service) []erasure.Part {
	if svc == nil {
		return nil
	}
	return []erasure.Part{hubErasePart{svc}}
}

// hubServiceOf returns a hub service over store for erasures (nil when the store has
// no hub tables).
func hubServiceOf(store capture.Store, baseURL string) *qa.Service {
	qs, ok := store.(qa.Store)
	if !ok {
		return nil
	}
	return qa.NewService(qa.Config{Store: qs, BaseURL: baseURL})
}

// Name implements erasure.Part.
func (h hubErasePart) Name() string { return "hub content" }

// ErasePerson implements erasure.Part: see qa.Service.ErasePerson.
func (h hubErasePart) ErasePerson(ctx context.Context, p erasure.Person) (int, error) {
	strs := append(slices.Clone(p.Names), p.Mboxes...)
	return h.svc.ErasePerson(ctx, p.Agents, strs, p.Anonymous)
}

// OtherAgents implements erasure.Resolver: the hub agents of the people p's agents
// find, each with the person's hub name.
func (h hubErasePart) OtherAgents(ctx context.Context, p erasure.Person) ([]map[string]any, error) {
	people, err := h.svc.PeopleOf(ctx, p.Agents)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(people))
	for _, person := range people {
		a := maps.Clone(person.Agent)
		a["name"] = person.Name
		out = append(out, a)
	}
	return out, nil
}
