package capture

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeJSONTree(t *testing.T) {
	tests := []struct {
		in   string
		want any    // when err is ""
		err  string // substring of the error
	}{
		{in: `{"a":[1,-2.5e3,"x\u00e9\n",true,false,null,{}]}`, want: map[string]any{"a": []any{json.Number("1"), json.Number("-2.5e3"), "xé\n", true, false, nil, map[string]any{}}}},
		{in: ` [ ] `, want: []any{}},
		{in: `"\ud83d\ude00"`, want: "😀"},
		{in: `"\ud83d"`, want: "\ufffd"},
		{in: `"\ud83dx"`, want: "\ufffdx"},
		{in: `"\ude00\ud83d\ude00"`, want: "\ufffd😀"},
		{in: `{"a":1,"a":2}`, err: "a: duplicate key"},
		{in: `{"a":{"b":[{"c":1,"c":1}]}}`, err: "a.b[0].c: duplicate key"},
		{in: `{"verb":{"id":1,"i\u0064":2}}`, err: "verb.id: duplicate key"},
		{in: "{\"actor\":{\"mb\x01ox\":1}}", err: "actor: malformed JSON: control character in a string"},
		{in: `{"a":01}`, err: "malformed JSON"},
		{in: `{"a":1.}`, err: "bad number"},
		{in: `{"a":-}`, err: "bad number"},
		{in: `{"a":1e}`, err: "bad number"},
		{in: `{"a":tru}`, err: "invalid literal"},
		{in: `{"a":"x\q"}`, err: "bad escape"},
		{in: "{\"a\":\"x\ty\"}", err: "control character"},
		{in: `{"a":"\u12"}`, err: "bad \\u escape"},
		{in: `{"a":1,}`, err: "expected an object key"},
		{in: `[1,]`, err: "unexpected character"},
		{in: `{"a":1} x`, err: "unexpected data after"},
		{in: `{"a" 1}`, err: "expected ':'"},
		{in: `{"a":[1 2]}`, err: "expected ',' or ']'"},
		{in: `{"a":"`, err: "unexpected end of JSON"},
		{in: ``, err: "unexpected end of JSON"},
		{in: "\"\xff\"", err: "not valid UTF-8"},
		{in: strings.Repeat("[", maxJSONDepth+2), err: "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := decodeJSONTree([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// FuzzDecodeJSONTree checks the parser against encoding/json: what it accepts is valid
// JSON and decodes to the same tree; valid JSON it rejects has a duplicate key or is
// nested too deeply.
func FuzzDecodeJSONTree(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c\u00e9"}]}`, `[]`, `"\ud83d\ude00"`, `{"a":1,"a":2}`, `{"id":"x","i\u0064":"y","en-US":{"name":1}}`, `-0.5e+7`, `[true,false,null]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeJSONTree(data)
		valid := json.Valid(data)
		if err == nil {
			if !valid {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			var want any
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: got %#v, encoding/json %#v", data, got, want)
			}
			return
		}
		if valid && !strings.Contains(err.Error(), "duplicate key") && !strings.Contains(err.Error(), "nested too deeply") && !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("rejected valid JSON %q: %v", data, err)
		}
	})
}

// FuzzAppendJSON checks that appendJSON writes JSON that encoding/json reads back to
// the same tree.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c\u00e9\u2028<>&\"\\\n\u0001"}]}`, `[]`, `{"x":-0.5e+7,"y":null,"z":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := decodeJSONTree(data)
		if err != nil {
			return
		}
		out := appendJSON(nil, tree)
		var back any
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %q: %v", data, out, err)
		}
		if !reflect.DeepEqual(back, tree) {
			t.Fatalf("%q: round trip %q gave %#v, want %#v", data, out, back, tree)
		}
	})
}
