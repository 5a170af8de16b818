package io.kaption.events;

import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/** Writes down what a subscription delivers, and notices calls that overlap or follow the result. */
final class RecordingListener implements RequestEventListener {

    final List<Long> offsets = new CopyOnWriteArrayList<>();
    final List<TokenEvent> tokens = new CopyOnWriteArrayList<>();
    final List<StreamRestart> restarts = new CopyOnWriteArrayList<>();
    final List<GenerationResult> results = new CopyOnWriteArrayList<>();
    /** Every call in order: "token <offset>", "restart <batch id>[ at <offset>]" or "result". */
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    private final AtomicBoolean inCall = new AtomicBoolean();

    @Override
    public void onToken(long offset, TokenEvent event) {
        enter();
        try {
            if (!results.isEmpty()) {
                violations.add("token " + offset + " after the result");
            }
            offsets.add(offset);
            tokens.add(event);
            calls.add("token " + offset);
        } finally {
            inCall.set(false);
        }
    }

    @Override
    public void onRestart(long offset, StreamRestart restart) {
        enter();
        try {
            if (!results.isEmpty()) {
                violations.add("restart " + offset + " after the result");
            }
            restarts.add(restart);
            calls.add("restart " + restart.batchId() + (offset >= 0 ? " at " + offset : ""));
        } finally {
            inCall.set(false);
        }
    }

    @Override
    public void onResult(GenerationResult result) {
        enter();
        try {
            results.add(result);
            calls.add("result");
        } finally {
            inCall.set(false);
        }
    }

    private void enter() {
        if (!inCall.compareAndSet(false, true)) {
            violations.add("overlapping calls");
        }
    }
}
