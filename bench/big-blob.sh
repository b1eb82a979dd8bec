#!/usr/bin/env bash
# big-blob.sh — push and pull one big blob through a Cais registry held to a small heap.
#
# For each storage backend (filesystem, S3 via S3Proxy) this starts a fresh registry with
# -Xmx256m, then times (with a bearer token, as Cais is private):
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
BENCH_NAME=big-blob
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

REPO=bench/big
XMX=${XMX:-256m}
BACKENDS=(fs s3)
SIZE_MIB=2048
CHUNK_MIB=64
FORCE_BUILD=0

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

SIZE_BYTES=$((SIZE_MIB * 1024 * 1024))
CHUNK_BYTES=$((CHUNK_MIB * 1024 * 1024))
TSV="$RESULTS_DIR/big-blob-$(date -u +%Y-%m-%d).tsv"

# ---------------------------------------------------------------------------------------------
# Preparation (all outside the timed regions)
# ---------------------------------------------------------------------------------------------

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
    mkdir -p "$WORK/inputs"
    local name
    for name in mono chunked; do
        log "generating $SIZE_MIB MiB of random data for the $name blob"
        head -c "$SIZE_BYTES" /dev/urandom > "$WORK/inputs/$name.bin"
    done
    split_chunks "$WORK/inputs/chunked.bin" "$WORK/inputs/chunks" "$CHUNK_MIB"
    MONO_FILE="$WORK/inputs/mono.bin"
    MONO_DIGEST=$(sha256_of "$MONO_FILE")
    CHUNKED_DIGEST=$(sha256_of "$WORK/inputs/chunked.bin")
}

# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------

ROWS=()        # backend mode op seconds mib_s vmhwm_kib vmrss_kib digest_ok, one per operation
SUMMARY=()     # one line per backend
MISMATCHES=0

# measure BACKEND MODE OP COMMAND...: time COMMAND, then sample the registry's memory (VmHWM is
# the peak since start, so each row shows the peak up to and including that step).
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
    start_cais "$backend" "$WORK/registry-$backend" "$XMX"
    create_namespace bench
    use_token "repository:$REPO:pull,push"

    measure "$backend" monolithic push push_blob_post "$REPO" "$MONO_FILE" "$MONO_DIGEST"
    ROWS+=("$LAST_ROW -")
    measure "$backend" monolithic pull pull_blob "$REPO" "$MONO_DIGEST" "$SIZE_BYTES"
    digest_ok=$(verify_blob "$REPO" "$MONO_DIGEST")
    ROWS+=("$LAST_ROW $digest_ok")

    measure "$backend" chunked push push_blob_chunked "$REPO" "$WORK/inputs/chunks" "$CHUNKED_DIGEST"
    ROWS+=("$LAST_ROW -")
    measure "$backend" chunked pull pull_blob "$REPO" "$CHUNKED_DIGEST" "$SIZE_BYTES"
    digest_ok=$(verify_blob "$REPO" "$CHUNKED_DIGEST")
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

# Appends the rows of the backend just measured (ROWS from index $1 on) to the dated TSV.
write_tsv() {
    local from=$1 heap=$2 i
    for ((i = from; i < ${#ROWS[@]}; i++)); do
        local backend mode op secs rate hwm rss ok chunk=-
        read -r backend mode op secs rate hwm rss ok <<< "${ROWS[i]}"
        [[ $mode == chunked && $op == push ]] && chunk=$CHUNK_BYTES
        [[ $ok == MISMATCH ]] && MISMATCHES=$((MISMATCHES + 1))
        tsv_append "$TSV" $'run\tgit\tbackend\tmode\top\tsize_bytes\tchunk_bytes\tseconds\tmib_per_s\tdigest_ok\tvmhwm_kib\tvmrss_kib\txmx\tmax_heap_bytes\tjvm_opts' \
            "$RUN_ID" "$GIT_REV" "$backend" "$mode" "$op" "$SIZE_BYTES" "$chunk" \
            "$secs" "$rate" "$ok" "$hwm" "$rss" "$XMX" "$heap" "${REGISTRY_JAVA_OPTS:-}"
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

bench_init
log "work dir $WORK; backends: ${BACKENDS[*]}; blob $SIZE_MIB MiB; chunk $CHUNK_MIB MiB"
check_disk
install_tools jq:jq
prepare_app "$FORCE_BUILD"
make_inputs
for backend in "${BACKENDS[@]}"; do
    run_backend "$backend"
done
print_table
if (( MISMATCHES > 0 )); then
    die "$MISMATCHES pulled blob(s) did not match their digest"
fi
