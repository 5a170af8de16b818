package io.kaption.ingest.playground;

import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.HttpExchange;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code GET /playground} and its assets: a page to try the service from a browser (pick a group, drop an image, set
 * the Takeoff sampling fields, watch tokens stream with time to first token and tokens/s; submit and follow a bucket
 * job). Plain HTML, CSS and JavaScript from the jar, read once at start: no CDN, no build step. The page calls the
 * API with the key typed into it, so the page itself is open even when API keys are on.
 */
public final class PlaygroundHandler {

    private static final String RESOURCES = "/io/kaption/ingest/playground/";
    /** The files the page consists of, and their types: nothing else under the path is served. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "playground.js", "text/javascript; charset=utf-8",
            "playground.css", "text/css; charset=utf-8");
    // Everything from this origin only; the uploaded image is previewed from a blob: URL.
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' blob: data:; "
            + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    private final Map<String, Buffer> contents;

    public PlaygroundHandler() {
        this.contents = FILES.keySet().stream().collect(Collectors.toUnmodifiableMap(
                name -> name, PlaygroundHandler::load));
    }

    /** {@code GET /playground}: the page. */
    public void page(HttpExchange exchange) {
        serve(exchange, "index.html");
    }

    /** {@code GET /playground/{file}}: one of the page's assets, 404 for anything else. */
    public void asset(HttpExchange exchange) {
        String file = exchange.pathParam("file");
        if (!FILES.containsKey(file)) {
            throw new ApiException(404, "not_found", "no playground file " + file);
        }
        serve(exchange, file);
    }

    private void serve(HttpExchange exchange, String file) {
        exchange.response().setStatusCode(200)
                .putHeader(HttpHeaders.CONTENT_TYPE, FILES.get(file))
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(contents.get(file));
    }

    private static Buffer load(String name) {
        try (InputStream in = PlaygroundHandler.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + RESOURCES + name);
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
