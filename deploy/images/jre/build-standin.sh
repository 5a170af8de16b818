#!/usr/bin/env bash
# Builds a local stand-in for the public JRE 17 base image (eclipse-temurin:17-jre) where no registry can be
# reached: a Debian 12 root file system from debootstrap with Debian's openjdk-17-jre-headless, imported as an
# image under the public name. Java is on PATH and at /opt/java/openjdk like in the Temurin image, so the Kaption
# Dockerfiles run unchanged on either. Needs root, debootstrap and a Debian mirror (the package registry).
#   deploy/images/jre/build-standin.sh <image-tag>
set -euo pipefail
tag="${1:?usage: build-standin.sh <image-tag>}"
mirror="${KAPTION_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
fi
rootfs="$(mktemp -d /tmp/kaption-jre-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

echo "images: debootstrap bookworm + openjdk-17-jre-headless into $rootfs (a minute or two)"
debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates bookworm "$rootfs" "$mirror" \
  > "$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
ln -s /usr/lib/jvm/java-17-openjdk-amd64 "$rootfs/opt/java-openjdk-link"
mkdir -p "$rootfs/opt/java"
mv "$rootfs/opt/java-openjdk-link" "$rootfs/opt/java/openjdk"
# What a container never needs: package caches and indexes (apt-get update restores the lists), docs, man pages.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV JAVA_HOME=/opt/java/openjdk' \
  --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'LABEL io.kaption.standin=true' \
  --change 'CMD ["/bin/bash"]' \
  - "$tag" >/dev/null
echo "images: built stand-in $tag"
