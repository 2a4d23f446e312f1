package hub

import (
	"bytes"
	"html"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders post bodies: CommonMark with GitHub tables, strikethrough and
// autolinks through goldmark (https://github.com/yuin/goldmark), which leaves raw
// HTML out, then sanitised by bluemonday's user-content policy
// (https://github.com/microcosm-cc/bluemonday): no script, event handler, style or
// javascript: URL survives, and links get rel="nofollow noopener".
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	strict *bluemonday.Policy // every tag removed: plain text for excerpts
}

func newMarkdown() *markdown {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.AllowURLSchemes("http", "https", "mailto")
	return &markdown{
		md:     goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify)),
		policy: p,
		strict: bluemonday.StrictPolicy(),
	}
}

// render returns src as safe HTML; a body goldmark cannot convert is shown as text.
func (m *markdown) render(src string) template.HTML {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(m.policy.SanitizeBytes(buf.Bytes()))
}

// plain returns src as text without Markdown syntax or tags, for excerpts.
func (m *markdown) plain(src string) string {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return src
	}
	// Block ends become spaces so that paragraphs and list items do not run together.
	out := m.strict.Sanitize(strings.NewReplacer("</p>", " ", "</li>", " ", "<br>", " ", "</h1>", " ", "</h2>", " ", "</h3>", " ").Replace(buf.String()))
	return html.UnescapeString(out)
}
