package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Remote is a partner LRS reached over the standard xAPI 1.0.3 API (Communication 2.1
// Statements, 2.8 About). Transport failures are plain errors; an answer other than
// 2xx is a *RemoteError.
type Remote interface {
	// About returns the versions the partner reports (GET /about, no credentials).
	About(ctx context.Context) ([]string, error)
	// PostStatements sends raw statements as one JSON array (multipart/mixed with the
	// parts when atts is not empty) and returns the partner's status on 2xx.
	PostStatements(ctx context.Context, stmts [][]byte, atts []capture.Attachment) (int, error)
	// Statement returns the partner's copy of statement id (voided or not); a
	// *RemoteError with Status 404 when it holds none.
	Statement(ctx context.Context, id string) ([]byte, error)
	// Statements returns the first page of statements stored after since (RFC 3339;
	// "" for all), ascending, with attachments, at most limit.
	Statements(ctx context.Context, since string, limit int) (Page, error)
	// More follows a more link of an earlier page.
	More(ctx context.Context, more string) (Page, error)
}

// Page is one StatementResult (xAPI 1.0.3 Data 2.5) with its attachments.
type Page struct {
	Statements        []json.RawMessage
	More              string
	ConsistentThrough time.Time // zero when the partner did not say
	Attachments       map[string]capture.Attachment
}

// RemoteError is a partner's answer other than 2xx.
type RemoteError struct {
	Status     int
	Message    string        // the start of the partner's body
	RetryAfter time.Duration // from Retry-After; 0 when absent
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("partner answered %d: %s", e.Status, e.Message)
}

// Connect makes the Remote of a partner (its Auth filled in).
type Connect func(p Partner) (Remote, error)
