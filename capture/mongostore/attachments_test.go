package mongostore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/cairn-lrs/cairn/capture"
)

func attachmentOf(content []byte) capture.Attachment {
	sum := sha256.Sum256(content)
	return capture.Attachment{SHA2: hex.EncodeToString(sum[:]), ContentType: "application/octet-stream", Content: content}
}

func TestAttachmentChunks(t *testing.T) {
	big := make([]byte, 17<<20) // above MongoDB's 16 MiB document limit
	for i := range big {
		big[i] = byte(i * 7)
	}
	cases := []struct {
		name    string
		chunk   int
		content []byte
	}{
		{"empty", 4, []byte{}},
		{"shorter than a chunk", 4, []byte("abc")},
		{"exactly one chunk", 4, []byte("abcd")},
		{"several chunks and a tail", 4, []byte("abcdefghijk")},
		{"larger than a document", 4 << 20, big},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.chunk = c.chunk
			s, _ := openFresh(t, cfg)
			a := attachmentOf(c.content)
			for n := range 2 { // the repeat sha2 is a no-op
				if err := s.InsertStatements(t.Context(), capture.InsertBatch{
					Statements:  []capture.StatementRecord{record(n + 1)},
					Attachments: []capture.Attachment{a},
				}); err != nil {
					t.Fatalf("InsertStatements %d: %v", n+1, err)
				}
			}
			got, err := s.Attachments(t.Context(), []string{a.SHA2, "unknown"})
			if err != nil {
				t.Fatalf("Attachments: %v", err)
			}
			g, ok := got[a.SHA2]
			if len(got) != 1 || !ok || g.ContentType != a.ContentType || !bytes.Equal(g.Content, a.Content) {
				t.Errorf("Attachments = %d entries, %s: %q, %d bytes; want %q, %d bytes", len(got), a.SHA2, g.ContentType, len(g.Content), a.ContentType, len(a.Content))
			}
			want := max(1, (len(c.content)+c.chunk-1)/c.chunk)
			if n, err := s.chunks.CountDocuments(t.Context(), in("sha2", []string{a.SHA2})); err != nil || n != int64(want) {
				t.Errorf("chunks = %d, %v; want %d", n, err, want)
			}
		})
	}
}

func TestAttachmentIncompleteIsAnError(t *testing.T) {
	cfg := defaultConfig()
	cfg.chunk = 2
	s, _ := openFresh(t, cfg)
	a := attachmentOf([]byte("abcdef"))
	if err := s.putAttachment(t.Context(), a); err != nil {
		t.Fatalf("putAttachment: %v", err)
	}
	if _, err := s.chunks.DeleteOne(t.Context(), in("_id", []string{a.SHA2 + "#1"})); err != nil {
		t.Fatalf("delete chunk: %v", err)
	}
	_, err := s.Attachments(t.Context(), []string{a.SHA2})
	if capture.ErrorCode(err) != capture.CodeInternal {
		t.Errorf("Attachments with a chunk missing: %v; want CodeInternal", err)
	}
}
