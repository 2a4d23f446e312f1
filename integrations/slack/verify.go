package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// SignatureWindow is how far a request's timestamp may be from now, either way, for it
// to be accepted (https://api.slack.com/authentication/verifying-requests-from-slack).
const SignatureWindow = 5 * time.Minute

// maxSeen bounds the replay cache; beyond it, requests are refused until old entries
// expire (a flood of validly signed requests cannot grow memory without bound).
const maxSeen = 100_000

// Verifier checks Slack's v0 request signatures: HMAC-SHA256 of "v0:timestamp:body"
// under the signing secret, compared in constant time, within SignatureWindow, each
// signature accepted once (a replay within the window is refused). Safe for concurrent use.
type Verifier struct {
	secret []byte
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // accepted signature → its request time
}

// NewVerifier returns a Verifier for the app's signing secret; now nil means time.Now.
func NewVerifier(signingSecret string, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{secret: []byte(signingSecret), now: now, seen: map[string]time.Time{}}
}

var errUnsigned = capture.Errorf(capture.CodeUnauthorized, "the request is not signed by Slack")

// Verify checks the X-Slack-Request-Timestamp and X-Slack-Signature headers against the
// raw body. Missing or malformed headers, a wrong signature, a timestamp outside the
// window or a signature already accepted → CodeUnauthorized. A repeat call with the same
// request is refused as a replay.
func (v *Verifier) Verify(timestamp, signature string, body []byte) error {
	if timestamp == "" || signature == "" {
		return errUnsigned
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return capture.Errorf(capture.CodeUnauthorized, "X-Slack-Request-Timestamp is not a Unix time")
	}
	hexSig, ok := strings.CutPrefix(signature, "v0=")
	if !ok {
		return capture.Errorf(capture.CodeUnauthorized, "X-Slack-Signature is not a v0 signature")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return capture.Errorf(capture.CodeUnauthorized, "X-Slack-Signature is not a v0 signature")
	}
	now := v.now()
	at := time.Unix(secs, 0)
	if d := now.Sub(at); d > SignatureWindow || d < -SignatureWindow {
		return capture.Errorf(capture.CodeUnauthorized, "the request timestamp is more than %s away from now", SignatureWindow)
	}
	if !hmac.Equal(got, Sign(v.secret, timestamp, body)) {
		return capture.Errorf(capture.CodeUnauthorized, "the request signature does not match")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	key := string(got) // the MAC itself: hex case variants are the same signature
	if _, dup := v.seen[key]; dup {
		return capture.Errorf(capture.CodeUnauthorized, "the request was already received (replay)")
	}
	if len(v.seen) >= maxSeen/2 {
		for sig, t := range v.seen {
			if now.Sub(t) > SignatureWindow {
				delete(v.seen, sig)
			}
		}
		if len(v.seen) >= maxSeen {
			return capture.Errorf(capture.CodeTooManyRequests, "too many Slack requests in the signature window")
		}
	}
	v.seen[key] = at
	return nil
}

// Sign returns the raw v0 HMAC-SHA256 of timestamp and body under secret.
func Sign(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return mac.Sum(nil)
}

// SignatureHeader returns the X-Slack-Signature value of timestamp and body under secret.
func SignatureHeader(secret, timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(Sign([]byte(secret), timestamp, body))
}
