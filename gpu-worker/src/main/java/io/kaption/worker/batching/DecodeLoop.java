package io.kaption.worker.batching;

import io.kaption.engine.LlavaPipeline;
import io.kaption.engine.RequestRejectedException;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.GenerationResult.Failure;
import io.kaption.schemas.TokenEvent;
import io.kaption.worker.cancel.CancelledRequests;
import io.kaption.worker.consume.AcceptedRequest;
import io.kaption.worker.consume.ReadyRequest;
import io.kaption.worker.metrics.ThreadSchedStat;
import io.kaption.worker.metrics.WorkerMetrics;
import io.kaption.worker.publish.ErrorCodes;
import io.kaption.worker.publish.EventPublisher;
import io.kaption.worker.publish.RequestProgress;
import io.kaption.worker.publish.RequestProgress.PromptOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that drives the engine. When the engine is idle it collects a micro-batch from the hand-off (size
 * or linger); while it runs, requests that arrived join the running rows between decode steps (continuous
 * batching). Either way the hand-off gives interactive requests before bulk ones, so bulk requests fill only the room
 * left. Each element of a request's {@code text} is its own engine row. Text chunks become token events,
 * ended prompts final token events, ended requests one result each; a cancelled request's rows stop at the next
 * step.
 *
 * <p>A request that fails (bad image, prompt too long, an engine failure of its batch) fails alone, with its
 * stable code; the loop goes on. An unexpected error of the loop itself is fatal: it is reported to
 * {@code onFatal} and the loop ends, so the worker stops instead of silently not consuming.
 */
public final class DecodeLoop {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeLoop.class);
    /** How long an idle loop waits for work before checking whether it should stop. */
    private static final Duration IDLE_POLL = Duration.ofMillis(100);

    /** One request whose prompts are in the engine. */
    private static final class Running {
        final AcceptedRequest accepted;
        final RequestProgress progress;
        /** Engine row id of each prompt (batch id), -1 while not submitted. */
        final int[] rowIds;
        /** The last token event sent; the result waits for its acknowledgement. */
        CompletableFuture<Void> lastToken = CompletableFuture.completedFuture(null);
        /** Why the request's remaining rows are being stopped, once something stopped them. */
        Failure stopCause;
        /** When its first text came (monotonic clock), -1 before. */
        long firstTokenNanos = -1;

        Running(AcceptedRequest accepted) {
            this.accepted = accepted;
            this.progress = new RequestProgress(accepted.request());
            this.rowIds = new int[accepted.request().promptCount()];
            Arrays.fill(rowIds, -1);
        }

        String id() {
            return accepted.requestId();
        }
    }

    private record Row(Running request, int batchId) {}

    private final LlavaPipeline pipeline;
    private final Handoff handoff;
    private final BatchCollector<ReadyRequest> collector;
    private final CancelledRequests cancellations;
    private final EventPublisher publisher;
    private final Consumer<Throwable> onFatal;
    private final LongSupplier nanoTime;
    private final WorkerMetrics metrics;

    private final Map<Integer, Row> rows = new HashMap<>();
    private final Set<Running> active = new LinkedHashSet<>();
    /** Requests a prompt failure stopped during a step; their other rows are cancelled after it. */
    private final List<Running> stopAfterStep = new ArrayList<>();
    private LlavaPipeline.Session session;

    private final Thread thread;
    private volatile boolean stopping;
    private volatile long stopDeadline;

    public DecodeLoop(LlavaPipeline pipeline, Handoff handoff, BatchCollector<ReadyRequest> collector,
            CancelledRequests cancellations, EventPublisher publisher, Consumer<Throwable> onFatal,
            LongSupplier nanoTime, WorkerMetrics metrics) {
        this.pipeline = pipeline;
        this.handoff = handoff;
        this.collector = collector;
        this.cancellations = cancellations;
        this.publisher = publisher;
        this.onFatal = onFatal;
        this.nanoTime = nanoTime;
        this.metrics = metrics;
        this.thread = new Thread(this::run, "kaption-worker-decode");
    }

    public void start() {
        thread.start();
    }

    /**
     * Stops taking requests; requests already in the engine may finish within {@code grace}, then the rest are
     * cancelled (code {@code cancelled}). Requests not yet taken stay unanswered and uncommitted, to be redelivered.
     * Returns when the loop has ended.
     */
    public void stop(Duration grace) throws InterruptedException {
        stopDeadline = nanoTime.getAsLong() + grace.toNanos();
        stopping = true;
        thread.join();
    }

    private void run() {
        ThreadSchedStat.fileOfCurrentThread().ifPresent(metrics::engineThread);
        session = pipeline.newSession(new LlavaPipeline.Listener() {
            @Override
            public void onText(int rowId, String text) {
                Row row = rows.get(rowId);
                Running request = row.request();
                if (request.firstTokenNanos < 0) {
                    request.firstTokenNanos = nanoTime.getAsLong();
                    metrics.firstToken(request.accepted, request.firstTokenNanos);
                }
                row.request().progress.text(row.batchId(), text).ifPresent(event -> send(row.request(), event));
            }

            @Override
            public void onFinish(int rowId, LlavaPipeline.Result result) {
                Row row = rows.remove(rowId);
                Running request = row.request();
                Failure cancelled = request.stopCause != null ? request.stopCause
                        : new Failure(ErrorCodes.CANCELLED, "request cancelled");
                end(request, row.batchId(), PromptOutcome.of(result, cancelled));
                if (request.stopCause == null && request.progress.failure() != null) {
                    request.stopCause = request.progress.failure();
                    stopAfterStep.add(request);
                }
            }
        });
        try {
            while (!stopping || !active.isEmpty()) {
                for (ReadyRequest ready : take()) {
                    start(ready);
                }
                applyCancellations();
                if (!session.isIdle()) {
                    int stepped = session.size();
                    session.step();
                    metrics.step(stepped, nanoTime.getAsLong());
                    for (Running request : stopAfterStep) {
                        stopRows(request);
                    }
                    stopAfterStep.clear();
                }
                metrics.rowsInEngine(session.size());
            }
        } catch (Throwable e) {
            LOG.error("the decode loop failed; the worker stops", e);
            onFatal.accept(e);
        } finally {
            session.close();
        }
    }

    /** A micro-batch when idle, what already waits while running, nothing once stopping. */
    private List<ReadyRequest> take() throws InterruptedException {
        if (stopping) {
            return List.of();
        }
        if (session.isIdle()) {
            List<ReadyRequest> batch = collector.collect(handoff, IDLE_POLL);
            if (!batch.isEmpty()) {
                metrics.linger(collector.lastLingerNanos());
            }
            return batch;
        }
        return collector.drain(handoff, collector.maxRows() - session.size());
    }

    private void start(ReadyRequest ready) {
        Running request = new Running(ready.accepted());
        metrics.started(request.accepted);
        Optional<Failure> cancelled = cancellations.failure(request.accepted.request());
        if (cancelled.isPresent()) {
            LOG.info("request {} from {} was cancelled before it started: {}", request.id(), request.accepted.source(),
                    cancelled.get().message());
            failRemaining(request, cancelled.get());
            return;
        }
        if (ready.failure() != null) {
            failRemaining(request, ready.failure());
            return;
        }
        LOG.info("request {} from {}: {} prompt(s){}, queued {} ms", request.id(), request.accepted.source(),
                ready.prompts().size(), request.accepted.request().stream() ? ", streaming" : "",
                request.accepted.queuedMillis());
        active.add(request);
        for (int batchId = 0; batchId < ready.prompts().size() && request.stopCause == null; batchId++) {
            try {
                int rowId = ready.prepared().isEmpty() ? session.submit(ready.prompts().get(batchId))
                        : session.submit(ready.prepared().get(batchId));
                rows.put(rowId, new Row(request, batchId));
                request.rowIds[batchId] = rowId;
            } catch (RequestRejectedException e) {
                Failure failure = new Failure(ErrorCodes.of(e.kind()), e.getMessage());
                end(request, batchId, PromptOutcome.failed(failure));
                request.stopCause = failure;
            } catch (RuntimeException e) {
                LOG.error("request {}: preparing prompt {} failed", request.id(), batchId, e);
                Failure failure = new Failure(ErrorCodes.INFERENCE_FAILED, "the engine could not prepare prompt "
                        + batchId + ": " + e);
                end(request, batchId, PromptOutcome.failed(failure));
                request.stopCause = failure;
            }
        }
        if (request.stopCause != null) {
            stopRows(request);
        }
    }

    /** Cancels the running requests someone asked to cancel (or whose job), and (at the end of a stop's grace) all of them. */
    private void applyCancellations() {
        boolean graceOver = stopping && nanoTime.getAsLong() - stopDeadline >= 0;
        for (Running request : List.copyOf(active)) {
            if (request.stopCause != null) {
                continue;
            }
            Optional<Failure> cancelled = cancellations.failure(request.accepted.request());
            if (cancelled.isPresent()) {
                request.stopCause = cancelled.get();
            } else if (graceOver) {
                request.stopCause = new Failure(ErrorCodes.CANCELLED,
                        "the worker shut down before the request finished");
            } else {
                continue;
            }
            LOG.info("request {}: stopping its generation ({})", request.id(), request.stopCause.message());
            stopRows(request);
        }
    }

    /** Cancels the request's rows still in the engine and ends its prompts never submitted, with its stop cause. */
    private void stopRows(Running request) {
        for (int batchId = 0; batchId < request.rowIds.length; batchId++) {
            if (request.progress.hasEnded(batchId)) {
                continue;
            }
            if (request.rowIds[batchId] >= 0) {
                session.cancel(request.rowIds[batchId]); // its onFinish ends the prompt
            } else {
                end(request, batchId, PromptOutcome.failed(request.stopCause));
            }
        }
    }

    private void failRemaining(Running request, Failure failure) {
        request.stopCause = failure;
        for (TokenEvent event : request.progress.failRemaining(failure)) {
            send(request, event);
        }
        complete(request);
    }

    private void end(Running request, int batchId, PromptOutcome outcome) {
        request.progress.end(batchId, outcome).ifPresent(event -> send(request, event));
        if (request.progress.isComplete()) {
            complete(request);
        }
    }

    private void send(Running request, TokenEvent event) {
        request.lastToken = publisher.token(event);
    }

    private void complete(Running request) {
        active.remove(request);
        AcceptedRequest accepted = request.accepted;
        long endNanos = nanoTime.getAsLong();
        long inferenceMs = (endNanos - accepted.acceptedNanos()) / 1_000_000;
        GenerationResult result = request.progress.result(accepted.queuedMillis(), inferenceMs);
        metrics.ended(accepted, result, request.firstTokenNanos, endNanos);
        if (result.error() == null) {
            LOG.info("request {} finished: {}, {} prompt + {} completion tokens, {} ms", request.id(),
                    result.finishReason().name().toLowerCase(Locale.ROOT), result.usage().promptTokens(),
                    result.usage().completionTokens(), inferenceMs);
        } else {
            LOG.info("request {} failed: {}: {}", request.id(), result.error().code(), result.error().message());
        }
        publisher.result(result, request.lastToken, accepted.ticket()::done);
    }
}
