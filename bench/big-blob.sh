#!/usr/bin/env bash
# big-blob.sh — push and pull one big blob through a Cais registry held to a small heap.
#
# For each storage backend (filesystem, S3 via S3Proxy) this starts a fresh registry with
# -Xmx256m, then times:
#   monolithic push  POST /v2/<repo>/blobs/uploads/?digest=...  (whole blob in one request)
#   monolithic pull  GET  /v2/<repo>/blobs/<digest>
#   chunked push     POST .../uploads/, PATCH per chunk (Content-Range), PUT ?digest=
#   chunked pull     GET  /v2/<repo>/blobs/<digest>
# and reports wall time, MiB/s and the registry's peak RSS (VmHWM). The point is to show that a
# blob much larger than the heap streams through without the heap (or RSS) growing with it.
#
# Usage: bench/big-blob.sh [--backend fs|s3|both] [--size MiB] [--chunk MiB] [--build]
# Env:   JAVA_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64 if present), XMX (default 256m),
#        KEEP=1 keeps the temp dir (inputs, storage, logs), BENCH_TMP (default /tmp),
#        REGISTRY_JAVA_OPTS extra JVM options for the registry (word-split; recorded in the TSV).
# This is a benchmark, not a test: it fails loudly on any non-2xx answer but asserts no timings.

set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/target/quarkus-app/quarkus-run.jar"
RESULTS_DIR="$ROOT/bench/results"
S3PROXY_VERSION=4.1.0
S3PROXY_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cais-bench"
REPO=bench/big
XMX=${XMX:-256m}
read -r -a EXTRA_JVM_OPTS <<< "${REGISTRY_JAVA_OPTS:-}"
READY_TIMEOUT=180   # seconds; the first start unpacks the embedded PostgreSQL and runs initdb

BACKENDS=(fs s3)
SIZE_MIB=2048
CHUNK_MIB=64
FORCE_BUILD=0

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit "${1:-0}"
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --backend)
            case ${2:-} in
                fs) BACKENDS=(fs) ;;
                s3) BACKENDS=(s3) ;;
                both) BACKENDS=(fs s3) ;;
                *) echo "--backend must be fs, s3 or both" >&2; exit 2 ;;
            esac
            shift 2 ;;
        --size) SIZE_MIB=${2:?--size needs MiB}; shift 2 ;;
        --chunk) CHUNK_MIB=${2:?--chunk needs MiB}; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || { echo "--size must be a positive number of MiB" >&2; exit 2; }
[[ $CHUNK_MIB =~ ^[1-9][0-9]*$ ]] || { echo "--chunk must be a positive number of MiB" >&2; exit 2; }

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

SIZE_BYTES=$((SIZE_MIB * 1024 * 1024))
CHUNK_BYTES=$((CHUNK_MIB * 1024 * 1024))

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() {
    printf 'big-blob: %s\n' "$*" >&2
    exit 1
}

# A loopback port nobody listens on. Probing with /dev/tcp keeps us free of extra tools; the
# race with other programs grabbing the port before the registry does is acceptable here.
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

# One field of /proc/<pid>/status in KiB (VmHWM = peak resident set, VmRSS = current).
proc_kib() {
    awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"
}

seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
mib_per_s() { awk -v bytes="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? bytes / 1048576 / s : 0) }'; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# Sends the TERM signal to a process we started and waits for it; KILL after a grace period.
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

# ---------------------------------------------------------------------------------------------
# Temp dir and cleanup
# ---------------------------------------------------------------------------------------------

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/cais-big-blob.XXXXXX")
REGISTRY_PID=""
REGISTRY_PGDIR=""
S3PROXY_PID=""

cleanup() {
    local status=$?
    stop_registry
    if [[ -n $S3PROXY_PID ]]; then
        stop_pid "$S3PROXY_PID" s3proxy
        S3PROXY_PID=""
    fi
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
# Preparation (all outside the timed regions)
# ---------------------------------------------------------------------------------------------

prepare_app() {
    if [[ $FORCE_BUILD == 1 || ! -f $JAR ]]; then
        log "building Cais (mvn -DskipTests package)"
        if ! (cd "$ROOT" && mvn -B -q -DskipTests package) > "$WORK/build.log" 2>&1; then
            tail -n 40 "$WORK/build.log" >&2
            die "build failed"
        fi
        [[ -f $JAR ]] || die "build did not produce $JAR"
    fi
    # Run from a private copy so a rebuild in the work tree during a long run cannot swap the
    # application out from under the registry.
    cp -a "$ROOT/target/quarkus-app" "$WORK/app"
    APP_JAR="$WORK/app/quarkus-run.jar"
}

# Room for the two inputs, the chunk files, and one backend's storage (a finished blob plus its
# in-progress upload copy for each of the two blobs), plus a GiB of slack.
check_disk() {
    local need_kib=$(( (7 * SIZE_MIB + 1024) * 1024 ))
    local avail_kib
    avail_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
    if (( avail_kib < need_kib )); then
        die "need about $((need_kib / 1024)) MiB free under $WORK, have $((avail_kib / 1024)) MiB"
    fi
}

# Two different random blobs: the registry deduplicates by digest, so pushing the same content
# twice would make the second push measure nothing.
make_inputs() {
    mkdir -p "$WORK/inputs/chunks"
    local name
    for name in mono chunked; do
        log "generating $SIZE_MIB MiB of random data for the $name blob"
        head -c "$SIZE_BYTES" /dev/urandom > "$WORK/inputs/$name.bin"
        echo "sha256:$(sha256sum "$WORK/inputs/$name.bin" | cut -d' ' -f1)" > "$WORK/inputs/$name.digest"
    done
    # Pre-split so the chunked push sends plain files with exact Content-Lengths and the timed
    # region contains no dd/head pipelines.
    split -b "$CHUNK_BYTES" -d -a 6 "$WORK/inputs/chunked.bin" "$WORK/inputs/chunks/part-"
    MONO_FILE="$WORK/inputs/mono.bin"
    MONO_DIGEST=$(cat "$WORK/inputs/mono.digest")
    CHUNKED_DIGEST=$(cat "$WORK/inputs/chunked.digest")
}

fetch_s3proxy() {
    S3PROXY_JAR="$S3PROXY_CACHE/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
    [[ -f $S3PROXY_JAR ]] && return
    log "fetching S3Proxy $S3PROXY_VERSION"
    mkdir -p "$S3PROXY_CACHE"
    # Run from the cache dir so Maven does not load (and depend on) the project's pom.xml.
    if ! (cd "$S3PROXY_CACHE" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
            -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
            -DoutputDirectory="$S3PROXY_CACHE") > "$WORK/s3proxy-fetch.log" 2>&1; then
        tail -n 40 "$WORK/s3proxy-fetch.log" >&2
        die "could not fetch S3Proxy"
    fi
    [[ -f $S3PROXY_JAR ]] || die "S3Proxy jar not found at $S3PROXY_JAR"
}

# ---------------------------------------------------------------------------------------------
# Processes under test
# ---------------------------------------------------------------------------------------------

S3_ACCESS_KEY=bench-access
S3_SECRET_KEY=bench-secret-key-0123456789

start_s3proxy() {
    local port dir="$WORK/s3proxy"
    port=$(free_port)
    mkdir -p "$dir/data"
    cat > "$dir/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
EOF
    log "starting S3Proxy on port $port"
    "$JAVA" -Xmx1g -jar "$S3PROXY_JAR" --properties "$dir/s3proxy.conf" > "$dir/s3proxy.log" 2>&1 &
    S3PROXY_PID=$!
    S3_ENDPOINT="http://127.0.0.1:$port"
    # Any HTTP answer (S3Proxy sends 403 to anonymous requests) means it is listening.
    for _ in $(seq 1 120); do
        kill -0 "$S3PROXY_PID" 2>/dev/null || { tail -n 30 "$dir/s3proxy.log" >&2; die "S3Proxy exited during start"; }
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/" || true) != 000 ]] && return
        sleep 0.5
    done
    tail -n 30 "$dir/s3proxy.log" >&2
    die "S3Proxy did not answer within 60 s"
}

# Starts a fresh registry (own embedded PostgreSQL and blob storage) for one backend.
start_registry() {
    local backend=$1 dir="$WORK/registry-$backend" http_port pg_port
    http_port=$(free_port)
    # Both ports are only probed, not held, so make sure the two picks differ.
    pg_port=$(free_port)
    while [[ $pg_port == "$http_port" ]]; do pg_port=$(free_port); done
    mkdir -p "$dir"
    REGISTRY_LOG="$dir/registry.log"
    REGISTRY_PGDIR="$dir/pg"
    local storage=()
    case $backend in
        fs) storage=(-Dcais.storage.type=filesystem "-Dcais.storage.filesystem.root=$dir/blobs") ;;
        s3) storage=(-Dcais.storage.type=s3 "-Dcais.storage.s3.endpoint=$S3_ENDPOINT"
                     -Dcais.storage.s3.bucket=cais -Dcais.storage.s3.region=us-east-1
                     "-Dcais.storage.s3.access-key=$S3_ACCESS_KEY" "-Dcais.storage.s3.secret-key=$S3_SECRET_KEY"
                     -Dcais.storage.s3.create-bucket=true) ;;
    esac
    log "starting Cais ($backend, -Xmx$XMX) on port $http_port"
    # cwd is the run dir so a config/application.properties in the caller's cwd is not picked up;
    # exec keeps $! equal to the JVM's pid, whose /proc status we sample.
    (cd "$dir" && exec "$JAVA" "-Xmx$XMX" ${EXTRA_JVM_OPTS[@]+"${EXTRA_JVM_OPTS[@]}"} \
        "-Dquarkus.http.port=$http_port" \
        "-Dcais.embedded-database.data-dir=$REGISTRY_PGDIR" "-Dcais.embedded-database.port=$pg_port" \
        "${storage[@]}" -jar "$APP_JAR") > "$REGISTRY_LOG" 2>&1 &
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
    # The embedded PostgreSQL is a child of the JVM and normally stops with it; if the JVM had to
    # be killed, stop the postmaster named in its own pid file (first line).
    local pidfile="$REGISTRY_PGDIR/postmaster.pid" pg_pid
    if [[ -f $pidfile ]]; then
        pg_pid=$(head -n 1 "$pidfile")
        if [[ $pg_pid =~ ^[0-9]+$ ]] && kill -0 "$pg_pid" 2>/dev/null; then
            log "stopping leftover embedded PostgreSQL (pid $pg_pid)"
            kill -TERM "$pg_pid" 2>/dev/null || true
        fi
    fi
}

# The heap limit the running JVM actually applied (MaxHeapSize), in bytes; falls back to the
# flag we passed if jcmd is not available.
max_heap_bytes() {
    local v
    v=$("$JCMD" "$REGISTRY_PID" VM.flags 2>/dev/null | tr ' ' '\n' | sed -n 's/^-XX:MaxHeapSize=//p' || true)
    echo "${v:-unknown}"
}

# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

# call METHOD TARGET EXPECTED_STATUS [curl args...]
# TARGET is the request path with query. It is sent with --request-target to the bare base URL
# because `curl -T file URL` appends the file's name to a URL whose path ends in '/' (as
# .../blobs/uploads/ does); this way uploads keep the spec's path and an exact Content-Length.
# 'Expect:' stops curl from waiting up to a second for a '100 Continue' on each upload.
# Any other status than the expected one aborts the run with the status and response body.
call() {
    local method=$1 target=$2 expected=$3
    shift 3
    local status
    status=$(curl -sS -X "$method" --request-target "$target" -H 'Expect:' \
        -D "$WORK/last.headers" -o "$WORK/last.body" -w '%{http_code}' "$@" "$BASE/") \
        || die "curl failed on $method $target"
    if [[ $status != "$expected" ]]; then
        {
            echo "big-blob: $method $target answered $status, expected $expected"
            echo "--- response headers"; cat "$WORK/last.headers"
            echo "--- response body"; head -c 4096 "$WORK/last.body"; echo
            echo "--- registry log (last 20 lines)"; tail -n 20 "$REGISTRY_LOG"
        } >&2
        exit 1
    fi
}

# The last value of a response header from the previous call (the last header block wins).
last_header() {
    awk -v name="$(tr '[:upper:]' '[:lower:]' <<< "$1")" -F': ' \
        'tolower($1) == name { v = $2 } END { sub(/\r$/, "", v); print v }' "$WORK/last.headers"
}

# Locations may be absolute URLs; we always talk to $BASE, so keep the path and query only.
location_target() {
    local loc
    loc=$(last_header Location)
    [[ -n $loc ]] || die "response carried no Location header"
    sed -E 's#^[a-zA-Z]+://[^/]+##' <<< "$loc"
}

push_monolithic() {
    call POST "/v2/$REPO/blobs/uploads/?digest=$MONO_DIGEST" 201 \
        -T "$MONO_FILE" -H 'Content-Type: application/octet-stream'
}

push_chunked() {
    call POST "/v2/$REPO/blobs/uploads/" 202
    local target offset=0 chunk size end sep
    target=$(location_target)
    for chunk in "$WORK"/inputs/chunks/part-*; do
        size=$(stat -c %s "$chunk")
        end=$((offset + size - 1))
        call PATCH "$target" 202 -T "$chunk" \
            -H 'Content-Type: application/octet-stream' -H "Content-Range: $offset-$end"
        # The spec says to continue at the Location of the latest answer.
        target=$(location_target)
        offset=$((end + 1))
    done
    sep='?'
    [[ $target == *\?* ]] && sep='&'
    call PUT "$target${sep}digest=$CHUNKED_DIGEST" 201 -H 'Content-Length: 0'
}

# Timed pull: the body goes to /dev/null so that nothing but the registry and curl is measured.
# On a failure status the body was discarded, so it is fetched once more (bounded) to show it.
pull_timed() {
    local digest=$1 out status bytes
    out=$(curl -sS --request-target "/v2/$REPO/blobs/$digest" -o /dev/null \
        -w '%{http_code} %{size_download}' "$BASE/") || die "curl failed on GET blob $digest"
    read -r status bytes <<< "$out"
    if [[ $status != 200 ]]; then
        {
            echo "big-blob: GET /v2/$REPO/blobs/$digest answered $status, expected 200"
            echo "--- response body (from a repeat of the request)"
            curl -sS --request-target "/v2/$REPO/blobs/$digest" "$BASE/" | head -c 4096; echo
            echo "--- registry log (last 20 lines)"; tail -n 20 "$REGISTRY_LOG"
        } >&2
        exit 1
    fi
    [[ $bytes == "$SIZE_BYTES" ]] || die "GET $digest returned $bytes bytes, expected $SIZE_BYTES"
}

# Untimed second pull that hashes the content: "ok" when it matches the pushed digest.
verify_pull() {
    local digest=$1 actual
    actual="sha256:$(curl -sS --fail-with-body --request-target "/v2/$REPO/blobs/$digest" "$BASE/" \
        | sha256sum | cut -d' ' -f1)" || die "verification GET of $digest failed"
    if [[ $actual == "$digest" ]]; then echo ok; else echo MISMATCH; fi
}

# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------

ROWS=()        # backend mode op seconds mib_s digest_ok vmhwm_kib vmrss_kib, one per operation
SUMMARY=()     # one line per backend
MISMATCHES=0

# measure BACKEND MODE OP DIGEST_OK COMMAND...: time COMMAND, then sample the registry's memory
# (VmHWM is the peak since start, so each row shows the peak up to and including that step).
measure() {
    local backend=$1 mode=$2 op=$3
    shift 3
    local t0 t1 secs
    t0=$EPOCHREALTIME
    "$@"
    t1=$EPOCHREALTIME
    secs=$(seconds_between "$t0" "$t1")
    LAST_ROW="$backend $mode $op $secs $(mib_per_s "$SIZE_BYTES" "$secs")"
    LAST_ROW+=" $(proc_kib "$REGISTRY_PID" VmHWM) $(proc_kib "$REGISTRY_PID" VmRSS)"
    log "$backend $mode $op: $secs s"
}

run_backend() {
    local backend=$1 digest_ok rows_before=${#ROWS[@]}
    [[ $backend == s3 && -z $S3PROXY_PID ]] && start_s3proxy
    start_registry "$backend"

    measure "$backend" monolithic push push_monolithic
    ROWS+=("$LAST_ROW -")
    measure "$backend" monolithic pull pull_timed "$MONO_DIGEST"
    digest_ok=$(verify_pull "$MONO_DIGEST")
    ROWS+=("$LAST_ROW $digest_ok")

    measure "$backend" chunked push push_chunked
    ROWS+=("$LAST_ROW -")
    measure "$backend" chunked pull pull_timed "$CHUNKED_DIGEST"
    digest_ok=$(verify_pull "$CHUNKED_DIGEST")
    ROWS+=("$LAST_ROW $digest_ok")

    # End-of-backend sample: the figure the benchmark is about.
    local hwm rss heap
    hwm=$(proc_kib "$REGISTRY_PID" VmHWM)
    rss=$(proc_kib "$REGISTRY_PID" VmRSS)
    heap=$(max_heap_bytes)
    SUMMARY+=("$backend $hwm $rss $heap")
    write_tsv "$rows_before" "$heap"

    stop_registry
    # Free this backend's storage before the next one unless the user wants to inspect it.
    [[ ${KEEP:-0} == 1 ]] || rm -rf "$WORK/registry-$backend/blobs" "$WORK/s3proxy/data"/*
    return 0
}

# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

RUN_ID=$(date -u +%Y-%m-%dT%H:%M:%SZ)
TSV="$RESULTS_DIR/big-blob-$(date -u +%Y-%m-%d).tsv"
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo no-commit)
if [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]]; then GIT_REV+="-dirty"; fi

# Appends the rows of the backend just measured (ROWS from index $1 on) to the dated TSV.
write_tsv() {
    local from=$1 heap=$2 i
    mkdir -p "$RESULTS_DIR"
    if [[ ! -s $TSV ]]; then
        printf 'run\tgit\tbackend\tmode\top\tsize_bytes\tchunk_bytes\tseconds\tmib_per_s\tdigest_ok\tvmhwm_kib\tvmrss_kib\txmx\tmax_heap_bytes\tjvm_opts\n' > "$TSV"
    fi
    for ((i = from; i < ${#ROWS[@]}; i++)); do
        local backend mode op secs rate hwm rss ok chunk=-
        read -r backend mode op secs rate hwm rss ok <<< "${ROWS[i]}"
        [[ $mode == chunked && $op == push ]] && chunk=$CHUNK_BYTES
        [[ $ok == MISMATCH ]] && MISMATCHES=$((MISMATCHES + 1))
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
            "$RUN_ID" "$GIT_REV" "$backend" "$mode" "$op" "$SIZE_BYTES" "$chunk" \
            "$secs" "$rate" "$ok" "$hwm" "$rss" "$XMX" "$heap" "${REGISTRY_JAVA_OPTS:--}" >> "$TSV"
    done
}

print_table() {
    echo
    echo "Cais big-blob benchmark  $RUN_ID  git $GIT_REV"
    echo "blob $SIZE_MIB MiB, chunks $CHUNK_MIB MiB, registry -Xmx$XMX${REGISTRY_JAVA_OPTS:+ $REGISTRY_JAVA_OPTS}, $("$JAVA" -version 2>&1 | head -n 1)"
    echo
    printf '%-8s %-11s %-5s %10s %10s %8s %14s\n' backend mode op seconds 'MiB/s' digest 'VmHWM so far'
    printf '%-8s %-11s %-5s %10s %10s %8s %14s\n' ------- ---------- ----- ------- ----- ------ ------------
    local row backend mode op secs rate hwm rss ok
    for row in "${ROWS[@]}"; do
        read -r backend mode op secs rate hwm rss ok <<< "$row"
        printf '%-8s %-11s %-5s %10s %10s %8s %10s MiB\n' \
            "$backend" "$mode" "$op" "$secs" "$rate" "$ok" "$(kib_to_mib "$hwm")"
    done
    echo
    local line heap_txt
    for line in "${SUMMARY[@]}"; do
        read -r backend hwm rss heap <<< "$line"
        if [[ $heap =~ ^[0-9]+$ ]]; then heap_txt="$((heap / 1048576)) MiB"; else heap_txt=$heap; fi
        printf '%-3s registry at end of run: peak RSS (VmHWM) %s MiB, RSS now %s MiB, max heap %s (-Xmx%s)\n' \
            "$backend" "$(kib_to_mib "$hwm")" "$(kib_to_mib "$rss")" "$heap_txt" "$XMX"
    done
    if [[ -n $S3PROXY_PID ]]; then
        printf 's3proxy (not Cais) peak RSS: %s MiB\n' "$(kib_to_mib "$(proc_kib "$S3PROXY_PID" VmHWM)")"
    fi
    echo
    echo "raw numbers appended to ${TSV#"$ROOT"/}"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

log "work dir $WORK; backends: ${BACKENDS[*]}; blob $SIZE_MIB MiB; chunk $CHUNK_MIB MiB"
check_disk
prepare_app
[[ " ${BACKENDS[*]} " == *" s3 "* ]] && fetch_s3proxy
make_inputs
for backend in "${BACKENDS[@]}"; do
    run_backend "$backend"
done
print_table
if (( MISMATCHES > 0 )); then
    die "$MISMATCHES pulled blob(s) did not match their digest"
fi
