package io.kaption.events;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the token events of one request's attempts into the one stream its clients see: each chunk once, in order.
 *
 * <p>A request redelivered after a worker crash or a rebalance is generated again by a new attempt, which publishes
 * its events from {@code index} 0 again; the attempt that lost the request may even go on publishing (a rebalance
 * does not stop it), so two attempts' events can interleave. Per prompt ({@code batch_id}), the merge keeps the
 * chunks shown so far and, for every event read in topic order:
 * <ul>
 *   <li>at an index already shown: drops it if it is the same chunk (text, final, finish reason) — the replay of a
 *       deterministic generation (greedy, or sampling, which workers seed from the request id) repeats it;</li>
 *   <li>at the next index: shows it, if its attempt has matched everything shown so far;</li>
 *   <li>a different chunk at an index already shown means the attempt diverged. If it is the newest attempt (the one
 *       that took the request over), clients start over with it: a {@link StreamRestart} with its text so far, and
 *       attempts that had produced more than the common part are ignored from then on. An older attempt that
 *       diverges is ignored.</li>
 * </ul>
 * Every replica reads the same partition in the same order, so every replica makes the same decisions. Events
 * without {@code attempt} count as one attempt. Once the result is known, {@link #reconcile} checks that each
 * prompt's shown chunks add up to the result's text (the first result wins, and it may come from another attempt
 * than the one shown) and restarts those that do not.
 *
 * <p>Not thread-safe: {@link RequestHistory} calls it under its lock.
 */
final class AttemptMerge {

    private static final Logger log = LoggerFactory.getLogger(AttemptMerge.class);
    /** The attempt of events that carry none. */
    private static final String UNNAMED = "";

    private final String requestId;
    private final Map<Integer, PromptStream> prompts = new HashMap<>();

    AttemptMerge(String requestId) {
        this.requestId = requestId;
    }

    /**
     * What clients are to be shown for {@code event}: nothing (a repeat, or an ignored attempt), the event itself,
     * or a {@link StreamRestart}.
     */
    Object accept(TokenEvent event) {
        PromptStream prompt = prompts.computeIfAbsent(event.batchId(), batchId -> new PromptStream());
        return prompt.accept(event);
    }

    /** Whether prompt {@code batchId}'s shown stream has its final event. */
    boolean isFinal(int batchId) {
        PromptStream prompt = prompts.get(batchId);
        return prompt != null && prompt.finishReason() != null;
    }

    /**
     * The restarts that make what clients were shown equal {@code result}'s text: none when the request streamed
     * nothing, failed, or its shown chunks add up to the result's text prompt by prompt.
     */
    List<StreamRestart> reconcile(GenerationResult result) {
        if (prompts.isEmpty() || result.text() == null) {
            return List.of();
        }
        List<StreamRestart> restarts = new ArrayList<>();
        for (int batchId = 0; batchId < result.text().size(); batchId++) {
            String text = result.text().get(batchId);
            PromptStream prompt = prompts.get(batchId);
            if (prompt != null && prompt.text().equals(text)) {
                continue;
            }
            FinishReason finishReason = prompt != null && prompt.finishReason() != null
                    ? prompt.finishReason() : result.finishReason();
            log.warn("request {}: prompt {} streamed text that is not its result's; clients are sent the result's text",
                    requestId, batchId);
            restarts.add(new StreamRestart(requestId, batchId, text, finishReason));
        }
        return restarts;
    }

    private final class PromptStream {

        /** What clients were shown since the last restart; element i is the chunk of index {@code base + i}. */
        private List<TokenEvent> shown = new ArrayList<>();
        /**
         * The index of the first event read: 0, unless the hub's history window starts in the middle of the stream
         * (then the chunks before it are unknown, and the result's text is sent as a restart before the result).
         */
        private int base;
        /** Per attempt, one past the highest index it produced. */
        private final Map<String, Integer> produced = new HashMap<>();
        private final Set<String> ignored = new HashSet<>();
        private String newest;

        Object accept(TokenEvent event) {
            String attempt = event.attempt() == null ? UNNAMED : event.attempt();
            if (produced.isEmpty()) {
                base = event.index();
            }
            if (!produced.containsKey(attempt)) {
                produced.put(attempt, 0);
                newest = attempt;
            }
            if (ignored.contains(attempt)) {
                return null;
            }
            produced.merge(attempt, event.index() + 1, Math::max);
            int index = event.index() - base;
            if (index < 0) {
                return null; // a replay's chunk from before the history's start: nothing to check it against
            }
            if (index < shown.size()) {
                return sameChunk(shown.get(index), event) ? null : diverged(attempt, event);
            }
            if (index > shown.size() || finishReason() != null) {
                // Chunks before it were never read (the history starts mid-stream), or it goes on past the end it
                // matched: nothing a client could append it to; the result reconciles the stream at the end.
                log.debug("request {}: dropping token event {} of prompt {} from attempt {}", requestId, index,
                        event.batchId(), attempt);
                return null;
            }
            shown.add(event);
            return event;
        }

        private Object diverged(String attempt, TokenEvent event) {
            if (!attempt.equals(newest)) {
                log.info("request {}: prompt {}: attempt {} diverged at index {} from what was streamed; ignoring it",
                        requestId, event.batchId(), attempt, event.index());
                ignored.add(attempt);
                return null;
            }
            int index = event.index() - base;
            List<TokenEvent> restarted = new ArrayList<>(shown.subList(0, index));
            restarted.add(event);
            shown = restarted;
            // Attempts that produced this index produced the chunk now replaced: they no longer match.
            produced.forEach((other, next) -> {
                if (!other.equals(attempt) && next > event.index()) {
                    ignored.add(other);
                }
            });
            log.warn("request {}: prompt {}: the replay by attempt {} differs at index {} from what was streamed; "
                    + "restarting the stream", requestId, event.batchId(), attempt, index);
            return new StreamRestart(requestId, event.batchId(), text(), event.finishReason());
        }

        String text() {
            StringBuilder text = new StringBuilder();
            shown.forEach(chunk -> text.append(chunk.text()));
            return text.toString();
        }

        FinishReason finishReason() {
            return shown.isEmpty() ? null : shown.get(shown.size() - 1).finishReason();
        }

        private static boolean sameChunk(TokenEvent shown, TokenEvent event) {
            return shown.text().equals(event.text()) && shown.isFinal() == event.isFinal()
                    && Objects.equals(shown.finishReason(), event.finishReason());
        }
    }
}
