package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture"
	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/capture/transfer"
)

func (c *console) status(ctx *fiber.Ctx) error {
	st, err := c.cfg.Status(ctx.UserContext())
	if err != nil {
		return err
	}
	creds, err := c.cfg.Credentials.List(ctx.UserContext())
	if err != nil {
		return err
	}
	active := 0
	for _, cr := range creds {
		if cr.RevokedAt.IsZero() {
			active++
		}
	}
	data := map[string]any{"Status": st, "Credentials": active, "StoreMiB": fmt.Sprintf("%.1f", float64(st.StoreBytes)/(1<<20))}
	if r := c.cfg.Reports; r != nil {
		bySource, people, err := r.Store.Totals(ctx.UserContext())
		if err != nil {
			return err
		}
		type sourceCount struct {
			Label string
			Count int64
		}
		var counts []sourceCount
		for _, s := range reports.Sources {
			counts = append(counts, sourceCount{s.Label(), bySource[s]})
		}
		through, _, err := r.Store.RollupState(ctx.UserContext())
		if err != nil {
			return err
		}
		data["Sources"], data["People"], data["Behind"] = counts, people, max(st.Statements-through, 0)
	}
	return c.page(ctx, "status", "Status", data)
}

func (c *console) credentials(ctx *fiber.Ctx) error {
	return c.credentialsPage(ctx, nil)
}

func (c *console) credentialsPage(ctx *fiber.Ctx, extra map[string]any) error {
	creds, err := c.cfg.Credentials.List(ctx.UserContext())
	if err != nil {
		return err
	}
	slices.Reverse(creds) // newest first
	data := map[string]any{"Credentials": creds, "Scopes": capture.KnownScopes}
	for k, v := range extra {
		data[k] = v
	}
	return c.page(ctx, "credentials", "Credentials", data)
}

// createCredential makes a credential from the form and shows its secret once.
func (c *console) createCredential(ctx *fiber.Ctx) error {
	name := strings.TrimSpace(ctx.FormValue("name"))
	var scopes []string
	args := ctx.Request().PostArgs()
	for _, v := range args.PeekMulti("scope") {
		scopes = append(scopes, string(v))
	}
	if name == "" {
		return c.credentialsPage(ctx.Status(fiber.StatusBadRequest), map[string]any{"Error": "Give the credential a name that says what it is for."})
	}
	if len(name) > 200 {
		return c.credentialsPage(ctx.Status(fiber.StatusBadRequest), map[string]any{"Error": "The name is longer than 200 characters."})
	}
	cred, secret, err := c.cfg.Credentials.Create(ctx.UserContext(), name, scopes, ctx.FormValue("trusted") == "on")
	if err != nil {
		if capture.ErrorCode(err) == capture.CodeInvalid {
			return c.credentialsPage(ctx.Status(fiber.StatusBadRequest), map[string]any{"Error": capture.ErrorMessage(err)})
		}
		return err
	}
	c.log.Info("credential created from the console", "key", cred.Key, "name", cred.Name, "scopes", cred.Scopes)
	return c.credentialsPage(ctx.Status(fiber.StatusCreated), map[string]any{"Created": cred, "Secret": secret})
}

func (c *console) revokeCredential(ctx *fiber.Ctx) error {
	key := strings.Clone(ctx.Params("key"))
	if err := c.cfg.Credentials.Revoke(ctx.UserContext(), key); err != nil {
		if capture.ErrorCode(err) == capture.CodeNotFound {
			return c.credentialsPage(ctx.Status(fiber.StatusNotFound), map[string]any{"Error": "No credential with key " + key + "."})
		}
		return err
	}
	c.log.Info("credential revoked from the console", "key", key)
	return ctx.Redirect("/admin/credentials", fiber.StatusSeeOther)
}

// explorerRow is one statement as the explorer lists it.
type explorerRow struct {
	ID, Stored, Actor, Verb, Object, Platform string
}

// explorerFilter reads the explorer's filter fields (see readExplorerFilter); in
// privacy mode an agent filter is refused (CodeInvalid): no per-person view.
func (c *console) explorerFilter(ctx *fiber.Ctx) (transfer.Filter, url.Values, error) {
	f, form, err := readExplorerFilter(ctx)
	if err == nil && c.cfg.Privacy && form.Get("agent") != "" {
		form.Del("agent")
		return f, form, capture.Errorf(capture.CodeInvalid, "the privacy mode is on: statements cannot be selected by person")
	}
	return f, form, err
}

// readExplorerFilter reads the explorer's filter fields: agent (an email address or
// agent JSON), verb, activity, platform, since, until.
func readExplorerFilter(ctx *fiber.Ctx) (transfer.Filter, url.Values, error) {
	form := url.Values{}
	q := url.Values{}
	for _, name := range []string{"agent", "verb", "activity", "since", "until", "platform"} {
		v := strings.TrimSpace(ctx.Query(name))
		if v == "" {
			continue
		}
		form.Set(name, v)
		switch name {
		case "platform":
		case "agent":
			if !strings.HasPrefix(v, "{") {
				v = fmt.Sprintf(`{"mbox":%q}`, "mailto:"+strings.TrimPrefix(v, "mailto:"))
			}
			q.Set(name, v)
		default:
			q.Set(name, v)
		}
	}
	params, err := capture.ParseStatementParams(q)
	if err != nil {
		return transfer.Filter{}, form, err
	}
	return transfer.Filter{Params: params, Platform: form.Get("platform")}, form, nil
}

// explorerPage is how many statements one explorer page lists, and explorerScan how
// many it reads at most looking for them when a platform filter thins them out.
const (
	explorerPage = 50
	explorerScan = 5000
)

func (c *console) explorer(ctx *fiber.Ctx) error {
	f, form, err := c.explorerFilter(ctx)
	data := map[string]any{"Form": form, "Export": exportLinks(form)}
	if err != nil {
		data["Error"] = capture.ErrorMessage(err)
		return c.page(ctx.Status(fiber.StatusBadRequest), "statements", "Statements", data)
	}
	p := c.cfg.Credentials.SystemPrincipal("console", false)
	req := capture.ReadRequest{Params: f.Params, More: ctx.Query("more"), Principal: p}
	req.Params.Limit = explorerPage
	var rows []explorerRow
	scanned := 0
	for {
		res, err := c.cfg.Statements.Read(ctx.UserContext(), req)
		if err != nil {
			if capture.ErrorCode(err) == capture.CodeInvalid {
				data["Error"] = capture.ErrorMessage(err)
				return c.page(ctx.Status(fiber.StatusBadRequest), "statements", "Statements", data)
			}
			return err
		}
		for _, raw := range res.Statements {
			row, platform := summarize(raw)
			if c.cfg.Privacy {
				row.Actor = "" // no per-person view (the template shows no actor column)
			}
			if f.Platform == "" || platform == f.Platform {
				rows = append(rows, row)
			}
		}
		scanned += len(res.Statements)
		req = capture.ReadRequest{More: res.More, Principal: p}
		if res.More == "" || len(rows) >= explorerPage || scanned >= explorerScan {
			break
		}
	}
	data["Rows"] = rows
	if req.More != "" {
		next := url.Values{}
		for k, v := range form {
			next[k] = v
		}
		next.Set("more", req.More)
		data["Next"] = "/admin/statements?" + next.Encode()
	}
	return c.page(ctx, "statements", "Statements", data)
}

// exportLinks returns the explorer's export links for the filter in form, plain and
// pseudonymised, keyed csv, ndjson, csvPseudo, ndjsonPseudo. They are built here, not
// in the template, whose URL escaping would encode the query's '=' and '&'.
func exportLinks(form url.Values) map[string]template.URL {
	out := map[string]template.URL{}
	for _, f := range []string{"csv", "ndjson"} {
		q := url.Values{}
		for k, v := range form {
			q[k] = v
		}
		out[f] = template.URL("/admin/statements/export." + f + "?" + q.Encode())
		q.Set("pseudonymise", "1")
		out[f+"Pseudo"] = template.URL("/admin/statements/export." + f + "?" + q.Encode())
	}
	return out
}

// summarize reduces a stored statement to an explorer row and its platform.
func summarize(raw json.RawMessage) (explorerRow, string) {
	var s struct {
		ID     string `json:"id"`
		Stored string `json:"stored"`
		Actor  struct {
			Name    string `json:"name"`
			Mbox    string `json:"mbox"`
			Account *struct {
				HomePage string `json:"homePage"`
				Name     string `json:"name"`
			} `json:"account"`
		} `json:"actor"`
		Verb struct {
			ID      string            `json:"id"`
			Display map[string]string `json:"display"`
		} `json:"verb"`
		Object struct {
			ID         string `json:"id"`
			Definition struct {
				Name map[string]string `json:"name"`
			} `json:"definition"`
		} `json:"object"`
		Context struct {
			Platform string `json:"platform"`
		} `json:"context"`
	}
	json.Unmarshal(raw, &s)
	actor := s.Actor.Name
	switch {
	case actor != "":
	case s.Actor.Mbox != "":
		actor = strings.TrimPrefix(s.Actor.Mbox, "mailto:")
	case s.Actor.Account != nil:
		actor = s.Actor.Account.Name
	default:
		actor = "(anonymous)"
	}
	verb := capture.Display(s.Verb.Display)
	if verb == "" {
		verb = s.Verb.ID[strings.LastIndexAny(s.Verb.ID, "/#")+1:]
	}
	object := capture.Display(s.Object.Definition.Name)
	if object == "" {
		object = s.Object.ID
	}
	return explorerRow{ID: s.ID, Stored: s.Stored, Actor: actor, Verb: verb, Object: object, Platform: s.Context.Platform}, s.Context.Platform
}

func (c *console) statement(ctx *fiber.Ctx) error {
	id := strings.ToLower(ctx.Params("id"))
	q := url.Values{"statementId": {id}}
	params, err := capture.ParseStatementParams(q)
	if err != nil {
		return c.page(ctx.Status(fiber.StatusBadRequest), "error", "Statement", map[string]any{"Message": capture.ErrorMessage(err)})
	}
	p := c.cfg.Credentials.SystemPrincipal("console", false)
	res, err := c.cfg.Statements.Read(ctx.UserContext(), capture.ReadRequest{Params: params, Principal: p})
	voided := false
	if capture.ErrorCode(err) == capture.CodeNotFound {
		// A voided statement is still on record; show it, marked.
		params.StatementID, params.VoidedStatementID = "", id
		res, err = c.cfg.Statements.Read(ctx.UserContext(), capture.ReadRequest{Params: params, Principal: p})
		voided = err == nil
	}
	if capture.ErrorCode(err) == capture.CodeNotFound {
		return c.page(ctx.Status(fiber.StatusNotFound), "error", "Statement", map[string]any{"Message": "No statement " + id + "."})
	}
	if err != nil {
		return err
	}
	raw := res.Statement
	if c.cfg.Privacy {
		if raw, err = c.pseudonymized(raw); err != nil {
			return c.page(ctx.Status(fiber.StatusServiceUnavailable), "error", "Statement", map[string]any{"Message": capture.ErrorMessage(err)})
		}
	}
	var pretty bytes.Buffer
	json.Indent(&pretty, raw, "", "  ")
	return c.page(ctx, "statement", "Statement "+id, map[string]any{"ID": id, "JSON": pretty.String(), "Voided": voided})
}

// export streams the explorer's filtered set as CSV or NDJSON, one page in memory at
// a time; the body is written after the handler returns.
func (c *console) export(ctx *fiber.Ctx) error {
	format, err := transfer.ParseFormat(ctx.Params("format"))
	if err != nil {
		return c.page(ctx.Status(fiber.StatusNotFound), "error", "Export", map[string]any{"Message": capture.ErrorMessage(err)})
	}
	f, _, err := c.explorerFilter(ctx)
	if err != nil {
		return c.page(ctx.Status(fiber.StatusBadRequest), "error", "Export", map[string]any{"Message": capture.ErrorMessage(err)})
	}
	// Exports are pseudonymised on request, and always in privacy mode.
	if c.cfg.Privacy || ctx.Query("pseudonymise") == "1" {
		if c.cfg.Pseudonymize == nil {
			return c.page(ctx.Status(fiber.StatusServiceUnavailable), "error", "Export", map[string]any{
				"Message": "Pseudonymised exports need a pseudonym key: start Cairn with --pseudonym-key (or --partner-key)."})
		}
		f.Rewrite = c.cfg.Pseudonymize
	}
	contentType := "application/x-ndjson"
	if format == transfer.CSV {
		contentType = "text/csv; charset=utf-8"
	}
	ctx.Set(fiber.HeaderContentType, contentType)
	ctx.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="statements.%s"`, format))
	ctx.Set("Cache-Control", "no-store")
	p := c.cfg.Credentials.SystemPrincipal("console", false)
	base := context.WithoutCancel(ctx.UserContext())
	svc, log := c.cfg.Statements, c.log
	ctx.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		n, err := transfer.Export(base, svc, p, f, format, w, func(int) { w.Flush() })
		if err != nil {
			log.Warn("export stopped", "statements", n, "err", err)
			return
		}
		log.Info("export done", "statements", n, "format", string(format))
	})
	return nil
}

// pseudonymized returns raw with its agents pseudonymised; CodeUnavailable without a
// pseudonymiser.
func (c *console) pseudonymized(raw []byte) ([]byte, error) {
	if c.cfg.Pseudonymize == nil {
		return nil, capture.Errorf(capture.CodeUnavailable, "the privacy mode is on and no pseudonym key is set: start Cairn with --pseudonym-key")
	}
	st, err := capture.DecodeStored(raw)
	if err != nil {
		return nil, err
	}
	c.cfg.Pseudonymize(st)
	out, _ := capture.EncodeStored(st)
	return out, nil
}

func (c *console) importForm(ctx *fiber.Ctx) error {
	return c.page(ctx, "import", "Import", map[string]any{"Limit": c.cfg.ImportLimit >> 20})
}

// importRun stores an uploaded NDJSON file and shows the report.
func (c *console) importRun(ctx *fiber.Ctx) error {
	data := map[string]any{"Limit": c.cfg.ImportLimit >> 20}
	fh, err := ctx.FormFile("file")
	if err != nil {
		data["Error"] = "Choose an NDJSON file to import."
		return c.page(ctx.Status(fiber.StatusBadRequest), "import", "Import", data)
	}
	if fh.Size > int64(c.cfg.ImportLimit) {
		data["Error"] = fmt.Sprintf("The file is larger than %d MiB; import it with `cairn statements import`.", c.cfg.ImportLimit>>20)
		return c.page(ctx.Status(fiber.StatusRequestEntityTooLarge), "import", "Import", data)
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	content, err := io.ReadAll(io.LimitReader(file, int64(c.cfg.ImportLimit)+1))
	file.Close()
	if err != nil {
		return err
	}
	// The page streams: the form, then a progress line about every second while the
	// import runs, then the report, so a long import shows how far it got without
	// script. The status is sent first (200); a store failure midway is reported on
	// the page.
	c.pageData(ctx, "import", "Import", data)
	ctx.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.securityHeaders(ctx)
	base := context.WithoutCancel(ctx.UserContext())
	principal := c.cfg.Credentials.SystemPrincipal("import", true)
	ctx.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		c.tmpl.ExecuteTemplate(w, "head", data)
		c.tmpl.ExecuteTemplate(w, "import-form", data)
		w.Flush()
		last := time.Now()
		rep, err := transfer.Import(base, c.cfg.Statements, bytes.NewReader(content), transfer.ImportOptions{Principal: principal, MaxRejections: 200},
			func(r transfer.ImportReport) {
				if time.Since(last) >= c.cfg.ImportProgress {
					last = time.Now()
					c.tmpl.ExecuteTemplate(w, "import-progress", r)
					w.Flush()
				}
			})
		if err != nil {
			c.log.Error("console import stopped", "lines", rep.Lines, "err", err)
			fmt.Fprintf(w, `<p class="error" role="alert">The import stopped at line %d: %s. Lines before it were stored; importing the file again is safe.</p>`,
				rep.Lines, template.HTMLEscapeString(capture.ErrorMessage(err)))
		} else {
			c.log.Info("console import", "lines", rep.Lines, "accepted", rep.Accepted, "rejected", rep.Rejected)
		}
		c.tmpl.ExecuteTemplate(w, "import-report", rep)
		c.tmpl.ExecuteTemplate(w, "foot", data)
		w.Flush()
	})
	return nil
}
