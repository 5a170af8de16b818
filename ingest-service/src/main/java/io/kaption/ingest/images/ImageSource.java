package io.kaption.ingest.images;

import java.net.URI;
import java.util.Locale;

/** Where a request's image comes from, before image intake has admitted it. */
public sealed interface ImageSource {

    /** Bytes uploaded with the request (a multipart {@code image_data} part). */
    record Upload(byte[] bytes) implements ImageSource {
        @Override
        public String describe() {
            return "upload of " + bytes.length + " bytes";
        }
    }

    /** A {@code data:} URL or an {@code http(s)://} URL given in the request. */
    record Url(String url) implements ImageSource {
        @Override
        public String describe() {
            if (url.regionMatches(true, 0, "data:", 0, 5)) {
                return "data: URL";
            }
            // Host only: paths and queries of signed URLs stay out of logs.
            try {
                URI uri = URI.create(url);
                return uri.getScheme().toLowerCase(Locale.ROOT) + " URL on " + uri.getHost();
            } catch (RuntimeException e) {
                return "URL";
            }
        }
    }

    /** For logs: never image bytes, never a URL's path or query. */
    String describe();
}
