#!/usr/bin/env bash
# manifests.sh — manifest HEAD/GET by tag under load, and tag-list paging over 100,000 tags.
#
# Starts a fresh Cais (embedded PostgreSQL, filesystem storage), pushes one small image to
# bench/app, then measures at 64 concurrent keep-alive connections:
#   manifest HEAD by tag   HEAD /v2/bench/app/manifests/latest   (ab -i; wrk hangs on HEAD)
#   manifest GET by tag    GET  /v2/bench/app/manifests/latest   (wrk; once more with ab, to set
#                                                                 beside the HEAD figure)
# and reports requests/s, p50 and p99 latency. It then gives the repository bench/tags 100,000
# tags on one manifest (the first pushed through the API, the rest inserted straight into the
# embedded PostgreSQL) and measures, over a single connection (what a paging client sees):
#   tag-list pages         GET /v2/bench/tags/tags/list?n=1000[&last=...]  first, middle, last page
#   tag-list walk          every page once, following the Link header (curl), total wall time
# Each measured load run follows a short warm-up run of the same request (the JIT needs it).
#
# Usage: bench/manifests.sh [--duration S] [--warmup S] [--connections N] [--tags N] [--build]
# Env:   JAVA_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64 if present), XMX (default 512m),
#        KEEP=1 keeps the temp dir (storage, database, registry log, raw tool output),
#        BENCH_TMP (default /tmp), REGISTRY_JAVA_OPTS extra JVM options for the registry
#        (word-split; recorded in the TSV).
# This is a benchmark, not a test: it fails loudly on any unexpected status during setup, counts
# non-2xx answers and socket errors under load, and asserts no timings.

set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/target/quarkus-app/quarkus-run.jar"
RESULTS_DIR="$ROOT/bench/results"
APP_REPO=bench/app
TAGS_REPO=bench/tags
MANIFEST_TYPE=application/vnd.oci.image.manifest.v1+json
PAGE=1000           # tag-list page size asked for (the registry's default maximum)
XMX=${XMX:-512m}
read -r -a EXTRA_JVM_OPTS <<< "${REGISTRY_JAVA_OPTS:-}"
READY_TIMEOUT=180   # seconds; the first start unpacks the embedded PostgreSQL and runs initdb

DURATION=15         # seconds per measured manifest run
WARMUP=5            # seconds per warm-up run
TAGLIST_DURATION=10 # seconds per measured tag-list run
CONNECTIONS=64
TAG_COUNT=100000
FORCE_BUILD=0

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit "${1:-0}"
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs seconds}; shift 2 ;;
        --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
        --tags) TAG_COUNT=${2:?--tags needs a number}; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "--duration must be a positive number of seconds" >&2; exit 2; }
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "--warmup must be a number of seconds" >&2; exit 2; }
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || { echo "--connections must be a positive number" >&2; exit 2; }
if ! [[ $TAG_COUNT =~ ^[1-9][0-9]*$ ]] || (( TAG_COUNT < 1000 || TAG_COUNT > 9999999 )); then
    echo "--tags must be between 1000 and 9999999" >&2; exit 2
fi
(( TAGLIST_DURATION > DURATION )) && TAGLIST_DURATION=$DURATION

if [[ -z ${JAVA_HOME:-} && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    JAVA="$JAVA_HOME/bin/java"
    JCMD="$JAVA_HOME/bin/jcmd"
else
    JAVA=java
    JCMD=jcmd
fi

# Tag names: t0000000 … t<count-1>, zero-padded so lexical order is numeric order.
tag_name() { printf 't%07d' "$1"; }

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() {
    printf 'manifests: %s\n' "$*" >&2
    exit 1
}

# A loopback port nobody listens on (same approach as big-blob.sh).
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free loopback port found"
}

proc_kib() {
    awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"
}

kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

stop_pid() {
    local pid=$1 name=$2
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.5
    done
    log "$name (pid $pid) ignored TERM for 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# wrk prints durations as 812.00us, 1.02ms, 1.20s or 2.00m; everything here is reported in ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/)      { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/)  { sub(/m$/, "", v);  printf "%.3f", v * 60000 }
        else if (v ~ /s$/)  { sub(/s$/, "", v);  printf "%.3f", v * 1000 }
        else                { printf "%s", (v == "" ? "-" : v) }
    }'
}

# ---------------------------------------------------------------------------------------------
# Temp dir and cleanup
# ---------------------------------------------------------------------------------------------

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/cais-manifests.XXXXXX")
REGISTRY_PID=""
REGISTRY_PGDIR=""
REGISTRY_LOG="$WORK/registry/registry.log"

cleanup() {
    local status=$?
    stop_registry
    if [[ ${KEEP:-0} == 1 ]]; then
        log "KEEP=1: leaving $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Preparation
# ---------------------------------------------------------------------------------------------

# wrk drives the GETs; ab (apache2-utils) the HEADs, since wrk waits for a body that a HEAD
# answer with Content-Length never sends. psql fills the tag table.
install_tools() {
    local missing=()
    command -v wrk > /dev/null || missing+=(wrk)
    command -v ab > /dev/null || missing+=(apache2-utils)
    command -v psql > /dev/null || missing+=(postgresql-client)
    command -v jq > /dev/null || missing+=(jq)
    (( ${#missing[@]} == 0 )) && return
    log "installing ${missing[*]}"
    if ! apt-get install -y "${missing[@]}" > "$WORK/apt.log" 2>&1; then
        apt-get update > "$WORK/apt.log" 2>&1 || true
        apt-get install -y "${missing[@]}" >> "$WORK/apt.log" 2>&1 \
            || { tail -n 20 "$WORK/apt.log" >&2; die "could not install ${missing[*]}"; }
    fi
}

prepare_app() {
    if [[ $FORCE_BUILD == 1 || ! -f $JAR ]]; then
        log "building Cais (mvn -DskipTests package)"
        if ! (cd "$ROOT" && mvn -B -q -DskipTests package) > "$WORK/build.log" 2>&1; then
            tail -n 40 "$WORK/build.log" >&2
            die "build failed"
        fi
        [[ -f $JAR ]] || die "build did not produce $JAR"
    fi
    # Private copy: a rebuild in the work tree during the run cannot swap the application out.
    cp -a "$ROOT/target/quarkus-app" "$WORK/app"
    APP_JAR="$WORK/app/quarkus-run.jar"
}

# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

start_registry() {
    local dir="$WORK/registry" http_port
    http_port=$(free_port)
    PG_PORT=$(free_port)
    while [[ $PG_PORT == "$http_port" ]]; do PG_PORT=$(free_port); done
    mkdir -p "$dir"
    REGISTRY_PGDIR="$dir/pg"
    log "starting Cais (filesystem, -Xmx$XMX) on port $http_port, PostgreSQL on $PG_PORT"
    (cd "$dir" && exec "$JAVA" "-Xmx$XMX" ${EXTRA_JVM_OPTS[@]+"${EXTRA_JVM_OPTS[@]}"} \
        -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$http_port" \
        "-Dcais.embedded-database.data-dir=$REGISTRY_PGDIR" "-Dcais.embedded-database.port=$PG_PORT" \
        -Dcais.storage.type=filesystem "-Dcais.storage.filesystem.root=$dir/blobs" \
        -jar "$APP_JAR") > "$REGISTRY_LOG" 2>&1 &
    REGISTRY_PID=$!
    BASE="http://127.0.0.1:$http_port"
    local deadline=$((SECONDS + READY_TIMEOUT))
    while (( SECONDS < deadline )); do
        if ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
            tail -n 40 "$REGISTRY_LOG" >&2
            REGISTRY_PID=""
            die "registry exited during start (log above)"
        fi
        curl -sf -o /dev/null "$BASE/v2/" && return
        sleep 0.5
    done
    tail -n 40 "$REGISTRY_LOG" >&2
    die "registry not ready on $BASE/v2/ within $READY_TIMEOUT s"
}

stop_registry() {
    [[ -n $REGISTRY_PID ]] || return 0
    stop_pid "$REGISTRY_PID" registry
    REGISTRY_PID=""
    local pidfile="$REGISTRY_PGDIR/postmaster.pid" pg_pid
    if [[ -f $pidfile ]]; then
        pg_pid=$(head -n 1 "$pidfile")
        if [[ $pg_pid =~ ^[0-9]+$ ]] && kill -0 "$pg_pid" 2>/dev/null; then
            log "stopping leftover embedded PostgreSQL (pid $pg_pid)"
            kill -TERM "$pg_pid" 2>/dev/null || true
        fi
    fi
}

max_heap_bytes() {
    local v
    v=$("$JCMD" "$REGISTRY_PID" VM.flags 2>/dev/null | tr ' ' '\n' | sed -n 's/^-XX:MaxHeapSize=//p' || true)
    echo "${v:-unknown}"
}

# The embedded PostgreSQL trusts local connections as user postgres.
sql() {
    PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}

# ---------------------------------------------------------------------------------------------
# HTTP (setup and checks; the load tools talk to the registry themselves)
# ---------------------------------------------------------------------------------------------

# call METHOD TARGET EXPECTED_STATUS [curl args...], as in big-blob.sh: TARGET is path plus
# query, sent with --request-target so that `-T file` does not append the file's name to a path
# ending in '/'. HEAD uses --head, since `-X HEAD` would wait for the Content-Length body.
call() {
    local method=$1 target=$2 expected=$3
    shift 3
    local status method_args=(-X "$method")
    [[ $method == HEAD ]] && method_args=(--head)
    status=$(curl -sS "${method_args[@]}" --request-target "$target" -H 'Expect:' \
        -D "$WORK/last.headers" -o "$WORK/last.body" -w '%{http_code}' "$@" "$BASE/") \
        || die "curl failed on $method $target"
    if [[ $status != "$expected" ]]; then
        {
            echo "manifests: $method $target answered $status, expected $expected"
            echo "--- response headers"; cat "$WORK/last.headers"
            echo "--- response body"; head -c 4096 "$WORK/last.body"; echo
            echo "--- registry log (last 20 lines)"; tail -n 20 "$REGISTRY_LOG"
        } >&2
        exit 1
    fi
}

last_header() {
    awk -v name="$(tr '[:upper:]' '[:lower:]' <<< "$1")" -F': ' \
        'tolower($1) == name { v = $2 } END { sub(/\r$/, "", v); print v }' "$WORK/last.headers"
}

sha256_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# One config blob, one small random layer and the OCI image manifest naming both, as exact bytes.
make_image() {
    local dir="$WORK/image"
    mkdir -p "$dir"
    printf '%s' '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$dir/config.json"
    head -c 4096 /dev/urandom > "$dir/layer.bin"
    CONFIG_DIGEST=$(sha256_of "$dir/config.json")
    LAYER_DIGEST=$(sha256_of "$dir/layer.bin")
    printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
        "$MANIFEST_TYPE" "$CONFIG_DIGEST" "$(stat -c %s "$dir/config.json")" \
        "$LAYER_DIGEST" "$(stat -c %s "$dir/layer.bin")" > "$dir/manifest.json"
    MANIFEST_FILE="$dir/manifest.json"
    MANIFEST_DIGEST=$(sha256_of "$MANIFEST_FILE")
    MANIFEST_SIZE=$(stat -c %s "$MANIFEST_FILE")
}

# push_image REPO TAG: both blobs monolithically, then the manifest by tag.
push_image() {
    local repo=$1 tag=$2 f digest
    for f in config.json layer.bin; do
        digest=$(sha256_of "$WORK/image/$f")
        call POST "/v2/$repo/blobs/uploads/?digest=$digest" 201 \
            -T "$WORK/image/$f" -H 'Content-Type: application/octet-stream'
    done
    call PUT "/v2/$repo/manifests/$tag" 201 -T "$MANIFEST_FILE" -H "Content-Type: $MANIFEST_TYPE"
    [[ $(last_header Docker-Content-Digest) == "$MANIFEST_DIGEST" ]] \
        || die "PUT manifest answered Docker-Content-Digest '$(last_header Docker-Content-Digest)', expected $MANIFEST_DIGEST"
}

check_manifest_by_tag() {
    local target="/v2/$APP_REPO/manifests/latest"
    call HEAD "$target" 200 -H "Accept: $MANIFEST_TYPE"
    [[ $(last_header Docker-Content-Digest) == "$MANIFEST_DIGEST" ]] \
        || die "HEAD $target: Docker-Content-Digest '$(last_header Docker-Content-Digest)', expected $MANIFEST_DIGEST"
    [[ $(last_header Content-Length) == "$MANIFEST_SIZE" ]] \
        || die "HEAD $target: Content-Length '$(last_header Content-Length)', expected $MANIFEST_SIZE"
    call GET "$target" 200 -H "Accept: $MANIFEST_TYPE"
    cmp -s "$WORK/last.body" "$MANIFEST_FILE" || die "GET $target did not return the pushed manifest bytes"
    [[ $(last_header Content-Type) == "$MANIFEST_TYPE" ]] \
        || die "GET $target: Content-Type '$(last_header Content-Type)', expected $MANIFEST_TYPE"
}

# ---------------------------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------------------------

# The first tag goes through the API (so the manifest row and its references are real); the
# rest point at the same manifest row and are inserted in one statement.
create_tags() {
    push_image "$TAGS_REPO" "$(tag_name 0)"
    log "inserting $((TAG_COUNT - 1)) more tags into $TAGS_REPO with psql"
    local t0=$EPOCHREALTIME
    sql > "$WORK/psql.log" 2>&1 <<EOF || { cat "$WORK/psql.log" >&2; die "tag insert failed"; }
INSERT INTO tag (repository_id, name, manifest_id)
SELECT r.id, 't' || lpad(g::text, 7, '0'), m.id
FROM repository r JOIN manifest m ON m.repository_id = r.id, generate_series(1, $((TAG_COUNT - 1))) g
WHERE r.name = '$TAGS_REPO' AND m.digest = '$MANIFEST_DIGEST'
ON CONFLICT DO NOTHING;
ANALYZE tag;
EOF
    local count
    count=$(sql -At -c "SELECT count(*) FROM tag t JOIN repository r ON r.id = t.repository_id WHERE r.name = '$TAGS_REPO'")
    [[ $count == "$TAG_COUNT" ]] || die "expected $TAG_COUNT tags in $TAGS_REPO, the database has $count"
    log "$count tags in $TAGS_REPO ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"

    # Through the API: the page after <count-10> holds exactly the last 9 tags and has no next link.
    local after expected got
    after=$(tag_name $((TAG_COUNT - 10)))
    call GET "/v2/$TAGS_REPO/tags/list?n=$PAGE&last=$after" 200
    expected=$(for ((i = TAG_COUNT - 9; i < TAG_COUNT; i++)); do tag_name "$i"; echo; done | paste -sd,)
    got=$(jq -r '.tags | join(",")' "$WORK/last.body")
    [[ $got == "$expected" ]] || die "tags/list after $after returned [$got], expected [$expected]"
    [[ -z $(last_header Link) ]] || die "tags/list after $after has a Link header on the last page: $(last_header Link)"
}

# ---------------------------------------------------------------------------------------------
# Load runs
# ---------------------------------------------------------------------------------------------

ROWS=()      # scenario|tool|connections|seconds|requests|req_s|p50|p99|errors|notes
ERRORS=0

# run_wrk SCENARIO CONNECTIONS THREADS SECONDS NOTES TARGET [wrk args...]
run_wrk() {
    local scenario=$1 conns=$2 threads=$3 secs=$4 notes=$5 target=$6
    shift 6
    local out="$WORK/results/$scenario.wrk"
    if (( WARMUP > 0 )); then
        log "$scenario: warm-up ${WARMUP}s (wrk, $conns connections)"
        wrk -t"$threads" -c"$conns" -d"${WARMUP}s" "$@" "$BASE$target" > "$out.warmup" 2>&1 \
            || { cat "$out.warmup" >&2; die "wrk warm-up for $scenario failed"; }
    fi
    log "$scenario: ${secs}s (wrk, $conns connections)"
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$BASE$target" > "$out" 2>&1 \
        || { cat "$out" >&2; die "wrk for $scenario failed"; }
    local rps reqs p50 p99 non2xx sockerr
    rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
    reqs=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$out")
    p50=$(to_ms "$(awk '/Latency Distribution/ { d = 1 } d && $1 == "50%" { print $2; exit }' "$out")")
    p99=$(to_ms "$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' "$out")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    # "Socket errors: connect 0, read 0, write 0, timeout 0"
    sockerr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
    local errors=$(( ${non2xx:-0} + ${sockerr:-0} ))
    ERRORS=$((ERRORS + errors))
    (( errors > 0 )) && log "$scenario: ${non2xx:-0} non-2xx answers, ${sockerr:-0} socket errors (see $out)"
    ROWS+=("$scenario|wrk|$conns|$secs|${reqs:--}|${rps:--}|$p50|$p99|$errors|$notes")
}

# run_ab SCENARIO CONNECTIONS SECONDS NOTES TARGET [ab args...]
# ab stops at -t seconds; -n after -t lifts its implied 50,000-request cap (ab keeps one small
# record per request, so the cap stays finite). Its percentiles are whole milliseconds.
run_ab() {
    local scenario=$1 conns=$2 secs=$3 notes=$4 target=$5
    shift 5
    local out="$WORK/results/$scenario.ab"
    if (( WARMUP > 0 )); then
        log "$scenario: warm-up ${WARMUP}s (ab, $conns connections)"
        ab -q -k -c "$conns" -t "$WARMUP" -n 2000000 "$@" "$BASE$target" > "$out.warmup" 2>&1 \
            || { cat "$out.warmup" >&2; die "ab warm-up for $scenario failed"; }
    fi
    log "$scenario: ${secs}s (ab, $conns connections)"
    ab -q -k -c "$conns" -t "$secs" -n 2000000 "$@" "$BASE$target" > "$out" 2>&1 \
        || { cat "$out" >&2; die "ab for $scenario failed"; }
    local rps reqs p50 p99 failed non2xx
    rps=$(awk '/^Requests per second:/ { print $4 }' "$out")
    reqs=$(awk '/^Complete requests:/ { print $3 }' "$out")
    p50=$(awk '$1 == "50%" { print $2 }' "$out")
    p99=$(awk '$1 == "99%" { print $2 }' "$out")
    failed=$(awk '/^Failed requests:/ { print $3 }' "$out")
    non2xx=$(awk '/^Non-2xx responses:/ { print $3 }' "$out")
    local errors=$(( ${failed:-0} + ${non2xx:-0} ))
    ERRORS=$((ERRORS + errors))
    (( errors > 0 )) && log "$scenario: ${failed:-0} failed, ${non2xx:-0} non-2xx (see $out)"
    ROWS+=("$scenario|ab|$conns|$secs|${reqs:--}|${rps:--}|${p50:--}|${p99:--}|$errors|$notes")
}

# Every page once, following Link, one curl per page (so the wall time includes a curl start
# per page; the sum of curl's own time_total is reported beside it). Bodies are checked after.
walk_tags() {
    local dir="$WORK/results/walk" target="/v2/$TAGS_REPO/tags/list?n=$PAGE" pages=0 out status t
    mkdir -p "$dir"
    log "tag-list walk: every page of $TAGS_REPO, following Link"
    : > "$dir/times"
    local t0=$EPOCHREALTIME
    while [[ -n $target ]]; do
        pages=$((pages + 1))
        (( pages <= TAG_COUNT / PAGE + 2 )) || die "tag-list walk: more pages than $TAG_COUNT tags can fill"
        out=$(curl -sS --request-target "$target" -D "$dir/$pages.headers" -o "$dir/$pages.json" \
            -w '%{http_code} %{time_total}' "$BASE/") || die "curl failed on GET $target"
        read -r status t <<< "$out"
        [[ $status == 200 ]] || { cat "$dir/$pages.json" >&2; die "GET $target answered $status"; }
        echo "$t" >> "$dir/times"
        target=""
        local line
        while IFS= read -r line; do
            if [[ ${line,,} == link:* && $line =~ \<([^>]*)\> ]]; then target=${BASH_REMATCH[1]}; fi
        done < "$dir/$pages.headers"
    done
    local t1=$EPOCHREALTIME
    local wall seen unique sorted first last
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    seen=$(for ((i = 1; i <= pages; i++)); do jq -r '.tags[]' "$dir/$i.json"; done > "$dir/all"; wc -l < "$dir/all")
    unique=$(sort -u "$dir/all" | wc -l)
    if LC_ALL=C sort -c "$dir/all" 2>/dev/null; then sorted=yes; else sorted=no; fi
    first=$(head -n 1 "$dir/all")
    last=$(tail -n 1 "$dir/all")
    local ok=yes
    if (( seen != TAG_COUNT || unique != TAG_COUNT )) || [[ $sorted != yes || $first != "$(tag_name 0)" || $last != "$(tag_name $((TAG_COUNT - 1)))" ]]; then
        ok=no
        ERRORS=$((ERRORS + 1))
        log "tag-list walk: saw $seen tags ($unique distinct, sorted $sorted, $first … $last), expected $TAG_COUNT"
    fi
    local stats
    stats=$(sort -n "$dir/times" | awk '{ v[NR] = $1 * 1000; s += $1 } END {
        i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999);
        printf "%.3f %.3f %.3f", v[i50], v[i99], s }')
    local p50 p99 curl_sum rps
    read -r p50 p99 curl_sum <<< "$stats"
    rps=$(awk -v n="$pages" -v s="$wall" 'BEGIN { printf "%.2f", n / s }')
    WALK_SUMMARY="walked $pages pages in $wall s wall (curl time_total sum $curl_sum s), saw $seen tags ($unique distinct, in order: $sorted), complete: $ok"
    ROWS+=("tag-list walk|curl|1|$wall|$pages|$rps|$p50|$p99|$([[ $ok == yes ]] && echo 0 || echo 1)|$seen tags in $pages pages; wall ${wall}s; curl sum ${curl_sum}s")
}

# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

RUN_ID=$(date -u +%Y-%m-%dT%H:%M:%SZ)
TSV="$RESULTS_DIR/manifests-$(date -u +%Y-%m-%d).tsv"
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo no-commit)
if [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]]; then GIT_REV+="-dirty"; fi

write_tsv() {
    local hwm=$1 heap=$2 row
    mkdir -p "$RESULTS_DIR"
    if [[ ! -s $TSV ]]; then
        printf 'run\tgit\tscenario\ttool\tconnections\tseconds\trequests\trequests_per_s\tp50_ms\tp99_ms\terrors\ttags\tvmhwm_kib\txmx\tmax_heap_bytes\tjvm_opts\tnotes\n' > "$TSV"
    fi
    for row in "${ROWS[@]}"; do
        local scenario tool conns secs reqs rps p50 p99 errors notes
        IFS='|' read -r scenario tool conns secs reqs rps p50 p99 errors notes <<< "$row"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
            "$RUN_ID" "$GIT_REV" "$scenario" "$tool" "$conns" "$secs" "$reqs" "$rps" "$p50" "$p99" \
            "$errors" "$TAG_COUNT" "$hwm" "$XMX" "$heap" "${REGISTRY_JAVA_OPTS:--}" "${notes:--}" >> "$TSV"
    done
}

print_table() {
    local hwm=$1 rss=$2 heap=$3 heap_txt
    echo
    echo "Cais manifest benchmark  $RUN_ID  git $GIT_REV"
    echo "registry -Xmx$XMX${REGISTRY_JAVA_OPTS:+ $REGISTRY_JAVA_OPTS}, $("$JAVA" -version 2>&1 | head -n 1); $(nproc) cores shared by the registry, PostgreSQL and the load tool"
    echo "warm-up ${WARMUP}s before each run; $TAG_COUNT tags in $TAGS_REPO, pages of $PAGE"
    echo "load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
    echo
    printf '%-30s %-5s %5s %6s %9s %10s %9s %9s %6s\n' figure tool conns secs requests 'req/s' 'p50 ms' 'p99 ms' errors
    printf '%-30s %-5s %5s %6s %9s %10s %9s %9s %6s\n' ------ ---- ----- ---- -------- ----- ------ ------ ------
    local row scenario tool conns secs reqs rps p50 p99 errors notes
    for row in "${ROWS[@]}"; do
        IFS='|' read -r scenario tool conns secs reqs rps p50 p99 errors notes <<< "$row"
        printf '%-30s %-5s %5s %6s %9s %10s %9s %9s %6s\n' \
            "$scenario" "$tool" "$conns" "$secs" "$reqs" "$rps" "$p50" "$p99" "$errors"
    done
    echo
    echo "tag-list walk: $WALK_SUMMARY"
    if [[ $heap =~ ^[0-9]+$ ]]; then heap_txt="$((heap / 1048576)) MiB"; else heap_txt=$heap; fi
    echo "registry JVM at end of run: peak RSS (VmHWM) $(kib_to_mib "$hwm") MiB, RSS now $(kib_to_mib "$rss") MiB, max heap $heap_txt (-Xmx$XMX); PostgreSQL not included"
    local warns
    warns=$(grep -cE '^[0-9:.]+ (WARN|ERROR)' "$REGISTRY_LOG" || true)
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "registry log: $warns WARN/ERROR lines ($REGISTRY_LOG)"
    else
        echo "registry log: $warns WARN/ERROR lines (KEEP=1 keeps it)"
    fi
    echo
    echo "raw numbers appended to ${TSV#"$ROOT"/}"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "work dir $WORK; $CONNECTIONS connections, ${DURATION}s runs, ${WARMUP}s warm-ups, $TAG_COUNT tags"
mkdir -p "$WORK/results"
install_tools
prepare_app
start_registry

make_image
log "pushing $APP_REPO:latest ($MANIFEST_DIGEST, $MANIFEST_SIZE bytes)"
push_image "$APP_REPO" latest
check_manifest_by_tag

run_ab "manifest HEAD by tag" "$CONNECTIONS" "$DURATION" "HEAD /v2/$APP_REPO/manifests/latest" \
    "/v2/$APP_REPO/manifests/latest" -i -H "Accept: $MANIFEST_TYPE"
run_wrk "manifest GET by tag" "$CONNECTIONS" 2 "$DURATION" "GET /v2/$APP_REPO/manifests/latest" \
    "/v2/$APP_REPO/manifests/latest" -H "Accept: $MANIFEST_TYPE"
# The same GET through ab: HEAD and GET are only comparable when measured with the same tool
# (ab is single-threaded and reports whole milliseconds).
run_ab "manifest GET by tag (ab)" "$CONNECTIONS" "$DURATION" "GET /v2/$APP_REPO/manifests/latest; same tool as HEAD" \
    "/v2/$APP_REPO/manifests/latest" -H "Accept: $MANIFEST_TYPE"

create_tags
run_wrk "tag-list first page" 1 1 "$TAGLIST_DURATION" "n=$PAGE" \
    "/v2/$TAGS_REPO/tags/list?n=$PAGE"
run_wrk "tag-list middle page" 1 1 "$TAGLIST_DURATION" "n=$PAGE&last=$(tag_name $((TAG_COUNT / 2)))" \
    "/v2/$TAGS_REPO/tags/list?n=$PAGE&last=$(tag_name $((TAG_COUNT / 2)))"
run_wrk "tag-list last page" 1 1 "$TAGLIST_DURATION" "n=$PAGE&last=$(tag_name $((TAG_COUNT - 500))) (499 tags)" \
    "/v2/$TAGS_REPO/tags/list?n=$PAGE&last=$(tag_name $((TAG_COUNT - 500)))"
walk_tags

HWM=$(proc_kib "$REGISTRY_PID" VmHWM)
RSS=$(proc_kib "$REGISTRY_PID" VmRSS)
HEAP=$(max_heap_bytes)
write_tsv "$HWM" "$HEAP"
print_table "$HWM" "$RSS" "$HEAP"
if (( ERRORS > 0 )); then
    die "$ERRORS error(s) under load or in the tag walk (non-2xx answers, socket errors or missing tags); raw tool output is in $WORK/results (KEEP=1 keeps it)"
fi
