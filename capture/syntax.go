package capture

import (
	"strings"
)

// Value syntaxes of xAPI 1.0.3 Data 4 (IRIs, UUIDs, language tags) and of the agent
// identifiers of Data 2.4.2.3. Each check returns "" when the value is well formed and
// otherwise the rule it breaks, for use in "<path>: <rule>" messages.

// checkIRI accepts an absolute IRI (RFC 3987): a scheme, a colon, and no characters
// that an IRI cannot contain. Best-effort validation, as Data 2.2.s4.b6 allows.
func checkIRI(s string) string {
	if s == "" {
		return "must be an absolute IRI, not empty"
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !validScheme(s[:colon]) {
		return "must be an absolute IRI with a scheme"
	}
	if colon == len(s)-1 {
		return "must be an absolute IRI: nothing follows the scheme"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c == 0x7f {
			return "must be an absolute IRI: contains a space or control character"
		}
		switch c {
		case '<', '>', '"', '{', '}', '\\', '^', '`':
			return "must be an absolute IRI: contains " + string(c)
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "must be an absolute IRI: bad percent-encoding"
			}
		}
	}
	return ""
}

func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// isUUID reports whether s is a UUID in the standard 8-4-4-4-12 hex form (Data 4.4),
// either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// checkMbox accepts "mailto:" followed by an e-mail address (Data 2.4.2.3).
func checkMbox(s string) string {
	if !strings.HasPrefix(s, "mailto:") {
		return "must be a mailto IRI"
	}
	addr := s[len("mailto:"):]
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "must be a mailto IRI with an e-mail address"
	}
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' || c == ';' {
			return "must be a mailto IRI with an e-mail address"
		}
	}
	if strings.IndexByte(addr[at+1:], '.') < 0 && addr[at+1:] != "localhost" {
		return "must be a mailto IRI with an e-mail address"
	}
	return ""
}

// isSHA1Hex reports whether s is a hex SHA-1 digest (40 hex digits, either case).
func isSHA1Hex(s string) bool {
	return len(s) == 40 && allHex(s)
}

// isSHA2Hex reports whether s is a hex SHA-2 digest: SHA-224, 256, 384 or 512.
func isSHA2Hex(s string) bool {
	switch len(s) {
	case 56, 64, 96, 128:
		return allHex(s)
	}
	return false
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isVersion reports whether s is a statement version this LRS accepts: "1.0" or
// "1.0.<patch>" (Data 2.4.10).
func isVersion(s string) bool {
	if s == "1.0" {
		return true
	}
	rest, ok := strings.CutPrefix(s, "1.0.")
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !isDigit(rest[i]) {
			return false
		}
	}
	return true
}

// isIrregularTag reports whether lower is one of the grandfathered tags of RFC 5646
// section 2.1 that the langtag production does not match.
func isIrregularTag(lower string) bool {
	switch lower {
	case "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon",
		"i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr",
		"sgn-be-nl", "sgn-ch-de":
		return true
	}
	return false
}

// isLanguageTag reports whether s is a well-formed RFC 5646 language tag (section 2.1
// grammar), with no repeated variant and no repeated extension singleton (2.2.5, 2.2.6).
func isLanguageTag(s string) bool {
	if s == "" {
		return false
	}
	lower := strings.ToLower(s)
	if isIrregularTag(lower) {
		return true
	}
	parts := strings.Split(lower, "-")
	for _, p := range parts {
		if p == "" || len(p) > 8 || !allAlnum(p) {
			return false
		}
	}
	i := 0
	if parts[0] == "x" {
		return privateUse(parts[1:])
	}
	// language
	switch l := len(parts[0]); {
	case l >= 2 && l <= 3 && allAlpha(parts[0]):
		i = 1
		for n := 0; n < 3 && i < len(parts) && len(parts[i]) == 3 && allAlpha(parts[i]); n++ {
			i++ // extlang
		}
	case l >= 4 && l <= 8 && allAlpha(parts[0]):
		i = 1
	default:
		return false
	}
	// script
	if i < len(parts) && len(parts[i]) == 4 && allAlpha(parts[i]) {
		i++
	}
	// region
	if i < len(parts) && ((len(parts[i]) == 2 && allAlpha(parts[i])) || (len(parts[i]) == 3 && allDigit(parts[i]))) {
		i++
	}
	// variants
	variants := map[string]bool{}
	for i < len(parts) && isVariant(parts[i]) {
		if variants[parts[i]] {
			return false
		}
		variants[parts[i]] = true
		i++
	}
	// extensions
	singletons := map[string]bool{}
	for i < len(parts) && len(parts[i]) == 1 && parts[i] != "x" {
		if singletons[parts[i]] {
			return false
		}
		singletons[parts[i]] = true
		i++
		n := 0
		for i < len(parts) && len(parts[i]) >= 2 {
			i++
			n++
		}
		if n == 0 {
			return false
		}
	}
	if i < len(parts) && parts[i] == "x" {
		return privateUse(parts[i+1:])
	}
	return i == len(parts)
}

func isVariant(p string) bool {
	if len(p) >= 5 && len(p) <= 8 {
		return true
	}
	return len(p) == 4 && isDigit(p[0])
}

func privateUse(parts []string) bool {
	return len(parts) > 0 // each part already checked: 1-8 alphanumerics
}

func allAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) {
			return false
		}
	}
	return true
}

func allDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func allAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
