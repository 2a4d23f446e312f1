package qa

import (
	"slices"
	"testing"
)

func TestVoteReputation(t *testing.T) {
	const voter, owner = 1, 2
	cases := []struct {
		name        string
		kind        PostKind
		prev, value int
		want        []ReputationDelta
	}{
		{"up on a question", KindQuestion, 0, 1, []ReputationDelta{{owner, 10}}},
		{"up on an answer", KindAnswer, 0, 1, []ReputationDelta{{owner, 10}}},
		{"down on a question costs the voter nothing", KindQuestion, 0, -1, []ReputationDelta{{owner, -2}}},
		{"down on an answer costs the voter one", KindAnswer, 0, -1, []ReputationDelta{{owner, -2}, {voter, -1}}},
		{"up to down", KindAnswer, 1, -1, []ReputationDelta{{owner, -12}, {voter, -1}}},
		{"down to up", KindAnswer, -1, 1, []ReputationDelta{{owner, 12}, {voter, 1}}},
		{"withdraw up", KindQuestion, 1, 0, []ReputationDelta{{owner, -10}}},
		{"no change", KindQuestion, 1, 1, nil},
	}
	for _, c := range cases {
		if got := voteReputation(voter, owner, c.kind, c.prev, c.value); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAcceptReputation(t *testing.T) {
	const asker, a, b = 1, 2, 3
	cases := []struct {
		name           string
		prev, newOwner int64
		want           []ReputationDelta
	}{
		{"first accept", 0, a, []ReputationDelta{{asker, 2}, {a, 15}}},
		{"own answer moves nothing", 0, asker, nil},
		{"switch to another answerer", a, b, []ReputationDelta{{a, -15}, {b, 15}}},
		{"un-accept", a, 0, []ReputationDelta{{asker, -2}, {a, -15}}},
		{"switch from own answer", asker, a, []ReputationDelta{{asker, 2}, {a, 15}}},
	}
	for _, c := range cases {
		if got := acceptReputation(asker, c.prev, c.newOwner); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPrivileges(t *testing.T) {
	ps := DefaultPrivileges()
	cases := []struct {
		role Role
		rep  int
		priv Privilege
		want bool
	}{
		{RoleMember, 1, PrivAsk, true},
		{RoleMember, 1, PrivVoteUp, true},
		{RoleMember, 1, PrivVoteDown, false},
		{RoleMember, 124, PrivVoteDown, false},
		{RoleMember, 125, PrivVoteDown, true},
		{RoleMember, 1999, PrivEditOther, false},
		{RoleMember, 2000, PrivEditOther, true},
		{RoleModerator, 1, PrivVoteDown, true},
		{RoleAdmin, 1, PrivCloseDup, true},
		{RoleMember, 1_000_000, Privilege("unknown"), false},
	}
	for _, c := range cases {
		if got := ps.Allows(Person{Role: c.role, Reputation: c.rep}, c.priv); got != c.want {
			t.Errorf("%s with %d reputation, %s: %v, want %v", c.role, c.rep, c.priv, got, c.want)
		}
	}
}

func TestNormalizeTags(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
		ok   bool
	}{
		{[]string{"Go", "go", " sql "}, []string{"go", "sql"}, true},
		{[]string{"c++, c#"}, []string{"c++", "c#"}, true},
		{[]string{"a", "b", "c", "d", "e"}, []string{"a", "b", "c", "d", "e"}, true},
		{[]string{"a", "b", "c", "d", "e", "f"}, nil, false},
		{nil, nil, false},
		{[]string{" , "}, nil, false},
		{[]string{"<script>"}, nil, false},
		{[]string{"-lead"}, nil, false},
		{[]string{"abcdefghijabcdefghijabcdefghijabcdef"}, nil, false},
	}
	for _, c := range cases {
		got, err := NormalizeTags(c.in)
		if (err == nil) != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("NormalizeTags(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestTagChanges(t *testing.T) {
	cases := []struct {
		before, after, gone, added []string
	}{
		{nil, nil, nil, nil},
		{[]string{"go"}, []string{"go"}, nil, nil},
		{[]string{"go", "sql"}, []string{"sql", "xapi", "go"}, nil, []string{"xapi"}},
		{[]string{"go", "sql", "css"}, []string{"css"}, []string{"go", "sql"}, nil},
		{[]string{"a", "b"}, []string{"c", "a"}, []string{"b"}, []string{"c"}},
	}
	for _, c := range cases {
		gone, added := TagChanges(c.before, c.after)
		if !slices.Equal(gone, c.gone) || !slices.Equal(added, c.added) {
			t.Errorf("TagChanges(%v, %v) = %v, %v; want %v, %v", c.before, c.after, gone, added, c.gone, c.added)
		}
	}
}
