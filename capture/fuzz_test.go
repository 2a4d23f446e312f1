package capture

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// FuzzValidateStatement checks that decoding, validation, keys, hashing and the output
// formats never panic on any body, and that a statement that validates re-marshals
// into one that validates again with the same hash and keys. Seeds are the fixtures.
func FuzzValidateStatement(f *testing.F) {
	for _, file := range fixtureFiles(f, "valid") {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, file := range fixtureFiles(f, "invalid") {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var fx invalidFixture
		if err := json.Unmarshal(b, &fx); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(fx.Statement))
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		stmts, _, err := DecodeStatements(body)
		if err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("decode error code %q", ErrorCode(err))
			}
			return
		}
		for _, s := range stmts {
			verr := ValidateStatement(s)
			hash := StatementHash(s)
			if ref := referenceStatementHash(s); hash != ref {
				t.Fatalf("StatementHash %s differs from the reference %s", hash, ref)
			}
			keys := MatchKeys(s)
			RefTarget(s)
			VoidTarget(s)
			AttachmentSHA2s(s)
			ActivityDefinitions(s)
			StatementIDsOnly(s)
			StatementCanonical(s, []string{"en-US", "*"}, nil)
			if verr != nil {
				if ErrorCode(verr) != CodeInvalid {
					t.Fatalf("validation error code %q", ErrorCode(verr))
				}
				continue
			}
			raw, err := json.Marshal(s)
			if err != nil {
				t.Fatalf("valid statement does not marshal: %v", err)
			}
			again, _, err := DecodeStatements(raw)
			if err != nil || len(again) != 1 {
				t.Fatalf("re-decode: %v", err)
			}
			if err := ValidateStatement(again[0]); err != nil {
				t.Fatalf("re-validate %s: %v", raw, err)
			}
			if StatementHash(again[0]) != hash {
				t.Fatalf("hash changed after round trip: %s", raw)
			}
			if !slices.Equal(MatchKeys(again[0]), keys) {
				t.Fatalf("keys changed after round trip: %s", raw)
			}
		}
	})
}
