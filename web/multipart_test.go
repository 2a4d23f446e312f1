package web

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

const (
	specBoundary = `abcABC0123'()+_,-./:=?` // the boundary of the xAPI 1.0.3 Communication 1.5.2 example
	specSHA2     = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
)

func TestReadStatementParts(t *testing.T) {
	tests := []struct {
		fixture    string
		boundary   string
		wantErr    string // substring of the client message; "" for success
		wantParts  map[string]string
		wantPrefix string // start of the statements part
	}{
		{"multipart_valid.txt", specBoundary, "", map[string]string{specSHA2: "here is a simple attachment"}, `{"actor"`},
		{"multipart_no_attachments.txt", specBoundary, "", map[string]string{}, `[{"actor"`},
		{"multipart_missing_hash.txt", specBoundary, "part 2 has no X-Experience-API-Hash header", nil, ""},
		{"multipart_base64.txt", specBoundary, `Content-Transfer-Encoding "base64"`, nil, ""},
		{"multipart_hash_mismatch.txt", specBoundary, "does not match its X-Experience-API-Hash", nil, ""},
		{"multipart_first_not_json.txt", specBoundary, "first part must have Content-Type application/json", nil, ""},
		{"multipart_no_leading_boundary.txt", specBoundary, "first part must have Content-Type application/json", nil, ""},
		{"multipart_unterminated.txt", specBoundary, "part 2 does not parse", nil, ""},
		{"multipart_bad_hash_form.txt", specBoundary, "is not a hex SHA-256, SHA-384 or SHA-512 digest", nil, ""},
		{"multipart_valid.txt", "", "needs a boundary parameter", nil, ""},
		{"multipart_valid.txt", "someOtherBoundary", "no part starts with the boundary", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.fixture+"/"+tc.boundary, func(t *testing.T) {
			stmts, parts, err := readStatementParts(tc.boundary, crlf(fixture(t, tc.fixture)))
			if tc.wantErr != "" {
				if capture.ErrorCode(err) != capture.CodeInvalid || !strings.Contains(capture.ErrorMessage(err), tc.wantErr) {
					t.Fatalf("err = %v, want invalid containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !bytes.HasPrefix(stmts, []byte(tc.wantPrefix)) || !json.Valid(stmts) {
				t.Errorf("statements part = %q", stmts)
			}
			if len(parts) != len(tc.wantParts) {
				t.Fatalf("got %d parts, want %d", len(parts), len(tc.wantParts))
			}
			for sha, content := range tc.wantParts {
				p, ok := parts[sha]
				if !ok || string(p.Content) != content || p.SHA2 != sha || p.ContentType != "text/plain" {
					t.Errorf("part %s = %+v", sha, p)
				}
			}
		})
	}
}

func TestReadStatementPartsLongerDigests(t *testing.T) {
	content := []byte("\x00\x01binary\r\n--not-a-boundary\r\n\xff")
	s384 := sha512.Sum384(content)
	s512 := sha512.Sum512(content)
	for _, sha := range []string{hex.EncodeToString(s384[:]), strings.ToUpper(hex.EncodeToString(s512[:]))} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreatePart(map[string][]string{"Content-Type": {"application/json"}})
		w.Write([]byte(`{}`))
		w, _ = mw.CreatePart(map[string][]string{"Content-Type": {"application/octet-stream"}, "X-Experience-API-Hash": {sha}})
		w.Write(content)
		mw.Close()
		_, parts, err := readStatementParts(mw.Boundary(), body.Bytes())
		if err != nil {
			t.Fatalf("sha %d chars: %v", len(sha), err)
		}
		if p := parts[strings.ToLower(sha)]; !bytes.Equal(p.Content, content) || p.ContentType != "application/octet-stream" || p.SHA2 != strings.ToLower(sha) {
			t.Errorf("sha %d chars: part = %+v", len(sha), p)
		}
	}
}

// TestWriteStatementParts checks the response format: a Content-Type whose boundary the
// ADL suite can cut out with split(";")[1].replace(" boundary=", ""), a JSON first part,
// and binary parts with their hashes that read back as a request would.
func TestWriteStatementParts(t *testing.T) {
	doc := []byte(`{"statements":[],"more":""}`)
	atts := []capture.Attachment{
		{SHA2: specSHA2, ContentType: "text/plain", Content: []byte("here is a simple attachment")},
		{SHA2: strings.Repeat("ab", 32), Content: []byte{0, 1, 2}},
	}
	ct, body, err := writeStatementParts(doc, atts)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(ct, ";")
	if len(fields) != 2 || fields[0] != "multipart/mixed" || !strings.HasPrefix(fields[1], " boundary=") {
		t.Fatalf("Content-Type = %q", ct)
	}
	boundary := strings.Replace(fields[1], " boundary=", "", 1)
	if _, params, err := mime.ParseMediaType(ct); err != nil || params["boundary"] != boundary {
		t.Fatalf("boundary %q does not parse back: %v", boundary, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var got []*multipart.Part
	var contents [][]byte
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		got = append(got, p)
		contents = append(contents, b)
	}
	if len(got) != 3 {
		t.Fatalf("%d parts, want 3", len(got))
	}
	if got[0].Header.Get("Content-Type") != "application/json" || !bytes.Equal(contents[0], doc) {
		t.Errorf("first part = %v %q", got[0].Header, contents[0])
	}
	for i, a := range atts {
		h := got[i+1].Header
		wantCT := a.ContentType
		if wantCT == "" {
			wantCT = "application/octet-stream"
		}
		if h.Get("X-Experience-API-Hash") != a.SHA2 || h.Get("Content-Transfer-Encoding") != "binary" || h.Get("Content-Type") != wantCT {
			t.Errorf("part %d headers = %v", i+2, h)
		}
		if !bytes.Equal(contents[i+1], a.Content) {
			t.Errorf("part %d content = %q", i+2, contents[i+1])
		}
	}
	// Read back as a request: the made-up hash of the second attachment fails, the
	// real one of the first passes.
	if _, _, err := readStatementParts(boundary, body); err == nil || !strings.Contains(capture.ErrorMessage(err), "part 3") {
		t.Errorf("read back: err = %v, want a hash failure of part 3", err)
	}
	ct, body, err = writeStatementParts(doc, atts[:1])
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(ct)
	stmts, parts, err := readStatementParts(params["boundary"], body)
	if err != nil || !bytes.Equal(stmts, doc) || string(parts[specSHA2].Content) != "here is a simple attachment" {
		t.Errorf("read back: %v %q %+v", err, stmts, parts)
	}
}
