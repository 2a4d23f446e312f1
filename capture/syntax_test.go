package capture

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return v.UTC()
	}
	tests := []struct {
		in   string
		want time.Time // zero: must fail
	}{
		{"2024-05-01T10:20:30.123Z", utc("2024-05-01T10:20:30.123Z")},
		{"2024-05-01T10:20:30Z", utc("2024-05-01T10:20:30Z")},
		{"2024-05-01t10:20:30z", utc("2024-05-01T10:20:30Z")},
		{"2024-05-01T10:20Z", utc("2024-05-01T10:20:00Z")},
		{"2024-05-01T15:50:30+05:30", utc("2024-05-01T10:20:30Z")},
		{"2024-05-01T06:20:30-0400", utc("2024-05-01T10:20:30Z")},
		{"2024-05-01T12:20:30+02", utc("2024-05-01T10:20:30Z")},
		{"2024-05-01T10:20:30+00:00", utc("2024-05-01T10:20:30Z")},
		{"2024-05-01T10:20:30", utc("2024-05-01T10:20:30Z")},
		{"2024-05-01T10:20:30,5Z", utc("2024-05-01T10:20:30.5Z")},
		{"2024-05-01T10:20:30.123456789123Z", utc("2024-05-01T10:20:30.123456789Z")},
		{"2024-02-29T00:00:00Z", utc("2024-02-29T00:00:00Z")},
		{"2031-11-27T21:09:24.444Z", utc("2031-11-27T21:09:24.444Z")},
		{"2008-09-15T15:53:00.601-00", time.Time{}},
		{"2008-09-15T15:53:00.601-0000", time.Time{}},
		{"2008-09-15T15:53:00.601-00:00", time.Time{}},
		{"2023-02-29T00:00:00Z", time.Time{}},
		{"2024-13-01T00:00:00Z", time.Time{}},
		{"2024-01-01T24:00:00Z", time.Time{}},
		{"2024-01-01T10:60:00Z", time.Time{}},
		{"2024-01-01T10:00:61Z", time.Time{}},
		{"2024-01-01 10:00:00Z", time.Time{}},
		{"2024-01-01", time.Time{}},
		{"01/011/2015", time.Time{}},
		{"should fail", time.Time{}},
		{"", time.Time{}},
		{"2024-01-01T10:00:00.Z", time.Time{}},
		{"2024-01-01T10:00:00+5:00", time.Time{}},
		{"2024-01-01T10:00:00+05:", time.Time{}},
		{"2024-01-01T10:00:00+24:00", time.Time{}},
		{"2024-01-01T10:00:00ZZ", time.Time{}},
	}
	for _, tt := range tests {
		got, err := ParseTimestamp(tt.in)
		if tt.want.IsZero() {
			if err == nil {
				t.Errorf("ParseTimestamp(%q) = %v, want error", tt.in, got)
			} else if ErrorCode(err) != CodeInvalid {
				t.Errorf("ParseTimestamp(%q): code %q", tt.in, ErrorCode(err))
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, want %v UTC", tt.in, got, tt.want)
		}
	}
}

func TestIsDuration(t *testing.T) {
	good := []string{"PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W", "PT1H0M0S",
		"PT1H0M0.1S", "P1D", "PT0S", "P0D", "P1Y2M3D", "PT1.5H", "P1,5Y"}
	bad := []string{"", "P", "PT", "P4W1D", "P1DT", "PA1H0M0S", "PT1H30", "PT01:30:00", "P0003-01-29T04:35:59",
		"1H", "P1H", "PT1D", "P1M1Y", "PT1H1H", "PT1.5H30M", "P.5Y", "P1.Y", "p1y", "should fail", "P-1D", "P1W1W"}
	for _, s := range good {
		if !isDuration(s) {
			t.Errorf("isDuration(%q) = false, want true", s)
		}
	}
	for _, s := range bad {
		if isDuration(s) {
			t.Errorf("isDuration(%q) = true, want false", s)
		}
	}
}

func TestIsLanguageTag(t *testing.T) {
	good := []string{"en", "en-US", "de", "de-DE", "zh-Hant", "zh-Hans-CN", "sr-Latn-RS", "sr-Cyrl", "cmn", "ase",
		"es-419", "fr-CA", "de-CH-1996", "sl-rozaj-biske", "en-a-bbb-x-a-ccc", "x-private", "i-klingon",
		"en-GB-oed", "zh-min-nan", "tlh", "EN-us", "ja", "qaa-Qaaa-QM-x-southern", "en-US-u-islamcal"}
	bad := []string{"", "something", "s-something", "a12345678", "en_US", "en-", "-en", "e", "en--US",
		"zh-z-aaa-z-bbb-c-ccc", "de-1996-1996", "en-a", "x", "en-x", "123", "en-US-x-toolongpart", "é"}
	for _, s := range good {
		if !isLanguageTag(s) {
			t.Errorf("isLanguageTag(%q) = false, want true", s)
		}
	}
	for _, s := range bad {
		if isLanguageTag(s) {
			t.Errorf("isLanguageTag(%q) = true, want false", s)
		}
	}
}

func TestCheckIRI(t *testing.T) {
	good := []string{"http://adlnet.gov/expapi/verbs/attended", "https://example.org/a?b=c#d", "mailto:a@example.org",
		"urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "tag:example.org,2024:x", "http://例え.テスト/パス",
		"http://example.com/a%20b", "x-custom+scheme.1:thing"}
	bad := []string{"", "adlnet.gov/expapi/verbs/attended", "not.a.valid.iri.com/verb", ":nothing", "http:",
		"1http://example.org", "http://example.org/a b", "http://example.org/<a>", "http://example.org/%zz",
		"http://example.org/\x01", "wrong", "example.com/extension/wrong"}
	for _, s := range good {
		if rule := checkIRI(s); rule != "" {
			t.Errorf("checkIRI(%q) = %q, want ok", s, rule)
		}
	}
	for _, s := range bad {
		if checkIRI(s) == "" {
			t.Errorf("checkIRI(%q) accepted", s)
		}
	}
}

func TestSmallSyntaxes(t *testing.T) {
	if !isUUID("6690E6C9-3ef0-4ed3-8b37-7f3964730bee") || isUUID("6690e6c9-3ef0-4ed3-8b37-7f3964730beee") ||
		isUUID("6690e6c9-3ef0-4ed3-8b37-7f3964730beg") || isUUID("6690e6c93ef04ed38b377f3964730bee") {
		t.Error("isUUID")
	}
	for _, v := range []string{"1.0", "1.0.0", "1.0.3", "1.0.9", "1.0.12"} {
		if !isVersion(v) {
			t.Errorf("isVersion(%q) = false", v)
		}
	}
	for _, v := range []string{"", "1", "1.0.", "1.1.0", "0.9.9", "2.0.0", "1.0.x", "1.0.3-beta", "should fail"} {
		if isVersion(v) {
			t.Errorf("isVersion(%q) = true", v)
		}
	}
	for _, m := range []string{"mailto:a@example.org", "mailto:first.last+tag@sub.example.co.uk"} {
		if rule := checkMbox(m); rule != "" {
			t.Errorf("checkMbox(%q) = %q", m, rule)
		}
	}
	for _, m := range []string{"a@example.org", "mailto:", "mailto:a", "mailto:@example.org", "mailto:a@", "MAILTO:a@example.org", "mailto:a b@example.org"} {
		if checkMbox(m) == "" {
			t.Errorf("checkMbox(%q) accepted", m)
		}
	}
}
