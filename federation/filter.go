package federation

import (
	"slices"
	"strings"
)

// Matches reports whether statement st (parsed JSON) passes f. Activity filters look at
// the object when it is an Activity (objectType absent or "Activity"); a statement whose
// object is a StatementRef (voiding among them) or SubStatement, Agent or Group passes
// them, so that voids follow the statements they void. Verbs, actor and platform
// filters apply to every statement.
func (f Filter) Matches(st map[string]any) bool {
	if len(f.Verbs) > 0 {
		verb, _ := st["verb"].(map[string]any)
		id, _ := verb["id"].(string)
		if !slices.Contains(f.Verbs, id) {
			return false
		}
	}
	if len(f.ActivityPrefixes) > 0 || len(f.ActivityTypes) > 0 {
		obj, _ := st["object"].(map[string]any)
		if ot, _ := obj["objectType"].(string); ot == "" || ot == "Activity" {
			id, _ := obj["id"].(string)
			if len(f.ActivityPrefixes) > 0 && !slices.ContainsFunc(f.ActivityPrefixes, func(p string) bool { return strings.HasPrefix(id, p) }) {
				return false
			}
			def, _ := obj["definition"].(map[string]any)
			typ, _ := def["type"].(string)
			if len(f.ActivityTypes) > 0 && !slices.Contains(f.ActivityTypes, typ) {
				return false
			}
		}
	}
	if len(f.ActorDomains) > 0 || len(f.ActorHomePages) > 0 {
		actor, _ := st["actor"].(map[string]any)
		ok := false
		if mbox, _ := actor["mbox"].(string); mbox != "" {
			if at := strings.LastIndexByte(mbox, '@'); at >= 0 {
				ok = slices.Contains(f.ActorDomains, strings.ToLower(mbox[at+1:]))
			}
		}
		if acc, _ := actor["account"].(map[string]any); acc != nil {
			home, _ := acc["homePage"].(string)
			ok = ok || slices.Contains(f.ActorHomePages, home)
		}
		if !ok {
			return false
		}
	}
	if len(f.Platforms) > 0 {
		ctx, _ := st["context"].(map[string]any)
		p, _ := ctx["platform"].(string)
		if !slices.Contains(f.Platforms, p) {
			return false
		}
	}
	return true
}
