package capture

import (
	"time"
)

// ParseTimestamp parses an ISO 8601 combined date and time (xAPI 1.0.3 Data 4.5):
// YYYY-MM-DDThh:mm[:ss[.fraction]] followed by "Z", "±hh", "±hhmm" or "±hh:mm". A
// timestamp without a zone is read as UTC (the zone is a SHOULD, not a MUST). Negative
// zero offsets ("-00", "-0000", "-00:00") are not ISO 8601 and are rejected, as are
// impossible dates and times. Fractions beyond nanoseconds are truncated. The result
// is in UTC. CodeInvalid on any other input.
func ParseTimestamp(s string) (time.Time, error) {
	t, ok := parseTimestamp(s)
	if !ok {
		return time.Time{}, Errorf(CodeInvalid, "%q is not an ISO 8601 timestamp", s)
	}
	return t, nil
}

func parseTimestamp(s string) (time.Time, bool) {
	p := scanner{s: s}
	year, ok1 := p.digits(4)
	ok2 := p.byte('-')
	month, ok3 := p.digits(2)
	ok4 := p.byte('-')
	day, ok5 := p.digits(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return time.Time{}, false
	}
	if !p.byte('T') && !p.byte('t') {
		return time.Time{}, false
	}
	hour, ok1 := p.digits(2)
	ok2 = p.byte(':')
	minute, ok3 := p.digits(2)
	if !(ok1 && ok2 && ok3) {
		return time.Time{}, false
	}
	sec, nsec := 0, 0
	if p.byte(':') {
		var ok bool
		if sec, ok = p.digits(2); !ok {
			return time.Time{}, false
		}
		if p.byte('.') || p.byte(',') {
			n := 0
			scale := 100000000
			for p.i < len(p.s) && isDigit(p.s[p.i]) {
				if scale > 0 {
					nsec += int(p.s[p.i]-'0') * scale
					scale /= 10
				}
				p.i++
				n++
			}
			if n == 0 {
				return time.Time{}, false
			}
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	offset := 0
	switch {
	case p.i == len(p.s):
	case p.byte('Z') || p.byte('z'):
	case p.peek('+') || p.peek('-'):
		neg := p.s[p.i] == '-'
		p.i++
		oh, ok := p.digits(2)
		if !ok || oh > 23 {
			return time.Time{}, false
		}
		om := 0
		if p.i < len(p.s) {
			p.byte(':')
			if om, ok = p.digits(2); !ok || om > 59 {
				return time.Time{}, false
			}
		}
		offset = oh*3600 + om*60
		if neg {
			if offset == 0 {
				return time.Time{}, false
			}
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	if p.i != len(p.s) {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// isDuration reports whether s is an ISO 8601:2004 section 4.4.3.2 duration
// (xAPI 1.0.3 Data 4.6): PnYnMnDTnHnMnS with at least one component, only the last
// one fractional, or PnW alone. The alternative format (4.4.3.3) is not accepted.
func isDuration(s string) bool {
	p := scanner{s: s}
	if !p.byte('P') {
		return false
	}
	designators := "YMD"
	inTime := false
	components := 0
	fractional := false
	for p.i < len(p.s) {
		if p.byte('T') {
			if inTime {
				return false
			}
			inTime = true
			designators = "HMS"
			if p.i == len(p.s) {
				return false // "T" must be followed by a component
			}
			continue
		}
		if fractional {
			return false // only the lowest-order component may have a fraction
		}
		start := p.i
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
		if p.i == start {
			return false
		}
		if p.byte('.') || p.byte(',') {
			fs := p.i
			for p.i < len(p.s) && isDigit(p.s[p.i]) {
				p.i++
			}
			if p.i == fs {
				return false
			}
			fractional = true
		}
		if p.i >= len(p.s) {
			return false
		}
		d := p.s[p.i]
		p.i++
		if d == 'W' && !inTime && components == 0 && designators == "YMD" {
			return p.i == len(p.s)
		}
		k := indexByte(designators, d)
		if k < 0 {
			return false
		}
		designators = designators[k+1:]
		components++
	}
	return components > 0
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// scanner reads fixed-form text left to right.
type scanner struct {
	s string
	i int
}

// digits reads exactly n ASCII digits.
func (p *scanner) digits(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for k := 0; k < n; k++ {
		c := p.s[p.i+k]
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}

// byte consumes c when it is next.
func (p *scanner) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scanner) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }
