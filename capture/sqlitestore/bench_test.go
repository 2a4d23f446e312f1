package sqlitestore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// benchRecords builds fixture records first..first+n-1 whose ids start with prefix.
func benchRecords(prefix string, first, n int) []capture.StatementRecord {
	recs := make([]capture.StatementRecord, n)
	for i := range recs {
		recs[i] = fixtureRecord(prefix, first+i)
	}
	return recs
}

// benchInsert inserts b.N batches of size records and reports statements/s.
func benchInsert(b *testing.B, size int) {
	s := openTemp(b)
	recs := benchRecords("0", 0, b.N*size)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		batch := capture.InsertBatch{Statements: recs[i*size : (i+1)*size]}
		if err := s.InsertStatements(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N*size, cpuTime()-cpu)
}

// reportRate reports statements per wall-clock second and per CPU second.
func reportRate(b *testing.B, statements int, cpu time.Duration) {
	b.ReportMetric(float64(statements)/b.Elapsed().Seconds(), "statements/s")
	if cpu > 0 {
		b.ReportMetric(float64(statements)/cpu.Seconds(), "statements/cpu-s")
	}
}

func BenchmarkInsertBatch100(b *testing.B)  { benchInsert(b, 100) }
func BenchmarkInsertBatch1000(b *testing.B) { benchInsert(b, 1000) }
func BenchmarkInsertSingle(b *testing.B)    { benchInsert(b, 1) }

// BenchmarkRawSQLiteInsert is the ceiling for the inserts above: the same rows (a
// statements row and one stmt_keys row per key value with the store's role flags,
// 5 for a fixture record, keys interned in memory) written with plain prepared
// single-row INSERTs under the same durability pragmas, without any store logic.
func BenchmarkRawSQLiteInsert(b *testing.B) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch%d", size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "raw.db")
			db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", OmitHost: true, Path: path}).String()+
				"?_txlock=immediate&_pragma=journal_mode(wal)&_pragma=synchronous(normal)&_pragma=cache_size(-65536)&_pragma=busy_timeout(10000)")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			if err := migrate(b.Context(), db); err != nil {
				b.Fatal(err)
			}
			insStmt, err := db.Prepare(`INSERT INTO statements (seq, id, stored, raw, hash, voided, origin, keys) VALUES (?, ?, ?, ?, ?, 0, '', ?)`)
			if err != nil {
				b.Fatal(err)
			}
			insKey, err := db.Prepare(`INSERT INTO stmt_keys (kid, seq, f) VALUES (?, ?, ?)`)
			if err != nil {
				b.Fatal(err)
			}
			recs := benchRecords("0", 0, b.N*size)
			kids := map[string]int64{}
			b.ResetTimer()
			cpu := cpuTime()
			seq := int64(0)
			for i := 0; i < b.N; i++ {
				tx, err := db.Begin()
				if err != nil {
					b.Fatal(err)
				}
				st, sk := tx.Stmt(insStmt), tx.Stmt(insKey)
				for _, r := range recs[i*size : (i+1)*size] {
					seq++
					keys, _ := json.Marshal(r.Keys)
					if _, err := st.Exec(seq, r.ID, r.Stored.UnixNano(), r.Raw, "", string(keys)); err != nil {
						b.Fatal(err)
					}
					for _, row := range appendKeyRows(nil, seq, r.Keys, nil) {
						kid, ok := kids[row.key]
						if !ok {
							kid = int64(len(kids) + 1)
							kids[row.key] = kid
						}
						if _, err := sk.Exec(kid, seq, row.f); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, b.N*size, cpuTime()-cpu)
		})
	}
}

// BenchmarkQueryVerb queries a store pre-filled once with CAIRN_BENCH_ROWS fixture
// records (default 100,000) and reports latency percentiles. Each iteration is one
// query of limit 100, rotating over key values. The insert_* cases then measure
// inserts into the filled store.
func BenchmarkQueryVerb(b *testing.B) {
	rows := 100_000
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	s := openTemp(b)
	start := time.Now()
	fillFixture(b, s, rows)
	_, size, _ := s.Stats(b.Context())
	b.Logf("filled %d records in %v (%.0f statements/s), %d MB", rows, time.Since(start).Round(time.Millisecond),
		float64(rows)/time.Since(start).Seconds(), size>>20)
	span := time.Duration(rows) * time.Second
	cases := []struct {
		name string
		q    func(i int) capture.StatementQuery
	}{
		{"verb", func(i int) capture.StatementQuery {
			return capture.StatementQuery{Keys: []string{capture.KeyVerb(benchVerbs[i%len(benchVerbs)])}}
		}},
		{"verb_ascending_since", func(i int) capture.StatementQuery {
			return capture.StatementQuery{Keys: []string{capture.KeyVerb(benchVerbs[i%3])}, Ascending: true,
				Since: benchT0.Add(span * time.Duration(i%10) / 10)}
		}},
		{"verb_page_deep", func(i int) capture.StatementQuery {
			return capture.StatementQuery{Keys: []string{capture.KeyVerb(benchVerbs[i%3])}, AfterSeq: int64(rows/2 + i%1000), MaxSeq: int64(rows)}
		}},
		{"agent", func(i int) capture.StatementQuery {
			return capture.StatementQuery{Keys: []string{capture.KeyAgent(fmt.Sprintf("mbox:mailto:learner%d@example.com", i%1000))}}
		}},
		{"agent_verb", func(i int) capture.StatementQuery {
			return capture.StatementQuery{Keys: []string{capture.KeyVerb(benchVerbs[i%4]), capture.KeyAgent(fmt.Sprintf("mbox:mailto:learner%d@example.com", i%1000))}}
		}},
		{"rare_verb_common_course", func(i int) capture.StatementQuery {
			// The rarest verb (1 in 128 records, all odd-numbered) drives nothing: the
			// course key ranks first and about 1 in 128 of its rows match.
			return capture.StatementQuery{Keys: []string{capture.KeyVerb(benchVerbs[7]), capture.KeyRelatedActivity(fmt.Sprintf("http://example.com/courses/%d", 2*(i%25)+1))}}
		}},
		{"related_activity", func(i int) capture.StatementQuery {
			return capture.StatementQuery{Keys: []string{capture.KeyRelatedActivity(fmt.Sprintf("http://example.com/courses/%d", i%50))}}
		}},
		{"no_keys_until", func(i int) capture.StatementQuery {
			return capture.StatementQuery{Until: benchT0.Add(span * time.Duration(i%10) / 10)}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				q := c.q(i)
				q.Limit = 100
				t := time.Now()
				recs, err := s.QueryStatements(b.Context(), q)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
				if i == 0 && len(recs) == 0 {
					b.Fatalf("%s returned nothing", c.name)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
	next := rows // fixture number of the next record inserted
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("insert_batch%d", size), func(b *testing.B) {
			recs := benchRecords("f", next, b.N*size)
			next += b.N * size
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				if err := s.InsertStatements(b.Context(), capture.InsertBatch{Statements: recs[i*size : (i+1)*size]}); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, b.N*size, cpuTime()-cpu)
		})
	}
}

// BenchmarkInsertRealistic inserts records of the load generator's shape
// (realisticRecord) into a store pre-filled with CAIRN_BENCH_PREFILL of them
// (default 200,000), in batches of 1, 100 and 1000, and reports CPU µs per
// statement next to the rate: the store's serial share of HTTP ingest.
func BenchmarkInsertRealistic(b *testing.B) {
	prefill := 200_000
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_PREFILL")); err == nil && v >= 0 {
		prefill = v
	}
	s := openTemp(b)
	rng := rand.New(rand.NewPCG(1, 2))
	for start := 0; start < prefill; start += 1000 {
		recs := make([]capture.StatementRecord, 0, 1000)
		for i := start; i < min(start+1000, prefill); i++ {
			recs = append(recs, realisticRecord(rng, "0", i))
		}
		if err := s.InsertStatements(b.Context(), capture.InsertBatch{Statements: recs}); err != nil {
			b.Fatal(err)
		}
	}
	next := prefill
	for _, size := range []int{1000, 100, 1} {
		b.Run(fmt.Sprintf("batch%d", size), func(b *testing.B) {
			recs := make([]capture.StatementRecord, b.N*size)
			for i := range recs {
				recs[i] = realisticRecord(rng, "1", next+i)
			}
			next += len(recs)
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				if err := s.InsertStatements(b.Context(), capture.InsertBatch{Statements: recs[i*size : (i+1)*size]}); err != nil {
					b.Fatal(err)
				}
			}
			used := cpuTime() - cpu
			reportRate(b, len(recs), used)
			b.ReportMetric(float64(used.Microseconds())/float64(len(recs)), "cpu-µs/stmt")
		})
	}
}
