package io.kaption.ingest.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a request body into memory under a byte cap: a declared {@code Content-Length} over the cap is refused before
 * reading, a longer body as soon as it passes the cap (413 {@code body_too_large}). Form bodies are decoded into fields
 * and file parts; file parts stay in memory (an image is needed as bytes anyway, and the cap bounds them).
 */
public final class BodyReader {

    private BodyReader() {
    }

    public static Future<RequestBody> read(HttpServerRequest request, int maxBytes) {
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        try {
            if (declared != null && parseLength(declared) > maxBytes) {
                return Future.failedFuture(tooLarge(maxBytes));
            }
        } catch (ApiException e) {
            return Future.failedFuture(e);
        }
        // The server does not answer Expect: 100-continue by itself (it would before the length check above);
        // curl and Java's HttpClient hold the body back until they hear it.
        if (request.version() != HttpVersion.HTTP_1_0
                && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            request.response().writeContinue();
        }
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        String mediaType = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT).strip();
        boolean form = mediaType.startsWith("multipart/form-data")
                || mediaType.startsWith("application/x-www-form-urlencoded");
        return form ? readForm(request, maxBytes) : readRaw(request, maxBytes);
    }

    private static Future<RequestBody> readRaw(HttpServerRequest request, int maxBytes) {
        Promise<RequestBody> result = Promise.promise();
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (result.future().isComplete()) {
                return;
            }
            if (body.length() + chunk.length() > maxBytes) {
                result.tryFail(tooLarge(maxBytes));
            } else {
                body.appendBuffer(chunk);
            }
        });
        request.exceptionHandler(e -> result.tryFail(unreadable(e)));
        request.endHandler(v -> result.tryComplete(new RequestBody.Raw(body.getBytes())));
        return result.future();
    }

    private static Future<RequestBody> readForm(HttpServerRequest request, int maxBytes) {
        Promise<RequestBody> result = Promise.promise();
        Map<String, List<byte[]>> files = new LinkedHashMap<>();
        Map<String, List<String>> fileNames = new LinkedHashMap<>();
        long[] received = {0};
        request.setExpectMultipart(true);
        // The raw bytes are counted here; the multipart decoder sees the same bytes and hands over parts below.
        request.handler(chunk -> {
            received[0] += chunk.length();
            if (received[0] > maxBytes) {
                result.tryFail(tooLarge(maxBytes));
            }
        });
        request.uploadHandler(upload -> readUpload(upload, maxBytes, result, files, fileNames));
        request.exceptionHandler(e -> result.tryFail(unreadable(e)));
        request.endHandler(v -> {
            Map<String, List<String>> fields = new LinkedHashMap<>();
            request.formAttributes().forEach(entry ->
                    fields.computeIfAbsent(entry.getKey(), name -> new ArrayList<>()).add(entry.getValue()));
            result.tryComplete(new RequestBody.Form(fields, files, fileNames));
        });
        return result.future();
    }

    private static void readUpload(HttpServerFileUpload upload, int maxBytes, Promise<RequestBody> result,
                                   Map<String, List<byte[]>> files, Map<String, List<String>> fileNames) {
        Buffer content = Buffer.buffer();
        upload.handler(chunk -> {
            if (content.length() + chunk.length() > maxBytes) {
                result.tryFail(tooLarge(maxBytes));
            } else {
                content.appendBuffer(chunk);
            }
        });
        upload.exceptionHandler(e -> result.tryFail(unreadable(e)));
        upload.endHandler(v -> {
            files.computeIfAbsent(upload.name(), name -> new ArrayList<>()).add(content.getBytes());
            fileNames.computeIfAbsent(upload.name(), name -> new ArrayList<>())
                    .add(upload.filename() == null ? "" : upload.filename());
        });
    }

    private static long parseLength(String declared) {
        try {
            return Long.parseLong(declared.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid_body", "Content-Length is not a number");
        }
    }

    private static ApiException tooLarge(int maxBytes) {
        return new ApiException(413, "body_too_large", "the request body is larger than " + maxBytes + " bytes");
    }

    private static ApiException unreadable(Throwable e) {
        // A decoder's own message names the problem; one wrapping another exception (e.g. a NullPointerException in
        // Netty's multipart decoder for a part without a name) would only show the decoder's internals.
        String reason = e.getMessage() != null && e.getCause() == null
                ? e.getMessage() : "malformed multipart/form-data or form body";
        // Netty's form decoder: TooLongFormFieldException, TooManyFormFieldsException.
        if (e.getClass().getSimpleName().startsWith("TooLong") || e.getClass().getSimpleName().startsWith("TooMany")) {
            return new ApiException(413, "body_too_large", "the form is too large: " + reason, e);
        }
        return new ApiException(400, "invalid_body", "the request body could not be read: " + reason, e);
    }
}
