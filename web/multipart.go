package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
)

// readStatementParts splits a multipart/mixed Statements request (xAPI 1.0.3
// Communication 1.5.2): the first part must be application/json and holds the
// statements; every other part is an attachment that must carry X-Experience-API-Hash
// (the hex SHA-256, SHA-384 or SHA-512 of its content, checked here) and may carry
// Content-Transfer-Encoding, which must then be binary. It returns the statements part
// and the attachments keyed by their lower-case hash. Anything else → CodeInvalid naming
// the problem. Whether the statements use every part is the service's rule.
func readStatementParts(boundary string, body []byte) ([]byte, map[string]capture.Attachment, error) {
	if boundary == "" {
		return nil, nil, capture.Errorf(capture.CodeInvalid, "Content-Type multipart/mixed needs a boundary parameter")
	}
	if len(boundary) > 70 {
		return nil, nil, capture.Errorf(capture.CodeInvalid, "the multipart boundary is longer than 70 characters (RFC 2046)")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	first, err := mr.NextRawPart()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: no part starts with the boundary given in Content-Type")
		}
		return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body does not parse: %v", err)
	}
	if mt, _, err := mime.ParseMediaType(first.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, nil, capture.Errorf(capture.CodeInvalid,
			"multipart body: the first part must have Content-Type application/json and hold the statements, not %q", first.Header.Get("Content-Type"))
	}
	statements, err := io.ReadAll(first)
	if err != nil {
		return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: part 1 does not parse: %v", err)
	}
	parts := map[string]capture.Attachment{}
	for n := 2; ; n++ {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: part %d does not parse: %v", n, err)
		}
		sha := strings.TrimSpace(p.Header.Get(headerHash))
		if sha == "" {
			return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: part %d has no %s header", n, headerHash)
		}
		if cte := strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")); cte != "" && !strings.EqualFold(cte, "binary") {
			return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: part %d has Content-Transfer-Encoding %q; attachments must be binary", n, cte)
		}
		h := sha2For(sha)
		if h == nil {
			return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: part %d: %s %q is not a hex SHA-256, SHA-384 or SHA-512 digest", n, headerHash, sha)
		}
		content, err := io.ReadAll(io.TeeReader(p, h))
		if err != nil {
			return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: part %d does not parse: %v", n, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, sha) {
			return nil, nil, capture.Errorf(capture.CodeInvalid, "multipart body: part %d: its content does not match its %s %s", n, headerHash, sha)
		}
		ct := strings.TrimSpace(p.Header.Get("Content-Type"))
		if ct == "" {
			ct = "application/octet-stream"
		}
		sha = strings.ToLower(sha)
		parts[sha] = capture.Attachment{SHA2: sha, ContentType: ct, Content: content}
	}
	return statements, parts, nil
}

// sha2For returns the SHA-2 hash whose hex digest has the length of sha, or nil when sha
// is not hex of a SHA-256, SHA-384 or SHA-512 length.
func sha2For(sha string) hash.Hash {
	if _, err := hex.DecodeString(sha); err != nil {
		return nil
	}
	switch len(sha) {
	case 64:
		return sha256.New()
	case 96:
		return sha512.New384()
	case 128:
		return sha512.New()
	}
	return nil
}

// writeStatementParts renders a Statements response in the multipart format (xAPI
// 1.0.3 Communication 1.5.2, 2.1.3 attachments=true): first the JSON document, then one
// binary part per attachment with its Content-Type and X-Experience-API-Hash. It returns
// the Content-Type (with an unquoted hex boundary) and the body.
func writeStatementParts(document []byte, attachments []capture.Attachment) (string, []byte, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", nil, capture.Internal(err, "cannot make a multipart boundary")
	}
	boundary := hex.EncodeToString(nonce[:])
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		return "", nil, capture.Internal(err, "cannot make a multipart boundary")
	}
	part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	if err != nil {
		return "", nil, capture.Internal(err, "cannot write a multipart response")
	}
	if _, err := part.Write(document); err != nil {
		return "", nil, capture.Internal(err, "cannot write a multipart response")
	}
	for _, a := range attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct},
			"Content-Transfer-Encoding": {"binary"},
			headerHash:                  {a.SHA2},
		})
		if err != nil {
			return "", nil, capture.Internal(err, "cannot write a multipart response")
		}
		if _, err := part.Write(a.Content); err != nil {
			return "", nil, capture.Internal(err, "cannot write a multipart response")
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, capture.Internal(err, "cannot write a multipart response")
	}
	return fmt.Sprintf("multipart/mixed; boundary=%s", boundary), buf.Bytes(), nil
}
