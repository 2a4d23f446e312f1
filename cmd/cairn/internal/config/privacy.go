package config

import "flag"

// FlagPseudonymKey names the secret that keys pseudonymised exports and the person
// hash of erasure records.
const FlagPseudonymKey = "pseudonym-key"

func pseudonymKeySetting() Setting {
	return Setting{Flag: FlagPseudonymKey, Env: "CAIRN_PSEUDONYM_KEY", Meta: "SECRET", Secret: true, DefaultDoc: "the partner key",
		Usage: "secret (16+ characters) that keys pseudonymised exports and the person hash in erasure records; changing it changes every pseudonym"}
}

// PseudonymKeyOf returns the key pseudonyms use: pseudonym when set, else partner
// ("" when neither is configured).
func PseudonymKeyOf(pseudonym, partner string) string {
	if pseudonym != "" {
		return pseudonym
	}
	return partner
}

// PeopleSettings are the settings of the people commands: the partner settings (to
// tell partners of an erasure) and the pseudonym key.
func PeopleSettings() []Setting {
	return append([]Setting{pseudonymKeySetting()}, PartnerSettings()...)
}

// People is the validated configuration of the people commands.
type People struct {
	Partners
	PseudonymKey string // PseudonymKeyOf the two keys; "" when neither is set
}

// BindPeople registers the flags of the people commands on fs. After fs.Parse, the
// returned function resolves and validates them.
func BindPeople(fs *flag.FlagSet) func(Env) (People, error) {
	b := Bind(fs, PeopleSettings()...)
	return func(env Env) (People, error) {
		values, err := b.Resolve(env)
		if err != nil {
			return People{}, err
		}
		var p parser
		out := People{Partners: Partners{Common: p.common(values), PartnerKey: parse(&p, values[FlagPartnerKey], ParsePartnerKey)}}
		out.BaseURL = parse(&p, values[FlagBaseURL], ParseBaseURL)
		out.PseudonymKey = PseudonymKeyOf(parse(&p, values[FlagPseudonymKey], ParsePartnerKey), out.PartnerKey)
		return out, p.err()
	}
}

// ExportSettings are the settings of `cairn statements export`: the common ones and
// the keys of pseudonymised exports.
func ExportSettings() []Setting {
	return append([]Setting{pseudonymKeySetting(), partnerKeySetting(),
		{Flag: FlagBaseURL, Env: "CAIRN_BASE_URL", Meta: "URL", Default: "http://" + DefaultAddr,
			Usage: "public URL of this instance; the homePage of pseudonymous accounts"}}, CommonSettings()...)
}

// Export is the validated configuration of `cairn statements export`.
type Export struct {
	Common
	PseudonymKey string // "" when no key is configured
	BaseURL      string
}

// BindExport registers the flags of `cairn statements export` on fs.
func BindExport(fs *flag.FlagSet) func(Env) (Export, error) {
	b := Bind(fs, ExportSettings()...)
	return func(env Env) (Export, error) {
		values, err := b.Resolve(env)
		if err != nil {
			return Export{}, err
		}
		var p parser
		out := Export{Common: p.common(values)}
		out.PseudonymKey = PseudonymKeyOf(parse(&p, values[FlagPseudonymKey], ParsePartnerKey), parse(&p, values[FlagPartnerKey], ParsePartnerKey))
		out.BaseURL = parse(&p, values[FlagBaseURL], ParseBaseURL)
		return out, p.err()
	}
}
