package enrich

import (
	"encoding/json"
	"math"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gocolly/colly/v2"
)

// Bounds on what one page may contribute.
const (
	maxTitleRunes       = 300
	maxDescriptionRunes = 1000
	maxJSONLDScripts    = 16
	maxJSONLDNodes      = 20000
	maxMediaDuration    = 31 * 24 * time.Hour
)

// rawMeta is what the HTML callbacks collect; page() turns it into a Page.
type rawMeta struct {
	lang, xmlLang    string
	title            string
	haveTitle        bool
	props            map[string]string // first non-empty content per meta property/name, lower-cased key
	canonical        string            // absolute, from <link rel="canonical">
	jsonLD           []string
	itempropDuration string
	microdataVideo   bool
}

// onHTML registers on c the callbacks that fill m. Selectors follow the Open Graph protocol
// (https://ogp.me), HTML meta names, JSON-LD and microdata (https://schema.org/VideoObject).
func (m *rawMeta) onHTML(c *colly.Collector) {
	c.OnHTML("html", func(el *colly.HTMLElement) {
		m.lang, m.xmlLang = el.Attr("lang"), el.Attr("xml:lang")
	})
	c.OnHTML("head title", func(el *colly.HTMLElement) {
		if !m.haveTitle {
			m.title, m.haveTitle = el.Text, true
		}
	})
	c.OnHTML("meta[content]", func(el *colly.HTMLElement) {
		key := el.Attr("property")
		if key == "" {
			key = el.Attr("name")
		}
		if key == "" {
			key = el.Attr("itemprop")
		}
		key = strings.ToLower(strings.TrimSpace(key))
		content := strings.TrimSpace(el.Attr("content"))
		if key == "" || content == "" {
			return
		}
		if m.props == nil {
			m.props = map[string]string{}
		}
		if _, seen := m.props[key]; !seen {
			m.props[key] = content
		}
	})
	c.OnHTML("link[rel][href]", func(el *colly.HTMLElement) {
		if m.canonical != "" || !hasToken(el.Attr("rel"), "canonical") {
			return
		}
		m.canonical = el.Request.AbsoluteURL(strings.TrimSpace(el.Attr("href")))
	})
	c.OnHTML("script[type]", func(el *colly.HTMLElement) {
		mt, _, _ := mime.ParseMediaType(el.Attr("type"))
		if mt == "application/ld+json" && len(m.jsonLD) < maxJSONLDScripts {
			m.jsonLD = append(m.jsonLD, el.Text)
		}
	})
	c.OnHTML("[itemtype]", func(el *colly.HTMLElement) {
		for _, t := range strings.Fields(el.Attr("itemtype")) {
			if schemaType(t) == "VideoObject" {
				m.microdataVideo = true
			}
		}
	})
	c.OnHTML("[itemprop~=duration]", func(el *colly.HTMLElement) {
		if m.itempropDuration != "" {
			return
		}
		for _, v := range []string{el.Attr("content"), el.Attr("datetime"), el.Text} {
			if v = strings.TrimSpace(v); v != "" {
				m.itempropDuration = v
				return
			}
		}
	})
}

// page turns the collected metadata of the document at pageURL into a Page.
func (m *rawMeta) page(pageURL *url.URL) Page {
	p := Page{URL: pageURL.String()}
	prop := func(k string) string { return m.props[k] }

	p.Title = cleanText(firstNonEmpty(prop("og:title"), m.title), maxTitleRunes)
	p.Description = cleanText(firstNonEmpty(prop("og:description"), prop("description")), maxDescriptionRunes)
	p.OGType = strings.ToLower(cleanText(prop("og:type"), 100))
	p.SiteName = cleanText(prop("og:site_name"), maxTitleRunes)
	p.CanonicalURL = httpURL(m.canonical)
	if p.CanonicalURL == "" && prop("og:url") != "" {
		if ref, err := url.Parse(prop("og:url")); err == nil {
			p.CanonicalURL = httpURL(pageURL.ResolveReference(ref).String())
		}
	}
	for _, l := range []string{m.lang, m.xmlLang, prop("og:locale")} {
		if p.Language = normalizeLang(l); p.Language != "" {
			break
		}
	}

	ld := m.scanJSONLD()
	for _, d := range []func() (time.Duration, bool){
		func() (time.Duration, bool) { return parseSeconds(prop("og:video:duration")) },
		func() (time.Duration, bool) { return parseSeconds(prop("video:duration")) },
		func() (time.Duration, bool) { return parseISODuration(ld.duration) },
		func() (time.Duration, bool) { return parseISODuration(m.itempropDuration) },
	} {
		if v, ok := d(); ok {
			p.Duration = v
			break
		}
	}

	switch {
	case p.OGType == "video" || strings.HasPrefix(p.OGType, "video."):
		p.Kind = KindVideo
	case p.OGType == "article":
		p.Kind = KindArticle
	case ld.video || m.microdataVideo:
		p.Kind = KindVideo
	case ld.article:
		p.Kind = KindArticle
	default:
		p.Kind = KindLink
	}
	return p
}

// ldFacts is what the JSON-LD blocks of a page say.
type ldFacts struct {
	video, article bool
	duration       string // of the first VideoObject that states one
}

// scanJSONLD walks every JSON-LD block (objects, arrays, @graph and nested values) looking
// for VideoObject and Article types. Unparsable blocks are skipped.
func (m *rawMeta) scanJSONLD() ldFacts {
	var f ldFacts
	budget := maxJSONLDNodes
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if budget <= 0 || depth > 12 {
			return
		}
		budget--
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x, depth+1)
			}
		case map[string]any:
			var types []string
			switch t := v["@type"].(type) {
			case string:
				types = []string{t}
			case []any:
				for _, x := range t {
					if s, ok := x.(string); ok {
						types = append(types, s)
					}
				}
			}
			for _, t := range types {
				switch schemaType(t) {
				case "VideoObject":
					f.video = true
					if d, ok := v["duration"].(string); ok && f.duration == "" {
						f.duration = d
					}
				case "Article", "NewsArticle", "BlogPosting", "TechArticle", "ScholarlyArticle", "Report":
					f.article = true
				}
			}
			for _, x := range v {
				walk(x, depth+1)
			}
		}
	}
	for _, block := range m.jsonLD {
		var v any
		if json.Unmarshal([]byte(strings.TrimSpace(block)), &v) == nil {
			walk(v, 0)
		}
	}
	return f
}

// schemaType strips a schema.org namespace from a type name.
func schemaType(t string) string {
	t = strings.TrimSpace(t)
	for _, p := range []string{"https://schema.org/", "http://schema.org/", "schema:"} {
		if len(t) > len(p) && strings.EqualFold(t[:len(p)], p) {
			return t[len(p):]
		}
	}
	return t
}

// hasToken reports whether the space-separated list holds tok, ignoring case.
func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// cleanText collapses white space, drops control characters and invalid UTF-8, and cuts
// the text to at most max runes (ending in "…" when cut).
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = strings.TrimSpace(string(r[:max-1])) + "…"
	}
	return s
}

// httpURL returns s when it is an absolute http(s) URL with a host and no userinfo, else "".
func httpURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.User != nil {
		return ""
	}
	if sc := strings.ToLower(u.Scheme); sc != "http" && sc != "https" {
		return ""
	}
	return u.String()
}

// normalizeLang reduces an HTML lang value (or an og:locale such as "en_US") to a
// well-formed RFC 5646 tag language[-Script][-REGION], or "" when its language subtag is
// not 2 or 3 letters. Later subtags (variants, extensions, private use) are dropped.
func normalizeLang(s string) string {
	parts := strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"), "-")
	if !isAlpha(parts[0]) || len(parts[0]) < 2 || len(parts[0]) > 3 {
		return ""
	}
	out := []string{strings.ToLower(parts[0])}
	rest := parts[1:]
	if len(rest) > 0 && len(rest[0]) == 4 && isAlpha(rest[0]) {
		out = append(out, strings.ToUpper(rest[0][:1])+strings.ToLower(rest[0][1:]))
		rest = rest[1:]
	}
	if len(rest) > 0 && ((len(rest[0]) == 2 && isAlpha(rest[0])) || (len(rest[0]) == 3 && isDigits(rest[0]))) {
		out = append(out, strings.ToUpper(rest[0]))
	}
	return strings.Join(out, "-")
}

func isAlpha(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// parseSeconds reads a positive number of seconds (og:video:duration), at most
// maxMediaDuration.
func parseSeconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > maxMediaDuration.Seconds() {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)).Round(10 * time.Millisecond), true
}

// parseISODuration reads an ISO 8601 duration such as "PT1H2M3.5S" or "P1DT2H" (schema.org
// Duration). Years and months are refused as ambiguous; the result is positive and at most
// maxMediaDuration.
func parseISODuration(s string) (time.Duration, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(s, "P") {
		return 0, false
	}
	datePart, timePart, hasT := strings.Cut(s[1:], "T")
	if hasT && timePart == "" {
		return 0, false
	}
	var total float64
	components := 0
	parse := func(part, units string, secs []float64) bool {
		last := -1
		for part != "" {
			i := 0
			for i < len(part) && (part[i] >= '0' && part[i] <= '9' || part[i] == '.' || part[i] == ',') {
				i++
			}
			if i == 0 || i == len(part) {
				return false
			}
			n, err := strconv.ParseFloat(strings.Replace(part[:i], ",", ".", 1), 64)
			u := strings.IndexByte(units, part[i])
			if err != nil || u <= last {
				return false
			}
			last = u
			total += n * secs[u]
			components++
			part = part[i+1:]
		}
		return true
	}
	if !parse(datePart, "WD", []float64{7 * 86400, 86400}) || !parse(timePart, "HMS", []float64{3600, 60, 1}) {
		return 0, false
	}
	if components == 0 || total <= 0 || total > maxMediaDuration.Seconds() {
		return 0, false
	}
	return time.Duration(total * float64(time.Second)).Round(10 * time.Millisecond), true
}

// formatISODuration writes d as an xAPI duration (ISO 8601, hours as the largest unit,
// seconds to 0.01 s), e.g. "PT1H2M3.5S".
func formatISODuration(d time.Duration) string {
	cs := int64(d.Round(10*time.Millisecond) / (10 * time.Millisecond))
	if cs <= 0 {
		return "PT0S"
	}
	h, cs := cs/360000, cs%360000
	m, cs := cs/6000, cs%6000
	s, frac := cs/100, cs%100
	var b strings.Builder
	b.WriteString("PT")
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if s > 0 || frac > 0 {
		b.WriteString(strconv.FormatInt(s, 10))
		if frac > 0 {
			b.WriteString(strings.TrimRight("."+strconv.FormatInt(100+frac, 10)[1:], "0"))
		}
		b.WriteString("S")
	}
	return b.String()
}
