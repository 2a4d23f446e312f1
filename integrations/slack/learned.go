package slack

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-lrs/cairn/capture"
)

// Kind is what a /learned entry says the person did.
type Kind string

// The kinds /learned understands.
const (
	KindRead        Kind = "read"
	KindWatched     Kind = "watched"
	KindAttended    Kind = "attended"
	KindCompleted   Kind = "completed"
	KindExperienced Kind = "experienced" // free text
)

// Learned is one parsed /learned entry.
type Learned struct {
	Kind Kind
	URL  string    // the link the entry names, "" when none
	Name string    // what was learned, in the person's words ("" when only a URL was given)
	On   time.Time // attended … on <date>: midnight of that date in the caller's zone; else zero
	Tags []string  // lower-case, without '#', in order of appearance, no repeats
	Note string    // the text after " -- "
}

// Limits on a /learned entry.
const (
	maxLearnedText = 2000
	maxTags        = 10
	maxTagLen      = 50
)

var (
	tagPattern  = regexp.MustCompile(`(?:^|\s)#([\p{L}\p{N}][\p{L}\p{N}_.+-]*)`)
	slackLink   = regexp.MustCompile(`<(https?://[^|>\s]+)(?:\|([^>]*))?>`)
	bareURL     = regexp.MustCompile(`https?://\S+`)
	onDateAtEnd = regexp.MustCompile(`(?i)\s+on\s+(today|yesterday|\d[\d./-]*)$`)
)

// ParseLearned parses the text of `/learned`: `read <url>`, `watched <url>`,
// `attended <event> [on <date>]`, `completed <course or url>`, or free text (→
// experienced); `#tags` anywhere and a note after ` -- `. Dates are YYYY-MM-DD, today
// or yesterday, read in loc; a date after today is refused. Links may come as Slack
// escapes them (<url|label>). Empty text, a read/watched without a link, more than
// maxTags tags or an over-long text → CodeInvalid with a message for the person.
func ParseLearned(text string, now time.Time, loc *time.Location) (Learned, error) {
	var l Learned
	text = strings.TrimSpace(text)
	if text == "" {
		return l, capture.Errorf(capture.CodeInvalid, "Tell me what you learned, e.g. `/learned read https://go.dev/blog/loopvar #go`.")
	}
	if utf8.RuneCountInString(text) > maxLearnedText {
		return l, capture.Errorf(capture.CodeInvalid, "That is longer than %d characters; keep the details for the note.", maxLearnedText)
	}
	if body, note, ok := strings.Cut(text, " -- "); ok {
		text, l.Note = strings.TrimSpace(body), strings.TrimSpace(note)
	}
	var err error
	if text, l.Tags, err = cutTags(text); err != nil {
		return l, err
	}
	verb, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "read", "watched":
		l.Kind = Kind(strings.ToLower(verb))
		l.URL, l.Name = linkIn(rest)
		if l.URL == "" {
			return l, capture.Errorf(capture.CodeInvalid, "`%s` takes a link, e.g. `/learned %s https://example.com/page`.", l.Kind, l.Kind)
		}
	case "attended":
		l.Kind = KindAttended
		if m := onDateAtEnd.FindStringSubmatchIndex(rest); m != nil {
			if l.On, err = parseDay(rest[m[2]:m[3]], now, loc); err != nil {
				return l, err
			}
			rest = strings.TrimSpace(rest[:m[0]])
		}
		l.URL, l.Name = objectOf(rest)
	case "completed":
		l.Kind = KindCompleted
		l.URL, l.Name = objectOf(rest)
	default:
		l.Kind = KindExperienced
		l.URL, _ = linkIn(text)
		l.Name = plainText(text)
	}
	if l.URL == "" && l.Name == "" {
		return l, capture.Errorf(capture.CodeInvalid, "`%s` needs to say what: e.g. `/learned %s Intro to Kubernetes`.", verb, strings.ToLower(verb))
	}
	return l, nil
}

// cutTags removes #tags from text and returns them lower-cased, without repeats.
func cutTags(text string) (string, []string, error) {
	var tags []string
	for _, m := range tagPattern.FindAllStringSubmatch(text, -1) {
		tag := strings.ToLower(strings.TrimRight(m[1], ".-+"))
		if utf8.RuneCountInString(tag) > maxTagLen {
			return "", nil, capture.Errorf(capture.CodeInvalid, "Tag #%s is longer than %d characters.", tag, maxTagLen)
		}
		if tag != "" && !contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	if len(tags) > maxTags {
		return "", nil, capture.Errorf(capture.CodeInvalid, "At most %d tags, please.", maxTags)
	}
	text = tagPattern.ReplaceAllString(text, "")
	return strings.Join(strings.Fields(text), " "), tags, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// linkIn returns the first http(s) link in s (Slack-escaped or bare) and its label.
func linkIn(s string) (link, label string) {
	if m := slackLink.FindStringSubmatch(s); m != nil {
		if u, ok := webURL(m[1]); ok {
			return u, strings.TrimSpace(m[2])
		}
	}
	if m := bareURL.FindString(s); m != "" {
		if u, ok := webURL(strings.TrimRight(m, ".,;:!?)")); ok {
			return u, ""
		}
	}
	return "", ""
}

// objectOf reads s as either one link (with an optional label) or a name.
func objectOf(s string) (link, name string) {
	if u, label := linkIn(s); u != "" && (s == u || slackLink.MatchString(s) && strings.TrimSpace(slackLink.ReplaceAllString(s, "")) == "") {
		return u, label
	}
	return "", plainText(s)
}

// plainText turns Slack-escaped links into their labels (or URLs) and unescapes &amp; &lt; &gt;.
func plainText(s string) string {
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		p := slackLink.FindStringSubmatch(m)
		if p[2] != "" {
			return p[2]
		}
		return p[1]
	})
	return strings.TrimSpace(strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s))
}

var (
	hostPattern = regexp.MustCompile(`^(\[[0-9a-fA-F:.]+\]|[\p{L}\p{N}._-]+)(:[0-9]{1,5})?$`)
	// notInIRI are the characters an IRI never holds (RFC 3987; capture's IRI check).
	notInIRI = "<>\"{}\\^`"
)

// webURL returns s if it is an absolute http(s) URL with a host name or address that
// is also a valid IRI (usable as an activity id).
func webURL(s string) (string, bool) {
	s = strings.NewReplacer("&amp;", "&").Replace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !hostPattern.MatchString(u.Host) {
		return "", false
	}
	out := u.String()
	for _, r := range out {
		if r <= 0x20 || r == 0x7f || strings.ContainsRune(notInIRI, r) {
			return "", false
		}
	}
	return out, true
}

// parseDay reads YYYY-MM-DD, today or yesterday in loc; a day after today → CodeInvalid.
func parseDay(s string, now time.Time, loc *time.Location) (time.Time, error) {
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	var day time.Time
	switch strings.ToLower(s) {
	case "today":
		day = today
	case "yesterday":
		day = today.AddDate(0, 0, -1)
	default:
		d, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			return time.Time{}, capture.Errorf(capture.CodeInvalid, "I read %q as a date but it is not one: use YYYY-MM-DD, today or yesterday.", s)
		}
		day = d
	}
	if day.After(today) {
		return time.Time{}, capture.Errorf(capture.CodeInvalid, "%s is in the future: record it once you have been.", s)
	}
	return day, nil
}
