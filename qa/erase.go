package qa

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-lrs/cairn/capture"
)

// What an erased person's row and the texts that named them carry (the right to
// erasure, GDPR Art. 17; see capture/erasure).
const (
	ErasedName = "Erased person"
	ErasedText = "[erased]"
	// ErasedPasswordHash is no capture.HashSecret encoding, so no password matches it.
	ErasedPasswordHash = "!erased"
)

// ErasedEmail returns the unique, non-routable address (RFC 2606 .invalid) an erased
// person's row carries in place of theirs.
func ErasedEmail(id int64) string {
	return "erased-" + strconv.FormatInt(id, 10) + "@erased.invalid"
}

// PersonErasure says what Store.ErasePerson changes.
type PersonErasure struct {
	// PersonID is the person whose row turns anonymous; 0: no row, only texts are scrubbed.
	PersonID int64
	// Agent is the anonymous xAPI agent their row carries from now on.
	Agent map[string]any
	// Strings identify the person (email, names); ScrubText replaces them in titles,
	// bodies, revisions and notification texts.
	Strings []string
}

var erasedWords = strings.ToLower(ErasedText + " " + ErasedName)

// minScrub is the shortest string scrubbed: a single letter is no identifier.
const minScrub = 2

// ScrubText returns s with every case-insensitive occurrence of any of words that
// stands as a whole word (no letter or digit right before or after it) replaced with
// ErasedText, longest words first, and whether it changed anything. Words shorter
// than two characters, and those found in ErasedText or ErasedName, are ignored.
func ScrubText(s string, words []string) (string, bool) {
	words = slices.Clone(words)
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) })
	changed := false
	for _, w := range words {
		// A word of the replacement itself would be replaced again at each repeat.
		if utf8.RuneCountInString(strings.TrimSpace(w)) < minScrub || strings.Contains(erasedWords, strings.ToLower(strings.TrimSpace(w))) {
			continue
		}
		var ok bool
		if s, ok = replaceWord(s, strings.TrimSpace(w)); ok {
			changed = true
		}
	}
	return s, changed
}

// replaceWord replaces the whole-word, case-insensitive occurrences of w in s.
func replaceWord(s, w string) (string, bool) {
	var b strings.Builder
	changed := false
	i := 0
	for i < len(s) {
		j := indexFold(s[i:], w)
		if j < 0 {
			break
		}
		start := i + j
		end := start + matchLen(s[start:], w)
		if boundaryBefore(s, start) && boundaryAfter(s, end) {
			b.WriteString(s[i:start])
			b.WriteString(ErasedText)
			changed = true
		} else { // inside a longer word: keep one rune and look further
			_, size := utf8.DecodeRuneInString(s[start:])
			end = start + size
			b.WriteString(s[i:end])
		}
		i = end
	}
	if !changed {
		return s, false
	}
	b.WriteString(s[i:])
	return b.String(), true
}

// indexFold returns the byte index of the first case-insensitive occurrence of w in s, or -1.
func indexFold(s, w string) int {
	for i := range s {
		if matchLen(s[i:], w) > 0 {
			return i
		}
	}
	return -1
}

// matchLen returns how many bytes of the start of s equal w ignoring case, or 0.
func matchLen(s, w string) int {
	n := 0
	for _, wr := range w {
		if n >= len(s) {
			return 0
		}
		sr, size := utf8.DecodeRuneInString(s[n:])
		if sr != wr && !strings.EqualFold(string(sr), string(wr)) {
			return 0
		}
		n += size
	}
	return n
}

func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// PeopleOf returns the hub people that xAPI agents (Data 2.4.2.1) stand for, each
// once: an mbox agent is found by its address, an account agent by its name when that
// is the email of a person whose agent is this very account (AgentHomePage); other
// agents find no one.
func (s *Service) PeopleOf(ctx context.Context, agents []map[string]any) ([]Person, error) {
	var out []Person
	for _, a := range agents {
		email, key := "", ""
		if m, ok := a["mbox"].(string); ok {
			email = strings.TrimPrefix(m, "mailto:")
		} else if acc, ok := a["account"].(map[string]any); ok {
			email, _ = acc["name"].(string)
			key, _ = capture.AgentKeyOf(a)
		}
		if email == "" {
			continue
		}
		p, err := s.PersonByEmail(ctx, email)
		if capture.ErrorCode(err) == capture.CodeNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if key != "" { // an account: only the person whose agent it is
			if k, err := capture.AgentKeyOf(p.Agent); err != nil || k != key {
				continue
			}
		}
		if !slices.ContainsFunc(out, func(q Person) bool { return q.ID == p.ID }) {
			out = append(out, p)
		}
	}
	return out, nil
}

// ErasePerson erases the hub share of the person known by agents (see PeopleOf) and
// strings (their names and addresses): each person found gets an anonymous row with
// the anonymous agent, and every hub text loses their email, name and strings (see
// Store.ErasePerson). It returns how many rows or documents changed; a repeat
// returns 0. CodeInvalid when anonymous is no agent.
func (s *Service) ErasePerson(ctx context.Context, agents []map[string]any, strs []string, anonymous map[string]any) (int, error) {
	if _, err := capture.AgentKeyOf(anonymous); err != nil {
		return 0, invalid("anonymous agent: %s", capture.ErrorMessage(err))
	}
	people, err := s.PeopleOf(ctx, agents)
	if err != nil {
		return 0, err
	}
	words := slices.Clone(strs)
	for _, a := range agents {
		if m, ok := a["mbox"].(string); ok {
			words = append(words, strings.TrimPrefix(m, "mailto:"))
		}
		if acc, ok := a["account"].(map[string]any); ok {
			if n, ok := acc["name"].(string); ok {
				words = append(words, n)
			}
		}
		if n, ok := a["name"].(string); ok {
			words = append(words, n)
		}
	}
	for _, p := range people {
		words = append(words, p.Email, p.Name)
	}
	slices.Sort(words)
	words = slices.Compact(words)
	if len(people) == 0 { // erased before, or never a hub person: texts only
		return s.store.ErasePerson(ctx, PersonErasure{Agent: anonymous, Strings: words})
	}
	total := 0
	for _, p := range people {
		n, err := s.store.ErasePerson(ctx, PersonErasure{PersonID: p.ID, Agent: anonymous, Strings: words})
		total += n
		if err != nil {
			return total, err
		}
	}
	s.log.Info("hub person erased", "people", len(people), "changed", total)
	return total, nil
}
