package io.kaption.sink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a Server-Sent Events response with the JDK HTTP client, as the raw blocks between blank lines (each block's
 * lines joined with {@code \n}), so tests can compare the exact wire format.
 */
final class SseClient implements AutoCloseable {

    /** What {@link #next()} returns once the server ended the response. */
    static final String END = "<end of stream>";
    private static final Duration WAIT = Duration.ofSeconds(60);

    final HttpResponse<InputStream> response;
    private final BlockingQueue<String> blocks = new LinkedBlockingQueue<>();
    private final Thread reader;

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-client");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    static SseClient open(HttpClient client, URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
        headers.forEach(request::header);
        try {
            return new SseClient(client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The next block, or {@link #END}; fails if nothing comes within a generous limit. */
    String next() {
        try {
            String block = blocks.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            if (block == null) {
                throw new AssertionError("no SSE block within " + WAIT);
            }
            return block;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The next {@code n} blocks. */
    List<String> next(int n) {
        List<String> next = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            next.add(next());
        }
        return next;
    }

    /** Every block until the server ends the response (without {@link #END}). */
    List<String> rest() {
        List<String> rest = new ArrayList<>();
        for (String block = next(); !block.equals(END); block = next()) {
            rest.add(block);
        }
        return rest;
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            StringBuilder block = new StringBuilder();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    blocks.add(block.toString());
                    block.setLength(0);
                } else {
                    block.append(block.length() == 0 ? "" : "\n").append(line);
                }
            }
            if (block.length() > 0) {
                blocks.add("<unterminated> " + block);
            }
            blocks.add(END);
        } catch (IOException e) {
            blocks.add("<closed: " + e.getMessage() + ">");
        }
    }

    /** Disconnects, as a client going away does. */
    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
