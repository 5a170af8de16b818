#!/usr/bin/env bash
# `bin/kaption images`: builds the Kaption images from `mvn -DskipTests package` outputs
#   kaption/ingest-service:<v>, kaption/gpu-worker:<v> (CPU), kaption/result-sink:<v>
# and, only where an image the stack needs is absent locally (no registry reachable, as on CI), a local stand-in
# tagged with the public name, so docker-compose.yml runs unchanged here and elsewhere:
#   eclipse-temurin:17-jre          debootstrap + Debian's openjdk-17-jre-headless   (jre/build-standin.sh)
#   apache/kafka:<kafka.version>    Maven Central's Kafka jars, the official image's KAFKA_* contract   (kafka/)
#   andrewgaul/s3proxy:s3proxy-<s3proxy.version>   S3Proxy from Maven Central, its S3PROXY_* contract (s3proxy/)
# Set KAPTION_PULL_IMAGES=true to try `docker pull` of the public images before building a stand-in.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
images="$root/deploy/images"

pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$root/pom.xml" | head -n 1; }
project_version="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml")"
tag="${project_version%-SNAPSHOT}"
kafka_image="apache/kafka:$(pom_property kafka.version)"
s3proxy_image="andrewgaul/s3proxy:s3proxy-$(pom_property s3proxy.version)"
jre_image="eclipse-temurin:17-jre"

if ! docker info >/dev/null 2>&1; then
  echo "kaption images: no Docker engine answers (is dockerd running? see README 'Run with Docker Compose')" >&2
  exit 2
fi
for module in ingest-service gpu-worker result-sink deploy; do
  if [[ ! -d "$root/$module/target/lib" ]]; then
    echo "kaption images: $module is not built; run 'mvn -DskipTests package' in $root first" >&2
    exit 2
  fi
done

present() { docker image inspect "$1" >/dev/null 2>&1; }
pulled() { [[ "${KAPTION_PULL_IMAGES:-false}" == true ]] && docker pull -q "$1" >/dev/null 2>&1; }

staging="$(mktemp -d /tmp/kaption-images.XXXXXX)"
trap 'rm -rf "$staging"' EXIT

# build <tag> <dockerfile dir>: the Dockerfile's directory plus what it copies, staged under one context.
build() {
  local image="$1" dir="$2" context="$staging/${1//[\/:]/_}"
  mkdir -p "$context"
  cp -r "$images/$dir/." "$context/"
  shift 2
  while [[ $# -gt 0 ]]; do  # source=destination pairs
    mkdir -p "$(dirname "$context/${1#*=}")"
    cp -r "${1%%=*}" "$context/${1#*=}"
    shift
  done
  echo "kaption images: building $image"
  # The log is shown only on failure (the legacy builder's deprecation notice is noise here).
  docker build -t "$image" --build-arg "JRE_IMAGE=$jre_image" "$context" >"$context.log" 2>&1 \
    || { tail -n 40 "$context.log" >&2; echo "kaption images: building $image failed" >&2; exit 1; }
  rm -rf "$context" "$context.log"
}

# A stand-in built here earlier (label io.kaption.standin) is rebuilt from its current files (the layer cache
# makes that quick), except the JRE base, whose debootstrap takes minutes; a public image is used as it is.
standin() {
  local image="$1"; shift
  if present "$image" && [[ "$image" == "$jre_image" \
      || "$(docker image inspect -f '{{index .Config.Labels "io.kaption.standin"}}' "$image")" != true ]]; then
    echo "kaption images: $image present"
  elif ! present "$image" && pulled "$image"; then
    echo "kaption images: $image pulled"
  else
    echo "kaption images: $image: building the local stand-in (no public image here)"
    "$@"
  fi
}

standin "$jre_image" "$images/jre/build-standin.sh" "$jre_image"
standin "$kafka_image" build "$kafka_image" kafka "$root/deploy/target/lib=lib"
standin "$s3proxy_image" build "$s3proxy_image" s3proxy "$root/deploy/target/lib=lib"

service() {
  local module="$1" jar
  jar="$(ls "$root/$module"/target/"$module"-*.jar | grep -v -- '-sources\|-tests' | head -n 1)"
  build "kaption/$module:$tag" "$module" "$images/common=common" "$root/config/logback.xml=config/logback.xml" \
    "$root/$module/target/lib=lib" "$jar=app/$(basename "$jar")"
}
service ingest-service
service gpu-worker
service result-sink
echo "kaption images: done — $kafka_image, $s3proxy_image, kaption/{ingest-service,gpu-worker,result-sink}:$tag"
