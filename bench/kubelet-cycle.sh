#!/usr/bin/env bash
# kubelet-cycle.sh — the pull cycle of every `imagePullPolicy: Always` pod start, Cais against Distribution.
#
# containerd keeps no token between pulls, so a kubelet with a pull Secret costs the registry, per container
# start: HEAD manifests/<tag> without credentials (401 + challenge), then for Cais POST /auth/token with the
# OAuth2 password grant (a robot's name and secret, a new token every time) and HEAD with that token; for
# Distribution with htpasswd, HEAD with Basic credentials (its 2-request cycle). bench/KubeletCycle.java sends
# exactly that from N clients, each on its own keep-alive connection, back to back, and reports cycles/s and
# cycle latency (p50, p90, p99, max), plus the registry's CPU time per cycle (the figure a shared machine
# skews least). Each registry gets a JIT warm-up run first, then --rounds measured runs, alternating Cais and
# Distribution so that both see the same machine.
#
# Cais: fresh, filesystem storage, private namespace `bench` with a pull-only robot `bench+puller`.
# Distribution 2.8 (Debian's docker-registry): filesystem, htpasswd (bcrypt, htpasswd -B's default cost),
# the same image pushed with Basic credentials.
#
# With --profile, async-profiler (CPU, kernel frames included) records Cais during its first measured run, and
# the registry's CPU is printed by activity (password check, signing, verification, HTTP, request log, JIT, GC,
# ...): the evidence behind the kubelet row of docs/benchmarks.md. The profiler costs a little throughput.
#
# Usage: bench/kubelet-cycle.sh [--clients N] [--duration S] [--warmup S] [--rounds N] [--build] [--cais-only]
#                               [--profile]
# Env:   JAVA_HOME, XMX (default 512m), KEEP=1, BENCH_TMP, REGISTRY_JAVA_OPTS (as in manifests.sh).
# Output: a Markdown table on stdout; rows in bench/results/kubelet-cycle-<date>.tsv. A benchmark, not a
# test: it fails on any setup error and counts failed cycles, but asserts no timing.

set -euo pipefail
BENCH_NAME=kubelet-cycle
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLIENTS=64
DURATION=15
WARMUP=20
ROUNDS=2
FORCE_BUILD=0
CAIS_ONLY=0
PROFILE=0
XMX=${XMX:-512m}
REPO=bench/app
ROBOT_USER=""
ROBOT_SECRET=""
DIST_USER=puller
DIST_PASSWORD=bench-pull-password

while [[ $# -gt 0 ]]; do
    case $1 in
        --clients) CLIENTS=${2:?}; shift 2 ;;
        --duration) DURATION=${2:?}; shift 2 ;;
        --warmup) WARMUP=${2:?}; shift 2 ;;
        --rounds) ROUNDS=${2:?}; shift 2 ;;
        --build) FORCE_BUILD=1; shift ;;
        --cais-only) CAIS_ONLY=1; shift ;;
        --profile) PROFILE=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1" >&2; usage 2 ;;
    esac
done
TSV="$RESULTS_DIR/kubelet-cycle-$(date -u +%Y-%m-%d).tsv"
mkdir -p "$RESULTS_DIR"

bench_init
install_tools jq:jq curl:curl
(( CAIS_ONLY )) || install_tools docker-registry:docker-registry htpasswd:apache2-utils
prepare_app "$FORCE_BUILD"
(( PROFILE )) && fetch_async_profiler
make_small_image "$WORK/image"

# cycle LABEL USER PASSWORD SECONDS: one run; appends a row (measured runs only, LABEL non-empty).
ROWS=()
cycle() {
    local label=$1
    run_kubelet_cycle "$2" "$3" "$CLIENTS" "$4" "$REPO" latest
    [[ -n $label ]] || return 0
    log "$label: $KC_PER_S cycles/s, p99 $KC_P99 ms, $KC_CPU_US us CPU/cycle, $KC_ERRORS errors"
    ROWS+=("$label|$KC_PER_S|$KC_P50|$KC_P90|$KC_P99|$KC_MAX|$KC_CPU_US|$KC_ERRORS|$(loadavg)")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$RUN_ID" "$GIT_REV" "$label" "$CLIENTS" "$4" \
        "$KC_CYCLES" "$KC_PER_S" "$KC_P50" "$KC_P90" "$KC_P99" "$KC_MAX" "$KC_CPU_US" "$KC_ERRORS" >> "$TSV"
}

run_cais() {
    start_cais fs "$WORK/cais" "$XMX"
    create_namespace bench private
    create_pull_robot bench puller '*'
    AUTH_ARGS=(-u "$ADMIN_USER:$ADMIN_PASSWORD")
    push_small_image "$REPO" latest
    AUTH_ARGS=()
}

run_distribution() {
    start_distribution "$WORK/dist"
    distribution_require_htpasswd "$DIST_USER" "$DIST_PASSWORD"
    AUTH_ARGS=(-u "$DIST_USER:$DIST_PASSWORD")
    push_small_image "$REPO" latest
    AUTH_ARGS=()
}

# One registry at a time holds the cores; each is started fresh per round, warmed up, then measured.
for ((round = 1; round <= ROUNDS; round++)); do
    run_cais
    cycle "" "$ROBOT_USER" "$ROBOT_SECRET" "$WARMUP"
    (( PROFILE && round == 1 )) && profiler "start,event=cpu,interval=1000000,file=$WORK/profile.collapsed,collapsed"
    cycle "cais token cycle (round $round)" "$ROBOT_USER" "$ROBOT_SECRET" "$DURATION"
    (( PROFILE && round == 1 )) && profiler "stop,file=$WORK/profile.collapsed,collapsed"
    stop_registry
    if (( ! CAIS_ONLY )); then
        run_distribution
        cycle "" "$DIST_USER" "$DIST_PASSWORD" "$WARMUP"
        cycle "distribution basic cycle (round $round)" "$DIST_USER" "$DIST_PASSWORD" "$DURATION"
        stop_registry
    fi
done

echo "| run | cycles/s | p50 ms | p90 ms | p99 ms | max ms | registry CPU us/cycle | failed cycles | load avg |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r label per_s p50 p90 p99 max cpu errors load <<< "$row"
    echo "| $label | $per_s | $p50 | $p90 | $p99 | $max | $cpu | $errors | $load |"
done
echo
echo "$CLIENTS clients, ${DURATION}s per measured run after a ${WARMUP}s warm-up; git $GIT_REV; $(date -u +%Y-%m-%d)."

(( PROFILE )) || exit 0
echo
python3 - "$WORK/profile.collapsed" <<'PY2'
import collections, sys
# Ordered: the first activity found in a stack takes its sample. RequestLog.observe is not a mark: it wraps the
# whole request (its end handler, RequestLog.log, is the log line).
ACTIVITIES = [
    ('JIT compiler', ['CompileBroker']),
    ('GC', ['G1', 'GCTaskThread', 'ZThread']),
    ('password check (robot secret)', ['Credentials.secretMatches', 'Credentials.passwordMatches', 'OpenBSDBCrypt']),
    ('token signing (issue)', ['Tokens.issue']),
    ('token verification', ['Tokens.verify']),
    ('request log line (format, write)', ['RequestLog.log', 'org/jboss/logmanager']),
    ('account and permission lookup', ['Authenticator', 'AccessControl', 'Permissions', 'Robots']),
    ('token form and JSON', ['TokenResource']),
    ('manifest lookup', ['ManifestResource']),
]

def activity(stack, frames):
    for name, marks in ACTIVITIES:
        if any(m in stack for m in marks):
            return name
    if frames[-1].endswith('_[k]'):
        return 'kernel: socket I/O, wake-ups, scheduling'
    if 'VirtualThread' in stack or 'ForkJoin' in stack:
        return 'virtual thread: REST handler chain, hand-over, park/unpark'
    if 'NioEventLoop' in stack or 'io/netty' in stack:
        return 'event loop: HTTP decoding and encoding, routing, dispatch'
    return 'other'

shares, total = collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, count = line.rsplit(' ', 1)
    count = int(count)
    total += count
    kind = activity(stack, stack.split(';'))
    shares[kind] += count
print(f'Cais CPU samples during the profiled run: {total} (1 ms each)')
print()
print('| activity | share of registry CPU |')
print('|---|---:|')
for kind, count in shares.most_common():
    print(f'| {kind} | {100 * count / total:.1f} % |')
PY2
