package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/cairn-lrs/cairn/capture"
)

// Vocabulary (design.md §5). A video someone says they watched is recorded with the xAPI
// Video Profile's completed verb (https://w3id.org/xapi/video, "completed") and its
// video activity type.
const (
	VerbRead        = "https://w3id.org/xapi/adb/verbs/read"
	VerbCompleted   = "http://adlnet.gov/expapi/verbs/completed"
	VerbAttended    = "http://adlnet.gov/expapi/verbs/attended"
	VerbExperienced = "http://adlnet.gov/expapi/verbs/experienced"
	VerbShared      = "http://adlnet.gov/expapi/verbs/shared"
	VerbVoided      = capture.VerbVoided

	TypeArticle = "http://activitystrea.ms/article"
	TypeVideo   = "https://w3id.org/xapi/video/activity-type/video"
	TypeMeeting = "http://adlnet.gov/expapi/activities/meeting"
	TypeCourse  = "http://adlnet.gov/expapi/activities/course"
	TypeLink    = "http://adlnet.gov/expapi/activities/link"

	// ExtTags holds the #tags of an entry (context extension from the xAPI registry).
	ExtTags = "http://id.tincanapi.com/extension/tags"
	// Platform is context.platform of every statement the app writes.
	Platform = "Slack"
)

// verbDisplay names each verb in statements (Data 2.4.3 display).
var verbDisplay = map[string]string{
	VerbRead: "read", VerbCompleted: "completed", VerbAttended: "attended",
	VerbExperienced: "experienced", VerbShared: "shared", VerbVoided: "voided",
}

// verbAndType maps a /learned kind to its verb and activity type.
func verbAndType(l Learned) (verb, typ string) {
	switch l.Kind {
	case KindRead:
		return VerbRead, TypeArticle
	case KindWatched:
		return VerbCompleted, TypeVideo
	case KindAttended:
		return VerbAttended, TypeMeeting
	case KindCompleted:
		return VerbCompleted, TypeCourse
	}
	if l.URL != "" {
		return VerbExperienced, TypeLink
	}
	return VerbExperienced, ""
}

// activityID returns the object id of l: its link, else an IRI on the instance named
// after the kind and the name (the same event or course gets the same id), else one
// of its own for free text.
func activityID(l Learned, baseURL, statementID string) string {
	if l.URL != "" {
		return l.URL
	}
	switch l.Kind {
	case KindAttended:
		return baseURL + "/activities/event/" + url.PathEscape(slug(l.Name))
	case KindCompleted:
		return baseURL + "/activities/course/" + url.PathEscape(slug(l.Name))
	}
	return baseURL + "/activities/learned/" + statementID
}

// slug lower-cases s and joins its letters and digits with '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// learnedStatement builds the statement of one /learned entry by actor (xAPI 1.0.3 Data
// 2.4). title, when known, names a linked page; now is the timestamp unless l.On is set.
func learnedStatement(id string, actor map[string]any, l Learned, title, baseURL string, now time.Time) (capture.Statement, error) {
	verb, typ := verbAndType(l)
	name := l.Name
	if title != "" && (name == "" || name == l.URL) {
		name = title
	}
	def := map[string]any{}
	if typ != "" {
		def["type"] = typ
	}
	if name != "" && name != l.URL {
		def["name"] = map[string]any{"en-US": name}
	}
	object := map[string]any{"objectType": "Activity", "id": activityID(l, baseURL, id)}
	if len(def) > 0 {
		object["definition"] = def
	}
	ctx := map[string]any{"platform": Platform}
	if len(l.Tags) > 0 {
		ctx["extensions"] = map[string]any{ExtTags: l.Tags}
	}
	ts := now
	if !l.On.IsZero() {
		ts = l.On
	}
	st := map[string]any{
		"id":        id,
		"actor":     actor,
		"verb":      map[string]any{"id": verb, "display": map[string]any{"en-US": verbDisplay[verb]}},
		"object":    object,
		"context":   ctx,
		"timestamp": ts.Format(time.RFC3339Nano),
	}
	if l.Note != "" {
		st["result"] = map[string]any{"response": l.Note}
	}
	return toStatement(st)
}

// sharedStatement records that actor shared link in a learning channel.
func sharedStatement(id string, actor map[string]any, link string, now time.Time) (capture.Statement, error) {
	return toStatement(map[string]any{
		"id":        id,
		"actor":     actor,
		"verb":      map[string]any{"id": VerbShared, "display": map[string]any{"en-US": "shared"}},
		"object":    map[string]any{"objectType": "Activity", "id": link, "definition": map[string]any{"type": TypeLink}},
		"context":   map[string]any{"platform": Platform},
		"timestamp": now.Format(time.RFC3339Nano),
	})
}

// voidingStatement voids target on behalf of actor (xAPI 1.0.3 Data 2.3.2, Voiding);
// it carries no context.platform, which Data 2.4.6 forbids with a StatementRef object.
func voidingStatement(id string, actor map[string]any, target string, now time.Time) (capture.Statement, error) {
	return toStatement(map[string]any{
		"id":        id,
		"actor":     actor,
		"verb":      map[string]any{"id": VerbVoided, "display": map[string]any{"en-US": "voided"}},
		"object":    map[string]any{"objectType": "StatementRef", "id": target},
		"timestamp": now.Format(time.RFC3339Nano),
	})
}

// toStatement turns a statement built from Go values into the LRS's JSON tree form.
func toStatement(m map[string]any) (capture.Statement, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, capture.Internal(err, "encode statement")
	}
	stmts, _, err := capture.DecodeStatements(raw)
	if err != nil {
		return nil, err
	}
	return stmts[0], nil
}

// describe says in words what an entry records, as Slack mrkdwn.
func describe(l Learned, title string) string {
	name := l.Name
	if title != "" && (name == "" || name == l.URL) {
		name = title
	}
	what := ""
	switch {
	case l.URL != "" && name != "" && name != l.URL:
		what = fmt.Sprintf("*%s* (<%s>)", escape(name), l.URL)
	case l.URL != "":
		what = "<" + l.URL + ">"
	default:
		what = "*" + escape(name) + "*"
	}
	var s string
	switch l.Kind {
	case KindRead:
		s = "You read " + what
	case KindWatched:
		s = "You watched " + what
	case KindAttended:
		s = "You attended " + what
		if !l.On.IsZero() {
			s += " on " + l.On.Format("Mon 2 Jan 2006")
		}
	case KindCompleted:
		s = "You completed " + what
	default:
		s = "You learned: " + what
	}
	if len(l.Tags) > 0 {
		s += "  #" + strings.Join(l.Tags, " #")
	}
	if l.Note != "" {
		s += "\n> " + escape(l.Note)
	}
	return s
}

// escape makes text safe inside Slack mrkdwn
// (https://api.slack.com/reference/surfaces/formatting#escaping).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// activityKind names what a stored statement records, for /cairn me.
func activityKind(verb, typ string) string {
	switch {
	case verb == VerbRead:
		return "read"
	case typ == TypeVideo:
		return "watched"
	case verb == VerbAttended:
		return "attended"
	case verb == VerbCompleted:
		return "completed"
	case verb == VerbShared:
		return "shared"
	case strings.HasSuffix(verb, "/asked"):
		return "asked"
	case strings.HasSuffix(verb, "/answered"):
		return "answered"
	}
	return "learned"
}
