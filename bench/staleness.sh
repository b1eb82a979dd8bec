#!/usr/bin/env bash
# staleness.sh — how long a second replica serves a manifest that a tag move or a delete made stale.
#
# Starts two Cais replicas on one PostgreSQL (the first replica's embedded one; the second points
# its JDBC URL at it) with the filesystem store, then runs bench/staleness/StalenessProbe.java:
# ROUNDS tag moves and ROUNDS deletes through replica A, each followed by back-to-back GETs on
# replica B until B answers the change (B had the old answer in its manifest cache). The bound is
# PostgreSQL's notification delivery (NOTIFY on commit → B's listener → eviction) plus one poll.
# With --load, wrk keeps LOAD_CONNECTIONS connections busy with manifest GETs on B meanwhile.
#
# Usage: bench/staleness.sh [--rounds N] [--load] [--build]
# Env:   JAVA_HOME, XMX (default 512m), KEEP=1, BENCH_TMP, LOAD_CONNECTIONS (default 32).
# This is a benchmark, not a test: it reports p50, p99 and max in ms and asserts no timing.

set -euo pipefail
BENCH_NAME=staleness
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=300
LOAD=0
FORCE_BUILD=0
XMX=${XMX:-512m}
LOAD_CONNECTIONS=${LOAD_CONNECTIONS:-32}
while [[ $# -gt 0 ]]; do
    case $1 in
        --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
        --load) LOAD=1; shift ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done

READER_PID=""
WRK_PID=""
bench_on_exit() {
    [[ -n $WRK_PID ]] && kill "$WRK_PID" 2>/dev/null || true
    [[ -n $READER_PID ]] && stop_pid "$READER_PID" reader
}

bench_init
install_tools curl:curl wrk:wrk
prepare_app "$FORCE_BUILD"

start_cais fs "$WORK/a" "$XMX"
WRITER=$BASE
create_namespace bench

reader_port=$(free_port)
log "starting replica B on port $reader_port (same PostgreSQL, port $PG_PORT)"
(cd "$WORK" && exec "$JAVA" "-Xmx$XMX" -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$reader_port" \
    "-Dquarkus.datasource.jdbc.url=jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" -Dquarkus.datasource.username=postgres \
    "-Dquarkus.datasource.password=$(cat "$REGISTRY_PGDIR/cais-superuser-password")" \
    -Dcais.storage.type=filesystem "-Dcais.storage.filesystem.root=$WORK/a/blobs" \
    -jar "$APP_JAR") > "$WORK/reader.log" 2>&1 &
READER_PID=$!
READER="http://127.0.0.1:$reader_port"
for _ in $(seq 1 360); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -u "$ADMIN_USER:$ADMIN_PASSWORD" "$READER/v2/" || true) == 200 ]] && break
    kill -0 "$READER_PID" 2>/dev/null || { tail -n 30 "$WORK/reader.log" >&2; die "replica B exited"; }
    sleep 0.5
done

if [[ $LOAD == 1 ]]; then
    # The load reads a tag the probe never changes, so it stays cached: B's event loops are busy
    # answering from memory, as during a pod-start storm.
    "$JAVA" "$ROOT/bench/staleness/StalenessProbe.java" "$WRITER" "$READER" "$ADMIN_USER" "$ADMIN_PASSWORD" 1 > /dev/null
    curl -sS -o /dev/null -u "$ADMIN_USER:$ADMIN_PASSWORD" -X PUT -H "Content-Type: $MANIFEST_TYPE" \
        --data-binary "{\"schemaVersion\":2,\"mediaType\":\"$MANIFEST_TYPE\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$(printf '%s' '{"architecture":"amd64","os":"linux"}' | sha256sum | cut -d' ' -f1)\",\"size\":37},\"layers\":[]}" \
        "$WRITER/v2/bench/staleness/manifests/load"
    log "load: wrk -t2 -c$LOAD_CONNECTIONS on replica B"
    wrk -t2 -c"$LOAD_CONNECTIONS" -d600s -H "Authorization: Basic $(printf '%s:%s' "$ADMIN_USER" "$ADMIN_PASSWORD" | base64 -w0)" \
        -H "Accept: $MANIFEST_TYPE" "$READER/v2/bench/staleness/manifests/load" > "$WORK/wrk.log" 2>&1 &
    WRK_PID=$!
    sleep 3
fi

log "probing: $ROUNDS tag moves and $ROUNDS deletes"
"$JAVA" "$ROOT/bench/staleness/StalenessProbe.java" "$WRITER" "$READER" "$ADMIN_USER" "$ADMIN_PASSWORD" "$ROUNDS" \
    | tee "$WORK/staleness.tsv"
echo "# $(date -u +%FT%TZ) rev $GIT_REV rounds $ROUNDS load $LOAD (wrk -c$LOAD_CONNECTIONS on the reader) loadavg $(loadavg)"
