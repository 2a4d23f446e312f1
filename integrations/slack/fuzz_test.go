package slack

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cairn-lrs/cairn/capture"
)

// FuzzParseLearned checks that any text either parses into an entry whose statement
// the LRS accepts, or is refused as invalid with a message; never a panic.
func FuzzParseLearned(f *testing.F) {
	for _, s := range []string{"read https://go.dev #go -- note", "attended X on 2026-01-02", "completed <https://a.b/c|C>", "#x", "watched <http://[::1]:80/>", "read <https://a.b|>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		l, err := ParseLearned(text, t0, time.UTC)
		if err != nil {
			if capture.ErrorCode(err) != capture.CodeInvalid || capture.ErrorMessage(err) == "" {
				t.Fatalf("%q: %v", text, err)
			}
			return
		}
		actor := map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": teamURL, "name": "U1"}}
		st, err := learnedStatement("6f1c2a4e-0000-4000-8000-000000000001", actor, l, "", baseURL, t0)
		if err != nil {
			t.Fatalf("%q: statement: %v", text, err)
		}
		if err := capture.ValidateStatement(st); err != nil {
			t.Fatalf("%q parsed as %+v gives an invalid statement: %v", text, l, err)
		}
	})
}
