#!/usr/bin/env bash
# console.sh — how fast the web console's pages are at 10,000 repositories and 100,000 tags.
#
# Starts a fresh Cais (embedded PostgreSQL, filesystem storage), pushes one small image through the API, then fills
# with psql: the namespace "bench" gets REPOS repositories (bench/r00001 …) of TAGS_PER_REPO tags each, all on that
# image's manifest, with usage rows, and the repository bench/tags gets TAGS tags. It signs in to the console as the
# admin (the sign-in form with its CSRF token, as a browser sends it) and fetches each page RUNS times over one
# keep-alive connection after WARMUP unmeasured fetches, printing the median and p90 of curl's total time (ms):
#   repositories: by name (first page, a middle page), by size, by tag count, by last push, filtered
#   tags of a 100,000-tag repository: by name (first, middle, last page), by last push, filtered
#   a manifest page (by tag)
# Every page is a server-rendered page of 50 rows, sorted and filtered by PostgreSQL over all matching rows.
#
# Usage: bench/console.sh [--repos N] [--tags-per-repo N] [--tags N] [--runs N] [--build]
# Env:   JAVA_HOME, XMX (default 512m), KEEP=1 keeps the temp dir, BENCH_TMP (default /tmp).
# This is a benchmark, not a test: it fails loudly on an unexpected status and asserts no timings.

set -euo pipefail
BENCH_NAME=console
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPOS=10000
TAGS_PER_REPO=10
TAGS=100000
RUNS=30
WARMUP_RUNS=20
XMX=${XMX:-512m}
FORCE_BUILD=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --repos) REPOS=${2:?}; shift 2 ;;
        --tags-per-repo) TAGS_PER_REPO=${2:?}; shift 2 ;;
        --tags) TAGS=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

bench_init
prepare_app "$FORCE_BUILD"
start_cais fs "$WORK/cais" "$XMX"
AUTH_ARGS=(-u "$ADMIN_USER:$ADMIN_PASSWORD")
create_namespace bench
make_small_image "$WORK/image"
push_small_image bench/tags "$(tag_name 0)"

log "filling: $REPOS repositories of $TAGS_PER_REPO tags, and $TAGS tags in bench/tags"
t0=$EPOCHREALTIME
sql > "$WORK/fill.log" 2>&1 <<SQL || { cat "$WORK/fill.log" >&2; die "fill failed"; }
INSERT INTO repository (name) SELECT 'bench/r' || lpad(g::text, 5, '0') FROM generate_series(1, $REPOS) g;
INSERT INTO manifest (repository_id, digest, media_type, size, payload)
SELECT r.id, m.digest, m.media_type, m.size, m.payload FROM repository r, manifest m
WHERE r.name LIKE 'bench/r%' AND m.digest = '$MANIFEST_DIGEST';
INSERT INTO tag (repository_id, name, manifest_id, updated_at)
SELECT m.repository_id, 'v' || g, m.id, now() - (random() * interval '300 days')
FROM manifest m JOIN repository r ON r.id = m.repository_id, generate_series(1, $TAGS_PER_REPO) g WHERE r.name LIKE 'bench/r%';
INSERT INTO repository_usage (repository_id, blob_bytes, blobs, shared_bytes, shared_blobs)
SELECT id, (random() * 1e9)::bigint, 10, 0, 0 FROM repository WHERE name LIKE 'bench/r%'
ON CONFLICT (repository_id) DO UPDATE SET blob_bytes = EXCLUDED.blob_bytes;
INSERT INTO tag (repository_id, name, manifest_id, updated_at)
SELECT r.id, 't' || lpad(g::text, 7, '0'), m.id, now() - g * interval '1 minute'
FROM repository r JOIN manifest m ON m.repository_id = r.id, generate_series(1, $((TAGS - 1))) g
WHERE r.name = 'bench/tags' AND m.digest = '$MANIFEST_DIGEST' ON CONFLICT DO NOTHING;
ANALYZE;
SQL
log "filled in $(seconds_between "$t0" "$EPOCHREALTIME") s: $(sql -At -c "SELECT count(*) FROM repository") repositories, $(sql -At -c "SELECT count(*) FROM tag") tags"

# Sign in like a browser: the form's login cookie and CSRF field, then the session cookie.
JAR_FILE="$WORK/cookies"
curl -sS -c "$JAR_FILE" -o "$WORK/login.html" "$BASE/ui/login"
token=$(grep -o 'name="_csrf" value="[^"]*"' "$WORK/login.html" | sed 's/.*value="//; s/"$//')
status=$(curl -sS -b "$JAR_FILE" -c "$JAR_FILE" -o /dev/null -w '%{http_code}' --data-urlencode "_csrf=$token" \
    --data-urlencode "username=$ADMIN_USER" --data-urlencode "password=$ADMIN_PASSWORD" "$BASE/ui/login")
[[ $status == 303 ]] || die "sign-in answered $status"

# measure NAME PATH: WARMUP_RUNS unmeasured fetches, then RUNS measured ones over one connection.
printf '%-44s %10s %10s %8s\n' "page" "median ms" "p90 ms" "bytes"
measure() {
    local name=$1 path=$2 urls=() i
    for ((i = 0; i < WARMUP_RUNS + RUNS; i++)); do urls+=(-o /dev/null "$BASE$path"); done
    curl -sS -b "$JAR_FILE" -w '%{http_code} %{time_total} %{size_download}\n' "${urls[@]}" > "$WORK/times" \
        || die "curl failed on $path"
    awk '$1 != 200 { bad = 1 } END { exit bad }' "$WORK/times" || die "$path answered $(awk '$1 != 200 { print $1; exit }' "$WORK/times")"
    tail -n "$RUNS" "$WORK/times" | awk '{ print $2 * 1000 }' | sort -g > "$WORK/sorted"
    printf '%-44s %10.1f %10.1f %8d\n' "$name" "$(awk -v n="$RUNS" 'NR == int((n + 1) / 2)' "$WORK/sorted")" \
        "$(awk -v n="$RUNS" 'NR == int(n * 0.9)' "$WORK/sorted")" "$(tail -n 1 "$WORK/times" | cut -d' ' -f3)"
}
middle=$((REPOS / 50 / 2))
measure "repositories by name, page 1" "/ui/namespaces/bench"
measure "repositories by name, page $middle" "/ui/namespaces/bench?sort=name&page=$middle"
measure "repositories by size (desc)" "/ui/namespaces/bench?sort=size&dir=desc"
measure "repositories by tags (desc)" "/ui/namespaces/bench?sort=tags&dir=desc"
measure "repositories by last push (desc)" "/ui/namespaces/bench?sort=pushed&dir=desc"
measure "repositories filtered (r0123)" "/ui/namespaces/bench?q=r0123"
measure "tags by name, page 1" "/ui/repositories/bench/tags/-/tags"
measure "tags by name, page $((TAGS / 50 / 2))" "/ui/repositories/bench/tags/-/tags?sort=name&page=$((TAGS / 50 / 2))"
measure "tags by name, last page" "/ui/repositories/bench/tags/-/tags?sort=name&page=$((TAGS / 50))"
measure "tags by last push (desc)" "/ui/repositories/bench/tags/-/tags?sort=pushed&dir=desc"
measure "tags filtered (t00999)" "/ui/repositories/bench/tags/-/tags?q=t00999"
measure "manifest page by tag" "/ui/repositories/bench/tags/-/manifests/$(tag_name 5)"
log "load average while measuring: $(loadavg) on $(nproc) cores"
