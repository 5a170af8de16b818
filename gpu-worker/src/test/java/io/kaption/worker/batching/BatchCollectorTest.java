package io.kaption.worker.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Size-or-linger batching against a fake clock and a scripted queue. */
class BatchCollectorTest {

    /** An item that takes {@code rows} engine rows and arrives at {@code atMillis} on the fake clock. */
    private record Item(String name, int rows, long atMillis) {}

    /** A queue whose items arrive at scripted times; waiting advances the fake clock. */
    private static final class ScriptedSource implements BatchCollector.Source<Item> {
        final Deque<Item> script = new ArrayDeque<>();
        long nowNanos;

        ScriptedSource(Item... items) {
            script.addAll(List.of(items));
        }

        long now() {
            return nowNanos;
        }

        @Override
        public Item poll(long timeout, TimeUnit unit) {
            long deadline = nowNanos + unit.toNanos(timeout);
            Item next = script.peekFirst();
            if (next != null && TimeUnit.MILLISECONDS.toNanos(next.atMillis()) <= deadline) {
                nowNanos = Math.max(nowNanos, TimeUnit.MILLISECONDS.toNanos(next.atMillis()));
                return script.pollFirst();
            }
            nowNanos = deadline;
            return null;
        }

        /** Every scripted item is on its way, unless the script says the source cannot know. */
        @Override
        public int pending() {
            return announced ? script.size() : 0;
        }

        boolean announced = true;
    }

    private static BatchCollector<Item> collector(ScriptedSource source, int maxRows, long lingerMillis) {
        return new BatchCollector<>(maxRows, Duration.ofMillis(lingerMillis), Item::rows, source::now);
    }

    @Test
    void nothingArrivingGivesAnEmptyBatchAfterTheFirstWait() throws Exception {
        ScriptedSource source = new ScriptedSource();
        assertThat(collector(source, 8, 100).collect(source, Duration.ofMillis(100))).isEmpty();
        assertThat(source.now()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
    }

    @Test
    void lingerCountsFromTheFirstItem() throws Exception {
        ScriptedSource source = new ScriptedSource(new Item("a", 1, 30), new Item("b", 1, 90),
                new Item("c", 1, 129), new Item("d", 1, 131));
        BatchCollector<Item> collector = collector(source, 8, 100);
        List<Item> batch = collector.collect(source, Duration.ofMillis(100));
        assertThat(batch).extracting(Item::name).containsExactly("a", "b", "c");
        assertThat(source.now()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(130));
        assertThat(collector.lastLingerNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
    }

    @Test
    void aFullBatchGoesWithoutWaitingForTheLinger() throws Exception {
        ScriptedSource source = new ScriptedSource(new Item("a", 1, 0), new Item("b", 2, 5), new Item("c", 1, 10),
                new Item("d", 1, 15));
        List<Item> batch = collector(source, 4, 1_000).collect(source, Duration.ofMillis(100));
        assertThat(batch).extracting(Item::name).containsExactly("a", "b", "c");
        assertThat(source.now()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(10));
    }

    @Test
    void aLoneItemStartsAtOnceWhenNothingElseIsOnItsWay() throws Exception {
        ScriptedSource source = new ScriptedSource(new Item("a", 1, 30));
        BatchCollector<Item> collector = collector(source, 8, 100);
        List<Item> batch = collector.collect(source, Duration.ofMillis(100));
        assertThat(batch).extracting(Item::name).containsExactly("a");
        assertThat(source.now()).as("no linger after the first item").isEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
        assertThat(collector.lastLingerNanos()).isZero();
    }

    @Test
    void itemsNotYetKnownDoNotHoldTheBatch() throws Exception {
        ScriptedSource source = new ScriptedSource(new Item("a", 1, 0), new Item("b", 1, 50));
        source.announced = false; // b is still in Kafka: nothing says it is coming
        assertThat(collector(source, 8, 100).collect(source, Duration.ofMillis(100))).extracting(Item::name)
                .containsExactly("a");
        assertThat(source.now()).isZero();
    }

    @Test
    void zeroLingerTakesOnlyTheFirst() throws Exception {
        ScriptedSource source = new ScriptedSource(new Item("a", 1, 0), new Item("b", 1, 0));
        assertThat(collector(source, 8, 0).collect(source, Duration.ofMillis(100))).extracting(Item::name)
                .containsExactly("a");
    }

    @Test
    void anItemLargerThanTheBatchStillGoesAlone() throws Exception {
        ScriptedSource source = new ScriptedSource(new Item("list", 12, 0), new Item("b", 1, 1));
        assertThat(collector(source, 8, 100).collect(source, Duration.ofMillis(100))).extracting(Item::name)
                .containsExactly("list");
    }

    @Test
    void drainTakesOnlyWhatIsThereUpToTheRoom() throws Exception {
        ScriptedSource source = new ScriptedSource(new Item("a", 1, 0), new Item("b", 2, 0), new Item("c", 1, 0),
                new Item("late", 1, 50));
        BatchCollector<Item> collector = collector(source, 8, 100);
        assertThat(collector.drain(source, 3)).extracting(Item::name).containsExactly("a", "b");
        assertThat(collector.drain(source, 3)).extracting(Item::name).containsExactly("c");
        assertThat(collector.drain(source, 3)).isEmpty();
        assertThat(source.now()).isZero();
        assertThat(collector.drain(source, 0)).isEmpty();
    }
}
