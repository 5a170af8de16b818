#!/usr/bin/env bash
# Starts S3Proxy from the official image's environment variables (stand-in image; see the Dockerfile).
set -euo pipefail
properties="$(mktemp /tmp/s3proxy.XXXXXX.properties)"
{
  echo "s3proxy.endpoint=${S3PROXY_ENDPOINT}"
  echo "s3proxy.authorization=${S3PROXY_AUTHORIZATION}"
  echo "s3proxy.identity=${S3PROXY_IDENTITY}"
  echo "s3proxy.credential=${S3PROXY_CREDENTIAL}"
  [[ -n "${S3PROXY_VIRTUALHOST}" ]] && echo "s3proxy.virtual-host=${S3PROXY_VIRTUALHOST}"
  echo "s3proxy.cors-allow-all=${S3PROXY_CORS_ALLOW_ALL}"
  echo "s3proxy.ignore-unknown-headers=${S3PROXY_IGNORE_UNKNOWN_HEADERS}"
  echo "jclouds.provider=${JCLOUDS_PROVIDER}"
  echo "jclouds.identity=${JCLOUDS_IDENTITY}"
  echo "jclouds.credential=${JCLOUDS_CREDENTIAL}"
  [[ -n "${JCLOUDS_ENDPOINT}" ]] && echo "jclouds.endpoint=${JCLOUDS_ENDPOINT}"
  [[ -n "${JCLOUDS_REGION}" ]] && echo "jclouds.region=${JCLOUDS_REGION}"
  echo "jclouds.filesystem.basedir=${JCLOUDS_FILESYSTEM_BASEDIR}"
} > "$properties"
exec java ${S3PROXY_JAVA_OPTS:-} -DLOG_LEVEL="${LOG_LEVEL}" -Dlogback.configurationFile=/opt/s3proxy/logback.xml -cp "/opt/s3proxy/lib/*" org.gaul.s3proxy.Main \
  --properties "$properties"
