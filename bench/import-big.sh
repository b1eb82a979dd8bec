#!/usr/bin/env bash
# import-big.sh — an OCI image layout with one big layer imported into Cais held to -Xmx256m.
#
# Writes an OCI image layout (oci-layout, index.json tagged `v1`, one image manifest, a config and one random
# layer of --size MiB, default 1024) into a tar file, starts a fresh Cais (filesystem, embedded PostgreSQL,
# -Xmx256m), and:
#   import      POST /api/v1/imports/bench/big with the tar as the body (streamed by curl from the file)
#   re-send     the same POST again: the layer is already linked, so it is read past, not stored (resuming)
#   pull        GET the tag's manifest and the layer, hashed against the layout's digests
# The report gives the wall time and MiB/s of both imports and Cais's peak RSS (VmHWM), which must not grow with
# the layer's size: blobs stream through the upload path; only manifest-sized files are held in memory.
#
# Usage: bench/import-big.sh [--size MiB] [--build]
# Env:   XMX (default 256m), KEEP=1 keeps the temp dir, BENCH_TMP (default /tmp; needs 2 × size free).
# This is a benchmark, not a test: it fails loudly on a wrong status or digest, asserts no timings.

set -euo pipefail
BENCH_NAME=import-big
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

XMX=${XMX:-256m}
big_layer_options "$@"
TSV="$RESULTS_DIR/import-big-$(date -u +%Y-%m-%d).tsv"

bench_init
install_tools jq:jq curl:curl
prepare_app "$FORCE_BUILD"

# blob FILE: moves FILE into the layout under its digest and prints the digest.
blob() {
    local hex
    hex=$(sha256sum "$1" | cut -d' ' -f1)
    mv "$1" "$WORK/layout/blobs/sha256/$hex"
    echo "sha256:$hex"
}

log "writing an OCI image layout with a $SIZE_MIB MiB layer"
mkdir -p "$WORK/layout/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' > "$WORK/layout/oci-layout"
head -c "$SIZE_BYTES" /dev/urandom > "$WORK/layer.bin"
LAYER_DIGEST=$(blob "$WORK/layer.bin")
printf '%s' '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$WORK/config.json"
CONFIG_SIZE=$(stat -c %s "$WORK/config.json")
CONFIG_DIGEST=$(blob "$WORK/config.json")
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
    "$MANIFEST_TYPE" "$CONFIG_DIGEST" "$CONFIG_SIZE" "$LAYER_DIGEST" "$SIZE_BYTES" > "$WORK/manifest.json"
MANIFEST_SIZE=$(stat -c %s "$WORK/manifest.json")
MANIFEST_DIGEST=$(blob "$WORK/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' \
    "$MANIFEST_TYPE" "$MANIFEST_DIGEST" "$MANIFEST_SIZE" > "$WORK/layout/index.json"
tar -C "$WORK/layout" -cf "$WORK/layout.tar" .
rm -rf "$WORK/layout"

start_cais fs "$WORK/cais" "$XMX"
create_namespace bench

timed_import() {
    local started ended status
    started=$(date +%s.%N)
    status=$(curl -sS -o "$WORK/import.json" -w '%{http_code}' -u "$ADMIN_USER:$ADMIN_PASSWORD" -H 'Expect:' \
        -H 'Content-Type: application/x-tar' -T "$WORK/layout.tar" -X POST "$BASE/api/v1/imports/bench/big") \
        || die "the $1 import's request failed"
    ended=$(date +%s.%N)
    [[ $status == 200 ]] || { cat "$WORK/import.json" >&2; die "the $1 import answered $status"; }
    IMPORT_SECONDS=$(seconds_between "$started" "$ended")
    log "$1 import: $(cat "$WORK/import.json")"
}

timed_import first
FIRST_SECONDS=$IMPORT_SECONDS
[[ $(jq -r .blobsStored "$WORK/import.json") == 2 ]] || die "the first import did not store the layer and the config"
FIRST_RSS=$(proc_kib "$REGISTRY_PID" VmHWM)
timed_import re-sent
RESEND_SECONDS=$IMPORT_SECONDS
[[ $(jq -r .blobsSkipped "$WORK/import.json") == 2 ]] || die "the re-sent import stored its blobs again"

use_token "repository:bench/big:pull"
call GET /v2/bench/big/manifests/v1 200 -H "Accept: $MANIFEST_TYPE"
[[ $(last_header Docker-Content-Digest) == "$MANIFEST_DIGEST" ]] || die "the tag v1 names another manifest"
actual="sha256:$(curl -sS --fail-with-body "${AUTH_ARGS[@]}" --request-target "/v2/bench/big/blobs/$LAYER_DIGEST" \
    "$BASE/" | sha256sum | cut -d' ' -f1)" || die "GET of the layer failed"
[[ $actual == "$LAYER_DIGEST" ]] || die "the pulled layer's digest $actual differs from $LAYER_DIGEST"
PEAK_RSS=$(proc_kib "$REGISTRY_PID" VmHWM)
TAR_BYTES=$(stat -c %s "$WORK/layout.tar")

printf '\n%-8s %8s %10s %9s %14s\n' import MiB seconds MiB/s "peak RSS MiB"
printf '%-8s %8d %10s %9s %14s\n' first "$SIZE_MIB" "$FIRST_SECONDS" "$(mib_per_s "$TAR_BYTES" "$FIRST_SECONDS")" "$(kib_to_mib "$FIRST_RSS")"
printf '%-8s %8d %10s %9s %14s\n' re-sent "$SIZE_MIB" "$RESEND_SECONDS" "$(mib_per_s "$TAR_BYTES" "$RESEND_SECONDS")" "$(kib_to_mib "$PEAK_RSS")"
echo "layer pulled back: digest matches ($LAYER_DIGEST); Cais heap -Xmx$XMX"
tsv_append "$TSV" $'run\trev\txmx\tmib\tfirst_s\tfirst_mib_s\tresent_s\tresent_mib_s\tpeak_rss_mib' \
    "$RUN_ID" "$GIT_REV" "$XMX" "$SIZE_MIB" "$FIRST_SECONDS" "$(mib_per_s "$TAR_BYTES" "$FIRST_SECONDS")" \
    "$RESEND_SECONDS" "$(mib_per_s "$TAR_BYTES" "$RESEND_SECONDS")" "$(kib_to_mib "$PEAK_RSS")"
