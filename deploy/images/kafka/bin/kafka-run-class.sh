#!/usr/bin/env bash
# Runs a Kafka tool's main class on the image's jars (stand-in for the distribution's kafka-run-class.sh).
exec java ${KAFKA_HEAP_OPTS_TOOLS:--Xmx256m} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC ${KAFKA_OPTS:-} \
  -Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory \
  -Dlogback.configurationFile=/opt/kafka/config/tools-logback.xml -cp "/opt/kafka/libs/*" "$@"
