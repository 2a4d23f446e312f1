package capture

import (
	"fmt"
	"mime"
	"slices"
	"sort"
	"strings"
)

// Statement is one decoded xAPI statement kept as its JSON tree (objects are
// map[string]any, arrays []any, numbers json.Number) so that it round-trips exactly.
type Statement map[string]any

// Verb and usage-type IRIs with a meaning for the LRS.
const (
	VerbVoided             = "http://adlnet.gov/expapi/verbs/voided"
	UsageTypeSignature     = "http://adlnet.gov/expapi/attachments/signature"
	signatureContentType   = "application/octet-stream"
	objectTypeAgent        = "Agent"
	objectTypeGroup        = "Group"
	objectTypeActivity     = "Activity"
	objectTypeStatementRef = "StatementRef"
	objectTypeSubStatement = "SubStatement"
)

// DecodeStatements parses a Statements POST/PUT body (xAPI 1.0.3 Communication 2.1.1,
// 2.1.2): one statement object, or (batch true) an array of them; an empty array is an
// empty batch. Numbers stay json.Number. Malformed JSON, invalid UTF-8, duplicate keys
// in an object, or a top-level value (or array element) that is not an object →
// CodeInvalid naming where. It does not validate the statements (see ValidateStatement).
func DecodeStatements(body []byte) (stmts []Statement, batch bool, err error) {
	v, derr := decodeJSONTree(body)
	if derr != nil {
		return nil, false, Errorf(CodeInvalid, "%s", derr.Error())
	}
	switch t := v.(type) {
	case map[string]any:
		return []Statement{Statement(t)}, false, nil
	case []any:
		stmts = make([]Statement, 0, len(t))
		for i, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, true, Errorf(CodeInvalid, "[%d]: a statement must be a JSON object", i)
			}
			stmts = append(stmts, Statement(m))
		}
		return stmts, true, nil
	default:
		return nil, false, Errorf(CodeInvalid, "body: must be a statement object or an array of statements")
	}
}

// ValidateStatement checks s against xAPI 1.0.3 Data 2.2–2.4 and 4 and returns a
// CodeInvalid error whose message names the property path and the rule, e.g.
// "actor.mbox: must be a mailto IRI". LRS-set properties a client may send (stored,
// authority, version) are checked for form only; whether a submitted authority is kept
// is the service's decision. Attachment contents are checked by ValidateAttachmentParts.
//
// On success it normalises s in place as the LRS must store it: every UUID (id,
// StatementRef ids, context registration) is lower-cased, and every contextActivities
// value given as a single Activity object becomes an array of one (Data 2.4.6.2.s4.b3).
// On error s may be partly normalised.
func ValidateStatement(s Statement) error {
	if s == nil {
		return Errorf(CodeInvalid, "statement: must be a JSON object")
	}
	if err := validateStatementBody(map[string]any(s), "", false); err != nil {
		return err
	}
	return nil
}

// invalid builds the CodeInvalid error for a property path and the rule it breaks.
func invalid(path, rule string) error {
	if path == "" {
		path = "statement"
	}
	return Errorf(CodeInvalid, "%s: %s", path, rule)
}

// typeRule names the JSON type a property needs, and says "must not be null" for null.
func typeRule(v any, want string) string {
	if v == nil {
		return "must not be null"
	}
	return "must be " + want
}

// checkKeys rejects properties outside allowed (Data 2.2.s4.b1.b7); keys are checked in
// sorted order so the message is stable.
func checkKeys(m map[string]any, path string, allowed ...string) error {
	var unknown []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	// The first in sorted order is reported, so that the message does not vary.
	return invalid(joinPath(path, slices.Min(unknown)), "is not an allowed property")
}

func objectAt(m map[string]any, key, path string) (map[string]any, error) {
	v, present := m[key]
	if !present {
		return nil, invalid(joinPath(path, key), "is required")
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(joinPath(path, key), typeRule(v, "a JSON object"))
	}
	return o, nil
}

func stringAt(m map[string]any, key, path string) (string, error) {
	v, present := m[key]
	if !present {
		return "", invalid(joinPath(path, key), "is required")
	}
	s, ok := v.(string)
	if !ok {
		return "", invalid(joinPath(path, key), typeRule(v, "a string"))
	}
	return s, nil
}

func checkIRIAt(m map[string]any, key, path string) error {
	s, err := stringAt(m, key, path)
	if err != nil {
		return err
	}
	if rule := checkIRI(s); rule != "" {
		return invalid(joinPath(path, key), rule)
	}
	return nil
}

func checkUUIDAt(m map[string]any, key, path string) error {
	s, err := stringAt(m, key, path)
	if err != nil {
		return err
	}
	if !isUUID(s) {
		return invalid(joinPath(path, key), "must be a UUID")
	}
	m[key] = strings.ToLower(s)
	return nil
}

func checkTimestampAt(m map[string]any, key, path string) error {
	s, err := stringAt(m, key, path)
	if err != nil {
		return err
	}
	if _, ok := parseTimestamp(s); !ok {
		return invalid(joinPath(path, key), "must be an ISO 8601 timestamp")
	}
	return nil
}

// checkLanguageMap checks a language map (Data 4.2): RFC 5646 keys, string values.
func checkLanguageMap(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "a language map (JSON object)"))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !isLanguageTag(k) {
			return invalid(joinPath(path, k), "key must be an RFC 5646 language tag")
		}
		if _, ok := m[k].(string); !ok {
			return invalid(joinPath(path, k), typeRule(m[k], "a string"))
		}
	}
	return nil
}

// checkExtensions checks an extensions map (Data 4.1): IRI keys, any values.
func checkExtensions(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "a JSON object"))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if rule := checkIRI(k); rule != "" {
			return invalid(joinPath(path, k), "key "+rule)
		}
	}
	return nil
}

// validateStatementBody checks a Statement (sub false) or a SubStatement (sub true,
// Data 2.4.4.3) at path.
func validateStatementBody(m map[string]any, path string, sub bool) error {
	if sub {
		for _, k := range []string{"id", "stored", "version", "authority"} {
			if _, ok := m[k]; ok {
				return invalid(joinPath(path, k), "must not be used in a SubStatement")
			}
		}
		if err := checkKeys(m, path, "objectType", "actor", "verb", "object", "result",
			"context", "timestamp", "attachments"); err != nil {
			return err
		}
	} else if err := checkKeys(m, path, "id", "actor", "verb", "object", "result", "context",
		"timestamp", "stored", "authority", "version", "attachments"); err != nil {
		return err
	}
	for _, k := range []string{"actor", "verb", "object"} {
		if _, ok := m[k]; !ok {
			return invalid(joinPath(path, k), "is required")
		}
	}
	if _, ok := m["id"]; ok && !sub {
		if err := checkUUIDAt(m, "id", path); err != nil {
			return err
		}
	}
	if err := validateActor(m["actor"], joinPath(path, "actor")); err != nil {
		return err
	}
	verb, err := objectAt(m, "verb", path)
	if err != nil {
		return err
	}
	if err := validateVerb(verb, joinPath(path, "verb")); err != nil {
		return err
	}
	objectType, err := validateObject(m["object"], joinPath(path, "object"), sub)
	if err != nil {
		return err
	}
	if !sub && verb["id"] == VerbVoided && objectType != objectTypeStatementRef {
		return invalid(joinPath(path, "object"), "must be a StatementRef when the verb is "+VerbVoided)
	}
	if v, ok := m["result"]; ok {
		if err := validateResult(v, joinPath(path, "result")); err != nil {
			return err
		}
	}
	if v, ok := m["context"]; ok {
		if err := validateContext(v, joinPath(path, "context"), objectType); err != nil {
			return err
		}
	}
	if _, ok := m["timestamp"]; ok {
		if err := checkTimestampAt(m, "timestamp", path); err != nil {
			return err
		}
	}
	if _, ok := m["stored"]; ok {
		if err := checkTimestampAt(m, "stored", path); err != nil {
			return err
		}
	}
	if v, ok := m["authority"]; ok {
		if err := validateAuthority(v, joinPath(path, "authority")); err != nil {
			return err
		}
	}
	if v, ok := m["version"]; ok {
		s, isStr := v.(string)
		if !isStr {
			return invalid(joinPath(path, "version"), typeRule(v, "a string"))
		}
		if !isVersion(s) {
			return invalid(joinPath(path, "version"), "must be 1.0 or 1.0.x")
		}
	}
	if v, ok := m["attachments"]; ok {
		if err := validateAttachments(v, joinPath(path, "attachments")); err != nil {
			return err
		}
	}
	if sub {
		if ot, ok := m["objectType"]; !ok || ot != objectTypeSubStatement {
			return invalid(joinPath(path, "objectType"), "must be SubStatement")
		}
	}
	return nil
}

// validateVerb checks a Verb (Data 2.4.3).
func validateVerb(m map[string]any, path string) error {
	if err := checkKeys(m, path, "id", "display"); err != nil {
		return err
	}
	if err := checkIRIAt(m, "id", path); err != nil {
		return err
	}
	if v, ok := m["display"]; ok {
		return checkLanguageMap(v, joinPath(path, "display"))
	}
	return nil
}

// validateObject checks a statement object (Data 2.4.4) and returns its objectType
// ("Activity" when absent).
func validateObject(v any, path string, inSub bool) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", invalid(path, typeRule(v, "a JSON object"))
	}
	ot := objectTypeActivity
	if raw, ok := m["objectType"]; ok {
		s, isStr := raw.(string)
		if !isStr {
			return "", invalid(joinPath(path, "objectType"), typeRule(raw, "a string"))
		}
		ot = s
	}
	switch ot {
	case objectTypeActivity:
		return ot, validateActivity(m, path)
	case objectTypeAgent:
		return ot, validateAgent(m, path)
	case objectTypeGroup:
		return ot, validateGroup(m, path)
	case objectTypeStatementRef:
		return ot, validateStatementRef(m, path)
	case objectTypeSubStatement:
		if inSub {
			return "", invalid(joinPath(path, "objectType"), "a SubStatement must not contain a SubStatement")
		}
		return ot, validateStatementBody(m, path, true)
	}
	return "", invalid(joinPath(path, "objectType"), "must be Activity, Agent, Group, StatementRef or SubStatement")
}

// validateStatementRef checks a Statement Reference (Data 2.4.4.3) and lower-cases its id.
func validateStatementRef(m map[string]any, path string) error {
	if err := checkKeys(m, path, "objectType", "id"); err != nil {
		return err
	}
	if m["objectType"] != objectTypeStatementRef {
		return invalid(joinPath(path, "objectType"), "must be StatementRef")
	}
	if _, ok := m["id"]; !ok {
		return invalid(joinPath(path, "id"), "is required")
	}
	return checkUUIDAt(m, "id", path)
}

// validateActivity checks an Activity (Data 2.4.4.1).
func validateActivity(m map[string]any, path string) error {
	if err := checkKeys(m, path, "objectType", "id", "definition"); err != nil {
		return err
	}
	if ot, ok := m["objectType"]; ok && ot != objectTypeActivity {
		return invalid(joinPath(path, "objectType"), "must be Activity")
	}
	if _, ok := m["id"]; !ok {
		return invalid(joinPath(path, "id"), "is required")
	}
	if err := checkIRIAt(m, "id", path); err != nil {
		return err
	}
	if v, ok := m["definition"]; ok {
		return validateActivityDefinition(v, joinPath(path, "definition"))
	}
	return nil
}

// interactionComponents maps each interactionType to the component lists it may use
// (Data 2.4.4.1, Interaction Activities).
func interactionComponents(interactionType string) ([]string, bool) {
	switch interactionType {
	case "true-false", "fill-in", "long-fill-in", "numeric", "other":
		return nil, true
	case "choice", "sequencing":
		return []string{"choices"}, true
	case "likert":
		return []string{"scale"}, true
	case "matching":
		return []string{"source", "target"}, true
	case "performance":
		return []string{"steps"}, true
	}
	return nil, false
}

// validateActivityDefinition checks an Activity Definition (Data 2.4.4.1).
func validateActivityDefinition(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "a JSON object"))
	}
	componentKeys := []string{"choices", "scale", "source", "target", "steps"}
	if err := checkKeys(m, path, "name", "description", "type", "moreInfo", "interactionType",
		"correctResponsesPattern", "choices", "scale", "source", "target", "steps", "extensions"); err != nil {
		return err
	}
	for _, k := range []string{"name", "description"} {
		if lm, ok := m[k]; ok {
			if err := checkLanguageMap(lm, joinPath(path, k)); err != nil {
				return err
			}
		}
	}
	for _, k := range []string{"type", "moreInfo"} {
		if _, ok := m[k]; ok {
			if err := checkIRIAt(m, k, path); err != nil {
				return err
			}
		}
	}
	var allowed []string
	if raw, ok := m["interactionType"]; ok {
		it, isStr := raw.(string)
		if !isStr {
			return invalid(joinPath(path, "interactionType"), typeRule(raw, "a string"))
		}
		var known bool
		if allowed, known = interactionComponents(it); !known {
			return invalid(joinPath(path, "interactionType"),
				"must be one of true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, likert, numeric, other")
		}
	} else {
		for _, k := range append([]string{"correctResponsesPattern"}, componentKeys...) {
			if _, ok := m[k]; ok {
				return invalid(joinPath(path, k), "requires interactionType")
			}
		}
	}
	if raw, ok := m["correctResponsesPattern"]; ok {
		arr, isArr := raw.([]any)
		if !isArr {
			return invalid(joinPath(path, "correctResponsesPattern"), typeRule(raw, "an array of strings"))
		}
		for i, e := range arr {
			if _, isStr := e.(string); !isStr {
				return invalid(indexPath(joinPath(path, "correctResponsesPattern"), i), typeRule(e, "a string"))
			}
		}
	}
	for _, k := range componentKeys {
		raw, ok := m[k]
		if !ok {
			continue
		}
		permitted := false
		for _, a := range allowed {
			if a == k {
				permitted = true
			}
		}
		if !permitted {
			return invalid(joinPath(path, k), fmt.Sprintf("is not used with interactionType %v", m["interactionType"]))
		}
		if err := validateInteractionComponents(raw, joinPath(path, k)); err != nil {
			return err
		}
	}
	if raw, ok := m["extensions"]; ok {
		return checkExtensions(raw, joinPath(path, "extensions"))
	}
	return nil
}

// validateInteractionComponents checks an array of Interaction Components: each an
// object with a string id, distinct within the array, and an optional description.
func validateInteractionComponents(v any, path string) error {
	arr, ok := v.([]any)
	if !ok {
		return invalid(path, typeRule(v, "an array of interaction components"))
	}
	seen := map[string]bool{}
	for i, e := range arr {
		p := indexPath(path, i)
		c, ok := e.(map[string]any)
		if !ok {
			return invalid(p, typeRule(e, "a JSON object"))
		}
		if err := checkKeys(c, p, "id", "description"); err != nil {
			return err
		}
		if _, ok := c["id"]; !ok {
			return invalid(joinPath(p, "id"), "is required")
		}
		id, err := stringAt(c, "id", p)
		if err != nil {
			return err
		}
		if id == "" {
			return invalid(joinPath(p, "id"), "must not be empty")
		}
		if seen[id] {
			return invalid(joinPath(p, "id"), "must be distinct within the array")
		}
		seen[id] = true
		if d, ok := c["description"]; ok {
			if err := checkLanguageMap(d, joinPath(p, "description")); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateResult checks a Result (Data 2.4.5).
func validateResult(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "a JSON object"))
	}
	if err := checkKeys(m, path, "score", "success", "completion", "response", "duration", "extensions"); err != nil {
		return err
	}
	if raw, ok := m["score"]; ok {
		if err := validateScore(raw, joinPath(path, "score")); err != nil {
			return err
		}
	}
	for _, k := range []string{"success", "completion"} {
		if raw, ok := m[k]; ok {
			if _, isBool := raw.(bool); !isBool {
				return invalid(joinPath(path, k), typeRule(raw, "true or false"))
			}
		}
	}
	if _, ok := m["response"]; ok {
		if _, err := stringAt(m, "response", path); err != nil {
			return err
		}
	}
	if _, ok := m["duration"]; ok {
		d, err := stringAt(m, "duration", path)
		if err != nil {
			return err
		}
		if !isDuration(d) {
			return invalid(joinPath(path, "duration"), "must be an ISO 8601 duration")
		}
	}
	if raw, ok := m["extensions"]; ok {
		return checkExtensions(raw, joinPath(path, "extensions"))
	}
	return nil
}

// validateScore checks a Score (Data 2.4.5.1): numbers, scaled in [-1, 1], min < max,
// min <= raw <= max.
func validateScore(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "a JSON object"))
	}
	if err := checkKeys(m, path, "scaled", "raw", "min", "max"); err != nil {
		return err
	}
	nums := map[string]float64{}
	for _, k := range []string{"scaled", "raw", "min", "max"} {
		raw, ok := m[k]
		if !ok {
			continue
		}
		if _, isStr := raw.(string); isStr {
			return invalid(joinPath(path, k), "must be a number, not a string")
		}
		f, isNum := numberValue(raw)
		if !isNum {
			return invalid(joinPath(path, k), typeRule(raw, "a number"))
		}
		nums[k] = f
	}
	if s, ok := nums["scaled"]; ok && (s < -1 || s > 1) {
		return invalid(joinPath(path, "scaled"), "must be between -1 and 1")
	}
	lo, hasMin := nums["min"]
	hi, hasMax := nums["max"]
	if hasMin && hasMax && !(lo < hi) {
		return invalid(joinPath(path, "max"), "must be greater than min")
	}
	if r, ok := nums["raw"]; ok {
		if hasMin && r < lo {
			return invalid(joinPath(path, "raw"), "must not be less than min")
		}
		if hasMax && r > hi {
			return invalid(joinPath(path, "raw"), "must not be greater than max")
		}
	}
	return nil
}

// validateContext checks a Context (Data 2.4.6); objectType is the statement object's.
// contextActivities values given as one Activity become arrays of one.
func validateContext(v any, path, objectType string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "a JSON object"))
	}
	if err := checkKeys(m, path, "registration", "instructor", "team", "contextActivities",
		"revision", "platform", "language", "statement", "extensions"); err != nil {
		return err
	}
	if _, ok := m["registration"]; ok {
		if err := checkUUIDAt(m, "registration", path); err != nil {
			return err
		}
	}
	if raw, ok := m["instructor"]; ok {
		if err := validateActor(raw, joinPath(path, "instructor")); err != nil {
			return err
		}
	}
	if raw, ok := m["team"]; ok {
		tp := joinPath(path, "team")
		t, isObj := raw.(map[string]any)
		if !isObj {
			return invalid(tp, typeRule(raw, "a Group"))
		}
		if t["objectType"] != objectTypeGroup {
			return invalid(joinPath(tp, "objectType"), "must be Group: team is a Group")
		}
		if err := validateGroup(t, tp); err != nil {
			return err
		}
	}
	if raw, ok := m["contextActivities"]; ok {
		if err := validateContextActivities(raw, joinPath(path, "contextActivities")); err != nil {
			return err
		}
	}
	for _, k := range []string{"revision", "platform"} {
		if _, ok := m[k]; !ok {
			continue
		}
		if _, err := stringAt(m, k, path); err != nil {
			return err
		}
		if objectType != objectTypeActivity {
			return invalid(joinPath(path, k), "must not be used when the object is not an Activity")
		}
	}
	if _, ok := m["language"]; ok {
		lang, err := stringAt(m, "language", path)
		if err != nil {
			return err
		}
		if !isLanguageTag(lang) {
			return invalid(joinPath(path, "language"), "must be an RFC 5646 language tag")
		}
	}
	if raw, ok := m["statement"]; ok {
		sp := joinPath(path, "statement")
		ref, isObj := raw.(map[string]any)
		if !isObj {
			return invalid(sp, typeRule(raw, "a StatementRef"))
		}
		if err := validateStatementRef(ref, sp); err != nil {
			return err
		}
	}
	if raw, ok := m["extensions"]; ok {
		return checkExtensions(raw, joinPath(path, "extensions"))
	}
	return nil
}

// validateContextActivities checks the contextActivities object (Data 2.4.6.2) and
// turns single Activity values into arrays of one.
func validateContextActivities(v any, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalid(path, typeRule(v, "a JSON object"))
	}
	if err := checkKeys(m, path, "parent", "grouping", "category", "other"); err != nil {
		return err
	}
	for _, k := range []string{"parent", "grouping", "category", "other"} {
		raw, ok := m[k]
		if !ok {
			continue
		}
		kp := joinPath(path, k)
		if single, isObj := raw.(map[string]any); isObj {
			if err := validateActivity(single, kp); err != nil {
				return err
			}
			m[k] = []any{single}
			continue
		}
		arr, isArr := raw.([]any)
		if !isArr {
			return invalid(kp, typeRule(raw, "an Activity or an array of Activities"))
		}
		for i, e := range arr {
			ep := indexPath(kp, i)
			a, isObj := e.(map[string]any)
			if !isObj {
				return invalid(ep, typeRule(e, "an Activity"))
			}
			if err := validateActivity(a, ep); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateAuthority checks an authority (Data 2.4.9): an Agent, or an anonymous Group
// of exactly two Agents (3-legged OAuth).
func validateAuthority(v any, path string) error {
	if err := validateActor(v, path); err != nil {
		return err
	}
	m := v.(map[string]any)
	if m["objectType"] != objectTypeGroup {
		return nil
	}
	if countIFIs(m) != 0 {
		return invalid(path, "a Group authority must be anonymous (an OAuth consumer and a user)")
	}
	if members, _ := m["member"].([]any); len(members) != 2 {
		return invalid(joinPath(path, "member"), "a Group authority must have exactly two members")
	}
	return nil
}

// validateAttachments checks the attachments array (Data 2.4.11).
func validateAttachments(v any, path string) error {
	arr, ok := v.([]any)
	if !ok {
		return invalid(path, typeRule(v, "an array of attachments"))
	}
	for i, e := range arr {
		p := indexPath(path, i)
		a, ok := e.(map[string]any)
		if !ok {
			return invalid(p, typeRule(e, "a JSON object"))
		}
		if err := checkKeys(a, p, "usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"); err != nil {
			return err
		}
		for _, k := range []string{"usageType", "display", "contentType", "length", "sha2"} {
			if _, ok := a[k]; !ok {
				return invalid(joinPath(p, k), "is required")
			}
		}
		if err := checkIRIAt(a, "usageType", p); err != nil {
			return err
		}
		if err := checkLanguageMap(a["display"], joinPath(p, "display")); err != nil {
			return err
		}
		if d, ok := a["description"]; ok {
			if err := checkLanguageMap(d, joinPath(p, "description")); err != nil {
				return err
			}
		}
		ct, err := stringAt(a, "contentType", p)
		if err != nil {
			return err
		}
		if _, _, err := mime.ParseMediaType(ct); err != nil || !strings.Contains(ct, "/") {
			return invalid(joinPath(p, "contentType"), "must be an Internet Media Type")
		}
		if a["usageType"] == UsageTypeSignature {
			if mt, _, _ := mime.ParseMediaType(ct); mt != signatureContentType {
				return invalid(joinPath(p, "contentType"), "must be application/octet-stream for a signature")
			}
		}
		if _, isStr := a["length"].(string); isStr {
			return invalid(joinPath(p, "length"), "must be an integer, not a string")
		}
		n, isNum := numberValue(a["length"])
		if !isNum || n < 0 || n != float64(int64(n)) {
			return invalid(joinPath(p, "length"), typeRule(a["length"], "a non-negative integer"))
		}
		sha, err := stringAt(a, "sha2", p)
		if err != nil {
			return err
		}
		if !isSHA2Hex(sha) {
			return invalid(joinPath(p, "sha2"), "must be a hex SHA-2 digest")
		}
		if _, ok := a["fileUrl"]; ok {
			if err := checkIRIAt(a, "fileUrl", p); err != nil {
				return err
			}
		}
	}
	return nil
}
