package enrich

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Kind is what a page is, as far as its metadata says.
type Kind string

// The page kinds, each mapped to one xAPI activity type by ActivityType.
const (
	KindLink    Kind = "link"
	KindArticle Kind = "article"
	KindVideo   Kind = "video"
)

// Activity type IRIs used in definitions: Activity Streams article, xAPI Video Profile video,
// ADL link for everything else.
const (
	ActivityTypeLink    = "http://adlnet.gov/expapi/activities/link"
	ActivityTypeArticle = "http://activitystrea.ms/article"
	ActivityTypeVideo   = "https://w3id.org/xapi/video/activity-type/video"
)

// DurationExtension is the activity definition extension that carries a page's media
// duration as an ISO 8601 duration string.
const DurationExtension = "https://cairn-lrs.github.io/xapi/extensions/duration"

// Page is the metadata read from one fetched page. Empty strings mean "not stated".
type Page struct {
	URL          string        // the page that answered, after redirects
	Title        string        // og:title, else <title>
	Description  string        // og:description, else <meta name="description">
	OGType       string        // og:type, lower-cased
	SiteName     string        // og:site_name
	CanonicalURL string        // <link rel="canonical">, else og:url; absolute http(s) only
	Language     string        // <html lang> (else xml:lang, else og:locale) reduced to language[-Script][-REGION]
	Duration     time.Duration // media duration; 0 when none is stated
	Kind         Kind
	Truncated    bool // the body exceeded the cap and only its prefix was parsed
}

// ActivityType returns the xAPI activity type IRI for the page's Kind: article, video,
// else link.
func (p Page) ActivityType() string {
	switch p.Kind {
	case KindArticle:
		return ActivityTypeArticle
	case KindVideo:
		return ActivityTypeVideo
	}
	return ActivityTypeLink
}

// Definition returns an xAPI activity definition object (xAPI 1.0.3 Data 2.4.4.1) built from
// the page: name and description as language maps keyed by Language or "und", type from
// ActivityType, moreInfo from CanonicalURL, and the DurationExtension when Duration > 0.
// Absent fields are omitted; the result is always a valid JSON object.
func (p Page) Definition() json.RawMessage {
	lang := p.Language
	if lang == "" {
		lang = "und"
	}
	def := struct {
		Name        map[string]string `json:"name,omitempty"`
		Description map[string]string `json:"description,omitempty"`
		Type        string            `json:"type"`
		MoreInfo    string            `json:"moreInfo,omitempty"`
		Extensions  map[string]string `json:"extensions,omitempty"`
	}{Type: p.ActivityType(), MoreInfo: p.CanonicalURL}
	if p.Title != "" {
		def.Name = map[string]string{lang: p.Title}
	}
	if p.Description != "" {
		def.Description = map[string]string{lang: p.Description}
	}
	if p.Duration > 0 {
		def.Extensions = map[string]string{DurationExtension: formatISODuration(p.Duration)}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(def); err != nil { // cannot happen: only strings and maps of strings
		return json.RawMessage(`{"type":"` + ActivityTypeLink + `"}`)
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
}

// Eligible reports whether an activity should be enriched: its id is an absolute http or
// https URL with a host, and its stored definition is absent, null or an empty object.
func Eligible(activityID string, definition json.RawMessage) bool {
	u, err := url.Parse(activityID)
	if err != nil || u.Host == "" {
		return false
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return false
	}
	def := bytes.TrimSpace(definition)
	if len(def) == 0 || string(def) == "null" {
		return true
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(def, &m) == nil && len(m) == 0
}
