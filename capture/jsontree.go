package capture

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Strict JSON reading and canonical JSON writing for statement trees (objects are
// map[string]any, arrays []any, numbers json.Number).

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxJSONDepth = 512

func pathOrRoot(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// joinPath appends an object key to a property path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// deepCopy returns a copy of a JSON tree that shares nothing mutable with v.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case Statement:
		return deepCopy(map[string]any(t))
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = deepCopy(e)
		}
		return a
	default:
		return v
	}
}

// numberValue returns the value of a JSON number held as json.Number or a Go number.
// Numbers beyond float64 range become ±Inf.
func numberValue(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return f, true // ±Inf or 0 for underflow
			}
			return 0, false
		}
		return f, true
	case float64:
		return n, !math.IsNaN(n)
	case float32:
		return float64(n), !math.IsNaN(float64(n))
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// canonicalNumber writes a number in one canonical decimal form, so that 1, 1.0 and
// 1e0 compare equal; numbers beyond float64 range keep their (lower-cased) literal.
func canonicalNumber(v any) string {
	if n, ok := v.(json.Number); ok {
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) {
			return strings.ToLower(string(n))
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	f, _ := numberValue(v)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// writeCanonicalJSON writes v with object keys sorted and numbers in canonical form.
func writeCanonicalJSON(b *bytes.Buffer, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writeJSONString(b, t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeCanonicalJSON(b, t[k])
		}
		b.WriteByte('}')
	case Statement:
		writeCanonicalJSON(b, map[string]any(t))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonicalJSON(b, e)
		}
		b.WriteByte(']')
	default:
		if _, ok := numberValue(v); ok {
			b.WriteString(canonicalNumber(v))
			return
		}
		raw, err := json.Marshal(v)
		if err != nil {
			b.WriteString("null")
			return
		}
		b.Write(raw)
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.Write(appendJSONString(b.AvailableBuffer(), s))
}

// canonicalJSON returns writeCanonicalJSON's output as a string.
func canonicalJSON(v any) string {
	var b bytes.Buffer
	writeCanonicalJSON(&b, v)
	return b.String()
}
