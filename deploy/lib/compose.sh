# Shell functions shared by the scripts that drive docker-compose.yml from the host (deploy/compose-test.sh,
# deploy/chaos/chaos.sh). Source it after setting:
#   log_tag   the prefix of log lines (e.g. compose-test)
#   work      a scratch directory (dockerd's log goes there)
# It sets compose_cmd (docker-compose, else `docker compose`) and started_dockerd (the pid of a dockerd it started,
# for the caller's teardown to stop).

log_started_at=${log_started_at:-$SECONDS}
started_dockerd=""

log() { echo "[$log_tag +$((SECONDS - log_started_at))s] $*"; }
fail() { log "FAIL: $*"; exit 1; }

# Waits until "$@" succeeds, at most $timeout seconds (polling every 2 s).
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what: not within ${timeout}s"
    sleep 2
  done
  log "$what"
}

# Installs docker.io, docker-compose, curl and python3 where missing (Debian/Ubuntu, needs root), starts dockerd when
# no engine answers, and chooses the Compose command.
ensure_docker() {
  local missing=()
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    log "no Docker engine answers: starting dockerd (log: $work/dockerd.log)"
    dockerd >"$work/dockerd.log" 2>&1 &
    started_dockerd=$!
    wait_for "dockerd answers" 60 docker info
  fi
  if command -v docker-compose >/dev/null 2>&1; then compose_cmd=(docker-compose); else compose_cmd=(docker compose); fi
  log "using $("${compose_cmd[@]}" version 2>/dev/null | head -n 1)"
}
compose() { "${compose_cmd[@]}" ${compose_files[@]+"${compose_files[@]}"} "$@"; }

# Containers, volumes and networks of $COMPOSE_PROJECT_NAME that are left (empty after a clean `down -v`).
project_leftovers() {
  docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
  docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
  docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
}

ready() { curl -fsS -m 5 "$1/readyz" >/dev/null; }

# Kafka's own console producer from the host (the jars of deploy/target/lib): lines "key|value" on stdin.
# produce_from_host <bootstrap servers> <topic> [more ConsoleProducer options]
produce_from_host() {
  java -Dlogback.configurationFile="$root/deploy/images/kafka/tools-logback.xml" -cp "$root/deploy/target/lib/*" \
    org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$1" --topic "$2" \
    --reader-property parse.key=true --reader-property 'key.separator=|' "${@:3}"
}
