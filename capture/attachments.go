package capture

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"sort"
	"strconv"
	"strings"
)

// attachmentList returns the attachment objects declared by a statement: its own and
// those of a SubStatement object.
func attachmentList(s Statement) []map[string]any {
	var out []map[string]any
	collect := func(m map[string]any) {
		arr, _ := m["attachments"].([]any)
		for _, e := range arr {
			if a, ok := e.(map[string]any); ok {
				out = append(out, a)
			}
		}
	}
	collect(map[string]any(s))
	if obj, ok := s["object"].(map[string]any); ok && objectTypeOf(obj) == objectTypeSubStatement {
		collect(obj)
	}
	return out
}

// AttachmentSHA2s returns the sha2 of every attachment declared in s (its own and a
// SubStatement's), lower-cased, deduplicated, in order of declaration.
func AttachmentSHA2s(s Statement) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range attachmentList(s) {
		sha, ok := a["sha2"].(string)
		if !ok || sha == "" {
			continue
		}
		sha = strings.ToLower(sha)
		if !seen[sha] {
			seen[sha] = true
			out = append(out, sha)
		}
	}
	return out
}

// ValidateAttachmentParts checks the attachment parts of one write request against its
// statements (xAPI 1.0.3 Data 2.4.11, 2.6; Communication 1.5.2), which have passed
// ValidateStatement. parts are keyed by sha2 (any case). It returns CodeInvalid when:
// an attachment without fileUrl has no part with its sha2; a part's content does not
// hash to its sha2; a part is declared by no statement; or a signature attachment
// (usageType http://adlnet.gov/expapi/attachments/signature) has no part, has a
// contentType other than application/octet-stream, or its part is not a JWS compact
// serialisation with alg RS256, RS384 or RS512 whose payload is a statement logically
// equivalent (StatementHash, attachments aside) to the one carrying it and, when the
// JWS header has an x5c certificate chain, whose signature verifies with the first
// certificate's RSA key.
func ValidateAttachmentParts(stmts []Statement, parts map[string]Attachment) error {
	byHash := make(map[string]Attachment, len(parts))
	for k, p := range parts {
		byHash[strings.ToLower(k)] = p
	}
	for _, k := range sortedKeys(byHash) {
		if rule := checkPartContent(k, byHash[k].Content); rule != "" {
			return Errorf(CodeInvalid, "attachment part %s: %s", k, rule)
		}
	}
	used := map[string]bool{}
	for i, s := range stmts {
		for j, a := range attachmentList(s) {
			sha, _ := a["sha2"].(string)
			sha = strings.ToLower(sha)
			used[sha] = true
			part, hasPart := byHash[sha]
			_, hasURL := a["fileUrl"]
			path := "statement " + strconv.Itoa(i) + " attachment " + strconv.Itoa(j)
			if a["usageType"] == UsageTypeSignature {
				if !hasPart {
					return Errorf(CodeInvalid, "%s: a signature needs its JWS as a part with sha2 %s", path, sha)
				}
				if ct, _ := a["contentType"].(string); !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), signatureContentType) {
					return Errorf(CodeInvalid, "%s: a signature must have contentType application/octet-stream", path)
				}
				if err := verifySignature(s, part.Content); err != nil {
					return Errorf(CodeInvalid, "%s: signature: %s", path, err.Error())
				}
				continue
			}
			if !hasPart && !hasURL {
				return Errorf(CodeInvalid, "%s: no part with sha2 %s and no fileUrl", path, sha)
			}
		}
	}
	for _, k := range sortedKeys(byHash) {
		if !used[k] {
			return Errorf(CodeInvalid, "attachment part %s: not declared by any statement", k)
		}
	}
	return nil
}

func sortedKeys(m map[string]Attachment) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkPartContent checks that content hashes to the hex SHA-2 digest sha (the
// variant chosen by the digest length).
func checkPartContent(sha string, content []byte) string {
	var h hash.Hash
	switch len(sha) {
	case 56:
		h = sha256.New224()
	case 64:
		h = sha256.New()
	case 96:
		h = sha512.New384()
	case 128:
		h = sha512.New()
	default:
		return "X-Experience-API-Hash must be a hex SHA-2 digest"
	}
	h.Write(content)
	if hex.EncodeToString(h.Sum(nil)) != sha {
		return "content does not match its sha2"
	}
	return ""
}

// jwsHeader is the part of a JWS protected header that the LRS reads (RFC 7515 4.1).
type jwsHeader struct {
	Alg string   `json:"alg"`
	X5c []string `json:"x5c"`
}

// verifySignature checks a JWS compact serialisation (RFC 7515 7.1) signing s
// (xAPI 1.0.3 Data 2.6.s5).
func verifySignature(s Statement, jws []byte) error {
	fields := strings.Split(strings.TrimSpace(string(jws)), ".")
	if len(fields) != 3 {
		return errText("not a JWS compact serialisation")
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(fields[0])
	if err != nil {
		return errText("header is not base64url")
	}
	payloadJSON, err := base64.RawURLEncoding.DecodeString(fields[1])
	if err != nil {
		return errText("payload is not base64url")
	}
	sig, err := base64.RawURLEncoding.DecodeString(fields[2])
	if err != nil {
		return errText("signature is not base64url")
	}
	hv, err := decodeJSONTree(headerJSON)
	if err != nil {
		return errText("header is not JSON")
	}
	if _, ok := hv.(map[string]any); !ok {
		return errText("header is not a JSON object")
	}
	var hdr jwsHeader
	if err := json.Unmarshal(headerJSON, &hdr); err != nil {
		return errText("header is malformed")
	}
	var hashFn crypto.Hash
	switch hdr.Alg {
	case "RS256":
		hashFn = crypto.SHA256
	case "RS384":
		hashFn = crypto.SHA384
	case "RS512":
		hashFn = crypto.SHA512
	default:
		return errText("alg must be RS256, RS384 or RS512")
	}
	pv, err := decodeJSONTree(payloadJSON)
	if err != nil {
		return errText("payload is not a JSON statement")
	}
	signed, ok := pv.(map[string]any)
	if !ok {
		return errText("payload is not a JSON statement")
	}
	if !sameStatementIgnoringAttachments(Statement(signed), s) {
		return errText("the signed statement differs from the statement")
	}
	if len(hdr.X5c) == 0 {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(hdr.X5c[0])
	if err != nil {
		return errText("x5c certificate is not base64")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return errText("x5c certificate is not an X.509 certificate")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errText("x5c certificate does not hold an RSA key")
	}
	h := hashFn.New()
	h.Write([]byte(fields[0] + "." + fields[1]))
	if err := rsa.VerifyPKCS1v15(pub, hashFn, h.Sum(nil), sig); err != nil {
		return errText("does not verify with the x5c certificate")
	}
	return nil
}

// sameStatementIgnoringAttachments compares two statements by StatementHash with the
// attachments property left out of both.
func sameStatementIgnoringAttachments(a, b Statement) bool {
	strip := func(s Statement) Statement {
		c, _ := deepCopy(map[string]any(s)).(map[string]any)
		delete(c, "attachments")
		return Statement(c)
	}
	return StatementHash(strip(a)) == StatementHash(strip(b))
}

type errText string

func (e errText) Error() string { return string(e) }
