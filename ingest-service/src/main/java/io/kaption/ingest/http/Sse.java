package io.kaption.ingest.http;

/** Server-sent event framing (one {@code data:} line per event: the payloads are compact JSON). */
public final class Sse {

    public static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";

    private Sse() {
    }

    public static String data(String payload) {
        return "data: " + payload + "\n\n";
    }

    public static String event(String name, String payload) {
        return "event: " + name + "\n" + data(payload);
    }
}
