package federation

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/cairn-lrs/cairn/capture"
)

// Pseudonymizer rewrites the agents of statements for one partner (see Privacy).
type Pseudonymizer struct {
	level    Privacy
	homePage string
	key      []byte // keyed per partner
}

// NewPseudonymizer returns the transform of level for partner, making accounts on
// homePage (Cairn's base URL). With PrivacyNone, Apply changes nothing.
func (s *Sealer) NewPseudonymizer(level Privacy, partner, homePage string) *Pseudonymizer {
	m := hmac.New(sha256.New, s.pseudoKey)
	m.Write([]byte(partner))
	return &Pseudonymizer{level: level, homePage: homePage, key: m.Sum(nil)}
}

// Changes reports whether Apply rewrites anything.
func (p *Pseudonymizer) Changes() bool { return p != nil && p.level != PrivacyNone }

// Apply rewrites, in place, every Agent and Group of st (xAPI 1.0.3 Data 2.4.2): actor,
// object agents and groups, context instructor and team, authority, group members,
// and the same inside a SubStatement. Each identifier (mbox, mbox_sha1sum, openid,
// account) becomes an account {homePage, name: keyed HMAC of the identifier}, the same
// for the same person and partner and not reversible without the key; names become a
// label from that hash (pseudonymise) or are removed (strip).
func (p *Pseudonymizer) Apply(st map[string]any) {
	if !p.Changes() {
		return
	}
	capture.EachAgentValue(st, p.agent)
	p.agent(st["authority"])
}

func (p *Pseudonymizer) agent(v any) {
	a, ok := v.(map[string]any)
	if !ok {
		return
	}
	if members, ok := a["member"].([]any); ok {
		for _, m := range members {
			p.agent(m)
		}
	}
	key, err := capture.AgentKeyOf(a)
	_, named := a["name"]
	if err != nil { // an anonymous group: only its members identify people
		if named {
			p.rename(a, "")
		}
		return
	}
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(key))
	pseudonym := hex.EncodeToString(m.Sum(nil))[:32]
	for _, ifi := range []string{"mbox", "mbox_sha1sum", "openid", "account"} {
		delete(a, ifi)
	}
	a["account"] = map[string]any{"homePage": p.homePage, "name": pseudonym}
	if named {
		p.rename(a, pseudonym)
	}
}

func (p *Pseudonymizer) rename(a map[string]any, pseudonym string) {
	if p.level == PrivacyStrip || pseudonym == "" {
		delete(a, "name")
		return
	}
	a["name"] = "Person " + pseudonym[:8]
}
