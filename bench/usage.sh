#!/usr/bin/env bash
# usage.sh — what usage accounting costs at 100,000 blobs: reading a namespace's usage, a page of repositories,
# the quota headroom, and the link and unlink of one blob (a push's and a delete's statements, with the V10 triggers).
#
# Runs against any PostgreSQL that psql and pgbench reach through the usual PG* variables (PGHOST, PGPORT, PGUSER):
# creates the database cais_usage_bench, applies src/main/resources/db/migration in version order, fills the
# namespace "bench" with BLOBS blobs in 10 repositories (every tenth blob linked by two of them) and shares every
# twentieth with the namespace "other", then measures. The database is dropped at the end (KEEP=1 keeps it).
#
# Usage: bench/usage.sh [--blobs N] [--seconds S]
# This is a benchmark, not a test: it prints timings and asserts none.

set -euo pipefail
BLOBS=100000
SECONDS_PER_RUN=20
while [[ $# -gt 0 ]]; do
    case $1 in
        --blobs) BLOBS=${2:?}; shift 2 ;;
        --seconds) SECONDS_PER_RUN=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MIGRATIONS="$HERE/../src/main/resources/db/migration"
DB=cais_usage_bench
psql -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
[[ ${KEEP:-0} == 1 ]] || trap 'psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB"' EXIT
run() { psql -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

for migration in $(ls "$MIGRATIONS" | sort -t_ -k1.2 -n); do
    run -f "$MIGRATIONS/$migration"
done

echo "== fill: $BLOBS blobs (links through the triggers, in bulk statements)"
start=$(date +%s.%N)
run -v blobs="$BLOBS" -f "$HERE/usage/fill.sql"
echo "fill: $(echo "$(date +%s.%N) - $start" | bc) s"

echo "== reads (median of 50, ms)"
run -v blobs="$BLOBS" -f "$HERE/usage/reads.sql"

echo "== one link (a push's completion) and its unlink, in a loop, for ${SECONDS_PER_RUN}s: 1 client, then 4"
for clients in 1 4; do
    pgbench -n -c "$clients" -j "$clients" -T "$SECONDS_PER_RUN" -f "$HERE/usage/link.sql" "$DB" \
        | grep -E "^(number of transactions actually processed|latency average|tps)"
done
echo "== delete one repository of $((BLOBS / 10 + BLOBS / 100)) links (its links are unlinked through the triggers)"
start=$(date +%s.%N)
run -c "DELETE FROM repository WHERE name = 'bench/r3'"
echo "delete: $(echo "$(date +%s.%N) - $start" | bc) s"
run -c "SELECT namespace, blob_bytes, blobs, shared_bytes, shared_blobs FROM namespace_usage ORDER BY namespace"
