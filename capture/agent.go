package capture

import (
	"strings"
)

// ifiKeys are the Inverse Functional Identifier properties (xAPI 1.0.3 Data 2.4.2.3).
func ifiKeys() [4]string { return [4]string{"mbox", "mbox_sha1sum", "openid", "account"} }

// countIFIs returns how many IFI properties m has.
func countIFIs(m map[string]any) int {
	n := 0
	for _, k := range ifiKeys() {
		if _, ok := m[k]; ok {
			n++
		}
	}
	return n
}

// validateActor checks an Agent or a Group (Data 2.4.2): objectType absent or "Agent"
// means an Agent, "Group" a Group.
func validateActor(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "an Agent or Group (JSON object)"))
	}
	ot, ok := m["objectType"]
	if !ok {
		return validateAgent(m, path)
	}
	switch ot {
	case objectTypeAgent:
		return validateAgent(m, path)
	case objectTypeGroup:
		return validateGroup(m, path)
	}
	if _, isStr := ot.(string); !isStr {
		return invalid(joinPath(path, "objectType"), typeRule(ot, "a string"))
	}
	return invalid(joinPath(path, "objectType"), "must be Agent or Group")
}

// validateAgent checks an Agent (Data 2.4.2.1): optional objectType "Agent", optional
// string name, exactly one IFI.
func validateAgent(m map[string]any, path string) error {
	if err := checkKeys(m, path, "objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"); err != nil {
		return err
	}
	if ot, ok := m["objectType"]; ok && ot != objectTypeAgent {
		return invalid(joinPath(path, "objectType"), "must be Agent")
	}
	if _, ok := m["name"]; ok {
		if _, err := stringAt(m, "name", path); err != nil {
			return err
		}
	}
	switch countIFIs(m) {
	case 0:
		return invalid(path, "an Agent must have one of mbox, mbox_sha1sum, openid, account")
	case 1:
		return validateIFI(m, path)
	default:
		return invalid(path, "an Agent must have exactly one of mbox, mbox_sha1sum, openid, account")
	}
}

// validateGroup checks a Group (Data 2.4.2.2): objectType "Group", optional string
// name, at most one IFI; an anonymous Group (no IFI) needs a member array; members are
// Agents.
func validateGroup(m map[string]any, path string) error {
	if err := checkKeys(m, path, "objectType", "name", "member", "mbox", "mbox_sha1sum", "openid", "account"); err != nil {
		return err
	}
	if m["objectType"] != objectTypeGroup {
		return invalid(joinPath(path, "objectType"), "must be Group")
	}
	if _, ok := m["name"]; ok {
		if _, err := stringAt(m, "name", path); err != nil {
			return err
		}
	}
	switch countIFIs(m) {
	case 0:
		if _, ok := m["member"]; !ok {
			return invalid(joinPath(path, "member"), "is required in an anonymous Group")
		}
	case 1:
		if err := validateIFI(m, path); err != nil {
			return err
		}
	default:
		return invalid(path, "a Group must have at most one of mbox, mbox_sha1sum, openid, account")
	}
	raw, ok := m["member"]
	if !ok {
		return nil
	}
	mp := joinPath(path, "member")
	members, isArr := raw.([]any)
	if !isArr {
		return invalid(mp, typeRule(raw, "an array of Agents"))
	}
	if len(members) == 0 && countIFIs(m) == 0 {
		return invalid(mp, "an anonymous Group must have at least one member")
	}
	for i, e := range members {
		ep := indexPath(mp, i)
		a, isObj := e.(map[string]any)
		if !isObj {
			return invalid(ep, typeRule(e, "an Agent"))
		}
		if ot, ok := a["objectType"]; ok && ot != objectTypeAgent {
			return invalid(joinPath(ep, "objectType"), "must be Agent: Group members are Agents")
		}
		if err := validateAgent(a, ep); err != nil {
			return err
		}
	}
	return nil
}

// validateIFI checks the one IFI property of m (Data 2.4.2.3, 2.4.2.4).
func validateIFI(m map[string]any, path string) error {
	if _, ok := m["mbox"]; ok {
		s, err := stringAt(m, "mbox", path)
		if err != nil {
			return err
		}
		if rule := checkMbox(s); rule != "" {
			return invalid(joinPath(path, "mbox"), rule)
		}
	}
	if _, ok := m["mbox_sha1sum"]; ok {
		s, err := stringAt(m, "mbox_sha1sum", path)
		if err != nil {
			return err
		}
		if !isSHA1Hex(s) {
			return invalid(joinPath(path, "mbox_sha1sum"), "must be a hex SHA-1 digest")
		}
	}
	if _, ok := m["openid"]; ok {
		if err := checkIRIAt(m, "openid", path); err != nil {
			return err
		}
	}
	if raw, ok := m["account"]; ok {
		ap := joinPath(path, "account")
		a, isObj := raw.(map[string]any)
		if !isObj {
			return invalid(ap, typeRule(raw, "an account object"))
		}
		if err := checkKeys(a, ap, "homePage", "name"); err != nil {
			return err
		}
		for _, k := range []string{"homePage", "name"} {
			if _, ok := a[k]; !ok {
				return invalid(joinPath(ap, k), "is required")
			}
		}
		if err := checkIRIAt(a, "homePage", ap); err != nil {
			return err
		}
		if _, err := stringAt(a, "name", ap); err != nil {
			return err
		}
	}
	return nil
}

// ParseAgentJSON validates an Agent or identified Group given as JSON (the agent
// parameter, xAPI 1.0.3 Communication 2.1.3, 2.3, 2.6) and returns it with its
// AgentKeyOf key. CodeInvalid, naming "agent", when it is not JSON, not an Agent or
// Group, or has zero or several IFIs.
func ParseAgentJSON(raw string) (agent map[string]any, key string, err error) {
	v, derr := decodeJSONTree([]byte(raw))
	if derr != nil {
		return nil, "", Errorf(CodeInvalid, "agent: must be an Agent as JSON: %s", derr.Error())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "", Errorf(CodeInvalid, "agent: must be an Agent as a JSON object")
	}
	if err := validateActor(m, "agent"); err != nil {
		return nil, "", err
	}
	key, err = AgentKeyOf(m)
	if err != nil {
		return nil, "", err
	}
	return m, key, nil
}

// AgentKeyOf returns the identifier string of an Agent or identified Group: its one
// IFI as "mbox:mailto:…", "mbox_sha1sum:…", "openid:…" or "account:<homePage>|<name>".
// The case-insensitive parts are lower-cased: the mbox domain (Data 2.3.1.b7) and the
// sha1 hex digits. CodeInvalid when there is not exactly one IFI of the right type.
// Repeat calls return the same key.
func AgentKeyOf(agent map[string]any) (string, error) {
	if countIFIs(agent) != 1 {
		return "", Errorf(CodeInvalid, "agent: must have exactly one of mbox, mbox_sha1sum, openid, account")
	}
	if raw, ok := agent["mbox"]; ok {
		s, isStr := raw.(string)
		if !isStr || s == "" {
			return "", Errorf(CodeInvalid, "agent.mbox: must be a mailto IRI")
		}
		return "mbox:" + normalizeMbox(s), nil
	}
	if raw, ok := agent["mbox_sha1sum"]; ok {
		s, isStr := raw.(string)
		if !isStr || s == "" {
			return "", Errorf(CodeInvalid, "agent.mbox_sha1sum: must be a hex SHA-1 digest")
		}
		return "mbox_sha1sum:" + strings.ToLower(s), nil
	}
	if raw, ok := agent["openid"]; ok {
		s, isStr := raw.(string)
		if !isStr || s == "" {
			return "", Errorf(CodeInvalid, "agent.openid: must be an absolute IRI")
		}
		return "openid:" + s, nil
	}
	acc, ok := agent["account"].(map[string]any)
	if !ok {
		return "", Errorf(CodeInvalid, "agent.account: must be an account object")
	}
	home, ok1 := acc["homePage"].(string)
	name, ok2 := acc["name"].(string)
	if !ok1 || !ok2 {
		return "", Errorf(CodeInvalid, "agent.account: must have string homePage and name")
	}
	return "account:" + home + "|" + name, nil
}

// normalizeMbox lower-cases the domain of a mailto IRI, which is case-insensitive.
func normalizeMbox(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	return s[:at] + strings.ToLower(s[at:])
}
