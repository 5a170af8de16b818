package io.kaption.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.schemas.FinishReason;
import io.kaption.schemas.TokenEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AttemptMergeTest {

    private final AttemptMerge merge = new AttemptMerge("r");

    private static TokenEvent chunk(String attempt, int batchId, int index, String text) {
        TokenEvent event = TokenEvent.chunk("r", batchId, index, text);
        return attempt == null ? event : event.withAttempt(attempt);
    }

    private static TokenEvent chunk(String attempt, int index, String text) {
        return chunk(attempt, 0, index, text);
    }

    private static TokenEvent last(String attempt, int index) {
        TokenEvent event = TokenEvent.last("r", 0, index, "", FinishReason.STOP);
        return attempt == null ? event : event.withAttempt(attempt);
    }

    /** What clients are shown for these events, in order: "<attempt>:<index>:<text>" or "restart:<text>". */
    private List<String> feed(TokenEvent... events) {
        List<String> shown = new ArrayList<>();
        for (TokenEvent event : events) {
            Object out = merge.accept(event);
            if (out instanceof TokenEvent token) {
                shown.add(token.attempt() + ":" + token.index() + ":" + token.text());
            } else if (out instanceof StreamRestart restart) {
                shown.add("restart:" + restart.text() + (restart.finishReason() != null ? ":final" : ""));
            }
        }
        return shown;
    }

    @Test
    void aReplayAfterACrashRepeatsNothingAndContinuesWhereTheStreamWas() {
        assertThat(feed(chunk("a", 0, "A"), chunk("a", 1, " grey"), chunk("a", 2, " cat")))
                .containsExactly("a:0:A", "a:1: grey", "a:2: cat");
        // Attempt a's worker died; b generates the request again from the start.
        assertThat(feed(chunk("b", 0, "A"), chunk("b", 1, " grey"), chunk("b", 2, " cat"), chunk("b", 3, " sat"),
                last("b", 4))).containsExactly("b:3: sat", "b:4:");
        assertThat(merge.isFinal(0)).isTrue();
        assertThat(merge.reconcile(Events.completed("r", "A grey cat sat"))).isEmpty();
    }

    @Test
    void twoLiveAttemptsInterleavedShowEachIndexOnce() {
        // A rebalance: the worker that lost the partition goes on, the new owner starts over.
        List<String> shown = feed(chunk("a", 0, "A"), chunk("a", 1, "B"), chunk("b", 0, "A"), chunk("a", 2, "C"),
                chunk("b", 1, "B"), chunk("b", 2, "C"), chunk("b", 3, "D"), chunk("a", 3, "D"), last("a", 4),
                last("b", 4));

        assertThat(shown).containsExactly("a:0:A", "a:1:B", "a:2:C", "b:3:D", "a:4:");
        assertThat(merge.reconcile(Events.completed("r", "ABCD"))).isEmpty();
    }

    @Test
    void aReplayThatDivergesRestartsTheStreamWithItsText() {
        feed(chunk("a", 0, "A"), chunk("a", 1, " grey"), chunk("a", 2, " cat"));

        List<String> shown = feed(chunk("b", 0, "A"), chunk("b", 1, " black"), chunk("b", 2, " dog"), last("b", 3));

        assertThat(shown).containsExactly("restart:A black", "b:2: dog", "b:3:");
        assertThat(merge.reconcile(Events.completed("r", "A black dog"))).isEmpty();
    }

    @Test
    void afterARestartTheAttemptsThatMatchedTheOldStreamAreIgnored() {
        feed(chunk("a", 0, "A"), chunk("a", 1, " grey"), chunk("b", 0, "A"), chunk("b", 1, " black"));

        // a was still alive (a rebalance): its next chunks continue text the clients no longer have.
        assertThat(feed(chunk("a", 2, " cat"), chunk("b", 2, " dog"), last("a", 3), last("b", 3)))
                .containsExactly("b:2: dog", "b:3:");
    }

    @Test
    void anOlderAttemptThatDivergesIsIgnored() {
        feed(chunk("a", 0, "A"), chunk("b", 0, "A"), chunk("b", 1, " grey"), chunk("b", 2, " cat"));

        assertThat(feed(chunk("a", 1, " black"), chunk("a", 2, " dog"), chunk("a", 3, "!"), chunk("b", 3, "."),
                last("b", 4))).containsExactly("b:3:.", "b:4:");
    }

    @Test
    void eventsWithoutAttemptCountAsOneAttemptAndAreStillMerged() {
        // Workers before the attempt field: the replay starts at index 0 again under the same (missing) name.
        assertThat(feed(chunk(null, 0, "A"), chunk(null, 1, "B"), chunk(null, 0, "A"), chunk(null, 1, "B"),
                chunk(null, 2, "C"), last(null, 3))).containsExactly("null:0:A", "null:1:B", "null:2:C", "null:3:");
    }

    @Test
    void eventsWithoutAttemptThatDivergeRestart() {
        assertThat(feed(chunk(null, 0, "A"), chunk(null, 1, "B"), chunk(null, 0, "A"), chunk(null, 1, "X"),
                chunk(null, 2, "Y"))).containsExactly("null:0:A", "null:1:B", "restart:AX", "null:2:Y");
    }

    @Test
    void aDifferentFinishCountsAsADifferentChunk() {
        feed(chunk("a", 0, "A"), last("a", 1));

        assertThat(feed(chunk("b", 0, "A"), chunk("b", 1, "B"))).containsExactly("restart:AB");
        assertThat(merge.isFinal(0)).isFalse();
    }

    @Test
    void aRestartAtTheFinalEventCarriesTheFinishReason() {
        feed(chunk("a", 0, "A"), chunk("a", 1, "B"));

        assertThat(feed(chunk("b", 0, "A"), last("b", 1))).containsExactly("restart:A:final");
        assertThat(merge.isFinal(0)).isTrue();
    }

    @Test
    void nothingIsAppendedPastTheEndOfAFinishedStreamNorAfterAGap() {
        feed(chunk("a", 0, "A"), last("a", 1));

        assertThat(feed(chunk("a", 2, "late"), chunk("b", 5, "gap"))).isEmpty();

        AttemptMerge gap = new AttemptMerge("r");
        gap.accept(chunk("a", 0, "A"));
        assertThat(gap.accept(chunk("a", 2, "C"))).as("index 1 never read").isNull();
    }

    @Test
    void aHistoryThatStartsMidStreamDeliversFromThereAndTheResultFillsIn() {
        assertThat(feed(chunk("a", 3, "D"), chunk("a", 4, "E"), chunk("b", 0, "A"), chunk("b", 3, "D"),
                chunk("b", 4, "E"), chunk("b", 5, "F"), last("b", 6)))
                .containsExactly("a:3:D", "a:4:E", "b:5:F", "b:6:");

        assertThat(merge.reconcile(Events.completed("r", "ABCDEF")))
                .containsExactly(new StreamRestart("r", 0, "ABCDEF", FinishReason.STOP));
    }

    @Test
    void promptsOfAListAreMergedEachOnTheirOwn() {
        List<String> shown = feed(chunk("a", 0, 0, "A"), chunk("a", 1, 0, "X"), chunk("b", 1, 0, "X"),
                chunk("b", 0, 0, "A"), chunk("b", 1, 1, "Y"), chunk("b", 0, 1, "B"));

        assertThat(shown).containsExactly("a:0:A", "a:0:X", "b:1:Y", "b:1:B");
    }

    @Test
    void theResultDecidesWhenTheShownTextIsNotItsText() {
        // The first result wins; here it came from the attempt whose stream was dropped.
        feed(chunk("a", 0, "A"), chunk("b", 0, "B"), last("b", 1));

        List<StreamRestart> restarts = merge.reconcile(Events.completed("r", "A!"));

        assertThat(restarts).containsExactly(new StreamRestart("r", 0, "A!", FinishReason.STOP));
    }

    @Test
    void aRequestThatStreamedNothingOrFailedNeedsNoReconciling() {
        assertThat(merge.reconcile(Events.completed("r", "not streamed"))).isEmpty();
        feed(chunk("a", 0, "A"));
        assertThat(merge.reconcile(Events.failed("r"))).isEmpty();
    }

    @Test
    void everyPromptOfAListIsReconciled() {
        merge.accept(chunk("a", 0, 0, "A"));
        merge.accept(chunk("a", 1, 0, "X"));

        List<StreamRestart> restarts = merge.reconcile(Events.completed("r", List.of("A", "XY", "Z")));

        assertThat(restarts.stream().map(r -> r.batchId() + "=" + r.text()).collect(Collectors.joining(",")))
                .isEqualTo("1=XY,2=Z");
    }
}
