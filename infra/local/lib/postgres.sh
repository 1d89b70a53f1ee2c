# shellcheck shell=bash
# PostgreSQL 15: a Debian cluster of our own, one database per service. Sourced by infra.sh (after common.sh).

PG_PORT="${MLOPS_PG_PORT:-55432}"
PG_VERSION=15
PG_CLUSTER="${MLOPS_PG_CLUSTER:-mlops}"
[[ $PG_CLUSTER =~ ^[a-z0-9_]+$ ]] || { echo "[infra] ERROR: MLOPS_PG_CLUSTER must match [a-z0-9_]+" >&2; exit 1; }
PG_USER=mlops
PG_DATABASES=(ingestion features training registry inference monitoring gateway platform_tests)
PG_SOCKET_DIR=/var/run/postgresql
PG_STATE="$STATE_DIR/postgres"
INFRA_PORTS+=("$PG_PORT")

postgres_debs() {
  [[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || echo "postgresql-$PG_VERSION"
  command -v pg_ctlcluster >/dev/null || echo postgresql-common
}

# Nothing beyond the Debian packages.
postgres_install() { :; }

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
pg_psql() {
  local db=$1
  shift
  (cd / && runuser -u postgres -- psql -X -q -p "$PG_PORT" -h "$PG_SOCKET_DIR" -d "$db" "$@")
}
pg_superuser_psql() { pg_psql postgres -v ON_ERROR_STOP=1; }

# Our settings live in a conf.d drop-in (Debian's postgresql.conf includes
# conf.d/ last). Not pg_conftool: it writes 127.0.0.1 unquoted (it looks like
# a number to its quoting rule) and PostgreSQL then refuses the file.
# Returns 1 when the file changed (a running server needs a restart).
pg_write_conf() {
  local dropin="/etc/postgresql/$PG_VERSION/$PG_CLUSTER/conf.d/50-mlops.conf"
  local content="# Written by infra/local/infra.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
# A statement slower than this is logged with its plan-relevant text: the way a
# query that only turns slow once a table has grown (run after run) is found.
log_min_duration_statement = 1000"
  [[ -f $dropin ]] && [[ "$(<"$dropin")" == "$content" ]] && return 0
  write_if_changed "$dropin" "$content"
  chown postgres:postgres "$dropin"
  # pg_lsclusters/pg_ctlcluster read the port from postgresql.conf itself.
  pg_conftool "$PG_VERSION" "$PG_CLUSTER" set port "$PG_PORT"
  return 1
}

postgres_up() {
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
      log "postgres: restarted to apply its settings (conf.d/50-mlops.conf)"
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

# postgres_down [--purge]: --purge also drops the cluster (its data lives outside $STATE_DIR).
postgres_down() {
  if pg_cluster_exists && pg_running; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast || die "postgres stop failed" "$(pg_log_file)"
    log "postgres: stopped"
  else
    log "postgres: not running"
  fi
  if [[ ${1:-} == --purge ]]; then
    if pg_cluster_exists; then
      pg_dropcluster --stop "$PG_VERSION" "$PG_CLUSTER"
      log "postgres: dropped cluster $PG_VERSION/$PG_CLUSTER"
    fi
    # pg_dropcluster leaves files it did not create (our conf.d drop-in).
    rm -rf "/etc/postgresql/$PG_VERSION/$PG_CLUSTER"
  fi
}

postgres_status() {
  if pg_cluster_exists && pg_running && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    printf '%-10s up    127.0.0.1:%s  (cluster %s/%s)\n' postgres "$PG_PORT" "$PG_VERSION" "$PG_CLUSTER"
  else
    printf '%-10s down  127.0.0.1:%s\n' postgres "$PG_PORT"; return 1
  fi
}


# The connection strings: one per service database, `tests` for platform_tests, `postgres` for creating more.
# Passwords are hex, so no escaping is needed.
postgres_env() {
  local pg_pw db key
  pg_pw=$(secret PG_PASSWORD)
  local cs="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Password=$pg_pw;Database="
  echo "ConnectionStrings__postgres=${cs}postgres"
  for db in "${PG_DATABASES[@]}"; do
    key=$db; [[ $db == platform_tests ]] && key=tests
    echo "ConnectionStrings__$key=$cs$db"
  done
}

# Tests create databases named <prefix>_<10 hex digits> (PlatformInfrastructure.CreateDatabaseAsync); a machine that
# keeps its state collects hundreds of them (gigabytes). One in use (a test running elsewhere) is left alone.
PG_TEST_DATABASE_RE='^[a-z0-9_]+_[0-9a-f]{10}$'

postgres_prune_test_databases() {
  local t0 names total failed
  t0=$(now)
  pg_running || die "postgres is not running; start it first: $0 up"
  names=$(pg_psql postgres -At -c "SELECT datname FROM pg_database WHERE NOT datistemplate" | grep -E "$PG_TEST_DATABASE_RE") || true
  if [[ -z $names ]]; then
    log "postgres: no test databases to prune"
    return 0
  fi
  total=$(wc -l <<<"$names")
  # One session, one statement per database (DROP DATABASE cannot share a transaction); the names matched the pattern
  # above (letters, digits, underscores), so quoting them as identifiers is safe. A failure (in use) does not stop it.
  # shellcheck disable=SC2001 # one statement per line of names
  failed=$(sed 's/.*/DROP DATABASE IF EXISTS "&";/' <<<"$names" \
    | pg_psql postgres 2>&1 >/dev/null \
    | grep -c '^ERROR') || true
  log "postgres: dropped $((total - failed)) of $total test databases ($failed in use) ($(since "$t0"))"
}

# Before tests/Mlops.Gateway.Tests/GatewayFactory.cs passed its database as a host setting, the gateway tests ran on
# the shipped gateway database, and each run left A/B experiments there (the names below) that the shipped gateway kept
# asking monitoring about for 30 days.
postgres_prune_test_experiments() {
  local exists removed
  exists=$(pg_psql gateway -At -c "SELECT to_regclass('public.gateway_experiments') IS NOT NULL" 2>/dev/null) || true
  [[ $exists == t ]] || return 0
  removed=$(pg_psql gateway -At -c "WITH d AS (DELETE FROM gateway_experiments WHERE name IN ('alerts-at-0.3', 'posted-counts', 'threshold-0.3') RETURNING 1)
    SELECT count(*) FROM d") || removed=0
  ((removed == 0)) || log "postgres: removed $removed experiments the gateway tests had left in the shipped gateway database"
}
