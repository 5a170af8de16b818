package io.kaption.ingest.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.files.FileObject;
import io.kaption.ingest.files.FileStore;
import io.kaption.ingest.files.FilesHandler;
import io.kaption.ingest.files.ObjectIds;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.BodyReader;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.http.PageLimit;
import io.kaption.ingest.http.RequestBody;
import io.kaption.ingest.images.ImageSource;
import io.kaption.ingest.images.ImageStore;
import io.kaption.ingest.jobs.JobSubmission;
import io.kaption.ingest.jobs.JobsHandler;
import io.kaption.schemas.Topics;
import io.kaption.schemas.jobs.JobStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * OpenAI's Batch API over bucket jobs: {@code POST /v1/batches}, {@code GET /v1/batches/{id}},
 * {@code GET /v1/batches} ({@code after}/{@code limit}), {@code POST /v1/batches/{id}/cancel}.
 *
 * <p>Creating a batch validates every line of its input file ({@link BatchInput}), writes the valid requests as a
 * JSONL manifest and submits a bucket job over it (client token = the batch id, so a retried submission is the same
 * job). From then on the batch follows its job ({@link BatchStatus}); once the job has ended this service assembles
 * the output and error files from the job's shards ({@link BatchOutputs}) and the batch ends. That happens when a
 * client asks for the batch, and in a sweep every few seconds over the batches not yet ended, which also ends a batch
 * whose completion window ran out: its job is cancelled and the batch ends {@code expired} with what had completed.
 * Assembly lives here, not in the sink, because the {@code chat.completion} bodies must be the live endpoint's
 * ({@code ChatCompletionResponses}) and the batch documents are this API's; the sink's shards are its input.
 */
public final class BatchesHandler {

    private static final Logger LOG = LoggerFactory.getLogger(BatchesHandler.class);
    static final String WINDOW = "24h";
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;
    static final int MAX_METADATA_PAIRS = 16;
    static final Duration SWEEP_INTERVAL = Duration.ofSeconds(5);

    private final Vertx vertx;
    private final BatchStore store;
    private final FileStore files;
    private final BatchOutputs outputs;
    private final JobsHandler jobs;
    private final ImageStore images;
    private final int inlineImageMaxBytes;
    private final Predicate<String> groupExists;
    private final Duration window;
    private final int maxBodyBytes;
    private final Clock clock;

    /**
     * @param groupExists whether a consumer group has a request topic (blocking), to route a line's {@code model}
     *                    as the live endpoint does
     */
    public BatchesHandler(Vertx vertx, io.kaption.ingest.files.S3Objects objects, FileStore files, JobsHandler jobs,
                          ImageStore images, int inlineImageMaxBytes, Predicate<String> groupExists,
                          Duration window, int maxBodyBytes, Clock clock) {
        this.vertx = vertx;
        this.store = new BatchStore(objects);
        this.files = files;
        this.outputs = new BatchOutputs(objects, files);
        this.jobs = jobs;
        this.images = images;
        this.inlineImageMaxBytes = inlineImageMaxBytes;
        this.groupExists = groupExists;
        this.window = window;
        this.maxBodyBytes = maxBodyBytes;
        this.clock = clock;
    }

    /** Starts the sweep over unfinished batches (progress, output assembly, expiry); returns its timer id. */
    public long startSweep() {
        return vertx.setPeriodic(SWEEP_INTERVAL.toMillis(), timer -> vertx.executeBlocking(() -> {
            if (jobs.isReady()) {
                for (String id : store.open()) {
                    store.find(id, null).ifPresent(this::refresh);
                }
            }
            return null;
        }, false).onFailure(e -> LOG.warn("batch sweep failed: {}", e.toString())));
    }

    /** {@code POST /v1/batches}: 200 and the batch ({@code in_progress}, or {@code failed} with its errors). */
    public void create(HttpExchange exchange) {
        requireReady();
        String owner = FilesHandler.owner(exchange);
        BodyReader.read(exchange.request(), maxBodyBytes)
                .map(BatchesHandler::createRequest)
                .compose(request -> vertx.executeBlocking(() -> prepare(exchange, request, owner), false))
                .compose(prepared -> prepared.submission() == null
                        ? Future.succeededFuture(prepared.batch())
                        : jobs.submit(exchange.context(), prepared.submission(), owner)
                                .compose(job -> vertx.executeBlocking(() -> {
                                    store.save(prepared.batch());
                                    return prepared.batch();
                                }, false)))
                .onSuccess(batch -> {
                    LOG.info("request_id={} batch_id={} created: {}, {} requests, job {}", exchange.requestId(),
                            batch.get("id").asText(), batch.get("status").asText(),
                            batch.path("request_counts").path("total").asLong(),
                            batch.path("kaption").path("job_id").asText("none"));
                    exchange.json(200, BatchStatus.view(batch));
                })
                .onFailure(exchange::fail);
    }

    /** {@code GET /v1/batches/{id}}. */
    public void get(HttpExchange exchange) {
        requireReady();
        String id = exchange.pathParam("id");
        String owner = FilesHandler.owner(exchange);
        vertx.executeBlocking(() -> refresh(find(id, owner)), false)
                .onSuccess(batch -> exchange.json(200, BatchStatus.view(batch)))
                .onFailure(exchange::fail);
    }

    /** {@code GET /v1/batches?limit=20&after=<batch id>}: newest first. */
    public void list(HttpExchange exchange) {
        requireReady();
        String owner = FilesHandler.owner(exchange);
        int limit = PageLimit.parse(exchange.request().getParam("limit"), DEFAULT_LIMIT, MAX_LIMIT);
        String after = exchange.request().getParam("after");
        vertx.executeBlocking(() -> {
                    BatchStore.Page page = store.list(owner, limit, after == null || after.isEmpty() ? null : after);
                    ObjectNode body = Json.MAPPER.createObjectNode();
                    body.put("object", "list");
                    ArrayNode data = body.putArray("data");
                    page.batches().forEach(batch -> data.add(BatchStatus.view(refresh(batch))));
                    body.put("first_id", data.isEmpty() ? null : data.get(0).get("id").asText());
                    body.put("last_id", data.isEmpty() ? null : data.get(data.size() - 1).get("id").asText());
                    body.put("has_more", page.hasMore());
                    return body;
                }, false)
                .onSuccess(body -> exchange.json(200, body))
                .onFailure(exchange::fail);
    }

    /**
     * {@code POST /v1/batches/{id}/cancel}: the batch as {@code cancelling}; its job's queued requests end as
     * {@code batch_cancelled} error lines, the finished ones keep their lines, then the batch ends {@code cancelled}.
     */
    public void cancel(HttpExchange exchange) {
        requireReady();
        String id = exchange.pathParam("id");
        String owner = FilesHandler.owner(exchange);
        vertx.executeBlocking(() -> {
                    ObjectNode batch = refresh(find(id, owner));
                    String status = batch.get("status").asText();
                    if (BatchStatus.isTerminal(status)) {
                        throw new ApiException(409, "batch_already_finished", "batch " + id + " is already "
                                + status);
                    }
                    if (batch.get("cancelling_at").isNull()) {
                        batch.put("cancelling_at", clock.instant().getEpochSecond());
                        store.save(batch);
                        jobs.cancelJob(jobId(batch));
                        LOG.info("request_id={} batch_id={} cancelled by the client", exchange.requestId(), id);
                    }
                    return refresh(batch);
                }, false)
                .onSuccess(batch -> exchange.json(200, BatchStatus.view(batch)))
                .onFailure(exchange::fail);
    }

    private record CreateRequest(String inputFileId, JsonNode metadata) {
    }

    private record Prepared(ObjectNode batch, JobSubmission submission) {
    }

    private static CreateRequest createRequest(RequestBody body) {
        if (!(body instanceof RequestBody.Raw raw)) {
            throw new ApiException(415, "unsupported_media_type", "a batch is created with a JSON body");
        }
        ObjectNode request = Json.parseObject(raw.bytes(), "the request body");
        JsonNode input = request.get("input_file_id");
        if (input == null || !input.isTextual() || input.textValue().isEmpty()) {
            throw ApiException.badRequest("invalid_request", "input_file_id is required: the id of a file "
                    + "uploaded with purpose batch");
        }
        if (!BatchInput.ENDPOINT.equals(request.path("endpoint").asText())) {
            throw ApiException.badRequest("unsupported_endpoint", "endpoint must be " + BatchInput.ENDPOINT
                    + ", the one endpoint Kaption's batches run; got '" + request.path("endpoint").asText() + "'");
        }
        if (!WINDOW.equals(request.path("completion_window").asText())) {
            throw ApiException.badRequest("invalid_completion_window", "completion_window must be " + WINDOW);
        }
        JsonNode metadata = request.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject() || metadata.size() > MAX_METADATA_PAIRS) {
                throw ApiException.badRequest("invalid_metadata", "metadata must be an object of at most "
                        + MAX_METADATA_PAIRS + " string values");
            }
            Iterator<JsonNode> values = metadata.elements();
            while (values.hasNext()) {
                JsonNode value = values.next();
                if (!value.isTextual() || value.textValue().length() > 512) {
                    throw ApiException.badRequest("invalid_metadata", "metadata values are strings of at most "
                            + "512 characters");
                }
            }
        }
        return new CreateRequest(input.textValue(), metadata == null || metadata.isNull() ? null : metadata);
    }

    /** Validates the input file and writes the job's manifest: the batch, and the job to submit (if any). */
    private Prepared prepare(HttpExchange exchange, CreateRequest request, String owner) {
        FileObject input = files.find(request.inputFileId(), owner).orElseThrow(() -> new ApiException(404,
                "file_not_found", "no file " + request.inputFileId()));
        if (!FileObject.BATCH.equals(input.purpose())) {
            throw ApiException.badRequest("invalid_input_file", "file " + input.id() + " has purpose "
                    + input.purpose() + "; a batch's input file has purpose batch");
        }
        byte[] content = files.content(input).orElseThrow(() -> new ApiException(404, "file_not_found",
                "no file " + request.inputFileId()));
        Instant now = clock.instant();
        String batchId = ObjectIds.random("batch_", now);
        ObjectNode batch = newBatch(batchId, request, now, owner);
        BatchInput lines;
        try {
            lines = BatchInput.parse(content, batchId, this::groupOf, this::placeImage);
        } catch (BatchInput.Invalid invalid) {
            batch.put("status", BatchStatus.FAILED);
            batch.put("failed_at", now.getEpochSecond());
            ObjectNode errors = batch.putObject("errors");
            errors.put("object", "list");
            errors.set("data", BatchInput.array(invalid.errors()));
            store.save(batch);
            LOG.info("request_id={} batch_id={} failed validation: {}", exchange.requestId(), batchId,
                    invalid.getMessage());
            return new Prepared(batch, null);
        }
        exchange.requireGroup(lines.consumerGroup());
        store.objects().put(BatchStore.inputKey(batchId), lines.manifest(), "application/jsonl");
        store.objects().put(BatchStore.refusedKey(batchId), BatchInput.jsonl(lines.refused()), "application/jsonl");
        ObjectNode job = Json.MAPPER.createObjectNode();
        job.put("input", store.objects().uri(BatchStore.inputKey(batchId)));
        job.put("input_format", "jsonl");
        job.put("output", store.objects().uri(BatchStore.jobOutputKey(batchId)));
        job.putObject("template");
        job.put("consumer_group", lines.consumerGroup());
        job.put("client_token", batchId);
        JobSubmission submission = JobSubmission.parse(job);
        batch.put("status", BatchStatus.IN_PROGRESS);
        batch.put("in_progress_at", now.getEpochSecond());
        counts(batch, lines.total(), 0, lines.refused().size());
        ObjectNode kaption = (ObjectNode) batch.get("kaption");
        kaption.put("job_id", submission.newJobId(owner));
        kaption.put("consumer_group", lines.consumerGroup());
        kaption.put("refused", lines.refused().size());
        return new Prepared(batch, submission);
    }

    private ObjectNode newBatch(String batchId, CreateRequest request, Instant now, String owner) {
        ObjectNode batch = Json.MAPPER.createObjectNode();
        batch.put("id", batchId);
        batch.put("object", "batch");
        batch.put("endpoint", BatchInput.ENDPOINT);
        batch.putNull("errors");
        batch.put("input_file_id", request.inputFileId());
        batch.put("completion_window", WINDOW);
        batch.put("status", BatchStatus.VALIDATING);
        batch.putNull("output_file_id");
        batch.putNull("error_file_id");
        batch.put("created_at", now.getEpochSecond());
        batch.putNull("in_progress_at");
        batch.put("expires_at", now.plus(window).getEpochSecond());
        for (String at : new String[] {"finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
                "cancelled_at"}) {
            batch.putNull(at);
        }
        counts(batch, 0, 0, 0);
        if (request.metadata() == null) {
            batch.putNull("metadata");
        } else {
            batch.set("metadata", request.metadata().deepCopy());
        }
        ObjectNode kaption = batch.putObject("kaption");
        if (owner != null) {
            kaption.put("owner", owner);
        }
        kaption.put("expiring", false);
        return batch;
    }

    /**
     * The batch as it stands now: an unfinished one follows its job; an ended job's outputs are assembled and the
     * batch is ended and saved; a batch past its window has its job cancelled, to end {@code expired}.
     */
    ObjectNode refresh(ObjectNode batch) {
        String status = batch.get("status").asText();
        if (BatchStatus.isTerminal(status)) {
            return batch;
        }
        Optional<JobStatus> found = jobs.job(jobId(batch));
        if (found.isEmpty()) {
            return batch; // this replica has not read the job yet
        }
        JobStatus job = found.get();
        Instant now = clock.instant();
        ObjectNode kaption = (ObjectNode) batch.get("kaption");
        if (!kaption.get("expiring").asBoolean() && now.getEpochSecond() >= batch.get("expires_at").asLong()
                && !job.state().isTerminal()) {
            kaption.put("expiring", true);
            store.save(batch);
            jobs.cancelJob(job.jobId());
            LOG.info("batch_id={} completion window ran out: job {} cancelled", batch.get("id").asText(),
                    job.jobId());
        }
        boolean expiring = kaption.get("expiring").asBoolean();
        long refused = kaption.path("refused").asLong();
        counts(batch, batch.path("request_counts").path("total").asLong(), job.counts().completed(),
                job.counts().failed() + refused);
        if (!job.state().isTerminal()) {
            batch.put("status", expiring ? BatchStatus.IN_PROGRESS
                    : BatchStatus.running(job.state(), !batch.get("cancelling_at").isNull()));
            return batch;
        }
        BatchOutputs.Files written = outputs.assemble(batch, job, expiring);
        // The job's end, not this call's time: a sweep and a GET (or two replicas) ending the batch at once must
        // save the same document.
        long ended = (job.finishedAt() != null ? job.finishedAt() : job.updatedAt()).getEpochSecond();
        String outcome = BatchStatus.ended(job, expiring);
        if (batch.get("finalizing_at").isNull()) {
            batch.put("finalizing_at", ended);
        }
        counts(batch, batch.path("request_counts").path("total").asLong(), written.completed(), written.failed());
        batch.put("output_file_id", written.outputFileId());
        batch.put("error_file_id", written.errorFileId());
        batch.put("status", outcome);
        batch.put(outcome + "_at", ended);
        if (outcome.equals(BatchStatus.FAILED)) {
            ObjectNode errors = batch.putObject("errors");
            errors.put("object", "list");
            ObjectNode error = errors.putArray("data").addObject();
            error.put("code", job.error().code());
            error.put("message", job.error().message());
            error.putNull("param");
            error.putNull("line");
        }
        store.save(batch);
        LOG.info("batch_id={} {}: {} completed, {} failed", batch.get("id").asText(), outcome,
                batch.path("request_counts").path("completed").asLong(),
                batch.path("request_counts").path("failed").asLong());
        return batch;
    }

    /**
     * A {@code data:} image too large to travel inside its request (and a Kafka record holds at most 1 MB) is
     * admitted and claim-checked to S3 as the live endpoint does; other URLs are read by the worker as written.
     */
    private String placeImage(String requestId, String url) {
        if (url.startsWith("data:") && url.length() > inlineImageMaxBytes) {
            return images.store(requestId, new ImageSource.Url(url));
        }
        return url;
    }

    private String groupOf(Optional<String> model) {
        String requested = model.orElse(Topics.DEFAULT_CONSUMER_GROUP);
        if (requested.equals(Topics.DEFAULT_CONSUMER_GROUP) || !Topics.isValidConsumerGroup(requested)) {
            return Topics.DEFAULT_CONSUMER_GROUP;
        }
        return groupExists.test(requested) ? requested : Topics.DEFAULT_CONSUMER_GROUP;
    }

    private ObjectNode find(String id, String owner) {
        return store.find(id, owner).orElseThrow(() -> new ApiException(404, "batch_not_found", "no batch " + id));
    }

    private static String jobId(ObjectNode batch) {
        return batch.path("kaption").path("job_id").asText();
    }

    private static void counts(ObjectNode batch, long total, long completed, long failed) {
        ObjectNode counts = batch.putObject("request_counts");
        counts.put("total", total);
        counts.put("completed", completed);
        counts.put("failed", failed);
    }

    private void requireReady() {
        if (!jobs.isReady()) {
            throw new ApiException(503, "not_ready", "the job directory is still reading its topics; try again "
                    + "shortly");
        }
    }
}
