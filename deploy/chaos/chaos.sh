#!/usr/bin/env bash
# `bin/kaption chaos`: the fault harness (docs/RELIABILITY.md, "Faults at fleet scale"). Brings up the Compose fleet
# with three Kafka brokers (docker-compose.yml + docker-compose.cluster.yml + deploy/chaos/compose.chaos.yml), puts a
# steady load on it and injects faults, then checks that nothing accepted was lost or shown twice; prints a report
# and exits 1 on any violation. `down -v` at the end, whatever happened.
#
#   bin/kaption chaos [options]          the fault run (defaults: the full run of docs/RELIABILITY.md)
#   bin/kaption chaos scale [options]    the scale-out check: 1..4 workers on a 12-partition group topic
#
# Options (fault run): --kills N (20), --images N (1000, the bucket job), --clients N (5 HTTP clients), --tokens N
# (24 per request), --workers N (2), --pause S (20: SIGSTOP of a worker), --warmup S, --kill-interval S;
# scale run: --max-workers N (4), --records N (120 requests per step), --partitions N (12), --tokens N.
# Both: --report FILE (the report also goes there), --no-images (use the images already built), --keep (no
# `down -v`, for a look afterwards).
# Needs `mvn -DskipTests package` (the service jars for the images, the Kafka tools of deploy/target/lib) and root
# or a user in the docker group. Host ports: KAPTION_INGEST_PORT (3000), KAPTION_SINK_PORT (3002), KAPTION_S3_PORT
# (9000), KAPTION_KAFKA_PORT, KAPTION_KAFKA_2_PORT, KAPTION_KAFKA_3_PORT (9092, 9094, 9095); project name
# COMPOSE_PROJECT_NAME (kaption-chaos).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

mode=faults
if [[ "${1:-}" == scale ]]; then mode=scale; shift; fi
workers=2 build_images=true keep=false driver_args=()
while (($#)); do
  case "$1" in
    --workers) workers="$2"; shift 2 ;;
    --no-images) build_images=false; shift ;;
    --keep) keep=true; shift ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) driver_args+=("$1" "$2"); shift 2 ;;
    *) echo "kaption chaos: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-kaption-chaos}"
export KAPTION_INGEST_PORT="${KAPTION_INGEST_PORT:-3000}" KAPTION_SINK_PORT="${KAPTION_SINK_PORT:-3002}"
export KAPTION_KAFKA_PORT="${KAPTION_KAFKA_PORT:-9092}" KAPTION_S3_PORT="${KAPTION_S3_PORT:-9000}"
export KAPTION_KAFKA_2_PORT="${KAPTION_KAFKA_2_PORT:-9094}" KAPTION_KAFKA_3_PORT="${KAPTION_KAFKA_3_PORT:-9095}"
unset KAPTION_MODEL_DIR  # the demo model: the point is the plumbing, and two cores must carry the load
if [[ "$mode" == scale ]]; then
  export CHAOS_TOPIC_PARTITIONS="${CHAOS_TOPIC_PARTITIONS:-12}"
  workers=1
  for ((i = 0; i < ${#driver_args[@]}; i += 2)); do
    [[ "${driver_args[i]}" == --partitions ]] && CHAOS_TOPIC_PARTITIONS="${driver_args[i + 1]}"
  done
fi
compose_files=(-f docker-compose.yml -f docker-compose.cluster.yml -f deploy/chaos/compose.chaos.yml)
ingest="http://127.0.0.1:$KAPTION_INGEST_PORT"
sink="http://127.0.0.1:$KAPTION_SINK_PORT"
work="$(mktemp -d /tmp/kaption-chaos.XXXXXX)"
log_tag=chaos
# log, fail, wait_for, ensure_docker, compose, project_leftovers, ready, produce_from_host
source "$root/deploy/lib/compose.sh"

finish() {
  local status=$?
  set +e
  if [[ -n "${compose_cmd:-}" ]]; then
    compose logs --no-color >"$work/compose.log" 2>&1
    if ((status != 0)); then
      log "state at the end:"; compose ps
      log "service logs: $work/compose.log (kept)"
    fi
    if [[ "$keep" == true ]]; then
      log "--keep: the fleet stays up; stop it with: ${compose_cmd[*]} ${compose_files[*]} down -v"
    else
      compose down -v --remove-orphans >/dev/null 2>&1
      [[ -z "$(project_leftovers)" ]] && log "down -v: nothing of $COMPOSE_PROJECT_NAME left" \
        || { log "FAIL: down -v left parts of $COMPOSE_PROJECT_NAME"; status=1; }
    fi
  fi
  [[ -n "$started_dockerd" ]] && kill "$started_dockerd" && wait "$started_dockerd" 2>/dev/null
  ((status == 0)) && rm -rf "$work"
  exit "$status"
}
trap finish EXIT

ensure_docker
[[ -d "$root/deploy/target/lib" ]] || fail "deploy/target/lib is missing: run 'mvn -DskipTests package' first"
if [[ "$build_images" == true ]]; then log "bin/kaption images"; bin/kaption images; fi
compose down -v --remove-orphans >/dev/null 2>&1 || true
log "up: three brokers, $workers worker(s), ingest, sink (project $COMPOSE_PROJECT_NAME)"
compose up -d --scale worker="$workers"
wait_for "ingest ready on $ingest" 400 ready "$ingest"
wait_for "sink ready on $sink" 400 ready "$sink"
in_group() {
  [[ "$(compose exec -T kafka /opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server kafka:19092 \
        --describe --group kaption-worker-primary 2>/dev/null \
        | awk '$2 == "kaption.requests.primary" && $7 != "-" {print $7}' | sort -u | wc -l)" -eq "$workers" ]]
}
wait_for "$workers worker(s) in consumer group kaption-worker-primary" 400 in_group

CHAOS_WORK="$work" python3 "$root/deploy/chaos/chaos.py" "$mode" --root "$root" --project "$COMPOSE_PROJECT_NAME" \
  --compose "${compose_cmd[*]} ${compose_files[*]}" --ingest "$ingest" --sink "$sink" \
  --s3 "http://127.0.0.1:$KAPTION_S3_PORT" \
  --bootstrap "127.0.0.1:$KAPTION_KAFKA_PORT,127.0.0.1:$KAPTION_KAFKA_2_PORT,127.0.0.1:$KAPTION_KAFKA_3_PORT" \
  --image "$root/llava-engine/src/test/resources/fixtures/llava/llava15-tiny/images/square.png" \
  ${driver_args[@]+"${driver_args[@]}"}
