package slack

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

func TestParseLearned(t *testing.T) {
	raw, err := os.ReadFile("testdata/learned.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Text  string   `json:"text"`
		Kind  Kind     `json:"kind"`
		URL   string   `json:"url"`
		Name  string   `json:"name"`
		On    string   `json:"on"`
		Tags  []string `json:"tags"`
		Note  string   `json:"note"`
		Error string   `json:"error"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Text, func(t *testing.T) {
			got, err := ParseLearned(c.Text, t0, nil2utc())
			if c.Error != "" {
				if capture.ErrorCode(err) != capture.CodeInvalid || !strings.Contains(capture.ErrorMessage(err), c.Error) {
					t.Fatalf("err = %v, want invalid containing %q", err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLearned: %v", err)
			}
			on := ""
			if !got.On.IsZero() {
				on = got.On.Format("2006-01-02")
			}
			if got.Kind != c.Kind || got.URL != c.URL || got.Name != c.Name || on != c.On || got.Note != c.Note || !reflect.DeepEqual(got.Tags, c.Tags) {
				t.Fatalf("got %+v (on %q), want %+v", got, on, c)
			}
		})
	}
}

func nil2utc() *time.Location { return time.UTC }

func TestParseQuestion(t *testing.T) {
	cases := []struct {
		text, title, body string
		tags              []string
		err               bool
	}{
		{"How do we rotate the staging DB password? #ops #security", "How do we rotate the staging DB password?", "", []string{"ops", "security"}, false},
		{"Why is CI slow? It takes 40 minutes since Monday. #ci", "Why is CI slow?", "It takes 40 minutes since Monday.", []string{"ci"}, false},
		{"Deploy checklist\nWhere is it kept?", "Deploy checklist", "Where is it kept?", nil, false},
		{"", "", "", nil, true},
		{"#only #tags", "", "", nil, true},
	}
	for _, c := range cases {
		title, body, tags, err := parseQuestion(c.text)
		if c.err {
			if capture.ErrorCode(err) != capture.CodeInvalid {
				t.Errorf("%q: err %v, want invalid", c.text, err)
			}
			continue
		}
		if err != nil || title != c.title || body != c.body || !reflect.DeepEqual(tags, c.tags) {
			t.Errorf("%q: got %q, %q, %v, %v; want %q, %q, %v", c.text, title, body, tags, err, c.title, c.body, c.tags)
		}
	}
}
