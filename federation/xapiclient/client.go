// Package xapiclient talks to an LRS over the standard xAPI 1.0.3 API only: the
// Statements resource (Communication 2.1: POST, GET with since/ascending/limit/
// attachments, more links, multipart/mixed with attachments per 2.1.1 and Data 2.4.11)
// and About (Communication 2.8), with X-Experience-API-Version 1.0.3 on every request.
// It authenticates with HTTP Basic or OAuth2 client credentials
// (golang.org/x/oauth2/clientcredentials, RFC 6749 §4.4).
package xapiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/federation"
)

const (
	version       = "1.0.3"
	maxBody       = 64 << 20 // largest answer read
	maxErrMessage = 300
)

// Client is one partner's xAPI endpoint. Safe for concurrent use.
type Client struct {
	base   *url.URL
	http   *http.Client
	basic  [2]string
	bearer bool
}

// New returns a Client for p's endpoint and credentials over hc (nil: a client with a
// 60 s timeout). CodeInvalid when the endpoint does not parse.
func New(p federation.Partner, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(p.Endpoint, "/"))
	if err != nil {
		return nil, capture.Errorf(capture.CodeInvalid, "endpoint: %v", err)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	c := &Client{base: u, http: hc, basic: [2]string{p.Auth.Key, p.Auth.Secret}}
	if p.Auth.OAuth2() {
		cc := clientcredentials.Config{ClientID: p.Auth.ClientID, ClientSecret: p.Auth.ClientSecret, TokenURL: p.Auth.TokenURL}
		if p.Auth.Scopes != "" {
			cc.Scopes = strings.Fields(p.Auth.Scopes)
		}
		// The token source caches the token and fetches a new one when it expires.
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
		tc := cc.Client(ctx)
		tc.Timeout = hc.Timeout
		c.http, c.bearer = tc, true
	}
	return c, nil
}

// Connect is a federation.Connect over hc.
func Connect(hc *http.Client) federation.Connect {
	return func(p federation.Partner) (federation.Remote, error) { return New(p, hc) }
}

func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func (c *Client) do(req *http.Request, auth bool) (*http.Response, error) {
	req.Header.Set("X-Experience-API-Version", version)
	if auth && !c.bearer {
		req.SetBasicAuth(c.basic[0], c.basic[1])
	}
	hc := c.http
	if !auth && c.bearer {
		hc = &http.Client{Timeout: c.http.Timeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		msg := strings.TrimSpace(string(body))
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		if len(msg) > maxErrMessage {
			msg = msg[:maxErrMessage] + "…"
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return nil, &federation.RemoteError{Status: resp.StatusCode, Message: msg, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	return resp, nil
}

// retryAfter reads Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// About returns the versions of GET /about.
func (c *Client) About(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/about", nil), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var about struct {
		Version []string `json:"version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&about); err != nil {
		return nil, fmt.Errorf("the /about answer is not an About object: %w", err)
	}
	return about.Version, nil
}

// PostStatements POSTs stmts as one array, as multipart/mixed when atts is not empty
// (xAPI 1.0.3 Communication 2.1.2, Data 2.4.11).
func (c *Client) PostStatements(ctx context.Context, stmts [][]byte, atts []capture.Attachment) (int, error) {
	var body bytes.Buffer
	body.Grow(len(stmts) * 1024)
	body.WriteByte('[')
	for i, s := range stmts {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(s)
	}
	body.WriteByte(']')
	contentType := "application/json"
	if len(atts) > 0 {
		var mp bytes.Buffer
		w := multipart.NewWriter(&mp)
		part, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
		part.Write(body.Bytes())
		for _, a := range atts {
			part, _ := w.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {a.ContentType},
				"Content-Transfer-Encoding": {"binary"},
				"X-Experience-API-Hash":     {a.SHA2},
			})
			part.Write(a.Content)
		}
		w.Close()
		body = mp
		contentType = "multipart/mixed; boundary=" + w.Boundary()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/statements", nil), bytes.NewReader(body.Bytes()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.do(req, true)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Statement fetches statement id, trying voidedStatementId when statementId finds none
// (Communication 2.1.3).
func (c *Client) Statement(ctx context.Context, id string) ([]byte, error) {
	var lastErr error
	for _, param := range []string{"statementId", "voidedStatementId"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/statements", url.Values{param: {id}}), nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.do(req, true)
		var re *federation.RemoteError
		if errors.As(err, &re) && re.Status == http.StatusNotFound {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		return b, err
	}
	return nil, lastErr
}

// Statements GETs the first page after since in stored order with attachments.
func (c *Client) Statements(ctx context.Context, since string, limit int) (federation.Page, error) {
	q := url.Values{"ascending": {"true"}, "attachments": {"true"}, "limit": {strconv.Itoa(limit)}}
	if since != "" {
		q.Set("since", since)
	}
	return c.page(ctx, c.url("/statements", q))
}

// More follows a more link: an IRL relative to the endpoint's host (Data 2.5), or absolute.
func (c *Client) More(ctx context.Context, more string) (federation.Page, error) {
	ref, err := url.Parse(more)
	if err != nil {
		return federation.Page{}, fmt.Errorf("the more link %q does not parse: %w", more, err)
	}
	return c.page(ctx, c.base.ResolveReference(ref).String())
}

func (c *Client) page(ctx context.Context, u string) (federation.Page, error) {
	var p federation.Page
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return p, err
	}
	resp, err := c.do(req, true)
	if err != nil {
		return p, err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("X-Experience-API-Consistent-Through"); ct != "" {
		if t, err := capture.ParseTimestamp(ct); err == nil {
			p.ConsistentThrough = t
		}
	}
	body := io.LimitReader(resp.Body, maxBody)
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var result []byte
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		p.Attachments = map[string]capture.Attachment{}
		for i := 0; ; i++ {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return p, fmt.Errorf("multipart answer: %w", err)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return p, fmt.Errorf("multipart answer: %w", err)
			}
			if i == 0 {
				result = data
				continue
			}
			sha := part.Header.Get("X-Experience-API-Hash")
			if sha == "" {
				return p, errors.New("multipart answer: an attachment part has no X-Experience-API-Hash")
			}
			p.Attachments[sha] = capture.Attachment{SHA2: sha, ContentType: part.Header.Get("Content-Type"), Content: data}
		}
	} else if result, err = io.ReadAll(body); err != nil {
		return p, err
	}
	var sr struct {
		Statements []json.RawMessage `json:"statements"`
		More       string            `json:"more"`
	}
	if err := json.Unmarshal(result, &sr); err != nil {
		return p, fmt.Errorf("the answer is not a StatementResult: %w", err)
	}
	p.Statements, p.More = sr.Statements, sr.More
	return p, nil
}
