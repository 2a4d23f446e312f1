package capture

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// MatchKeys returns the statement's own query keys (see keys.go), sorted and
// deduplicated, for a statement that passed ValidateStatement:
//   - KeyAgent: the actor, and the object when it is an Agent or identified Group;
//   - KeyRelatedAgent: those, plus the authority, context instructor and team, the
//     members of every Group among them, and the same inside a SubStatement;
//   - KeyVerb: the verb id;
//   - KeyActivity: the object Activity id;
//   - KeyRelatedActivity: that, every contextActivities id, and the same inside a
//     SubStatement;
//   - KeyRegistration: the context registration (also a SubStatement's);
//   - KeyAuthority: the authority Agent (or each member of a Group authority).
//
// Parts that are missing or malformed contribute nothing.
func MatchKeys(s Statement) []string {
	keys := make([]string, 0, 12) // a typical statement has 8; sorted and deduplicated below
	add := func(k string) { keys = append(keys, k) }
	m := map[string]any(s)

	for _, k := range agentKeys(m["actor"]) {
		add(KeyAgent(k))
	}
	if obj, ok := m["object"].(map[string]any); ok && isAgentObject(obj) {
		for _, k := range agentKeys(obj) {
			add(KeyAgent(k))
		}
	}
	if verb, ok := m["verb"].(map[string]any); ok {
		if id, ok := verb["id"].(string); ok {
			add(KeyVerb(id))
		}
	}
	if obj, ok := m["object"].(map[string]any); ok && objectTypeOf(obj) == objectTypeActivity {
		if id, ok := obj["id"].(string); ok {
			add(KeyActivity(id))
		}
	}
	relatedKeys(m, add)
	if obj, ok := m["object"].(map[string]any); ok && objectTypeOf(obj) == objectTypeSubStatement {
		relatedKeys(obj, add)
	}
	if auth, ok := m["authority"].(map[string]any); ok {
		if k, err := AgentKeyOf(auth); err == nil {
			add(KeyAuthority(k))
		}
		if members, ok := auth["member"].([]any); ok {
			for _, e := range members {
				if a, ok := e.(map[string]any); ok {
					if k, err := AgentKeyOf(a); err == nil {
						add(KeyAuthority(k))
					}
				}
			}
		}
		for _, k := range relatedAgentKeys(auth) {
			add(KeyRelatedAgent(k))
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// relatedKeys adds the related-agent, related-activity and registration keys of a
// Statement or SubStatement body m (authority excluded).
func relatedKeys(m map[string]any, add func(string)) {
	for _, k := range relatedAgentKeys(m["actor"]) {
		add(KeyRelatedAgent(k))
	}
	if obj, ok := m["object"].(map[string]any); ok {
		switch objectTypeOf(obj) {
		case objectTypeAgent, objectTypeGroup:
			for _, k := range relatedAgentKeys(obj) {
				add(KeyRelatedAgent(k))
			}
		case objectTypeActivity:
			if id, ok := obj["id"].(string); ok {
				add(KeyRelatedActivity(id))
			}
		}
	}
	ctx, ok := m["context"].(map[string]any)
	if !ok {
		return
	}
	for _, k := range relatedAgentKeys(ctx["instructor"]) {
		add(KeyRelatedAgent(k))
	}
	for _, k := range relatedAgentKeys(ctx["team"]) {
		add(KeyRelatedAgent(k))
	}
	if reg, ok := ctx["registration"].(string); ok {
		add(KeyRegistration(strings.ToLower(reg)))
	}
	for _, a := range contextActivityList(ctx) {
		if id, ok := a["id"].(string); ok {
			add(KeyRelatedActivity(id))
		}
	}
}

// contextActivityList returns every Activity object under ctx.contextActivities,
// whether each value is an array or (before normalisation) a single object.
func contextActivityList(ctx map[string]any) []map[string]any {
	ca, ok := ctx["contextActivities"].(map[string]any)
	if !ok {
		return nil
	}
	var out []map[string]any
	for _, k := range []string{"parent", "grouping", "category", "other"} {
		switch v := ca[k].(type) {
		case map[string]any:
			out = append(out, v)
		case []any:
			for _, e := range v {
				if a, ok := e.(map[string]any); ok {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// objectTypeOf returns a statement object's objectType, "Activity" when absent.
func objectTypeOf(obj map[string]any) string {
	if ot, ok := obj["objectType"].(string); ok {
		return ot
	}
	if _, ok := obj["objectType"]; ok {
		return ""
	}
	return objectTypeActivity
}

func isAgentObject(obj map[string]any) bool {
	ot := objectTypeOf(obj)
	return ot == objectTypeAgent || ot == objectTypeGroup
}

// agentKeys returns the identifier of an Agent or identified Group, none otherwise.
func agentKeys(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if k, err := AgentKeyOf(m); err == nil {
		return []string{k}
	}
	return nil
}

// relatedAgentKeys returns the identifier of an Agent or identified Group and those
// of a Group's members.
func relatedAgentKeys(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	keys := agentKeys(m)
	if members, ok := m["member"].([]any); ok {
		for _, e := range members {
			keys = append(keys, agentKeys(e)...)
		}
	}
	return keys
}

// RefTarget returns the id targeted by an object StatementRef, lower-cased, or "".
func RefTarget(s Statement) string {
	obj, ok := s["object"].(map[string]any)
	if !ok || obj["objectType"] != objectTypeStatementRef {
		return ""
	}
	id, _ := obj["id"].(string)
	return strings.ToLower(id)
}

// VoidTarget returns the voided id, lower-cased, when s's verb is
// http://adlnet.gov/expapi/verbs/voided and its object a StatementRef, else ""
// (xAPI 1.0.3 Data 2.3.2).
func VoidTarget(s Statement) string {
	verb, ok := s["verb"].(map[string]any)
	if !ok || verb["id"] != VerbVoided {
		return ""
	}
	return RefTarget(s)
}

// StatementHash returns the equivalence signature of s (lower-case hex SHA-256) for the
// "same id, same content" rule (xAPI 1.0.3 Data 2.3.1, Statement Comparison). Equal
// hashes mean the statements differ only in what the comparison ignores: id, stored,
// authority, version; verb display and activity definitions (not part of the
// statement, Data 2.3.1.b2–b3); the order of Group members and of object keys; the
// case of UUIDs, of mbox domains and of sha1 digests; the zone in which a timestamp is
// written (timestamps compare as instants); the form of a number (1, 1.0, 1e0); a
// single contextActivities object against an array of one. It never fails.
func StatementHash(s Statement) string {
	c := hashBody(map[string]any(s))
	for _, k := range []string{"id", "stored", "authority", "version"} {
		delete(c, k)
	}
	var b bytes.Buffer
	b.Grow(1024)
	writeCanonicalJSON(&b, c)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// sameSubmission reports whether two statements submitted under one id are the same
// statement (Data 2.3.1): each is as submitted, and without a timestamp when the
// client gave none (the LRS fills one in only for the copy it stores).
func sameSubmission(a, b Statement) bool {
	return StatementHash(a) == StatementHash(b)
}

// SameAsStored reports whether submitted, a statement as the client sent it (without
// the timestamp the LRS would fill in when it has none), is the same statement as
// the stored one, raw (Data 2.3.1, Statement Comparison). A timestamp the LRS filled
// in is written equal to stored, and compares as absent against a submission without
// one, so both a client's repeat of what it sent and a copy read back from the LRS
// (a partner's, an export) count as the same. CodeInternal when raw is not a stored
// statement.
func SameAsStored(submitted Statement, raw []byte) (bool, error) {
	stored, err := DecodeStored(raw)
	if err != nil {
		return false, err
	}
	if _, ok := submitted["timestamp"]; !ok {
		if ts, ok := stored["timestamp"].(string); ok && ts == stored["stored"] {
			delete(stored, "timestamp")
		}
	}
	return StatementHash(submitted) == StatementHash(stored), nil
}

// hashBody returns a Statement or SubStatement body src in the form that
// StatementHash compares. It leaves src alone: the parts it rewrites are copies, the
// rest is shared with src.
func hashBody(src map[string]any) map[string]any {
	m := maps.Clone(src)
	if m == nil {
		m = map[string]any{}
	}
	setIfPresent(m, "actor", hashAgent)
	if verb, ok := m["verb"].(map[string]any); ok {
		verb = maps.Clone(verb)
		delete(verb, "display")
		m["verb"] = verb
	}
	if obj, ok := m["object"].(map[string]any); ok {
		switch objectTypeOf(obj) {
		case objectTypeActivity:
			m["object"] = hashActivity(obj)
		case objectTypeAgent, objectTypeGroup:
			m["object"] = hashAgent(obj)
		case objectTypeStatementRef:
			m["object"] = lowered(obj, "id")
		case objectTypeSubStatement:
			m["object"] = hashBody(obj)
		}
	}
	if ctx, ok := m["context"].(map[string]any); ok {
		ctx = lowered(ctx, "registration")
		setIfPresent(ctx, "instructor", hashAgent)
		setIfPresent(ctx, "team", hashAgent)
		if ref, ok := ctx["statement"].(map[string]any); ok {
			ctx["statement"] = lowered(ref, "id")
		}
		if ca, ok := ctx["contextActivities"].(map[string]any); ok {
			ca = maps.Clone(ca)
			for k, v := range ca {
				if single, ok := v.(map[string]any); ok {
					v = []any{single}
				}
				if arr, ok := v.([]any); ok {
					out := make([]any, len(arr))
					for i, e := range arr {
						if a, ok := e.(map[string]any); ok {
							out[i] = hashActivity(a)
						} else {
							out[i] = e
						}
					}
					v = out
				}
				ca[k] = v
			}
			ctx["contextActivities"] = ca
		}
		m["context"] = ctx
	}
	if ts, ok := m["timestamp"].(string); ok {
		if t, ok := parseTimestamp(ts); ok {
			m["timestamp"] = t.UTC().Format(time.RFC3339Nano)
		}
	}
	return m
}

// setIfPresent replaces m[key], when present, by fn of it.
func setIfPresent(m map[string]any, key string, fn func(any) any) {
	if v, ok := m[key]; ok {
		m[key] = fn(v)
	}
}

// hashActivity returns a copy of Activity a without its definition.
func hashActivity(a map[string]any) map[string]any {
	a = maps.Clone(a)
	delete(a, "definition")
	return a
}

// hashAgent returns an Agent or Group v normalised: case-insensitive IFI parts
// lower-cased, members sorted; a copy wherever it differs. Other values come back as
// they are.
func hashAgent(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	m = maps.Clone(m)
	if s, ok := m["mbox"].(string); ok {
		m["mbox"] = normalizeMbox(s)
	}
	lowerString(m, "mbox_sha1sum")
	members, ok := m["member"].([]any)
	if !ok {
		return m
	}
	sorted := make([]any, len(members))
	for i, e := range members {
		sorted[i] = hashAgent(e)
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		return canonicalJSON(sorted[i]) < canonicalJSON(sorted[j])
	})
	m["member"] = sorted
	return m
}

// lowered returns a copy of m with m[key] lower-cased when it is a string.
func lowered(m map[string]any, key string) map[string]any {
	m = maps.Clone(m)
	lowerString(m, key)
	return m
}

func lowerString(m map[string]any, key string) {
	if s, ok := m[key].(string); ok {
		m[key] = strings.ToLower(s)
	}
}
