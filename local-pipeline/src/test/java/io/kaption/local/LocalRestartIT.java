package io.kaption.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kaption.engine.demo.DemoCheckpoint;
import io.kaption.localstack.junit.ChildJvm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/kaption local} (its main class, in a child JVM leading its own process group) stopped uncleanly and
 * started again on the same data directory: its process group is sent SIGTERM (what systemd and {@code docker stop}
 * do) while a request runs that no client waits on, then SIGKILL (the broker, in its own session, stops on its own),
 * then SIGKILL together with the broker (a crash of the machine's whole process tree).
 *
 * <p>After each stop, every process of the group and the broker are gone within {@link #STOP_BOUND} and every port is
 * free again. After each restart, the first request the ingest service accepts is answered within 15 s (the worker
 * does not wait for its dead predecessor's session to time out: the request is accepted as soon as the ingest service
 * listens, so a stall shows in its latency), and within {@link #FIRST_ANSWER_SINCE_LAUNCH_BOUND} of the launch: that
 * one includes the JVMs' and the broker's start and the model load, which on a loaded 2-core machine take several times
 * what they take on an idle one (the measured figures are logged, and recorded in docs/RELIABILITY.md).
 */
class LocalRestartIT {

    private static final Logger LOG = LoggerFactory.getLogger(LocalRestartIT.class);
    private static final Duration FIRST_ANSWER_BOUND = Duration.ofSeconds(15);
    /**
     * Only against a hang: the JVMs' start and the model load scale with the machine's load (about 12 s on this
     * 2-core machine idle, 84 to 110 s with a load average near 50). The 15 s bound above is the one that catches a
     * stall for a dead member's session.
     */
    private static final Duration FIRST_ANSWER_SINCE_LAUNCH_BOUND = Duration.ofSeconds(180);
    /** The stop that outlived SIGTERM by more than 30 s (the worker's fleet grace) must not come back. */
    private static final Duration STOP_BOUND = Duration.ofSeconds(30);
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;
    /** The running {@code bin/kaption local}: the latest started. */
    private ChildJvm local;

    @Test
    void answersItsFirstRequestWithinFifteenSecondsAfterSigtermAndSigkill() throws Exception {
        Path dataDir = dir.resolve("data");
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (String port : List.of("KAPTION_KAFKA_PORT", "KAPTION_S3_PORT", "KAPTION_INGEST_PORT", "KAPTION_SINK_PORT",
                "KAPTION_WORKER_METRICS_PORT")) {
            ports.put(port, freePort());
        }
        int ingestPort = ports.get("KAPTION_INGEST_PORT");
        Map<String, String> env = new HashMap<>();
        env.put("KAPTION_DATA_DIR", dataDir.toString());
        ports.forEach((name, port) -> env.put(name, port.toString()));
        env.put("KAPTION_MODEL", DemoCheckpoint.write(Files.createDirectories(dir.resolve("model"))).toString());
        env.put("TAKEOFF_BATCH_DURATION_MILLIS", "20");
        Path log = dir.resolve("local.log");

        local = start(env, log);
        try {
            awaitLine(log, "kaption local: ready", 1);
            assertThat(firstAnswer(ingestPort).latency()).isLessThanOrEqualTo(FIRST_ANSWER_BOUND);

            // SIGTERM to the group while the worker runs a request no client waits on (it gets the local shutdown
            // grace, then is cancelled): the services stop, the worker leaving its group, before the broker.
            submitLongRequest(ingestPort);
            long broker = brokerPid(dataDir).orElseThrow();
            stopAndAwaitAllGone("SIGTERM", "TERM", broker, ports);
            assertThat(stopSection(log)).as("log of the stop: %s", log).contains("gpu-worker stopped")
                    .doesNotContain("could not be established");
            assertThat(brokerPid(dataDir)).as("the broker was stopped and its pid file removed").isEmpty();
            restartAndMeasure("SIGTERM", env, log, 2, ingestPort);

            // SIGKILL to the group: the broker (its own session) sees its parent gone and stops by itself; the next
            // start waits for it if it has not finished.
            stopAndAwaitAllGone("SIGKILL", "KILL", brokerPid(dataDir).orElseThrow(), ports);
            restartAndMeasure("SIGKILL", env, log, 3, ingestPort);

            // SIGKILL to everything, the broker too: its log is recovered at the next start.
            broker = brokerPid(dataDir).orElseThrow();
            local.signalGroupAndWait("KILL");
            ProcessHandle.of(broker).ifPresent(ProcessHandle::destroyForcibly);
            restartAndMeasure("SIGKILL of the broker too", env, log, 4, ingestPort);
        } finally {
            local.close();
        }
    }

    /**
     * Sends {@code signal} to the group and waits until every process of it and the broker (its own session) are
     * gone and every port is free; asserts that took at most {@link #STOP_BOUND}.
     */
    private void stopAndAwaitAllGone(String how, String signal, long broker, Map<String, Integer> ports)
            throws Exception {
        long signalled = System.nanoTime();
        local.signalGroupAndWait(signal);
        await().atMost(STOP_BOUND.plusSeconds(30)).pollInterval(Duration.ofMillis(100))
                .alias("every process of the group, the broker and the ports after " + how)
                .until(() -> local.groupMembers().isEmpty() && ProcessHandle.of(broker).map(p -> !p.isAlive())
                        .orElse(true) && ports.values().stream().allMatch(LocalRestartIT::free));
        Duration stop = Duration.ofNanos(System.nanoTime() - signalled);
        LOG.info("after {}: every process of the group and the broker gone, every port free, {} ms after the signal",
                how, stop.toMillis());
        assertThat(stop).as("time until everything was gone after %s", how).isLessThanOrEqualTo(STOP_BOUND);
    }

    /**
     * A request that runs long (3000 tokens; the demo model allows 4096 positions), submitted without waiting for it:
     * no client disconnects to cancel it, only the worker's shutdown grace ends it.
     */
    private void submitLongRequest(int ingestPort) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ingestPort + "/v1/requests"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"text\": \"Hello?\", \"max_new_tokens\": 3000, \"min_new_tokens\": 3000}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("answer: %s", response.body()).isEqualTo(202);
    }

    private void restartAndMeasure(String how, Map<String, String> env, Path log, int start, int ingestPort)
            throws Exception {
        long launched = System.nanoTime();
        local = start(env, log);
        FirstAnswer answer = firstAnswer(ingestPort);
        Duration sinceLaunch = Duration.ofNanos(answer.answeredAt() - launched);
        LOG.info("after {}: first request answered {} ms after it was sent, {} ms after the launch", how,
                answer.latency().toMillis(), sinceLaunch.toMillis());
        assertThat(answer.latency()).as("first answer after %s (log: %s)", how, log)
                .isLessThanOrEqualTo(FIRST_ANSWER_BOUND);
        assertThat(sinceLaunch).as("first answer after %s, since the launch (log: %s)", how, log)
                .isLessThanOrEqualTo(FIRST_ANSWER_SINCE_LAUNCH_BOUND);
        awaitLine(log, "kaption local: ready", start);
    }

    private static ChildJvm start(Map<String, String> env, Path log) {
        return ChildJvm.startInOwnSession(LocalPipelineMain.class, env, log, "-Xmx768m");
    }

    private record FirstAnswer(Duration latency, long answeredAt) {}

    /**
     * Sends {@code /generate} until the ingest service accepts one (it is not listening yet, or answers 503 while
     * Kafka is not there); returns how long that request took to be answered.
     */
    private FirstAnswer firstAnswer(int ingestPort) throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingestPort + "/generate"))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"Hello?\", \"max_new_tokens\": 2}"))
                .build();
        while (true) {
            long sent = System.nanoTime();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    long answered = System.nanoTime();
                    return new FirstAnswer(Duration.ofNanos(answered - sent), answered);
                }
                assertThat(response.statusCode()).as("answer: %s", response.body()).isEqualTo(503);
            } catch (IOException notListeningYet) {
                // connection refused: the ingest service has not started yet
            }
            assertThat(System.nanoTime()).as("the ingest service accepted no request").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Waits until {@code log} has {@code line} {@code count} times (once per start). */
    private static void awaitLine(Path log, String line, int count) {
        await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(200)).alias(line + " in " + log)
                .until(() -> read(log).split(line, -1).length - 1 >= count);
    }

    /** The log from the last "kaption local: stopping" on. */
    private static String stopSection(Path log) throws IOException {
        String text = read(log);
        return text.substring(Math.max(0, text.lastIndexOf("kaption local: stopping")));
    }

    private static Optional<Long> brokerPid(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("kafka").resolve("broker.pid");
        return Files.exists(pidFile) ? Optional.of(Long.parseLong(Files.readString(pidFile).strip()))
                : Optional.empty();
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }

}
