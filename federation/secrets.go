package federation

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"

	"github.com/cairn-lrs/cairn/capture"
)

// MinKeyLength is the shortest partner key accepted.
const MinKeyLength = 16

// Sealer encrypts partner credentials at rest with AES-256-GCM and keys the pseudonyms
// of the privacy transforms. Both keys derive from one configured secret (SHA-256 with
// distinct labels), so changing the secret makes stored credentials unreadable and
// every pseudonym new.
type Sealer struct {
	aead      cipher.AEAD
	pseudoKey []byte
}

// NewSealer returns a Sealer for secret; CodeInvalid when it is shorter than MinKeyLength.
func NewSealer(secret string) (*Sealer, error) {
	if len(secret) < MinKeyLength {
		return nil, capture.Errorf(capture.CodeInvalid, "partner key: must be at least %d characters", MinKeyLength)
	}
	k := derive(secret, "cairn partner credentials v1")
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, capture.Internal(err, "partner key")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, capture.Internal(err, "partner key")
	}
	return &Sealer{aead: aead, pseudoKey: derive(secret, "cairn pseudonyms v1")}, nil
}

func derive(secret, label string) []byte {
	m := hmac.New(sha256.New, []byte(label))
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// Seal encrypts a's JSON with a fresh nonce, bound to the partner name.
func (s *Sealer) Seal(name string, a Auth) ([]byte, error) {
	plain, err := json.Marshal(a)
	if err != nil {
		return nil, capture.Internal(err, "seal credentials")
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, capture.Internal(err, "seal credentials")
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(name)), nil
}

// Open decrypts what Seal returned for name; CodeInternal (saying the key is wrong)
// when it cannot.
func (s *Sealer) Open(name string, sealed []byte) (Auth, error) {
	var a Auth
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return a, capture.Internal(errors.New("short ciphertext"), "partner "+name+": stored credentials are damaged")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(name))
	if err != nil {
		return a, capture.Internal(err, "partner "+name+": cannot decrypt the stored credentials; is the partner key the one they were saved with?")
	}
	if err := json.Unmarshal(plain, &a); err != nil {
		return a, capture.Internal(err, "partner "+name+": stored credentials are damaged")
	}
	return a, nil
}
