package capture

// Match keys are the strings a store indexes so that statement queries
// (xAPI 1.0.3 Communication 2.1.3) become "every query key is a key of the record".
// Each key is a short prefix, a '|' and the value, so the same value under two
// parameters never collides.

// KeyAgent matches the agent parameter: the actor, or an agent/group object.
func KeyAgent(agentKey string) string { return "a|" + agentKey }

// KeyRelatedAgent matches agent with related_agents=true: actor, object, authority,
// context instructor and team, and the same inside a SubStatement.
func KeyRelatedAgent(agentKey string) string { return "ra|" + agentKey }

// KeyVerb matches the verb parameter.
func KeyVerb(verbID string) string { return "v|" + verbID }

// KeyActivity matches the activity parameter: the object activity id.
func KeyActivity(activityID string) string { return "o|" + activityID }

// KeyRelatedActivity matches activity with related_activities=true: the object, every
// context activity, and the same inside a SubStatement.
func KeyRelatedActivity(activityID string) string { return "ro|" + activityID }

// KeyRegistration matches the registration parameter (lower-case UUID).
func KeyRegistration(registration string) string { return "r|" + registration }

// KeyAuthority matches statements written under an authority (statements/read/mine).
func KeyAuthority(agentKey string) string { return "au|" + agentKey }
