#!/usr/bin/env bash
# The platform's two everyday commands (see README.md):
#
#   ./platform.sh up      local infrastructure + build + all seven service processes, waits until each is ready
#   ./platform.sh test    local infrastructure + shellcheck + manifest validation + build + the whole test suite (what CI runs)
#   ./platform.sh demo    the guided demo (the mlops command's `demo`) against the running platform
#   ./platform.sh down    stops the service processes and the local infrastructure
#   ./platform.sh status  infrastructure and service status
#
# Works from a fresh clone as root with no stdin (CI=true): infra/local/infra.sh installs what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA="$ROOT/infra/local/infra.sh"
RUN_DIR="$ROOT/.local/run"
LOG_DIR="$ROOT/.local/logs"
RESULTS_DIR="$ROOT/.local/test-results"
CONFIGURATION="${CONFIGURATION:-Release}"
CLI_DLL="$ROOT/services/cli/Mlops.Cli/bin/$CONFIGURATION/net10.0/mlops.dll"

# name:project-path:port — ports are the project's own, away from common defaults.
SERVICES=(
  "ingestion:services/ingestion/Mlops.Ingestion:58081"
  "features:services/features/Mlops.Features:58082"
  "training:services/training/Mlops.Training:58083"
  "registry:services/registry/Mlops.Registry:58084"
  "inference:services/inference/Mlops.Inference:58085"
  "monitoring:services/monitoring/Mlops.Monitoring:58086"
  "gateway:gateway/Mlops.Gateway:58080"
)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[platform] %s\n' "$*"; }
die() { printf '[platform] ERROR: %s\n' "$*" >&2; exit 1; }

infra_up() {
  bash "$INFRA" up
  PLATFORM_ENV_FILE="$(bash "$INFRA" env)"
  export PLATFORM_ENV_FILE
}

build() {
  log "building Microservices.sln ($CONFIGURATION)"
  dotnet build "$ROOT/Microservices.sln" -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:quiet
}

service_pid() { local f="$RUN_DIR/$1.pid"; [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }

start_service() {
  local name=$1 project=$2 port=$3
  local dll
  dll="$ROOT/$project/bin/$CONFIGURATION/net10.0/$(basename "$project").dll"
  [[ -f $dll ]] || die "$dll is missing; the build did not produce it"
  if pid=$(service_pid "$name"); then
    log "$name already running (pid $pid) on http://127.0.0.1:$port"
    return
  fi
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  (
    cd "$ROOT/$project"
    ASPNETCORE_URLS="http://127.0.0.1:$port" OTEL_SERVICE_NAME="$name" \
      nohup dotnet "$dll" >"$LOG_DIR/$name.log" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
  )
}

wait_ready() {
  local name=$1 port=$2 deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    if curl -fsS --max-time 10 -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null; then
      log "$name ready on http://127.0.0.1:$port  (health: /health/live, /health/ready; log: .local/logs/$name.log)"
      return 0
    fi
    service_pid "$name" >/dev/null || { tail -n 30 "$LOG_DIR/$name.log" >&2; die "$name exited during start-up"; }
    sleep 1
  done
  curl -sS --max-time 10 "http://127.0.0.1:$port/health/ready" >&2 || true
  tail -n 30 "$LOG_DIR/$name.log" >&2
  die "$name did not become ready within 120 s"
}

stop_services() {
  local entry name pid
  for entry in "${SERVICES[@]}"; do
    name=${entry%%:*}
    if pid=$(service_pid "$name"); then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
      log "$name stopped"
    fi
    rm -f "$RUN_DIR/$name.pid"
  done
}

cmd_up() {
  infra_up
  build
  local entry name rest project port
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name project port <<<"$entry"
    start_service "$name" "$project" "$port"
  done
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name project port <<<"$entry"
    wait_ready "$name" "$port"
  done
  log "platform is up; gateway at http://127.0.0.1:58080 (routes /api/<service>/...). Stop with ./platform.sh down"
  log "next: ./platform.sh demo   (synthetic ward → training → champion → live predictions; the mlops command is $CLI_DLL)"
}

cmd_demo() {
  [[ -f $CLI_DLL ]] || { log "building the mlops command"; dotnet build "$ROOT/services/cli/Mlops.Cli/Mlops.Cli.csproj" -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:quiet; }
  # The demo reads predictions.v1 directly; Kafka settings come from the env file, found from the repository root.
  PLATFORM_ENV_FILE="$(bash "$INFRA" env)"
  export PLATFORM_ENV_FILE
  cd "$ROOT"
  dotnet "$CLI_DLL" demo "$@"
}

# The repository's shell scripts must be shellcheck-clean (infra.sh's install step provides shellcheck).
# -x follows infra.sh's `source` of lib/*.sh; every lib is also checked on its own.
lint_shell() {
  command -v shellcheck >/dev/null || die "shellcheck is not installed (infra/local/infra.sh install provides it)"
  local scripts=("$ROOT/platform.sh" "$ROOT/.ci/run")
  mapfile -t -O 2 scripts < <(find "$ROOT/infra" -name '*.sh' -type f | sort)
  log "shellcheck: ${#scripts[@]} scripts"
  shellcheck -x "${scripts[@]}" || die "shellcheck reported problems (above)"
}

# infra/k8s (base and overlays, rendered), docker-compose.yml and tye.yaml: Kubernetes API schemas plus the platform's
# rules (docs/deployment.md). Offline; the validator's packages are installed by infra.sh (lib/manifests.sh).
validate_manifests() {
  local tool started=$SECONDS
  tool=$(sed -n 's/^MLOPS_K8S_VALIDATE_DIR=//p' "$PLATFORM_ENV_FILE")
  [[ -n $tool ]] || die "MLOPS_K8S_VALIDATE_DIR is not in $PLATFORM_ENV_FILE (infra/local/infra.sh up writes it)"
  node "$ROOT/infra/k8s/validate/validate.mjs" "$tool" "$ROOT" || die "the deployment manifests have problems (above)"
  log "manifests validated in $((SECONDS - started)) s"
}

# Stage 2: every test project except the journeys, the two-replicas test and the chaos tests, which start the seven
# services with their shipped queue names and consumer groups and must not share the brokers with other tests' hosts.
# Two projects at a time, the longest first (a long project started last is the whole stage's tail); three at a time
# on two cores made services started by tests miss their 20 s timeouts and the inference project take twice as long.
# Each project's output is printed in one piece when it ends. MLOPS_TEST_PARALLEL sets how many run at once.
SUITE_PROJECTS=(
  Mlops.Monitoring.Tests Mlops.Inference.Tests Mlops.Training.Tests Mlops.Registry.Tests Mlops.Platform.Tests
  Mlops.Ingestion.Tests Mlops.Features.Tests Mlops.Kafka.Tests Mlops.Messaging.Tests Mlops.Training.Algorithms.Tests
  Mlops.Gateway.Tests Mlops.EndToEnd.Tests Mlops.Testing.Tests Mlops.Onnx.Tests
)
SUITE_FILTER="FullyQualifiedName!~Mlops.EndToEnd.Tests.UserJourneyTests&FullyQualifiedName!~Mlops.EndToEnd.Tests.OwnDataJourneyTests&FullyQualifiedName!~Mlops.EndToEnd.Tests.CanaryJourneyTests&FullyQualifiedName!~Mlops.EndToEnd.Tests.DegradationJourneyTests&FullyQualifiedName!~Mlops.EndToEnd.Tests.Replicas&FullyQualifiedName!~Mlops.EndToEnd.Tests.Chaos"

run_suite() {
  local parallel=${MLOPS_TEST_PARALLEL:-2} logs="$RESULTS_DIR/suite/logs" status=0 project finished code
  local -A names=() began=()
  # Every test project of the solution must be in the list: a new one left out would silently never run.
  local listed
  listed=$(dotnet sln "$ROOT/Microservices.sln" list | sed -n 's#.*/\([^/]*\.Tests\)\.csproj$#\1#p' | sort)
  [[ $listed == "$(printf '%s\n' "${SUITE_PROJECTS[@]}" | sort)" ]] \
    || die "SUITE_PROJECTS in platform.sh differs from the solution's test projects: $(echo "$listed" | tr '\n' ' ')"
  mkdir -p "$logs"
  for project in "${SUITE_PROJECTS[@]}"; do
    while (( ${#names[@]} >= parallel )); do
      wait -n -p finished && code=0 || code=$?
      suite_done "${names[$finished]}" "$code" "${began[$finished]}" || status=1
      unset "names[$finished]"
    done
    MLOPS_INFRA_READY=1 dotnet test "$ROOT/tests/$project/$project.csproj" -c "$CONFIGURATION" --no-build -nologo \
      --filter "$SUITE_FILTER" --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" \
      --results-directory "$RESULTS_DIR/suite" >"$logs/$project.log" 2>&1 &
    names[$!]=$project
    began[$!]=$SECONDS
  done
  while (( ${#names[@]} > 0 )); do
    wait -n -p finished && code=0 || code=$?
    suite_done "${names[$finished]}" "$code" "${began[$finished]}" || status=1
    unset "names[$finished]"
  done
  return $status
}

suite_done() {
  local project=$1 code=$2 since=$3
  cat "$RESULTS_DIR/suite/logs/$project.log"
  log "$project: exit $code after $((SECONDS - since)) s"
  return "$code"
}

cmd_test() {
  local started=$SECONDS
  # What earlier runs left behind (test databases, test topics): on a machine that keeps its state they pile up run
  # after run, and a Kafka 0.9 broker starts in time proportional to its partitions (the chaos stage restarts it).
  bash "$INFRA" prune-tests
  infra_up
  lint_shell
  validate_manifests
  build
  rm -rf "$RESULTS_DIR"
  local status=0
  # Stage 1: the chaos tests kill services and stop PostgreSQL, RabbitMQ and Kafka (through infra.sh stop/start), so
  # they run alone. They run first: a Kafka 0.9 broker restarts in time proportional to its partitions, and the other
  # stages leave hundreds of test topics behind (pruned at the next run's start). Detailed verbosity puts each fault's
  # figures (docs/reliability.md) in the CI log.
  log "running the chaos tests (their own stage: they stop the infrastructure)"
  MLOPS_INFRA_READY=1 dotnet test "$ROOT/tests/Mlops.EndToEnd.Tests/Mlops.EndToEnd.Tests.csproj" -c "$CONFIGURATION" --no-build -nologo \
    --filter "FullyQualifiedName~Mlops.EndToEnd.Tests.Chaos" \
    --logger "trx" --logger "console;verbosity=detailed" --results-directory "$RESULTS_DIR/chaos" || status=$?
  # A scenario that failed half-way may have left a part stopped; the next stages expect everything up.
  bash "$INFRA" up >/dev/null || status=1
  log "running the test suite"
  run_suite || status=$?
  # Stage 3: the journeys (user, own data, canary, degradation → retraining) and the two-replicas test, on the shipped ports.
  log "running the end-to-end journey (its own stage)"
  MLOPS_INFRA_READY=1 dotnet test "$ROOT/tests/Mlops.EndToEnd.Tests/Mlops.EndToEnd.Tests.csproj" -c "$CONFIGURATION" --no-build -nologo \
    --filter "FullyQualifiedName~Mlops.EndToEnd.Tests.UserJourneyTests|FullyQualifiedName~Mlops.EndToEnd.Tests.OwnDataJourneyTests|FullyQualifiedName~Mlops.EndToEnd.Tests.Replicas|FullyQualifiedName~Mlops.EndToEnd.Tests.CanaryJourneyTests|FullyQualifiedName~Mlops.EndToEnd.Tests.DegradationJourneyTests" \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$RESULTS_DIR/journey" || status=$?
  python3 "$ROOT/infra/local/trx-summary.py" "$RESULTS_DIR" || status=1
  log "test command took $((SECONDS - started)) s"
  return $status
}

cmd_status() {
  bash "$INFRA" status || true
  local entry name project port pid
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name project port <<<"$entry"
    if pid=$(service_pid "$name"); then
      printf '%-10s up    http://127.0.0.1:%s (pid %s)\n' "$name" "$port" "$pid"
    else
      printf '%-10s down  http://127.0.0.1:%s\n' "$name" "$port"
    fi
  done
}

case "${1:-}" in
  up) cmd_up ;;
  test) cmd_test ;;
  down) stop_services; bash "$INFRA" down ;;
  status) cmd_status ;;
  demo) shift; cmd_demo "$@" ;;
  *) echo "usage: $0 up|test|demo|down|status" >&2; exit 2 ;;
esac
