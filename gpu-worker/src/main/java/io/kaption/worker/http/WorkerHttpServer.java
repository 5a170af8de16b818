package io.kaption.worker.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kaption.kit.metrics.ServiceMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The worker's small HTTP server on {@code KAPTION_WORKER_METRICS_PORT}: {@code GET /healthz} (liveness) and
 * {@code GET /readyz} (readiness), with the ingest service's and the sink's JSON shapes ({@code {"status": …}}, errors
 * {@code {"error": {"code", "message"}}}), and {@code GET /metrics} in the Prometheus text format.
 *
 * <p>The JDK's server rather than Vert.x (which the ingest service and the sink use): three GET routes answered from
 * memory need no event loop, and the worker, whose CPU belongs to the model, gains no Netty threads or jars.
 */
public final class WorkerHttpServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;

    private WorkerHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Listens on {@code host:port} (0: any free port) and answers from {@code state}, asked once per probe (it must
     * be cheap: no Kafka calls), and from {@code metrics}.
     */
    public static WorkerHttpServer start(String host, int port, Supplier<WorkerState> state, ServiceMetrics metrics) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("the worker's HTTP server cannot listen on " + host + ":" + port
                    + " (" + e.getMessage() + "); set KAPTION_WORKER_METRICS_PORT", e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kaption-worker-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                respond(exchange, state, metrics);
            }
        });
        server.start();
        return new WorkerHttpServer(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, Supplier<WorkerState> currentState, ServiceMetrics metrics)
            throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!path.equals("/healthz") && !path.equals("/readyz") && !path.equals("/metrics")) {
            send(exchange, 404, error("not_found", "no such resource: " + path));
            return;
        }
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET");
            send(exchange, 405, error("method_not_allowed",
                    exchange.getRequestMethod() + " is not allowed on " + path));
            return;
        }
        if (path.equals("/metrics")) {
            sendBytes(exchange, 200, ServiceMetrics.CONTENT_TYPE, metrics.scrape().getBytes(StandardCharsets.UTF_8));
            return;
        }
        WorkerState state = currentState.get();
        if (path.equals("/healthz")) {
            if (state.phase() == WorkerState.Phase.FAILED) {
                send(exchange, 503, error("worker_failed", "the worker stopped after a fatal error (see the log)"));
            } else {
                send(exchange, 200, JSON.createObjectNode().put("status", "ok"));
            }
        } else if (state.ready()) {
            ObjectNode body = JSON.createObjectNode().put("status", "ready");
            body.set("partitions", partitions(state));
            send(exchange, 200, body);
        } else {
            ObjectNode body = error("not_ready", state.notReadyReason());
            body.set("partitions", partitions(state));
            send(exchange, 503, body);
        }
    }

    private static ObjectNode partitions(WorkerState state) {
        ObjectNode groups = JSON.createObjectNode();
        for (Map.Entry<String, Integer> group : new TreeMap<>(state.partitionsByGroup()).entrySet()) {
            groups.put(group.getKey(), group.getValue());
        }
        return groups;
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("code", code).put("message", message);
        return body;
    }

    private static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        sendBytes(exchange, status, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void sendBytes(HttpExchange exchange, int status, String contentType, byte[] bytes)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
