#!/usr/bin/env bash
# Reproduces the figures in docs/PERFORMANCE.md on the embedded store: HTTP ingest at
# several batch sizes and client counts, the raw SQLite ceiling, and query latencies
# and peak RSS at 100k and FILL statements. Everything runs on loopback.
#   docs/perf-run.sh [FILL] [STORE]
# FILL defaults to 1000000; STORE defaults to a fresh embedded store and may name a
# MongoDB URL (its database should be empty) to take the same figures on MongoDB.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fill=${1:-1000000}
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/cairn" ./cmd/cairn
go build -o "$work/cairn-load" ./cmd/cairn-load

echo "== machine"
nproc; grep -m1 'model name' /proc/cpuinfo || true; free -h | head -2; go version

echo "== raw SQLite ceiling and store inserts (go test -bench)"
go test -run '^$' -bench 'RawSQLiteInsert|InsertBatch|InsertSingle|InsertRealistic' -benchtime 3s ./capture/sqlitestore/ | grep -E '^Benchmark'

store=${2:-"sqlite:$work/data/cairn.db"}
cred=$("$work/cairn" credentials create --store "$store" --name load --scopes all --json 2>/dev/null)
export CAIRN_LOAD_KEY=$(sed -E 's/.*"key":"([^"]+)".*/\1/' <<<"$cred")
export CAIRN_LOAD_SECRET=$(sed -E 's/.*"secret":"([^"]+)".*/\1/' <<<"$cred")
export CAIRN_LOAD_ENDPOINT=http://127.0.0.1:18089/xapi
CAIRN_LOG_LEVEL=warn "$work/cairn" serve --addr 127.0.0.1:18089 --store "$store" &
pid=$!
for _ in $(seq 50); do curl -fsS http://127.0.0.1:18089/readyz >/dev/null 2>&1 && break; sleep 0.2; done

echo "== HTTP ingest"
sent=0
for batch in 1000 100; do
	for clients in 1 4 16; do
		"$work/cairn-load" ingest -batch "$batch" -clients "$clients" -total 50000 -pid "$pid" -seed $((sent + 1)) 2>/dev/null
		sent=$((sent + 50000))
	done
done
for clients in 1 4 16; do
	"$work/cairn-load" ingest -batch 1 -clients "$clients" -total 10000 -pid "$pid" -seed $((sent + 1)) 2>/dev/null
	sent=$((sent + 10000))
done

echo "== queries at $((sent / 1000))k statements"
"$work/cairn-load" query -n 500 -pid "$pid"

if ((fill > sent)); then
	echo "== filling to $fill statements"
	"$work/cairn-load" ingest -batch 1000 -clients 4 -total $((fill - sent)) -pid "$pid" -seed 7777 2>/dev/null
	echo "== queries at $((fill / 1000))k statements"
	"$work/cairn-load" query -n 500 -pid "$pid"
fi
if [[ -d $work/data ]]; then du -sh "$work/data"; fi
