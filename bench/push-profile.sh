#!/usr/bin/env bash
# push-profile.sh — where a registry's CPU goes during a warmed monolithic blob push.
#
# Starts Cais (filesystem backend, embedded PostgreSQL, -Xmx512m), pushes three 256 MiB warm-up
# blobs (POST, then PUT carrying the blob, as bench/run does), then attaches async-profiler
# (tools.profiler:async-profiler from Maven Central; CPU mode, kernel frames included) for one
# 512 MiB push and prints the push rate and the registry's CPU by activity: the event loop reading
# the socket, the event loop's other work (HTTP decoding, handing the body to the request's
# virtual thread), SHA-256, writes into the page cache, the JIT compiler, GC. This is the evidence
# behind the monolithic-push row of docs/benchmarks.md.
# With --pull, the blob is pushed unprofiled and five single-stream pulls of it (curl to /dev/null,
# after three warm-up pulls) are profiled instead: the evidence behind the 1-stream pull row;
# --streams N makes each of the five a round of N parallel pulls. --s3 runs Cais on its S3 backend
# over a local S3Proxy (as bench/run's cais-s3). The CPU time of the registry, of S3Proxy and of
# the rest of the machine (curl, the kernel's share outside the registry) during the profiled part
# is printed too: on two shared cores it says who the transfer waits for.
#
# Usage: bench/push-profile.sh [--size MiB] [--pull] [--streams N] [--s3] [--build]
# Env:   JAVA_HOME, KEEP=1, BENCH_TMP as for the other scripts. Needs python3, curl, jq, Maven.

set -euo pipefail
BENCH_NAME=push-profile
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE_MIB=512
FORCE_BUILD=0
PULL=0
STREAMS=1
BACKEND=fs
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case $1 in
        --size) SIZE_MIB=$2; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        --pull) PULL=1; shift ;;
        --streams) STREAMS=$2; shift 2 ;;
        --s3) BACKEND=s3; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done

bench_init
prepare_app "$FORCE_BUILD"
fetch_async_profiler
mkdir -p "$WORK/inputs"
for i in 1 2 3; do head -c $((256 * 1048576)) /dev/urandom > "$WORK/inputs/warm-$i.bin"; done
head -c $((SIZE_MIB * 1048576)) /dev/urandom > "$WORK/inputs/blob.bin"
sync
[[ $BACKEND == s3 ]] && start_s3proxy
start_cais "$BACKEND" "$WORK/registry" 512m
create_namespace bench
use_token "repository:bench/blob:pull,push"
log "three warm-up pushes of 256 MiB"
for i in 1 2 3; do push_blob_put bench/blob "$WORK/inputs/warm-$i.bin" "$(sha256_of "$WORK/inputs/warm-$i.bin")"; done
digest=$(sha256_of "$WORK/inputs/blob.bin")
sync
profile="$WORK/profile.collapsed"

# CPU seconds of a pid (utime + stime) and of the whole machine (all but idle and iowait, /proc/stat).
pid_cpu_s() { [[ -n $1 && -r /proc/$1/stat ]] && awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / t }' "/proc/$1/stat" || echo 0; }
machine_cpu_s() { awk -v t="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.3f", ($2 + $3 + $4 + $7 + $8 + $9) / t }' /proc/stat; }
cpu_begin() { CPU0=("$(pid_cpu_s "$REGISTRY_PID")" "$(pid_cpu_s "${S3PROXY_PID:-}")" "$(machine_cpu_s)"); }
cpu_end() {
    local reg s3 all
    reg=$(awk -v a="${CPU0[0]}" -v b="$(pid_cpu_s "$REGISTRY_PID")" 'BEGIN { printf "%.2f", b - a }')
    s3=$(awk -v a="${CPU0[1]}" -v b="$(pid_cpu_s "${S3PROXY_PID:-}")" 'BEGIN { printf "%.2f", b - a }')
    all=$(awk -v a="${CPU0[2]}" -v b="$(machine_cpu_s)" 'BEGIN { printf "%.2f", b - a }')
    echo "CPU seconds over the profiled ${1} s (2 cores: $(awk -v w="$1" 'BEGIN { printf "%.2f", 2 * w }') available):" \
        "registry $reg, S3Proxy $s3, the rest of the machine (curl, kernel) $(awk -v a="$all" -v r="$reg" -v s="$s3" 'BEGIN { printf "%.2f", a - r - s }')"
}
if (( PULL )); then
    push_blob_put bench/blob "$WORK/inputs/blob.bin" "$digest"
    pull() { curl -sS -o /dev/null ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} "$BASE/v2/bench/blob/blobs/$digest"; }
    pulls() {
        local pids=() s
        for ((s = 0; s < STREAMS; s++)); do pull & pids+=($!); done
        for s in "${pids[@]}"; do wait "$s" || die "a pull failed"; done
    }
    for i in 1 2 3; do pulls; done
    profiler "start,event=cpu,interval=1000000,file=$profile,collapsed"
    cpu_begin
    t0=$EPOCHREALTIME
    for i in 1 2 3 4 5; do pulls; done
    t1=$EPOCHREALTIME
    cpu_end "$(seconds_between "$t0" "$t1")"
    profiler "stop,file=$profile,collapsed"
    echo "five rounds of $STREAMS parallel pull(s) of $SIZE_MIB MiB ($BACKEND): $(mib_per_s $((5 * STREAMS * SIZE_MIB * 1048576)) "$(seconds_between "$t0" "$t1")") MiB/s"
else
    profiler "start,event=cpu,interval=1000000,file=$profile,collapsed"
    cpu_begin
    t0=$EPOCHREALTIME
    push_blob_put bench/blob "$WORK/inputs/blob.bin" "$digest"
    t1=$EPOCHREALTIME
    cpu_end "$(seconds_between "$t0" "$t1")"
    profiler "stop,file=$profile,collapsed"
    echo "monolithic push of $SIZE_MIB MiB: $(mib_per_s $((SIZE_MIB * 1048576)) "$(seconds_between "$t0" "$t1")") MiB/s"
fi
python3 - "$profile" <<'PY'
import collections, sys
shares, total = collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, count = line.rsplit(' ', 1)
    count = int(count)
    total += count
    frames = stack.split(';')
    joined = ';'.join(frames)
    if 'CompileBroker' in joined:
        kind = 'JIT compiler'
    elif 'sendfile' in joined or 'transferTo' in joined:
        kind = 'sendfile (kernel: page cache to socket)'
    elif 'sha256_implCompress' in joined:
        kind = 'SHA-256'
    elif 'S3Bodies' in joined or 'Http1xClientConnection' in joined or 'HttpClientImpl' in joined:
        kind = 'S3 fetch: Vert.x HTTP client reading S3Proxy (presigned GET)'
    elif 'BlobBodyWriter' in joined or 'doWrite' in joined:
        kind = 'writing the response to the socket'
    elif 'NioEventLoop' in joined and 'doReadBytes' in joined:
        kind = 'event loop: reading the socket'
    elif 'NioEventLoop' in joined:
        kind = 'event loop: other (HTTP decoding, hand-off to the virtual thread, epoll)'
    elif 'FileChannelImpl.write' in joined:
        kind = 'writing the file (page cache)'
    elif 'force0' in joined:
        kind = 'fsync before publishing'
    elif 'VirtualThread' in joined or 'Continuation' in joined:
        kind = 'virtual thread: other (body stream, copies, park/unpark)'
    elif 'GC' in frames[0] or 'G1' in joined:
        kind = 'GC'
    else:
        kind = 'other'
    shares[kind] += count
print(f'registry CPU samples during the profiled requests: {total} (1 ms each)')
for kind, count in shares.most_common():
    print(f'{100 * count / total:5.1f}%  {kind}')
PY
