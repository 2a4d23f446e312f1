package qa

// Reputation rules on the Apache Answer model: what each event moves. A person starts
// at StartReputation and never falls below MinReputation.
const (
	StartReputation     = 1
	MinReputation       = 1
	RepUpvoteReceived   = 10 // your question or answer is voted up
	RepDownvoteReceived = -2 // your question or answer is voted down
	RepDownvoteCast     = -1 // you vote an answer down
	RepAcceptedAnswer   = 15 // your answer is accepted
	RepAcceptedByAsker  = 2  // you accept an answer to your question (not your own)
)

// Privilege is an action gated by reputation.
type Privilege string

// The gated actions.
const (
	PrivAsk       Privilege = "ask"
	PrivAnswer    Privilege = "answer"
	PrivComment   Privilege = "comment"
	PrivVoteUp    Privilege = "vote_up"
	PrivVoteDown  Privilege = "vote_down"
	PrivEditOther Privilege = "edit_others"
	PrivCloseDup  Privilege = "close_duplicate"
)

// Privileges holds the reputation each gated action needs.
type Privileges map[Privilege]int

// DefaultPrivileges are the gates (Apache Answer's lenient level): asking, answering,
// commenting and voting up are open to everyone; voting down, editing others' posts
// and closing need standing. Moderators and admins pass every gate.
func DefaultPrivileges() Privileges {
	return Privileges{
		PrivAsk: 1, PrivAnswer: 1, PrivComment: 1, PrivVoteUp: 1,
		PrivVoteDown: 125, PrivEditOther: 2000, PrivCloseDup: 3000,
	}
}

// PrivilegeOrder lists the privileges in the order the UI shows them.
func PrivilegeOrder() []Privilege {
	return []Privilege{PrivAsk, PrivAnswer, PrivComment, PrivVoteUp, PrivVoteDown, PrivEditOther, PrivCloseDup}
}

// Describe returns what a privilege lets a person do, for the UI.
func (p Privilege) Describe() string {
	switch p {
	case PrivAsk:
		return "Ask a question"
	case PrivAnswer:
		return "Answer a question"
	case PrivComment:
		return "Comment on a post"
	case PrivVoteUp:
		return "Vote up"
	case PrivVoteDown:
		return "Vote down"
	case PrivEditOther:
		return "Edit other people's posts"
	case PrivCloseDup:
		return "Close a question as a duplicate"
	}
	return string(p)
}

// Allows reports whether person may do priv: moderators always, others when their
// reputation reaches the gate. An unknown privilege is refused.
func (ps Privileges) Allows(person Person, priv Privilege) bool {
	if person.Role.Moderates() {
		return true
	}
	need, ok := ps[priv]
	return ok && person.Reputation >= need
}

// voteReputation returns the reputation moves of changing voter's vote on a post
// owned by owner from prev to value: each side of the change is undone then applied.
func voteReputation(voter, owner int64, kind PostKind, prev, value int) []ReputationDelta {
	ownerDelta, voterDelta := 0, 0
	effect := func(v, sign int) {
		switch v {
		case 1:
			ownerDelta += sign * RepUpvoteReceived
		case -1:
			ownerDelta += sign * RepDownvoteReceived
			if kind == KindAnswer {
				voterDelta += sign * RepDownvoteCast
			}
		}
	}
	effect(prev, -1)
	effect(value, 1)
	var out []ReputationDelta
	if ownerDelta != 0 {
		out = append(out, ReputationDelta{PersonID: owner, Delta: ownerDelta})
	}
	if voterDelta != 0 {
		out = append(out, ReputationDelta{PersonID: voter, Delta: voterDelta})
	}
	return out
}

// acceptReputation returns the reputation moves of moving a question's accepted
// answer from prevOwner's answer to newOwner's (0: none). Accepting your own answer
// moves nothing.
func acceptReputation(asker, prevOwner, newOwner int64) []ReputationDelta {
	m := map[int64]int{}
	if prevOwner != 0 && prevOwner != asker {
		m[prevOwner] -= RepAcceptedAnswer
		m[asker] -= RepAcceptedByAsker
	}
	if newOwner != 0 && newOwner != asker {
		m[newOwner] += RepAcceptedAnswer
		m[asker] += RepAcceptedByAsker
	}
	var out []ReputationDelta
	for _, id := range []int64{asker, prevOwner, newOwner} {
		if d, ok := m[id]; ok && d != 0 {
			out = append(out, ReputationDelta{PersonID: id, Delta: d})
			delete(m, id)
		}
	}
	return out
}
