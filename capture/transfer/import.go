package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cairn-lrs/cairn/capture"
)

// ImportOptions say how an import writes.
type ImportOptions struct {
	Principal capture.Principal // the writer; a trusted one keeps each statement's authority
	Origin    string            // recorded as each statement's origin ("" for local)
	BatchSize int               // statements per write; 0: 500
	MaxLine   int               // longest line in bytes; 0: 1 MiB. Longer lines are rejected.
	// MaxRejections bounds how many rejections the report lists (all are counted);
	// 0: 1000.
	MaxRejections int
}

// Rejection is one line an import did not store, and why.
type Rejection struct {
	Line   int    `json:"line"` // 1-based
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// ImportReport counts what an import did with its lines.
type ImportReport struct {
	Lines      int         `json:"lines"`    // lines read, blank ones included
	Accepted   int         `json:"accepted"` // stored, or already stored with the same content
	Rejected   int         `json:"rejected"`
	Rejections []Rejection `json:"rejections,omitempty"` // the first MaxRejections of them
}

// Import reads NDJSON statements (one statement object per line; blank lines are
// skipped) from r and writes them through svc in batches, each statement checked by
// the same rules as a POST (xAPI 1.0.3 Communication 2.1.2). A line that does not
// parse, fails validation, needs attachment content it does not carry, or reuses a
// stored id with other content is rejected with its reason and never stops the rest.
// Writing the same file again is a no-op for what was stored (same id, same content).
// progress, when not nil, is called after each batch with the report so far. The error
// is nil unless reading r fails, ctx ends or the store fails; statements written
// before that stay written, and the report says how far it got.
func Import(ctx context.Context, svc *capture.StatementService, r io.Reader, opt ImportOptions, progress func(ImportReport)) (ImportReport, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	if opt.MaxLine <= 0 {
		opt.MaxLine = 1 << 20
	}
	if opt.MaxRejections <= 0 {
		opt.MaxRejections = 1000
	}
	im := importer{svc: svc, opt: opt}
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	tooLong := false
	for {
		if err := ctx.Err(); err != nil {
			return im.report, err
		}
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			size := len(line) + len(bytes.TrimSuffix(chunk, []byte("\n")))
			if size > opt.MaxLine {
				tooLong, line = true, line[:0]
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && err != io.EOF {
			return im.report, fmt.Errorf("read line %d: %w", im.report.Lines+1, err)
		}
		if len(chunk) > 0 || len(line) > 0 || tooLong {
			if tooLong {
				im.report.Lines++
				im.reject(im.report.Lines, "", fmt.Sprintf("line is longer than %d bytes", opt.MaxLine))
			} else if ferr := im.add(ctx, line); ferr != nil {
				return im.report, ferr
			}
			line, tooLong = line[:0], false
			if progress != nil && im.report.Lines%opt.BatchSize == 0 {
				progress(im.report)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if err := im.flush(ctx); err != nil {
		return im.report, err
	}
	if progress != nil {
		progress(im.report)
	}
	return im.report, nil
}

// importer holds an import's pending batch and report.
type importer struct {
	svc    *capture.StatementService
	opt    ImportOptions
	report ImportReport
	batch  []capture.Statement
	lines  []int    // the line of each batch entry
	raws   [][]byte // the text of each batch entry: a write may change the statements it is given
}

func (im *importer) reject(line int, id, reason string) {
	im.report.Rejected++
	if len(im.report.Rejections) < im.opt.MaxRejections {
		im.report.Rejections = append(im.report.Rejections, Rejection{Line: line, ID: id, Reason: reason})
	}
}

// add parses one line and queues its statement, flushing a full batch.
func (im *importer) add(ctx context.Context, line []byte) error {
	im.report.Lines++
	n := im.report.Lines
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	stmts, batch, err := capture.DecodeStatements(line)
	if err != nil {
		im.reject(n, "", capture.ErrorMessage(err))
		return nil
	}
	if batch {
		im.reject(n, "", "a line must hold one statement object, not an array")
		return nil
	}
	st := stmts[0]
	id, _ := st["id"].(string)
	if err := capture.ValidateStatement(st); err != nil {
		im.reject(n, id, capture.ErrorMessage(err))
		return nil
	}
	im.batch = append(im.batch, st)
	im.lines = append(im.lines, n)
	im.raws = append(im.raws, bytes.Clone(line))
	if len(im.batch) >= im.opt.BatchSize {
		return im.flush(ctx)
	}
	return nil
}

// flush writes the pending batch in one write; when the store refuses it for one of
// its statements, each is written on its own so that only the bad ones are rejected.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	defer func() { im.batch, im.lines, im.raws = im.batch[:0], im.lines[:0], im.raws[:0] }()
	_, err := im.svc.Write(ctx, capture.WriteRequest{Statements: im.batch, Principal: im.opt.Principal, Origin: im.opt.Origin})
	if err == nil {
		im.report.Accepted += len(im.batch)
		return nil
	}
	if fatal(err) {
		return err
	}
	for i, raw := range im.raws {
		stmts, _, err := capture.DecodeStatements(raw)
		if err != nil {
			return capture.Internal(err, "a line that decoded before does not decode again")
		}
		st := stmts[0]
		_, err = im.svc.Write(ctx, capture.WriteRequest{Statements: []capture.Statement{st}, Principal: im.opt.Principal, Origin: im.opt.Origin})
		switch {
		case err == nil:
			im.report.Accepted++
		case fatal(err):
			return err
		default:
			id, _ := st["id"].(string)
			im.reject(im.lines[i], id, capture.ErrorMessage(err))
		}
	}
	return nil
}

// fatal reports whether err stops the import rather than rejecting a statement.
func fatal(err error) bool {
	switch capture.ErrorCode(err) {
	case capture.CodeInvalid, capture.CodeConflict, capture.CodeForbidden, capture.CodeTooLarge:
		return false
	}
	return true
}
