#!/usr/bin/env bash
# Creates Kaption's topics up front (the kafka-init service of docker-compose.yml, in the apache/kafka image), with
# the settings the services' TopicProvisioner uses: KAPTION_TOPIC_PARTITIONS partitions, KAPTION_TOPIC_REPLICATION
# replicas, the job topics compacted, the .dlq topics taking 2 MiB records; plus min.insync.replicas
# (KAPTION_TOPIC_MIN_INSYNC_REPLICAS) on each. Existing topics are left as they are. Retries until the brokers
# can host the replicas, for at most two minutes.
set -euo pipefail
bootstrap="${KAPTION_KAFKA_BOOTSTRAP_SERVERS:?}"
partitions="${KAPTION_TOPIC_PARTITIONS:-6}"
replication="${KAPTION_TOPIC_REPLICATION:-1}"
min_insync="${KAPTION_TOPIC_MIN_INSYNC_REPLICAS:-1}"
# The .dlq topics are those the services dead-letter to (the sink's included).
topics=(kaption.tokens kaption.results kaption.results.dlq:dlq kaption.cancellations kaption.cancellations.dlq:dlq
  kaption.jobs:compact kaption.jobs.dlq:dlq kaption.job-plans:compact kaption.job-plans.dlq:dlq
  kaption.job-status:compact kaption.job-records kaption.job-records.dlq:dlq kaption.job-outputs
  kaption.job-outputs.dlq:dlq)
IFS=, read -ra groups <<< "${TAKEOFF_CONSUMER_GROUP:-primary}"
for group in "${groups[@]}"; do
  group="${group// /}"
  topics+=("kaption.requests.$group" "kaption.requests.$group.dlq:dlq" "kaption.bulk.$group" "kaption.bulk.$group.dlq:dlq")
done

create() {
  local name="${1%%:*}" kind="${1#*:}" configs=(--config "min.insync.replicas=$min_insync")
  [[ "$kind" == compact ]] && configs+=(--config cleanup.policy=compact)
  [[ "$kind" == dlq ]] && configs+=(--config max.message.bytes=2097152)
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$name" \
    --partitions "$partitions" --replication-factor "$replication" "${configs[@]}" >/dev/null
}

# One JVM per topic, four at a time: most of the time goes to starting the tool.
deadline=$((SECONDS + 120))
pending=("${topics[@]}")
errors=/tmp/create-topics
mkdir -p "$errors"
while ((${#pending[@]})); do
  running=0
  for topic in "${pending[@]}"; do
    create "$topic" 2>"$errors/${topic%%:*}" && rm "$errors/${topic%%:*}" &
    ((++running % 4)) || wait
  done
  wait
  failed=()
  for topic in "${pending[@]}"; do
    [[ -e "$errors/${topic%%:*}" ]] && failed+=("$topic")
  done
  pending=("${failed[@]+"${failed[@]}"}")
  if ((${#pending[@]})); then
    reason="$(cat "$errors"/* | grep -m1 -o 'Error.*\|[A-Za-z.]*Exception.*' || true)"
    if ((SECONDS > deadline)); then
      echo "kafka-init: could not create ${pending[*]%%:*} within two minutes: $reason" >&2
      exit 1
    fi
    echo "kafka-init: ${#pending[@]} topics not created yet (${reason:-no reason given}); retrying"
    sleep 3
  fi
done
echo "kafka-init: ${#topics[@]} topics ready (partitions $partitions, replication $replication, min.insync.replicas $min_insync)"
