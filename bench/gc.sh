#!/usr/bin/env bash
# gc.sh — online garbage collection of BLOBS unreferenced blobs (default 100,000): how long it takes, and
# manifest HEAD / blob push p99 while it runs compared with idle.
#
# Starts Cais (embedded PostgreSQL) with its workers off (cais.gc.enabled=false), pushes one small image to
# bench/app:latest, then makes BLOBS garbage blobs without pushing them one by one: rows inserted with SQL
# (blob + repository_blob in bench/junk; the V9 triggers enqueue their reviews exactly as for pushed blobs) and
# their objects written straight into the store — the filesystem store's directory, or, with --backend s3, the
# directory of S3Proxy's filesystem provider, which serves files under <basedir>/<bucket>/<key> as objects.
# Then, for each phase (idle, then during `POST /api/v1/gc {"ignoreDelay":true}`):
#   - manifest HEAD by tag: ab -k, HEAD_CONNECTIONS connections, for the phase's length;
#   - blob push: one client pushing 64 KiB random blobs monolithically (POST ?digest=), back to back, each timed.
# The GC run's wall time is the `POST /api/v1/gc` request's; the answer (objects, bytes) is checked against BLOBS.
#
# Usage: bench/gc.sh [--blobs N] [--backend fs|s3] [--build]
# Env:   JAVA_HOME, XMX (default 512m), KEEP=1, BENCH_TMP, HEAD_CONNECTIONS (default 16), IDLE_SECONDS (default 20).
# This is a benchmark, not a test. Results: bench/results/gc.tsv.

set -euo pipefail
BENCH_NAME=gc
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BLOBS=100000
BACKEND=fs
FORCE_BUILD=0
XMX=${XMX:-512m}
HEAD_CONNECTIONS=${HEAD_CONNECTIONS:-16}
IDLE_SECONDS=${IDLE_SECONDS:-20}
while [[ $# -gt 0 ]]; do
    case $1 in
        --blobs) BLOBS=${2:?--blobs needs a number}; shift 2 ;;
        --backend) BACKEND=${2:?--backend needs fs or s3}; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done

PUSHER_PID=""
bench_on_exit() {
    [[ -n $PUSHER_PID ]] && kill "$PUSHER_PID" 2>/dev/null || true
}

bench_init
install_tools curl:curl ab:apache2-utils jq:jq psql:postgresql-client
prepare_app "$FORCE_BUILD"
[[ $BACKEND == s3 ]] && start_s3proxy
start_cais "$BACKEND" "$WORK/cais" "$XMX" -Dcais.gc.enabled=false
create_namespace bench
use_token "repository:bench/app:pull,push" "repository:bench/junk:pull,push" "repository:bench/pushes:pull,push"
make_small_image "$WORK/image"
push_small_image bench/app latest
call POST "/v2/bench/junk/blobs/uploads/" 202   # creates the repository the garbage is linked to

# ---- the garbage: rows by SQL, objects straight into the store ---------------------------------
log "inserting $BLOBS unreferenced blobs (rows and review queue)"
sql <<SQL
INSERT INTO blob (digest, size)
    SELECT 'sha256:' || encode(sha256(convert_to('gc-bench-' || i, 'UTF8')), 'hex'), length('gc-bench-' || i)
    FROM generate_series(1, $BLOBS) i;
INSERT INTO repository_blob (repository_id, digest, created_at)
    SELECT r.id, 'sha256:' || encode(sha256(convert_to('gc-bench-' || i, 'UTF8')), 'hex'), now() - interval '2 days'
    FROM generate_series(1, $BLOBS) i, repository r WHERE r.name = 'bench/junk';
DELETE FROM upload_session;
SQL
case $BACKEND in
    fs) OBJECTS="$WORK/cais/blobs/blobs/sha256" ;;
    s3) OBJECTS="$WORK/s3proxy/data/cais/blobs/sha256" ;;
esac
log "writing $BLOBS objects under $OBJECTS"
for i in $(seq 0 255); do mkdir -p "$OBJECTS/$(printf '%02x' "$i")"; done
sql -At -c "SELECT i, encode(sha256(convert_to('gc-bench-' || i, 'UTF8')), 'hex') FROM generate_series(1, $BLOBS) i" \
    | while IFS='|' read -r i hex; do printf 'gc-bench-%s' "$i" > "$OBJECTS/${hex:0:2}/$hex"; done
before=$(find "$OBJECTS" -type f | wc -l)
log "store holds $before objects"

# ---- load ---------------------------------------------------------------------------------------

# push_loop OUT_FILE: pushes 64 KiB random blobs back to back until killed; one line of seconds per push.
push_loop() {
    local out=$1 blob="$WORK/push.bin" digest
    : > "$out"
    while true; do
        head -c 65536 /dev/urandom > "$blob"
        digest=$(sha256_of "$blob")
        curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Expect:' -X POST ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} \
            -H 'Content-Type: application/octet-stream' -T "$blob" --request-target "/v2/bench/pushes/blobs/uploads/?digest=$digest" \
            "$BASE/" >> "$out" || true
    done
}

# p99_ms FILE: the 99th percentile of the second column (seconds) of the 201 lines, in ms; and the count.
p99_ms() {
    awk '$1 == 201 { print $2 * 1000 }' "$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- 0"; exit }
        i = int(NR * 0.99); if (i < 1) i = 1; printf "%.1f %d\n", v[i], NR }'
}

# phase NAME SECONDS: manifest HEAD with ab and the push loop, side by side, for SECONDS.
phase() {
    local name=$1 secs=$2
    push_loop "$WORK/push-$name.txt" &
    PUSHER_PID=$!
    run_ab "$WORK/ab-$name.txt" "$HEAD_CONNECTIONS" "$secs" "$BASE/v2/bench/app/manifests/latest" -i \
        -H "Accept: $MANIFEST_TYPE"
    kill "$PUSHER_PID" 2>/dev/null || true
    wait "$PUSHER_PID" 2>/dev/null || true
    PUSHER_PID=""
    HEAD_RPS=$LOAD_RPS HEAD_P99=$LOAD_P99
    read -r PUSH_P99 PUSHES < <(p99_ms "$WORK/push-$name.txt")
    log "$name: manifest HEAD $HEAD_RPS req/s p99 ${HEAD_P99} ms; blob push p99 ${PUSH_P99} ms over $PUSHES pushes"
}

WARMUP=5 phase idle "$IDLE_SECONDS"
IDLE=("$HEAD_RPS" "$HEAD_P99" "$PUSH_P99" "$PUSHES")

log "collecting (POST /api/v1/gc ignoreDelay) under the same load"
GC_OUT="$WORK/gc.json"
( curl -sS -m 3600 -u "$ADMIN_USER:$ADMIN_PASSWORD" -H 'Content-Type: application/json' -d '{"ignoreDelay":true}' \
    -o "$GC_OUT" -w '%{http_code} %{time_total}\n' "$BASE/api/v1/gc" > "$WORK/gc.status" ) &
GC_PID=$!
gc_started=$(date +%s.%N)
# The load phase lasts as long as the collection: short phases until the POST returns.
during_heads=() during_pushes=()
: > "$WORK/push-during.all"
while kill -0 "$GC_PID" 2>/dev/null; do
    WARMUP=0 phase during 5
    cat "$WORK/push-during.txt" >> "$WORK/push-during.all"
    during_heads+=("$HEAD_P99")
done
wait "$GC_PID" || die "POST /api/v1/gc failed"
read -r gc_status gc_seconds < "$WORK/gc.status"
[[ $gc_status == 200 ]] || { cat "$GC_OUT" >&2; die "POST /api/v1/gc answered $gc_status"; }
log "collection: $(cat "$GC_OUT") in ${gc_seconds}s (loop measured $(seconds_between "$gc_started" "$(date +%s.%N)")s)"
objects=$(jq .objects "$GC_OUT")
(( objects >= BLOBS )) || die "the collection deleted $objects objects, expected at least $BLOBS"
after=$(find "$OBJECTS" -type f | wc -l)
read -r during_push_p99 during_pushes < <(p99_ms "$WORK/push-during.all")
during_head_p99=$(printf '%s\n' "${during_heads[@]}" | sort -g | tail -n 1)

echo "# $(date -u +%FT%TZ) rev $GIT_REV backend $BACKEND blobs $BLOBS loadavg $(loadavg)"
printf 'backend\tblobs\tgc_s\tobjects_before\tobjects_after\tidle_head_p99_ms\tgc_head_p99_ms(worst 5 s)\tidle_push_p99_ms\tgc_push_p99_ms\tpushes_idle\tpushes_gc\n'
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BACKEND" "$BLOBS" "$gc_seconds" "$before" "$after" \
    "${IDLE[1]}" "$during_head_p99" "${IDLE[2]}" "$during_push_p99" "${IDLE[3]}" "$during_pushes"
tsv_append "$RESULTS_DIR/gc.tsv" \
    $'date\trev\tbackend\tblobs\tgc_s\tidle_head_p99_ms\tgc_head_p99_ms\tidle_push_p99_ms\tgc_push_p99_ms' \
    "$(date -u +%FT%TZ)" "$GIT_REV" "$BACKEND" "$BLOBS" "$gc_seconds" "${IDLE[1]}" "$during_head_p99" "${IDLE[2]}" "$during_push_p99"
