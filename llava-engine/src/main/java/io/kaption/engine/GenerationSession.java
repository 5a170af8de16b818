package io.kaption.engine;

import io.kaption.engine.generation.GenerationBatch;
import io.kaption.engine.generation.GenerationRequest;
import io.kaption.engine.generation.GenerationResult;
import io.kaption.engine.generation.Sequence;
import io.kaption.engine.generation.TokenListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching over time: requests are {@linkplain #submit submitted} whenever they arrive, wait until the
 * running batch has a free row, join it (prefilled together with the others joining at that step) and leave it when
 * they finish, so a long request never holds up short ones that come later. The caller drives it one
 * {@link #step()} at a time.
 *
 * <p>An engine failure during a step (e.g. a native error) fails every row that was running or joining with
 * {@link io.kaption.engine.generation.FinishReason#ERROR}; the session starts a fresh batch and goes on.
 *
 * <p>Not thread-safe: one thread submits, steps and cancels; listeners are called on it and must not call back
 * into the session.
 */
public final class GenerationSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationSession.class);

    private final LlavaEngine engine;
    private final int maxBatchSize;
    private final TokenListener listener;
    private final Deque<Sequence> waiting = new ArrayDeque<>();
    /** Requests in the batch (or being prefilled into it), removed as each one finishes. */
    private final Set<Integer> active = new HashSet<>();
    private final Set<Integer> known = new HashSet<>();
    private final TokenListener tracking;
    /** Created on first use, and again after an engine failure dropped the previous one. */
    private GenerationBatch batch;

    GenerationSession(LlavaEngine engine, int maxBatchSize, TokenListener listener) {
        this.engine = engine;
        this.maxBatchSize = maxBatchSize;
        this.listener = listener;
        this.tracking = new TokenListener() {
            @Override
            public void onToken(int request, int token) {
                listener.onToken(request, token);
            }

            @Override
            public void onFinish(int request, GenerationResult result) {
                active.remove(request);
                known.remove(request);
                listener.onFinish(request, result);
            }
        };
    }

    /**
     * Queues a request under the caller's id (reported to the listener).
     *
     * @throws RequestRejectedException when the request cannot run (nothing is queued, no callback follows)
     * @throws IllegalArgumentException when {@code id} is already queued or running
     */
    public void submit(int id, GenerationRequest request) {
        try {
            if (known.contains(id)) {
                throw new IllegalArgumentException("request id " + id + " is already in this session");
            }
            waiting.add(engine.prepare(id, request));
        } catch (RuntimeException e) {
            if (request.adapter() != null) {
                request.adapter().release();
            }
            throw e;
        }
        known.add(id);
    }

    /**
     * One unit of work: if rows are free and requests wait, those that fit are prefilled into the batch (each gets
     * its first token); otherwise every running row decodes one token. Does nothing when idle.
     */
    public void step() {
        if (isIdle()) {
            return;
        }
        if (batch == null) {
            batch = new GenerationBatch(engine.model(), tracking, engine.options().prefillTokensPerPass());
        }
        List<Sequence> joining = new ArrayList<>();
        while (!waiting.isEmpty() && batch.size() + joining.size() < maxBatchSize) {
            joining.add(waiting.poll());
        }
        try {
            if (!joining.isEmpty()) {
                joining.forEach(row -> active.add(row.request()));
                batch.add(joining);
            } else {
                batch.step();
            }
        } catch (RuntimeException e) {
            failActive(e);
        }
    }

    /**
     * Stops a request now: a waiting one leaves the queue, a running one leaves the batch; the listener gets its
     * result with {@link io.kaption.engine.generation.FinishReason#CANCELLED} (and the ids generated so far).
     *
     * @return false when the request is not (or no longer) in this session
     */
    public boolean cancel(int id) {
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence row = it.next();
            if (row.request() == id) {
                it.remove();
                row.cancel();
                tracking.onFinish(id, row.result());
                return true;
            }
        }
        if (!active.contains(id) || batch == null) {
            return false;
        }
        try {
            return batch.cancel(id);
        } catch (RuntimeException e) {
            failActive(e);
            return true;
        }
    }

    /** True when nothing waits and nothing runs. */
    public boolean isIdle() {
        return waiting.isEmpty() && running() == 0;
    }

    /** Requests waiting for a row. */
    public int waiting() {
        return waiting.size();
    }

    /** Rows decoding. */
    public int running() {
        return batch == null ? 0 : batch.size();
    }

    private void failActive(RuntimeException e) {
        LOG.error("inference failed; failing the {} request(s) of the batch", active.size(), e);
        List<Integer> failed = new ArrayList<>(active);
        active.clear();
        batch.close();
        batch = null;
        for (int id : failed) {
            tracking.onFinish(id, GenerationResult.failed("inference failed: " + e, 0));
        }
    }

    @Override
    public void close() {
        if (batch != null) {
            batch.close();
            batch = null;
        }
        waiting.forEach(Sequence::cancel); // lets go of their LoRA adapters
        waiting.clear();
        active.clear();
        known.clear();
    }
}
