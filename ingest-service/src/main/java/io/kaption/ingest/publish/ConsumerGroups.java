package io.kaption.ingest.publish;

import io.kaption.ingest.http.ApiException;
import io.kaption.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Which consumer groups exist: a group exists when its topic {@code kaption.requests.<group>} does (its workers create
 * it). Answers are cached briefly, so a busy ingest asks the cluster about each group only every few seconds; a missing
 * group is remembered for a shorter time, so that a pool that just started is found soon.
 *
 * <p>Blocking: call from a worker thread. Thread-safe.
 */
public final class ConsumerGroups {

    static final Duration EXISTING_TTL = Duration.ofSeconds(30);
    static final Duration MISSING_TTL = Duration.ofSeconds(2);

    private final Admin admin;
    private final Duration timeout;
    private final Clock clock;
    private final Map<String, Verdict> cache = new ConcurrentHashMap<>();

    public ConsumerGroups(Admin admin, Duration timeout, Clock clock) {
        this.admin = admin;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** Whether {@code group}'s request topic exists; 503 {@code kafka_unavailable} when Kafka does not answer in time. */
    public boolean exists(String group) {
        Instant now = clock.instant();
        Verdict cached = cache.get(group);
        if (cached != null && now.isBefore(cached.expires())) {
            return cached.exists();
        }
        boolean exists = lookUp(Topics.requests(group));
        // Clients name groups (and chat models) at will: expired answers go, so names asked once do not stay forever.
        // A miss costs a round trip to Kafka anyway; the sweep is cheap next to it.
        cache.values().removeIf(verdict -> !now.isBefore(verdict.expires()));
        cache.put(group, new Verdict(exists, now.plus(exists ? EXISTING_TTL : MISSING_TTL)));
        return exists;
    }

    /**
     * Whether {@code group} exists, if a fresh answer is cached; empty when only a look-up can tell. Never blocks: a
     * request with nothing to admit can skip the worker thread that a look-up would need.
     */
    public Optional<Boolean> cachedAnswer(String group) {
        Verdict cached = cache.get(group);
        return cached != null && clock.instant().isBefore(cached.expires())
                ? Optional.of(cached.exists()) : Optional.empty();
    }

    /** How many answers are cached (expired ones included until the next look-up). */
    int cachedAnswers() {
        return cache.size();
    }

    /** 404 {@code unknown_consumer_group} unless {@code group} exists. */
    public void requireExisting(String group) {
        if (!exists(group)) {
            throw unknown(group);
        }
    }

    /** 404 {@code unknown_consumer_group}. */
    public static ApiException unknown(String group) {
        return new ApiException(404, "unknown_consumer_group", "consumer group '" + group + "' does not exist (no "
                + "topic " + Topics.requests(group) + "; its workers create it when they start)");
    }

    private boolean lookUp(String topic) {
        try {
            admin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            throw RequestPublisher.kafkaUnavailable(e.getCause());
        } catch (TimeoutException e) {
            throw RequestPublisher.kafkaUnavailable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RequestPublisher.kafkaUnavailable(e);
        }
    }

    private record Verdict(boolean exists, Instant expires) {
    }
}
