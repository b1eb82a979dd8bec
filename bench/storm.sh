#!/usr/bin/env bash
# storm.sh — a node scale-up storm: N nodes pull one private image at once, Cais against Distribution.
#
# When a node pool scales up, hundreds of new nodes start the same pods at once, and each node's containerd
# pulls the image for the first time, with the pull Secret's credentials and no token: HEAD manifests/<tag>
# (401 and a challenge), POST /auth/token (OAuth2 password grant; Distribution with htpasswd: Basic credentials
# on every request instead), HEAD with the token, GET of the index by digest, of its linux/amd64 manifest, of
# the config, and of the layers, 3 at a time. bench/Storm.java does exactly that for N nodes, each with its own
# connections and token, reads and hashes every byte against its digest, and reports the wall time until the
# last node is done, the errors (any answer but the expected one, any digest mismatch: there must be none),
# p50/p99 per request class and the MiB/s read. For Cais it also counts the database statements per pull
# (pg_stat_statements in the embedded PostgreSQL, and the transactions from pg_stat_database).
#
# The image: an OCI index of a linux/amd64 and a linux/arm64 manifest over 5 random layers (--layers MiB sizes,
# gzip media type) and a config each, in a private repository. Cais: namespace `bench`, a robot with pull on
# `bench/storm` only, created through the admin API. Distribution 2.8 (Debian's docker-registry): htpasswd.
# Every registry runs alone, with a warm-up storm of 20 nodes (untimed) before the measured one.
#
# Usage: bench/storm.sh [--nodes N] [--layers 1,3,5,8,10] [--targets cais-fs,cais-s3,dist-fs] [--quick] [--build]
#   --quick    200 nodes, layers of 1,1,2,2,3 MiB: checks the harness in about a minute per registry
# Env:   JAVA_HOME, XMX (default 512m), KEEP=1, BENCH_TMP, REGISTRY_JAVA_OPTS (as in manifests.sh).
# Output: a Markdown table on stdout; rows in bench/results/storm-<date>.tsv. Exits non-zero on any error.

set -euo pipefail
BENCH_NAME=storm
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODES=200
LAYER_SIZES=1,3,5,8,10
TARGETS=(cais-fs dist-fs)
FORCE_BUILD=0
WARMUP_NODES=20
XMX=${XMX:-512m}
REPO=bench/storm
TAG=v1
DIST_USER=puller
DIST_PASSWORD=bench-pull-password

while [[ $# -gt 0 ]]; do
    case $1 in
        --nodes) NODES=${2:?}; shift 2 ;;
        --layers) LAYER_SIZES=${2:?}; shift 2 ;;
        --targets) IFS=, read -r -a TARGETS <<< "${2:?--targets needs a list}"; shift 2 ;;
        --quick) NODES=200; LAYER_SIZES=1,1,2,2,3; shift ;;
        --build) FORCE_BUILD=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
for t in "${TARGETS[@]}"; do
    [[ $t =~ ^(cais-fs|cais-s3|dist-fs)$ ]] || { echo "unknown target $t" >&2; exit 2; }
done
[[ $LAYER_SIZES =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "--layers takes MiB sizes separated by commas" >&2; exit 2; }
TSV="$RESULTS_DIR/storm-$(date -u +%Y-%m-%d).tsv"
TSV_HEADER=$'run\tgit\tregistry\tnodes\tlayers_mib\tfigure\tvalue\tunit\tload_before\tload_after'

bench_init
install_tools jq:jq curl:curl psql:postgresql-client docker-registry:docker-registry htpasswd:apache2-utils
prepare_app "$FORCE_BUILD"
make_storm_image "$WORK/image" "$LAYER_SIZES"
log "image: 2 platforms, layers of $LAYER_SIZES MiB ($STORM_IMAGE_MIB MiB per pull); $NODES nodes"

declare -A CELL=()
ERRORS=0

# setup TARGET: starts the registry with the image pushed and a pull-only account in PULL_USER/PULL_PASSWORD.
setup() {
    case $1 in
        cais-fs|cais-s3)
            [[ $1 == cais-s3 ]] && start_s3proxy
            start_cais "${1#cais-}" "$WORK/$1" "$XMX"
            create_namespace bench private
            AUTH_ARGS=(-u "$ADMIN_USER:$ADMIN_PASSWORD")
            push_storm_image "$REPO" "$TAG"
            create_pull_robot bench storm-puller "${REPO#bench/}"
            PULL_USER=$ROBOT_USER PULL_PASSWORD=$ROBOT_SECRET
            cais_enable_statement_stats ;;
        dist-fs)
            start_distribution "$WORK/$1"
            distribution_require_htpasswd "$DIST_USER" "$DIST_PASSWORD"
            AUTH_ARGS=(-u "$DIST_USER:$DIST_PASSWORD")
            push_storm_image "$REPO" "$TAG"
            PULL_USER=$DIST_USER PULL_PASSWORD=$DIST_PASSWORD ;;
    esac
    AUTH_ARGS=()
}

# cell TARGET FIGURE VALUE UNIT: for the table and the TSV.
cell() {
    CELL["$1|$2"]=$3
    tsv_append "$TSV" "$TSV_HEADER" "$RUN_ID" "$GIT_REV" "$1" "$NODES" "$LAYER_SIZES" "$2" "$3" "$4" "$LOAD_BEFORE" "$(loadavg)"
}

for target in "${TARGETS[@]}"; do
    setup "$target"
    log "$target: warm-up storm of $WARMUP_NODES nodes"
    run_storm "$PULL_USER" "$PULL_PASSWORD" "$WARMUP_NODES" "$REPO" "$TAG"
    [[ $REGISTRY_KIND == cais ]] && statement_stats_reset
    log_lines_before=$(wc -l < "$REGISTRY_LOG")
    LOAD_BEFORE=$(loadavg)
    log "$target: storm of $NODES nodes (load average $LOAD_BEFORE)"
    run_storm "$PULL_USER" "$PULL_PASSWORD" "$NODES" "$REPO" "$TAG"
    log "$target: $STORM_DONE of $STORM_RAN nodes done in $STORM_SECONDS s, $STORM_ERRORS errors, $STORM_MIBS MiB/s"
    cell "$target" wall "$STORM_SECONDS" s
    cell "$target" done "$STORM_DONE" nodes
    cell "$target" errors "$STORM_ERRORS" ""
    cell "$target" mibs "$STORM_MIBS" MiB/s
    for kind in "${STORM_CLASSES[@]}"; do
        cell "$target" "${kind}_count" "${STORM_COUNT[$kind]}" requests
        cell "$target" "${kind}_p50" "${STORM_P50[$kind]}" ms
        cell "$target" "${kind}_p99" "${STORM_P99[$kind]}" ms
    done
    ERRORS=$((ERRORS + STORM_ERRORS))
    if [[ $REGISTRY_KIND == cais ]]; then
        read -r statements xacts < <(statement_stats)
        cell "$target" statements_per_pull "$(awk -v s="$statements" -v n="$NODES" 'BEGIN { printf "%.1f", s / n }')" statements
        cell "$target" xacts_per_pull "$(awk -v s="$xacts" -v n="$NODES" 'BEGIN { printf "%.1f", s / n }')" transactions
        sql -At -F $'\t' -c "SELECT calls, round(total_exec_time::numeric, 1), left(regexp_replace(query, '\s+', ' ', 'g'), 110)
            FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat%' ORDER BY calls DESC LIMIT 12" > "$WORK/$target-statements.tsv"
        warnings=$(tail -n +"$((log_lines_before + 1))" "$REGISTRY_LOG" | grep -cE ' (WARN|ERROR) ' || true)
        cell "$target" log_warnings "$warnings" lines
        if (( warnings > 0 )); then
            log "$target: $warnings WARN/ERROR lines in the registry log during the storm; the first:"
            tail -n +"$((log_lines_before + 1))" "$REGISTRY_LOG" | grep -E ' (WARN|ERROR) ' | head -n 5 >&2
        fi
    fi
    stop_registry
    stop_s3proxy
done

value() { echo "${CELL["$1|$2"]:-—}"; }
echo "| figure | unit |$(printf ' %s |' "${TARGETS[@]}")"
echo "|---|---|$(printf -- '---:|%.0s' "${TARGETS[@]}")"
row() {
    local line="| $2 | $3 |" t
    for t in "${TARGETS[@]}"; do line+=" $(value "$t" "$1") |"; done
    echo "$line"
}
row wall "wall time until all $NODES nodes are done" s
row done "nodes done" ""
row errors "errors (non-2xx but the first 401, digest mismatches, I/O)" ""
row mibs "read by all nodes / wall time" MiB/s
for kind in "${STORM_CLASSES[@]}"; do
    row "${kind}_count" "$kind requests" ""
    row "${kind}_p50" "$kind p50" ms
    row "${kind}_p99" "$kind p99" ms
done
row statements_per_pull "database statements per pull (pg_stat_statements)" ""
row xacts_per_pull "database transactions per pull (pg_stat_database)" ""
row log_warnings "WARN/ERROR lines in the registry log during the storm" ""
echo
echo "$NODES nodes at once, each: challenge, token (Cais), HEAD, index, amd64 manifest, config, $(tr -cd , <<< "$LAYER_SIZES" | wc -c | awk '{ print $1 + 1 }') layers of $LAYER_SIZES MiB"
echo "($STORM_IMAGE_MIB MiB per pull), 3 layers at a time per node; after a warm-up storm of $WARMUP_NODES nodes. Git $GIT_REV, $(date -u +%Y-%m-%d)."
echo "The database figures include whatever Cais's background workers ran meanwhile."
for target in "${TARGETS[@]}"; do
    if [[ -s $WORK/$target-statements.tsv ]]; then
        echo
        echo "$target, most frequent statements during the storm (calls, total ms, statement):"
        echo
        echo '```'
        cat "$WORK/$target-statements.tsv"
        echo '```'
    fi
done
(( ERRORS == 0 )) || die "$ERRORS error(s) during the storm"
