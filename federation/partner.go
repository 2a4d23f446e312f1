// Package federation moves statements between Cairn and partner LRSs over the standard
// xAPI 1.0.3 Statements resource (Communication 2.1): push (statement forwarding, one
// cursor on the local store's sequence per partner) and pull (sync from a partner's
// stored times, following more links). It holds the partner settings, filters, privacy
// transforms, dead letters, leases and figures; HTTP to partners goes through
// federation/xapiclient and storage through the Store interface.
//
// Loop rule: every stored statement records its Origin (the partner it was pulled from,
// or the partner whose inbound credential pushed it). A statement is never pushed to the
// partner named in its Origin. Statement ids are kept end to end, so a chain A→B→…→A
// stops where the statement arrives back: the LRS that already holds the id accepts it
// as an identical repeat and does not store (or forward) it again.
package federation

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Direction says which way statements travel with a partner.
type Direction string

// The directions.
const (
	Push Direction = "push"
	Pull Direction = "pull"
	Both Direction = "both"
)

// Pushes reports whether d forwards local statements to the partner.
func (d Direction) Pushes() bool { return d == Push || d == Both }

// Pulls reports whether d syncs statements from the partner.
func (d Direction) Pulls() bool { return d == Pull || d == Both }

// Privacy is what a partner may learn about the people in statements.
type Privacy string

// The privacy levels. Pseudonymise replaces every agent identifier with an account on
// Cairn's homePage whose name is a keyed hash, and every agent's name with a label
// derived from the same hash; Strip also removes the names.
const (
	PrivacyNone         Privacy = "none"
	PrivacyPseudonymise Privacy = "pseudonymise"
	PrivacyStrip        Privacy = "strip"
)

// ErasureNotice is what a push partner is told when Cairn erases a person.
type ErasureNotice string

// The erasure notices. Off tells the partner nothing; Void sends one voiding
// statement for each erased statement that was delivered to it (see Recall).
const (
	ErasureOff  ErasureNotice = "off"
	ErasureVoid ErasureNotice = "void"
)

// Auth is how Cairn authenticates to a partner: HTTP Basic (Key, Secret), or OAuth2
// client credentials (TokenURL, ClientID, ClientSecret; RFC 6749 §4.4).
type Auth struct {
	Key          string `json:"key,omitempty"`
	Secret       string `json:"secret,omitempty"`
	TokenURL     string `json:"tokenUrl,omitempty"`
	ClientID     string `json:"clientId,omitempty"`
	ClientSecret string `json:"clientSecret,omitempty"`
	Scopes       string `json:"scopes,omitempty"` // OAuth2 scopes, space separated
}

// OAuth2 reports whether a uses client credentials.
func (a Auth) OAuth2() bool { return a.TokenURL != "" }

// Filter selects the statements pushed to a partner. Each non-empty list must match
// (lists are ANDed, values within one list ORed); an empty filter matches everything.
type Filter struct {
	Verbs            []string `json:"verbs,omitempty"`            // verb ids, exact
	ActivityPrefixes []string `json:"activityPrefixes,omitempty"` // object activity id prefixes
	ActivityTypes    []string `json:"activityTypes,omitempty"`    // object definition types, exact
	ActorDomains     []string `json:"actorDomains,omitempty"`     // actor mbox domains (case-insensitive)
	ActorHomePages   []string `json:"actorHomePages,omitempty"`   // actor account homePages, exact
	Platforms        []string `json:"platforms,omitempty"`        // context.platform, exact
}

// Empty reports whether f selects everything.
func (f Filter) Empty() bool {
	return len(f.Verbs)+len(f.ActivityPrefixes)+len(f.ActivityTypes)+len(f.ActorDomains)+len(f.ActorHomePages)+len(f.Platforms) == 0
}

// Partner is one partner LRS and how Cairn exchanges statements with it.
type Partner struct {
	Name      string        `json:"name"`
	Endpoint  string        `json:"endpoint"` // xAPI base URL, without a trailing slash (…/xapi)
	Auth      Auth          `json:"-"`        // kept sealed by the store (see Sealer)
	Direction Direction     `json:"direction"`
	Batch     int           `json:"batch"`    // statements per POST, and per pulled page
	Interval  time.Duration `json:"interval"` // between pulls
	Filter    Filter        `json:"filter"`
	Privacy   Privacy       `json:"privacy"`
	// Erasure says whether the partner is told when a person is erased (see Recall).
	Erasure ErasureNotice `json:"erasure,omitempty"`
	Paused  bool          `json:"paused"`
	// InboundKey is the key of a Cairn credential this partner uses to push into Cairn:
	// statements written with it get Origin = Name and are never pushed back.
	InboundKey string    `json:"inboundKey,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// Limits and defaults of partner settings.
const (
	DefaultBatch    = 100
	MaxBatch        = 1000
	DefaultInterval = time.Minute
	MinInterval     = time.Second
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Normalize fills defaults and validates p; CodeInvalid naming the field otherwise.
// A repeat call returns the same partner.
func (p Partner) Normalize() (Partner, error) {
	p.Name = strings.TrimSpace(p.Name)
	if !nameRE.MatchString(p.Name) {
		return p, capture.Errorf(capture.CodeInvalid, "name: %q must be 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", p.Name)
	}
	p.Endpoint = strings.TrimRight(strings.TrimSpace(p.Endpoint), "/")
	if err := checkURL("endpoint", p.Endpoint); err != nil {
		return p, err
	}
	if p.Direction == "" {
		p.Direction = Push
	}
	if !slices.Contains([]Direction{Push, Pull, Both}, p.Direction) {
		return p, capture.Errorf(capture.CodeInvalid, "direction: %q is not push, pull or both", p.Direction)
	}
	if p.Batch == 0 {
		p.Batch = DefaultBatch
	}
	if p.Batch < 1 || p.Batch > MaxBatch {
		return p, capture.Errorf(capture.CodeInvalid, "batch: %d is not between 1 and %d", p.Batch, MaxBatch)
	}
	if p.Interval == 0 {
		p.Interval = DefaultInterval
	}
	if p.Interval < MinInterval {
		return p, capture.Errorf(capture.CodeInvalid, "interval: %s is shorter than %s", p.Interval, MinInterval)
	}
	if p.Privacy == "" {
		p.Privacy = PrivacyNone
	}
	if !slices.Contains([]Privacy{PrivacyNone, PrivacyPseudonymise, PrivacyStrip}, p.Privacy) {
		return p, capture.Errorf(capture.CodeInvalid, "privacy: %q is not none, pseudonymise or strip", p.Privacy)
	}
	if p.Erasure == "" {
		p.Erasure = ErasureOff
	}
	if p.Erasure != ErasureOff && p.Erasure != ErasureVoid {
		return p, capture.Errorf(capture.CodeInvalid, "erasure: %q is not off or void", p.Erasure)
	}
	a := p.Auth
	switch {
	case a.OAuth2():
		if err := checkURL("token URL", a.TokenURL); err != nil {
			return p, err
		}
		if a.ClientID == "" || a.ClientSecret == "" {
			return p, capture.Errorf(capture.CodeInvalid, "OAuth2 needs a client id and a client secret")
		}
		if a.Key != "" || a.Secret != "" {
			return p, capture.Errorf(capture.CodeInvalid, "give either a key and secret or OAuth2 client credentials, not both")
		}
	case a.Key != "" || a.Secret != "":
		if a.Key == "" || a.Secret == "" || strings.Contains(a.Key, ":") {
			return p, capture.Errorf(capture.CodeInvalid, "HTTP Basic needs a key (without ':') and a secret")
		}
		if a.ClientID != "" || a.ClientSecret != "" {
			return p, capture.Errorf(capture.CodeInvalid, "client id and secret need a token URL")
		}
	default:
		return p, capture.Errorf(capture.CodeInvalid, "credentials: give a key and secret, or a token URL, client id and client secret")
	}
	for _, prefix := range p.Filter.ActivityPrefixes {
		if prefix == "" {
			return p, capture.Errorf(capture.CodeInvalid, "filter: empty activity id prefix")
		}
	}
	for i, d := range p.Filter.ActorDomains {
		p.Filter.ActorDomains[i] = strings.ToLower(strings.TrimPrefix(d, "@"))
	}
	return p, nil
}

// checkURL accepts an absolute http or https URL with a host.
func checkURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return capture.Errorf(capture.CodeInvalid, "%s: %q is not an http(s) URL", field, s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return capture.Errorf(capture.CodeInvalid, "%s: %q must have no query or fragment", field, s)
	}
	return nil
}

// String names the partner for logs.
func (p Partner) String() string { return fmt.Sprintf("%s (%s, %s)", p.Name, p.Direction, p.Endpoint) }
