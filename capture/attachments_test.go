package capture

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

const attachmentBase = `{"id":"7a1f3c2e-9b4d-4e8f-a1b2-c3d4e5f60718",
  "actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/shared"},
  "object":{"id":"http://example.org/a"}}`

// withAttachments returns attachmentBase carrying the given attachment objects.
func withAttachments(t *testing.T, atts ...map[string]any) Statement {
	t.Helper()
	s := decodeOne(t, []byte(attachmentBase))
	arr := make([]any, len(atts))
	for i, a := range atts {
		arr[i] = a
	}
	s["attachments"] = arr
	return s
}

func att(sha string, fileURL bool) map[string]any {
	a := map[string]any{"usageType": "http://example.org/use", "display": map[string]any{"en-US": "x"},
		"contentType": "text/plain", "length": json.Number("5"), "sha2": sha}
	if fileURL {
		a["fileUrl"] = "http://example.org/file"
	}
	return a
}

func TestValidateAttachmentParts(t *testing.T) {
	one, two := []byte("hello"), []byte("world!")
	h1, h2 := sha256Hex(one), sha256Hex(two)
	p1 := Attachment{SHA2: h1, ContentType: "text/plain", Content: one}
	p2 := Attachment{SHA2: h2, ContentType: "text/plain", Content: two}
	sub := decodeOne(t, []byte(`{"actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.org/v"},
	  "object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@example.org"},"verb":{"id":"http://example.org/v"},
	    "object":{"id":"http://example.org/a"},"attachments":[{"usageType":"http://example.org/use","display":{"en":"x"},
	    "contentType":"text/plain","length":6,"sha2":"`+h2+`"}]}}`))
	tests := []struct {
		name    string
		stmts   []Statement
		parts   map[string]Attachment
		wantErr string
	}{
		{"no attachments", []Statement{withAttachments(t)}, nil, ""},
		{"fileUrl only", []Statement{withAttachments(t, att(h1, true))}, nil, ""},
		{"fileUrl and part", []Statement{withAttachments(t, att(h1, true))}, map[string]Attachment{h1: p1}, ""},
		{"parts for all", []Statement{withAttachments(t, att(h1, false)), withAttachments(t, att(h2, false))},
			map[string]Attachment{h1: p1, h2: p2}, ""},
		{"one part shared by two statements", []Statement{withAttachments(t, att(h1, false)), withAttachments(t, att(strings.ToUpper(h1), false))},
			map[string]Attachment{strings.ToUpper(h1): p1}, ""},
		{"substatement attachment", []Statement{sub}, map[string]Attachment{h2: p2}, ""},
		{"missing part", []Statement{withAttachments(t, att(h1, false), att(h2, false))}, map[string]Attachment{h1: p1},
			"statement 0 attachment 1: no part with sha2 " + h2},
		{"substatement missing part", []Statement{sub}, nil, "no part with sha2"},
		{"excess part", []Statement{withAttachments(t, att(h1, false))}, map[string]Attachment{h1: p1, h2: p2},
			"attachment part " + h2 + ": not declared by any statement"},
		{"part for no statement", []Statement{withAttachments(t)}, map[string]Attachment{h1: p1}, "not declared by any statement"},
		{"content does not match", []Statement{withAttachments(t, att(h1, false))}, map[string]Attachment{h1: p2},
			"content does not match its sha2"},
		{"hash header not a digest", []Statement{withAttachments(t)}, map[string]Attachment{"abc": p1}, "must be a hex SHA-2 digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.stmts {
				if err := ValidateStatement(s); err != nil {
					t.Fatalf("fixture statement invalid: %v", err)
				}
			}
			err := ValidateAttachmentParts(tt.stmts, tt.parts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), tt.wantErr) {
				t.Fatalf("error %v, want invalid containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateAttachmentPartsSHA2Variants(t *testing.T) {
	content := []byte("variant")
	s224 := sha256.Sum224(content)
	s384 := sha512.Sum384(content)
	s512 := sha512.Sum512(content)
	for _, sha := range []string{hex.EncodeToString(s224[:]), hex.EncodeToString(s384[:]), hex.EncodeToString(s512[:])} {
		s := withAttachments(t, att(sha, false))
		if err := ValidateStatement(s); err != nil {
			t.Fatal(err)
		}
		if err := ValidateAttachmentParts([]Statement{s}, map[string]Attachment{sha: {SHA2: sha, Content: content}}); err != nil {
			t.Errorf("sha2 of length %d: %v", len(sha), err)
		}
	}
}

func TestAttachmentSHA2s(t *testing.T) {
	a, b := sha256Hex([]byte("a")), sha256Hex([]byte("b"))
	s := withAttachments(t, att(strings.ToUpper(a), false), att(b, true), att(a, true))
	if got := AttachmentSHA2s(s); !slices.Equal(got, []string{a, b}) {
		t.Errorf("AttachmentSHA2s = %q", got)
	}
	if got := AttachmentSHA2s(withAttachments(t)); len(got) != 0 {
		t.Errorf("no attachments: %q", got)
	}
}

// signer makes JWS compact serialisations over statements for the signature tests.
type signer struct {
	key  *rsa.PrivateKey
	cert []byte // DER
}

func newSigner(t *testing.T) signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cairn test signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: key, cert: der}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (sg signer) sign(t *testing.T, header map[string]any, payload []byte) []byte {
	t.Helper()
	hj, _ := json.Marshal(header)
	input := b64(hj) + "." + b64(payload)
	var sig []byte
	switch header["alg"] {
	case "HS256":
		mac := hmac.New(sha256.New, []byte("secret"))
		mac.Write([]byte(input))
		sig = mac.Sum(nil)
	default:
		h, ok := map[any]crypto.Hash{"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512}[header["alg"]]
		if !ok {
			h = crypto.SHA256
		}
		d := h.New()
		d.Write([]byte(input))
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, sg.key, h, d.Sum(nil)); err != nil {
			t.Fatal(err)
		}
	}
	return []byte(input + "." + b64(sig))
}

// signedRequest returns the statement carrying a signature attachment for jws and its part.
func signedRequest(t *testing.T, base Statement, jws []byte, contentType string) ([]Statement, map[string]Attachment) {
	t.Helper()
	s, _ := deepCopy(map[string]any(base)).(map[string]any)
	sha := sha256Hex(jws)
	s["attachments"] = []any{map[string]any{"usageType": UsageTypeSignature, "display": map[string]any{"en-US": "Signature"},
		"contentType": contentType, "length": json.Number("1"), "sha2": sha}}
	return []Statement{Statement(s)}, map[string]Attachment{sha: {SHA2: sha, ContentType: contentType, Content: jws}}
}

func TestSignedStatements(t *testing.T) {
	sg := newSigner(t)
	other := newSigner(t)
	base := decodeOne(t, []byte(attachmentBase))
	payload, _ := json.Marshal(base)
	x5c := []string{base64.StdEncoding.EncodeToString(sg.cert)}
	reordered := []byte(`{"verb":{"id":"http://adlnet.gov/expapi/verbs/shared"},"object":{"id":"http://example.org/a"},
	  "actor":{"mbox":"mailto:a@example.org"},"id":"7A1F3C2E-9B4D-4E8F-A1B2-C3D4E5F60718"}`)
	changed := []byte(`{"actor":{"mbox":"mailto:mallory@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/shared"},
	  "object":{"id":"http://example.org/a"}}`)
	tests := []struct {
		name        string
		jws         []byte
		contentType string
		wantErr     string
	}{
		{"RS256 no x5c", sg.sign(t, map[string]any{"alg": "RS256"}, payload), signatureContentType, ""},
		{"RS384 with x5c", sg.sign(t, map[string]any{"alg": "RS384", "x5c": x5c}, payload), signatureContentType, ""},
		{"RS512 with x5c", sg.sign(t, map[string]any{"alg": "RS512", "x5c": x5c}, payload), signatureContentType, ""},
		{"equivalent payload", sg.sign(t, map[string]any{"alg": "RS256", "x5c": x5c}, reordered), signatureContentType, ""},
		{"HS256", sg.sign(t, map[string]any{"alg": "HS256"}, payload), signatureContentType, "alg must be RS256, RS384 or RS512"},
		{"no alg", sg.sign(t, map[string]any{"typ": "JWT"}, payload), signatureContentType, "alg must be"},
		{"payload not JSON", sg.sign(t, map[string]any{"alg": "RS256"}, []byte(strings.Replace(string(payload), `"`, `'`, 1))),
			signatureContentType, "payload is not a JSON statement"},
		{"payload differs", sg.sign(t, map[string]any{"alg": "RS256"}, changed), signatureContentType, "differs from the statement"},
		{"wrong certificate", sg.sign(t, map[string]any{"alg": "RS256", "x5c": []string{base64.StdEncoding.EncodeToString(other.cert)}}, payload),
			signatureContentType, "does not verify"},
		{"bad x5c", sg.sign(t, map[string]any{"alg": "RS256", "x5c": []string{"bm90IGEgY2VydA=="}}, payload),
			signatureContentType, "not an X.509 certificate"},
		{"not compact", []byte("only.two"), signatureContentType, "not a JWS compact serialisation"},
		{"header not base64", []byte("!!!." + b64(payload) + ".c2ln"), signatureContentType, "header is not base64url"},
		{"wrong content type", sg.sign(t, map[string]any{"alg": "RS256"}, payload), "text/plain; charset=ascii", "contentType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts, parts := signedRequest(t, base, tt.jws, tt.contentType)
			err := ValidateStatement(stmts[0])
			if err == nil {
				err = ValidateAttachmentParts(stmts, parts)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), tt.wantErr) {
				t.Fatalf("error %v, want invalid containing %q", err, tt.wantErr)
			}
		})
	}
	// A signature attachment needs its part even with a fileUrl.
	stmts, _ := signedRequest(t, base, sg.sign(t, map[string]any{"alg": "RS256"}, payload), signatureContentType)
	stmts[0]["attachments"].([]any)[0].(map[string]any)["fileUrl"] = "http://example.org/sig"
	if err := ValidateAttachmentParts(stmts, nil); err == nil || !strings.Contains(ErrorMessage(err), "a signature needs its JWS") {
		t.Errorf("signature without part: %v", err)
	}
}
