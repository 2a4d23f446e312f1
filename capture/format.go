package capture

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// Format is the statement query format parameter (xAPI 1.0.3 Communication 2.1.3).
type Format string

// The formats.
const (
	FormatExact       Format = "exact"
	FormatIdentifiers Format = "ids"
	FormatCanonical   Format = "canonical"
)

// ActivityDefinitions returns every activity in s (object, context activities,
// SubStatement object and context activities) that carries a definition, one record
// per id in order of first appearance; definitions of an id that appears several
// times are merged in order with MergeActivityDefinition. Definition is the JSON
// object with keys sorted.
func ActivityDefinitions(s Statement) []ActivityRecord {
	var order []string
	defs := map[string]json.RawMessage{}
	visit := func(a map[string]any) {
		id, ok := a["id"].(string)
		if !ok {
			return
		}
		def, ok := a["definition"].(map[string]any)
		if !ok {
			return
		}
		raw := marshalTree(def)
		if old, seen := defs[id]; seen {
			defs[id] = MergeActivityDefinition(old, raw)
			return
		}
		order = append(order, id)
		defs[id] = raw
	}
	eachActivity(map[string]any(s), visit)
	out := make([]ActivityRecord, 0, len(order))
	for _, id := range order {
		out = append(out, ActivityRecord{ID: id, Definition: defs[id]})
	}
	return out
}

// eachActivity calls f for every Activity object of a Statement body: the object, the
// context activities, and the same inside a SubStatement.
func eachActivity(m map[string]any, f func(map[string]any)) {
	if obj, ok := m["object"].(map[string]any); ok {
		switch objectTypeOf(obj) {
		case objectTypeActivity:
			f(obj)
		case objectTypeSubStatement:
			eachActivity(obj, f)
		}
	}
	if ctx, ok := m["context"].(map[string]any); ok {
		for _, a := range contextActivityList(ctx) {
			f(a)
		}
	}
}

// EachAgentValue calls visit with the value at every place of a Statement body where
// an Agent or Group stands (xAPI 1.0.3 Data 2.4.2, 2.4.4, 2.4.6): the actor, an Agent
// or Group object, the context's instructor and team, and the same inside a
// SubStatement object. The authority is not visited (a SubStatement has none): callers
// that want it pass it to visit themselves. visit gets each value as it is, of any type.
func EachAgentValue(body map[string]any, visit func(any)) {
	visit(body["actor"])
	if obj, ok := body["object"].(map[string]any); ok {
		switch objectTypeOf(obj) {
		case objectTypeAgent, objectTypeGroup:
			visit(obj)
		case objectTypeSubStatement:
			EachAgentValue(obj, visit)
		}
	}
	if ctx, ok := body["context"].(map[string]any); ok {
		visit(ctx["instructor"])
		visit(ctx["team"])
	}
}

// MergeActivityDefinition merges a newly seen definition into the canonical one
// (xAPI 1.0.3 Communication 2.5): the language maps name and description are merged
// key by key with newer winning, interaction components of the same id keep the older
// description's other languages, and every other property present in newer replaces
// the older one. When old is empty or not a JSON object the result is newer; when newer
// is not a JSON object the result is old. The output is a JSON object with keys sorted;
// identical inputs come back as old, unchanged.
func MergeActivityDefinition(old, newer json.RawMessage) json.RawMessage {
	if bytes.Equal(old, newer) {
		return old // most statements repeat the definition they were given before
	}
	nv, nerr := decodeJSONTree(newer)
	nm, nok := nv.(map[string]any)
	ov, oerr := decodeJSONTree(old)
	om, ook := ov.(map[string]any)
	switch {
	case nerr != nil || !nok:
		if oerr != nil || !ook {
			return old
		}
		return marshalTree(om)
	case oerr != nil || !ook:
		return marshalTree(nm)
	}
	for k, v := range nm {
		switch k {
		case "name", "description":
			if oldMap, ok := om[k].(map[string]any); ok {
				if newMap, ok := v.(map[string]any); ok {
					for lang, text := range newMap {
						oldMap[lang] = text
					}
					continue
				}
			}
		case "choices", "scale", "source", "target", "steps":
			om[k] = mergeComponents(om[k], v)
			continue
		}
		om[k] = v
	}
	return marshalTree(om)
}

// mergeComponents merges interaction component lists: the newer list wins, each
// component's description keeping the older languages newer lacks.
func mergeComponents(old, newer any) any {
	oldArr, ok1 := old.([]any)
	newArr, ok2 := newer.([]any)
	if !ok1 || !ok2 {
		return newer
	}
	byID := map[string]map[string]any{}
	for _, e := range oldArr {
		if c, ok := e.(map[string]any); ok {
			if id, ok := c["id"].(string); ok {
				byID[id] = c
			}
		}
	}
	for _, e := range newArr {
		c, ok := e.(map[string]any)
		if !ok {
			continue
		}
		id, _ := c["id"].(string)
		prev, ok := byID[id]
		if !ok {
			continue
		}
		oldDesc, ok1 := prev["description"].(map[string]any)
		newDesc, ok2 := c["description"].(map[string]any)
		if !ok1 {
			continue
		}
		if !ok2 {
			if _, has := c["description"]; !has {
				c["description"] = oldDesc
			}
			continue
		}
		for lang, text := range oldDesc {
			if _, has := newDesc[lang]; !has {
				newDesc[lang] = text
			}
		}
	}
	return newArr
}

func marshalTree(v any) json.RawMessage {
	return appendJSON(nil, v)
}

// StatementIDsOnly returns a copy of s reduced to identifiers (format=ids, xAPI 1.0.3
// Communication 2.1.3): Agents and identified Groups to objectType (when present) and
// their IFI, anonymous Groups to objectType and their members reduced, Activities to
// their id alone, Verbs to their id; this holds for the actor, object, authority,
// context instructor and team, context activities, and inside a SubStatement. Other
// properties are kept; s is not changed.
func StatementIDsOnly(s Statement) Statement {
	c, _ := deepCopy(map[string]any(s)).(map[string]any)
	if c == nil {
		return Statement{}
	}
	idsBody(c)
	if auth, ok := c["authority"].(map[string]any); ok {
		c["authority"] = idsAgent(auth)
	}
	return Statement(c)
}

func idsBody(m map[string]any) {
	if actor, ok := m["actor"].(map[string]any); ok {
		m["actor"] = idsAgent(actor)
	}
	if verb, ok := m["verb"].(map[string]any); ok {
		if id, ok := verb["id"]; ok {
			m["verb"] = map[string]any{"id": id}
		}
	}
	if obj, ok := m["object"].(map[string]any); ok {
		switch objectTypeOf(obj) {
		case objectTypeActivity:
			m["object"] = idsActivity(obj)
		case objectTypeAgent, objectTypeGroup:
			m["object"] = idsAgent(obj)
		case objectTypeSubStatement:
			idsBody(obj)
		}
	}
	ctx, ok := m["context"].(map[string]any)
	if !ok {
		return
	}
	for _, k := range []string{"instructor", "team"} {
		if a, ok := ctx[k].(map[string]any); ok {
			ctx[k] = idsAgent(a)
		}
	}
	if ca, ok := ctx["contextActivities"].(map[string]any); ok {
		for k, v := range ca {
			switch t := v.(type) {
			case map[string]any:
				ca[k] = []any{idsActivity(t)}
			case []any:
				for i, e := range t {
					if a, ok := e.(map[string]any); ok {
						t[i] = idsActivity(a)
					}
				}
			}
		}
	}
}

func idsActivity(a map[string]any) map[string]any {
	out := map[string]any{}
	if id, ok := a["id"]; ok {
		out["id"] = id
	}
	return out
}

func idsAgent(a map[string]any) map[string]any {
	out := map[string]any{}
	if ot, ok := a["objectType"]; ok {
		out["objectType"] = ot
	}
	n := 0
	for _, k := range ifiKeys() {
		if v, ok := a[k]; ok {
			out[k] = v
			n++
		}
	}
	if n == 0 {
		if members, ok := a["member"].([]any); ok {
			reduced := make([]any, len(members))
			for i, e := range members {
				if ma, ok := e.(map[string]any); ok {
					reduced[i] = idsAgent(ma)
				} else {
					reduced[i] = e
				}
			}
			out["member"] = reduced
		}
	}
	return out
}

// StatementCanonical returns a copy of s (format=canonical, xAPI 1.0.3 Communication
// 2.1.3): each activity definition replaced by the canonical one in defs where known
// (a record with a non-empty Definition), and every language map (verb display,
// activity name and description, interaction component descriptions, attachment
// display and description) reduced to the one entry that best matches langs
// (Accept-Language tags, best first; "*" matches any; a tag also matches its prefixes
// and extensions, so "en" and "en-GB" match each other), else the first key in sorted
// order. Language maps inside extensions are left alone; s is not changed.
func StatementCanonical(s Statement, langs []string, defs map[string]ActivityRecord) Statement {
	c, _ := deepCopy(map[string]any(s)).(map[string]any)
	if c == nil {
		return Statement{}
	}
	canonicalBody(c, langs, defs)
	return Statement(c)
}

func canonicalBody(m map[string]any, langs []string, defs map[string]ActivityRecord) {
	if verb, ok := m["verb"].(map[string]any); ok {
		reduceLanguageMap(verb, "display", langs)
	}
	eachActivity(m, func(a map[string]any) {
		id, _ := a["id"].(string)
		if rec, ok := defs[id]; ok && len(rec.Definition) > 0 {
			if v, err := decodeJSONTree(rec.Definition); err == nil {
				if def, ok := v.(map[string]any); ok {
					a["definition"] = def
				}
			}
		}
		def, ok := a["definition"].(map[string]any)
		if !ok {
			return
		}
		reduceLanguageMap(def, "name", langs)
		reduceLanguageMap(def, "description", langs)
		for _, k := range []string{"choices", "scale", "source", "target", "steps"} {
			if arr, ok := def[k].([]any); ok {
				for _, e := range arr {
					if comp, ok := e.(map[string]any); ok {
						reduceLanguageMap(comp, "description", langs)
					}
				}
			}
		}
	})
	if obj, ok := m["object"].(map[string]any); ok && objectTypeOf(obj) == objectTypeSubStatement {
		if verb, ok := obj["verb"].(map[string]any); ok {
			reduceLanguageMap(verb, "display", langs)
		}
		reduceAttachmentMaps(obj, langs)
	}
	reduceAttachmentMaps(m, langs)
}

func reduceAttachmentMaps(m map[string]any, langs []string) {
	arr, ok := m["attachments"].([]any)
	if !ok {
		return
	}
	for _, e := range arr {
		if a, ok := e.(map[string]any); ok {
			reduceLanguageMap(a, "display", langs)
			reduceLanguageMap(a, "description", langs)
		}
	}
}

// reduceLanguageMap replaces the language map m[key] by a map of its one best entry.
func reduceLanguageMap(m map[string]any, key string, langs []string) {
	lm, ok := m[key].(map[string]any)
	if !ok || len(lm) <= 1 {
		return
	}
	best := bestLanguage(lm, langs)
	m[key] = map[string]any{best: lm[best]}
}

// bestLanguage picks the key of lm that best matches langs (see StatementCanonical).
func bestLanguage(lm map[string]any, langs []string) string {
	keys := make([]string, 0, len(lm))
	for k := range lm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, want := range langs {
		want = strings.ToLower(strings.TrimSpace(want))
		if want == "" {
			continue
		}
		if want == "*" {
			return keys[0]
		}
		for _, k := range keys {
			if strings.ToLower(k) == want {
				return k
			}
		}
		for _, k := range keys {
			lk := strings.ToLower(k)
			if strings.HasPrefix(lk, want+"-") || strings.HasPrefix(want, lk+"-") {
				return k
			}
		}
	}
	return keys[0]
}

// Display picks the one string of a language map (xAPI 1.0.3 Data 4.2) to show when no
// reader language is known: en-US, then en, then any English tag, then the first tag in
// sorted order; "" for an empty map.
func Display(m map[string]string) string {
	if v, ok := m["en-US"]; ok {
		return v
	}
	if v, ok := m["en"]; ok {
		return v
	}
	best, english := "", ""
	for tag := range m {
		if best == "" || tag < best {
			best = tag
		}
		if strings.HasPrefix(strings.ToLower(tag), "en") && (english == "" || tag < english) {
			english = tag
		}
	}
	if english != "" {
		return m[english]
	}
	return m[best]
}
