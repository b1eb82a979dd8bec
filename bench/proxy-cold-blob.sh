#!/usr/bin/env bash
# proxy-cold-blob.sh — one big layer pulled through Cais's pull-through cache, cold, with -Xmx256m.
#
# Starts CNCF Distribution (Debian's docker-registry, open, loopback) as the upstream and pushes one
# random layer (default 1 GiB) with a config and an image manifest to it; then starts a fresh Cais
# (filesystem, embedded PostgreSQL, -Xmx256m) with that upstream cached in namespace `cache`, and:
#   cold pull   GET /v2/cache/bench/big/manifests/v1, then GET the layer: fetched from the upstream,
#               streamed to this client while it is stored (one pass)
#   warm pull   GET the layer again: from Cais's store
# Both pulls are hashed and must match the digest; the report gives wall time, MiB/s and Cais's
# peak RSS (VmHWM), which must not grow with the layer's size.
#
# Usage: bench/proxy-cold-blob.sh [--size MiB] [--build]
# Env:   XMX (default 256m), KEEP=1 keeps the temp dir, BENCH_TMP (default /tmp).
# This is a benchmark, not a test: it fails loudly on a wrong status or digest, asserts no timings.

set -euo pipefail
BENCH_NAME=proxy-cold-blob
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

XMX=${XMX:-256m}
big_layer_options "$@"
TSV="$RESULTS_DIR/proxy-cold-blob-$(date -u +%Y-%m-%d).tsv"
UPSTREAM_PID=""

bench_on_exit() {
    [[ -n $UPSTREAM_PID ]] && stop_pid "$UPSTREAM_PID" upstream
}

bench_init
install_tools docker-registry:docker-registry jq:jq curl:curl
prepare_app "$FORCE_BUILD"

log "generating a $SIZE_MIB MiB layer"
head -c "$SIZE_BYTES" /dev/urandom > "$WORK/layer.bin"
LAYER_DIGEST="sha256:$(sha256sum "$WORK/layer.bin" | cut -d' ' -f1)"
printf '%s' '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$WORK/config.json"
CONFIG_DIGEST="sha256:$(sha256sum "$WORK/config.json" | cut -d' ' -f1)"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
    "$MANIFEST_TYPE" "$CONFIG_DIGEST" "$(stat -c %s "$WORK/config.json")" "$LAYER_DIGEST" "$SIZE_BYTES" > "$WORK/manifest.json"

start_distribution "$WORK/upstream"
UPSTREAM_PID=$REGISTRY_PID
UPSTREAM_BASE=$BASE
REGISTRY_PID=""
push_blob_put bench/big "$WORK/config.json" "$CONFIG_DIGEST"
push_blob_put bench/big "$WORK/layer.bin" "$LAYER_DIGEST"
call PUT /v2/bench/big/manifests/v1 201 -T "$WORK/manifest.json" -H "Content-Type: $MANIFEST_TYPE"

start_cais fs "$WORK/cais" "$XMX"
status=$(curl -sS -o "$WORK/last.body" -w '%{http_code}' -u "$ADMIN_USER:$ADMIN_PASSWORD" \
    -H 'Content-Type: application/json' "$BASE/api/v1/upstreams" \
    -d "{\"name\":\"upstream.bench\",\"url\":\"$UPSTREAM_BASE\",\"namespace\":\"cache\"}")
[[ $status == 201 ]] || { cat "$WORK/last.body" >&2; die "creating the upstream answered $status"; }
use_token "repository:cache/bench/big:pull"
call GET /v2/cache/bench/big/manifests/v1 200 -H "Accept: $MANIFEST_TYPE"

timed_pull() {
    local started ended actual
    started=$(date +%s.%N)
    actual="sha256:$(curl -sS --fail-with-body ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} \
        --request-target "/v2/cache/bench/big/blobs/$LAYER_DIGEST" "$BASE/" | sha256sum | cut -d' ' -f1)" \
        || die "GET of the layer failed"
    ended=$(date +%s.%N)
    [[ $actual == "$LAYER_DIGEST" ]] || die "the $1 pull's digest $actual differs from $LAYER_DIGEST"
    PULL_SECONDS=$(seconds_between "$started" "$ended")
}

timed_pull cold
COLD_SECONDS=$PULL_SECONDS
COLD_RSS=$(proc_kib "$REGISTRY_PID" VmHWM)
timed_pull warm
WARM_SECONDS=$PULL_SECONDS
PEAK_RSS=$(proc_kib "$REGISTRY_PID" VmHWM)

printf '\n%-6s %8s %10s %9s %14s\n' pull MiB seconds MiB/s "peak RSS MiB"
printf '%-6s %8d %10s %9s %14s\n' cold "$SIZE_MIB" "$COLD_SECONDS" "$(mib_per_s "$SIZE_BYTES" "$COLD_SECONDS")" "$(kib_to_mib "$COLD_RSS")"
printf '%-6s %8d %10s %9s %14s\n' warm "$SIZE_MIB" "$WARM_SECONDS" "$(mib_per_s "$SIZE_BYTES" "$WARM_SECONDS")" "$(kib_to_mib "$PEAK_RSS")"
tsv_append "$TSV" $'run\trev\txmx\tmib\tcold_s\tcold_mib_s\twarm_s\twarm_mib_s\tpeak_rss_mib' \
    "$RUN_ID" "$GIT_REV" "$XMX" "$SIZE_MIB" "$COLD_SECONDS" "$(mib_per_s "$SIZE_BYTES" "$COLD_SECONDS")" \
    "$WARM_SECONDS" "$(mib_per_s "$SIZE_BYTES" "$WARM_SECONDS")" "$(kib_to_mib "$PEAK_RSS")"
