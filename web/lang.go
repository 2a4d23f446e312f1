package web

import (
	"sort"
	"strconv"
	"strings"
)

// parseAcceptLanguage returns the language ranges of an Accept-Language header
// (RFC 7231 5.3.5), best first: by q-value, then in the order given. Ranges with q=0, an
// unreadable q-value or an empty tag are left out; "*" is kept.
func parseAcceptLanguage(header string) []string {
	type ranked struct {
		tag string
		q   float64
	}
	var ranges []ranked
	for _, item := range strings.Split(header, ",") {
		fields := strings.Split(item, ";")
		tag := strings.TrimSpace(fields[0])
		if tag == "" {
			continue
		}
		q, ok := 1.0, true
		for _, f := range fields[1:] {
			name, value, found := strings.Cut(strings.TrimSpace(f), "=")
			if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil || v < 0 || v > 1 {
				ok = false
				break
			}
			q = v
		}
		if !ok || q == 0 {
			continue
		}
		ranges = append(ranges, ranked{tag, q})
	}
	sort.SliceStable(ranges, func(i, j int) bool { return ranges[i].q > ranges[j].q })
	out := make([]string, len(ranges))
	for i, r := range ranges {
		out[i] = r.tag
	}
	return out
}
