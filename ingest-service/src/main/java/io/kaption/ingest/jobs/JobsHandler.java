package io.kaption.ingest.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.apikeys.ApiKey;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.BodyReader;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.http.PageLimit;
import io.kaption.ingest.http.RequestBody;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.jobs.JobState;
import io.kaption.schemas.jobs.JobStatus;
import io.kaption.schemas.serde.ContractCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The job API: {@code POST /v1/jobs}, {@code GET /v1/jobs/{id}}, {@code GET /v1/jobs},
 * {@code POST /v1/jobs/{id}/cancel}. A job is shown as its {@code kaption.job-status/v1} JSON. Every endpoint answers
 * 503 {@code not_ready} until the {@link JobDirectory} has read what was on its topics at start, so that a job is
 * never reported missing, nor resubmitted as new, because this replica has not read it yet. With API keys a job is
 * recorded with its key's fingerprint as {@code owner}, and only that key sees, lists and cancels it.
 */
public final class JobsHandler {

    private static final Logger LOG = LoggerFactory.getLogger(JobsHandler.class);
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;

    private final Vertx vertx;
    private final JobDirectory directory;
    private final JobPublisher publisher;
    private final JobBuckets buckets;
    private final int maxBodyBytes;
    private final Clock clock;
    /** Submissions of this replica waiting for Kafka's ack, by job id: a resubmission waits for the first. */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private record Answer(int status, JobStatus job) {
    }

    public JobsHandler(Vertx vertx, JobDirectory directory, Producer<String, byte[]> producer, S3Client s3,
                       int maxBodyBytes, Clock clock) {
        this.vertx = vertx;
        this.directory = directory;
        this.publisher = new JobPublisher(producer);
        this.buckets = new JobBuckets(s3);
        this.maxBodyBytes = maxBodyBytes;
        this.clock = clock;
    }

    /** {@code POST /v1/jobs}: 201 and the new job, or 200 and the existing one for a resubmission. */
    public void submit(HttpExchange exchange) {
        requireReady();
        BodyReader.read(exchange.request(), maxBodyBytes)
                .map(JobsHandler::submission)
                .compose(submission -> {
                    exchange.requireGroup(submission.consumerGroup());
                    String jobId = submission.newJobId(owner(exchange));
                    submission.requireOutputOutsideInput(jobId);
                    return submit(exchange.context(), submission, jobId, owner(exchange));
                })
                .onSuccess(answer -> {
                    exchange.response().putHeader(HttpHeaders.LOCATION, "/v1/jobs/" + answer.job().jobId());
                    exchange.json(answer.status(), toJson(answer.job()));
                })
                .onFailure(exchange::fail);
    }

    /** {@code GET /v1/jobs/{id}}. */
    public void get(HttpExchange exchange) {
        requireReady();
        String jobId = exchange.pathParam("id");
        exchange.json(200, toJson(find(exchange, jobId)));
    }

    /** {@code GET /v1/jobs?limit=20&after=<job_id>}: newest first. */
    public void list(HttpExchange exchange) {
        requireReady();
        int limit = PageLimit.parse(exchange.request().getParam("limit"), DEFAULT_LIMIT, MAX_LIMIT);
        String after = exchange.request().getParam("after");
        JobTable.Page page = directory.page(limit, after, Optional.ofNullable(owner(exchange))).orElseThrow(() -> ApiException.badRequest("invalid_after",
                "after names no job: '" + after + "'"));
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        page.jobs().forEach(job -> data.add(toJson(job)));
        body.put("first_id", page.jobs().isEmpty() ? null : page.jobs().get(0).jobId());
        body.put("last_id", page.jobs().isEmpty() ? null : page.jobs().get(page.jobs().size() - 1).jobId());
        body.put("has_more", page.hasMore());
        exchange.json(200, body);
    }

    /**
     * {@code POST /v1/jobs/{id}/cancel}: publishes the job's cancellation and answers the job as {@code cancelling};
     * the progress topology moves it on to {@code cancelled}. A job already finalizing (every record has its line)
     * is answered as it is: the cancellation no longer changes it.
     */
    public void cancel(HttpExchange exchange) {
        requireReady();
        String jobId = exchange.pathParam("id");
        JobStatus job = find(exchange, jobId);
        requireUnfinished(job);
        Context context = exchange.context();
        vertx.<CompletableFuture<Void>>executeBlocking(() -> publisher.cancel(jobId), false)
                .compose(acknowledged -> Future.fromCompletionStage(acknowledged, context))
                .map(published -> {
                    LOG.info("job_id={} cancelled by the client: cancellation published", jobId);
                    JobStatus now = directory.find(jobId).orElse(job);
                    requireUnfinished(now);
                    return now.state() == JobState.FINALIZING || now.state() == JobState.CANCELLING
                            ? now : cancelling(now, clock.instant().truncatedTo(ChronoUnit.MILLIS));
                })
                .onSuccess(answer -> exchange.json(200, toJson(answer)))
                .onFailure(exchange::fail);
    }

    /**
     * Submits a job for another API over jobs (the OpenAI Batch API): the same path as {@code POST /v1/jobs},
     * idempotent by the submission's client token, without an HTTP exchange.
     *
     * @param owner the API key's fingerprint; null when keys are off
     */
    public Future<JobStatus> submit(Context context, JobSubmission submission, String owner) {
        requireReady();
        String jobId = submission.newJobId(owner);
        return submit(context, submission, jobId, owner).map(Answer::job);
    }

    /** Publishes the cancellation of {@code jobId} (blocking until Kafka acknowledges it), for another API. */
    public void cancelJob(String jobId) {
        try {
            publisher.cancel(jobId).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        LOG.info("job_id={} cancellation published", jobId);
    }

    /** The job's status as this replica knows it, for another API over jobs. */
    public Optional<JobStatus> job(String jobId) {
        return directory.find(jobId);
    }

    /** Whether the job directory has read its topics (until then every job API answers 503). */
    public boolean isReady() {
        return directory.isReady();
    }

    private Future<Answer> submit(Context context, JobSubmission submission, String jobId, String owner) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> earlier = inFlight.putIfAbsent(jobId, mine);
        if (earlier != null) {
            return Future.fromCompletionStage(earlier.handle((done, error) -> done), context)
                    .compose(done -> submit(context, submission, jobId, owner));
        }
        Optional<Answer> existing;
        try {
            existing = existing(submission, jobId);
        } catch (ApiException e) {
            release(jobId, mine);
            return Future.failedFuture(e);
        }
        if (existing.isPresent()) {
            release(jobId, mine);
            return Future.succeededFuture(existing.get());
        }
        JobSpec spec = submission.toSpec(jobId, clock.instant().truncatedTo(ChronoUnit.MILLIS), owner);
        return vertx.<CompletableFuture<Void>>executeBlocking(() -> {
                    buckets.requireExisting(submission);
                    return publisher.publish(spec);
                }, false)
                .compose(acknowledged -> Future.fromCompletionStage(acknowledged, context))
                .map(published -> {
                    directory.submitted(spec);
                    LOG.info("job_id={} submitted: {} {} -> {}, consumer group {}", jobId, spec.inputFormat()
                            .name().toLowerCase(java.util.Locale.ROOT), spec.input(), spec.output(),
                            spec.consumerGroup());
                    return new Answer(201, directory.find(jobId).orElseThrow());
                })
                .onComplete(done -> release(jobId, mine));
    }

    /** The job a resubmission names, if this is one; 409 when its token was used with other parameters. */
    private Optional<Answer> existing(JobSubmission submission, String jobId) {
        Optional<JobStatus> known = directory.find(jobId);
        if (known.isEmpty()) {
            return Optional.empty();
        }
        JobStatus job = known.get();
        // The spec is missing only while a status of another replica's job was read before its spec.
        boolean same = directory.spec(jobId).map(submission::sameParametersAs)
                .orElseGet(() -> submission.input().equals(job.input()) && submission.inputFormat() == job.inputFormat()
                        && submission.output().equals(job.output())
                        && submission.consumerGroup().equals(job.consumerGroup())
                        && Objects.equals(submission.clientToken(), job.clientToken()));
        if (!same) {
            throw new ApiException(409, "idempotency_mismatch", "client_token '" + submission.clientToken()
                    + "' was used for job " + jobId + " with other parameters; use a new token for a new job");
        }
        LOG.info("job_id={} resubmitted with the same client token: answered with the existing job", jobId);
        return Optional.of(new Answer(200, job));
    }

    /**
     * The job, if the exchange may see it: with API keys only the key that submitted it does (anyone else gets the
     * same 404 as for a job that does not exist, so job ids of other keys cannot be probed).
     */
    private JobStatus find(HttpExchange exchange, String jobId) {
        String owner = owner(exchange);
        if (owner != null && !directory.spec(jobId).map(spec -> owner.equals(spec.owner())).orElse(false)) {
            throw notFound(jobId);
        }
        return directory.find(jobId).orElseThrow(() -> notFound(jobId));
    }

    /** The fingerprint of the exchange's API key; null when keys are off. */
    private static String owner(HttpExchange exchange) {
        return exchange.apiKey().map(ApiKey::fingerprint).orElse(null);
    }

    private void release(String jobId, CompletableFuture<Void> mine) {
        inFlight.remove(jobId, mine);
        mine.complete(null);
    }

    private void requireReady() {
        if (!directory.isReady()) {
            throw new ApiException(503, "not_ready", "the job directory is still reading kaption.jobs and "
                    + "kaption.job-status; try again shortly");
        }
    }

    private static void requireUnfinished(JobStatus job) {
        if (job.state().isTerminal()) {
            throw new ApiException(409, "job_already_finished", "job " + job.jobId() + " is already "
                    + job.state().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static JobSubmission submission(RequestBody body) {
        if (!(body instanceof RequestBody.Raw raw)) {
            throw new ApiException(415, "unsupported_media_type", "a job is submitted as a JSON body");
        }
        return JobSubmission.parse(Json.parseObject(raw.bytes(), "the request body"));
    }

    static JobStatus cancelling(JobStatus job, Instant now) {
        return new JobStatus(job.jobId(), JobState.CANCELLING, job.input(), job.inputFormat(), job.output(),
                job.consumerGroup(), job.clientToken(), job.createdAt(), now, job.finishedAt(), job.counts(),
                job.usage(), job.error(), job.manifestUri());
    }

    private static JsonNode toJson(JobStatus job) {
        return ContractCodec.JOB_STATUS.toValidatedTree(job);
    }

    private static ApiException notFound(String jobId) {
        return new ApiException(404, "job_not_found", "no job " + jobId);
    }
}
