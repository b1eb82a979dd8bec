#!/usr/bin/env bash
# manifests.sh — manifest HEAD/GET by tag under load, and tag-list paging over 100,000 tags.
#
# Starts a fresh Cais (embedded PostgreSQL, filesystem storage), pushes one small image to
# bench/app, then measures at 64 concurrent keep-alive connections, every request carrying one
# bearer token obtained at the start (Cais is private by default):
#   manifest HEAD by tag   HEAD /v2/bench/app/manifests/latest   (ab -i; wrk hangs on HEAD)
#   manifest GET by tag    GET  /v2/bench/app/manifests/latest   (wrk; once more with ab, to set
#                                                                 beside the HEAD figure)
# and reports requests/s, p50 and p99 latency; then the same HEAD and GET with Basic credentials on
# every request, and anonymously from a public namespace ("open"), to show what each way of
# authenticating costs. It then gives the repository bench/tags 100,000
# tags on one manifest (the first pushed through the API, the rest inserted straight into the
# embedded PostgreSQL) and measures, over a single connection (what a paging client sees):
#   tag-list pages         GET /v2/bench/tags/tags/list?n=1000[&last=...]  first, middle, last page
#   tag-list walk          every page once, following the Link header (curl), total wall time
# Each measured load run follows a short warm-up run of the same request, and the first one follows
# a longer warm-up of the whole manifest path (HEAD and GET, --jit-warmup seconds each): until the
# JIT has compiled it, its compiler threads take the cores, and the first row measured would pay for
# code the later rows run compiled. The "cpu us/req" column is the registry JVM's CPU time (user +
# system) per measured request: throughput moves with whatever else runs on a shared machine, the
# CPU a request costs much less, so compare builds by it first.
#
# Usage: bench/manifests.sh [--duration S] [--warmup S] [--jit-warmup S] [--connections N] [--tags N] [--build]
# Env:   JAVA_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64 if present), XMX (default 512m),
#        KEEP=1 keeps the temp dir (storage, database, registry log, raw tool output),
#        BENCH_TMP (default /tmp), REGISTRY_JAVA_OPTS extra JVM options for the registry
#        (word-split; recorded in the TSV).
# This is a benchmark, not a test: it fails loudly on any unexpected status during setup, counts
# non-2xx answers and socket errors under load, and asserts no timings.

set -euo pipefail
BENCH_NAME=manifests
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

APP_REPO=bench/app
TAGS_REPO=bench/tags
PAGE=1000           # tag-list page size asked for (the registry's default maximum)
XMX=${XMX:-512m}

DURATION=15         # seconds per measured manifest run
WARMUP=5            # seconds per warm-up run (read by run_wrk and run_ab)
JIT_WARMUP=20       # seconds of HEAD and of GET before the first measured run
TAGLIST_DURATION=10 # seconds per measured tag-list run
CONNECTIONS=64
TAG_COUNT=100000
FORCE_BUILD=0

while [[ $# -gt 0 ]]; do
    case $1 in
        --duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs seconds}; shift 2 ;;
        --jit-warmup) JIT_WARMUP=${2:?--jit-warmup needs seconds}; shift 2 ;;
        --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
        --tags) TAG_COUNT=${2:?--tags needs a number}; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "--duration must be a positive number of seconds" >&2; exit 2; }
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "--warmup must be a number of seconds" >&2; exit 2; }
[[ $JIT_WARMUP =~ ^[0-9]+$ ]] || { echo "--jit-warmup must be a number of seconds" >&2; exit 2; }
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || { echo "--connections must be a positive number" >&2; exit 2; }
if ! [[ $TAG_COUNT =~ ^[1-9][0-9]*$ ]] || (( TAG_COUNT < 1000 || TAG_COUNT > 9999999 )); then
    echo "--tags must be between 1000 and 9999999" >&2; exit 2
fi
(( TAGLIST_DURATION > DURATION )) && TAGLIST_DURATION=$DURATION
TSV="$RESULTS_DIR/manifests-$(date -u +%Y-%m-%d).tsv"

# ---------------------------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------------------------

# The first tag goes through the API; the rest are inserted with psql (see cais_insert_tags).
create_tags() {
    push_small_image "$TAGS_REPO" "$(tag_name 0)"
    log "inserting $((TAG_COUNT - 1)) more tags into $TAGS_REPO with psql"
    local t0=$EPOCHREALTIME
    cais_insert_tags "$TAGS_REPO" "$TAG_COUNT"
    log "$TAG_COUNT tags in $TAGS_REPO ($(seconds_between "$t0" "$EPOCHREALTIME") s)"

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

ROWS=()      # scenario|tool|connections|seconds|requests|req_s|p50|p99|errors|cpu_us_per_request|notes
ERRORS=0

# load TOOL SCENARIO CONNECTIONS SECONDS NOTES TARGET [tool args...]: one warmed-up run of wrk
# (two threads, or one for a single connection) or ab, recorded as a row.
load() {
    local tool=$1 scenario=$2 conns=$3 secs=$4 notes=$5 target=$6
    shift 6
    local out="$WORK/results/$scenario.$tool" threads=2
    (( conns == 1 )) && threads=1
    log "$scenario: ${WARMUP}s warm-up, ${secs}s measured ($tool, $conns connections)"
    case $tool in
        wrk) run_wrk "$out" "$conns" "$threads" "$secs" "$BASE$target" "$@" ;;
        ab) run_ab "$out" "$conns" "$secs" "$BASE$target" "$@" ;;
    esac
    ERRORS=$((ERRORS + LOAD_ERRORS))
    ROWS+=("$scenario|$tool|$conns|$secs|${LOAD_REQUESTS:--}|${LOAD_RPS:--}|${LOAD_P50:--}|${LOAD_P99:--}|$LOAD_ERRORS|${LOAD_CPU_US:--}|$notes")
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
        out=$(curl -sS "${AUTH_ARGS[@]}" --request-target "$target" -D "$dir/$pages.headers" -o "$dir/$pages.json" \
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
    wall=$(seconds_between "$t0" "$t1")
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
    ROWS+=("tag-list walk|curl|1|$wall|$pages|$rps|$p50|$p99|$([[ $ok == yes ]] && echo 0 || echo 1)|-|$seen tags in $pages pages; wall ${wall}s; curl sum ${curl_sum}s")
}

# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

write_tsv() {
    local hwm=$1 heap=$2 row
    for row in "${ROWS[@]}"; do
        local scenario tool conns secs reqs rps p50 p99 errors cpu notes
        IFS='|' read -r scenario tool conns secs reqs rps p50 p99 errors cpu notes <<< "$row"
        tsv_append "$TSV" $'run\tgit\tscenario\ttool\tconnections\tseconds\trequests\trequests_per_s\tp50_ms\tp99_ms\terrors\ttags\tvmhwm_kib\txmx\tmax_heap_bytes\tjvm_opts\tcpu_us_per_request\tnotes' \
            "$RUN_ID" "$GIT_REV" "$scenario" "$tool" "$conns" "$secs" "$reqs" "$rps" "$p50" "$p99" \
            "$errors" "$TAG_COUNT" "$hwm" "$XMX" "$heap" "${REGISTRY_JAVA_OPTS:-}" "$cpu" "$notes"
    done
}

print_table() {
    local hwm=$1 rss=$2 heap=$3 heap_txt
    echo
    echo "Cais manifest benchmark  $RUN_ID  git $GIT_REV"
    echo "registry -Xmx$XMX${REGISTRY_JAVA_OPTS:+ $REGISTRY_JAVA_OPTS}, $("$JAVA" -version 2>&1 | head -n 1); $(nproc) cores shared by the registry, PostgreSQL and the load tool"
    echo "bearer token on every request; ${JIT_WARMUP}s JIT warm-up, then warm-up ${WARMUP}s before each run; $TAG_COUNT tags in $TAGS_REPO, pages of $PAGE"
    echo "load average at start $LOAD_START, at end $(loadavg) (other work on the machine skews the figures)"
    echo
    printf '%-30s %-5s %5s %6s %9s %10s %9s %9s %6s %9s\n' figure tool conns secs requests 'req/s' 'p50 ms' 'p99 ms' errors 'cpu us/req'
    printf '%-30s %-5s %5s %6s %9s %10s %9s %9s %6s %9s\n' ------ ---- ----- ---- -------- ----- ------ ------ ------ ----------
    local row scenario tool conns secs reqs rps p50 p99 errors cpu notes
    for row in "${ROWS[@]}"; do
        IFS='|' read -r scenario tool conns secs reqs rps p50 p99 errors cpu notes <<< "$row"
        printf '%-30s %-5s %5s %6s %9s %10s %9s %9s %6s %9s\n' \
            "$scenario" "$tool" "$conns" "$secs" "$reqs" "$rps" "$p50" "$p99" "$errors" "$cpu"
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

bench_init
LOAD_START=$(loadavg)
log "work dir $WORK; $CONNECTIONS connections, ${DURATION}s runs, ${WARMUP}s warm-ups, $TAG_COUNT tags"
mkdir -p "$WORK/results"
# wrk drives the GETs; ab (apache2-utils) the HEADs; psql fills the tag table.
install_tools wrk:wrk ab:apache2-utils psql:postgresql-client jq:jq
prepare_app "$FORCE_BUILD"
start_cais fs "$WORK/registry" "$XMX"
create_namespace bench
create_namespace openbench public
OPEN_REPO=openbench/app
use_token "repository:$APP_REPO:pull,push" "repository:$TAGS_REPO:pull,push" "repository:$OPEN_REPO:pull,push"

make_small_image "$WORK/image"
log "pushing $APP_REPO:latest ($MANIFEST_DIGEST, $MANIFEST_SIZE bytes)"
push_small_image "$APP_REPO" latest
check_manifest_by_tag "$APP_REPO" latest

MANIFEST_URL="/v2/$APP_REPO/manifests/latest"
if (( JIT_WARMUP > 0 )); then
    log "JIT warm-up: ${JIT_WARMUP}s of HEAD, then of GET, unmeasured"
    WARMUP=$JIT_WARMUP run_ab "$WORK/results/jit-warmup-head" "$CONNECTIONS" 1 "$BASE$MANIFEST_URL" \
        -i -H "Accept: $MANIFEST_TYPE"
    WARMUP=$JIT_WARMUP run_wrk "$WORK/results/jit-warmup-get" "$CONNECTIONS" 2 1 "$BASE$MANIFEST_URL" \
        -H "Accept: $MANIFEST_TYPE"
fi
load ab "manifest HEAD by tag" "$CONNECTIONS" "$DURATION" "HEAD $MANIFEST_URL" \
    "$MANIFEST_URL" -i -H "Accept: $MANIFEST_TYPE"
load wrk "manifest GET by tag" "$CONNECTIONS" "$DURATION" "GET $MANIFEST_URL" \
    "$MANIFEST_URL" -H "Accept: $MANIFEST_TYPE"
# The same GET through ab: HEAD and GET are only comparable when measured with the same tool
# (ab is single-threaded and reports whole milliseconds).
load ab "manifest GET by tag (ab)" "$CONNECTIONS" "$DURATION" "GET $MANIFEST_URL; same tool as HEAD" \
    "$MANIFEST_URL" -H "Accept: $MANIFEST_TYPE"

# The same HEAD and GET with Basic credentials on every request instead of a token, and anonymously from a
# public namespace ("open"): what each way of authenticating costs on the kubelet's hot path.
push_small_image "$OPEN_REPO" latest
BEARER_ARGS=("${AUTH_ARGS[@]}")
AUTH_ARGS=(-H "Authorization: Basic $(printf '%s:%s' "$ADMIN_USER" "$ADMIN_PASSWORD" | base64 -w0)")
load ab "manifest HEAD by tag, Basic auth" "$CONNECTIONS" "$DURATION" "HEAD $MANIFEST_URL" \
    "$MANIFEST_URL" -i -H "Accept: $MANIFEST_TYPE"
load wrk "manifest GET by tag, Basic auth" "$CONNECTIONS" "$DURATION" "GET $MANIFEST_URL" \
    "$MANIFEST_URL" -H "Accept: $MANIFEST_TYPE"
AUTH_ARGS=()
OPEN_URL="/v2/$OPEN_REPO/manifests/latest"
load ab "manifest HEAD by tag, open" "$CONNECTIONS" "$DURATION" "HEAD $OPEN_URL; public namespace, no credentials" \
    "$OPEN_URL" -i -H "Accept: $MANIFEST_TYPE"
load wrk "manifest GET by tag, open" "$CONNECTIONS" "$DURATION" "GET $OPEN_URL; public namespace, no credentials" \
    "$OPEN_URL" -H "Accept: $MANIFEST_TYPE"
AUTH_ARGS=("${BEARER_ARGS[@]}")

create_tags
TAGS_URL="/v2/$TAGS_REPO/tags/list?n=$PAGE"
load wrk "tag-list first page" 1 "$TAGLIST_DURATION" "n=$PAGE" "$TAGS_URL"
load wrk "tag-list middle page" 1 "$TAGLIST_DURATION" "n=$PAGE&last=$(tag_name $((TAG_COUNT / 2)))" \
    "$TAGS_URL&last=$(tag_name $((TAG_COUNT / 2)))"
load wrk "tag-list last page" 1 "$TAGLIST_DURATION" "n=$PAGE&last=$(tag_name $((TAG_COUNT - 500))) (499 tags)" \
    "$TAGS_URL&last=$(tag_name $((TAG_COUNT - 500)))"
walk_tags

HWM=$(proc_kib "$REGISTRY_PID" VmHWM)
RSS=$(proc_kib "$REGISTRY_PID" VmRSS)
HEAP=$(max_heap_bytes)
write_tsv "$HWM" "$HEAP"
print_table "$HWM" "$RSS" "$HEAP"
if (( ERRORS > 0 )); then
    die "$ERRORS error(s) under load or in the tag walk (non-2xx answers, socket errors or missing tags); raw tool output is in $WORK/results (KEEP=1 keeps it)"
fi
