# shellcheck shell=bash
# RabbitMQ 3.10 from Debian, our own node with the management plugin. Sourced by infra.sh (after common.sh).

RABBIT_PORT="${MLOPS_RABBIT_PORT:-55672}"
RABBIT_DIST_PORT="${MLOPS_RABBIT_DIST_PORT:-55673}"
RABBIT_MGMT_PORT="${MLOPS_RABBIT_MGMT_PORT:-55674}"
EPMD_PORT="${MLOPS_EPMD_PORT:-54369}"
RABBIT_MANAGEMENT="${MLOPS_RABBIT_MANAGEMENT:-1}"
# A second instance (another MLOPS_CACHE_DIR and ports) may name its node differently, so `rabbitmqctl` and logs
# never mix the two up even when both register with the same epmd.
RABBIT_NODE="${MLOPS_RABBIT_NODE:-mlops@localhost}"
[[ $RABBIT_NODE =~ ^[a-z0-9_]+@localhost$ ]] || { echo "[infra] ERROR: MLOPS_RABBIT_NODE must look like name@localhost" >&2; exit 1; }
RABBIT_USER=mlops
RABBIT_BIN=/usr/lib/rabbitmq/bin
RABBIT_STATE="$STATE_DIR/rabbitmq"
INFRA_PORTS+=("$RABBIT_PORT" "$RABBIT_DIST_PORT" "$RABBIT_MGMT_PORT" "$EPMD_PORT")

rabbitmq_debs() { deb_installed rabbitmq-server || echo rabbitmq-server; }

rabbitmq_install() {
  if [[ " ${APT_INSTALLED[*]} " == *" rabbitmq-server "* ]]; then
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
rabbit_node_env() {
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

rabbitmqctl_() { (rabbit_node_env; cd "$RABBIT_STATE" && "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" "$@"); }

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

rabbitmq_up() {
  local t0; t0=$(now)
  CONFIG_CHANGED=0
  rabbit_write_config
  if ((CONFIG_CHANGED)) && pid_alive "$RABBIT_PIDFILE" "-home $RABBIT_STATE/home"; then
    log "rabbitmq: configuration changed, restarting"
    rabbitmq_down
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
    (rabbit_node_env; cd "$RABBIT_STATE" && start_daemon "$RABBIT_LAUNCHER_PIDFILE" "$RABBIT_STARTUP_LOG" "$RABBIT_BIN/rabbitmq-server")
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
  for _ in $(seq 30); do rabbit_api /api/overview && return 0; sleep 1; done
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

rabbitmq_down() {
  if pid_alive "$RABBIT_PIDFILE" "-home $RABBIT_STATE/home"; then
    # `stop <pidfile>` returns only once the VM has exited.
    if (rabbit_node_env; cd "$RABBIT_STATE" && timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" stop "$RABBIT_PIDFILE") >/dev/null 2>&1; then
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

rabbitmq_status() {
  if rabbit_running; then
    local extra=""
    [[ $RABBIT_MANAGEMENT == 1 ]] && port_open "$RABBIT_MGMT_PORT" && extra=", management 127.0.0.1:$RABBIT_MGMT_PORT"
    printf '%-10s up    127.0.0.1:%s  (node %s, pid %s%s)\n' rabbitmq "$RABBIT_PORT" "$RABBIT_NODE" "$(<"$RABBIT_PIDFILE")" "$extra"
  else
    printf '%-10s down  127.0.0.1:%s\n' rabbitmq "$RABBIT_PORT"; return 1
  fi
}


rabbitmq_env() {
  local rabbit_pw
  rabbit_pw=$(secret RABBIT_PASSWORD)
  echo "RabbitMq__Host=127.0.0.1"
  echo "RabbitMq__Port=$RABBIT_PORT"
  echo "RabbitMq__VirtualHost=/"
  echo "RabbitMq__Username=$RABBIT_USER"
  echo "RabbitMq__Password=$rabbit_pw"
  if [[ $RABBIT_MANAGEMENT == 1 ]]; then
    echo "RabbitMq__ManagementUrl=http://127.0.0.1:$RABBIT_MGMT_PORT"
  fi
}
