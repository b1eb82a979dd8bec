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
# after three warm-up pulls) are profiled instead: the evidence behind the 1-stream pull row.
#
# Usage: bench/push-profile.sh [--size MiB] [--pull] [--build]
# Env:   JAVA_HOME, KEEP=1, BENCH_TMP as for the other scripts. Needs python3, curl, jq, Maven.

set -euo pipefail
BENCH_NAME=push-profile
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE_MIB=512
FORCE_BUILD=0
PULL=0
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case $1 in
        --size) SIZE_MIB=$2; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        --pull) PULL=1; shift ;;
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
start_cais fs "$WORK/registry" 512m
create_namespace bench
use_token "repository:bench/blob:pull,push"
log "three warm-up pushes of 256 MiB"
for i in 1 2 3; do push_blob_put bench/blob "$WORK/inputs/warm-$i.bin" "$(sha256_of "$WORK/inputs/warm-$i.bin")"; done
digest=$(sha256_of "$WORK/inputs/blob.bin")
sync
profile="$WORK/profile.collapsed"
if (( PULL )); then
    push_blob_put bench/blob "$WORK/inputs/blob.bin" "$digest"
    pull() { curl -sS -o /dev/null ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} "$BASE/v2/bench/blob/blobs/$digest"; }
    for i in 1 2 3; do pull; done
    profiler "start,event=cpu,interval=1000000,file=$profile,collapsed"
    t0=$EPOCHREALTIME
    for i in 1 2 3 4 5; do pull; done
    t1=$EPOCHREALTIME
    profiler "stop,file=$profile,collapsed"
    echo "five single-stream pulls of $SIZE_MIB MiB: $(mib_per_s $((5 * SIZE_MIB * 1048576)) "$(seconds_between "$t0" "$t1")") MiB/s"
else
    profiler "start,event=cpu,interval=1000000,file=$profile,collapsed"
    t0=$EPOCHREALTIME
    push_blob_put bench/blob "$WORK/inputs/blob.bin" "$digest"
    t1=$EPOCHREALTIME
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
