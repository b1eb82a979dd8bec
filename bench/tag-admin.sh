#!/usr/bin/env bash
# tag-admin.sh — the admin API's tag listing over 100,000 tags, in each sort, and the plans of its queries.
#
# Starts a fresh Cais (embedded PostgreSQL, filesystem storage), pushes one small image as bench/tags:t0000000,
# inserts the other tags with psql (each pushed one second after the previous one; every other tag pulled, at
# different times), then measures over one connection (what the UI sees), Basic credentials on every request:
#   GET /api/v1/namespaces/bench/repositories/tags/tags?n=100&sort=S&order=O   first page and a middle page
# for sort = name, pushed and pulled in both orders (the middle page starts from a cursor built as the API builds
# it), and prints EXPLAIN (ANALYZE, BUFFERS) of the middle-page queries, run in psql, as TagListingStore writes
# them: each must be an index range scan, not a sort of the repository's tags.
#
# Usage: bench/tag-admin.sh [--duration S] [--warmup S] [--tags N] [--build]
# Env:   JAVA_HOME, XMX (default 512m), KEEP=1 keeps the temp dir, BENCH_TMP (default /tmp).
# This is a benchmark, not a test: it fails loudly on any unexpected status during setup and asserts no timings.

set -euo pipefail
BENCH_NAME=tag-admin
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TAGS_REPO=bench/tags
XMX=${XMX:-512m}
DURATION=10
WARMUP=3
TAG_COUNT=100000
FORCE_BUILD=0
PAGE=100

while [[ $# -gt 0 ]]; do
    case $1 in
        --duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs seconds}; shift 2 ;;
        --tags) TAG_COUNT=${2:?--tags needs a number}; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
TSV="$RESULTS_DIR/tag-admin-$(date -u +%Y-%m-%d).tsv"
ROWS=()

# cursor SORT TIME NAME: the cursor the API hands out after a row (RepositoryContentResource.cursor).
cursor() { printf '%s\n%s\n%s' "$1" "$2" "$3" | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# The UTC ISO time of a column of a tag, as the API writes it.
iso() { sql -At -c "SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') $2"; }

measure() {
    local scenario=$1 target=$2 out="$WORK/results/$1"
    log "$scenario: ${WARMUP}s warm-up, ${DURATION}s measured (wrk, 1 connection)"
    run_wrk "$out" 1 1 "$DURATION" "$BASE$target"
    ROWS+=("$scenario|$LOAD_REQUESTS|$LOAD_RPS|$LOAD_P50|$LOAD_P99|$LOAD_ERRORS|$LOAD_CPU_US")
}

bench_init
LOAD_START=$(loadavg)
mkdir -p "$WORK/results"
install_tools wrk:wrk psql:postgresql-client jq:jq
prepare_app "$FORCE_BUILD"
start_cais fs "$WORK/registry" "$XMX"
create_namespace bench
AUTH_ARGS=(-H "Authorization: Basic $(printf '%s:%s' "$ADMIN_USER" "$ADMIN_PASSWORD" | base64 -w0)")
make_small_image "$WORK/image"
push_small_image "$TAGS_REPO" t0000000
log "inserting $((TAG_COUNT - 1)) more tags with psql, pulls for every other one"
cais_insert_tags "$TAGS_REPO" "$TAG_COUNT"
sql > "$WORK/psql.log" 2>&1 <<SQL || { cat "$WORK/psql.log" >&2; die "statistics insert failed"; }
UPDATE tag SET updated_at = now() - make_interval(secs => $TAG_COUNT - substr(name, 2)::int)
WHERE repository_id = (SELECT id FROM repository WHERE name = '$TAGS_REPO');
INSERT INTO tag_pull (repository_id, name, pulls, last_pulled_at)
SELECT repository_id, name, 1, now() - make_interval(secs => (substr(name, 2)::int * 7919) % $TAG_COUNT)
FROM tag WHERE repository_id = (SELECT id FROM repository WHERE name = '$TAGS_REPO') AND substr(name, 2)::int % 2 = 0;
ANALYZE tag; ANALYZE tag_pull;
SQL

MIDDLE=$(printf 't%07d' $((TAG_COUNT / 2)))
PULLED_MIDDLE=$(sql -At -c "SELECT name FROM tag_pull ORDER BY last_pulled_at, name OFFSET $((TAG_COUNT / 4)) LIMIT 1")
PUSHED_AT=$(iso updated_at "FROM tag WHERE name = '$MIDDLE'")
PULLED_AT=$(iso last_pulled_at "FROM tag_pull WHERE name = '$PULLED_MIDDLE'")
URL="/api/v1/namespaces/bench/repositories/tags/tags?n=$PAGE"
call GET "$URL&sort=pulled&order=desc" 200
[[ $(jq '.tags | length' "$WORK/last.body") == "$PAGE" ]] || die "the first page does not hold $PAGE tags"

for order in asc desc; do
    measure "name $order, first page" "$URL&sort=name&order=$order"
    measure "name $order, middle page" "$URL&sort=name&order=$order&cursor=$(cursor NAME '' "$MIDDLE")"
    measure "pushed $order, first page" "$URL&sort=pushed&order=$order"
    measure "pushed $order, middle page" "$URL&sort=pushed&order=$order&cursor=$(cursor PUSHED "$PUSHED_AT" "$MIDDLE")"
    measure "pulled $order, first page" "$URL&sort=pulled&order=$order"
    measure "pulled $order, middle page" "$URL&sort=pulled&order=$order&cursor=$(cursor PULLED "$PULLED_AT" "$PULLED_MIDDLE")"
done

# The plans, as TagListingStore runs them for a middle page (statistics columns and size included).
COLUMNS="t.name, m.digest, m.media_type, m.size, m.size + (SELECT coalesce(sum(b.size), 0) FROM blob b WHERE b.digest IN (
  SELECT mb.digest FROM manifest_blob mb WHERE mb.manifest_id = m.id UNION SELECT cb.digest FROM manifest_child c
  JOIN manifest cm ON cm.repository_id = m.repository_id AND cm.digest = c.child_digest JOIN manifest_blob cb
  ON cb.manifest_id = cm.id WHERE c.manifest_id = m.id)), t.updated_at, t.pushed_by, p.last_pulled_at, coalesce(p.pulls, 0)"
TAGS="FROM tag t JOIN manifest m ON m.id = t.manifest_id LEFT JOIN LATERAL (SELECT last_pulled_at, pulls FROM tag_pull
  WHERE repository_id = t.repository_id AND name = t.name LIMIT 1) p ON true WHERE t.repository_id = (SELECT id FROM repository WHERE name = '$TAGS_REPO')"
PULLED="FROM tag_pull p JOIN tag t ON t.repository_id = p.repository_id AND t.name = p.name JOIN manifest m
  ON m.id = t.manifest_id WHERE p.repository_id = (SELECT id FROM repository WHERE name = '$TAGS_REPO')"
{
    echo "-- by name, ascending"
    sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT $COLUMNS $TAGS AND t.name > '$MIDDLE' ORDER BY t.name LIMIT $((PAGE + 1))"
    echo "-- by push, descending"
    sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT $COLUMNS $TAGS AND (t.updated_at, t.name) < ('$PUSHED_AT', '$MIDDLE') ORDER BY t.updated_at DESC, t.name DESC LIMIT $((PAGE + 1))"
    echo "-- by last pull, descending (pulled tags)"
    sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT $COLUMNS $PULLED AND (p.last_pulled_at, p.name) < ('$PULLED_AT', '$PULLED_MIDDLE') ORDER BY p.last_pulled_at DESC, p.name DESC LIMIT $((PAGE + 1))"
    echo "-- by last pull, never pulled tags (after the pulled ones)"
    sql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT $COLUMNS $TAGS AND p.last_pulled_at IS NULL AND t.name > '$MIDDLE' ORDER BY t.name LIMIT $((PAGE + 1))"
} > "$WORK/results/explain.txt" 2>&1

echo
echo "Cais admin tag listing  $RUN_ID  git $GIT_REV"
echo "$TAG_COUNT tags in $TAGS_REPO (half of them pulled), pages of $PAGE, one connection, Basic credentials"
echo "load average at start $LOAD_START, at end $(loadavg) (other work on the machine skews the figures)"
echo
printf '%-28s %9s %9s %9s %9s %6s %10s\n' figure requests 'req/s' 'p50 ms' 'p99 ms' errors 'cpu us/req'
for row in "${ROWS[@]}"; do
    IFS='|' read -r scenario reqs rps p50 p99 errors cpu <<< "$row"
    printf '%-28s %9s %9s %9s %9s %6s %10s\n' "$scenario" "$reqs" "$rps" "$p50" "$p99" "$errors" "$cpu"
    tsv_append "$TSV" $'run\tgit\tscenario\trequests\trequests_per_s\tp50_ms\tp99_ms\terrors\ttags\tcpu_us_per_request' \
        "$RUN_ID" "$GIT_REV" "$scenario" "$reqs" "$rps" "$p50" "$p99" "$errors" "$TAG_COUNT" "$cpu"
done
echo
cat "$WORK/results/explain.txt"
