# bench/lib.sh — shared code of the benchmark scripts (sourced, never run).
#
# What lives here: the settings every script needs (paths, JDK, run id, git revision), small helpers,
# the work directory and its cleanup trap, installing missing Debian tools, building and copying the
# application, starting and stopping the processes under test (Cais with its embedded PostgreSQL,
# S3Proxy, CNCF Distribution), the bearer token Cais needs, the HTTP calls used during setup, the
# wrappers around wrk and ab, and TSV output.
#
# The caller sets BENCH_NAME (used in messages and the work directory's name) and `set -euo pipefail`
# before sourcing this file, then calls bench_init.

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/target/quarkus-app/quarkus-run.jar"
RESULTS_DIR="$ROOT/bench/results"
S3PROXY_VERSION=4.1.0
BENCH_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cais-bench"
MANIFEST_TYPE=application/vnd.oci.image.manifest.v1+json
READY_TIMEOUT=180   # seconds; the first start unpacks the embedded PostgreSQL and runs initdb
read -r -a EXTRA_JVM_OPTS <<< "${REGISTRY_JAVA_OPTS:-}"

if [[ -z ${JAVA_HOME:-} && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    JAVA="$JAVA_HOME/bin/java"
    JCMD="$JAVA_HOME/bin/jcmd"
    JFR="$JAVA_HOME/bin/jfr"
else
    JAVA=java
    JCMD=jcmd
    JFR=jfr
fi

# bench/run passes its own run id down to the scripts it calls, so that their TSV rows can be found
# again and attributed to the same run.
RUN_ID=${BENCH_RUN_ID:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo no-commit)
if [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]]; then GIT_REV+="-dirty"; fi

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

# usage [STATUS]: prints the calling script's header comment (from line 2 to the first blank line)
# and exits.
usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit "${1:-0}"
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() {
    printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2
    exit 1
}

# A loopback port nobody listens on. Probing with /dev/tcp keeps us free of extra tools; the
# race with other programs grabbing the port before our process does is acceptable here.
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
proc_kib() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }

# CPU time the registry JVM has used so far, in microseconds (utime + stime of /proc/<pid>/stat; the
# fields after "pid (comm) " start at the state, so utime and stime are the 12th and 13th). Per
# request it is the figure that other work on a shared machine skews least: throughput falls when
# another process takes the cores, the CPU a request costs hardly moves.
registry_cpu_us() {
    [[ -n ${REGISTRY_PID:-} && -r /proc/$REGISTRY_PID/stat ]] || { echo 0; return; }
    awk -v tck="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000000 / tck }' \
        "/proc/$REGISTRY_PID/stat"
}

# cpu_per_request CPU_US_BEFORE REQUESTS: the registry's CPU microseconds per request since then.
cpu_per_request() {
    awk -v d="$(( $(registry_cpu_us) - $1 ))" -v n="${2:-0}" 'BEGIN { if (n > 0) printf "%.1f", d / n; else print "-" }'
}

seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
mib_per_s() { awk -v bytes="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? bytes / 1048576 / s : 0) }'; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
sha256_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# The median of the numbers given as arguments (the lower middle one for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# wrk prints durations as 812.00us, 1.02ms, 1.20s or 2.00m; everything here is reported in ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/)      { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/)  { sub(/m$/, "", v);  printf "%.3f", v * 60000 }
        else if (v ~ /s$/)  { sub(/s$/, "", v);  printf "%.3f", v * 1000 }
        else                { printf "%s", (v == "" ? "-" : v) }
    }'
}

# Sends TERM to a process we started and waits for it; KILL after a grace period.
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
# Work directory and cleanup
# ---------------------------------------------------------------------------------------------

REGISTRY_PID=""
REGISTRY_KIND=""
REGISTRY_PGDIR=""
REGISTRY_LOG=/dev/null
S3PROXY_PID=""
AUTH_ARGS=()

# bench_init: creates $WORK and makes sure every process started here is stopped on any exit.
# A script may define bench_on_exit for its own last words (it runs before the work dir goes).
bench_init() {
    WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/cais-$BENCH_NAME.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local status=$?
    if declare -F bench_on_exit > /dev/null; then bench_on_exit || true; fi
    stop_registry
    stop_s3proxy
    if [[ ${KEEP:-0} == 1 ]]; then
        log "KEEP=1: leaving $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}

# ---------------------------------------------------------------------------------------------
# Preparation
# ---------------------------------------------------------------------------------------------

# install_tools COMMAND:PACKAGE...: apt-get installs the packages whose command is missing;
# `apt-get update` runs only when the first install fails (a fresh machine's empty lists).
install_tools() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%:*}" > /dev/null || missing+=("${pair#*:}")
    done
    (( ${#missing[@]} == 0 )) && return
    log "installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" > "$WORK/apt.log" 2>&1; then
        apt-get update >> "$WORK/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >> "$WORK/apt.log" 2>&1 \
            || { tail -n 20 "$WORK/apt.log" >&2; die "could not install ${missing[*]}"; }
    fi
}

# prepare_app FORCE_BUILD: builds the jar when asked to (1) or when it is missing, then runs from a
# private copy so that a rebuild in the work tree during a long run cannot swap the application
# out from under the registry.
prepare_app() {
    if [[ ${1:-0} == 1 || ! -f $JAR ]]; then
        log "building Cais (mvn -DskipTests package)"
        if ! (cd "$ROOT" && mvn -B -q -DskipTests package) > "$WORK/build.log" 2>&1; then
            tail -n 40 "$WORK/build.log" >&2
            die "build failed"
        fi
        [[ -f $JAR ]] || die "build did not produce $JAR"
    fi
    cp -a "$ROOT/target/quarkus-app" "$WORK/app"
    APP_JAR="$WORK/app/quarkus-run.jar"
}

# ---------------------------------------------------------------------------------------------
# S3Proxy (the S3 server behind Cais's s3 backend)
# ---------------------------------------------------------------------------------------------

S3_ACCESS_KEY=bench-access
S3_SECRET_KEY=bench-secret-key-0123456789

# fetch_artifact GROUP:ARTIFACT:VERSION[:TYPE:CLASSIFIER] FILE_NAME: the artifact from Maven Central
# into $BENCH_CACHE once; sets FETCHED to its path.
fetch_artifact() {
    FETCHED="$BENCH_CACHE/$2"
    [[ -f $FETCHED ]] && return
    log "fetching $1"
    mkdir -p "$BENCH_CACHE"
    # Run from the cache dir so Maven does not load (and depend on) the project's pom.xml.
    if ! (cd "$BENCH_CACHE" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
            -Dartifact="$1" -DoutputDirectory="$BENCH_CACHE") > "$WORK/fetch.log" 2>&1; then
        tail -n 40 "$WORK/fetch.log" >&2
        die "could not fetch $1"
    fi
    [[ -f $FETCHED ]] || die "$1 not found at $FETCHED"
}

ASYNC_PROFILER_VERSION=4.2

# fetch_async_profiler: async-profiler's native library from its Maven Central jar, and a tiny attach
# program; sets PROFILER_LIB (push-profile.sh, kubelet-cycle.sh --profile).
fetch_async_profiler() {
    fetch_artifact "tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION" "async-profiler-$ASYNC_PROFILER_VERSION.jar"
    local jar=$FETCHED
    (cd "$WORK" && "$JAVA_HOME/bin/jar" xf "$jar" linux-x64/libasyncProfiler.so)
    PROFILER_LIB="$WORK/linux-x64/libasyncProfiler.so"
    # The attach API loads the agent into the running registry (what async-profiler's own launcher does).
    cat > "$WORK/Attach.java" <<'JAVA'
public class Attach {
    public static void main(String[] args) throws Exception {
        var vm = com.sun.tools.attach.VirtualMachine.attach(args[0]);
        try {
            vm.loadAgentPath(args[1], args[2]);
        } finally {
            vm.detach();
        }
    }
}
JAVA
}

# profiler COMMAND: an async-profiler command (start,... or stop,...) to the running registry.
profiler() { "$JAVA_HOME/bin/java" "$WORK/Attach.java" "$REGISTRY_PID" "$PROFILER_LIB" "$1" > /dev/null; }

fetch_s3proxy() {
    fetch_artifact "org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
        "s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
    S3PROXY_JAR=$FETCHED
}

# S3Proxy with its filesystem provider under $WORK/s3proxy. It keeps each request body (one part)
# in memory, hence its own 1 GiB heap.
start_s3proxy() {
    local port dir="$WORK/s3proxy"
    fetch_s3proxy
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

stop_s3proxy() {
    [[ -n $S3PROXY_PID ]] || return 0
    stop_pid "$S3PROXY_PID" s3proxy
    S3PROXY_PID=""
}

# ---------------------------------------------------------------------------------------------
# Registries under test
# ---------------------------------------------------------------------------------------------

# One admin password per run, random, so nothing guessable listens even on loopback.
ADMIN_USER=admin
ADMIN_PASSWORD=${ADMIN_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}

# wait_ready URL [curl args...]: until URL answers 200, or the registry exits, or READY_TIMEOUT.
wait_ready() {
    local url=$1
    shift
    local deadline=$((SECONDS + READY_TIMEOUT))
    while (( SECONDS < deadline )); do
        if ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
            tail -n 40 "$REGISTRY_LOG" >&2
            REGISTRY_PID=""
            die "registry exited during start (log above)"
        fi
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true) == 200 ]] && return
        sleep 0.5
    done
    tail -n 40 "$REGISTRY_LOG" >&2
    die "registry not ready on $url within $READY_TIMEOUT s"
}

# start_cais BACKEND DIR XMX [JVM options...]: a fresh Cais (own embedded PostgreSQL and blob
# storage under DIR) on loopback, for BACKEND fs or s3 (start S3Proxy first). Cais is private by
# default: the admin gets $ADMIN_PASSWORD, and tokens live an hour so that one token serves a
# whole benchmark. Sets REGISTRY_PID, REGISTRY_LOG, BASE, PG_PORT.
start_cais() {
    local backend=$1 dir=$2 xmx=$3 http_port
    CAIS_START_ARGS=("$@")
    shift 3
    http_port=$(free_port)
    # Both ports are only probed, not held, so make sure the two picks differ.
    PG_PORT=$(free_port)
    while [[ $PG_PORT == "$http_port" ]]; do PG_PORT=$(free_port); done
    mkdir -p "$dir"
    REGISTRY_KIND=cais
    REGISTRY_LOG="$dir/registry.log"
    REGISTRY_PGDIR="$dir/pg"
    local storage=()
    case $backend in
        fs) storage=(-Dcais.storage.type=filesystem "-Dcais.storage.filesystem.root=$dir/blobs") ;;
        s3) storage=(-Dcais.storage.type=s3 "-Dcais.storage.s3.endpoint=$S3_ENDPOINT"
                     -Dcais.storage.s3.bucket=cais -Dcais.storage.s3.region=us-east-1
                     "-Dcais.storage.s3.access-key=$S3_ACCESS_KEY" "-Dcais.storage.s3.secret-key=$S3_SECRET_KEY"
                     -Dcais.storage.s3.create-bucket=true) ;;
        *) die "unknown backend $backend" ;;
    esac
    log "starting Cais ($backend, -Xmx$xmx) on port $http_port, PostgreSQL on $PG_PORT"
    # cwd is the run dir so a config/application.properties in the caller's cwd is not picked up;
    # exec keeps $! equal to the JVM's pid, whose /proc status we sample.
    (cd "$dir" && exec "$JAVA" "-Xmx$xmx" ${EXTRA_JVM_OPTS[@]+"${EXTRA_JVM_OPTS[@]}"} "$@" \
        -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$http_port" \
        "-Dcais.embedded-database.data-dir=$REGISTRY_PGDIR" "-Dcais.embedded-database.port=$PG_PORT" \
        "-Dcais.admin.initial-password=$ADMIN_PASSWORD" -Dcais.auth.token-lifetime=PT1H \
        "${storage[@]}" -jar "$APP_JAR") > "$REGISTRY_LOG" 2>&1 &
    REGISTRY_PID=$!
    BASE="http://127.0.0.1:$http_port"
    AUTH_ARGS=()
    wait_ready "$BASE/v2/" -u "$ADMIN_USER:$ADMIN_PASSWORD"
}

# start_distribution DIR [DRIVER]: CNCF Distribution (Debian's docker-registry) on loopback, open
# (no auth), with DRIVER filesystem (the default: storage under DIR) or s3 (its s3-aws driver on
# the S3Proxy started before, bucket `dist`, path-style, and `redirect: disable` so that blobs
# stream through the registry as they do through Cais). Logging is cut to errors and the access
# log is off, its fastest setting; Cais keeps its production default, a request log line per
# request. AWS_CA_BUNDLE is unset for it because its AWS SDK panics on it.
# DIST_ROOT is where its layout (docker/registry/v2/…) lies as files: with s3, S3Proxy's
# filesystem provider keeps an object as a file under <basedir>/<bucket>/<key>, so the tag and
# catalog set-up writes there in both cases.
start_distribution() {
    local dir=$1 driver=${2:-filesystem} http_port storage
    http_port=$(free_port)
    mkdir -p "$dir/data"
    REGISTRY_KIND=distribution
    REGISTRY_LOG="$dir/registry.log"
    REGISTRY_PGDIR=""
    case $driver in
        filesystem)
            DIST_ROOT="$dir/data"
            storage="  filesystem:
    rootdirectory: $DIST_ROOT" ;;
        s3)
            # A bucket of S3Proxy's filesystem provider is a directory under its basedir.
            DIST_ROOT="$WORK/s3proxy/data/dist"
            mkdir -p "$DIST_ROOT"
            # regionendpoint makes Distribution 2.8 address the bucket path-style.
            storage="  s3:
    accesskey: $S3_ACCESS_KEY
    secretkey: $S3_SECRET_KEY
    region: us-east-1
    regionendpoint: $S3_ENDPOINT
    bucket: dist
    secure: false
    v4auth: true
  redirect:
    disable: true" ;;
        *) die "unknown Distribution driver $driver" ;;
    esac
    cat > "$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
$storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$http_port
EOF
    log "starting Distribution ($(docker-registry --version | awk '{ print $NF }'), $driver) on port $http_port"
    (cd "$dir" && exec env -u AWS_CA_BUNDLE docker-registry serve "$dir/config.yml") > "$REGISTRY_LOG" 2>&1 &
    REGISTRY_PID=$!
    BASE="http://127.0.0.1:$http_port"
    AUTH_ARGS=()
    wait_ready "$BASE/v2/"
}

stop_registry() {
    [[ -n $REGISTRY_PID ]] || return 0
    stop_pid "$REGISTRY_PID" registry
    REGISTRY_PID=""
    # The embedded PostgreSQL (started by the JVM, detached from it) normally stops with the JVM;
    # if the JVM had to be killed, stop the postmaster named in its own pid file (first line).
    local pidfile="$REGISTRY_PGDIR/postmaster.pid" pg_pid
    if [[ -n $REGISTRY_PGDIR && -f $pidfile ]]; then
        pg_pid=$(head -n 1 "$pidfile")
        if [[ $pg_pid =~ ^[0-9]+$ ]] && kill -0 "$pg_pid" 2>/dev/null; then
            log "stopping leftover embedded PostgreSQL (pid $pg_pid)"
            kill -TERM "$pg_pid" 2>/dev/null || true
        fi
    fi
}

# The heap limit the running JVM actually applied (MaxHeapSize), in bytes.
max_heap_bytes() {
    local v
    v=$("$JCMD" "$REGISTRY_PID" VM.flags 2>/dev/null | tr ' ' '\n' | sed -n 's/^-XX:MaxHeapSize=//p' || true)
    echo "${v:-unknown}"
}

# The embedded PostgreSQL's superuser password is in its data directory (mode 0600).
sql() {
    PGPASSWORD=$(cat "$REGISTRY_PGDIR/cais-superuser-password") PGCONNECT_TIMEOUT=10 \
        psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}

# ---------------------------------------------------------------------------------------------
# Cais's authentication
# ---------------------------------------------------------------------------------------------

# create_namespace NAME [VISIBILITY]: repositories live in namespaces that must exist before a
# push; private (the default) or public (anonymous pulls).
create_namespace() {
    local status
    status=$(curl -sS -o "$WORK/last.body" -w '%{http_code}' -u "$ADMIN_USER:$ADMIN_PASSWORD" \
        -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"visibility\":\"${2:-private}\"}" \
        "$BASE/api/v1/namespaces") \
        || die "curl failed creating namespace $1"
    [[ $status == 201 ]] || { cat "$WORK/last.body" >&2; die "creating namespace $1 answered $status"; }
}

# use_token SCOPE...: fetches one bearer token (Basic auth as admin) for all the scopes and makes
# every later request (call, wrk, ab, curl with AUTH_ARGS) send it. Obtained once, like a client
# that logged in; verifying it is part of every measured request.
use_token() {
    local query="service=cais" scope token
    for scope in "$@"; do query+="&scope=$scope"; done
    token=$(curl -sS --fail-with-body -u "$ADMIN_USER:$ADMIN_PASSWORD" "$BASE/auth/token?$query" | jq -r .token) \
        || die "could not obtain a token for $*"
    [[ -n $token && $token != null ]] || die "the token answer carried no token"
    AUTH_ARGS=(-H "Authorization: Bearer $token")
}

# big_layer_options ARGS...: the options of the one-big-layer scripts, `[--size MiB] [--build]`:
# sets SIZE_MIB (default 1024), SIZE_BYTES and FORCE_BUILD.
big_layer_options() {
    SIZE_MIB=1024
    FORCE_BUILD=0
    while [[ $# -gt 0 ]]; do
        case $1 in
            --size) SIZE_MIB=${2:?--size needs MiB}; shift 2 ;;
            --build) FORCE_BUILD=1; shift ;;
            -h|--help) usage 0 ;;
            *) echo "unknown argument: $1" >&2; usage 2 ;;
        esac
    done
    [[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || { echo "--size must be a positive number of MiB" >&2; exit 2; }
    SIZE_BYTES=$((SIZE_MIB * 1024 * 1024))
}

# create_pull_robot NAMESPACE NAME REPOSITORY_PATTERN: a robot of NAMESPACE that may only pull the repositories
# matching the pattern, created through the admin API as an operator would; sets ROBOT_USER and ROBOT_SECRET.
create_pull_robot() {
    local body
    body=$(curl -sS --fail-with-body -u "$ADMIN_USER:$ADMIN_PASSWORD" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$2\",\"actions\":[\"pull\"],\"repositories\":[\"$3\"]}" "$BASE/api/v1/namespaces/$1/robots") \
        || die "could not create the robot $1+$2: $body"
    ROBOT_USER=$(jq -r .username <<< "$body")
    ROBOT_SECRET=$(jq -r .secret <<< "$body")
    [[ -n $ROBOT_SECRET && $ROBOT_SECRET != null ]] || die "the robot answer carried no secret: $body"
}

# distribution_require_htpasswd USER PASSWORD: restarts the running Distribution (same configuration file,
# storage and port) with htpasswd authentication (bcrypt, htpasswd -B's default cost) for USER, as a private
# Distribution runs; a no-op when it already has it. Needs htpasswd (apache2-utils).
distribution_require_htpasswd() {
    [[ $REGISTRY_KIND == distribution ]] || die "distribution_require_htpasswd: the running registry is $REGISTRY_KIND"
    local config dir
    # The configuration is the last argument of `docker-registry serve CONFIG`.
    config=$(tr '\0' '\n' < "/proc/$REGISTRY_PID/cmdline" | tail -n 1)
    dir=$(dirname "$config")
    grep -q '^auth:' "$config" && return 0
    stop_registry
    htpasswd -Bbc "$dir/htpasswd" "$1" "$2" 2> /dev/null
    printf 'auth:\n  htpasswd:\n    realm: bench\n    path: %s\n' "$dir/htpasswd" >> "$config"
    (cd "$dir" && exec env -u AWS_CA_BUNDLE docker-registry serve "$config") >> "$REGISTRY_LOG" 2>&1 &
    REGISTRY_PID=$!
    REGISTRY_KIND=distribution
    wait_ready "$BASE/v2/" -u "$1:$2"
}

# cais_enable_statement_stats: restarts the running Cais (same storage, data directory and options) with its
# embedded PostgreSQL preloading pg_stat_statements (zonky's binaries include it), so that statement_stats can
# count a step's queries. The extension needs shared_preload_libraries, which only a server start reads:
# ALTER SYSTEM writes it into postgresql.auto.conf in the data directory.
cais_enable_statement_stats() {
    [[ $REGISTRY_KIND == cais ]] || die "cais_enable_statement_stats: the running registry is $REGISTRY_KIND"
    sql -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" > /dev/null
    local args=("${CAIS_START_ARGS[@]}")
    stop_registry
    mv "$REGISTRY_LOG" "${REGISTRY_LOG%.log}-before-restart.log"   # start_cais starts a new log
    start_cais "${args[@]}"
    sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" > /dev/null
}

# statement_stats_reset, then statement_stats: the database's work in between, as "STATEMENTS TRANSACTIONS":
# the statement executions pg_stat_statements counted (leaving out its own queries; '-' without the
# extension), and the transactions committed or rolled back in the registry's database (pg_stat_database;
# a backend reports its counters at most once a second, hence the pause before reading them).
statement_stats_reset() {
    sql -At -c "SELECT pg_stat_statements_reset()" > /dev/null 2>&1 || true
    STATEMENT_STATS_XACTS=$(sql -At -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
}
statement_stats() {
    local calls xacts
    sleep 1.5
    calls=$(sql -At -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat%'" 2> /dev/null || echo -)
    xacts=$(sql -At -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
    echo "$calls $((xacts - STATEMENT_STATS_XACTS))"
}

# run_kubelet_cycle USER PASSWORD CLIENTS SECONDS REPO TAG: bench/KubeletCycle.java against $BASE (see
# kubelet-cycle.sh). Sets KC_CYCLES KC_PER_S KC_REQUESTS KC_P50 KC_P90 KC_P99 KC_MAX KC_ERRORS (latencies in
# ms) and KC_CPU_US (the registry's CPU microseconds per cycle).
run_kubelet_cycle() {
    local cpu0 out
    cpu0=$(registry_cpu_us)
    out=$("$JAVA" "$ROOT/bench/KubeletCycle.java" "$BASE" "$5" "$6" "$1" "$2" "$3" "$4" 2> "$WORK/cycle.err") \
        || { cat "$WORK/cycle.err" >&2; die "the kubelet cycle load generator failed"; }
    [[ -s $WORK/cycle.err ]] && head -n 5 "$WORK/cycle.err" >&2
    IFS=$'\t' read -r KC_CYCLES KC_PER_S KC_REQUESTS KC_P50 KC_P90 KC_P99 KC_MAX KC_ERRORS <<< "$out"
    KC_CPU_US=$(awk -v d="$(( $(registry_cpu_us) - cpu0 ))" -v n="$KC_CYCLES" 'BEGIN { printf "%.0f", (n > 0 ? d / n : 0) }')
}

# ---------------------------------------------------------------------------------------------
# The storm image and the storm (storm.sh, bench/run)
# ---------------------------------------------------------------------------------------------

STORM_CLASSES=(challenge token head index manifest config layer)

# make_storm_image DIR SIZES: a two-platform image as plain files in DIR: one random layer per size in SIZES
# (MiB, comma-separated; random data under the gzip layer media type, which no registry looks inside), an amd64
# and an arm64 config, one image manifest per platform over the same layers, and the OCI index naming both
# with their platforms. Sets STORM_IMAGE_DIR and STORM_IMAGE_MIB (the layers' sum).
make_storm_image() {
    local dir=$1 sizes mib i=0 layers=() arch manifests=()
    IFS=, read -r -a sizes <<< "$2"
    mkdir -p "$dir"
    for mib in "${sizes[@]}"; do
        head -c $((mib * 1048576)) /dev/urandom > "$dir/layer-$i"
        layers+=("$(jq -cn --arg d "$(sha256_of "$dir/layer-$i")" --argjson s $((mib * 1048576)) \
            '{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s}')")
        i=$((i + 1))
    done
    for arch in amd64 arm64; do
        jq -cnj --arg a "$arch" '{architecture: $a, os: "linux", config: {}, rootfs: {type: "layers", diff_ids: []}}' \
            > "$dir/config-$arch"
        printf '%s\n' "${layers[@]}" | jq -cnj --arg cd "$(sha256_of "$dir/config-$arch")" \
            --argjson cs "$(stat -c %s "$dir/config-$arch")" \
            '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
              config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
              layers: [inputs]}' > "$dir/manifest-$arch"
        manifests+=("$(jq -cn --arg d "$(sha256_of "$dir/manifest-$arch")" --argjson s "$(stat -c %s "$dir/manifest-$arch")" \
            --arg a "$arch" '{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
                              platform: {architecture: $a, os: "linux"}}')")
    done
    printf '%s\n' "${manifests[@]}" | jq -cnj \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [inputs]}' > "$dir/index"
    STORM_IMAGE_DIR=$dir
    STORM_IMAGE_MIB=$(IFS=+; echo $(( ${sizes[*]} )))
}

# push_storm_image REPO TAG: the image of make_storm_image, with the credentials in AUTH_ARGS: the blobs, the
# two manifests by digest, then the index by TAG (checking the digest the registry answers).
push_storm_image() {
    local repo=$1 tag=$2 dir=$STORM_IMAGE_DIR f arch
    for f in "$dir"/layer-* "$dir"/config-*; do
        push_blob_put "$repo" "$f" "$(sha256_of "$f")"
    done
    for arch in amd64 arm64; do
        call PUT "/v2/$repo/manifests/$(sha256_of "$dir/manifest-$arch")" 201 -T "$dir/manifest-$arch" \
            -H "Content-Type: $MANIFEST_TYPE"
    done
    call PUT "/v2/$repo/manifests/$tag" 201 -T "$dir/index" -H 'Content-Type: application/vnd.oci.image.index.v1+json'
    [[ $(last_header Docker-Content-Digest) == "$(sha256_of "$dir/index")" ]] \
        || die "PUT index answered Docker-Content-Digest '$(last_header Docker-Content-Digest)', expected $(sha256_of "$dir/index")"
}

# run_storm USER PASSWORD NODES REPO TAG: bench/Storm.java against $BASE: NODES simulated nodes pull REPO:TAG at
# once with USER's credentials. The generator's heap and carrier threads are capped so that it does not crowd
# the registry off the 2 cores. Sets STORM_RAN (nodes) STORM_DONE STORM_ERRORS STORM_SECONDS STORM_MIB STORM_MIBS and,
# per request class, STORM_COUNT STORM_P50 STORM_P99 STORM_MAX (ms); its first error messages go to stderr.
declare -A STORM_COUNT=() STORM_P50=() STORM_P99=() STORM_MAX=()
run_storm() {
    local out kind a b c d e f
    out=$("$JAVA" -Xmx384m -XX:+UseSerialGC -Djdk.virtualThreadScheduler.parallelism=2 \
        -Djdk.virtualThreadScheduler.maxPoolSize=4 "$ROOT/bench/Storm.java" "$BASE" "$4" "$5" "$1" "$2" "$3" \
        2> "$WORK/storm.err") || { cat "$WORK/storm.err" >&2; die "the storm load generator failed"; }
    [[ -s $WORK/storm.err ]] && head -n 10 "$WORK/storm.err" >&2
    while IFS=$'\t' read -r kind a b c d e f; do
        if [[ $kind == total ]]; then
            STORM_RAN=$a; STORM_DONE=$b; STORM_ERRORS=$c; STORM_SECONDS=$d; STORM_MIB=$e; STORM_MIBS=$f
        else
            STORM_COUNT[$kind]=$a; STORM_P50[$kind]=$b; STORM_P99[$kind]=$c; STORM_MAX[$kind]=$d
        fi
    done <<< "$out"
}

# ---------------------------------------------------------------------------------------------
# HTTP (setup and checks; the load tools talk to the registry themselves)
# ---------------------------------------------------------------------------------------------

# call METHOD TARGET EXPECTED_STATUS [curl args...]
# TARGET is the request path with query. It is sent with --request-target to the bare base URL
# because `curl -T file URL` appends the file's name to a URL whose path ends in '/' (as
# .../blobs/uploads/ does); this way uploads keep the spec's path and an exact Content-Length.
# 'Expect:' stops curl from waiting up to a second for a '100 Continue' on each upload. HEAD uses
# --head, since `-X HEAD` would wait for the Content-Length body. AUTH_ARGS carry the token.
# Any other status than the expected one aborts the run with the status and response body.
call() {
    local method=$1 target=$2 expected=$3
    shift 3
    local status method_args=(-X "$method")
    [[ $method == HEAD ]] && method_args=(--head)
    status=$(curl -sS "${method_args[@]}" --request-target "$target" -H 'Expect:' ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} \
        -D "$WORK/last.headers" -o "$WORK/last.body" -w '%{http_code}' "$@" "$BASE/") \
        || die "curl failed on $method $target"
    if [[ $status != "$expected" ]]; then
        {
            echo "$BENCH_NAME: $method $target answered $status, expected $expected"
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

# with_digest TARGET DIGEST: TARGET with `digest=` added to its query.
with_digest() {
    if [[ $1 == *\?* ]]; then echo "$1&digest=$2"; else echo "$1?digest=$2"; fi
}

# push_blob_post REPO FILE DIGEST: the whole blob in the opening POST (`?digest=`). Cais supports
# it; Distribution 2.8.2 ignores the body and answers 202, so bench/run uses push_blob_put.
push_blob_post() {
    call POST "/v2/$1/blobs/uploads/?digest=$3" 201 -T "$2" -H 'Content-Type: application/octet-stream'
}

# push_blob_put REPO FILE DIGEST: the spec's other monolithic upload, POST then one PUT carrying
# the whole blob; every registry supports it.
push_blob_put() {
    local target
    call POST "/v2/$1/blobs/uploads/" 202
    target=$(location_target)
    call PUT "$(with_digest "$target" "$3")" 201 -T "$2" -H 'Content-Type: application/octet-stream'
}

# push_blob_chunked REPO CHUNK_DIR DIGEST: POST, one PATCH per file of CHUNK_DIR (in name order)
# with Content-Range, then PUT ?digest=. Each request goes to the Location of the latest answer,
# as the spec says (Distribution changes it every time).
push_blob_chunked() {
    local repo=$1 chunk_dir=$2 digest=$3 target offset=0 chunk size end
    call POST "/v2/$repo/blobs/uploads/" 202
    target=$(location_target)
    for chunk in "$chunk_dir"/*; do
        size=$(stat -c %s "$chunk")
        end=$((offset + size - 1))
        call PATCH "$target" 202 -T "$chunk" \
            -H 'Content-Type: application/octet-stream' -H "Content-Range: $offset-$end"
        target=$(location_target)
        offset=$((end + 1))
    done
    call PUT "$(with_digest "$target" "$digest")" 201 -H 'Content-Length: 0'
}

# split_chunks FILE DIR MIB: FILE cut into MIB-sized files in DIR (names sort in order), so the
# chunked push sends plain files with exact Content-Lengths and no pipeline runs while timed.
split_chunks() {
    mkdir -p "$2"
    split -b "$(($3 * 1048576))" -d -a 6 "$1" "$2/part-"
}

# pull_blob REPO DIGEST SIZE_BYTES: one GET to /dev/null, so that nothing but the registry and
# curl is measured. On a failure status the body was discarded, so it is fetched once more
# (bounded) to show it.
pull_blob() {
    local repo=$1 digest=$2 size=$3 out status bytes
    out=$(curl -sS ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} --request-target "/v2/$repo/blobs/$digest" -o /dev/null \
        -w '%{http_code} %{size_download}' "$BASE/") || die "curl failed on GET blob $digest"
    read -r status bytes <<< "$out"
    if [[ $status != 200 ]]; then
        {
            echo "$BENCH_NAME: GET /v2/$repo/blobs/$digest answered $status, expected 200"
            echo "--- response body (from a repeat of the request)"
            curl -sS ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} --request-target "/v2/$repo/blobs/$digest" "$BASE/" | head -c 4096; echo
            echo "--- registry log (last 20 lines)"; tail -n 20 "$REGISTRY_LOG"
        } >&2
        exit 1
    fi
    [[ $bytes == "$size" ]] || die "GET $digest returned $bytes bytes, expected $size"
}

# verify_blob REPO DIGEST: an untimed pull that hashes the content; prints ok or MISMATCH.
verify_blob() {
    local actual
    actual="sha256:$(curl -sS --fail-with-body ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} \
        --request-target "/v2/$1/blobs/$2" "$BASE/" | sha256sum | cut -d' ' -f1)" \
        || die "verification GET of $2 failed"
    if [[ $actual == "$2" ]]; then echo ok; else echo MISMATCH; fi
}

# ---------------------------------------------------------------------------------------------
# A small image and tags (manifest benchmarks)
# ---------------------------------------------------------------------------------------------

# make_small_image DIR: one config blob, one 4 KiB random layer and the OCI image manifest naming
# both, as exact bytes. Sets MANIFEST_FILE, MANIFEST_DIGEST, MANIFEST_SIZE, SMALL_IMAGE_DIR.
make_small_image() {
    local dir=$1
    mkdir -p "$dir"
    printf '%s' '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$dir/config.json"
    head -c 4096 /dev/urandom > "$dir/layer.bin"
    printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
        "$MANIFEST_TYPE" "$(sha256_of "$dir/config.json")" "$(stat -c %s "$dir/config.json")" \
        "$(sha256_of "$dir/layer.bin")" "$(stat -c %s "$dir/layer.bin")" > "$dir/manifest.json"
    SMALL_IMAGE_DIR=$dir
    MANIFEST_FILE="$dir/manifest.json"
    MANIFEST_DIGEST=$(sha256_of "$MANIFEST_FILE")
    MANIFEST_SIZE=$(stat -c %s "$MANIFEST_FILE")
}

# push_small_image REPO TAG: both blobs (POST then PUT: works on every registry), then the
# manifest by tag, checking the digest the registry computed.
push_small_image() {
    local repo=$1 tag=$2 f
    for f in config.json layer.bin; do
        push_blob_put "$repo" "$SMALL_IMAGE_DIR/$f" "$(sha256_of "$SMALL_IMAGE_DIR/$f")"
    done
    call PUT "/v2/$repo/manifests/$tag" 201 -T "$MANIFEST_FILE" -H "Content-Type: $MANIFEST_TYPE"
    [[ $(last_header Docker-Content-Digest) == "$MANIFEST_DIGEST" ]] \
        || die "PUT manifest answered Docker-Content-Digest '$(last_header Docker-Content-Digest)', expected $MANIFEST_DIGEST"
}

# check_manifest_by_tag REPO TAG: HEAD answers the right digest and length, GET the pushed bytes.
check_manifest_by_tag() {
    local target="/v2/$1/manifests/$2"
    call HEAD "$target" 200 -H "Accept: $MANIFEST_TYPE"
    [[ $(last_header Docker-Content-Digest) == "$MANIFEST_DIGEST" ]] \
        || die "HEAD $target: Docker-Content-Digest '$(last_header Docker-Content-Digest)', expected $MANIFEST_DIGEST"
    [[ $(last_header Content-Length) == "$MANIFEST_SIZE" ]] \
        || die "HEAD $target: Content-Length '$(last_header Content-Length)', expected $MANIFEST_SIZE"
    call GET "$target" 200 -H "Accept: $MANIFEST_TYPE"
    cmp -s "$WORK/last.body" "$MANIFEST_FILE" || die "GET $target did not return the pushed manifest bytes"
    [[ $(last_header Content-Type) == "$MANIFEST_TYPE" ]] \
        || die "GET $target: Content-Type '$(last_header Content-Type)', expected $MANIFEST_TYPE"
}

# Tag names: t0000000 … t<count-1>, zero-padded so lexical order is numeric order.
tag_name() { printf 't%07d' "$1"; }

# cais_insert_tags REPO COUNT: tags t0000001 … t<COUNT-1> added with psql to REPO, all pointing at
# the manifest $MANIFEST_DIGEST that t0000000 was pushed with through the API (so the manifest
# row and its references are real). One INSERT … SELECT generate_series, then ANALYZE.
cais_insert_tags() {
    local repo=$1 count=$2 n
    sql > "$WORK/psql.log" 2>&1 <<EOF || { cat "$WORK/psql.log" >&2; die "tag insert failed"; }
INSERT INTO tag (repository_id, name, manifest_id)
SELECT r.id, 't' || lpad(g::text, 7, '0'), m.id
FROM repository r JOIN manifest m ON m.repository_id = r.id, generate_series(1, $((count - 1))) g
WHERE r.name = '$repo' AND m.digest = '$MANIFEST_DIGEST'
ON CONFLICT DO NOTHING;
ANALYZE tag;
EOF
    n=$(sql -At -c "SELECT count(*) FROM tag t JOIN repository r ON r.id = t.repository_id WHERE r.name = '$repo'")
    [[ $n == "$count" ]] || die "expected $count tags in $repo, the database has $n"
}

# ---------------------------------------------------------------------------------------------
# Load tools
# ---------------------------------------------------------------------------------------------

# Both wrappers leave the figures of the measured run in LOAD_REQUESTS LOAD_RPS LOAD_P50 LOAD_P99
# (ms), LOAD_ERRORS (non-2xx answers plus socket errors) and LOAD_CPU_US (the registry's CPU
# microseconds per measured request), and keep the raw output in OUT_FILE.
# A warm-up run of WARMUP seconds (0: none) of the same request comes first: the JIT needs it.
# The token in AUTH_ARGS goes with every request.

# run_wrk OUT_FILE CONNECTIONS THREADS SECONDS URL [wrk args...]
run_wrk() {
    local out=$1 conns=$2 threads=$3 secs=$4 url=$5
    shift 5
    if (( ${WARMUP:-0} > 0 )); then
        wrk -t"$threads" -c"$conns" -d"${WARMUP}s" ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} "$@" "$url" > "$out.warmup" 2>&1 \
            || { cat "$out.warmup" >&2; die "wrk warm-up failed ($url)"; }
    fi
    local cpu_before
    cpu_before=$(registry_cpu_us)
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} "$@" "$url" > "$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed ($url)"; }
    local non2xx sockerr
    LOAD_RPS=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
    LOAD_REQUESTS=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$out")
    LOAD_CPU_US=$(cpu_per_request "$cpu_before" "$LOAD_REQUESTS")
    LOAD_P50=$(to_ms "$(awk '/Latency Distribution/ { d = 1 } d && $1 == "50%" { print $2; exit }' "$out")")
    LOAD_P99=$(to_ms "$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' "$out")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    # "Socket errors: connect 0, read 0, write 0, timeout 0"
    sockerr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
    LOAD_ERRORS=$(( ${non2xx:-0} + ${sockerr:-0} ))
    (( LOAD_ERRORS == 0 )) || log "wrk: ${non2xx:-0} non-2xx answers, ${sockerr:-0} socket errors (see $out)"
}

# run_ab OUT_FILE CONNECTIONS SECONDS URL [ab args...]
# ab stops at -t seconds; -n after -t lifts its implied 50,000-request cap (ab keeps one small
# record per request, so the cap stays finite). It is single-threaded and its percentiles are
# whole milliseconds. We use it for HEAD: wrk waits for a body that a HEAD answer with
# Content-Length never sends.
run_ab() {
    local out=$1 conns=$2 secs=$3 url=$4
    shift 4
    if (( ${WARMUP:-0} > 0 )); then
        ab -q -k -c "$conns" -t "$WARMUP" -n 2000000 ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} "$@" "$url" > "$out.warmup" 2>&1 \
            || { cat "$out.warmup" >&2; die "ab warm-up failed ($url)"; }
    fi
    local cpu_before
    cpu_before=$(registry_cpu_us)
    ab -q -k -c "$conns" -t "$secs" -n 2000000 ${AUTH_ARGS[@]+"${AUTH_ARGS[@]}"} "$@" "$url" > "$out" 2>&1 \
        || { cat "$out" >&2; die "ab failed ($url)"; }
    local failed non2xx
    LOAD_RPS=$(awk '/^Requests per second:/ { print $4 }' "$out")
    LOAD_REQUESTS=$(awk '/^Complete requests:/ { print $3 }' "$out")
    LOAD_CPU_US=$(cpu_per_request "$cpu_before" "$LOAD_REQUESTS")
    LOAD_P50=$(awk '$1 == "50%" { print $2 }' "$out")
    LOAD_P99=$(awk '$1 == "99%" { print $2 }' "$out")
    failed=$(awk '/^Failed requests:/ { print $3 }' "$out")
    non2xx=$(awk '/^Non-2xx responses:/ { print $3 }' "$out")
    LOAD_ERRORS=$(( ${failed:-0} + ${non2xx:-0} ))
    (( LOAD_ERRORS == 0 )) || log "ab: ${failed:-0} failed, ${non2xx:-0} non-2xx (see $out)"
}

# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

# tsv_append FILE HEADER FIELD...: appends one row (the fields joined by tabs) to FILE, writing
# HEADER (tab-separated column names) first when FILE is new. Empty fields become '-'.
tsv_append() {
    local file=$1 header=$2
    shift 2
    mkdir -p "$(dirname "$file")"
    [[ -s $file ]] || printf '%s\n' "$header" > "$file"
    local field line="" sep=""
    for field in "$@"; do
        line+="$sep${field:--}"
        sep=$'\t'
    done
    printf '%s\n' "$line" >> "$file"
}
