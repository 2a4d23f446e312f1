// Package workspacetest is the contract suite that every workspace.Store adapter must
// pass. An adapter's test calls Run with a function that opens a fresh, empty store.
package workspacetest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/integrations/slack/workspace"
)

// t0 uses whole milliseconds so that stores with millisecond precision round-trip it.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func link(team, user, person string, src workspace.Source) workspace.Link {
	return workspace.Link{
		TeamID: team, UserID: user, PersonID: person, Email: user + "@example.com",
		Agent:  json.RawMessage(`{"objectType":"Agent","mbox":"mailto:` + user + `@example.com"}`),
		Source: src, UpdatedAt: t0,
	}
}

// Run runs every contract subtest, each on a store open returns (empty, cleaned up by t).
func Run(t *testing.T, open func(t *testing.T) workspace.Store) {
	t.Run("LinkNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.SlackLink(t.Context(), "T1", "U1")
		if capture.ErrorCode(err) != capture.CodeNotFound {
			t.Fatalf("SlackLink of an unknown user: err %v, want not_found", err)
		}
	})
	t.Run("LinkRoundTripAndReplace", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		l := link("T1", "U1", "", workspace.SourceAccount)
		if err := s.PutSlackLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := s.PutSlackLink(ctx, l); err != nil {
			t.Fatalf("repeat put: %v", err)
		}
		got, err := s.SlackLink(ctx, "T1", "U1")
		if err != nil {
			t.Fatal(err)
		}
		assertLink(t, got, l)
		l2 := link("T1", "U1", "p-7", workspace.SourceAdmin)
		l2.UpdatedAt = t0.Add(time.Hour)
		if err := s.PutSlackLink(ctx, l2); err != nil {
			t.Fatal(err)
		}
		got, err = s.SlackLink(ctx, "T1", "U1")
		if err != nil {
			t.Fatal(err)
		}
		assertLink(t, got, l2)
		if _, err := s.SlackLink(ctx, "T2", "U1"); capture.ErrorCode(err) != capture.CodeNotFound {
			t.Fatalf("same user in another team: err %v, want not_found", err)
		}
	})
	t.Run("LinksListedAndByPerson", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		in := []workspace.Link{
			link("T2", "U1", "p-1", workspace.SourceEmail),
			link("T1", "U9", "p-1", workspace.SourceEmail),
			link("T1", "U2", "", workspace.SourceAccount),
		}
		for _, l := range in {
			if err := s.PutSlackLink(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.SlackLinks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 || all[0].UserID != "U2" || all[1].UserID != "U9" || all[2].TeamID != "T2" {
			t.Fatalf("SlackLinks = %+v, want T1/U2, T1/U9, T2/U1", all)
		}
		mine, err := s.SlackLinksOfPerson(ctx, "p-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 2 || mine[0].UserID != "U9" || mine[1].UserID != "U1" {
			t.Fatalf("SlackLinksOfPerson(p-1) = %+v, want T1/U9 and T2/U1", mine)
		}
		none, err := s.SlackLinksOfPerson(ctx, "p-404")
		if err != nil || len(none) != 0 {
			t.Fatalf("SlackLinksOfPerson(p-404) = %v, %v; want empty", none, err)
		}
		for round := range 2 { // a repeat delete is not an error
			if err := s.DeleteSlackLink(ctx, "T1", "U9"); err != nil {
				t.Fatalf("DeleteSlackLink round %d: %v", round+1, err)
			}
		}
		if _, err := s.SlackLink(ctx, "T1", "U9"); capture.ErrorCode(err) != capture.CodeNotFound {
			t.Fatalf("deleted link: err %v, want not_found", err)
		}
		if left, err := s.SlackLinks(ctx); err != nil || len(left) != 2 {
			t.Fatalf("after deleting one link: %d links, %v; want 2", len(left), err)
		}
	})
	t.Run("Channels", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		chans := []workspace.Channel{
			{ChannelID: "C2", Role: workspace.RoleTag, Tag: "go"},
			{ChannelID: "C1", Role: workspace.RoleLearning},
			{ChannelID: "C2", Role: workspace.RoleTag, Tag: "sql"},
			{ChannelID: "C1", Role: workspace.RoleLearning}, // repeat: no-op
		}
		for _, c := range chans {
			if err := s.PutSlackChannel(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.SlackChannels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []workspace.Channel{chans[1], chans[0], chans[2]}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("SlackChannels = %+v, want %+v", got, want)
		}
		if err := s.DeleteSlackChannel(ctx, chans[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSlackChannel(ctx, chans[0]); err != nil {
			t.Fatalf("deleting an absent channel: %v", err)
		}
		got, err = s.SlackChannels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []workspace.Channel{chans[1], chans[2]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after delete: %+v, want %+v", got, want)
		}
	})
}

func assertLink(t *testing.T, got, want workspace.Link) {
	t.Helper()
	var ga, wa any
	if err := json.Unmarshal(got.Agent, &ga); err != nil {
		t.Fatalf("stored agent is not JSON: %v", err)
	}
	_ = json.Unmarshal(want.Agent, &wa)
	if !reflect.DeepEqual(ga, wa) {
		t.Fatalf("agent = %s, want %s", got.Agent, want.Agent)
	}
	got.Agent, want.Agent = nil, nil
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("UpdatedAt = %v, want %v", got.UpdatedAt, want.UpdatedAt)
	}
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("link = %+v, want %+v", got, want)
	}
}
