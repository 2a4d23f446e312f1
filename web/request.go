package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// xapiRequest is one xAPI request as its handler sees it: the Alternate Request Syntax
// undone, and every value copied out of Fiber's reused buffers.
type xapiRequest struct {
	method    string      // GET, HEAD, PUT, POST or DELETE
	params    url.Values  // the resource parameters (query string, or form fields)
	header    http.Header // the headers of requestHeaderNames, from the request or the form
	body      []byte      // the content (nil for GET and HEAD)
	principal capture.Principal
}

// formHeaderNames returns the headers that may travel as form fields in the Alternate
// Request Syntax (xAPI 1.0.3 Communication 1.3.s3.b6).
func formHeaderNames() []string {
	return []string{
		fiber.HeaderAuthorization, headerVersion, fiber.HeaderContentType,
		fiber.HeaderContentLength, fiber.HeaderIfMatch, fiber.HeaderIfNoneMatch,
	}
}

// requestHeaderNames returns the request headers a handler may read.
func requestHeaderNames() []string {
	return []string{
		fiber.HeaderAuthorization, headerVersion, fiber.HeaderContentType,
		fiber.HeaderIfMatch, fiber.HeaderIfNoneMatch, fiber.HeaderAcceptLanguage,
	}
}

// readRequest copies the request out of c. With a method query parameter it applies the
// Alternate Request Syntax (xAPI 1.0.3 Communication 1.3): only POST may use it, the query
// string may hold nothing else, the body must be a form whose header fields override
// the request headers, whose "content" field is the content and whose other fields are
// the parameters. Violations are CodeInvalid.
func readRequest(c *fiber.Ctx, limit int) (*xapiRequest, error) {
	r := &xapiRequest{method: strings.Clone(c.Method()), params: url.Values{}, header: http.Header{}}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		r.params.Add(string(k), string(v))
	})
	for _, name := range requestHeaderNames() {
		if v := c.Get(name); v != "" {
			r.header.Set(name, strings.Clone(v))
		}
	}
	if _, alt := r.params["method"]; alt {
		return alternate(c, r, limit)
	}
	if r.method != fiber.MethodGet && r.method != fiber.MethodHead {
		body, err := requestBody(c, limit)
		if err != nil {
			return nil, err
		}
		r.body = body
	}
	return r, nil
}

// alternate rewrites r, read from a request carrying a method query parameter, into the
// request it stands for (xAPI 1.0.3 Communication 1.3).
func alternate(c *fiber.Ctx, r *xapiRequest, limit int) (*xapiRequest, error) {
	if r.method != fiber.MethodPost {
		return nil, capture.Errorf(capture.CodeInvalid,
			"the method parameter (Alternate Request Syntax) may only be used with POST, not %s", r.method)
	}
	if len(r.params) != 1 || len(r.params["method"]) != 1 {
		return nil, capture.Errorf(capture.CodeInvalid,
			"with the Alternate Request Syntax the query string holds only the method parameter: send the other parameters as form fields")
	}
	target := strings.ToUpper(r.params.Get("method"))
	switch target {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPut, fiber.MethodPost, fiber.MethodDelete:
	default:
		return nil, capture.Errorf(capture.CodeInvalid, "method parameter: %q is not one of GET, PUT, POST, DELETE", r.params.Get("method"))
	}
	mt, _, err := mime.ParseMediaType(r.header.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationForm {
		return nil, capture.Errorf(capture.CodeInvalid,
			"the Alternate Request Syntax needs a body of type application/x-www-form-urlencoded, not %q", r.header.Get(fiber.HeaderContentType))
	}
	raw, err := requestBody(c, limit)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, capture.Errorf(capture.CodeInvalid, "the form body does not parse: %v", err)
	}
	out := &xapiRequest{method: target, params: url.Values{}, header: r.header}
	out.header.Del(fiber.HeaderContentType) // it named the form, not the content
	var content []byte
	hasContent := false
	seen := map[string]int{}
	for k, vs := range form {
		if name, ok := formHeader(k); ok {
			seen[name] += len(vs)
			if seen[name] != 1 {
				return nil, capture.Errorf(capture.CodeInvalid, "form field %s: given %d times", name, seen[name])
			}
			if name != fiber.HeaderContentLength {
				out.header.Set(name, vs[0])
			}
			continue
		}
		if k == "content" {
			if len(vs) != 1 {
				return nil, capture.Errorf(capture.CodeInvalid, "form field content: given %d times", len(vs))
			}
			content, hasContent = []byte(vs[0]), true
			continue
		}
		out.params[k] = vs
	}
	switch target {
	case fiber.MethodPut, fiber.MethodPost:
		if !hasContent {
			return nil, capture.Errorf(capture.CodeInvalid, "with the Alternate Request Syntax a %s sends its content in the form field \"content\"", target)
		}
		out.body = content
		if out.header.Get(fiber.HeaderContentType) == "" {
			// Communication 1.3.s3.b5: the content is a UTF-8 string.
			if json.Valid(content) {
				out.header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			} else {
				out.header.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
			}
		}
	}
	return out, nil
}

// formHeader reports whether a form field name is one of the headers the Alternate
// Request Syntax carries as form fields, and its canonical name.
func formHeader(field string) (string, bool) {
	for _, name := range formHeaderNames() {
		if strings.EqualFold(field, name) {
			return name, true
		}
	}
	return "", false
}

// requestBody returns a copy of the request body, gunzipped when its Content-Encoding is
// gzip. A decoded body over limit → CodeTooLarge; other encodings → CodeUnsupportedMedia.
func requestBody(c *fiber.Ctx, limit int) ([]byte, error) {
	raw := c.BodyRaw()
	switch enc := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentEncoding))); enc {
	case "", "identity":
		return bytes.Clone(raw), nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, capture.Errorf(capture.CodeInvalid, "the body is not valid gzip: %v", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
		if err != nil {
			return nil, capture.Errorf(capture.CodeInvalid, "the body is not valid gzip: %v", err)
		}
		if len(out) > limit {
			return nil, capture.Errorf(capture.CodeTooLarge, "the decompressed body is larger than the limit of %d bytes", limit)
		}
		return out, nil
	default:
		return nil, capture.Errorf(capture.CodeUnsupportedMedia, "Content-Encoding %q is not supported (send gzip or no encoding)", enc)
	}
}

// allowParams checks r's parameters: each at most once, and only the given names
// (xAPI 1.0.3 Communication 3.2.s3.b7–b8: unknown names, or names differing in case,
// are rejected with 400).
func (r *xapiRequest) allowParams(names ...string) error {
	keys := make([]string, 0, len(r.params))
	for k := range r.params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(names, k) {
			if len(names) == 0 {
				return capture.Errorf(capture.CodeInvalid, "parameter %s: this request takes no parameters", k)
			}
			return capture.Errorf(capture.CodeInvalid, "parameter %s: not a parameter of this request (expected %s)", k, strings.Join(names, ", "))
		}
	}
	return r.noRepeats()
}

// noRepeats rejects a parameter given more than once.
func (r *xapiRequest) noRepeats() error {
	for k, vs := range r.params {
		if len(vs) > 1 {
			return capture.Errorf(capture.CodeInvalid, "parameter %s: given %d times", k, len(vs))
		}
	}
	return nil
}

// checkVersion accepts an X-Experience-API-Version of 1.0 or 1.0.x; a missing header or
// any other version → CodeInvalid (xAPI 1.0.3 Communication 3.3.s3).
func checkVersion(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return capture.Errorf(capture.CodeInvalid, "the X-Experience-API-Version header is required (this LRS implements %s)", xapiVersion)
	}
	if v == "1.0" {
		return nil
	}
	if patch, ok := strings.CutPrefix(v, "1.0."); ok && patch != "" && strings.Trim(patch, "0123456789") == "" {
		return nil
	}
	return capture.Errorf(capture.CodeInvalid, "X-Experience-API-Version %q is not supported: send 1.0.x (this LRS implements %s)", v, xapiVersion)
}

// basicCredentials splits an HTTP Basic Authorization header (RFC 7617) into key and
// secret; a missing or malformed header → CodeUnauthorized.
func basicCredentials(header string) (string, string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", "", capture.Errorf(capture.CodeUnauthorized, "authentication required: send HTTP Basic credentials")
	}
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", capture.Errorf(capture.CodeUnauthorized, "the Authorization header must use the Basic scheme")
	}
	rest = strings.TrimSpace(rest)
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
			return "", "", capture.Errorf(capture.CodeUnauthorized, "the Authorization header does not hold base64 credentials")
		}
	}
	key, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", capture.Errorf(capture.CodeUnauthorized, "the Authorization header does not hold key:secret credentials")
	}
	return key, secret, nil
}

// authenticate checks an Authorization header with the credential service.
func (s *server) authenticate(ctx context.Context, header string) (capture.Principal, error) {
	key, secret, err := basicCredentials(header)
	if err != nil {
		return capture.Principal{}, err
	}
	if s.cfg.Credentials == nil {
		return capture.Principal{}, capture.Internal(errors.New("no credential service configured"), "internal error")
	}
	return s.cfg.Credentials.Authenticate(ctx, key, secret)
}

// isUUID reports whether s is a UUID in its 36-character form (xAPI 1.0.3 Data 4.4).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// isIRI reports whether s is an absolute IRI: it parses and names a scheme.
func isIRI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Opaque != "" || u.Host != "" || u.Path != "")
}

// parseBool reads an xAPI Boolean parameter ("true" or "false"); absent is false.
func parseBool(params url.Values, name string) (bool, error) {
	v, ok := params[name]
	if !ok {
		return false, nil
	}
	switch v[0] {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, capture.Errorf(capture.CodeInvalid, "parameter %s: %q is not true or false", name, v[0])
}
