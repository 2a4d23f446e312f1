package federation_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/federation"
)

// postWithAttachment writes statement n carrying content as an attachment
// (multipart/mixed, xAPI 1.0.3 Data 2.4.11) and returns the content's sha2.
func postWithAttachment(t *testing.T, in *instance, n int, content string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(content))
	sha := hex.EncodeToString(sum[:])
	st := fmt.Sprintf(`{"id":%q,"actor":{"mbox":"mailto:p%d@example.org"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},
		"object":{"id":"https://example.com/doc/%d"},
		"attachments":[{"usageType":"http://example.com/usage/notes","display":{"en-US":"notes"},"contentType":"text/plain","length":%d,"sha2":%q}]}`,
		sid(n), n, n, len(content), sha)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	p, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	p.Write([]byte(st))
	p, _ = w.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain"}, "Content-Transfer-Encoding": {"binary"}, "X-Experience-API-Hash": {sha}})
	p.Write([]byte(content))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, in.url+"/xapi/statements", &body)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "multipart/mixed; boundary="+w.Boundary())
	req.SetBasicAuth(in.key, in.sec)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("multipart POST: %d %s", resp.StatusCode, b)
	}
	return sha
}

// Attachments travel with their statements, pushed (multipart/mixed POST) and pulled
// (attachments=true, multipart/mixed answer).
func TestAttachmentsTravel(t *testing.T) {
	a, b, c := newInstance(t, "a"), newInstance(t, "b"), newInstance(t, "c")
	a.post(t, batchOf(1, 2))
	sha := postWithAttachment(t, a, 3, "meeting notes, pushed")
	a.post(t, batchOf(4))
	a.addPartner(t, federation.Partner{Name: "b", Endpoint: b.url + "/xapi", Batch: 10}, b)
	a.startManager(t, "h1", nil)
	waitFor(t, "push caught up", 10*time.Second, func() bool { return a.caughtUp(t, "b") })
	assertSame(t, a, b, sids([]int{1, 2, 3, 4}))
	got, err := b.store.Attachments(t.Context(), []string{sha})
	if err != nil || string(got[sha].Content) != "meeting notes, pushed" || got[sha].ContentType != "text/plain" {
		t.Fatalf("pushed attachment at b: %+v %v", got, err)
	}

	sha2 := postWithAttachment(t, b, 10, "slides, pulled")
	c.addPartner(t, federation.Partner{Name: "b", Endpoint: b.url + "/xapi", Direction: federation.Pull, Batch: 2}, b)
	m := c.startManager(t, "h2", nil)
	if res, err := m.Pull(t.Context(), "b"); err != nil || res.Stored != 5 {
		t.Fatalf("pull: %+v %v", res, err)
	}
	got, err = c.store.Attachments(t.Context(), []string{sha, sha2})
	if err != nil || string(got[sha].Content) != "meeting notes, pushed" || string(got[sha2].Content) != "slides, pulled" {
		t.Fatalf("pulled attachments at c: %+v %v", got, err)
	}
}
