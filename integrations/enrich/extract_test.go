package enrich

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFetchExtractsMetadata(t *testing.T) {
	tests := []struct {
		fixture string
		path    string
		want    func(base string) Page
	}{
		{"article.html", "/a/b", func(base string) Page {
			return Page{URL: base + "/a/b", Title: "How cairns are built",
				Description: "A short history of stacking stones & why it works.", OGType: "article",
				SiteName: "Example News", CanonicalURL: base + "/articles/cairns?ref=canonical",
				Language: "en-GB", Kind: KindArticle}
		}},
		{"video_og.html", "/watch", func(base string) Page {
			return Page{URL: base + "/watch", Title: "Les cairns en 4 minutes", OGType: "video.other",
				CanonicalURL: "https://video.example/watch?v=42", Language: "fr-FR",
				Duration: 253 * time.Second, Kind: KindVideo}
		}},
		{"video_jsonld.html", "/talk", func(base string) Page {
			return Page{URL: base + "/talk", Title: "Conference talk: Informal learning at work",
				Description: "Recorded talk from the spring conference.", Language: "es-419",
				Duration: time.Hour + 2*time.Minute + 3500*time.Millisecond, Kind: KindVideo}
		}},
		{"title_only.html", "/", func(base string) Page {
			return Page{URL: base + "/", Title: "Just a title", Kind: KindLink}
		}},
		{"microdata.html", "/aula", func(base string) Page {
			return Page{URL: base + "/aula", Title: "Aula gravada", Language: "pt-BR",
				Duration: 4*time.Minute + 13*time.Second, Kind: KindVideo}
		}},
		{"article_with_video.html", "/news", func(base string) Page {
			return Page{URL: base + "/news", Title: "News with an embedded clip", OGType: "article",
				Language: "en", Duration: 45 * time.Second, Kind: KindArticle}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			s := newSite(t, serveHTML(t, tt.fixture))
			e := newTestEnricher(t, testConfig(t, s))
			got, err := e.Fetch(context.Background(), s.URL+tt.path+"#fragment-dropped")
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if want := tt.want(s.URL); got != want {
				t.Errorf("page\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestFetchedDefinition(t *testing.T) {
	s := newSite(t, serveHTML(t, "video_og.html"))
	e := newTestEnricher(t, testConfig(t, s))
	p, err := e.Fetch(context.Background(), s.URL+"/watch")
	if err != nil {
		t.Fatal(err)
	}
	var def map[string]any
	if err := json.Unmarshal(p.Definition(), &def); err != nil {
		t.Fatalf("definition is not JSON: %v", err)
	}
	want := map[string]any{
		"name":       map[string]any{"fr-FR": "Les cairns en 4 minutes"},
		"type":       ActivityTypeVideo,
		"moreInfo":   "https://video.example/watch?v=42",
		"extensions": map[string]any{DurationExtension: "PT4M13S"},
	}
	if g, w := mustJSON(t, def), mustJSON(t, want); g != w {
		t.Errorf("definition\n got %s\nwant %s", g, w)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDefinition(t *testing.T) {
	tests := []struct {
		name string
		page Page
		want string
	}{
		{"empty page is a link", Page{}, `{"type":"http://adlnet.gov/expapi/activities/link"}`},
		{"und when no language", Page{Title: "T", Description: "D <b>&", Kind: KindArticle},
			`{"name":{"und":"T"},"description":{"und":"D <b>&"},"type":"http://activitystrea.ms/article"}`},
		{"video with duration", Page{Title: "V", Language: "en-US", Kind: KindVideo, CanonicalURL: "https://v.example/1",
			Duration: 90*time.Minute + 500*time.Millisecond},
			`{"name":{"en-US":"V"},"type":"https://w3id.org/xapi/video/activity-type/video","moreInfo":"https://v.example/1",` +
				`"extensions":{"https://cairn-lrs.github.io/xapi/extensions/duration":"PT1H30M0.5S"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.page.Definition()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestISODuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT4M13S", 253 * time.Second, true},
		{"pt1h", time.Hour, true},
		{"P1DT2H", 26 * time.Hour, true},
		{"P1W", 7 * 24 * time.Hour, true},
		{"PT0,5S", 500 * time.Millisecond, true},
		{"PT1.25S", 1250 * time.Millisecond, true},
		{"PT0S", 0, false},
		{"P1M", 0, false}, // months are ambiguous
		{"P1Y", 0, false},
		{"PT", 0, false},
		{"P", 0, false},
		{"PT5S4M", 0, false}, // out of order
		{"PT4MM", 0, false},
		{"4M13S", 0, false},
		{"P400D", 0, false}, // beyond the bound
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseISODuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseISODuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "PT0S", 253 * time.Second: "PT4M13S", 26 * time.Hour: "PT26H",
		1250 * time.Millisecond: "PT1.25S", time.Hour + 3*time.Second: "PT1H3S", 5 * time.Millisecond: "PT0.01S",
	} {
		if got := formatISODuration(d); got != want {
			t.Errorf("formatISODuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"253", 253 * time.Second, true},
		{" 1.5 ", 1500 * time.Millisecond, true},
		{"0", 0, false},
		{"-3", 0, false},
		{"NaN", 0, false},
		{"1e12", 0, false},
		{"PT4M", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSeconds(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalizeLang(t *testing.T) {
	tests := map[string]string{
		"en": "en", "EN-us": "en-US", "en_GB": "en-GB", "zh-hant-tw": "zh-Hant-TW", "es-419": "es-419",
		"de-CH-1996": "de-CH", "pt-br-x-internal": "pt-BR", " fr ": "fr",
		"": "", "e": "", "english": "", "x-klingon": "", "12": "", "en US": "",
	}
	for in, want := range tests {
		if got := normalizeLang(in); got != want {
			t.Errorf("normalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  a \n\t b  ", "a b"},
		{"a\x00b\x07c", "abc"},
		{"ok\xffok", "okok"},
		{strings.Repeat("é", 12), strings.Repeat("é", 9) + "…"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in, 10); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEligible(t *testing.T) {
	tests := []struct {
		id   string
		def  string
		want bool
	}{
		{"https://example.org/a", "", true},
		{"http://example.org/a", "null", true},
		{"https://example.org/a", " { } ", true},
		{"https://example.org/a", `{"name":{"en":"A"}}`, false},
		{"urn:uuid:0b8a4a3c-1f1e-4c55-9f5e-9c6d9ad1b2c3", "", false},
		{"mailto:a@example.org", "", false},
		{"https:///nohost", "", false},
		{"ftp://example.org/f", "", false},
	}
	for _, tt := range tests {
		if got := Eligible(tt.id, json.RawMessage(tt.def)); got != tt.want {
			t.Errorf("Eligible(%q, %q) = %v, want %v", tt.id, tt.def, got, tt.want)
		}
	}
}
