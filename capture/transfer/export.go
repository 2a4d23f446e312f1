// Package transfer moves statements in and out of the LRS in bulk: streamed exports of
// a filtered set as NDJSON or CSV, and NDJSON imports validated like any other write.
// Both go through capture.StatementService, never around it, so an export sees what
// GET /statements would (voided statements left out) and an import obeys every rule
// of a POST (xAPI 1.0.3 Communication 2.1).
package transfer

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/cairn-lrs/cairn/capture"
)

// Format is an export format.
type Format string

// The export formats.
const (
	NDJSON Format = "ndjson" // one statement, exactly as stored, per line
	CSV    Format = "csv"    // one row per statement, the columns of CSVHeader
)

// ParseFormat returns the format named s; CodeInvalid for any other name.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case NDJSON, CSV:
		return Format(s), nil
	}
	return "", capture.Errorf(capture.CodeInvalid, "format: must be ndjson or csv, not %q", s)
}

// Filter selects the statements of an export.
type Filter struct {
	// Params are GET /statements filters (agent, verb, activity, registration,
	// related_agents, related_activities, since, until). StatementID,
	// VoidedStatementID, Limit, Format, Attachments and Ascending are ignored: an
	// export runs oldest first in exact format.
	Params capture.StatementParams
	// Platform keeps only statements whose context.platform equals it; "" keeps all.
	Platform string
	// Rewrite, when not nil, changes each selected statement in place before it is
	// written (pseudonymised exports: federation.Pseudonymizer.Apply); the NDJSON line
	// and the CSV row then show the statement as rewritten.
	Rewrite func(st map[string]any)
}

// pageSize is how many statements an export holds in memory at once.
const pageSize = 500

// Export writes every statement that f selects and p may read to w, oldest stored
// first, holding one page of statements in memory at a time. progress, when not nil,
// is called after each page with the number written so far. It returns how many it
// wrote; on an error (a store error, a write error of w, ctx cancelled) what was
// written stays written and the count says how much.
func Export(ctx context.Context, svc *capture.StatementService, p capture.Principal, f Filter, format Format, w io.Writer, progress func(written int)) (int, error) {
	params := f.Params
	params.StatementID, params.VoidedStatementID = "", ""
	params.Limit, params.Format, params.Attachments, params.Ascending = pageSize, capture.FormatExact, false, true
	bw := bufio.NewWriterSize(w, 64<<10)
	var cw *csv.Writer
	if format == CSV {
		cw = csv.NewWriter(bw)
		if err := cw.Write(CSVHeader); err != nil {
			return 0, err
		}
	}
	written := 0
	req := capture.ReadRequest{Params: params, Principal: p}
	for {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		res, err := svc.Read(ctx, req)
		if err != nil {
			return written, err
		}
		for _, raw := range res.Statements {
			var st exportStatement
			if err := json.Unmarshal(raw, &st); err != nil {
				return written, capture.Internal(err, "a stored statement does not decode")
			}
			if f.Platform != "" && st.Context.Platform != f.Platform {
				continue
			}
			if f.Rewrite != nil {
				tree, err := capture.DecodeStored(raw)
				if err != nil {
					return written, err
				}
				f.Rewrite(tree)
				raw, _ = capture.EncodeStored(tree)
				st = exportStatement{}
				if err := json.Unmarshal(raw, &st); err != nil {
					return written, capture.Internal(err, "a rewritten statement does not decode")
				}
			}
			if cw != nil {
				if err := cw.Write(st.row()); err != nil {
					return written, err
				}
			} else {
				bw.Write(raw)
				if err := bw.WriteByte('\n'); err != nil {
					return written, err
				}
			}
			written++
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return written, err
			}
		}
		if err := bw.Flush(); err != nil {
			return written, err
		}
		if progress != nil {
			progress(written)
		}
		if res.More == "" {
			return written, nil
		}
		req = capture.ReadRequest{More: res.More, Principal: p}
	}
}

// CSVHeader names the CSV export's columns.
var CSVHeader = []string{
	"id", "stored", "timestamp",
	"actor", "actor_name", "verb", "verb_display",
	"object_type", "object_id", "object_name", "activity_type",
	"platform", "registration",
	"result_success", "result_completion", "result_score_scaled", "result_duration",
}

// exportStatement holds the parts of a statement the CSV columns show.
type exportStatement struct {
	ID        string      `json:"id"`
	Stored    string      `json:"stored"`
	Timestamp string      `json:"timestamp"`
	Actor     exportAgent `json:"actor"`
	Verb      struct {
		ID      string            `json:"id"`
		Display map[string]string `json:"display"`
	} `json:"verb"`
	Object struct {
		exportAgent
		ID         string `json:"id"`
		Definition struct {
			Name map[string]string `json:"name"`
			Type string            `json:"type"`
		} `json:"definition"`
	} `json:"object"`
	Context struct {
		Platform     string `json:"platform"`
		Registration string `json:"registration"`
	} `json:"context"`
	Result struct {
		Success    *bool  `json:"success"`
		Completion *bool  `json:"completion"`
		Duration   string `json:"duration"`
		Score      struct {
			Scaled json.Number `json:"scaled"`
		} `json:"score"`
	} `json:"result"`
}

// exportAgent is an Agent or Group as far as the CSV shows it.
type exportAgent struct {
	ObjectType string `json:"objectType"`
	Name       string `json:"name"`
	Mbox       string `json:"mbox"`
	MboxSHA1   string `json:"mbox_sha1sum"`
	OpenID     string `json:"openid"`
	Account    *struct {
		HomePage string `json:"homePage"`
		Name     string `json:"name"`
	} `json:"account"`
}

// identifier is the agent's inverse functional identifier as one string (xAPI 1.0.3
// Data 2.4.2.3); "" for an anonymous group.
func (a exportAgent) identifier() string {
	switch {
	case a.Mbox != "":
		return a.Mbox
	case a.MboxSHA1 != "":
		return "sha1:" + a.MboxSHA1
	case a.OpenID != "":
		return a.OpenID
	case a.Account != nil:
		return a.Account.HomePage + "#" + a.Account.Name
	}
	return ""
}

func (s exportStatement) row() []string {
	objectType := s.Object.ObjectType
	if objectType == "" {
		objectType = "Activity"
	}
	objectID := s.Object.ID
	if objectType == "Agent" || objectType == "Group" {
		objectID = s.Object.identifier()
	}
	return []string{
		s.ID, s.Stored, s.Timestamp,
		cell(s.Actor.identifier()), cell(s.Actor.Name), cell(s.Verb.ID), cell(capture.Display(s.Verb.Display)),
		objectType, cell(objectID), cell(capture.Display(s.Object.Definition.Name)), cell(s.Object.Definition.Type),
		cell(s.Context.Platform), s.Context.Registration,
		boolCell(s.Result.Success), boolCell(s.Result.Completion), s.Result.Score.Scaled.String(), s.Result.Duration,
	}
}

// cell defuses text that a spreadsheet would run as a formula (CSV injection): a value
// starting with =, +, -, @, tab or carriage return gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func boolCell(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}
