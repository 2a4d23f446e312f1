package capture

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// StatementParams are the parsed parameters of GET /statements.
type StatementParams struct {
	StatementID       string // lower-case UUID; "" when absent
	VoidedStatementID string
	AgentKey          string // AgentKeyOf the agent parameter; "" when absent
	VerbID            string
	ActivityID        string
	Registration      string // lower-case UUID
	RelatedActivities bool
	RelatedAgents     bool
	Since             time.Time // zero when absent
	Until             time.Time
	Limit             int // 0 = server default
	Format            Format
	Attachments       bool
	Ascending         bool
}

// isStatementParam reports whether name is a GET /statements parameter (xAPI 1.0.3
// Communication 2.1.3); names are case-sensitive.
func isStatementParam(name string) bool {
	switch name {
	case "statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
		"related_activities", "related_agents", "since", "until", "limit", "format",
		"attachments", "ascending":
		return true
	}
	return false
}

// ParseStatementParams parses and validates GET /statements parameters (xAPI 1.0.3
// Communication 2.1.3, 3.2). Names are case-sensitive. Unknown or repeated parameters,
// bad UUIDs, IRIs, timestamps, agent JSON, limits (a non-negative integer), formats
// (ids, exact, canonical) or booleans ("true", "false") → CodeInvalid naming the
// parameter; so do statementId with voidedStatementId, and either of them with any
// parameter other than attachments and format. Format defaults to exact. The caller
// removes parameters that are not statement filters (e.g. a "more" cursor or the
// alternate-request-syntax form fields) before calling.
func ParseStatementParams(v url.Values) (StatementParams, error) {
	p := StatementParams{Format: FormatExact}
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !isStatementParam(name) {
			return StatementParams{}, Errorf(CodeInvalid, "%s: is not a parameter of the Statement resource", name)
		}
		if len(v[name]) != 1 {
			return StatementParams{}, Errorf(CodeInvalid, "%s: must be given once", name)
		}
	}
	get := func(name string) (string, bool) {
		vals, ok := v[name]
		if !ok {
			return "", false
		}
		return vals[0], true
	}
	var err error
	uuidParam := func(name string) (string, error) {
		s, ok := get(name)
		if !ok {
			return "", nil
		}
		if !isUUID(s) {
			return "", Errorf(CodeInvalid, "%s: must be a UUID", name)
		}
		return strings.ToLower(s), nil
	}
	iriParam := func(name string) (string, error) {
		s, ok := get(name)
		if !ok {
			return "", nil
		}
		if rule := checkIRI(s); rule != "" {
			return "", Errorf(CodeInvalid, "%s: %s", name, rule)
		}
		return s, nil
	}
	boolParam := func(name string) (bool, error) {
		s, ok := get(name)
		if !ok {
			return false, nil
		}
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, Errorf(CodeInvalid, "%s: must be true or false", name)
	}
	timeParam := func(name string) (time.Time, error) {
		s, ok := get(name)
		if !ok {
			return time.Time{}, nil
		}
		t, ok := parseTimestamp(s)
		if !ok {
			return time.Time{}, Errorf(CodeInvalid, "%s: must be an ISO 8601 timestamp", name)
		}
		return t, nil
	}

	if p.StatementID, err = uuidParam("statementId"); err != nil {
		return StatementParams{}, err
	}
	if p.VoidedStatementID, err = uuidParam("voidedStatementId"); err != nil {
		return StatementParams{}, err
	}
	if raw, ok := get("agent"); ok {
		if _, p.AgentKey, err = ParseAgentJSON(raw); err != nil {
			return StatementParams{}, err
		}
	}
	if p.VerbID, err = iriParam("verb"); err != nil {
		return StatementParams{}, err
	}
	if p.ActivityID, err = iriParam("activity"); err != nil {
		return StatementParams{}, err
	}
	if p.Registration, err = uuidParam("registration"); err != nil {
		return StatementParams{}, err
	}
	if p.RelatedActivities, err = boolParam("related_activities"); err != nil {
		return StatementParams{}, err
	}
	if p.RelatedAgents, err = boolParam("related_agents"); err != nil {
		return StatementParams{}, err
	}
	if p.Since, err = timeParam("since"); err != nil {
		return StatementParams{}, err
	}
	if p.Until, err = timeParam("until"); err != nil {
		return StatementParams{}, err
	}
	if s, ok := get("limit"); ok {
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 0 || s == "" || !allDigit(s) {
			return StatementParams{}, Errorf(CodeInvalid, "limit: must be a non-negative integer")
		}
		p.Limit = n
	}
	if s, ok := get("format"); ok {
		switch Format(s) {
		case FormatExact, FormatIdentifiers, FormatCanonical:
			p.Format = Format(s)
		default:
			return StatementParams{}, Errorf(CodeInvalid, "format: must be ids, exact or canonical")
		}
	}
	if p.Attachments, err = boolParam("attachments"); err != nil {
		return StatementParams{}, err
	}
	if p.Ascending, err = boolParam("ascending"); err != nil {
		return StatementParams{}, err
	}

	_, hasID := v["statementId"]
	_, hasVoided := v["voidedStatementId"]
	if hasID && hasVoided {
		return StatementParams{}, Errorf(CodeInvalid, "statementId: must not be used with voidedStatementId")
	}
	if hasID || hasVoided {
		single := "statementId"
		if hasVoided {
			single = "voidedStatementId"
		}
		for _, name := range names {
			switch name {
			case "statementId", "voidedStatementId", "attachments", "format":
			default:
				return StatementParams{}, Errorf(CodeInvalid, "%s: must not be used with %s", name, single)
			}
		}
	}
	return p, nil
}
