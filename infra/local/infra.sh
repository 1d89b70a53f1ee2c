#!/usr/bin/env bash
# Local infrastructure for the MLOps platform: PostgreSQL 15, RabbitMQ 3.10,
# ZooKeeper 3.4 + Kafka 0.9.0.1, and Debian's Python reference packages.
#
#   infra/local/infra.sh install        install whatever is missing
#   infra/local/infra.sh up             install + start + provision + write .local/platform.env
#   infra/local/infra.sh down [--purge] stop everything (--purge: also delete all state)
#   infra/local/infra.sh status         one line per component; exit 0 only if all are up
#   infra/local/infra.sh env            print the path of the env file
#   infra/local/infra.sh stop  PART     stop one part, keep its data: postgres|rabbitmq|zookeeper|kafka
#   infra/local/infra.sh start PART     start (and provision) one part again; kafka needs zookeeper
#   infra/local/infra.sh prune-tests    drop what test runs leave behind: test databases and Kafka test topics
#   infra/local/infra.sh rabbitmqctl …  run rabbitmqctl against our node (our env + cookie)
#   infra/local/infra.sh kafka-topics … run Kafka's TopicCommand against our ZooKeeper
#
# No Docker engine is available on the dev/CI machines, so everything runs as
# plain processes bound to 127.0.0.1 on project-specific ports (so a system
# PostgreSQL/RabbitMQ on the default ports never collides with ours).
# Each component lives in lib/<component>.sh with the same functions
# (<component>_debs, _install, _up, _down, _status, _env); this file loops over them.
# Why Kafka is 0.9.0.1 and what that means for clients: docs/local-infrastructure.md.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=lib/postgres.sh
. "$SCRIPT_DIR/lib/postgres.sh"
# shellcheck source=lib/rabbitmq.sh
. "$SCRIPT_DIR/lib/rabbitmq.sh"
# shellcheck source=lib/kafka.sh
. "$SCRIPT_DIR/lib/kafka.sh"
# shellcheck source=lib/python.sh
. "$SCRIPT_DIR/lib/python.sh"
# shellcheck source=lib/manifests.sh
. "$SCRIPT_DIR/lib/manifests.sh"

# Start order; `down` goes backwards.
COMPONENTS=(postgres rabbitmq kafka python manifests)

cmd_install() {
  mkdir -p "$CACHE_DIR"
  local c missing=()
  # One apt run for everything missing: `apt-get update` alone takes seconds.
  mapfile -t missing < <({ common_debs; for c in "${COMPONENTS[@]}"; do "${c}_debs"; done; } | sed '/^$/d')
  apt_ensure "${missing[@]}"
  for c in "${COMPONENTS[@]}"; do "${c}_install"; done
}

# Plain KEY=VALUE lines (no quotes, no spaces, no `export`): the value is
# everything after the first `=`, as the .NET env-file parser, `docker
# --env-file` and systemd read it. Shells must export line by line rather than
# source it: the `;` in connection strings would split them (see the doc).
# `__` is the .NET configuration section separator (ConnectionStrings__ingestion
# -> ConnectionStrings:ingestion).
write_env_file() {
  local content c lines
  content="PLATFORM_CACHE_DIR=$CACHE_DIR"
  for c in "${COMPONENTS[@]}"; do
    lines=$("${c}_env")
    if [[ -n $lines ]]; then content+=$'\n'"$lines"; fi
  done
  content+=$'\n'"$(api_key_env)"
  if [[ -f $ENV_FILE ]] && [[ "$(<"$ENV_FILE")" == "$content" ]]; then
    log "env: $ENV_FILE unchanged"
  else
    (umask 077; write_if_changed "$ENV_FILE" "$content")
    chmod 600 "$ENV_FILE"
    log "env: wrote $ENV_FILE"
  fi
}

cmd_up() {
  local t0 c; t0=$(now)
  require_root
  take_lock
  cmd_install
  mkdir -p "$STATE_DIR"
  reserve_ports
  for c in "${COMPONENTS[@]}"; do "${c}_up"; done
  write_env_file
  log "up: all components running ($(since "$t0")); env file: $ENV_FILE"
}

# Runs before `up` in the test command: on a machine whose broker holds thousands of test partitions, the broker's first
# start would be the slow part, so ZooKeeper comes up alone, the topics go, and only then does the broker start.
cmd_prune_tests() {
  require_root
  take_lock
  cmd_install
  mkdir -p "$STATE_DIR"
  reserve_ports
  postgres_up
  postgres_prune_test_databases
  postgres_prune_test_experiments
  zk_up
  kafka_prune_test_topics
}

cmd_down() {
  local purge=() i
  case "${1:-}" in
    "") ;;
    --purge) purge=(--purge) ;;
    *) die "unknown option for down: $1 (only --purge)" ;;
  esac
  require_root
  take_lock
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do "${COMPONENTS[i]}_down" "${purge[@]}"; done
  if ((${#purge[@]})); then
    rm -rf "$STATE_DIR"
    rm -f "$ENV_FILE"
    log "purge: removed $STATE_DIR and $ENV_FILE (downloads in $CACHE_DIR kept)"
  fi
}

# One part at a time, for fault-injection tests (tests/Mlops.EndToEnd.Tests/Chaos) and for operators. `kafka` is the
# broker alone, `zookeeper` the coordinator alone (stop kafka first: its controlled shutdown needs ZooKeeper).
PARTS="postgres|rabbitmq|zookeeper|kafka"
cmd_part() {
  local action=$1 part=${2:-}
  [[ $part =~ ^($PARTS)$ ]] || die "usage: $0 $action $PARTS"
  require_root
  take_lock
  case "$action:$part" in
    stop:postgres) postgres_down "" ;; # "" = keep the cluster (no --purge)
    stop:rabbitmq) rabbitmq_down ;;
    stop:zookeeper) zk_down ;;
    stop:kafka) kafka_broker_down ;;
    start:postgres) postgres_up ;;
    start:rabbitmq) rabbitmq_up ;;
    start:zookeeper) zk_up ;;
    start:kafka)
      zk_running || die "zookeeper is not running; start it first: $0 start zookeeper"
      kafka_broker_up ;;
  esac
}

cmd_status() {
  local rc=0 c
  for c in "${COMPONENTS[@]}"; do "${c}_status" || rc=1; done
  return $rc
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "$ENV_FILE does not exist yet; run: $0 up"
  echo "$ENV_FILE"
}

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
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
    stop | start) cmd_part "$cmd" "$@" ;;
    install) require_root; take_lock; cmd_install ;;
    prune-tests) cmd_prune_tests ;;
    rabbitmqctl) rabbitmqctl_ "$@" ;;
    kafka-topics) kafka_topics "$@" ;;
    *) usage ;;
  esac
}

main "$@"
