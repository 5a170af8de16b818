package io.kaption.ingest.files;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.apikeys.ApiKey;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.BodyReader;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.http.PageLimit;
import io.kaption.ingest.http.RequestBody;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * OpenAI's Files API, for the Batch API: {@code POST /v1/files} (multipart {@code file} + {@code purpose=batch}),
 * {@code GET /v1/files}, {@code GET /v1/files/{id}}, {@code GET /v1/files/{id}/content},
 * {@code DELETE /v1/files/{id}}. Clients upload {@code batch} files only; {@code batch_output} files are the ones
 * Kaption writes for batches. With API keys a file belongs to the key that uploaded it (or whose batch wrote it):
 * other keys get 404, as for a file that does not exist.
 */
public final class FilesHandler {

    private static final Logger LOG = LoggerFactory.getLogger(FilesHandler.class);
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;
    /** Room for the multipart framing and the purpose field around the file itself. */
    private static final int FORM_OVERHEAD_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final FileStore store;
    private final int maxFileBytes;

    public FilesHandler(Vertx vertx, FileStore store, int maxFileBytes) {
        this.vertx = vertx;
        this.store = store;
        this.maxFileBytes = maxFileBytes;
    }

    /** {@code POST /v1/files}: 200 and the file object. */
    public void upload(HttpExchange exchange) {
        String owner = owner(exchange);
        BodyReader.read(exchange.request(), maxFileBytes + FORM_OVERHEAD_BYTES)
                .recover(failure -> {
                    ApiException error = HttpExchange.toApiException(failure);
                    return io.vertx.core.Future.failedFuture(error.status() == 413 ? tooLarge() : error);
                })
                .compose(body -> {
                    Upload upload = upload(body);
                    return vertx.executeBlocking(() -> store.upload(upload.filename(), FileObject.BATCH,
                            upload.content(), owner), false);
                })
                .onSuccess(file -> {
                    LOG.info("request_id={} file {} uploaded: {} bytes, purpose {}", exchange.requestId(), file.id(),
                            file.bytes(), file.purpose());
                    exchange.json(200, file.toJson());
                })
                .onFailure(exchange::fail);
    }

    /** {@code GET /v1/files?purpose=&limit=&after=}: newest first. */
    public void list(HttpExchange exchange) {
        String owner = owner(exchange);
        String purpose = exchange.request().getParam("purpose");
        int limit = PageLimit.parse(exchange.request().getParam("limit"), DEFAULT_LIMIT, MAX_LIMIT);
        String after = exchange.request().getParam("after");
        String order = exchange.request().getParam("order");
        if (order != null && !order.equals("desc")) {
            throw ApiException.badRequest("invalid_order", "files are listed newest first: order must be desc");
        }
        vertx.executeBlocking(() -> store.list(owner, purpose == null || purpose.isEmpty() ? null : purpose, limit,
                        after == null || after.isEmpty() ? null : after), false)
                .onSuccess(page -> exchange.json(200, listBody(page)))
                .onFailure(exchange::fail);
    }

    /** {@code GET /v1/files/{id}}. */
    public void get(HttpExchange exchange) {
        String id = exchange.pathParam("id");
        vertx.executeBlocking(() -> find(id, owner(exchange)), false)
                .onSuccess(file -> exchange.json(200, file.toJson()))
                .onFailure(exchange::fail);
    }

    /** {@code GET /v1/files/{id}/content}: the bytes as stored. */
    public void content(HttpExchange exchange) {
        String id = exchange.pathParam("id");
        vertx.executeBlocking(() -> store.content(find(id, owner(exchange))).orElseThrow(() -> notFound(id)), false)
                .onSuccess(bytes -> exchange.response().setStatusCode(200)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
                        .end(Buffer.buffer(bytes)))
                .onFailure(exchange::fail);
    }

    /** {@code DELETE /v1/files/{id}}: {@code {"id", "object": "file", "deleted": true}}. */
    public void delete(HttpExchange exchange) {
        String id = exchange.pathParam("id");
        vertx.executeBlocking(() -> {
                    FileObject file = find(id, owner(exchange));
                    store.delete(file);
                    return file;
                }, false)
                .onSuccess(file -> {
                    LOG.info("request_id={} file {} deleted", exchange.requestId(), file.id());
                    ObjectNode body = Json.MAPPER.createObjectNode();
                    body.put("id", file.id());
                    body.put("object", "file");
                    body.put("deleted", true);
                    exchange.json(200, body);
                })
                .onFailure(exchange::fail);
    }

    private FileObject find(String id, String owner) {
        return store.find(id, owner).orElseThrow(() -> notFound(id));
    }

    private record Upload(String filename, byte[] content) {
    }

    private Upload upload(RequestBody body) {
        if (!(body instanceof RequestBody.Form form)) {
            throw new ApiException(415, "unsupported_media_type",
                    "a file is uploaded as multipart/form-data with the fields file and purpose");
        }
        List<String> purposes = form.fields().getOrDefault("purpose", List.of());
        if (purposes.size() != 1) {
            throw ApiException.badRequest("invalid_purpose", "purpose is required, once: batch");
        }
        if (!purposes.get(0).equals(FileObject.BATCH)) {
            throw ApiException.badRequest("invalid_purpose", "purpose must be batch, got '" + purposes.get(0)
                    + "': Kaption stores files for the Batch API (batch_output files are the ones it writes)");
        }
        List<byte[]> files = form.files().getOrDefault("file", List.of());
        if (files.size() != 1) {
            throw ApiException.badRequest("invalid_file", "one file part named file is required");
        }
        if (files.get(0).length > maxFileBytes) {
            throw tooLarge();
        }
        String filename = form.fileNames().getOrDefault("file", List.of("")).get(0);
        return new Upload(filename.isBlank() ? "upload.jsonl" : filename, files.get(0));
    }

    private ObjectNode listBody(FileStore.Page page) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        page.files().forEach(file -> data.add(file.toJson()));
        body.put("first_id", page.files().isEmpty() ? null : page.files().get(0).id());
        body.put("last_id", page.files().isEmpty() ? null : page.files().get(page.files().size() - 1).id());
        body.put("has_more", page.hasMore());
        return body;
    }

    private ApiException tooLarge() {
        return new ApiException(413, "file_too_large", "the file is larger than " + maxFileBytes
                + " bytes (KAPTION_FILES_MAX_BYTES); split the batch into several files");
    }

    /** The fingerprint of the exchange's API key; null when keys are off. */
    public static String owner(HttpExchange exchange) {
        return exchange.apiKey().map(ApiKey::fingerprint).orElse(null);
    }

    private static ApiException notFound(String id) {
        return new ApiException(404, "file_not_found", "no file " + id);
    }
}
