// Command cairn-load generates xAPI load against a running Cairn (or any LRS) and
// reports throughput, latency percentiles and, given the server's pid, its peak RSS.
// Its results are recorded in docs/PERFORMANCE.md.
//
//	cairn-load ingest  -endpoint URL -key K -secret S [-batch 100] [-clients 4] [-total 100000]
//	cairn-load query   -endpoint URL -key K -secret S [-n 500] [-clients 1]
//
// The ceiling it is compared with (raw SQLite inserts of the same rows under the same
// durability) is BenchmarkRawSQLiteInsert in capture/sqlitestore.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "ingest":
		err = runIngest(ctx, os.Args[2:])
	case "query":
		err = runQuery(ctx, os.Args[2:])
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		slog.Error("cairn-load failed", "err", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  cairn-load ingest  -endpoint URL -key K -secret S [-batch 100] [-clients 4] [-total 100000] [-pid PID]
  cairn-load query   -endpoint URL -key K -secret S [-n 500] [-clients 1] [-pid PID]
`)
}

// target is an LRS endpoint with credentials.
type target struct {
	endpoint string
	key      string
	secret   string
	client   *http.Client
}

func targetFlags(fs *flag.FlagSet) *target {
	t := &target{}
	fs.StringVar(&t.endpoint, "endpoint", envOr("CAIRN_LOAD_ENDPOINT", "http://127.0.0.1:8080/xapi"), "xAPI endpoint (no trailing slash)")
	fs.StringVar(&t.key, "key", os.Getenv("CAIRN_LOAD_KEY"), "credential key")
	fs.StringVar(&t.secret, "secret", os.Getenv("CAIRN_LOAD_SECRET"), "credential secret")
	return t
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (t *target) check() error {
	if t.key == "" || t.secret == "" {
		return errors.New("-key and -secret (or CAIRN_LOAD_KEY, CAIRN_LOAD_SECRET) are required")
	}
	t.endpoint = strings.TrimRight(t.endpoint, "/")
	t.client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return nil
}

func (t *target) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.SetBasicAuth(t.key, t.secret)
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// generator makes plausible statements: a population of learners, verbs and
// activities with skewed popularity, as informal learning produces.
type generator struct {
	rng *rand.Rand
}

const (
	learners   = 5000
	activities = 20000
)

var verbs = []string{
	"http://adlnet.gov/expapi/verbs/experienced", "https://w3id.org/xapi/adb/verbs/read",
	"http://adlnet.gov/expapi/verbs/asked", "http://adlnet.gov/expapi/verbs/answered",
	"http://adlnet.gov/expapi/verbs/commented", "http://adlnet.gov/expapi/verbs/completed",
	"http://adlnet.gov/expapi/verbs/attended", "http://adlnet.gov/expapi/verbs/shared",
	"https://w3id.org/xapi/video/verbs/played", "https://w3id.org/xapi/video/verbs/paused",
}

func learnerMbox(i int) string { return fmt.Sprintf("mailto:learner%d@example.com", i) }
func activityID(i int) string  { return fmt.Sprintf("https://learn.example.com/items/%d", i) }

func (g *generator) statement() map[string]any {
	l := int(g.rng.ExpFloat64()*learners/4) % learners
	a := int(g.rng.ExpFloat64()*activities/8) % activities
	v := verbs[g.rng.IntN(len(verbs))]
	st := map[string]any{
		"actor": map[string]any{"objectType": "Agent", "name": fmt.Sprintf("Learner %d", l), "mbox": learnerMbox(l)},
		"verb":  map[string]any{"id": v, "display": map[string]any{"en-US": v[strings.LastIndex(v, "/")+1:]}},
		"object": map[string]any{
			"objectType": "Activity", "id": activityID(a),
			"definition": map[string]any{
				"name": map[string]any{"en-US": fmt.Sprintf("Item %d", a)},
				"type": "http://activitystrea.ms/article",
			},
		},
		"result": map[string]any{"duration": fmt.Sprintf("PT%dS", 30+g.rng.IntN(600))},
		"context": map[string]any{
			"platform": "Browser extension",
			"contextActivities": map[string]any{
				"parent": []any{map[string]any{"id": activityID(a / 10 * 10)}},
			},
		},
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
	}
	return st
}

func (g *generator) batch(n int) []byte {
	out := make([]any, n)
	for i := range out {
		out[i] = g.statement()
	}
	b, _ := json.Marshal(out)
	return b
}

func runIngest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	t := targetFlags(fs)
	batch := fs.Int("batch", 100, "statements per POST (1 = single-statement POSTs)")
	clients := fs.Int("clients", 4, "concurrent clients")
	total := fs.Int("total", 100000, "statements to send")
	pid := fs.Int("pid", 0, "server pid, to report its peak RSS")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Parse(args)
	if err := t.check(); err != nil {
		return err
	}
	if *batch < 1 || *clients < 1 || *total < 1 {
		return errors.New("-batch, -clients and -total must be at least 1")
	}
	requests := (*total + *batch - 1) / *batch
	// Bodies are made before the clock starts, so the figure is the server's.
	bodies := make([][]byte, requests)
	g := &generator{rng: rand.New(rand.NewPCG(*seed, 7))}
	for i := range bodies {
		n := *batch
		if i == requests-1 && *total%*batch != 0 {
			n = *total % *batch
		}
		if *batch == 1 {
			bodies[i], _ = json.Marshal(g.statement())
		} else {
			bodies[i] = g.batch(n)
		}
	}
	var next atomic.Int64
	var sent, failed atomic.Int64
	lat := make([][]time.Duration, *clients)
	var wg sync.WaitGroup
	start := time.Now()
	progressDone := make(chan struct{})
	go progress(progressDone, &sent, *total)
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= requests || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				code, body, err := t.do(ctx, http.MethodPost, "/statements", bodies[i])
				lat[c] = append(lat[c], time.Since(t0))
				if err != nil || code != http.StatusOK {
					failed.Add(1)
					if failed.Load() <= 3 {
						slog.Warn("write failed", "status", code, "err", err, "body", truncate(body))
					}
					continue
				}
				var ids []string
				if err := json.Unmarshal(body, &ids); err != nil {
					failed.Add(1)
					slog.Warn("write answer is not an id array", "body", truncate(body))
					continue
				}
				sent.Add(int64(len(ids)))
			}
		}(c)
	}
	wg.Wait()
	close(progressDone)
	el := time.Since(start)
	all := slices.Concat(lat...)
	fmt.Printf("ingest batch=%d clients=%d statements=%d failed_requests=%d seconds=%.2f statements_per_s=%.0f requests_per_s=%.0f p50=%s p95=%s%s\n",
		*batch, *clients, sent.Load(), failed.Load(), el.Seconds(), float64(sent.Load())/el.Seconds(),
		float64(requests)/el.Seconds(), pct(all, 50), pct(all, 95), rss(*pid))
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}

func progress(done chan struct{}, sent *atomic.Int64, total int) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			fmt.Fprintf(os.Stderr, "… %d/%d statements\n", sent.Load(), total)
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Round(10 * time.Microsecond)
}

// rss reports the peak and current resident set size of pid from /proc (Linux).
func rss(pid int) string {
	if pid == 0 {
		return ""
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return " rss=unknown"
	}
	var hwm, cur string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			cur = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf(" peak_rss=%q rss=%q", hwm, cur)
}

// queryCase is one kind of statement query to time.
type queryCase struct {
	name string
	path func(g *generator) string
}

func runQuery(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("query", flag.ExitOnError)
	t := targetFlags(fs)
	n := fs.Int("n", 500, "requests per query kind")
	pid := fs.Int("pid", 0, "server pid, to report its peak RSS")
	pages := fs.Int("pages", 20, "pages to follow through more for the paging case")
	fs.Parse(args)
	if err := t.check(); err != nil {
		return err
	}
	g := &generator{rng: rand.New(rand.NewPCG(99, 3))}
	agentParam := func(i int) string {
		b, _ := json.Marshal(map[string]any{"mbox": learnerMbox(i)})
		return url.QueryEscape(string(b))
	}
	cases := []queryCase{
		{"agent", func(g *generator) string {
			return "/statements?limit=50&agent=" + agentParam(int(g.rng.ExpFloat64()*learners/4)%learners)
		}},
		{"verb", func(g *generator) string {
			return "/statements?limit=50&verb=" + url.QueryEscape(verbs[g.rng.IntN(len(verbs))])
		}},
		{"activity_related", func(g *generator) string {
			return "/statements?limit=50&related_activities=true&activity=" + url.QueryEscape(activityID(int(g.rng.ExpFloat64()*activities/8)%activities/10*10))
		}},
	}
	for _, c := range cases {
		var lat []time.Duration
		var results int
		for i := 0; i < *n && ctx.Err() == nil; i++ {
			p := c.path(g)
			t0 := time.Now()
			code, body, err := t.do(ctx, http.MethodGet, p, nil)
			lat = append(lat, time.Since(t0))
			if err != nil || code != http.StatusOK {
				return fmt.Errorf("%s: status %d: %v %s", p, code, err, truncate(body))
			}
			var res struct {
				Statements []json.RawMessage `json:"statements"`
			}
			if json.Unmarshal(body, &res) == nil {
				results += len(res.Statements)
			}
		}
		fmt.Printf("query %s n=%d p50=%s p95=%s mean_results=%.1f\n", c.name, len(lat), pct(lat, 50), pct(lat, 95), float64(results)/float64(max(len(lat), 1)))
	}
	// Paging: follow more links from the newest statements.
	var lat []time.Duration
	path := "/statements?limit=50"
	base, _ := url.Parse(t.endpoint)
	for i := 0; i < *pages && path != "" && ctx.Err() == nil; i++ {
		t0 := time.Now()
		code, body, err := t.do(ctx, http.MethodGet, path, nil)
		lat = append(lat, time.Since(t0))
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("%s: status %d: %v", path, code, err)
		}
		var res struct {
			More string `json:"more"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return err
		}
		path = strings.TrimPrefix(res.More, base.Path)
	}
	fmt.Printf("query more_paging pages=%d p50=%s p95=%s%s\n", len(lat), pct(lat, 50), pct(lat, 95), rss(*pid))
	return nil
}
